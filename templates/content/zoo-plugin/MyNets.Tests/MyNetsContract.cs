namespace MyNets.Tests;

/// <summary>Every architecture of the plugin through the Zoo contract checks: shapes, gradients, train/eval, save/load, parameter counts.</summary>
public sealed class MyNetsContract : Zoo.ContractKit.ArchitectureContractTests<MyNetsPlugin> { }
