using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Modern;

/// <summary>
/// Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image
/// Recognition at Scale", 2021) as torchvision builds it: a patch-embedding convolution, a class token, a
/// learned position embedding, pre-norm encoder blocks (LayerNorm → multi-head self-attention → residual,
/// LayerNorm → MLP → residual), a final LayerNorm and a linear head on the class token.
/// The position embedding is built for the input size of the spec and interpolated (bicubic) when a
/// different size comes in. Small inputs (shorter side under 96) use 4×4 patches for every variant, so a
/// 32×32 image is 64 tokens (and 28×28 MNIST 49) rather than 4 (or 1 for B/32).
/// </summary>
public sealed class VisionTransformer : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "Vision Transformer";
    public string Family => "Modern";
    public string Paper => "Dosovitskiy et al., An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale";
    public int Year => 2021;
    public string Description =>
        "Patch embedding, class token, learned position embedding (interpolated for other sizes), pre-norm encoder blocks with multi-head self-attention and MLP, head on the class token; torchvision's layout and names. " +
        "Sides must be multiples of the patch; inputs under 96 px use 4x4 patches (64 tokens at 32x32).";

    internal sealed record Config(int Patch, int Layers, int Heads, int Hidden, int Mlp);

    static readonly Dictionary<string, (Config Cfg, long Params, string Summary)> Table = new()
    {
        ["vit_b_16"] = (new(16, 12, 12, 768, 3072), 86_567_656, "ViT-B/16"),
        ["vit_b_32"] = (new(32, 12, 12, 768, 3072), 88_224_232, "ViT-B/32"),
        ["vit_l_16"] = (new(16, 24, 16, 1024, 4096), 304_326_632, "ViT-L/16"),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Table.Select(kv =>
        new ArchitectureVariant(kv.Key, kv.Value.Summary) { ReferenceParameters = kv.Value.Params, ReferenceSource = $"torchvision {kv.Key}" }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Table.TryGetValue(spec.Variant, out var row))
            throw new ZooConfigException("variant", $"ViT has no variant '{spec.Variant}'; allowed: {string.Join(", ", Table.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        int patch = Nn.IsSmallInput(spec.Height, spec.Width) ? 4 : row.Cfg.Patch;
        if (spec.Height % patch != 0 || spec.Width % patch != 0)
        {
            int up(int v) => (v + patch - 1) / patch * patch;
            throw new ZooConfigException("input", $"{row.Summary} cuts {patch}x{patch} patches at this size, so both sides must be multiples of {patch}; " +
                $"got {spec.Height}x{spec.Width} (use {up(spec.Height)}x{up(spec.Width)} or {up(spec.Height) - patch}x{up(spec.Width) - patch})");
        }
        return new VisionTransformerModel(row.Cfg with { Patch = patch }, spec.Channels, spec.Classes, spec.Height, spec.Width, spec.Dropout ?? 0);
    }
}

/// <summary>
/// Multi-head self-attention with torchvision's (nn.MultiheadAttention's) parameter names: in_proj_weight,
/// in_proj_bias (Q, K and V stacked) and out_proj.
/// </summary>
public sealed class SelfAttention : Module<Tensor, Tensor>, IReportsMacs
{
    readonly Parameter in_proj_weight;
    readonly Parameter in_proj_bias;
    readonly Linear out_proj;
    readonly int _heads;
    readonly double _dropout;

    public SelfAttention(int dim, int heads, double dropout) : base(nameof(SelfAttention))
    {
        _heads = heads;
        _dropout = dropout;
        in_proj_weight = Parameter(torch.empty(3 * dim, dim));
        in_proj_bias = Parameter(torch.zeros(3 * dim));
        init.xavier_uniform_(in_proj_weight);
        out_proj = Linear(dim, dim);
        init.zeros_(out_proj.bias!);
        RegisterComponents();
    }

    public long LastForwardMacs { get; private set; }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], c = x.shape[2], d = c / _heads;
        var qkv = nn.functional.linear(x, in_proj_weight, in_proj_bias).reshape(b, n, 3, _heads, d).permute(2, 0, 3, 1, 4);
        var attn = nn.functional.softmax(qkv[0].matmul(qkv[1].transpose(-2, -1)) * Math.Pow(d, -0.5), -1);
        attn = nn.functional.dropout(attn, _dropout, training);
        var y = attn.matmul(qkv[2]).transpose(1, 2).reshape(b, n, c);
        // The bare input projection and the two attention products (the output projection is a Linear leaf).
        LastForwardMacs = b * n * c * 3 * c + 2 * b * _heads * n * n * d;
        return out_proj.call(y).MoveToOuterDisposeScope();
    }
}

/// <summary>The pre-norm encoder block: x + dropout(attention(ln_1(x))), then + mlp(ln_2(·)).</summary>
public sealed class EncoderBlock : Module<Tensor, Tensor>
{
    readonly LayerNorm ln_1;
    readonly SelfAttention self_attention;
    readonly Dropout dropout;
    readonly LayerNorm ln_2;
    readonly Sequential mlp;

    public EncoderBlock(int hidden, int heads, int mlpDim, double drop) : base(nameof(EncoderBlock))
    {
        ln_1 = LayerNorm(hidden, eps: 1e-6);
        self_attention = new SelfAttention(hidden, heads, 0);
        dropout = Dropout(drop);
        ln_2 = LayerNorm(hidden, eps: 1e-6);
        mlp = TransformerMlp.Create(hidden, mlpDim, drop);
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = dropout.call(self_attention.call(ln_1.call(input))) + input;
        return (x + mlp.call(ln_2.call(x))).MoveToOuterDisposeScope();
    }
}

