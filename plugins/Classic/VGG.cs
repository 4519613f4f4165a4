using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Classic;

/// <summary>
/// VGG (Simonyan &amp; Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition",
/// 2015): configurations A, B, D, E (11, 13, 16, 19 weight layers) of 3×3 convolutions and 2×2 max-pools,
/// with or without BatchNorm (Ioffe &amp; Szegedy 2015), as torchvision builds them: features, avgpool (7×7),
/// classifier (4096, 4096, classes, dropout 0.5). Small inputs (shorter side below 96) pool with
/// ceil_mode so 28×28 survives five halvings, average-pool to 1×1 and start the classifier at 512
/// inputs, as the CIFAR VGG of seeds/003 does.
/// </summary>
public sealed class VGG : IArchitecture, IPretrainedWeights
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "VGG";
    public string Family => "Classic";
    public string Paper => "Simonyan & Zisserman, Very Deep Convolutional Networks for Large-Scale Image Recognition";
    public int Year => 2015;
    public string Description =>
        "Stacks of 3x3 convolutions (configurations A/B/D/E), max-pooling, three fully connected layers; optional BatchNorm. torchvision's layout and names. " +
        "Inputs under 96 px pool with ceil_mode, average-pool to 1x1 and feed 512 features to the classifier.";

    const int M = 0;   // max-pool marker
    static readonly Dictionary<int, int[]> Configs = new()
    {
        [11] = new[] { 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M },
        [13] = new[] { 64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M },
        [16] = new[] { 64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M },
        [19] = new[] { 64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M },
    };

    static readonly Dictionary<string, long> Reference = new()
    {
        ["vgg11"] = 132_863_336, ["vgg11_bn"] = 132_868_840, ["vgg13"] = 133_047_848, ["vgg13_bn"] = 133_053_736,
        ["vgg16"] = 138_357_544, ["vgg16_bn"] = 138_365_992, ["vgg19"] = 143_667_240, ["vgg19_bn"] = 143_678_248,
    };

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = Reference.Select(kv =>
        new ArchitectureVariant(kv.Key, $"VGG-{kv.Key[3..5]}{(kv.Key.EndsWith("_bn") ? " with BatchNorm" : "")}")
        {
            ReferenceParameters = kv.Value, ReferenceSource = $"torchvision {kv.Key}", DefaultDropout = 0.5,
        }).ToArray();

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (!Reference.ContainsKey(spec.Variant))
            throw new ZooConfigException("variant", $"VGG has no variant '{spec.Variant}'; allowed: {string.Join(", ", Reference.Keys)}");
        spec.Options.EnsureOnly(Array.Empty<string>());
        int depth = int.Parse(spec.Variant[3..5]);
        bool bn = spec.Variant.EndsWith("_bn", StringComparison.Ordinal);
        return new VGGModel(Configs[depth], bn, spec.Channels, spec.Classes, spec.Dropout ?? 0.5, Nn.IsSmallInput(spec.Height, spec.Width));
    }

    /// <summary>The VGG module: features, avgpool, classifier.</summary>
    public sealed class VGGModel : Module<Tensor, Tensor>
    {
        readonly Sequential features;
        readonly AdaptiveAvgPool2d avgpool;
        readonly Sequential classifier;

        public VGGModel(int[] cfg, bool batchNorm, int channels, int classes, double dropout, bool small) : base("VGG")
        {
            var layers = new List<Module<Tensor, Tensor>>();
            long inC = channels;
            foreach (var v in cfg)
            {
                if (v == M) { layers.Add(MaxPool2d(2, 2, ceil_mode: small)); continue; }
                layers.Add(Conv2d(inC, v, 3, padding: 1));
                if (batchNorm) layers.Add(BatchNorm2d(v));
                layers.Add(ReLU(inplace: true));
                inC = v;
            }
            features = Nn.Seq(layers.ToArray());
            int pooled = small ? 1 : 7;
            avgpool = AdaptiveAvgPool2d(new long[] { pooled, pooled });
            classifier = Nn.Seq(
                Linear(512 * pooled * pooled, 4096), ReLU(inplace: true), Dropout(dropout),
                Linear(4096, 4096), ReLU(inplace: true), Dropout(dropout),
                Linear(4096, classes));
            RegisterComponents();

            Init.HeNormal(this, linear: Init.SmallNormal);
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var f = avgpool.call(features.call(x)).flatten(1);
            return classifier.call(f).MoveToOuterDisposeScope();
        }
    }
}
