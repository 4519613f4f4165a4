namespace Zoo.Abstractions;

/// <summary>How the output of a <see cref="IGradCamTarget.GradCamLayer"/> is laid out.</summary>
public enum FeatureMapLayout
{
    /// <summary>N×C×H×W, a convolution's output.</summary>
    ChannelsFirst,
    /// <summary>N×H×W×C (Swin's stages before their final permute).</summary>
    ChannelsLast,
    /// <summary>N×(1+H·W)×C: a class token, then the patch grid's tokens in row-major order (ViT); the class token is dropped.</summary>
    TokensWithClassToken,
}

/// <summary>
/// Optional, for a model that names the layer Grad-CAM (Selvaraju et al. 2017) reads: `zoo explain` and the report's
/// "where each model looks" figure. Without it the host takes the output of the last module to run whose output is a
/// 4-D N×C×H×W map with H and W above 1 (the last spatial map before global pooling), which is right for every
/// convolutional family. A transformer whose head reads a class token has no such map after its patch embedding and
/// must name one. Added in contract 1.3; plugins built against 1.0–1.2 keep loading.
/// </summary>
public interface IGradCamTarget
{
    /// <summary>The module's path as named_modules() gives it ("encoder.layers.encoder_layer_11.ln_1").</summary>
    string GradCamLayer { get; }

    /// <summary>The layout of that module's output.</summary>
    FeatureMapLayout GradCamLayout { get; }
}
