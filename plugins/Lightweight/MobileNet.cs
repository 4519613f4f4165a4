using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// MobileNet V2 (Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted Residuals and Linear
/// Bottlenecks", 2018) as torchvision builds it: features.0 stem, features.1–17 InvertedResidual,
/// features.18 1×1 to 1280, classifier (dropout 0.2, linear). Small inputs (shorter side below 96)
/// keep the stem and the first stride-2 stage at stride 1 (total stride 8 instead of 32), as CIFAR
/// ports do, so 32×32 reaches the last block at 4×4.
/// </summary>
public sealed class MobileNetV2 : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "MobileNetV2";
    public string Family => "Lightweight";
    public string Paper => "Sandler et al., MobileNetV2: Inverted Residuals and Linear Bottlenecks";
    public int Year => 2018;
    public string Description =>
        "Inverted residuals (1x1 expand, 3x3 depthwise, linear 1x1 project) with ReLU6; torchvision's layout and names. " +
        "Inputs under 96 px run the stem and the 24-channel stage at stride 1 (total stride 8). Option width_mult (default 1.0).";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("mobilenet_v2", "MobileNet V2 1.0")
        {
            ReferenceParameters = 3_504_872, ReferenceSource = "torchvision mobilenet_v2", DefaultDropout = 0.2,
        },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "mobilenet_v2") throw new ZooConfigException("variant", $"MobileNetV2 has no variant '{spec.Variant}'; allowed: mobilenet_v2");
        spec.Options.EnsureOnly(new[] { "width_mult" });
        double width = spec.Options.GetDouble("width_mult", 1.0, 0.1, 4.0);
        return new MobileNetV2Model(spec.Channels, spec.Classes, width, spec.Dropout ?? 0.2, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>
/// The inverted residual: optional 1×1 expansion (ReLU6), 3×3 depthwise (ReLU6), linear 1×1 projection
/// with BatchNorm; residual when stride 1 and channels unchanged. Keys conv.0…, as torchvision.
/// </summary>
public sealed class InvertedResidual : Module<Tensor, Tensor>
{
    readonly Sequential conv;
    readonly bool _residual;

    public InvertedResidual(long inp, long oup, long stride, double expandRatio) : base(nameof(InvertedResidual))
    {
        long hidden = (long)Math.Round(inp * expandRatio, MidpointRounding.ToEven);
        _residual = stride == 1 && inp == oup;
        var layers = new List<Module<Tensor, Tensor>>();
        if (expandRatio != 1) layers.Add(ConvNormAct.Create(inp, hidden, kernel: 1, act: Act.ReLU6));
        layers.Add(ConvNormAct.Create(hidden, hidden, stride: stride, groups: hidden, act: Act.ReLU6));
        layers.Add(Conv2d(hidden, oup, 1, bias: false));
        layers.Add(BatchNorm2d(oup));
        conv = Nn.Seq(layers.ToArray());
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_residual) return conv.call(x);
        using var y = conv.call(x);
        return x + y;
    }
}

