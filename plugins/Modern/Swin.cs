using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Modern;

/// <summary>
/// Swin Transformer (Liu, Lin, Cao, Hu, Wei, Zhang, Lin, Guo, "Swin Transformer: Hierarchical Vision
/// Transformer using Shifted Windows", 2021) as torchvision builds it (v1): a 4×4 patch embedding with
/// LayerNorm, stages of SwinTransformerBlocks that alternate plain and shifted 7×7 windows of multi-head
/// self-attention with a learned relative position bias (and the attention mask for the shifted windows),
/// PatchMerging between stages (2×2 neighbours concatenated, LayerNorm, Linear 4C → 2C), stochastic depth
/// rising linearly to 0.2/0.3/0.5 for T/S/B, LayerNorm, global pool, head.
/// Small inputs (shorter side under 96) use 2×2 patches and 4×4 windows: a 32×32 image gives 16×16 tokens,
/// then 8, 4 and 2 — four windows in the first stage rather than one padded 7×7 window.
/// </summary>
public sealed class Swin : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "Swin Transformer";
    public string Family => "Modern";
    public string Paper => "Liu et al., Swin Transformer: Hierarchical Vision Transformer using Shifted Windows";
    public int Year => 2021;
    public string Description =>
        "Patch embedding, shifted-window multi-head self-attention with relative position bias and the shift mask, PatchMerging, stochastic depth; torchvision's layout and names. " +
        "Inputs under 96 px use 2x2 patches and 4x4 windows instead of 4x4 and 7x7.";

    internal sealed record Config(int Embed, int[] Depths, int[] Heads, double DropPath);

    static readonly Dictionary<string, (Config Cfg, long Params, string Summary)> Table = new()
    {
        ["swin_t"] = (new(96, new[] { 2, 2, 6, 2 }, new[] { 3, 6, 12, 24 }, 0.2), 28_288_354, "Swin-T"),
        ["swin_s"] = (new(96, new[] { 2, 2, 18, 2 }, new[] { 3, 6, 12, 24 }, 0.3), 49_606_258, "Swin-S"),
        ["swin_b"] = (new(128, new[] { 2, 2, 18, 2 }, new[] { 4, 8, 16, 32 }, 0.5), 87_768_224, "Swin-B"),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, kv.Value.Summary)
        {
            ReferenceParameters = kv.Value.Params, ReferenceSource = $"torchvision {kv.Key}",
            DefaultStochasticDepth = kv.Value.Cfg.DropPath,
        }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"Swin has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        int patch = small ? 2 : 4;
        if (Math.Min(spec.Height, spec.Width) < 8 * patch)
            throw new ZooConfigException("input", $"Swin embeds {patch}x{patch} patches and merges them three times; images must be at least {8 * patch}x{8 * patch}, got {spec.Height}x{spec.Width}");
        return new SwinModel(row.Cfg, spec.Channels, spec.Classes, patch, small ? 4 : 7, spec.StochasticDepth ?? row.Cfg.DropPath, spec.Dropout ?? 0);
    }
}

/// <summary>
/// Multi-head self-attention inside (shifted) windows, with the relative position bias table and index of
/// torchvision's ShiftedWindowAttention (keys qkv, proj, relative_position_bias_table, relative_position_index).
/// </summary>
public sealed class ShiftedWindowAttention : Module<Tensor, Tensor>, IReportsMacs
{
    readonly Linear qkv;
    readonly Linear proj;
    readonly Parameter relative_position_bias_table;
    readonly Tensor relative_position_index;
    readonly int _window, _shift, _heads;
    readonly double _dropout;

    public ShiftedWindowAttention(int dim, int window, int shift, int heads, double dropout) : base(nameof(ShiftedWindowAttention))
    {
        _window = window; _shift = shift; _heads = heads; _dropout = dropout;
        qkv = Linear(dim, dim * 3);
        proj = Linear(dim, dim);
        relative_position_bias_table = Parameter(torch.zeros((2 * window - 1) * (2 * window - 1), heads));
        Init.TruncNormal_(relative_position_bias_table, std: 0.02);
        // Index of each (query, key) offset pair in the table: (dy + w − 1)·(2w − 1) + (dx + w − 1).
        var index = new long[window * window * window * window];
        int n = window * window;
        for (int q = 0; q < n; q++)
            for (int k = 0; k < n; k++)
                index[q * n + k] = (q / window - k / window + window - 1) * (2 * window - 1) + (q % window - k % window + window - 1);
        relative_position_index = torch.tensor(index);
        register_buffer("relative_position_index", relative_position_index);
        RegisterComponents();
    }

