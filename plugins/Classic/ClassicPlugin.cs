using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Plugins.Classic;

/// <summary>The classic CNNs of the ImageNet era, from LeNet-5 to ResNet and its descendants.</summary>
public sealed class ClassicPlugin : IZooPlugin
{
    public string Name => "Classic";
    public string Description => "Classic CNNs: LeNet-5, AlexNet, ZFNet, VGG, GoogLeNet, Inception v3, ResNet, ResNeXt, Wide ResNet, DenseNet, SE-ResNet.";

    public void ConfigureServices(IServiceCollection services)
    {
        services.AddArchitecture<LeNet5>();
        services.AddArchitecture<AlexNet>();
        services.AddArchitecture<VGG>();
        services.AddArchitecture<GoogLeNet>();
        services.AddArchitecture<InceptionV3>();
        services.AddArchitecture<ResNet>();
        services.AddArchitecture<DenseNet>();
        services.AddArchitecture<SENet>();
    }
}
