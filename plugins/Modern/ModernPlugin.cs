using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Plugins.Modern;

/// <summary>The 2020s architectures: ConvNeXt, Swin Transformer, Vision Transformer.</summary>
public sealed class ModernPlugin : IZooPlugin
{
    public string Name => "Modern";
    public string Description => "Modern architectures: ConvNeXt, Swin Transformer, Vision Transformer.";

    public void ConfigureServices(IServiceCollection services)
    {
        services.AddArchitecture<ConvNeXt>();
        services.AddArchitecture<Swin>();
        services.AddArchitecture<VisionTransformer>();
    }
}
