using TorchSharp;
using Zoo.Abstractions;
using Zoo.Host.Plugins;
using static TorchSharp.torch;

namespace Zoo.Host;

/// <summary>Facts about a variant found by building it: parameter count at its reference configuration.</summary>
public sealed class ModelFacts
{
    /// <summary>
    /// Builds the variant at its reference configuration (ImageNet: 3×224×224, 1000 classes, or its own
    /// default) and counts parameters. Built on the "meta" device where the architecture allows it, so
    /// even ViT-L costs no memory; falls back to the CPU otherwise.
    /// </summary>
    public long CountReferenceParameters(VariantEntry entry)
    {
        var spec = ModelSpec.Reference(entry.Variant);
        var previous = torch.get_default_device();
        try
        {
            torch.set_default_device(torch.META);
            using var meta = entry.Architecture.Build(spec);
            return meta.parameters().Sum(p => p.numel());
        }
        catch (Exception)
        {
            torch.set_default_device(previous);
            using var m = entry.Architecture.Build(spec);
            return m.parameters().Sum(p => p.numel());
        }
        finally
        {
            torch.set_default_device(previous);
        }
    }
}
