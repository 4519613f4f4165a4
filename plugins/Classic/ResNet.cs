using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Classic;

/// <summary>
/// ResNet (He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", 2016), with the
/// grouped-width Bottleneck of ResNeXt (Xie et al., "Aggregated Residual Transformations", 2017) and
/// Wide ResNet's doubled bottleneck width (Zagoruyko &amp; Komodakis, 2016), as torchvision builds them
/// (stride on the 3×3 conv of the bottleneck, "ResNet v1.5"). Module names are torchvision's.
/// Small inputs (shorter side below 96) get the CIFAR stem of the paper's §4.2: conv1 3×3 stride 1 and no
/// max-pool, so a 32×32 image reaches layer4 as 4×4.
/// </summary>
public sealed class ResNet : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "ResNet";
    public string Family => "Classic";
    public string Paper => "He et al., Deep Residual Learning for Image Recognition (ResNeXt: Xie et al. 2017; Wide ResNet: Zagoruyko & Komodakis 2016)";
    public int Year => 2016;
    public string Description =>
        "Residual networks of BasicBlocks (18, 34) or Bottlenecks (50, 101, 152), ResNeXt's grouped bottlenecks and Wide ResNet's 2x bottleneck width; " +
        "torchvision's layout and names (stride on the 3x3 conv). Inputs under 96 px use the CIFAR stem: conv1 3x3 stride 1, no max-pool.";

    /// <summary>Depth configuration of one variant.</summary>
    internal sealed record Config(bool Bottleneck, int[] Layers, int Groups = 1, int WidthPerGroup = 64, bool SqueezeExcite = false);

    static readonly Dictionary<string, (Config Cfg, long Params, string Summary)> Table = new()
    {
        ["resnet18"] = (new(false, new[] { 2, 2, 2, 2 }), 11_689_512, "ResNet-18"),
        ["resnet34"] = (new(false, new[] { 3, 4, 6, 3 }), 21_797_672, "ResNet-34"),
        ["resnet50"] = (new(true, new[] { 3, 4, 6, 3 }), 25_557_032, "ResNet-50"),
        ["resnet101"] = (new(true, new[] { 3, 4, 23, 3 }), 44_549_160, "ResNet-101"),
        ["resnet152"] = (new(true, new[] { 3, 8, 36, 3 }), 60_192_808, "ResNet-152"),
        ["resnext50_32x4d"] = (new(true, new[] { 3, 4, 6, 3 }, 32, 4), 25_028_904, "ResNeXt-50 32x4d"),
        ["resnext101_32x8d"] = (new(true, new[] { 3, 4, 23, 3 }, 32, 8), 88_791_336, "ResNeXt-101 32x8d"),
        ["resnext101_64x4d"] = (new(true, new[] { 3, 4, 23, 3 }, 64, 4), 83_455_272, "ResNeXt-101 64x4d"),
        ["wide_resnet50_2"] = (new(true, new[] { 3, 4, 6, 3 }, 1, 128), 68_883_240, "Wide ResNet-50-2"),
        ["wide_resnet101_2"] = (new(true, new[] { 3, 4, 23, 3 }, 1, 128), 126_886_696, "Wide ResNet-101-2"),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, kv.Value.Summary)
        {
            ReferenceParameters = kv.Value.Params,
            ReferenceSource = $"torchvision {kv.Key}",
        }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"ResNet has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        return new ResNetModel(row.Cfg, spec.Channels, spec.Classes, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>
