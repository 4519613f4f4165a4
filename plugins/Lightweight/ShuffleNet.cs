using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// ShuffleNet V2 (Ma, Zhang, Zheng, Sun, "ShuffleNet V2: Practical Guidelines for Efficient CNN
/// Architecture Design", 2018) at widths ×0.5/×1.0/×1.5/×2.0 as torchvision builds it: channel split,
/// a 1×1–depthwise 3×3–1×1 branch, concatenation and channel shuffle; stride-2 units run both branches.
/// Small inputs (shorter side below 96) run conv1 at stride 1 without the max-pool (total stride 8).
/// </summary>
public sealed class ShuffleNetV2 : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "ShuffleNetV2";
    public string Family => "Lightweight";
    public string Paper => "Ma et al., ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design";
    public int Year => 2018;
    public string Description =>
        "Units of channel split, 1x1 / depthwise 3x3 / 1x1 branch, concat and channel shuffle (groups 2); stages of 4, 8, 4 units. " +
        "torchvision's layout and names. Inputs under 96 px run conv1 at stride 1 without max-pool.";

    static readonly Dictionary<string, (int[] Channels, long Params)> Table = new()
    {
        ["shufflenet_v2_x0_5"] = (new[] { 24, 48, 96, 192, 1024 }, 1_366_792),
        ["shufflenet_v2_x1_0"] = (new[] { 24, 116, 232, 464, 1024 }, 2_278_604),
        ["shufflenet_v2_x1_5"] = (new[] { 24, 176, 352, 704, 1024 }, 3_503_624),
        ["shufflenet_v2_x2_0"] = (new[] { 24, 244, 488, 976, 2048 }, 7_393_996),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, $"ShuffleNet V2 x{kv.Key[^3..].Replace('_', '.')}") { ReferenceParameters = kv.Value.Params, ReferenceSource = $"torchvision {kv.Key}" }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"ShuffleNetV2 has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        return new ShuffleNetV2Model(row.Channels, spec.Channels, spec.Classes, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>ShuffleNet V2 unit: branch1 (stride 2 only) and branch2, concatenated and shuffled.</summary>
public sealed class ShuffleUnit : Module<Tensor, Tensor>
{
    readonly Sequential branch1, branch2;
    readonly long _stride;

    public ShuffleUnit(long inp, long oup, long stride) : base("InvertedResidual")
    {
        long bf = oup / 2;
        _stride = stride;
        branch1 = stride > 1
            ? Nn.Seq(Conv2d(inp, inp, 3, stride: stride, padding: 1, groups: inp, bias: false), BatchNorm2d(inp),
                     Conv2d(inp, bf, 1, bias: false), BatchNorm2d(bf), ReLU(inplace: true))
            : Nn.Seq();
        branch2 = Nn.Seq(
            Conv2d(stride > 1 ? inp : bf, bf, 1, bias: false), BatchNorm2d(bf), ReLU(inplace: true),
            Conv2d(bf, bf, 3, stride: stride, padding: 1, groups: bf, bias: false), BatchNorm2d(bf),
            Conv2d(bf, bf, 1, bias: false), BatchNorm2d(bf), ReLU(inplace: true));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor o;
        if (_stride == 1)
        {
            var halves = x.chunk(2, 1);
            o = torch.cat(new[] { halves[0], branch2.call(halves[1]) }, 1);
        }
        else o = torch.cat(new[] { branch1.call(x), branch2.call(x) }, 1);
        return Channels.Shuffle(o, 2).MoveToOuterDisposeScope();
    }
}

/// <summary>conv1, maxpool, stage2–4, conv5, fc (torchvision's names).</summary>
public sealed class ShuffleNetV2Model : Module<Tensor, Tensor>
{
    readonly Sequential conv1, stage2, stage3, stage4, conv5;
    readonly Module<Tensor, Tensor> maxpool;
    readonly Linear fc;