/// <summary>The encoder: position embedding, dropout, the blocks (encoder_layer_0…), final LayerNorm.</summary>
public sealed class Encoder : Module<Tensor, Tensor>
{
    readonly Parameter pos_embedding;
    readonly Dropout dropout;
    readonly Sequential layers;
    readonly LayerNorm ln;
    readonly long _gridH, _gridW;

    public Encoder(long gridH, long gridW, int count, int heads, int hidden, int mlpDim, double drop) : base(nameof(Encoder))
    {
        _gridH = gridH; _gridW = gridW;
        pos_embedding = Parameter(torch.empty(1, gridH * gridW + 1, hidden).normal_(0, 0.02));
        dropout = Dropout(drop);
        layers = Sequential(Enumerable.Range(0, count).Select(i => ($"encoder_layer_{i}", (Module<Tensor, Tensor>)new EncoderBlock(hidden, heads, mlpDim, drop))));
        ln = LayerNorm(hidden, eps: 1e-6);
        RegisterComponents();
    }

    /// <summary>Runs the encoder on tokens of a <paramref name="gridH"/>×<paramref name="gridW"/> patch grid (plus the class token).</summary>
    public Tensor forward(Tensor x, long gridH, long gridW)
    {
        using var scope = NewDisposeScope();
        var pos = gridH == _gridH && gridW == _gridW ? (Tensor)pos_embedding : Resample(gridH, gridW);
        return ln.call(layers.call(dropout.call(x + pos))).MoveToOuterDisposeScope();
    }

    public override Tensor forward(Tensor x) => forward(x, _gridH, _gridW);

    /// <summary>The patch part of the position embedding resized (bicubic) to another grid; the class token's entry is kept.</summary>
    Tensor Resample(long gridH, long gridW)
    {
        long hidden = pos_embedding.shape[2];
        var cls = pos_embedding[.., ..1, ..];
        var grid = pos_embedding[.., 1.., ..].reshape(1, _gridH, _gridW, hidden).permute(0, 3, 1, 2);
        grid = nn.functional.interpolate(grid, new[] { gridH, gridW }, mode: InterpolationMode.Bicubic, align_corners: false);
        return torch.cat(new[] { cls, grid.permute(0, 2, 3, 1).reshape(1, gridH * gridW, hidden) }, 1);
    }
}

/// <summary>
/// The ViT model: conv_proj, class_token, encoder, heads (head). Grad-CAM (<see cref="IGradCamTarget"/>) reads the last
/// block's input tokens as its ln_1 normalises them, patch tokens on the patch grid (the class token dropped), as
/// pytorch-grad-cam does for ViT (blocks[-1].norm1). Not the last block's output: the head reads only the class token
/// and LayerNorm works per token, so the logit's gradient with respect to the output's patch tokens is zero. Not attention
/// rollout (Abnar and Zuidema 2020): it is class-agnostic and would not be the same definition as the other families'.
/// </summary>
public sealed class VisionTransformerModel : Module<Tensor, Tensor>, IGradCamTarget
{
    readonly Conv2d conv_proj;
    readonly Parameter class_token;
    readonly Encoder encoder;
    readonly Sequential heads;
    readonly int _patch;

    readonly int _layers;

    public string GradCamLayer => $"encoder.layers.encoder_layer_{_layers - 1}.ln_1";
    public FeatureMapLayout GradCamLayout => FeatureMapLayout.TokensWithClassToken;

    internal VisionTransformerModel(VisionTransformer.Config cfg, int channels, int classes, int height, int width, double dropout) : base("VisionTransformer")
    {
        _patch = cfg.Patch;
        _layers = cfg.Layers;
        conv_proj = Conv2d(channels, cfg.Hidden, cfg.Patch, stride: cfg.Patch);
        class_token = Parameter(torch.zeros(1, 1, cfg.Hidden));
        encoder = new Encoder(height / cfg.Patch, width / cfg.Patch, cfg.Layers, cfg.Heads, cfg.Hidden, cfg.Mlp, dropout);
        var head = Linear(cfg.Hidden, classes);
        heads = Sequential(("head", (Module<Tensor, Tensor>)head));
        RegisterComponents();

        // torchvision: the patch projection ~ truncated normal with std √(1/fan_in), zero bias; a zero head.
        Init.TruncNormal_(conv_proj.weight, std: Math.Sqrt(1.0 / (channels * cfg.Patch * cfg.Patch)));
        init.zeros_(conv_proj.bias!);
        init.zeros_(head.weight);
        init.zeros_(head.bias!);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0];
        if (x.shape[2] % _patch != 0 || x.shape[3] % _patch != 0)
            throw new ArgumentException($"ViT with {_patch}x{_patch} patches needs sides that are multiples of {_patch}; got {x.shape[2]}x{x.shape[3]}");
        var p = conv_proj.call(x);
        long gh = p.shape[2], gw = p.shape[3];
        var tokens = p.reshape(n, p.shape[1], gh * gw).permute(0, 2, 1);
        tokens = torch.cat(new[] { class_token.expand(n, -1, -1), tokens }, 1);
        var y = encoder.forward(tokens, gh, gw);
        return heads.call(y[.., 0]).MoveToOuterDisposeScope();
    }
}
