using System.Reflection;
using Zoo.Abstractions;
using Zoo.ContractKit;

namespace Zoo.Host.Tests;

/// <summary>
/// The contract kit works for a plugin written outside the zoo: the TinyNet sample is loaded from its
/// built folder (as a plugin author's test project would reference it) and put through every check.
/// </summary>
public sealed class ThirdPartyPluginContractTests : ArchitectureContractTests<TinyNetEntry> { }

/// <summary>Creates the sample's plugin entry from its built assembly.</summary>
public sealed class TinyNetEntry : IZooPlugin
{
    readonly IZooPlugin _inner = (IZooPlugin)Activator.CreateInstance(
        Assembly.LoadFrom(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.TinyNet", "Zoo.Fixtures.TinyNet.dll"))
            .GetType("Zoo.Fixtures.TinyNet.TinyNetPlugin", throwOnError: true)!)!;

    public string Name => _inner.Name;
    public string Description => _inner.Description;
    public void ConfigureServices(Microsoft.Extensions.DependencyInjection.IServiceCollection services) => _inner.ConfigureServices(services);
}
