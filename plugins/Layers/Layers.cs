using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

/// <summary>The activations the shared blocks take by name.</summary>
public enum Act
{
    /// <summary>No activation.</summary>
    None,
    /// <summary>max(0, x).</summary>
    ReLU,
    /// <summary>min(max(0, x), 6) (MobileNet V2).</summary>
    ReLU6,
    /// <summary>x·relu6(x+3)/6 (MobileNet V3).</summary>
    Hardswish,
    /// <summary>relu6(x+3)/6.</summary>
    Hardsigmoid,
    /// <summary>x·σ(x), a.k.a. swish (EfficientNet).</summary>
    SiLU,
    /// <summary>σ(x).</summary>
    Sigmoid,
    /// <summary>Gaussian error linear unit (ConvNeXt, ViT).</summary>
    GELU,
}

/// <summary>Small helpers shared by every family.</summary>
public static class Nn
{
    /// <summary>Creates the activation module for <paramref name="act"/> (null for <see cref="Act.None"/>).</summary>
    public static Module<Tensor, Tensor>? Activation(Act act) => act switch
    {
        Act.None => null,
        Act.ReLU => ReLU(inplace: true),
        Act.ReLU6 => ReLU6(inplace: true),
        Act.Hardswish => Hardswish(inplace: true),
        Act.Hardsigmoid => Hardsigmoid(inplace: true),
        Act.SiLU => SiLU(inplace: true),
        Act.Sigmoid => Sigmoid(),
        Act.GELU => GELU(),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>
    /// torchvision's <c>_make_divisible</c>: rounds channels to a multiple of <paramref name="divisor"/>
    /// without going more than 10% below <paramref name="value"/> (MobileNet V2/V3, EfficientNet, MNASNet).
    /// </summary>
    public static int MakeDivisible(double value, int divisor = 8, int? minValue = null)
    {
        int min = minValue ?? divisor;
        int v = Math.Max(min, (int)(value + divisor / 2.0) / divisor * divisor);
        if (v < 0.9 * value) v += divisor;
        return v;
    }

    /// <summary>
    /// Whether an input is small enough to need the small-input stem (CIFAR/MNIST-sized): the shorter
    /// side below 96 px. ImageNet stems downsample 4× before the first stage, which would leave a
    /// 28×28 image with a 1×1 map before the last stage.
    /// </summary>
    public static bool IsSmallInput(int height, int width) => Math.Min(height, width) < 96;

    /// <summary>Counts the elements of all parameters of a module.</summary>
    public static long CountParameters(Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>A Sequential whose children are named "0", "1", … in order, as PyTorch names them; nulls are skipped but keep their index.</summary>
    public static Sequential Seq(params Module<Tensor, Tensor>?[] modules)
    {
        var named = new List<(string, Module<Tensor, Tensor>)>();
        for (int i = 0; i < modules.Length; i++)
            if (modules[i] is { } m) named.Add((i.ToString(), m));
        return Sequential(named);
    }
}

/// <summary>
/// The transformer MLP as torchvision's MLP/MLPBlock builds it: Linear → GELU → Dropout → Linear → Dropout
/// (children "0" to "4", so the weights are mlp.0 and mlp.3), Xavier-uniform weights and biases ~ N(0, 1e-6).
/// </summary>
public static class TransformerMlp
{
    /// <summary>Creates the block.</summary>
    public static Sequential Create(long dim, long hidden, double dropout)
    {
        var fc1 = Linear(dim, hidden);
        var fc2 = Linear(hidden, dim);
        foreach (var l in new[] { fc1, fc2 })
        {
            init.xavier_uniform_(l.weight);
            init.normal_(l.bias!, std: 1e-6);
        }
        return Sequential(fc1, GELU(), Dropout(dropout), fc2, Dropout(dropout));
    }
}

/// <summary>
/// Conv2d → norm → activation, as torchvision's <c>Conv2dNormActivation</c> (children "0", "1", "2"),
/// with "same" padding for odd kernels by default. Bias only when there is no norm, as torchvision does.
/// </summary>
public static class ConvNormAct
{
    /// <summary>Builds the block; <paramref name="norm"/> false leaves out the BatchNorm.</summary>
    public static Module<Tensor, Tensor> Create(long inChannels, long outChannels, long kernel = 3, long stride = 1, long? padding = null,
        long groups = 1, Act act = Act.ReLU, bool norm = true, long dilation = 1, double bnEps = 1e-5, double bnMomentum = 0.1)
    {
        long pad = padding ?? (kernel - 1) / 2 * dilation;
        Module<Tensor, Tensor> conv = OneDnnGuard.Affects(inChannels, outChannels, kernel, groups)
            ? new GuardedConv2d(inChannels, outChannels, kernel, stride, pad, dilation, hasBias: !norm)
            : Conv2d(inChannels, outChannels, kernel, stride: stride, padding: pad, dilation: dilation, groups: groups, bias: !norm);
        var bn = norm ? BatchNorm2d(outChannels, eps: bnEps, momentum: bnMomentum) : null;
        return Nn.Seq(conv, bn, Nn.Activation(act));
    }
}

/// <summary>
/// LibTorch 2.10's oneDNN CPU kernel for k×k convolutions (k &gt; 1, groups 1) with 24 input channels reads
/// uninitialised memory: with NaN in freed memory, 24→24 3×3 returned NaN in 1–100 % of calls depending on
/// the map size, 24→96 in 66–100 %, while 16, 32, 40 and 48 input channels never did. It hit
/// EfficientNetV2-S/M's first stages. Zero-padding the input channels to 32 (and the weight to match)
/// computes the same sums on a kernel that is not affected.
/// </summary>
public static class OneDnnGuard
{
    /// <summary>Whether a convolution of this shape takes the faulty kernel.</summary>
    public static bool Affects(long inChannels, long outChannels, long kernel, long groups) =>
        inChannels == 24 && kernel > 1 && groups == 1;

    /// <summary>The convolution with input channels zero-padded to 32 (same result; gradients reach the real weight).</summary>
    public static Tensor Conv(Tensor x, Tensor weight, Tensor? bias, long stride, long padding, long dilation)
    {
        using var scope = NewDisposeScope();
        long extra = 32 - x.shape[1];
        var xp = functional.pad(x, new long[] { 0, 0, 0, 0, 0, extra });
        var wp = functional.pad(weight, new long[] { 0, 0, 0, 0, 0, extra });
        return functional.conv2d(xp, wp, bias, strides: new[] { stride, stride }, padding: new[] { padding, padding }, dilation: new[] { dilation, dilation })
            .MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A convolution for the shapes <see cref="OneDnnGuard"/> covers: parameters "weight" (and "bias") as
/// Conv2d has them, so state dicts line up, computed with the input channels zero-padded to 32.
/// Initialised as <c>nn.Conv2d</c> is (Kaiming-uniform, a = √5); families re-initialise as they do for Conv2d.
/// </summary>
public sealed class GuardedConv2d : Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter? bias;
    readonly long _stride, _padding, _dilation;

    /// <summary>Creates the convolution.</summary>
    public GuardedConv2d(long inChannels, long outChannels, long kernel, long stride, long padding, long dilation, bool hasBias) : base(nameof(GuardedConv2d))
    {
        weight = Parameter(torch.empty(outChannels, inChannels, kernel, kernel));
        init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (hasBias)
        {
            double bound = 1 / Math.Sqrt(inChannels * kernel * kernel);
            bias = Parameter(torch.empty(outChannels));
            init.uniform_(bias, -bound, bound);
        }
        (_stride, _padding, _dilation) = (stride, padding, dilation);
        RegisterComponents();
    }

    /// <summary>The kernel, out × in × k × k.</summary>
    public Parameter Weight => weight;

    /// <inheritdoc />
    public override Tensor forward(Tensor x) => OneDnnGuard.Conv(x, weight, bias, _stride, _padding, _dilation);
}

/// <summary>
/// Squeeze-and-excitation (Hu et al., 2018) as torchvision writes it: global average pool, 1×1 conv
/// down to <c>squeeze</c> channels, activation, 1×1 conv back, gate. Keys fc1.*, fc2.*.
/// </summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    readonly AdaptiveAvgPool2d avgpool;
    readonly Conv2d fc1;
    readonly Conv2d fc2;
    readonly Module<Tensor, Tensor> activation;
    readonly Module<Tensor, Tensor> scale_activation;

    /// <summary>Creates the block; MobileNet V3 uses ReLU/Hardsigmoid, EfficientNet SiLU/Sigmoid.</summary>
    public SqueezeExcitation(long channels, long squeeze, Act act = Act.ReLU, Act gate = Act.Sigmoid) : base(nameof(SqueezeExcitation))
    {
        avgpool = AdaptiveAvgPool2d(1);
        fc1 = Conv2d(channels, squeeze, 1);
        fc2 = Conv2d(squeeze, channels, 1);
        activation = Nn.Activation(act) ?? Identity();
        scale_activation = Nn.Activation(gate) ?? Identity();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scale = scale_activation.call(fc2.call(activation.call(fc1.call(avgpool.call(x)))));
        return x * scale;
    }
}

/// <summary>
/// Stochastic depth / drop path (Huang et al., 2016) in torchvision's "row" mode: in training each
/// sample's residual branch is dropped with probability p and the kept ones scaled by 1/(1−p).
/// </summary>
public sealed class StochasticDepth : Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with drop probability <paramref name="p"/>.</summary>
    public StochasticDepth(double p) : base(nameof(StochasticDepth))
    {
        if (p < 0 || p >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "drop probability must be in [0, 1)");
        P = p;
    }

    /// <summary>The drop probability.</summary>
    public double P { get; }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (!training || P == 0) return x.alias();
        var shape = new long[x.dim()];
        shape[0] = x.shape[0];
        for (int i = 1; i < shape.Length; i++) shape[i] = 1;
        using var noise = torch.empty(shape, dtype: x.dtype, device: x.device).bernoulli_(1 - P).div_(1 - P);
        return x * noise;
    }
}

