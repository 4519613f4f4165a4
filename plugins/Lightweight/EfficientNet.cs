using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// EfficientNet B0–B7 (Tan &amp; Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
/// Networks", 2019) and EfficientNetV2 S/M/L (Tan &amp; Le, "EfficientNetV2: Smaller Models and Faster
/// Training", 2021) as torchvision builds them: MBConv blocks (1×1 expand, depthwise k×k, squeeze-and-
/// excitation to a quarter of the input width, linear 1×1, stochastic depth rising linearly to 0.2) with
/// SiLU, compound width/depth scaling for B1–B7, and V2's FusedMBConv early stages. Default inputs are
/// torchvision's evaluation crops (B0 224 … B7 600, V2-S 384, V2-M/L 480). Small inputs (shorter side
/// below 96) run the stem and the first stride-2 stage at stride 1 (total stride 8).
/// </summary>
public sealed class EfficientNet : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "EfficientNet";
    public string Family => "Lightweight";
    public string Paper => "Tan & Le, EfficientNet: Rethinking Model Scaling for CNNs (2019); EfficientNetV2: Smaller Models and Faster Training (2021)";
    public int Year => 2019;
    public string Description =>
        "MBConv blocks with squeeze-and-excitation and SiLU, compound-scaled B0-B7; V2 S/M/L with FusedMBConv early stages. Stochastic depth 0.2. " +
        "torchvision's layout and names. Inputs under 96 px run the stem and first stride-2 stage at stride 1.";

    /// <summary>One stage: fused or not, expansion, kernel, stride, input and output channels, layers.</summary>
    internal readonly record struct Stage(bool Fused, double Expand, int Kernel, int Stride, int In, int Out, int Layers);

    internal sealed record Config(Stage[] Stages, int? LastChannel, double Dropout, double BnEps, double BnMomentum, int Input);

    static Stage[] B(double w, double d)
    {
        int C(int c) => Nn.MakeDivisible(c * w);
        int L(int n) => (int)Math.Ceiling(n * d);
        return new Stage[]
        {
            new(false, 1, 3, 1, C(32), C(16), L(1)), new(false, 6, 3, 2, C(16), C(24), L(2)), new(false, 6, 5, 2, C(24), C(40), L(2)),
            new(false, 6, 3, 2, C(40), C(80), L(3)), new(false, 6, 5, 1, C(80), C(112), L(3)), new(false, 6, 5, 2, C(112), C(192), L(4)),
            new(false, 6, 3, 1, C(192), C(320), L(1)),
        };
    }

    static readonly Dictionary<string, (Config Cfg, long Params)> Table = new()
    {
        ["efficientnet_b0"] = (new(B(1.0, 1.0), null, 0.2, 1e-5, 0.1, 224), 5_288_548),
        ["efficientnet_b1"] = (new(B(1.0, 1.1), null, 0.2, 1e-5, 0.1, 240), 7_794_184),
        ["efficientnet_b2"] = (new(B(1.1, 1.2), null, 0.3, 1e-5, 0.1, 288), 9_109_994),
        ["efficientnet_b3"] = (new(B(1.2, 1.4), null, 0.3, 1e-5, 0.1, 300), 12_233_232),
        ["efficientnet_b4"] = (new(B(1.4, 1.8), null, 0.4, 1e-5, 0.1, 380), 19_341_616),
        ["efficientnet_b5"] = (new(B(1.6, 2.2), null, 0.4, 1e-3, 0.01, 456), 30_389_784),
        ["efficientnet_b6"] = (new(B(1.8, 2.6), null, 0.5, 1e-3, 0.01, 528), 43_040_704),
        ["efficientnet_b7"] = (new(B(2.0, 3.1), null, 0.5, 1e-3, 0.01, 600), 66_347_960),
        ["efficientnet_v2_s"] = (new(new Stage[]
        {
            new(true, 1, 3, 1, 24, 24, 2), new(true, 4, 3, 2, 24, 48, 4), new(true, 4, 3, 2, 48, 64, 4),
            new(false, 4, 3, 2, 64, 128, 6), new(false, 6, 3, 1, 128, 160, 9), new(false, 6, 3, 2, 160, 256, 15),
        }, 1280, 0.2, 1e-3, 0.1, 384), 21_458_488),
        ["efficientnet_v2_m"] = (new(new Stage[]
        {
            new(true, 1, 3, 1, 24, 24, 3), new(true, 4, 3, 2, 24, 48, 5), new(true, 4, 3, 2, 48, 80, 5),
            new(false, 4, 3, 2, 80, 160, 7), new(false, 6, 3, 1, 160, 176, 14), new(false, 6, 3, 2, 176, 304, 18), new(false, 6, 3, 1, 304, 512, 5),
        }, 1280, 0.3, 1e-3, 0.1, 480), 54_139_356),
        ["efficientnet_v2_l"] = (new(new Stage[]
        {
            new(true, 1, 3, 1, 32, 32, 4), new(true, 4, 3, 2, 32, 64, 7), new(true, 4, 3, 2, 64, 96, 7),
            new(false, 4, 3, 2, 96, 192, 10), new(false, 6, 3, 1, 192, 224, 19), new(false, 6, 3, 2, 224, 384, 25), new(false, 6, 3, 1, 384, 640, 7),
        }, 1280, 0.4, 1e-3, 0.1, 480), 118_515_272),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, kv.Key.Replace("efficientnet_", "EfficientNet-").ToUpperInvariant().Replace("EFFICIENTNET", "EfficientNet"))
        {
            DefaultInput = new InputShape(3, kv.Value.Cfg.Input, kv.Value.Cfg.Input),
            ReferenceParameters = kv.Value.Params, ReferenceSource = $"torchvision {kv.Key}",
            DefaultDropout = kv.Value.Cfg.Dropout, DefaultStochasticDepth = 0.2,
        }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"EfficientNet has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        return new EfficientNetModel(row.Cfg, spec.Channels, spec.Classes, spec.Dropout ?? row.Cfg.Dropout, spec.StochasticDepth ?? 0.2,
            Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>MBConv: 1×1 expand (SiLU), depthwise k×k (SiLU), SE (quarter of the input width), linear 1×1; stochastic depth on the residual.</summary>
