using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Plugins.Lightweight;

/// <summary>Mobile-sized CNNs built from depthwise-separable and inverted-residual blocks.</summary>
public sealed class LightweightPlugin : IZooPlugin
{
    public string Name => "Lightweight";
    public string Description => "Lightweight CNNs: SqueezeNet, MobileNet V1, V2 and V3, ShuffleNet V1 and V2, MNASNet, EfficientNet B0-B7 and V2.";

    public void ConfigureServices(IServiceCollection services)
    {
        services.AddArchitecture<SqueezeNet>();
        services.AddArchitecture<MobileNetV1>();
        services.AddArchitecture<MobileNetV2>();
        services.AddArchitecture<MobileNetV3>();
        services.AddArchitecture<ShuffleNetV1>();
        services.AddArchitecture<ShuffleNetV2>();
        services.AddArchitecture<MNASNet>();
        services.AddArchitecture<EfficientNet>();
    }
}
