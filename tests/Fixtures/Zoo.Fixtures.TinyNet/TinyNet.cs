using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Fixtures.TinyNet;

/// <summary>
/// A third-party plugin as an author would write one: it references only Zoo.Abstractions and
/// TorchSharp, registers one architecture, and is dropped into a plugins folder.
/// </summary>
public sealed class TinyNetPlugin : IZooPlugin
{
    public string Name => "TinyNet";
    public string Description => "A two-layer CNN, the smallest plugin that is a real one.";
    public void ConfigureServices(IServiceCollection services) => services.AddArchitecture<TinyNet>();
}

/// <summary>Two conv–BN–ReLU stages, global pooling and a linear head; works at any input of 8 px or more.</summary>
public sealed class TinyNet : IArchitecture
{
    public string Name => "TinyNet";
    public string Family => "Samples";
    public string Paper => "Zoo plugin sample (no paper)";
    public int Year => 2026;
    public string Description => "conv3x3(16)-BN-ReLU-maxpool, conv3x3(32)-BN-ReLU, global average pool, linear. Reference: own count at 3x32x32, 10 classes.";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("tinynet", "TinyNet")
        {
            DefaultInput = new InputShape(3, 32, 32), DefaultClasses = 10,
            // 3·16·9 + 2·16 + 16·32·9 + 2·32 + 32·10 + 10
            ReferenceParameters = 432 + 32 + 4608 + 64 + 330, ReferenceSource = "own count",
        },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (Math.Min(spec.Height, spec.Width) < 8)
            throw new ZooConfigException("input", $"TinyNet needs at least 8x8 images, got {spec.Height}x{spec.Width}");
        return Sequential(
            ("conv1", Conv2d(spec.Channels, 16, 3, padding: 1, bias: false)), ("bn1", BatchNorm2d(16)), ("relu1", ReLU()), ("pool", MaxPool2d(2)),
            ("conv2", Conv2d(16, 32, 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(32)), ("relu2", ReLU()),
            ("gap", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(32, spec.Classes)));
    }
}
