using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Zoo.Plugins.Classic;

/// <summary>
/// The Inception family as torchvision builds it: GoogLeNet (Szegedy et al., "Going Deeper with
/// Convolutions", 2015; Inception v1 with BatchNorm, the two auxiliary classifiers used in training and
/// dropped in eval, loss weight 0.3 each) and Inception v3 (Szegedy et al., "Rethinking the Inception
/// Architecture for Computer Vision", 2016; factorised 7×7 and asymmetric convolutions, one auxiliary
/// classifier, loss weight 0.4, 299×299 input). Small inputs (shorter side below 96) drop the stem's
/// stride-2 convolutions and max-pools, as seeds/003's CIFAR GoogLeNet does, so 32×32 reaches the last
/// block at 8×8 (GoogLeNet) or 7×7 (v3); v3's auxiliary head then pools adaptively to 5×5.
/// Option "aux_logits": false leaves the auxiliary heads out.
/// </summary>
public sealed class Inception : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "Inception";
    public string Family => "Classic";
    public string Paper => "Szegedy et al., Going Deeper with Convolutions (GoogLeNet); Rethinking the Inception Architecture for Computer Vision (v3)";
    public int Year => 2015;
    public string Description =>
        "GoogLeNet: nine Inception modules (1x1, 3x3, 'five-by-five' (3x3 as torchvision), pool branches) with BatchNorm and two auxiliary heads (weight 0.3). " +
        "Inception v3: factorised Inception A-E modules, one auxiliary head (weight 0.4), 299x299 default input. Auxiliary heads run only in training. " +
        "Inputs under 96 px skip the stem's downsampling. Option aux_logits (default true).";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("googlenet", "GoogLeNet (Inception v1) with auxiliary heads")
        {
            ReferenceParameters = 13_004_888, ReferenceSource = "torchvision googlenet(aux_logits=True); 6,624,904 without the heads", DefaultDropout = 0.2,
        },
        new ArchitectureVariant("inception_v3", "Inception v3 with auxiliary head")
        {
            DefaultInput = new InputShape(3, 299, 299),
            ReferenceParameters = 27_161_264, ReferenceSource = "torchvision inception_v3(aux_logits=True)", DefaultDropout = 0.5,
        },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        spec.Options.EnsureOnly(new[] { "aux_logits" });
        bool aux = spec.Options.GetBool("aux_logits", true);
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        return spec.Variant switch
        {
            "googlenet" => new GoogLeNetModel(spec.Channels, spec.Classes, aux, spec.Dropout ?? 0.2, small),
            "inception_v3" when !small && Math.Min(spec.Height, spec.Width) < 75 =>
                throw new ZooConfigException("input", "Inception v3 needs at least 75x75 on its ImageNet stem"),
            "inception_v3" => new InceptionV3Model(spec.Channels, spec.Classes, aux, spec.Dropout ?? 0.5, small),
            _ => throw new ZooConfigException("variant", $"Inception has no variant '{spec.Variant}'; allowed: googlenet, inception_v3"),
        };
    }
}