    public long LastForwardMacs { get; private set; }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0], h = input.shape[1], w = input.shape[2], c = input.shape[3];
        int ws = _window;
        long padB = (ws - h % ws) % ws, padR = (ws - w % ws) % ws;
        var x = padB + padR > 0 ? nn.functional.pad(input, new long[] { 0, 0, 0, padR, 0, padB }) : input;
        long ph = h + padB, pw = w + padR;
        // No shift where the window covers the whole (padded) map, as torchvision decides per dimension.
        long sh = ws >= ph ? 0 : _shift, sw = ws >= pw ? 0 : _shift;
        if (sh + sw > 0) x = torch.roll(x, new[] { -sh, -sw }, new long[] { 1, 2 });
        long nWin = ph / ws * (pw / ws), tokens = ws * ws, d = c / _heads;
        x = x.view(b, ph / ws, ws, pw / ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b * nWin, tokens, c);

        var qkvOut = qkv.call(x).reshape(b * nWin, tokens, 3, _heads, d).permute(2, 0, 3, 1, 4);
        var q = qkvOut[0] * Math.Pow(d, -0.5);
        var k = qkvOut[1];
        var v = qkvOut[2];
        var attn = q.matmul(k.transpose(-2, -1));
        var bias = relative_position_bias_table[relative_position_index].view(tokens, tokens, -1).permute(2, 0, 1).unsqueeze(0);
        attn = attn + bias;
        if (sh + sw > 0)
        {
            var mask = ShiftMask(ph, pw, ws, sh, sw, x.device).to(attn.dtype);   // nWin × tokens × tokens
            attn = (attn.view(b, nWin, _heads, tokens, tokens) + mask.unsqueeze(1).unsqueeze(0)).view(-1, _heads, tokens, tokens);
        }
        attn = nn.functional.softmax(attn, -1);
        attn = nn.functional.dropout(attn, _dropout, training);
        x = attn.matmul(v).transpose(1, 2).reshape(b * nWin, tokens, c);
        x = nn.functional.dropout(proj.call(x), _dropout, training);
        LastForwardMacs = 2 * b * nWin * _heads * tokens * tokens * d;   // Q·Kᵀ and A·V

        x = x.view(b, ph / ws, pw / ws, ws, ws, c).permute(0, 1, 3, 2, 4, 5).reshape(b, ph, pw, c);
        if (sh + sw > 0) x = torch.roll(x, new[] { sh, sw }, new long[] { 1, 2 });
        return x[.., ..(int)h, ..(int)w, ..].contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// −100 where a query and a key of one window came from different regions before the cyclic shift
    /// (the shifted window's wrapped-around parts must not attend to each other), 0 elsewhere.
    /// </summary>
    static Tensor ShiftMask(long ph, long pw, int ws, long sh, long sw, Device device)
    {
        var region = new float[ph * pw];
        long[] hb = { 0, ph - ws, ph - sh, ph }, wb = { 0, pw - ws, pw - sw, pw };
        int id = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++, id++)
                for (long y = hb[i]; y < hb[i + 1]; y++)
                    for (long x = wb[j]; x < wb[j + 1]; x++) region[y * pw + x] = id;
        var r = torch.tensor(region, device: device).view(ph / ws, ws, pw / ws, ws).permute(0, 2, 1, 3).reshape(-1, ws * ws);
        var diff = r.unsqueeze(1) - r.unsqueeze(2);
        return torch.where(diff.ne(0), torch.tensor(-100f, device: device), torch.tensor(0f, device: device));
    }
}

