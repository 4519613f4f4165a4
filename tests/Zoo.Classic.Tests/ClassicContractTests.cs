using Zoo.ContractKit;
using Zoo.Plugins.Classic;

// Contract checks build real models and use both cores; run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Zoo.Classic.Tests;

/// <summary>The shared contract test kit over every architecture of the Classic family.</summary>
public sealed class ClassicContractTests : ArchitectureContractTests<ClassicPlugin> { }
