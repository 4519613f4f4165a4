using SkiaSharp;
using TorchSharp;
using Xunit.Abstractions;
using Zoo.Abstractions;
using Zoo.Engine.Analysis;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Reports.Export;
using Zoo.Reports.Figures;
using Zoo.Reports.Model;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>Issue 30's other pictures: a model's first convolution's filters and one image's feature maps through each stage.</summary>
public sealed class FeatureMapsTests(ITestOutputHelper output)
{
    static readonly Lazy<Zoo.Engine.Plugins.PluginCatalog> Catalog = new(TestEnvironment.Catalog);

    static nn.Module<Tensor, Tensor> Build(string variant, int channels, int classes, int size)
    {
        var found = Catalog.Value.FindVariant(variant)!;
        return found.Architecture.Build(new ModelSpec(variant, channels, classes, size, size));
    }

    [Fact]
    public void Each_filter_is_scaled_to_its_own_range_grey_for_one_channel_colour_for_three_and_the_mean_for_others()
    {
        // Two 1×2×2 filters on different scales: each spans 0–255 on its own.
        var grey = FeatureMaps.Filters("conv1", new float[] { -1, 0, 1, 3, 100, 200, 300, 400 }, 2, 1, 2, 2);
        Assert.Equal(FilterDisplay.Grey, grey.Display);
        Assert.Equal(new byte[] { 0, 64, 128, 255 }, grey.Images[0].Pixels);
        Assert.Equal(new byte[] { 0, 85, 170, 255 }, grey.Images[1].Pixels);
        Assert.All(grey.Images, i => Assert.Equal((1, 2, 2), (i.Channels, i.Height, i.Width)));

        // RGB: one scale over the three channels together, so a red filter stays red.
        var rgb = FeatureMaps.Filters("conv_proj", new float[] { 2, 2, 0, 0, 0, 0 }, 1, 3, 1, 2);
        Assert.Equal(FilterDisplay.Rgb, rgb.Display);
        Assert.Equal(new byte[] { 255, 255, 0, 0, 0, 0 }, rgb.Images[0].Pixels);

        // Four input channels: their mean, grey; a constant filter is mid-grey rather than a division by zero.
        var four = FeatureMaps.Filters("stem", new float[] { 0, 4, 0, 0, 0, 0, 0, 0, 5, 5, 5, 5, 5, 5, 5, 5 }, 2, 4, 1, 2);
        Assert.Equal(FilterDisplay.MeanOfChannels, four.Display);
        Assert.Equal(new byte[] { 0, 255 }, four.Images[0].Pixels);
        Assert.Equal(new byte[] { 128, 128 }, four.Images[1].Pixels);

        // At most the first 64 filters are kept; the count says how many there are.
        var many = FeatureMaps.Filters("conv_proj", new float[100 * 3], 100, 3, 1, 1);
        Assert.Equal((100, 64), (many.Filters, many.Images.Count));
        Assert.Throws<ArgumentException>(() => FeatureMaps.Filters("x", new float[5], 2, 1, 2, 2));
    }

    [Fact]
    public void A_stage_shows_its_channels_of_highest_mean_activation_most_active_first()
    {
        // 10 channels of 1×2: channel c has mean c % 5 (ties broken by the lower index); channel 3 has a spread.
        var map = new float[10 * 2];
        for (int c = 0; c < 10; c++) { map[2 * c] = c % 5; map[2 * c + 1] = c % 5; }
        map[6] = 1; map[7] = 5;   // channel 3: mean 3, from 1 to 5
        var stage = FeatureMaps.Stage("layer2", map, 10, 1, 2);
        Assert.Equal(new[] { 4, 9, 3, 8, 2, 7, 1, 6 }, stage.Top);
        Assert.Equal(new[] { 4.0, 4, 3, 3, 2, 2, 1, 1 }, stage.Means);
        Assert.Equal(new byte[] { 0, 255 }, stage.Maps[2].Pixels);    // channel 3 on its own scale
        Assert.Equal(new byte[] { 128, 128 }, stage.Maps[0].Pixels);  // a flat map is mid-grey
        Assert.Equal(3, FeatureMaps.Stage("few", new float[3 * 4], 3, 2, 2).Maps.Count);   // fewer channels than 8: all of them
    }

