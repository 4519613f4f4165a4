namespace Zoo.Abstractions;

/// <summary>
/// Published pretrained weights of one variant, as torchvision's <c>Weights</c> enums and timm's pretrained
/// configs list them: where the file is and what it expects and scores. The host downloads, checks and
/// loads the file; nothing here touches the network.
/// </summary>
/// <param name="Variant">The variant the weights are for, e.g. "resnet50".</param>
/// <param name="Name">The weights' name, unique for the variant, e.g. "IMAGENET1K_V2".</param>
/// <param name="Url">Where the file is published (.pth or .safetensors). torchvision's file names end in the first hex digits of the file's SHA-256, which the host checks.</param>
public sealed record PretrainedWeights(string Variant, string Name, string Url)
{
    /// <summary>The data set the published accuracies are on.</summary>
    public string Dataset { get; init; } = "ImageNet-1K";

    /// <summary>Which class-name list the head's outputs follow: "imagenet-1k" (the host holds that list once), or null.</summary>
    public string? Categories { get; init; } = "imagenet-1k";

    /// <summary>Published top-1 and top-5 accuracy, in percent, on <see cref="Dataset"/>'s validation set.</summary>
    public double? Top1 { get; init; }

    /// <inheritdoc cref="Top1"/>
    public double? Top5 { get; init; }

    /// <summary>The evaluation preprocessing: shorter side resized to this, then centre-cropped to <see cref="CropSize"/>.</summary>
    public int ResizeSize { get; init; } = 256;

    /// <inheritdoc cref="ResizeSize"/>
    public int CropSize { get; init; } = 224;

    /// <summary>The resize's interpolation: "bilinear", "bicubic" or "nearest".</summary>
    public string Interpolation { get; init; } = "bilinear";

    /// <summary>Where the training recipe is described, if published.</summary>
    public string? Recipe { get; init; }
}

/// <summary>
/// Optional, implemented by an <see cref="IArchitecture"/> that has published weights for its variants (the
/// catalogue of <c>zoo weights list</c>). Added in contract 1.2; plugins built against 1.0 or 1.1 keep loading.
/// </summary>
public interface IPretrainedWeights
{
    /// <summary>The published weights of this architecture's variants, the recommended one of each variant first.</summary>
    IReadOnlyList<PretrainedWeights> Pretrained { get; }
}
