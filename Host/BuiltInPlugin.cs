using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Host.Data;
using Zoo.Host.Training;

namespace Zoo.Host;

/// <summary>
/// What the host itself contributes through the same contract as any plugin: the built-in "shapes"
/// data set, the learning-rate schedules and the per-image augmentations.
/// </summary>
public sealed class BuiltInPlugin : IZooPlugin
{
    public string Name => "Built-in";
    public string Description => "The host's own data set (shapes), schedules and augmentations.";

    public void ConfigureServices(IServiceCollection services)
    {
        services.AddDatasetProvider<ShapesDatasetProvider>();
        foreach (var s in BuiltInSchedules.All()) services.AddSingleton(s);
        foreach (var a in BuiltInAugmentations.All()) services.AddSingleton(a);
    }
}
