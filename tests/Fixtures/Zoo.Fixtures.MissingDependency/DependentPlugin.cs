using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Fixtures.Dependency;

namespace Zoo.Fixtures.MissingDependency;

/// <summary>A plugin that needs Zoo.Fixtures.Dependency.dll; the tests remove that file to see the report.</summary>
public sealed class DependentPlugin : FixtureBase, IZooPlugin
{
    public string Name => "Dependent";
    public string Description => "Needs Zoo.Fixtures.Dependency.";
    public void ConfigureServices(IServiceCollection services) { }
}
