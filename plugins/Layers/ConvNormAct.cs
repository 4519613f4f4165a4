using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
