using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
