using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Classic;

/// <summary>
/// AlexNet (Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep Convolutional Neural
/// Networks", 2012) in torchvision's single-tower form (64-192-384-256-256 filters, no LRN), and ZFNet
/// (Zeiler &amp; Fergus, "Visualizing and Understanding Convolutional Networks", 2014): 7×7 stride-2 first
/// layer, 5×5 stride-2 second, 96-256-384-384-256 filters with local response normalisation after the
/// first two. Both: features, avgpool (6×6), classifier (dropout 0.5, 4096, 4096, classes), torchvision's
/// names. Small inputs (shorter side below 96) replace the first convolution by a 3×3 stride-1 one (and
/// ZFNet's second by stride 1), as CIFAR ports do; the pools then leave 32×32 at 3×3 before the 6×6 pool.
/// </summary>
public sealed class AlexNet : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "AlexNet";
    public string Family => "Classic";
    public string Paper => "Krizhevsky et al., ImageNet Classification with Deep Convolutional Neural Networks (ZFNet: Zeiler & Fergus 2014)";
    public int Year => 2012;
    public string Description =>
        "Five convolutions with max-pooling, then three fully connected layers with dropout 0.5; torchvision's single-tower AlexNet. " +
        "ZFNet: 7x7/2 and 5x5/2 first layers, 96-256-384-384-256 filters, LRN after the first two (reference: own count, 62,357,608 at 3x224x224/1000). " +
        "Inputs under 96 px start with a 3x3 stride-1 convolution.";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("alexnet", "AlexNet") { ReferenceParameters = 61_100_840, ReferenceSource = "torchvision alexnet", DefaultDropout = 0.5 },
        new ArchitectureVariant("zfnet", "ZFNet")
        {
            // conv 14,208 + 614,656 + 885,120 + 1,327,488 + 884,992; fc 37,752,832 + 16,781,312 + 4,097,000
            ReferenceParameters = 62_357_608, ReferenceSource = "own count of Zeiler & Fergus 2014, Fig. 3", DefaultDropout = 0.5,
        },
    };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        spec.Options.EnsureOnly(Array.Empty<string>());
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        if (Math.Min(spec.Height, spec.Width) < 16)
            throw new ZooConfigException("input", $"{(spec.Variant == "zfnet" ? "ZFNet" : "AlexNet")} needs images of at least 16x16 (three 3x3 stride-2 max-pools); got {spec.Height}x{spec.Width}");
        double dropout = spec.Dropout ?? 0.5;
        return spec.Variant switch
        {
            "alexnet" => new AlexNetModel(Nn.Seq(
                small ? Conv2d(spec.Channels, 64, 3, stride: 1, padding: 1) : Conv2d(spec.Channels, 64, 11, stride: 4, padding: 2),
                ReLU(inplace: true), MaxPool2d(3, 2),
                Conv2d(64, 192, 5, padding: 2), ReLU(inplace: true), MaxPool2d(3, 2),
                Conv2d(192, 384, 3, padding: 1), ReLU(inplace: true),
                Conv2d(384, 256, 3, padding: 1), ReLU(inplace: true),
                Conv2d(256, 256, 3, padding: 1), ReLU(inplace: true), MaxPool2d(3, 2)), spec.Classes, dropout, "AlexNet"),
            "zfnet" => new AlexNetModel(Nn.Seq(
                small ? Conv2d(spec.Channels, 96, 3, stride: 1, padding: 1) : Conv2d(spec.Channels, 96, 7, stride: 2, padding: 1),
                ReLU(inplace: true), MaxPool2d(3, 2, 1), LocalResponseNorm(5, 1e-4, 0.75, 2),
                Conv2d(96, 256, 5, stride: small ? 1 : 2, padding: small ? 2 : 0), ReLU(inplace: true), MaxPool2d(3, 2, 1), LocalResponseNorm(5, 1e-4, 0.75, 2),
                Conv2d(256, 384, 3, padding: 1), ReLU(inplace: true),
                Conv2d(384, 384, 3, padding: 1), ReLU(inplace: true),
                Conv2d(384, 256, 3, padding: 1), ReLU(inplace: true), MaxPool2d(3, 2)), spec.Classes, dropout, "ZFNet"),
            _ => throw new ZooConfigException("variant", $"AlexNet has no variant '{spec.Variant}'; allowed: alexnet, zfnet"),
        };
    }
}

/// <summary>features → 6×6 average pool → classifier (dropout, 4096, ReLU, dropout, 4096, ReLU, classes).</summary>
public sealed class AlexNetModel : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Sequential classifier;

    public AlexNetModel(Sequential features, int classes, double dropout, string name) : base(name)
    {
        this.features = features;
        avgpool = AdaptiveAvgPool2d(new long[] { 6, 6 });
        classifier = Nn.Seq(
            Dropout(dropout), Linear(256 * 6 * 6, 4096), ReLU(inplace: true),
            Dropout(dropout), Linear(4096, 4096), ReLU(inplace: true),
            Linear(4096, classes));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = avgpool.call(features.call(x)).flatten(1);
        return classifier.call(f).MoveToOuterDisposeScope();
    }
}
