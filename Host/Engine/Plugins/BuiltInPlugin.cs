using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Training;

namespace Zoo.Engine.Plugins;

/// <summary>
/// What the host itself contributes through the same contract as any plugin: the built-in "shapes"
/// data set, the file formats (MNIST, Fashion-MNIST, CIFAR-10/100, image folders, auto-detection), the optimisers, the learning-rate schedules and the augmentations.
/// </summary>
public sealed class BuiltInPlugin : IZooPlugin
{
    public string Name => "Built-in";
    public string Description => "The host's own data sets, optimisers, schedules and augmentations.";

    public void ConfigureServices(IServiceCollection services)
    {
        services.AddDatasetProvider<ShapesDatasetProvider>();
        services.AddDatasetProvider<PatchShapesDatasetProvider>();
        services.AddSingleton<IDatasetProvider>(IdxDatasetProvider.Mnist());
        services.AddSingleton<IDatasetProvider>(IdxDatasetProvider.FashionMnist());
        services.AddSingleton<IDatasetProvider>(CifarDatasetProvider.Cifar10());
        services.AddSingleton<IDatasetProvider>(CifarDatasetProvider.Cifar100());
        var folder = new ImageFolderProvider();
        services.AddSingleton<IDatasetProvider>(folder);
        services.AddSingleton<IDatasetProvider>(new AutoDatasetProvider(folder));
        foreach (var s in BuiltInSchedules.All()) services.AddSingleton(s);
        foreach (var o in BuiltInOptimizers.All()) services.AddSingleton(o);
        foreach (var a in BuiltInAugmentations.All()) services.AddSingleton(a);
        foreach (var a in BuiltInAugmentations.Batch()) services.AddSingleton(a);
    }
}