/// <summary>The Swin block: x + SD(attn(norm1(x))), then x + SD(mlp(norm2(x))), on N×H×W×C tokens.</summary>
public sealed class SwinTransformerBlock : Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly ShiftedWindowAttention attn;
    readonly StochasticDepth stochastic_depth;
    readonly LayerNorm norm2;
    readonly Sequential mlp;

    public SwinTransformerBlock(int dim, int heads, int window, int shift, double dropPath, double dropout) : base(nameof(SwinTransformerBlock))
    {
        norm1 = LayerNorm(dim);
        attn = new ShiftedWindowAttention(dim, window, shift, heads, dropout);
        stochastic_depth = new StochasticDepth(dropPath);
        norm2 = LayerNorm(dim);
        mlp = TransformerMlp.Create(dim, 4 * dim, dropout);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = x + stochastic_depth.call(attn.call(norm1.call(x)));
        x = x + stochastic_depth.call(mlp.call(norm2.call(x)));
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>Patch merging: each 2×2 neighbourhood concatenated (4C), LayerNorm, Linear to 2C without bias; odd sizes padded.</summary>
public sealed class PatchMerging : Module<Tensor, Tensor>
{
    readonly Linear reduction;
    readonly LayerNorm norm;

    public PatchMerging(int dim) : base(nameof(PatchMerging))
    {
        reduction = Linear(4 * dim, 2 * dim, hasBias: false);
        norm = LayerNorm(4 * dim);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long h = x.shape[1], w = x.shape[2];
        if (h % 2 + w % 2 > 0) x = nn.functional.pad(x, new long[] { 0, 0, 0, w % 2, 0, h % 2 });
        var x0 = x[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(0, null, 2), ..];
        var x1 = x[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(0, null, 2), ..];
        var x2 = x[.., TensorIndex.Slice(0, null, 2), TensorIndex.Slice(1, null, 2), ..];
        var x3 = x[.., TensorIndex.Slice(1, null, 2), TensorIndex.Slice(1, null, 2), ..];
        return reduction.call(norm.call(torch.cat(new[] { x0, x1, x2, x3 }, -1))).MoveToOuterDisposeScope();
    }
}

/// <summary>The Swin model: features (patch embedding, stages, patch merging), norm, permute, avgpool, flatten, head.</summary>
public sealed class SwinModel : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly LayerNorm norm;
    readonly Permute permute;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Flatten flatten;
    readonly Linear head;

    internal SwinModel(Swin.Config cfg, int channels, int classes, int patch, int window, double dropPath, double dropout) : base("SwinTransformer")
    {
        var layers = new List<Module<Tensor, Tensor>>
        {
            Nn.Seq(Conv2d(channels, cfg.Embed, patch, stride: patch), new Permute(0, 2, 3, 1), LayerNorm(cfg.Embed)),
        };
        int total = cfg.Depths.Sum(), id = 0, dim = cfg.Embed;
        for (int s = 0; s < cfg.Depths.Length; s++)
        {
            var stage = new List<Module<Tensor, Tensor>>();
            for (int b = 0; b < cfg.Depths[s]; b++, id++)
                stage.Add(new SwinTransformerBlock(dim, cfg.Heads[s], window, b % 2 == 0 ? 0 : window / 2, dropPath * id / (total - 1.0), dropout));
            layers.Add(Nn.Seq(stage.ToArray()));
            if (s < cfg.Depths.Length - 1) { layers.Add(new PatchMerging(dim)); dim *= 2; }
        }
        features = Nn.Seq(layers.ToArray());
        norm = LayerNorm(dim);
        permute = new Permute(0, 3, 1, 2);
        avgpool = AdaptiveAvgPool2d(1);
        flatten = Flatten(1);
        head = Linear(dim, classes);
        RegisterComponents();

        // torchvision: every Linear truncated-normal (std 0.02) with zero bias, after the blocks' own init.
        foreach (var (_, m) in named_modules())
            if (m is Linear l) { Init.TruncNormal_(l.weight, std: 0.02); if (l.bias is not null) init.zeros_(l.bias); }
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = permute.call(norm.call(features.call(x)));
        return head.call(flatten.call(avgpool.call(f))).MoveToOuterDisposeScope();
    }
}
