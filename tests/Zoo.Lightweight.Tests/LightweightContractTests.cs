using Zoo.ContractKit;
using Zoo.Plugins.Lightweight;

// Contract checks build real models and use both cores; run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Zoo.Lightweight.Tests;

/// <summary>The shared contract test kit over every architecture of the Lightweight family.</summary>
public sealed class LightweightContractTests : ArchitectureContractTests<LightweightPlugin> { }
