using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Lightweight;

/// <summary>
/// MobileNet V1 (Howard, Zhu, Chen, Kalenichenko, Wang, Weyand, Andreetto, Adam, "MobileNets: Efficient
/// Convolutional Neural Networks for Mobile Vision Applications", 2017), Table 1: a 3×3 stride-2 stem and 13
/// depthwise separable convolutions (<see cref="DepthwiseSeparable"/>, 32→64→…→1024), global pool, linear; width
/// multiplier α as option "width_mult". torchvision has no MobileNet V1, so names and counts are Zoo's own:
/// features.N (stem, then blocks with dw/pw) and classifier; 4,231,976 parameters at 3×224×224 with 1000 classes
/// (the paper's 4.2 M). Where the paper leaves details open the choices are Zoo's: α·channels rounded down with a
/// floor of 8, and an optional dropout before the classifier (default 0). Small inputs (shorter side below 96)
/// run the stem and the first stride-2 block at stride 1 (total stride 8), so a 32×32 image reaches the last
/// block as 4×4.
/// </summary>
public sealed class MobileNetV1 : IArchitecture, IArchitectureOptions
{
    public string Name => "MobileNetV1";
    public string Family => "Lightweight";
    public string Paper => "Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications";
    public int Year => 2017;
    public string Description =>
        "Stem conv 3x3/2 then 13 depthwise separable convolutions (depthwise 3x3-BN-ReLU, pointwise 1x1-BN-ReLU), global pool, linear. " +
        "Reference 4,231,976 parameters at 3x224x224/1000 (own count; paper: 4.2 M). Option width_mult. Inputs under 96 px keep the stem and the first stride-2 block at stride 1.";

    static readonly (int Out, int Stride)[] Blocks =
    {
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("mobilenet_v1", "MobileNet V1 1.0") { ReferenceParameters = 4_231_976, ReferenceSource = "own count of Howard et al. 2017 Table 1 (4.2 M)" },
    };

    public IReadOnlyList<ParameterInfo> Options { get; } = new ParameterInfo[] { CommonOptions.WidthMult };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "mobilenet_v1") throw new ZooConfigException("variant", $"MobileNetV1 has no variant '{spec.Variant}'; allowed: mobilenet_v1");
        spec.Options.EnsureOnly(Options);
        double width = CommonOptions.WidthMult.Read(spec.Options);
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        int C(int c) => Math.Max(8, (int)(c * width));
        var layers = new List<Module<Tensor, Tensor>> { ConvNormAct.Create(spec.Channels, C(32), stride: small ? 1 : 2) };
        int inC = C(32);
        bool firstStride2 = true;
        foreach (var (o, s) in Blocks)
        {
            int stride = s;
            if (s == 2 && firstStride2) { firstStride2 = false; if (small) stride = 1; }
            layers.Add(new DepthwiseSeparable(inC, C(o), stride));
            inC = C(o);
        }
        return new MobileNetV1Model(Nn.Seq(layers.ToArray()), inC, spec.Classes, spec.Dropout ?? 0);
    }
}

/// <summary>features, global average pool, (dropout,) classifier.</summary>
public sealed class MobileNetV1Model : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly Dropout dropout;
    readonly Linear classifier;

    public MobileNetV1Model(Sequential features, int lastChannels, int classes, double dropoutRate) : base("MobileNetV1")
    {
        this.features = features;
        dropout = Dropout(dropoutRate);
        classifier = Linear(lastChannels, classes);
        RegisterComponents();
        Init.HeNormal(this);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var f = functional.adaptive_avg_pool2d(features.call(x), 1).flatten(1);
        return classifier.call(dropout.call(f)).MoveToOuterDisposeScope();
    }
}
