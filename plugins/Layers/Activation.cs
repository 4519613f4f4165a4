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
