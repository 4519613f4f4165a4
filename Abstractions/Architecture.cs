using TorchSharp;
using static TorchSharp.torch;

namespace Zoo.Abstractions;

/// <summary>The shape of one input image: channels, height, width.</summary>
public readonly record struct InputShape(int Channels, int Height, int Width)
{
    /// <summary>3×224×224, the ImageNet configuration.</summary>
    public static InputShape ImageNet => new(3, 224, 224);

    /// <inheritdoc />
    public override string ToString() => $"{Channels}x{Height}x{Width}";
}

/// <summary>
/// One buildable variant of an architecture, e.g. "resnet50" of ResNet. Variant names are the names
/// users type (suite files, <c>zoo list</c>); they are unique across all loaded plugins and follow
/// torchvision's spelling where torchvision has the model.
/// </summary>
public sealed record ArchitectureVariant(string Name, string Summary)
{
    /// <summary>The input the variant is designed for (3×224×224 for ImageNet models).</summary>
    public InputShape DefaultInput { get; init; } = InputShape.ImageNet;

    /// <summary>The class count of the reference configuration (1000 for ImageNet).</summary>
    public int DefaultClasses { get; init; } = 1000;

    /// <summary>
    /// The parameter count at the reference configuration (<see cref="DefaultInput"/>, <see cref="DefaultClasses"/>),
    /// if there is an outside reference to hold it to; the contract tests check it exactly.
    /// </summary>
    public long? ReferenceParameters { get; init; }

    /// <summary>Where <see cref="ReferenceParameters"/> comes from, e.g. "torchvision 0.14 resnet18".</summary>
    public string? ReferenceSource { get; init; }

    /// <summary>The variant's default dropout before the classifier (as torchvision sets it), if it has one.</summary>
    public double? DefaultDropout { get; init; }

    /// <summary>The variant's default stochastic-depth (drop-path) rate, if it has one.</summary>
    public double? DefaultStochasticDepth { get; init; }

    /// <summary>
    /// The smallest height and width the variant takes, where it cannot adapt to smaller inputs (e.g. 32 for five
    /// stride-2 stages and no small-input stem); null: any size. <see cref="IArchitecture.Build"/> still throws
    /// <see cref="ZooConfigException"/> below it; the contract kit checks the variant at this size and up instead of
    /// failing it at smaller ones. Contract 1.2.
    /// </summary>
    public int? MinimumInputSize { get; init; }

    /// <summary>The channel counts the variant takes (e.g. only 3 for a fixed RGB stem); null: any. Contract 1.2.</summary>
    public IReadOnlyList<int>? SupportedChannels { get; init; }

    /// <summary>
    /// Why the variant does not take <paramref name="input"/>, by its own declarations
    /// (<see cref="MinimumInputSize"/>, <see cref="SupportedChannels"/>), or null when it does. Contract 1.2.
    /// </summary>
    public string? Unsupported(InputShape input)
    {
        if (MinimumInputSize is { } min && Math.Min(input.Height, input.Width) < min)
            return $"{Name} takes inputs of {min}x{min} or more (MinimumInputSize), not {input.Height}x{input.Width}";
        if (SupportedChannels is { Count: > 0 } channels && !channels.Contains(input.Channels))
            return $"{Name} takes {string.Join(" or ", channels)} channels (SupportedChannels), not {input.Channels}";
        return null;
    }
}

/// <summary>
/// What to build: a variant for a channel count, class count and input size, with optional
/// regularisation overrides. Architectures adapt their stem to small inputs (say how in
/// <see cref="IArchitecture.Description"/>) and throw <see cref="ZooConfigException"/> naming the
/// constraint when a size cannot work.
/// </summary>
public sealed record ModelSpec(string Variant, int Channels, int Classes, int Height, int Width)
{
    /// <summary>Overrides the variant's dropout rate.</summary>
    public double? Dropout { get; init; }

    /// <summary>Overrides the variant's stochastic-depth rate.</summary>
    public double? StochasticDepth { get; init; }

