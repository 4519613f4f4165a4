using static TorchSharp.torch;

namespace Zoo.Abstractions;

/// <summary>
/// Optional, for a model whose penultimate representation is not simply the input of its last linear (or
/// last weighted) layer. The feature analysis (t-SNE, K-means, DBSCAN; `zoo analyze`) calls it in eval mode
/// under no_grad; without it the host captures the input of the last layer with a 2-D or 4-D weight that
/// runs in the forward pass (global-average-pooled if it is a feature map), which is the classifier's input
/// for every built-in family. Added in contract 1.1; plugins built against 1.0 keep loading.
/// </summary>
public interface IFeatureExtractor
{
    /// <summary>The features of a batch N×C×H×W: N×F, the representation the final classifier reads.</summary>
    Tensor Features(Tensor x);
}
