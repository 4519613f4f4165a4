using System.Diagnostics;
using TorchSharp;
using Xunit.Abstractions;
using Zoo.Abstractions;
using Zoo.Engine.Analysis;
using Zoo.Engine.Data;
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

    /// <summary>Every variant of the built-in families (xunit data).</summary>
    public static IEnumerable<object[]> BuiltInVariants() => Catalog.Value.Variants
        .Where(v => v.Plugin.Name is "Classic" or "Lightweight" or "Modern").Select(v => new object[] { v.Variant.Name });

    /// <summary>
    /// Issue 30's contract check, here rather than in Zoo.ContractKit: the kit references only Zoo.Abstractions (it ships to
    /// plugin authors as a package) and Grad-CAM is the engine's. At 28 px grey, or at the smallest size and first channel
    /// count the variant declares (MinimumInputSize, SupportedChannels) where it takes no 28 px grey.
    /// </summary>
    [Theory, MemberData(nameof(BuiltInVariants))]
    public void Every_built_in_variant_gives_a_finite_map_of_the_input_size(string variant)
    {
        var v = Catalog.Value.FindVariant(variant)!.Variant;
        int channels = v.SupportedChannels is { Count: > 0 } cs && !cs.Contains(1) ? cs[0] : 1;
        AssertMap(variant, channels, 10, Math.Max(28, v.MinimumInputSize ?? 0), 3);
    }

    /// <summary>
    /// The same at each variant's reference configuration (3 channels, its reference size and class count: 224 px and
    /// 1000 for most, 299 for Inception v3, 600 for EfficientNet-B7), where the ImageNet stems run rather than the
    /// small-input ones, explaining the predicted class as the report does. Each case builds the model, probes for the
    /// layer and computes the map: two forward passes and the backward after the layer. All 65 took 291 s of CPU time
    /// (8.8 min on a 2-core EPYC that three sessions shared; 116 s of it building the models), the most EfficientNet-B7
    /// at 600 px (19 s CPU) and ConvNeXt-XL (16 s, most of it initialising 350 M weights).
    /// </summary>
    [Theory, MemberData(nameof(BuiltInVariants))]
    [Trait("duration", "minutes")]
    public void Every_built_in_variant_gives_a_finite_map_at_its_reference_size(string variant)
    {
        var v = Catalog.Value.FindVariant(variant)!.Variant;
        AssertMap(variant, v.DefaultInput.Channels, v.DefaultClasses, v.DefaultInput.Height, null, v.DefaultInput.Width);
    }

    /// <summary>
    /// Builds the variant, finds its layer on one random image and asserts a finite map in [0, 1] of the input's size,
    /// explaining <paramref name="explained"/> or, where null, the predicted class; writes where the seconds went.
    /// </summary>
    void AssertMap(string variant, int channels, int classes, int height, long? explained, int? width = null)
    {
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        int w = width ?? height;
        var found = Catalog.Value.FindVariant(variant)!;
        using var model = found.Architecture.Build(new ModelSpec(variant, channels, classes, height, w));
        var built = clock.Elapsed.TotalSeconds;
        var x = torch.randn(1, channels, height, w);
        var layer = GradCam.FindLayer(model, x);
        var maps = GradCam.Maps(model, x, layer, explained is { } c ? new[] { c } : null, out var logits);
        var at = $"{variant} at {channels}x{height}x{w}, {classes} classes";
        Assert.Equal(new long[] { 1, height, w }, maps.shape);
        Assert.Equal(new long[] { 1, classes }, logits.shape);
        Assert.True(maps.isfinite().all().item<bool>(), $"{at}: non-finite map at {layer}");
        Assert.True(maps.min().item<float>() >= 0 && maps.max().item<float>() <= 1, $"{at}: map outside [0, 1] at {layer}");
        output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{at}: built in {built:0.0} s, layer and map {clock.Elapsed.TotalSeconds - built:0.0} s; CPU {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:0.0} s"));
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
    /// The held-out check of issue 30: on shapes-patch, where only a small patch at a random place decides the class (it is
    /// brighter than a noisy background), a briefly trained model's Grad-CAM peak falls inside the patch, dilated by a few
    /// pixels, for at least 80 % of the test images it classifies right. ResNet-18 meets it at 3 px. LeNet-5 does not:
    /// measured (2-core EPYC under load), 96/100 right and the peak within 3 px of the patch for 70.8 %, 4 px 78.1 %,
    /// 5 px 87.5 %, so its case asserts 5 px. Its map is S4's 5×5: the bilinear upsampling centres the cells at 2.3, 7.9,
    /// 13.5, 19.1 and 24.7 px while their receptive fields (input rows 4i − 2 to 4i + 13) are centred at 5.5, 9.5, 13.5,
    /// 17.5 and 21.5 px, and each field (16 px) holds the whole patch from several cells. ResNet-18: 88/100 right, 86.4 %
    /// within 3 px. Its two epochs of 1000 images are most of the test's time (about 300 s on that loaded machine; LeNet-5 40 s).
    /// </summary>
    [Theory]
    [InlineData("lenet5", 2000, 6, 5)]
    [InlineData("resnet18", 1000, 2, 3)]
    public void A_trained_model_looks_at_the_patch_that_decides_the_class(string variant, int images, int epochs, int dilation)
    {
        var clock = Stopwatch.StartNew();
        const int size = 28, Batch = 32;
        var info = new DatasetInfo("shapes-patch", 1, size, size, PatchShapesDatasetProvider.ClassNames);
        var (train, _) = PatchShapesDatasetProvider.Generate(info, images, 7, 0, 0.06);
        var (test, patches) = PatchShapesDatasetProvider.Generate(info, 100, 7, 2, 0.06);
        torch.manual_seed(3);
        // LeNet-5 as the quick start trains it (ReLU, max pooling): the paper's tanh and average pooling learn this task far slower.
        using var model = Build(variant, 1, PatchShapesDatasetProvider.ClassNames.Length, size,
            variant == "lenet5" ? new Dictionary<string, string> { ["activation"] = "relu", ["pool"] = "max" } : null);
        using var optimizer = torch.optim.Adam(model.parameters(), 2e-3);
        var (xs, ys) = Tensors(train);
        var (xt, yt) = Tensors(test);
        var rng = new Random(5);
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            model.train();
            var order = Enumerable.Range(0, train.Count).ToArray();
            rng.Shuffle(order);
            for (int start = 0; start < order.Length; start += Batch)
            {
                using var step = NewDisposeScope();
                var idx = tensor(order[start..Math.Min(order.Length, start + Batch)].Select(i => (long)i).ToArray());
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(xs.index_select(0, idx)), ys.index_select(0, idx));
                loss.backward();
                optimizer.step();
            }
        }
        var trained = clock.Elapsed;
        var layer = GradCam.FindLayer(model, xt[..1]);
        var explained = Enumerable.Range(0, (int)Math.Ceiling(test.Count / 50.0))
            .SelectMany(b => GradCam.Explain(model, xt[(b * 50)..Math.Min(test.Count, b * 50 + 50)], layer)).ToArray();
        int right = 0;
        var inside = new int[6];   // peak within d px of the patch, d = 0…5
        for (int i = 0; i < test.Count; i++)
        {
            if (explained[i].Predicted != test.GetLabel(i)) continue;
            right++;
            var (y, x) = explained[i].Peak;
            var (px, py, side) = patches[i];
            for (int d = 0; d < inside.Length; d++)
                if (x >= px - d && x < px + side + d && y >= py - d && y < py + side + d) inside[d]++;
        }
        output.WriteLine($"{variant}: {right}/{test.Count} right after {epochs} epochs; peak in the patch dilated by 0..5 px: " +
            string.Join(", ", inside.Select((n, d) => $"±{d} {n * 100.0 / Math.Max(1, right):0.0} %")) +
            $"; layer {layer}; trained in {trained.TotalSeconds:0.0} s, all {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.True(right >= test.Count / 2, $"{variant} got only {right} of {test.Count} right: too little training to check where it looks");
        Assert.True(inside[dilation] >= 0.8 * right, $"{variant}: the Grad-CAM peak is in the patch (±{dilation} px) for {inside[dilation]} of {right} correctly classified images, under 80 %");
        xs.Dispose(); ys.Dispose(); xt.Dispose(); yt.Dispose();
    }

    [Fact]
    public void The_side_by_side_figure_has_a_row_per_image_and_a_column_per_model_that_explained_the_same_images()
    {
        static Zoo.Engine.Results.PredictedImage Image(int index, int predicted, byte heat) =>
            new(index, 1, predicted, 0.9, new Zoo.Engine.Results.Thumbnail(1, 2, 2, new byte[] { 10, 20, 30, 40 }))
            {
                Heatmap = new Zoo.Engine.Results.Thumbnail(1, 2, 2, new byte[] { 0, heat, heat, 255 }),
            };
        static Zoo.Engine.Results.PredictionSample Sample(params Zoo.Engine.Results.PredictedImage[] explained) =>
            new(Array.Empty<Zoo.Engine.Results.PredictedImage>()) { Explained = explained, ExplainedLayer = "layer4 (ChannelsFirst)" };
        var runs = new (string, Zoo.Engine.Results.PredictionSample?)[]
        {
            ("a", Sample(Image(3, 1, 0), Image(8, 0, 99))),
            ("b", Sample(Image(3, 0, 50), Image(8, 1, 0))),
            ("no-maps", Sample()),
            ("other-images", Sample(Image(4, 1, 0), Image(8, 1, 0))),
            ("no-sample", null),
        };
        var (tiles, columns, title) = Zoo.Reports.Figures.ImageGrid.WhereModelsLook(runs, new[] { "cat", "dog" })!.Value;
        Assert.Equal(3, columns);
        Assert.Equal(new[] { "true: dog", "a", "b", "true: dog", "a", "b" }, tiles.Select(t => t.Caption));
        Assert.Equal(new bool?[] { null, true, false, null, false, true }, tiles.Select(t => t.Correct));
        Assert.Equal("pred: cat 90%", tiles[2].Detail);
        Assert.Contains("1 run(s) explained other images and are left out", title);
        Assert.Equal(3, tiles[1].Image.Channels);   // the map drawn over the grey image in colour
        Assert.Null(Zoo.Reports.Figures.ImageGrid.WhereModelsLook(new (string, Zoo.Engine.Results.PredictionSample?)[] { ("no-maps", Sample()) }, new[] { "cat" }));
    }

    [Fact]
    public void Explain_writes_an_overlay_per_image_and_prints_the_top_classes()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            torch.manual_seed(3);
            using (var model = Build("lenet5", 1, 7, 32))
                Zoo.Engine.Weights.WeightLoader.Save(model, Path.Combine(dir, "lenet.safetensors"));
            File.WriteAllLines(Path.Combine(dir, "labels.txt"), new[] { "zero", "one", "two", "three", "four", "five", "six" });
            foreach (var (name, colour) in new[] { ("a", SkiaSharp.SKColors.White), ("b", SkiaSharp.SKColors.Navy) })
            {
                using var bitmap = new SkiaSharp.SKBitmap(40, 30);
                using (var canvas = new SkiaSharp.SKCanvas(bitmap)) { canvas.Clear(colour); canvas.DrawCircle(12, 10, 6, new SkiaSharp.SKPaint { Color = SkiaSharp.SKColors.Yellow }); }
                using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(dir, name + ".png"), data.ToArray());
            }
            var output = Path.Combine(dir, "out");
            var (code, stdout, stderr) = TestEnvironment.RunZoo("explain", "--arch", "lenet5", "--weights", Path.Combine(dir, "lenet.safetensors"),
                "--labels", Path.Combine(dir, "labels.txt"), "--class", "three", "--out", output, Path.Combine(dir, "a.png"), Path.Combine(dir, "b.png"));
            Assert.True(code == 0, stderr);
            foreach (var name in new[] { "a", "b" })
            {
                var png = Path.Combine(output, name + "-gradcam.png");
                Assert.Contains($"Grad-CAM of three at pool (ChannelsFirst): {png}", stdout);
                using var written = SkiaSharp.SKBitmap.Decode(png);
                Assert.Equal((224, 224), (written.Width, written.Height));   // 32 px enlarged 7 times
            }
            Assert.Equal(2 * 5, stdout.Split('\n').Count(l => l.Contains(" %  ")));   // the top 5 of each image
            var (wrong, _, error) = TestEnvironment.RunZoo("explain", "--arch", "lenet5", "--weights", Path.Combine(dir, "lenet.safetensors"),
                "--labels", Path.Combine(dir, "labels.txt"), "--class", "seven", "--out", output, Path.Combine(dir, "a.png"));
            Assert.Equal(2, wrong);
            Assert.Contains("'seven' is neither a class name of the model (zero, one", error);
        }
        finally { Directory.Delete(dir, true); }
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

    static (Tensor X, Tensor Y) Tensors(IImageSet set)
    {
        var info = set.Info;
        var buffer = new float[set.Count * info.ImageLength];
        for (int i = 0; i < set.Count; i++) set.Read(i, buffer.AsSpan(i * info.ImageLength, info.ImageLength));
        var x = ((tensor(buffer).reshape(set.Count, info.Channels, info.Height, info.Width) - 0.5f) / 0.25f).DetachFromDisposeScope();
        var y = tensor(Enumerable.Range(0, set.Count).Select(i => (long)set.GetLabel(i)).ToArray()).DetachFromDisposeScope();
        return (x, y);
    }
}