    /// <summary>Overrides the initial layer-scale value where the architecture has layer scale.</summary>
    public double? LayerScale { get; init; }

    /// <summary>Architecture-specific options (e.g. "aux_logits": false).</summary>
    public ParameterBag Options { get; init; } = ParameterBag.Empty;

    /// <summary>The input shape this spec asks for.</summary>
    public InputShape Input => new(Channels, Height, Width);

    /// <summary>The spec of a variant at its reference configuration.</summary>
    public static ModelSpec Reference(ArchitectureVariant v) =>
        new(v.Name, v.DefaultInput.Channels, v.DefaultClasses, v.DefaultInput.Height, v.DefaultInput.Width);
}

/// <summary>
/// An architecture family member such as ResNet, with its variants and a factory. Implementations
/// are stateless singletons; <see cref="Build"/> creates a fresh, randomly initialised module
/// (from TorchSharp's global generator, so <c>torch.manual_seed</c> makes it repeatable).
/// </summary>
public interface IArchitecture
{
    /// <summary>The architecture's name, e.g. "ResNet".</summary>
    string Name { get; }

    /// <summary>The family it belongs to: "Classic", "Lightweight", "Modern", or a plugin's own.</summary>
    string Family { get; }

    /// <summary>The paper it implements (authors, title).</summary>
    string Paper { get; }

    /// <summary>The paper's year.</summary>
    int Year { get; }

    /// <summary>What it is, how it adapts to small inputs, and what differs from the paper.</summary>
    string Description { get; }

    /// <summary>The variants it builds.</summary>
    IReadOnlyList<ArchitectureVariant> Variants { get; }

    /// <summary>
    /// Builds the model. Forward takes a float batch N×C×H×W and returns logits N×classes.
    /// Module names follow torchvision's where torchvision has the model, so state dicts line up.
    /// </summary>
    nn.Module<Tensor, Tensor> Build(ModelSpec spec);
}

/// <summary>One auxiliary classifier's output from the last training-mode forward pass.</summary>
/// <param name="Name">The head's name, e.g. "aux1".</param>
/// <param name="Logits">Its logits, N×classes.</param>
/// <param name="LossWeight">The weight of its loss in the total (GoogLeNet: 0.3; Inception v3: 0.4).</param>
public readonly record struct AuxiliaryOutput(string Name, Tensor Logits, double LossWeight);

/// <summary>
/// Implemented by a model with auxiliary classifiers (GoogLeNet, Inception v3). In training mode its
/// forward returns the main logits and keeps the auxiliary ones; the trainer then takes them and adds
/// each one's cross-entropy times its weight to the loss. In eval mode there are none.
/// </summary>
public interface IAuxiliaryClassifiers
{
    /// <summary>Returns and forgets the auxiliary outputs of the last forward pass (empty in eval mode).</summary>
    IReadOnlyList<AuxiliaryOutput> TakeAuxiliaryOutputs();
}

/// <summary>
/// A module whose forward does multiply-accumulates that no convolution or linear weight shows (attention's
/// Q·Kᵀ and A·V products, an input projection held as a bare parameter). After each forward it reports
/// them, so that `zoo describe` counts them in GMACs as torchvision's published figures do (ViT-B/16: 17.564).
/// </summary>
public interface IReportsMacs
{
    /// <summary>Multiply-accumulates of the last forward call, for its whole batch.</summary>
    long LastForwardMacs { get; }
}

/// <summary>
/// Optional, for an architecture whose variants take options (a suite's model entry "options", e.g. LeNet-5's
/// "activation"): declared with <see cref="Param"/>, so that <c>zoo list</c>, <c>zoo describe</c> and the terminal UI
/// show each with its default and allowed values, and <see cref="IArchitecture.Build"/> reads them with the same
/// declarations. Contract 1.4; without it an architecture's options are described only in its text.
/// </summary>
public interface IArchitectureOptions
{
    /// <summary>The options every variant of the architecture takes.</summary>
    IReadOnlyList<ParameterInfo> Options { get; }
}