/// <summary>The MobileNet V2 module: features, classifier.</summary>
public sealed class MobileNetV2Model : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly Sequential classifier;

    // t (expansion), c (channels), n (repeats), s (first stride)
    static readonly int[][] Setting =
    {
        new[] { 1, 16, 1, 1 }, new[] { 6, 24, 2, 2 }, new[] { 6, 32, 3, 2 }, new[] { 6, 64, 4, 2 },
        new[] { 6, 96, 3, 1 }, new[] { 6, 160, 3, 2 }, new[] { 6, 320, 1, 1 },
    };

    public MobileNetV2Model(int channels, int classes, double widthMult, double dropout, bool smallInput) : base("MobileNetV2")
    {
        int input = Nn.MakeDivisible(32 * widthMult);
        int last = Nn.MakeDivisible(1280 * Math.Max(1.0, widthMult));
        var layers = new List<Module<Tensor, Tensor>> { ConvNormAct.Create(channels, input, stride: smallInput ? 1 : 2, act: Act.ReLU6) };
        for (int row = 0; row < Setting.Length; row++)
        {
            var (t, c, n, s) = (Setting[row][0], Setting[row][1], Setting[row][2], Setting[row][3]);
            if (smallInput && row == 1) s = 1;
            int output = Nn.MakeDivisible(c * widthMult);
            for (int i = 0; i < n; i++)
            {
                layers.Add(new InvertedResidual(input, output, i == 0 ? s : 1, t));
                input = output;
            }
        }
        layers.Add(ConvNormAct.Create(input, last, kernel: 1, act: Act.ReLU6));
        features = Nn.Seq(layers.ToArray());
        classifier = Nn.Seq(Dropout(dropout), Linear(last, classes));
        RegisterComponents();

        Init.HeNormal(this, linear: Init.SmallNormal);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = features.call(x);
        var pooled = functional.adaptive_avg_pool2d(f, 1).flatten(1);
        return classifier.call(pooled).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// MobileNet V3 (Howard et al., "Searching for MobileNetV3", 2019), Large and Small as torchvision builds
/// them: inverted residuals with optional squeeze-and-excitation (hard-sigmoid gate) and ReLU or
/// hard-swish, BatchNorm eps 0.001 momentum 0.01, a 1×1 to 6× the last width, then Linear–hard-swish–
/// dropout–Linear. Small inputs (shorter side below 96) run the stem and the first stride-2 block at
/// stride 1 (total stride 8).
/// </summary>
public sealed class MobileNetV3 : IArchitecture, IPretrainedWeights
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

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        var (blocks, last) = spec.Variant switch
        {
            "mobilenet_v3_large" => (Large, 1280),
            "mobilenet_v3_small" => (Small, 1024),
            _ => throw new ZooConfigException("variant", $"MobileNetV3 has no variant '{spec.Variant}'; allowed: mobilenet_v3_large, mobilenet_v3_small"),
        };
        spec.Options.EnsureOnly(new[] { "width_mult" });
        double width = spec.Options.GetDouble("width_mult", 1.0, 0.1, 4.0);
        return new MobileNetV3Model(blocks, last, width, spec.Channels, spec.Classes, spec.Dropout ?? 0.2, Nn.IsSmallInput(spec.Height, spec.Width));
    }

    /// <summary>The MobileNet V3 module: features, avgpool, classifier.</summary>
    public sealed class MobileNetV3Model : Module<Tensor, Tensor>
    {
        readonly Sequential features;
        readonly AdaptiveAvgPool2d avgpool;
        readonly Sequential classifier;

        internal MobileNetV3Model(Block[] blocks, int lastChannel, double width, int channels, int classes, double dropout, bool small) : base("MobileNetV3")
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

/// <summary>
/// MobileNet V1 (Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
/// Applications", 2017), Table 1: a 3×3 stride-2 stem and 13 depthwise separable convolutions
/// (32→64→…→1024), global pool, linear; width multiplier α as option "width_mult". torchvision has no
/// MobileNet V1; names are features.N (stem, then blocks with dw/pw) and classifier. Reference: 4,231,976
/// parameters at 3×224×224 with 1000 classes (own count; the paper's 4.2 M). Small inputs (shorter side
/// below 96) run the stem and the first stride-2 block at stride 1.
/// </summary>
public sealed class MobileNetV1 : IArchitecture
{
    public string Name => "MobileNetV1";
    public string Family => "Lightweight";
    public string Paper => "Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications";
    public int Year => 2017;
    public string Description =>
        "Stem conv 3x3/2 then 13 depthwise separable convolutions (depthwise 3x3-BN-ReLU, pointwise 1x1-BN-ReLU), global pool, linear. " +
        "Reference 4,231,976 parameters at 3x224x224/1000 (own count; paper: 4.2 M). Option width_mult. Inputs under 96 px keep the stem and the first stride-2 block at stride 1.";

    static readonly (int Out, int Stride)[] Blocks =
    {
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("mobilenet_v1", "MobileNet V1 1.0") { ReferenceParameters = 4_231_976, ReferenceSource = "own count of Howard et al. 2017 Table 1 (4.2 M)" },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "mobilenet_v1") throw new ZooConfigException("variant", $"MobileNetV1 has no variant '{spec.Variant}'; allowed: mobilenet_v1");
        spec.Options.EnsureOnly(new[] { "width_mult" });
        double width = spec.Options.GetDouble("width_mult", 1.0, 0.1, 4.0);
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        int C(int c) => Math.Max(8, (int)(c * width));
        var layers = new List<Module<Tensor, Tensor>> { ConvNormAct.Create(spec.Channels, C(32), stride: small ? 1 : 2) };
        int inC = C(32);
        bool firstStride2 = true;
        foreach (var (o, s) in Blocks)
        {
            int stride = s;
            if (s == 2 && firstStride2) { firstStride2 = false; if (small) stride = 1; }
            layers.Add(new DepthwiseSeparable(inC, C(o), stride));
            inC = C(o);
        }
        return new MobileNetV1Model(Nn.Seq(layers.ToArray()), inC, spec.Classes, spec.Dropout ?? 0);
    }

    /// <summary>features, global average pool, (dropout,) classifier.</summary>
    public sealed class MobileNetV1Model : Module<Tensor, Tensor>
    {
        readonly Sequential features;
        readonly Dropout dropout;
        readonly Linear classifier;

        public MobileNetV1Model(Sequential features, int lastChannels, int classes, double dropoutRate) : base("MobileNetV1")
        {
            this.features = features;
            dropout = Dropout(dropoutRate);
            classifier = Linear(lastChannels, classes);
            RegisterComponents();
            Init.HeNormal(this);
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var f = functional.adaptive_avg_pool2d(features.call(x), 1).flatten(1);
            return classifier.call(dropout.call(f)).MoveToOuterDisposeScope();
        }
    }
}
