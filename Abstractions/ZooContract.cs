using Microsoft.Extensions.DependencyInjection;

namespace Zoo.Abstractions;

/// <summary>
/// The version of the host–plugin contract. It is the major version of this assembly: the host refuses
/// a plugin that was compiled against another major version, naming both versions.
/// </summary>
public static class ZooContract
{
    /// <summary>The contract version this assembly defines.</summary>
    public const int Version = 1;

    /// <summary>
    /// Additions within <see cref="Version"/> that old plugins need not know: 1 added <see cref="IFeatureExtractor"/>;
    /// 2 added <see cref="ArchitectureVariant.MinimumInputSize"/>, <see cref="ArchitectureVariant.SupportedChannels"/>
    /// <see cref="IPretrainedWeights"/> and <see cref="OptimizerContext.LearningRateOf"/>; 3 added <see cref="IGradCamTarget"/>; 4 added <see cref="Param"/> (parameters declared once: listed and read by
    /// one declaration), <see cref="ParameterInfo.Min"/>, <see cref="ParameterInfo.Max"/>, <see cref="ParameterInfo.Choices"/>,
    /// <see cref="ParameterBag.FieldPath"/> and <see cref="IArchitectureOptions"/>.
    /// It is this assembly's minor version (Directory.Build.props, ZooContractVersion, says the same); the host does
    /// not refuse a plugin for it.
    /// </summary>
    public const int MinorVersion = 4;
}

/// <summary>
/// The entry point of a plugin assembly. The host creates every public, non-abstract implementation
/// with a parameterless constructor that it finds in a plugin assembly, then calls
/// <see cref="ConfigureServices"/> with a service collection of the plugin's own. Register
/// <see cref="IArchitecture"/>, <see cref="IDatasetProvider"/>, <see cref="IAugmentationFactory"/>,
/// <see cref="IBatchAugmentationFactory"/>, <see cref="IScheduleFactory"/> and <see cref="IOptimizerFactory"/> implementations there
/// (the <see cref="ZooServiceCollectionExtensions"/> helpers do it in one line each).
/// </summary>
public interface IZooPlugin
{
    /// <summary>A short name shown in the catalogue, e.g. "Classic".</summary>
    string Name { get; }

    /// <summary>One sentence on what the plugin contributes.</summary>
    string Description { get; }

    /// <summary>Registers what the plugin contributes. Must not train, download or touch the disk.</summary>
    void ConfigureServices(IServiceCollection services);
}

/// <summary>One-line registrations for the things a plugin contributes.</summary>
public static class ZooServiceCollectionExtensions
{
    /// <summary>Registers an architecture (a singleton: it should be stateless).</summary>
    public static IServiceCollection AddArchitecture<T>(this IServiceCollection services) where T : class, IArchitecture
        => services.AddSingleton<IArchitecture, T>();

    /// <summary>Registers a data-set provider.</summary>
    public static IServiceCollection AddDatasetProvider<T>(this IServiceCollection services) where T : class, IDatasetProvider
        => services.AddSingleton<IDatasetProvider, T>();

    /// <summary>Registers a per-image augmentation factory.</summary>
    public static IServiceCollection AddAugmentation<T>(this IServiceCollection services) where T : class, IAugmentationFactory
        => services.AddSingleton<IAugmentationFactory, T>();

    /// <summary>Registers a batch-level augmentation factory (Mixup, CutMix…).</summary>
    public static IServiceCollection AddBatchAugmentation<T>(this IServiceCollection services) where T : class, IBatchAugmentationFactory
        => services.AddSingleton<IBatchAugmentationFactory, T>();

    /// <summary>Registers a learning-rate schedule factory.</summary>
    public static IServiceCollection AddSchedule<T>(this IServiceCollection services) where T : class, IScheduleFactory
        => services.AddSingleton<IScheduleFactory, T>();

    /// <summary>Registers an optimiser factory.</summary>
    public static IServiceCollection AddOptimizer<T>(this IServiceCollection services) where T : class, IOptimizerFactory
        => services.AddSingleton<IOptimizerFactory, T>();
}
