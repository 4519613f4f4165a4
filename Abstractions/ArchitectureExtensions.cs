using TorchSharp;

namespace Zoo.Abstractions;

/// <summary>Facts about an architecture that need only building it.</summary>
public static class ArchitectureExtensions
{
    static readonly object MetaGate = new();

    /// <summary>
    /// The parameter count of <paramref name="spec"/>, built on the "meta" device where the architecture
    /// allows it (no memory is allocated, so even ViT-L costs nothing), else on the CPU. The default
    /// device is process-wide while it is switched: do not build other models on other threads meanwhile.
    /// </summary>
    public static long CountParameters(this IArchitecture architecture, ModelSpec spec) =>
        OnMeta(architecture, spec, model => model.parameters().Sum(p => p.numel()));

    /// <summary>
    /// The state-dict keys of <paramref name="spec"/> with their shapes, built as <see cref="CountParameters"/>
    /// builds (on the meta device where it can). Throws what <see cref="IArchitecture.Build"/> throws: a
    /// <see cref="ZooConfigException"/> for an option or a size the architecture does not take.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]> StateShapes(this IArchitecture architecture, ModelSpec spec) =>
        OnMeta(architecture, spec, model => (IReadOnlyDictionary<string, long[]>)model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape));

    static T OnMeta<T>(IArchitecture architecture, ModelSpec spec, Func<TorchSharp.torch.nn.Module, T> read)
    {
        lock (MetaGate)
        {
            var previous = torch.get_default_device();
            try
            {
                torch.set_default_device(torch.META);
                using var meta = architecture.Build(spec);
                return read(meta);
            }
            catch (Exception e) when (e is not ZooConfigException)
            {
                torch.set_default_device(previous);
                using var model = architecture.Build(spec);
                return read(model);
            }
            finally
            {
                torch.set_default_device(previous);
            }
        }
    }

    /// <summary>The parameter count at the variant's reference configuration (ImageNet or its own default).</summary>
    public static long CountReferenceParameters(this IArchitecture architecture, ArchitectureVariant variant) =>
        architecture.CountParameters(ModelSpec.Reference(variant));
}
