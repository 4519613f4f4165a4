using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
