using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// MNASNet (Tan et al., "MnasNet: Platform-Aware Neural Architecture Search for Mobile", 2019), the B1
/// network at depth multipliers 0.5/0.75/1.0/1.3 as torchvision builds it (version 2: the stem scales
/// too): a separable stem, six stacks of inverted residuals (3×3 or 5×5 depthwise, expansion 3 or 6),
/// 1×1 to 1280, dropout 0.2, linear. BatchNorm momentum 0.0003 as the TensorFlow original.
/// Small inputs (shorter side below 96) run the stem and the first stack at stride 1 (total stride 8).
/// </summary>
public sealed class MNASNet : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "MNASNet";
    public string Family => "Lightweight";
    public string Paper => "Tan et al., MnasNet: Platform-Aware Neural Architecture Search for Mobile";
    public int Year => 2019;
    public string Description =>
        "Searched inverted-residual network (B1): separable stem, stacks of 3x3/5x5 depthwise inverted residuals with expansion 3 or 6, 1x1 to 1280. " +
        "torchvision's layout and names (version 2). Inputs under 96 px run the stem and first stack at stride 1.";

    const double BnMomentum = 1 - 0.9997;

    static readonly Dictionary<string, (double Alpha, long Params)> Table = new()
    {
        ["mnasnet0_5"] = (0.5, 2_218_512), ["mnasnet0_75"] = (0.75, 3_170_208),
        ["mnasnet1_0"] = (1.0, 4_383_312), ["mnasnet1_3"] = (1.3, 6_282_256),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, $"MNASNet {kv.Value.Alpha}") { ReferenceParameters = kv.Value.Params, ReferenceSource = $"torchvision {kv.Key}", DefaultDropout = 0.2 }).ToArray();

    /// <summary>torchvision's _round_to_multiple_of: the divisible-by-8 rounding with a 0.9 round-up bias.</summary>
    static int Round(double value) => Nn.MakeDivisible(value, 8);

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"MNASNet has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        var d = new[] { 32, 16, 24, 40, 80, 96, 192, 320 }.Select(x => Round(x * row.Alpha)).ToArray();
        Module<Tensor, Tensor> Bn(long c) => BatchNorm2d(c, momentum: BnMomentum);
        var layers = new List<Module<Tensor, Tensor>>
        {
            Conv2d(spec.Channels, d[0], 3, stride: small ? 1 : 2, padding: 1, bias: false), Bn(d[0]), ReLU(inplace: true),
            Conv2d(d[0], d[0], 3, padding: 1, groups: d[0], bias: false), Bn(d[0]), ReLU(inplace: true),
            Conv2d(d[0], d[1], 1, bias: false), Bn(d[1]),
            Stack(d[1], d[2], 3, small ? 1 : 2, 3, 3), Stack(d[2], d[3], 5, 2, 3, 3), Stack(d[3], d[4], 5, 2, 6, 3),
            Stack(d[4], d[5], 3, 1, 6, 2), Stack(d[5], d[6], 5, 2, 6, 4), Stack(d[6], d[7], 3, 1, 6, 1),
            Conv2d(d[7], 1280, 1, bias: false), Bn(1280), ReLU(inplace: true),
        };
        return new MNASNetModel(Nn.Seq(layers.ToArray()), spec.Classes, spec.Dropout ?? 0.2);
    }

    static Sequential Stack(long inC, long outC, long kernel, long stride, long expansion, int repeats) =>
        Nn.Seq(Enumerable.Range(0, repeats).Select(i =>
            (Module<Tensor, Tensor>)new MnasInvertedResidual(i == 0 ? inC : outC, outC, kernel, i == 0 ? stride : 1, expansion, BnMomentum)).ToArray());
}

/// <summary>1×1 expand (ReLU), k×k depthwise (ReLU), linear 1×1 project; residual when shapes allow. Keys layers.N.</summary>
public sealed class MnasInvertedResidual : Module<Tensor, Tensor>
{
    readonly Sequential layers;
    readonly bool _residual;

    public MnasInvertedResidual(long inC, long outC, long kernel, long stride, long expansion, double bnMomentum) : base("_InvertedResidual")
    {
        long mid = inC * expansion;
        _residual = inC == outC && stride == 1;
        layers = Nn.Seq(
            Conv2d(inC, mid, 1, bias: false), BatchNorm2d(mid, momentum: bnMomentum), ReLU(inplace: true),
            Conv2d(mid, mid, kernel, stride: stride, padding: kernel / 2, groups: mid, bias: false), BatchNorm2d(mid, momentum: bnMomentum), ReLU(inplace: true),
            Conv2d(mid, outC, 1, bias: false), BatchNorm2d(outC, momentum: bnMomentum));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        if (!_residual) return layers.call(x);
        using var y = layers.call(x);
        return y + x;
    }
}

/// <summary>layers, global mean, classifier (dropout, linear).</summary>
public sealed class MNASNetModel : Module<Tensor, Tensor>
{
    readonly Sequential layers;
    readonly Sequential classifier;

    public MNASNetModel(Sequential layers, int classes, double dropout) : base("MNASNet")
    {
        this.layers = layers;
        classifier = Nn.Seq(Dropout(dropout), Linear(1280, classes));
        RegisterComponents();
        Init.HeNormal(this, linear: l =>
        {
            init.kaiming_uniform_(l.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.Sigmoid);
            init.zeros_(l.bias);
        });
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = layers.call(x).mean(new long[] { 2, 3 });
        return classifier.call(f).MoveToOuterDisposeScope();
    }
}
