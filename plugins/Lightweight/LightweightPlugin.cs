using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Plugins.Lightweight;

/// <summary>Mobile-sized CNNs built from depthwise-separable and inverted-residual blocks.</summary>
public sealed class LightweightPlugin : IZooPlugin
{
    public string Name => "Lightweight";
    public string Description => "Lightweight CNNs: MobileNet V2.";

    public void ConfigureServices(IServiceCollection services)
    {
        services.AddArchitecture<MobileNetV2>();
    }
}
