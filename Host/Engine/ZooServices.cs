using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;

namespace Zoo.Engine;

/// <summary>Composes the engine's services: the built-in contributions, the plugin catalogue, the suite runner.</summary>
public static class ZooServices
{
    /// <summary>Builds the container and loads the plugins found in <paramref name="pluginDirectories"/>.</summary>
    public static ServiceProvider Create(IEnumerable<string> pluginDirectories)
    {
        LibTorchRuntime.Prepare();   // before any forward pass: LibTorch settings that keep native noise off the screen
        var dirs = pluginDirectories.ToArray();
        var services = new ServiceCollection();
        services.AddSingleton<IZooPlugin, BuiltInPlugin>();
        services.AddSingleton(sp =>
        {
            var catalog = new PluginCatalog(dirs, sp.GetServices<IZooPlugin>(), new PluginSettings(PluginSettings.DefaultPath));
            catalog.Refresh();
            return catalog;
        });
        services.AddSingleton(sp => new SuiteRunner(sp.GetRequiredService<PluginCatalog>()));
        return services.BuildServiceProvider();
    }
}
