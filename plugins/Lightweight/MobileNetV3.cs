using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// MobileNet V3 (Howard, Sandler, Chu, Chen, Chen, Tan, Wang, Zhu, Pang, Vasudevan, Le, Adam, "Searching for
/// MobileNetV3", 2019), Large and Small (Tables 1 and 2) as torchvision builds them: inverted residuals with
/// optional squeeze-and-excitation (hard-sigmoid gate) and ReLU or hard-swish, BatchNorm eps 0.001 momentum 0.01,
/// a 1×1 to 6× the last width, then Linear–hard-swish–dropout–Linear. Where the paper leaves details open Zoo
/// follows torchvision, so its weights load: the squeeze-and-excitation width (a quarter of the expanded width,
/// as the paper says) is rounded to a multiple of 8, as are channels scaled by option "width_mult", and the
/// classifier has a dropout of 0.2. Small inputs (shorter side below 96) run the stem and the first stride-2
/// block at stride 1 (total stride 8), so a 32×32 image reaches the last block as 4×4.
/// </summary>
public sealed class MobileNetV3 : IArchitecture, IPretrainedWeights, IArchitectureOptions
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "MobileNetV3";
    public string Family => "Lightweight";
    public string Paper => "Howard et al., Searching for MobileNetV3";
    public int Year => 2019;
    public string Description =>
        "NAS-found inverted residuals with squeeze-and-excitation (hard-sigmoid) and hard-swish; Large and Small. torchvision's layout and names. " +
        "Inputs under 96 px run the stem and the first stride-2 block at stride 1. Option width_mult (default 1.0).";

    /// <summary>One block: input, kernel, expanded, output channels, SE, hard-swish, stride.</summary>
    internal readonly record struct Block(int In, int Kernel, int Expanded, int Out, bool SE, bool HardSwish, int Stride);

    static readonly Block[] Large =
    {
        new(16, 3, 16, 16, false, false, 1), new(16, 3, 64, 24, false, false, 2), new(24, 3, 72, 24, false, false, 1),
        new(24, 5, 72, 40, true, false, 2), new(40, 5, 120, 40, true, false, 1), new(40, 5, 120, 40, true, false, 1),
        new(40, 3, 240, 80, false, true, 2), new(80, 3, 200, 80, false, true, 1), new(80, 3, 184, 80, false, true, 1), new(80, 3, 184, 80, false, true, 1),
        new(80, 3, 480, 112, true, true, 1), new(112, 3, 672, 112, true, true, 1),
        new(112, 5, 672, 160, true, true, 2), new(160, 5, 960, 160, true, true, 1), new(160, 5, 960, 160, true, true, 1),
    };

    static readonly Block[] Small =
    {
        new(16, 3, 16, 16, true, false, 2), new(16, 3, 72, 24, false, false, 2), new(24, 3, 88, 24, false, false, 1),
        new(24, 5, 96, 40, true, true, 2), new(40, 5, 240, 40, true, true, 1), new(40, 5, 240, 40, true, true, 1),
        new(40, 5, 120, 48, true, true, 1), new(48, 5, 144, 48, true, true, 1),
        new(48, 5, 288, 96, true, true, 2), new(96, 5, 576, 96, true, true, 1), new(96, 5, 576, 96, true, true, 1),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("mobilenet_v3_large", "MobileNet V3 Large") { ReferenceParameters = 5_483_032, ReferenceSource = "torchvision mobilenet_v3_large", DefaultDropout = 0.2 },
        new ArchitectureVariant("mobilenet_v3_small", "MobileNet V3 Small") { ReferenceParameters = 2_542_856, ReferenceSource = "torchvision mobilenet_v3_small", DefaultDropout = 0.2 },
    };

    public IReadOnlyList<ParameterInfo> Options { get; } = new ParameterInfo[] { CommonOptions.WidthMult };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        var (blocks, last) = spec.Variant switch
        {
            "mobilenet_v3_large" => (Large, 1280),
            "mobilenet_v3_small" => (Small, 1024),
            _ => throw new ZooConfigException("variant", $"MobileNetV3 has no variant '{spec.Variant}'; allowed: mobilenet_v3_large, mobilenet_v3_small"),
        };
        spec.Options.EnsureOnly(Options);
        double width = CommonOptions.WidthMult.Read(spec.Options);
        return new MobileNetV3Model(blocks, last, width, spec.Channels, spec.Classes, spec.Dropout ?? 0.2, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>
/// MobileNet V3's block: optional 1×1 expansion, k×k depthwise, optional squeeze-and-excitation
/// (squeeze to expanded/4 rounded to 8, hard-sigmoid gate), linear 1×1 projection; residual when shapes
/// allow. Keys block.N, as torchvision.
/// </summary>
public sealed class V3InvertedResidual : Module<Tensor, Tensor>
{
    readonly Sequential block;
    readonly bool _residual;

    public V3InvertedResidual(int inC, int kernel, int expanded, int outC, bool se, Act act, int stride, double eps, double momentum)
        : base("InvertedResidual")
    {
        _residual = stride == 1 && inC == outC;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expanded != inC) layers.Add(ConvNormAct.Create(inC, expanded, kernel: 1, act: act, bnEps: eps, bnMomentum: momentum));
        layers.Add(ConvNormAct.Create(expanded, expanded, kernel: kernel, stride: stride, groups: expanded, act: act, bnEps: eps, bnMomentum: momentum));
        if (se) layers.Add(new SqueezeExcitation(expanded, Nn.MakeDivisible(expanded / 4, 8), Act.ReLU, Act.Hardsigmoid));
        layers.Add(ConvNormAct.Create(expanded, outC, kernel: 1, act: Act.None, bnEps: eps, bnMomentum: momentum));
        block = Nn.Seq(layers.ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_residual) return block.call(x);
        using var y = block.call(x);
        return y + x;
    }
}

/// <summary>The MobileNet V3 module: features, avgpool, classifier.</summary>
public sealed class MobileNetV3Model : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    internal MobileNetV3Model(MobileNetV3.Block[] blocks, int lastChannel, double width, int channels, int classes, double dropout, bool small) : base("MobileNetV3")
    {
        int Adjust(int c) => Nn.MakeDivisible(c * width);
        const double eps = 0.001, momentum = 0.01;
        int firstStride2 = Array.FindIndex(blocks, b => b.Stride == 2);
        var layers = new List<Module<Tensor, Tensor>>
        {
            ConvNormAct.Create(channels, Adjust(blocks[0].In), stride: small ? 1 : 2, act: Act.Hardswish, bnEps: eps, bnMomentum: momentum),
        };
        for (int i = 0; i < blocks.Length; i++)
        {
            var b = blocks[i];
            int stride = small && i == firstStride2 ? 1 : b.Stride;
            layers.Add(new V3InvertedResidual(Adjust(b.In), b.Kernel, Adjust(b.Expanded), Adjust(b.Out), b.SE, b.HardSwish ? Act.Hardswish : Act.ReLU, stride, eps, momentum));
        }
        int lastIn = Adjust(blocks[^1].Out), lastOut = 6 * lastIn;
        layers.Add(ConvNormAct.Create(lastIn, lastOut, kernel: 1, act: Act.Hardswish, bnEps: eps, bnMomentum: momentum));
        features = Nn.Seq(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Nn.Seq(Linear(lastOut, lastChannel), Hardswish(inplace: true), Dropout(dropout), Linear(lastChannel, classes));
        RegisterComponents();

        Init.HeNormal(this, linear: Init.SmallNormal);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = avgpool.call(features.call(x)).flatten(1);
        return classifier.call(f).MoveToOuterDisposeScope();
    }
}
