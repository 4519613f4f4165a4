using Zoo.ContractKit;
using Zoo.Plugins.Modern;

// Contract checks build real models and use both cores; run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Zoo.Modern.Tests;

/// <summary>The shared contract test kit over every architecture of the Modern family.</summary>
public sealed class ModernContractTests : ArchitectureContractTests<ModernPlugin> { }
