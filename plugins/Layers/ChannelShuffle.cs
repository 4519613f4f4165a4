using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