    [Theory]
    [InlineData("resnet18", 3, 96, "conv1", "relu,layer1,layer2,layer3,layer4")]   // the ImageNet stem's ReLU (48x48), its pooling and layer1 at 24x24, a stage at each size after
    [InlineData("alexnet", 1, 28, "features.0", "features.1,features.4,features.11,features")]   // 28, 13, 6 and 2 px; not the adaptive pooling that enlarges 2x2 to 6x6
    [InlineData("vgg11", 3, 32, "features.0", "features.1,features.4,features.9,features.14,features.19")]   // the ReLU before each pooling
    [InlineData("swin_t", 3, 64, "features.0.0", "features.1,features.3,features.5,permute")]   // channels-last stages, the final permute channels first
    [InlineData("vit_b_32", 3, 64, "conv_proj", "conv_proj,encoder.layers.encoder_layer_2,encoder.layers.encoder_layer_5,encoder.layers.encoder_layer_8,encoder.layers.encoder_layer_11")]
    public void The_stages_are_each_sizes_last_outermost_map_and_a_transformers_blocks(string variant, int channels, int size, string first, string stages)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        using var model = Build(variant, channels, 10, size);
        var (filters, found) = FeatureMaps.Of(model, torch.randn(1, channels, size, size));
        Assert.Equal(first, filters!.Layer);
        Assert.Equal(stages, string.Join(",", found.Select(s => s.Layer)));
        Assert.Equal(variant.StartsWith("vit", StringComparison.Ordinal) ? new[] { false, true, true, true, true } : found.Select(_ => false), found.Select(s => s.Tokens));
    }

    /// <summary>Every variant of the built-in families (xunit data).</summary>
    public static IEnumerable<object[]> BuiltInVariants() => GradCamTests.BuiltInVariants();

    /// <summary>
    /// Every built-in variant at 28 px grey (or the smallest size and first channel count it declares): the first
    /// convolution's filters, and at least two stages whose maps shrink, each with its 8 most active channels.
    /// </summary>
    [Theory, MemberData(nameof(BuiltInVariants))]
    public void Every_built_in_variant_shows_its_first_filters_and_a_map_per_stage(string variant)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(0);
        var v = Catalog.Value.FindVariant(variant)!.Variant;
        int channels = v.SupportedChannels is { Count: > 0 } cs && !cs.Contains(1) ? cs[0] : 1;
        int size = Math.Max(28, v.MinimumInputSize ?? 0);
        using var model = Build(variant, channels, 10, size);
        model.train();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var (filters, stages) = FeatureMaps.Of(model, torch.randn(1, channels, size, size));
        output.WriteLine($"{variant} at {channels}x{size}x{size}: filters {filters?.Layer} {filters?.Filters}x{filters?.InputChannels}x{filters?.KernelHeight}x{filters?.KernelWidth}; stages " +
            string.Join(", ", stages.Select(s => $"{s.Layer} {s.Channels}x{s.Height}x{s.Width}")));
        Assert.True(model.training);
        foreach (var (key, value) in model.state_dict()) Assert.True(value.equal(before[key]).all().item<bool>(), $"{variant}: {key} changed");
        Assert.NotNull(filters);
        Assert.Equal(channels, filters!.InputChannels);
        Assert.Equal(Math.Min(64, filters.Filters), filters.Images.Count);
        Assert.True(stages.Count >= 2, $"{variant}: {stages.Count} stage(s)");
        var maps = stages.Where(s => !s.Tokens).ToArray();
        Assert.True(maps.Zip(maps.Skip(1)).All(p => p.Second.Height < p.First.Height && p.Second.Width < p.First.Width),
            $"{variant}: the stages' maps do not shrink: {string.Join(", ", maps.Select(s => $"{s.Height}x{s.Width}"))}");
        Assert.All(stages, s =>
        {
            Assert.Equal(Math.Min(8, s.Channels), s.Maps.Count);
            Assert.Equal(s.Means.OrderDescending(), s.Means);
            Assert.All(s.Maps, m => Assert.Equal((1, Math.Min(s.Height, 64), m.Pixels.Length), (m.Channels, m.Height, m.Height * m.Width)));
        });
    }

    /// <summary>
    /// A suite run by the engine keeps each run's filters and feature maps with its prediction sample, the report draws
    /// them as two figures in the run's section and lists them in report.html; with "explain": false neither they nor
    /// the Grad-CAM maps are computed, and the report has none of those figures.
    /// </summary>
    [Fact]
    public void A_runs_filters_and_feature_maps_are_in_its_report_unless_the_suite_says_explain_false()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            string Suite(string name, string explain) => $$"""
                {
                  "name": "{{name}}", {{explain}}
                  "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 64, "val": 32, "test": 32 },
                  "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
                  "recipe": { "epochs": 1, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } }
                }
                """;
            var on = Path.Combine(dir, "on");
            new SuiteRunner(TestEnvironment.Catalog()).Run(SuiteParser.Parse(Suite("on", ""), Path.Combine(dir, "on.json")), on, CancellationToken.None, new SyncProgress<SuiteEvent>(_ => { }));
            var model = ReportModel.Load(new[] { on });
            var sample = model.Runs[0].Predictions!;
            var inside = sample.FiltersAndMaps!;
            Assert.Equal(sample.Explained[0].Index, inside.Index);
            Assert.Equal(("features.0", 6, FilterDisplay.Grey, 6), (inside.Filters!.Layer, inside.Filters.Filters, inside.Filters.Display, inside.Filters.Images.Count));
            Assert.Equal(new[] { 28, 14, 10, 5 }, inside.Stages.Select(s => s.Height));
            Assert.True(sample.ExplainedSeconds > 0 && inside.Seconds > 0);

            var report = ReportWriter.Write(model, on);
            Assert.Empty(report.Warnings);
            var filters = report.Figures.Single(f => f.Png.EndsWith("lenet5-filters.png", StringComparison.Ordinal));
            var maps = report.Figures.Single(f => f.Png.EndsWith("lenet5-feature-maps.png", StringComparison.Ordinal));
            Assert.Equal((FigureExporter.Runs, "lenet5"), (filters.Section, filters.Run));
            Assert.Equal("lenet5 first convolution (features.0): all 6 filters, 5×5 over 1 channel, grey, each on its own scale (white: high)", filters.Title);
            Assert.StartsWith($"lenet5 feature maps of test image {inside.Index} at the end of each stage: the 8 channels", maps.Title);
            var html = File.ReadAllText(report.Html);
            Assert.Contains("figures/lenet5-filters.png", html);
            Assert.Contains("figures/lenet5-feature-maps.png", html);
            Assert.Contains(System.Net.WebUtility.HtmlEncode(maps.Title), html);
            // Where each model looks: a section of its own, named in the page's links, before the figures across runs.
            Assert.Equal(FigureExporter.Looks, report.Figures.Single(f => f.Png.EndsWith("where-models-look.png", StringComparison.Ordinal)).Section);
            Assert.Contains("<a href=\"#looks\">Where each model looks</a>", html);
            Assert.True(html.IndexOf("figures/where-models-look.png", StringComparison.Ordinal) is var at && at > html.IndexOf("<h2 id=\"looks\">", StringComparison.Ordinal)
                && at < html.IndexOf("<h2 id=\"figures\">", StringComparison.Ordinal), "the Grad-CAM figure is not in its own section");
            using (var png = SKBitmap.Decode(maps.Png))
                Assert.True(png.Height > 5 * 88, $"5 rows (the image and 4 stages) of 88 px tiles in {png.Width}x{png.Height}");

            var off = Path.Combine(dir, "off");
            new SuiteRunner(TestEnvironment.Catalog()).Run(SuiteParser.Parse(Suite("off", "\"explain\": false,"), Path.Combine(dir, "off.json")), off, CancellationToken.None, new SyncProgress<SuiteEvent>(_ => { }));
            var plain = ReportModel.Load(new[] { off });
            Assert.Equal((0, null, null), (plain.Runs[0].Predictions!.Explained.Count, plain.Runs[0].Predictions!.FiltersAndMaps, plain.Runs[0].Predictions!.ExplainedSeconds));
            var names = ReportWriter.Write(plain, off).Figures.Select(f => Path.GetFileName(f.Png)).ToArray();
            Assert.Contains("lenet5-predictions.png", names);
            Assert.DoesNotContain("where-models-look.png", names);
            Assert.DoesNotContain("lenet5-filters.png", names);
            Assert.DoesNotContain("lenet5-feature-maps.png", names);
            Assert.DoesNotContain("id=\"looks\"", File.ReadAllText(Path.Combine(off, "report.html")));
            var e = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(Suite("bad", "\"explain\": \"no\","), "bad.json"));
            Assert.Contains("bad.json: explain", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_filter_grid_puts_sixteen_filters_a_row_and_draws_each_kernel_enlarged_on_its_own_scale()
    {
        Assert.Equal((6, 80), LayerFigures.FilterLayout(6, 5, 5));      // LeNet-5: one row, 5 px kernels 16 times
        Assert.Equal((8, 42), LayerFigures.FilterLayout(32, 3, 3));     // MobileNet: 8 a row
        Assert.Equal((16, 48), LayerFigures.FilterLayout(64, 16, 16));  // ViT-B/16's first 64
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            // 20 grey 2×2 filters, the first black on its left column and white on its right.
            var weight = new float[20 * 4];
            for (int o = 0; o < 20; o++) { weight[4 * o + 1] = 1; weight[4 * o + 3] = 1; }
            var grid = FeatureMaps.Filters("conv1", weight, 20, 1, 2, 2);
            var path = Path.Combine(dir, "filters.png");
            LayerFigures.SaveFilters(grid, "conv1", path);
            using var png = SKBitmap.Decode(path);
            var (columns, tile) = LayerFigures.FilterLayout(20, 2, 2);
            Assert.Equal((8, 40), (columns, tile));
            Assert.Equal(640, png.Width);   // 8 tiles of 40 px are narrower than the page's least width
            // The first tile starts 10 px in, under a one-line title (10 + 20 + 10 px): its left half black, right half white.
            Assert.Equal(SKColors.Black, png.GetPixel(10 + 10, 40 + 20));
            Assert.Equal(SKColors.White, png.GetPixel(10 + 30, 40 + 20));
            Assert.Equal(40 + 3 * (40 + 4) - 4 + 10, png.Height);   // three rows of 8, 8 and 4
        }
        finally { Directory.Delete(dir, true); }
    }
}