/// <summary>LayerNorm over the channel dimension of an N×C×H×W tensor (ConvNeXt's LayerNorm2d). Keys weight, bias.</summary>
public sealed class LayerNorm2d : Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    readonly long[] _shape;
    readonly double _eps;

    /// <summary>Creates the norm for <paramref name="channels"/> channels.</summary>
    public LayerNorm2d(long channels, double eps = 1e-6) : base(nameof(LayerNorm2d))
    {
        weight = Parameter(torch.ones(channels));
        bias = Parameter(torch.zeros(channels));
        _shape = new[] { channels };
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var nhwc = x.permute(0, 2, 3, 1);
        using var normed = functional.layer_norm(nhwc, _shape, weight, bias, _eps);
        return normed.permute(0, 3, 1, 2);
    }
}

/// <summary>Permutes dimensions (ConvNeXt's Permute, a module so indices line up with torchvision's Sequential).</summary>
public sealed class Permute : Module<Tensor, Tensor>
{
    readonly long[] _dims;
    /// <summary>Creates the permutation.</summary>
    public Permute(params long[] dims) : base(nameof(Permute)) => _dims = dims;
    /// <inheritdoc />
    public override Tensor forward(Tensor x) => x.permute(_dims);
}

/// <summary>Weight initialisations the families share.</summary>
public static class Init
{
    /// <summary>
    /// torchvision's usual CNN initialisation: He-normal convolutions (fan-out by default, ReLU gain) with
    /// zero bias, BatchNorm weight 1 and bias 0, and <paramref name="linear"/> for linear layers (left as
    /// constructed when null).
    /// </summary>
    public static void HeNormal(Module model, bool fanOut = true, Action<Linear>? linear = null)
    {
        var mode = fanOut ? init.FanInOut.FanOut : init.FanInOut.FanIn;
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case Conv2d c:
                    init.kaiming_normal_(c.weight, mode: mode, nonlinearity: init.NonlinearityType.ReLU);
                    if (c.bias is not null) init.zeros_(c.bias);
                    break;
                case GuardedConv2d g:
                    init.kaiming_normal_(g.Weight, mode: mode, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d b:
                    init.ones_(b.weight);
                    init.zeros_(b.bias);
                    break;
                case Linear l when linear is not null:
                    linear(l);
                    break;
            }
        }
    }

    /// <summary>Linear layers as torchvision's VGG and MobileNets: N(0, 0.01²) weights, zero bias.</summary>
    public static void SmallNormal(Linear l)
    {
        init.normal_(l.weight, 0, 0.01);
        if (l.bias is not null) init.zeros_(l.bias);
    }

    /// <summary>
    /// Fills <paramref name="tensor"/> from a normal distribution N(mean, std²) truncated to [a, b], by the
    /// inverse-CDF method (uniform between the bounds' CDF values, then the normal quantile).
    /// TorchSharp 0.107's own <c>trunc_normal_</c> fills the tensor with <c>std</c> and is not used.
    /// </summary>
    public static Tensor TruncNormal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2)
    {
        static double NormCdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;
        using var _ = torch.no_grad();
        double l = NormCdf((a - mean) / std), u = NormCdf((b - mean) / std);
        tensor.uniform_(2 * l - 1, 2 * u - 1);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2)).add_(mean);
        tensor.clamp_(a, b);
        return tensor;
    }

    // erf by the Chebyshev fit of Numerical Recipes (erfc, fractional error below 1.2e-7).
    static double Erf(double x)
    {
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}

