using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
    /// <remarks>The fault is oneDNN's, so on the CPU only; elsewhere (CUDA) the convolution runs unpadded, with the same parameters.</remarks>
    public override Tensor forward(Tensor x) => x.device_type == DeviceType.CPU
        ? OneDnnGuard.Conv(x, weight, bias, _stride, _padding, _dilation)
        : functional.conv2d(x, weight, bias, strides: new[] { _stride, _stride }, padding: new[] { _padding, _padding }, dilation: new[] { _dilation, _dilation });
}
