using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Modern;

/// <summary>
/// ConvNeXt (Liu, Mao, Wu, Feichtenhofer, Darrell, Xie, "A ConvNet for the 2020s", 2022) as torchvision
/// builds it: a 4×4 stride-4 patchify stem with LayerNorm, stages of CNBlocks (depthwise 7×7 →
/// LayerNorm → Linear 4× → GELU → Linear → layer scale 1e-6 → stochastic depth, plus the input),
/// separate downsampling layers (LayerNorm + 2×2 stride-2 conv), global pool, LayerNorm, head.
/// Stochastic depth rises linearly over the blocks to the variant's rate (0.1/0.4/0.5/0.5 for T/S/B/L; XL as L).
/// XL (256/512/1024/2048 channels, 3/3/27/3 blocks) is the paper's, which torchvision does not build.
/// Small inputs (shorter side below 96) use a 2×2 stride-2 stem so 32×32 reaches the last stage at 2×2
/// rather than vanishing after the third downsampling.
/// </summary>
public sealed class ConvNeXt : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "ConvNeXt";
    public string Family => "Modern";
    public string Paper => "Liu et al., A ConvNet for the 2020s";
    public int Year => 2022;
    public string Description =>
        "Patchify stem, CNBlocks (dw7x7, LayerNorm, MLP 4x with GELU, layer scale, stochastic depth), LayerNorm + 2x2 conv downsampling; torchvision's layout and names. " +
        "Inputs under 96 px use a 2x2 stride-2 stem (patch 2) instead of 4x4 stride 4.";

    internal sealed record Config(int[] Dims, int[] Depths, double DropPath);

    static readonly Dictionary<string, (Config Cfg, long Params, string Summary)> Table = new()
    {
        ["convnext_tiny"] = (new(new[] { 96, 192, 384, 768 }, new[] { 3, 3, 9, 3 }, 0.1), 28_589_128, "ConvNeXt-T"),
        ["convnext_small"] = (new(new[] { 96, 192, 384, 768 }, new[] { 3, 3, 27, 3 }, 0.4), 50_223_688, "ConvNeXt-S"),
        ["convnext_base"] = (new(new[] { 128, 256, 512, 1024 }, new[] { 3, 3, 27, 3 }, 0.5), 88_591_464, "ConvNeXt-B"),
        ["convnext_large"] = (new(new[] { 192, 384, 768, 1536 }, new[] { 3, 3, 27, 3 }, 0.5), 197_767_336, "ConvNeXt-L"),
        // Not in torchvision: the paper's XL (channels 256/512/1024/2048, blocks 3/3/27/3), stochastic depth as L.
        ["convnext_xlarge"] = (new(new[] { 256, 512, 1024, 2048 }, new[] { 3, 3, 27, 3 }, 0.5), 350_196_968, "ConvNeXt-XL"),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, kv.Value.Summary)
        {
            ReferenceParameters = kv.Value.Params,
            ReferenceSource = kv.Key == "convnext_xlarge"
                ? "own count of the paper's XL configuration (Liu et al. 2022, Table 9) with a 1000-class head; timm's convnext_xlarge has the same layout"
                : $"torchvision {kv.Key}",
            DefaultStochasticDepth = kv.Value.Cfg.DropPath,
        }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"ConvNeXt has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        int stride = (small ? 2 : 4) * 8;
        if (Math.Min(spec.Height, spec.Width) < stride)
            throw new ZooConfigException("input", $"ConvNeXt downsamples {stride}x; images must be at least {stride}x{stride}, got {spec.Height}x{spec.Width}");
        return new ConvNeXtModel(row.Cfg, spec.Channels, spec.Classes, spec.StochasticDepth ?? row.Cfg.DropPath,
            spec.LayerScale ?? 1e-6, small ? 2 : 4);
    }
}

/// <summary>The ConvNeXt block: block (dw conv, permute, LN, Linear, GELU, Linear, permute), layer_scale, stochastic_depth.</summary>
public sealed class CNBlock : Module<Tensor, Tensor>
{
    readonly Sequential block;
    readonly Parameter layer_scale;
    readonly StochasticDepth stochastic_depth;

    public CNBlock(long dim, double layerScale, double dropPath) : base(nameof(CNBlock))
    {
        block = Nn.Seq(
            Conv2d(dim, dim, 7, padding: 3, groups: dim),
            new Permute(0, 2, 3, 1),
            LayerNorm(dim, eps: 1e-6),
            Linear(dim, 4 * dim),
            GELU(),
            Linear(4 * dim, dim),
            new Permute(0, 3, 1, 2));
        layer_scale = Parameter(torch.ones(dim, 1, 1) * layerScale);
        stochastic_depth = new StochasticDepth(dropPath);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var r = stochastic_depth.call(layer_scale * block.call(x));
        return r.add_(x).MoveToOuterDisposeScope();
    }
}

/// <summary>The ConvNeXt module: features (stem, stages, downsampling layers), avgpool, classifier.</summary>
public sealed class ConvNeXtModel : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    internal ConvNeXtModel(ConvNeXt.Config cfg, int channels, int classes, double dropPath, double layerScale, int patch) : base("ConvNeXt")
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            Nn.Seq(Conv2d(channels, cfg.Dims[0], patch, stride: patch), new LayerNorm2d(cfg.Dims[0])),
        };
        int total = cfg.Depths.Sum(), id = 0;
        for (int s = 0; s < 4; s++)
        {
            var stage = new List<Module<Tensor, Tensor>>();
            for (int b = 0; b < cfg.Depths[s]; b++, id++)
                stage.Add(new CNBlock(cfg.Dims[s], layerScale, dropPath * id / (total - 1.0)));
            layers.Add(Nn.Seq(stage.ToArray()));
            if (s < 3) layers.Add(Nn.Seq(new LayerNorm2d(cfg.Dims[s]), Conv2d(cfg.Dims[s], cfg.Dims[s + 1], 2, stride: 2)));
        }
        features = Nn.Seq(layers.ToArray());
        avgpool = AdaptiveAvgPool2d(1);
        classifier = Nn.Seq(new LayerNorm2d(cfg.Dims[3]), Flatten(1), Linear(cfg.Dims[3], classes));
        RegisterComponents();

        foreach (var (_, m) in named_modules())
        {
            if (m is Conv2d c) { Init.TruncNormal_(c.weight, std: 0.02); if (c.bias is not null) init.zeros_(c.bias); }
            else if (m is Linear l) { Init.TruncNormal_(l.weight, std: 0.02); if (l.bias is not null) init.zeros_(l.bias); }
        }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = avgpool.call(features.call(x));
        return classifier.call(f).MoveToOuterDisposeScope();
    }
}
