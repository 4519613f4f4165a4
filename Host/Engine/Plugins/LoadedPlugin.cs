using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Engine.Plugins;

/// <summary>One plugin the catalogue loaded, with what it contributes.</summary>
public sealed class LoadedPlugin
{
    internal LoadedPlugin(string name, string path, PluginLoader? loader, ServiceProvider services, string? assemblyHash = null)
    {
        Name = name;
        Path = path;
        AssemblyHash = assemblyHash;
        Loader = loader;
        Services = services;
        Architectures = services.GetServices<IArchitecture>().ToArray();
        Datasets = services.GetServices<IDatasetProvider>().ToArray();
        Augmentations = services.GetServices<IAugmentationFactory>().ToArray();
        BatchAugmentations = services.GetServices<IBatchAugmentationFactory>().ToArray();
        Schedules = services.GetServices<IScheduleFactory>().ToArray();
        Optimizers = services.GetServices<IOptimizerFactory>().ToArray();
        LoadContext = loader is null ? null : new WeakReference(loader.LoadContext);
    }

    /// <summary>The plugin's name(s) as its entry points give them.</summary>
    public string Name { get; }
    /// <summary>The main assembly's absolute path ("(built-in)" for the host's own).</summary>
    public string Path { get; }
    /// <summary>
    /// SHA-256 of the plugin's assemblies as they were loaded (the main one and, for a plugin in a folder of
    /// its own, every .dll in that folder, so a rebuilt shared-layers assembly counts too); null for the
    /// host's built-in contributions. A rerun of a suite compares it to know that a model may have changed.
    /// </summary>
    public string? AssemblyHash { get; }
    internal PluginLoader? Loader { get; }
    internal ServiceProvider Services { get; }
    /// <summary>A weak reference to the plugin's load context, to check that an unload really happened.</summary>
    public WeakReference? LoadContext { get; }
    public IReadOnlyList<IArchitecture> Architectures { get; }
    public IReadOnlyList<IDatasetProvider> Datasets { get; }
    public IReadOnlyList<IAugmentationFactory> Augmentations { get; }
    public IReadOnlyList<IBatchAugmentationFactory> BatchAugmentations { get; }
    public IReadOnlyList<IScheduleFactory> Schedules { get; }
    public IReadOnlyList<IOptimizerFactory> Optimizers { get; }

    internal void Unload()
    {
        Services.Dispose();
        Loader?.Dispose();
    }
}

/// <summary>A plugin that could not be loaded: where it is and why.</summary>
public sealed record PluginFailure(string Path, string Reason);

/// <summary>A variant found in the catalogue, with the architecture and plugin that provide it.</summary>
public sealed record VariantEntry(ArchitectureVariant Variant, IArchitecture Architecture, LoadedPlugin Plugin);
