using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

/// <summary>
/// A strided 1×1 projection followed by a norm, as ResNet's downsample shortcut (children "0" conv,
/// "1" norm, so keys are torchvision's downsample.0.weight, downsample.1.*). The stride is applied by
/// taking every s-th pixel before a stride-1 convolution: the same maths, but LibTorch 2.10's CPU
/// (oneDNN) kernel for the input gradient of a strided 1×1 convolution with 512 or more input channels
/// dies with SIGFPE, which took ResNet-50 and larger down in training. Only on the CPU: on another device the
/// strided convolution runs as it is, with the same parameters, so a state dict fits either way.
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
        if (x.device_type != DeviceType.CPU)
        {
            // The fault is in the CPU kernel: elsewhere (CUDA) the strided convolution itself, same weight.
            using var strided = functional.conv2d(x, _conv.weight!, null, strides: new[] { _stride, _stride });
            return _norm.call(strided);
        }
        using var sub = x.slice(2, 0, x.shape[2], _stride).slice(3, 0, x.shape[3], _stride);
        using var y = _conv.call(sub);
        return _norm.call(y);
    }
}