/// SENet (Hu, Shen, Sun, "Squeeze-and-Excitation Networks", 2018): SE-ResNet-50, ResNet-50 whose
/// bottlenecks gate their output channels by squeeze-and-excitation (global pool, 1×1 to C/16, ReLU,
/// 1×1 to C, sigmoid) before the residual sum. Names as ResNet plus layerN.M.se.fc1/fc2 (timm's
/// seresnet50 layout). Same small-input stem as ResNet.
/// </summary>
public sealed class SENet : IArchitecture
{
    public string Name => "SENet";
    public string Family => "Classic";
    public string Paper => "Hu et al., Squeeze-and-Excitation Networks";
    public int Year => 2018;
    public string Description =>
        "SE-ResNet-50: ResNet-50 with a squeeze-and-excitation gate (reduction 16) on every bottleneck's residual branch. " +
        "Reference 28,088,024 parameters: own count, equal to timm's seresnet50 and the paper's 28.1 M. Inputs under 96 px use ResNet's CIFAR stem.";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("seresnet50", "SE-ResNet-50")
        {
            ReferenceParameters = 28_088_024, ReferenceSource = "own count; equals timm seresnet50 and Hu et al. 2018 Table 2 (28.1 M)",
        },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "seresnet50") throw new ZooConfigException("variant", $"SENet has no variant '{spec.Variant}'; allowed: seresnet50");
        spec.Options.EnsureOnly(Array.Empty<string>());
        return new ResNetModel(new ResNet.Config(true, new[] { 3, 4, 6, 3 }, SqueezeExcite: true), spec.Channels, spec.Classes, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>Two 3×3 convolutions with an identity (or 1×1 projection) shortcut; expansion 1.</summary>
public sealed class BasicBlock : Module<Tensor, Tensor>
{
    public const int Expansion = 1;
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Module<Tensor, Tensor>? downsample;

    public BasicBlock(long inplanes, long planes, long stride, Module<Tensor, Tensor>? downsample) : base(nameof(BasicBlock))
    {
        conv1 = Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
        bn1 = BatchNorm2d(planes);
        relu = ReLU(inplace: true);
        conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
        bn2 = BatchNorm2d(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = relu.call(bn1.call(conv1.call(x)));
        o = bn2.call(conv2.call(o));
        var identity = downsample is null ? x : downsample.call(x);
        return o.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>1×1 reduce → 3×3 (grouped for ResNeXt, strided) → 1×1 expand ×4, with shortcut.</summary>
public sealed class Bottleneck : Module<Tensor, Tensor>
{
    public const int Expansion = 4;
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Conv2d conv3;
    readonly BatchNorm2d bn3;
    readonly ReLU relu;
    readonly SqueezeExcitation? se;
    readonly Module<Tensor, Tensor>? downsample;

    public Bottleneck(long inplanes, long planes, long stride, Module<Tensor, Tensor>? downsample, int groups, int widthPerGroup, bool squeezeExcite = false)
        : base(nameof(Bottleneck))
    {
        long width = (long)(planes * (widthPerGroup / 64.0)) * groups;
        conv1 = Conv2d(inplanes, width, 1, bias: false);
        bn1 = BatchNorm2d(width);
        conv2 = Conv2d(width, width, 3, stride: stride, padding: 1, groups: groups, bias: false);
        bn2 = BatchNorm2d(width);
        conv3 = Conv2d(width, planes * Expansion, 1, bias: false);
        bn3 = BatchNorm2d(planes * Expansion);
        relu = ReLU(inplace: true);
        // SENet: squeeze-and-excitation on the residual branch before the sum, reduction 16.
        if (squeezeExcite) se = new SqueezeExcitation(planes * Expansion, planes * Expansion / 16);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = relu.call(bn1.call(conv1.call(x)));
        o = relu.call(bn2.call(conv2.call(o)));
        o = bn3.call(conv3.call(o));
        if (se is not null) o = se.call(o);
        var identity = downsample is null ? x : downsample.call(x);
        return o.add_(identity).relu_().MoveToOuterDisposeScope();
    }
}

/// <summary>The ResNet module: conv1, bn1, relu, maxpool, layer1–4, avgpool, fc (torchvision's names).</summary>
public sealed class ResNetModel : Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly ReLU relu;
    readonly Module<Tensor, Tensor> maxpool;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Linear fc;

    long _inplanes = 64;

    internal ResNetModel(ResNet.Config cfg, int channels, int classes, bool smallInput) : base("ResNet")
    {
        conv1 = smallInput
            ? Conv2d(channels, 64, 3, stride: 1, padding: 1, bias: false)
            : Conv2d(channels, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = BatchNorm2d(64);
        relu = ReLU(inplace: true);
        maxpool = smallInput ? Identity() : MaxPool2d(3, 2, 1);
        layer1 = MakeLayer(cfg, 64, cfg.Layers[0], 1);
        layer2 = MakeLayer(cfg, 128, cfg.Layers[1], 2);
        layer3 = MakeLayer(cfg, 256, cfg.Layers[2], 2);
        layer4 = MakeLayer(cfg, 512, cfg.Layers[3], 2);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(512 * (cfg.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion), classes);
        RegisterComponents();

        // torchvision's initialisation: He-normal (fan_out) convolutions, unit-scale BatchNorm.
        Init.HeNormal(this);
    }

    Sequential MakeLayer(ResNet.Config cfg, long planes, int blocks, long stride)
    {
        int expansion = cfg.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        Module<Tensor, Tensor>? downsample = null;
        if (stride != 1 || _inplanes != planes * expansion)
            downsample = new PointwiseDownsample(_inplanes, planes * expansion, stride);
        var list = new List<Module<Tensor, Tensor>>();
        for (int i = 0; i < blocks; i++)
        {
            long s = i == 0 ? stride : 1;
            var ds = i == 0 ? downsample : null;
            list.Add(cfg.Bottleneck
                ? new Bottleneck(_inplanes, planes, s, ds, cfg.Groups, cfg.WidthPerGroup, cfg.SqueezeExcite)
                : new BasicBlock(_inplanes, planes, s, ds));
            _inplanes = planes * expansion;
        }
        return Nn.Seq(list.ToArray());
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = maxpool.call(relu.call(bn1.call(conv1.call(x))));
        o = layer4.call(layer3.call(layer2.call(layer1.call(o))));
        o = avgpool.call(o).flatten(1);
        return fc.call(o).MoveToOuterDisposeScope();
    }
}
