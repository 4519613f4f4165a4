using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// MobileNet V2 (Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
/// 2018) as torchvision builds it: features.0 stem, features.1–17 InvertedResidual (Table 2's t, c, n, s),
/// features.18 1×1 to 1280, classifier (dropout 0.2, linear). Where the paper leaves details open Zoo follows
/// torchvision, so its weights load: channels scaled by option "width_mult" are rounded to multiples of 8 (the
/// last 1280 is never scaled down, as the paper says), and the classifier has a dropout of 0.2. Small inputs
/// (shorter side below 96) keep the stem and the first stride-2 stage at stride 1 (total stride 8 instead of 32),
/// as CIFAR ports do, so 32×32 reaches the last block at 4×4.
/// </summary>
public sealed class MobileNetV2 : IArchitecture, IPretrainedWeights, IArchitectureOptions
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

    public IReadOnlyList<ParameterInfo> Options { get; } = new ParameterInfo[] { CommonOptions.WidthMult };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "mobilenet_v2") throw new ZooConfigException("variant", $"MobileNetV2 has no variant '{spec.Variant}'; allowed: mobilenet_v2");
        spec.Options.EnsureOnly(Options);
        double width = CommonOptions.WidthMult.Read(spec.Options);
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
