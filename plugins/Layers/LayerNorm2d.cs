using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
