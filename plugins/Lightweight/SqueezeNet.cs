using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// SqueezeNet (Iandola et al., "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and
/// &lt;0.5MB model size", 2016), versions 1.0 and 1.1 as torchvision builds them: Fire modules (1×1 squeeze,
/// then parallel 1×1 and 3×3 expands, concatenated) and a convolutional classifier (dropout 0.5, 1×1 conv
/// to the classes, ReLU, global pool). Small inputs (shorter side below 96) start with a 3×3 stride-1
/// convolution so 32×32 reaches the last Fire module at 4×4.
/// </summary>
public sealed class SqueezeNet : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "SqueezeNet";
    public string Family => "Lightweight";
    public string Paper => "Iandola et al., SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size";
    public int Year => 2016;
    public string Description =>
        "Fire modules (squeeze 1x1, expand 1x1 + 3x3) and a 1x1-conv classifier; versions 1.0 (7x7 stem) and 1.1 (3x3 stem, earlier pooling). " +
        "torchvision's layout and names. Inputs under 96 px start with a 3x3 stride-1 convolution.";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("squeezenet1_0", "SqueezeNet 1.0") { ReferenceParameters = 1_248_424, ReferenceSource = "torchvision squeezenet1_0", DefaultDropout = 0.5 },
        new ArchitectureVariant("squeezenet1_1", "SqueezeNet 1.1") { ReferenceParameters = 1_235_496, ReferenceSource = "torchvision squeezenet1_1", DefaultDropout = 0.5 },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        spec.Options.EnsureOnly(Array.Empty<string>());
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        Module<Tensor, Tensor> Pool() => MaxPool2d(3, 2, ceil_mode: true);
        Sequential features = spec.Variant switch
        {
            "squeezenet1_0" => Nn.Seq(
                small ? Conv2d(spec.Channels, 96, 3, padding: 1) : Conv2d(spec.Channels, 96, 7, stride: 2), ReLU(inplace: true), Pool(),
                new Fire(96, 16, 64, 64), new Fire(128, 16, 64, 64), new Fire(128, 32, 128, 128), Pool(),
                new Fire(256, 32, 128, 128), new Fire(256, 48, 192, 192), new Fire(384, 48, 192, 192), new Fire(384, 64, 256, 256), Pool(),
                new Fire(512, 64, 256, 256)),
            "squeezenet1_1" => Nn.Seq(
                small ? Conv2d(spec.Channels, 64, 3, padding: 1) : Conv2d(spec.Channels, 64, 3, stride: 2), ReLU(inplace: true), Pool(),
                new Fire(64, 16, 64, 64), new Fire(128, 16, 64, 64), Pool(),
                new Fire(128, 32, 128, 128), new Fire(256, 32, 128, 128), Pool(),
                new Fire(256, 48, 192, 192), new Fire(384, 48, 192, 192), new Fire(384, 64, 256, 256), new Fire(512, 64, 256, 256)),
            _ => throw new ZooConfigException("variant", $"SqueezeNet has no variant '{spec.Variant}'; allowed: squeezenet1_0, squeezenet1_1"),
        };
        return new SqueezeNetModel(features, spec.Classes, spec.Dropout ?? 0.5);
    }
}

/// <summary>squeeze 1×1 (ReLU) → [expand1x1 (ReLU), expand3x3 (ReLU)] concatenated.</summary>
public sealed class Fire : Module<Tensor, Tensor>
{
    readonly Conv2d squeeze, expand1x1, expand3x3;

    public Fire(long inplanes, long squeezePlanes, long expand1x1Planes, long expand3x3Planes) : base(nameof(Fire))
    {
        squeeze = Conv2d(inplanes, squeezePlanes, 1);
        expand1x1 = Conv2d(squeezePlanes, expand1x1Planes, 1);
        expand3x3 = Conv2d(squeezePlanes, expand3x3Planes, 3, padding: 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // In place, as torchvision's ReLU(inplace=True): a convolution's backward needs its input, not its output.
        var s = squeeze.call(x).relu_();
        return torch.cat(new[] { expand1x1.call(s).relu_(), expand3x3.call(s).relu_() }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>features, then classifier (dropout, final 1×1 conv, ReLU, global average pool).</summary>
public sealed class SqueezeNetModel : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly Sequential classifier;

    public SqueezeNetModel(Sequential features, int classes, double dropout) : base("SqueezeNet")
    {
        this.features = features;
        var finalConv = Conv2d(512, classes, 1);
        classifier = Nn.Seq(Dropout(dropout), finalConv, ReLU(inplace: true), AdaptiveAvgPool2d(1));
        RegisterComponents();
        foreach (var (_, m) in named_modules())
        {
            if (m is not Conv2d c) continue;
            if (ReferenceEquals(c, finalConv)) init.normal_(c.weight, 0, 0.01);
            else init.kaiming_uniform_(c.weight);
            if (c.bias is not null) init.zeros_(c.bias);
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return classifier.call(features.call(x)).flatten(1).MoveToOuterDisposeScope();
    }
}