public sealed class MBConv : Module<Tensor, Tensor>
{
    readonly Sequential block;
    readonly StochasticDepth stochastic_depth;
    readonly bool _residual;

    public MBConv(int inC, int outC, double expand, int kernel, int stride, double dropPath, double eps, double momentum) : base(nameof(MBConv))
    {
        _residual = stride == 1 && inC == outC;
        int expanded = Nn.MakeDivisible(inC * expand);
        var layers = new List<Module<Tensor, Tensor>>();
        if (expanded != inC) layers.Add(ConvNormAct.Create(inC, expanded, kernel: 1, act: Act.SiLU, bnEps: eps, bnMomentum: momentum));
        layers.Add(ConvNormAct.Create(expanded, expanded, kernel: kernel, stride: stride, groups: expanded, act: Act.SiLU, bnEps: eps, bnMomentum: momentum));
        layers.Add(new SqueezeExcitation(expanded, Math.Max(1, inC / 4), Act.SiLU, Act.Sigmoid));
        layers.Add(ConvNormAct.Create(expanded, outC, kernel: 1, act: Act.None, bnEps: eps, bnMomentum: momentum));
        block = Nn.Seq(layers.ToArray());
        stochastic_depth = new StochasticDepth(dropPath);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_residual) return block.call(x);
        using var scope = NewDisposeScope();
        return stochastic_depth.call(block.call(x)).add_(x).MoveToOuterDisposeScope();
    }
}

/// <summary>FusedMBConv (EfficientNetV2): one k×k expand (SiLU) then linear 1×1, or a single k×k when there is no expansion.</summary>
public sealed class FusedMBConv : Module<Tensor, Tensor>
{
    readonly Sequential block;
    readonly StochasticDepth stochastic_depth;
    readonly bool _residual;

    public FusedMBConv(int inC, int outC, double expand, int kernel, int stride, double dropPath, double eps, double momentum) : base(nameof(FusedMBConv))
    {
        _residual = stride == 1 && inC == outC;
        int expanded = Nn.MakeDivisible(inC * expand);
        block = expanded != inC
            ? Nn.Seq(ConvNormAct.Create(inC, expanded, kernel: kernel, stride: stride, act: Act.SiLU, bnEps: eps, bnMomentum: momentum),
                     ConvNormAct.Create(expanded, outC, kernel: 1, act: Act.None, bnEps: eps, bnMomentum: momentum))
            : Nn.Seq(ConvNormAct.Create(inC, outC, kernel: kernel, stride: stride, act: Act.SiLU, bnEps: eps, bnMomentum: momentum));
        stochastic_depth = new StochasticDepth(dropPath);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_residual) return block.call(x);
        using var scope = NewDisposeScope();
        return stochastic_depth.call(block.call(x)).add_(x).MoveToOuterDisposeScope();
    }
}

/// <summary>features (stem, stages, head conv), avgpool, classifier.</summary>
public sealed class EfficientNetModel : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    internal EfficientNetModel(EfficientNet.Config cfg, int channels, int classes, double dropout, double dropPath, bool small) : base("EfficientNet")
    {
        var (eps, momentum) = (cfg.BnEps, cfg.BnMomentum);
        var layers = new List<Module<Tensor, Tensor>>
        {
            ConvNormAct.Create(channels, cfg.Stages[0].In, stride: small ? 1 : 2, act: Act.SiLU, bnEps: eps, bnMomentum: momentum),
        };
        int total = cfg.Stages.Sum(s => s.Layers), id = 0;
        int firstStride2 = Array.FindIndex(cfg.Stages, s => s.Stride == 2);
        for (int si = 0; si < cfg.Stages.Length; si++)
        {
            var s = cfg.Stages[si];
            var stage = new List<Module<Tensor, Tensor>>();
            for (int i = 0; i < s.Layers; i++, id++)
            {
                int inC = i == 0 ? s.In : s.Out;
                int stride = i > 0 ? 1 : small && si == firstStride2 ? 1 : s.Stride;
                double p = dropPath * id / total;
                stage.Add(s.Fused
                    ? new FusedMBConv(inC, s.Out, s.Expand, s.Kernel, stride, p, eps, momentum)
                    : new MBConv(inC, s.Out, s.Expand, s.Kernel, stride, p, eps, momentum));
            }
            layers.Add(Nn.Seq(stage.ToArray()));
        }
        int lastIn = cfg.Stages[^1].Out, lastOut = cfg.LastChannel ?? 4 * lastIn;
        layers.Add(ConvNormAct.Create(lastIn, lastOut, kernel: 1, act: Act.SiLU, bnEps: eps, bnMomentum: momentum));
        features = Nn.Seq(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Nn.Seq(Dropout(dropout), Linear(lastOut, classes));
        RegisterComponents();

        Init.HeNormal(this, linear: l =>
        {
            double range = 1.0 / Math.Sqrt(l.weight!.shape[0]);
            init.uniform_(l.weight, -range, range);
            init.zeros_(l.bias);
        });
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = avgpool.call(features.call(x)).flatten(1);
        return classifier.call(f).MoveToOuterDisposeScope();
    }
}
