using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

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
