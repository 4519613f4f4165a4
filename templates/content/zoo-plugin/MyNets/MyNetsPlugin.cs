using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MyNets;

/// <summary>The plugin's entry point: the host creates it and calls ConfigureServices. Register, nothing else.</summary>
public sealed class MyNetsPlugin : IZooPlugin
{
    public string Name => "MyNets";
    public string Description => "One example architecture.";
    public void ConfigureServices(IServiceCollection services) => services.AddArchitecture<ExampleNet>();
}

/// <summary>An example architecture: conv3x3(8)-BN-ReLU, global average pool, linear. Replace it with yours.</summary>
public sealed class ExampleNet : IArchitecture
{
    public string Name => "MyNets example";
    public string Family => "MyNets";
    public string Paper => "Example (no paper)";
    public int Year => 2026;
    public string Description => "conv3x3(8)-BN-ReLU, global average pool, linear; any input of 4 px or more.";

    // Variant names are global in a zoo: prefix them with your plugin's name.
    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("mynets_example", "MyNets example")
        {
            DefaultInput = new InputShape(3, 32, 32), DefaultClasses = 10,
            ReferenceParameters = 3 * 8 * 9 + 2 * 8 + 8 * 10 + 10, ReferenceSource = "own count",
        },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (Math.Min(spec.Height, spec.Width) < 4)
            throw new ZooConfigException("input", $"ExampleNet needs at least 4x4 images, got {spec.Height}x{spec.Width}");
        return Sequential(
            ("conv", Conv2d(spec.Channels, 8, 3, padding: 1, bias: false)), ("bn", BatchNorm2d(8)), ("relu", ReLU()),
            ("pool", AdaptiveAvgPool2d(1)), ("flatten", Flatten()), ("fc", Linear(8, spec.Classes)));
    }
}
