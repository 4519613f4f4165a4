using TorchSharp;
using Xunit.Abstractions;
using Zoo.Abstractions;
using Zoo.Engine.Analysis;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>Grad-CAM (issue 30): the layer it reads, that it leaves the model as it was, and that trained models look where the class is decided.</summary>
public sealed class GradCamTests(ITestOutputHelper output)
{
    static readonly Lazy<Zoo.Engine.Plugins.PluginCatalog> Catalog = new(TestEnvironment.Catalog);

    static nn.Module<Tensor, Tensor> Build(string variant, int channels, int classes, int size, IReadOnlyDictionary<string, string>? options = null)
    {
        var found = Catalog.Value.FindVariant(variant)!;
        return found.Architecture.Build(new ModelSpec(variant, channels, classes, size, size)
        {
            Options = options is null ? ParameterBag.Empty : new ParameterBag(options, "options"),
        });
    }

    [Theory]
    [InlineData("resnet18", 3, 32, "layer4", FeatureMapLayout.ChannelsFirst)]
    [InlineData("lenet5", 1, 28, "pool", FeatureMapLayout.ChannelsFirst)]
    [InlineData("swin_t", 3, 64, "permute", FeatureMapLayout.ChannelsFirst)]                    // the last stage's map after its norm, N×C×H×W
    [InlineData("vit_b_32", 3, 64, "encoder.layers.encoder_layer_11.ln_1", FeatureMapLayout.TokensWithClassToken)]   // named by the model
    public void The_layer_is_the_last_spatial_map_before_pooling(string variant, int channels, int size, string path, FeatureMapLayout layout)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        using var model = Build(variant, channels, 10, size);
        var x = torch.randn(2, channels, size, size);
        var layer = GradCam.FindLayer(model, x);
        Assert.Equal((path, layout), (layer.Path, layer.Layout));
        var maps = GradCam.Maps(model, x, layer, null, out var logits);
        Assert.Equal(new long[] { 2, size, size }, maps.shape);
        Assert.Equal(new long[] { 2, 10 }, logits.shape);
        Assert.True(maps.isfinite().all().item<bool>());
        Assert.True(maps.min().item<float>() >= 0 && maps.max().item<float>() <= 1);
    }

    [Fact]
    public void Grad_cam_leaves_weights_buffers_gradients_and_mode_as_they_were()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var model = Build("resnet18", 3, 10, 32);
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var x = torch.randn(4, 3, 32, 32);
        var explained = GradCam.Explain(model, x, GradCam.FindLayer(model, x), new long[] { 0, 1, 2, 3 });
        Assert.True(model.training);
        foreach (var (key, value) in model.state_dict()) Assert.True(value.equal(before[key]).all().item<bool>(), key);
        Assert.All(model.parameters(), p => Assert.True(p.grad is null || p.grad.count_nonzero().item<long>() == 0));
        Assert.Equal(new[] { 0, 1, 2, 3 }, explained.Select(e => e.Class));
        // Each image's map depends on that image alone (eval mode): explaining one image gives the same map as in the batch.
        var alone = GradCam.Explain(model, x[2..3], GradCam.FindLayer(model, x), new long[] { 2 })[0];
        Assert.Equal(explained[2].Heatmap.Length, alone.Heatmap.Length);
        Assert.True(explained[2].Heatmap.Zip(alone.Heatmap).All(p => Math.Abs(p.First - p.Second) < 1e-4));
    }

    [Fact]
    public void A_layer_named_on_the_command_line_that_the_model_lacks_is_refused()
    {
        using var scope = NewDisposeScope();
        using var model = Build("lenet5", 1, 10, 28);
        var e = Assert.Throws<ZooConfigException>(() => GradCam.FindLayer(model, torch.randn(1, 1, 28, 28), "layer9"));
        Assert.Contains("layer9", e.Message);
    }

    /// <summary>
    /// Grad-CAM of torchvision's resnet18 equals PyTorch's computation of the same definition within 1e-4: the fixture
    /// (Fixtures/gradcam/make_gradcam.py, PyTorch 1.13) holds the input, the class, the logits and the map; the weights are
    /// a formula both sides evaluate (<see cref="FormulaWeights"/>), so 45 MB of them need not be committed.
    /// </summary>
    [Fact]
    public void Grad_cam_of_resnet18_equals_pytorchs()
    {
        using var scope = NewDisposeScope();
        var fixture = Zoo.Engine.Weights.WeightFile.Load(Path.Combine(TestEnvironment.Root, "tests", "Zoo.Host.Tests", "Fixtures", "gradcam", "resnet18_gradcam.pth"), out _);
        using var model = Build("resnet18", 3, 1000, 96);
        FormulaWeights(model);
        var x = fixture["image"];
        long cls = (long)fixture["class"].item<float>();
        var layer = GradCam.FindLayer(model, x);
        Assert.Equal("layer4", layer.Path);
        var maps = GradCam.Maps(model, x, layer, new[] { cls }, out var logits);
        double logitError = (logits[0] - fixture["logits"]).abs().max().item<float>();
        double mapError = (maps[0] - fixture["heatmap"]).abs().max().item<float>();
        output.WriteLine($"class {cls}; max |logit difference| {logitError:E2}; max |map difference| {mapError:E2}");
        Assert.True(logitError < 1e-3, $"the logits differ by {logitError} from PyTorch's: the weights or the model are not the same");
        Assert.True(mapError < 1e-4, $"the map differs by {mapError} from PyTorch's");
        Assert.True(fixture["heatmap"].max().item<float>() == 1 && fixture["heatmap"].min().item<float>() == 0);
    }

    /// <summary>make_gradcam.py's weights(): each entry a function of its key's place in sorted (ordinal) order and its element index.</summary>
    static void FormulaWeights(nn.Module model)
    {
        using var _ = no_grad();
        var state = model.state_dict();
        var keys = state.Keys.OrderBy(k => k, StringComparer.Ordinal).ToArray();
        for (int k = 0; k < keys.Length; k++)
        {
            var key = keys[k];
            var t = state[key];
            if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            long n = t.numel();
            var v = new float[n];
            double fanIn = t.dim() > 1 ? n / t.shape[0] : 1;
            for (long j = 0; j < n; j++)
            {
                double s = Math.Sin(2.399 * j + 1.3 * k + 0.5);
                v[j] = (float)(key.EndsWith("running_var", StringComparison.Ordinal) ? 1.0 + 0.3 * s
                    : key.EndsWith("running_mean", StringComparison.Ordinal) || (key.EndsWith(".bias", StringComparison.Ordinal) && state.ContainsKey(key[..^5] + ".running_mean")) ? 0.0
                    : key.EndsWith("bias", StringComparison.Ordinal) ? 0.1 * s
                    : t.dim() == 1 ? 1.0 + 0.2 * s
                    : s * Math.Sqrt(4.0 / fanIn));
            }
            t.copy_(tensor(v).reshape(t.shape));
        }
    }
}
