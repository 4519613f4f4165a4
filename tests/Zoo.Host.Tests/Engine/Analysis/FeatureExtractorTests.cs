using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Analysis;
using Zoo.Engine.Data;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>The penultimate features of models that declare nothing, and of one that implements <see cref="IFeatureExtractor"/>.</summary>
public sealed class FeatureExtractorTests
{
    static readonly Lazy<Zoo.Engine.Plugins.PluginCatalog> Catalog = new(TestEnvironment.Catalog);

    // Widths of the classifier's input: torchvision's fc / classifier[-1] / heads.head in_features, LeNet-5's F6 (84),
    // SqueezeNet's final 1×1 convolution's input channels.
    [Theory]
    [InlineData("lenet5", 1, 28, 84, "input of classifier.4 (Linear)")]
    [InlineData("resnet18", 3, 32, 512, "input of fc (Linear)")]
    [InlineData("mobilenet_v2", 3, 32, 1280, "input of classifier.1 (Linear)")]
    [InlineData("vit_b_16", 3, 32, 768, "input of heads.head (Linear)")]
    [InlineData("squeezenet1_1", 3, 32, 512, "input of classifier.1 (Conv2d)")]
    [InlineData("alexnet", 3, 32, 4096, "input of classifier.6 (Linear)")]
    [InlineData("vgg11_bn", 3, 32, 4096, "input of classifier.6 (Linear)")]
    [InlineData("googlenet", 3, 32, 1024, "input of fc (Linear)")]            // aux heads do not run in eval mode
    [InlineData("densenet121", 3, 32, 1024, "input of classifier (Linear)")]
    [InlineData("shufflenet_v2_x1_0", 3, 32, 1024, "input of fc (Linear)")]
    [InlineData("mobilenet_v3_small", 3, 32, 1024, "input of classifier.3 (Linear)")]
    [InlineData("efficientnet_b0", 3, 32, 1280, "input of classifier.1 (Linear)")]
    [InlineData("convnext_tiny", 3, 32, 768, "input of classifier.2 (Linear)")]
    [InlineData("swin_t", 3, 32, 768, "input of head (Linear)")]
    public void The_default_features_are_the_classifiers_input(string variant, int channels, int size, int width, string source)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        var found = Catalog.Value.FindVariant(variant)!;
        using var model = found.Architecture.Build(new ModelSpec(variant, channels, 10, size, size));
        model.train();
        var x = torch.randn(3, channels, size, size);
        var f = FeatureExtractor.Features(model, x, out var from);
        Assert.Equal(new long[] { 3, width }, f.shape);
        Assert.EndsWith(source, from);
        Assert.True(model.training);   // mode restored
        if (from.EndsWith("(Linear)", StringComparison.Ordinal))
        {
            // The features are what the last linear layer reads: applying it to them gives the model's logits.
            var path = from["input of ".Length..from.LastIndexOf(" (", StringComparison.Ordinal)];
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            model.eval();
            using (no_grad())
            {
                var logits = model.call(x);
                var again = nn.functional.linear(f, parameters[path + ".weight"], parameters[path + ".bias"]);
                Assert.True(again.allclose(logits, rtol: 1e-4, atol: 1e-5));
            }
        }
    }

    sealed class OwnFeatures : nn.Module<Tensor, Tensor>, IFeatureExtractor
    {
        readonly TorchSharp.Modules.Linear head = nn.Linear(12, 2);
        public OwnFeatures() : base(nameof(OwnFeatures)) => RegisterComponents();
        public Tensor Features(Tensor x) => x.flatten(1) * 2;
        public override Tensor forward(Tensor x) => head.call(Features(x));
    }

    sealed class NoWeights : nn.Module<Tensor, Tensor>
    {
        public NoWeights() : base(nameof(NoWeights)) { }
        public override Tensor forward(Tensor x) => x.flatten(1);
    }

    [Fact]
    public void A_model_that_implements_IFeatureExtractor_gives_its_own_and_one_without_layers_is_refused()
    {
        using var x = torch.ones(2, 3, 2, 2);
        using var own = new OwnFeatures();
        using var f = FeatureExtractor.Features(own, x, out var from);
        Assert.Equal("IFeatureExtractor", from);
        Assert.Equal(2f, f[0, 0].item<float>());
        using var none = new NoWeights();
        var e = Assert.Throws<InvalidOperationException>(() => FeatureExtractor.Features(none, x, out _));
        Assert.Contains("IFeatureExtractor", e.Message);
    }

    [Fact]
    public void Collecting_features_takes_a_seeded_sample_of_at_most_the_cap()
    {
        var splits = new ShapesDatasetProvider().Open(new DatasetRequest { Channels = 1, Size = 16, Seed = 1, Options = Bag(("train", "20"), ("val", "0"), ("test", "50")) });
        torch.manual_seed(0);
        using var model = Catalog.Value.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 10, 16, 16));
        var mean = new[] { 0.5f };
        var std = new[] { 0.25f };
        var a = FeatureExtractor.Collect(model, torch.CPU, splits.Test!, mean, std, maxImages: 30, seed: 7, batchSize: 8);
        var b = FeatureExtractor.Collect(model, torch.CPU, splits.Test!, mean, std, maxImages: 30, seed: 7, batchSize: 16);
        Assert.Equal(30, a.Count);
        Assert.Equal(84, a.Width);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Features[29, 83], b.Features[29, 83], 5);
        Assert.Equal(50, FeatureExtractor.Collect(model, torch.CPU, splits.Test!, mean, std, maxImages: 2000, seed: 7).Count);
    }

    static ParameterBag Bag(params (string K, string V)[] kv) => new(kv.ToDictionary(x => x.K, x => x.V), "dataset");
}