    public ShuffleNetV2Model(int[] c, int channels, int classes, bool small) : base("ShuffleNetV2")
    {
        conv1 = Nn.Seq(Conv2d(channels, c[0], 3, stride: small ? 1 : 2, padding: 1, bias: false), BatchNorm2d(c[0]), ReLU(inplace: true));
        maxpool = small ? Identity() : MaxPool2d(3, 2, 1);
        Sequential Stage(long inp, long oup, int repeats) =>
            Nn.Seq(Enumerable.Range(0, repeats).Select(i => (Module<Tensor, Tensor>)new ShuffleUnit(i == 0 ? inp : oup, oup, i == 0 ? 2 : 1)).ToArray());
        stage2 = Stage(c[0], c[1], 4);
        stage3 = Stage(c[1], c[2], 8);
        stage4 = Stage(c[2], c[3], 4);
        conv5 = Nn.Seq(Conv2d(c[3], c[4], 1, bias: false), BatchNorm2d(c[4]), ReLU(inplace: true));
        fc = Linear(c[4], classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = stage4.call(stage3.call(stage2.call(maxpool.call(conv1.call(x)))));
        o = conv5.call(o).mean(new long[] { 2, 3 });
        return fc.call(o).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// ShuffleNet V1 (Zhang, Zhou, Lin, Sun, "ShuffleNet: An Extremely Efficient Convolutional Neural Network
/// for Mobile Devices", 2018), 1× with g = 3 (Table 1: 240/480/960 channels, 4/8/4 units): units of grouped
/// 1×1 → channel shuffle → depthwise 3×3 → grouped 1×1, added to the input, or at stride 2 concatenated
/// with a 3×3 average-pooled shortcut. The first unit's first 1×1 is not grouped (24 input channels).
/// torchvision has none; names conv1, stage2–4, fc. Reference: own count at 3×224×224/1000 (paper: about
/// 1.9 M). Small inputs (shorter side below 96) run conv1 at stride 1 without the max-pool.
/// </summary>
public sealed class ShuffleNetV1 : IArchitecture
{
    public string Name => "ShuffleNetV1";
    public string Family => "Lightweight";
    public string Paper => "Zhang et al., ShuffleNet: An Extremely Efficient Convolutional Neural Network for Mobile Devices";
    public int Year => 2018;
    public string Description =>
        "Grouped 1x1 convolutions with channel shuffle around a depthwise 3x3, residual add (stride 1) or avg-pool concat (stride 2); 1x, g=3. " +
        "Reference: own count at 3x224x224/1000. Inputs under 96 px run conv1 at stride 1 without max-pool.";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("shufflenet_v1_g3", "ShuffleNet V1 1x, g=3") { ReferenceParameters = 1_865_728, ReferenceSource = "own count of Zhang et al. 2018 Table 1 (1x, g=3)" },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "shufflenet_v1_g3") throw new ZooConfigException("variant", $"ShuffleNetV1 has no variant '{spec.Variant}'; allowed: shufflenet_v1_g3");
        spec.Options.EnsureOnly(Array.Empty<string>());
        return new ShuffleNetV1Model(spec.Channels, spec.Classes, 3, new[] { 240, 480, 960 }, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>ShuffleNet V1 unit (Figure 2 b/c).</summary>
public sealed class ShuffleV1Unit : Module<Tensor, Tensor>
{
    readonly Sequential compress, depthwise, expand;
    readonly long _groups, _stride;

    public ShuffleV1Unit(long inC, long outC, long stride, long groups, bool groupFirst) : base(nameof(ShuffleV1Unit))
    {
        _groups = groupFirst ? groups : 1;
        _stride = stride;
        long branchOut = stride == 2 ? outC - inC : outC;
        long mid = outC / 4;
        compress = Nn.Seq(Conv2d(inC, mid, 1, groups: _groups, bias: false), BatchNorm2d(mid), ReLU(inplace: true));
        depthwise = Nn.Seq(Conv2d(mid, mid, 3, stride: stride, padding: 1, groups: mid, bias: false), BatchNorm2d(mid));
        expand = Nn.Seq(Conv2d(mid, branchOut, 1, groups: groups, bias: false), BatchNorm2d(branchOut));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = compress.call(x);
        if (_groups > 1) o = Channels.Shuffle(o, _groups);
        o = expand.call(depthwise.call(o));
        var merged = _stride == 2 ? torch.cat(new[] { functional.avg_pool2d(x, 3, 2, 1), o }, 1) : o.add_(x);
        return functional.relu(merged).MoveToOuterDisposeScope();
    }
}

/// <summary>conv1, maxpool, stage2–4, global pool, fc.</summary>
public sealed class ShuffleNetV1Model : Module<Tensor, Tensor>
{
    readonly Sequential conv1, stage2, stage3, stage4;
    readonly Module<Tensor, Tensor> maxpool;
    readonly Linear fc;

    public ShuffleNetV1Model(int channels, int classes, int groups, int[] widths, bool small) : base("ShuffleNetV1")
    {
        conv1 = Nn.Seq(Conv2d(channels, 24, 3, stride: small ? 1 : 2, padding: 1, bias: false), BatchNorm2d(24), ReLU(inplace: true));
        maxpool = small ? Identity() : MaxPool2d(3, 2, 1);
        Sequential Stage(long inC, long outC, int units, bool first) => Nn.Seq(Enumerable.Range(0, units).Select(i =>
            (Module<Tensor, Tensor>)new ShuffleV1Unit(i == 0 ? inC : outC, outC, i == 0 ? 2 : 1, groups, groupFirst: !(first && i == 0))).ToArray());
        stage2 = Stage(24, widths[0], 4, true);
        stage3 = Stage(widths[0], widths[1], 8, false);
        stage4 = Stage(widths[1], widths[2], 4, false);
        fc = Linear(widths[2], classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = stage4.call(stage3.call(stage2.call(maxpool.call(conv1.call(x)))));
        return fc.call(o.mean(new long[] { 2, 3 })).MoveToOuterDisposeScope();
    }
}