/// <summary>
/// A strided 1×1 projection followed by a norm, as ResNet's downsample shortcut (children "0" conv,
/// "1" norm, so keys are torchvision's downsample.0.weight, downsample.1.*). The stride is applied by
/// taking every s-th pixel before a stride-1 convolution: the same maths, but LibTorch 2.10's CPU
/// (oneDNN) kernel for the input gradient of a strided 1×1 convolution with 512 or more input channels
/// dies with SIGFPE, which took ResNet-50 and larger down in training.
/// </summary>
public sealed class PointwiseDownsample : Module<Tensor, Tensor>
{
    readonly Conv2d _conv;
    readonly Module<Tensor, Tensor> _norm;
    readonly long _stride;

    /// <summary>Creates the shortcut projection from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public PointwiseDownsample(long inChannels, long outChannels, long stride, Module<Tensor, Tensor>? norm = null) : base(nameof(PointwiseDownsample))
    {
        _conv = Conv2d(inChannels, outChannels, 1, bias: false);
        _norm = norm ?? BatchNorm2d(outChannels);
        _stride = stride;
        register_module("0", _conv);
        register_module("1", _norm);
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        if (_stride == 1)
        {
            using var c = _conv.call(x);
            return _norm.call(c);
        }
        using var sub = x.slice(2, 0, x.shape[2], _stride).slice(3, 0, x.shape[3], _stride);
        using var y = _conv.call(sub);
        return _norm.call(y);
    }
}

