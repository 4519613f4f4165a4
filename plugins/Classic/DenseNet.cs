using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Zoo.Plugins.Classic;

/// <summary>
/// DenseNet (Huang, Liu, van der Maaten, Weinberger, "Densely Connected Convolutional Networks", 2017),
/// DenseNet-BC as torchvision builds it: each layer BN-ReLU-1×1 (4·k) → BN-ReLU-3×3 (k) and sees the
/// concatenation of all earlier maps of its block; transitions halve channels and resolution. Names
/// features.conv0 … features.denseblockN.denselayerM … features.norm5, classifier. Small inputs (shorter
/// side below 96) use a 3×3 stride-1 conv0 and no pool0, as the paper's CIFAR networks do.
/// </summary>
public sealed class DenseNet : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "DenseNet";
    public string Family => "Classic";
    public string Paper => "Huang et al., Densely Connected Convolutional Networks";
    public int Year => 2017;
    public string Description =>
        "Dense blocks of BN-ReLU-conv1x1-BN-ReLU-conv3x3 layers (growth k, bottleneck 4k) with concatenated inputs, transitions with compression 0.5; " +
        "torchvision's layout and names. Inputs under 96 px use a 3x3 stride-1 stem without max-pool.";

    internal sealed record Config(int Growth, int[] Blocks, int InitFeatures);

    static readonly Dictionary<string, (Config Cfg, long Params)> Table = new()
    {
        ["densenet121"] = (new(32, new[] { 6, 12, 24, 16 }, 64), 7_978_856),
        ["densenet161"] = (new(48, new[] { 6, 12, 36, 24 }, 96), 28_681_000),
        ["densenet169"] = (new(32, new[] { 6, 12, 32, 32 }, 64), 14_149_480),
        ["densenet201"] = (new(32, new[] { 6, 12, 48, 32 }, 64), 20_013_928),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, $"DenseNet-{kv.Key[8..]}") { ReferenceParameters = kv.Value.Params, ReferenceSource = $"torchvision {kv.Key}" }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"DenseNet has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(new[] { "memory_efficient" });
        return new DenseNetModel(row.Cfg, spec.Channels, spec.Classes, spec.Dropout ?? 0, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>BN-ReLU-conv1×1 to bn_size·growth, BN-ReLU-conv3×3 to growth; keys norm1, conv1, norm2, conv2.</summary>
public sealed class DenseLayer : Module<Tensor, Tensor>
{
    readonly BatchNorm2d norm1, norm2;
    readonly ReLU relu1, relu2;
    readonly Conv2d conv1, conv2;
    readonly double _drop;

    public DenseLayer(long inC, long growth, long bnSize, double drop) : base("_DenseLayer")
    {
        norm1 = BatchNorm2d(inC);
        relu1 = ReLU(inplace: true);
        conv1 = Conv2d(inC, bnSize * growth, 1, bias: false);
        norm2 = BatchNorm2d(bnSize * growth);
        relu2 = ReLU(inplace: true);
        conv2 = Conv2d(bnSize * growth, growth, 3, padding: 1, bias: false);
        _drop = drop;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = conv2.call(relu2.call(norm2.call(conv1.call(relu1.call(norm1.call(x))))));
        if (_drop > 0) o = F.dropout(o, _drop, training);
        return o.MoveToOuterDisposeScope();
    }
}

/// <summary>A dense block: each layer's output is concatenated to its input (denselayer1…N).</summary>
public sealed class DenseBlock : Module<Tensor, Tensor>
{
    readonly List<DenseLayer> _layers = new();

    public DenseBlock(int count, long inC, long growth, long bnSize, double drop) : base("_DenseBlock")
    {
        for (int i = 0; i < count; i++)
        {
            var layer = new DenseLayer(inC + i * growth, growth, bnSize, drop);
            _layers.Add(layer);
            register_module($"denselayer{i + 1}", layer);
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var features = x;
        foreach (var layer in _layers) features = torch.cat(new[] { features, layer.call(features) }, 1);
        return features.MoveToOuterDisposeScope();
    }
}

/// <summary>The DenseNet module: features, classifier.</summary>
public sealed class DenseNetModel : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly Linear classifier;

    internal DenseNetModel(DenseNet.Config cfg, int channels, int classes, double drop, bool small) : base("DenseNet")
    {
        var named = new List<(string, Module<Tensor, Tensor>)>
        {
            ("conv0", small ? Conv2d(channels, cfg.InitFeatures, 3, padding: 1, bias: false) : Conv2d(channels, cfg.InitFeatures, 7, stride: 2, padding: 3, bias: false)),
            ("norm0", BatchNorm2d(cfg.InitFeatures)),
            ("relu0", ReLU(inplace: true)),
            ("pool0", small ? Identity() : MaxPool2d(3, 2, 1)),
        };
        long n = cfg.InitFeatures;
        for (int i = 0; i < cfg.Blocks.Length; i++)
        {
            named.Add(($"denseblock{i + 1}", new DenseBlock(cfg.Blocks[i], n, cfg.Growth, 4, drop)));
            n += cfg.Blocks[i] * cfg.Growth;
            if (i < cfg.Blocks.Length - 1)
            {
                named.Add(($"transition{i + 1}", Sequential(("norm", BatchNorm2d(n)), ("relu", ReLU(inplace: true)),
                    ("conv", Conv2d(n, n / 2, 1, bias: false)), ("pool", AvgPool2d(2, 2)))));
                n /= 2;
            }
        }
        named.Add(("norm5", BatchNorm2d(n)));
        features = Sequential(named);
        classifier = Linear(n, classes);
        RegisterComponents();

        Init.HeNormal(this, fanOut: false, linear: l => init.zeros_(l.bias));
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = F.adaptive_avg_pool2d(F.relu(features.call(x)), 1).flatten(1);
        return classifier.call(f).MoveToOuterDisposeScope();
    }
}