/// <summary>Channel shuffle (ShuffleNet): reorders channels so that the groups' channels interleave.</summary>
public static class Channels
{
    /// <summary>N×C×H×W with C = groups × k → the same tensor with channel g·k+i moved to i·groups+g.</summary>
    public static Tensor Shuffle(Tensor x, long groups)
    {
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        using var v = x.view(n, groups, c / groups, h, w);
        using var t = v.transpose(1, 2);
        return t.contiguous().view(n, c, h, w);
    }
}

/// <summary>
/// A depthwise separable convolution (MobileNet V1): depthwise k×k → BN → ReLU, then pointwise 1×1 →
/// BN → ReLU; children "dw" and "pw", each a Conv-BN-ReLU sequence.
/// </summary>
public sealed class DepthwiseSeparable : Module<Tensor, Tensor>
{
    readonly Module<Tensor, Tensor> dw;
    readonly Module<Tensor, Tensor> pw;

    /// <summary>Creates the block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public DepthwiseSeparable(long inChannels, long outChannels, long stride, long kernel = 3, Act act = Act.ReLU) : base(nameof(DepthwiseSeparable))
    {
        dw = ConvNormAct.Create(inChannels, inChannels, kernel, stride, groups: inChannels, act: act);
        pw = ConvNormAct.Create(inChannels, outChannels, 1, act: act);
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var d = dw.call(x);
        return pw.call(d);
    }
}
