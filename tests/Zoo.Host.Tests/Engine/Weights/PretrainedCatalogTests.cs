using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Weights;

namespace Zoo.Host.Tests;

/// <summary>The weights catalogue the built-in plugins declare (generated from torchvision 0.14), and pulling into the cache without the internet.</summary>
public sealed class PretrainedCatalogTests
{
    static readonly PluginCatalog Catalog = Load();

    static PluginCatalog Load()
    {
        var c = new PluginCatalog(new[] { TestEnvironment.PluginDrop }, Array.Empty<IZooPlugin>());
        c.Refresh();
        return c;
    }

    static readonly PretrainedCatalog Weights = new(Catalog);

    [Fact]
    public void Every_entry_names_its_hash_accuracies_and_preprocessing_and_every_torchvision_variant_has_one()
    {
        var all = Weights.All;
        Assert.NotEmpty(all);
        foreach (var e in all)
        {
            Assert.True(e.Sha256Prefix is { Length: >= 8 }, $"{e.Id}: {e.Weights.Url} has no SHA-256 prefix in its file name");
            Assert.StartsWith("https://", e.Weights.Url);
            Assert.InRange(e.Weights.Top1 ?? -1, 1, 100);
            Assert.InRange(e.Weights.Top5 ?? -1, e.Weights.Top1!.Value, 100);
            Assert.InRange(e.Weights.CropSize, 32, e.Weights.ResizeSize);
            Assert.Contains(e.Weights.Interpolation, new[] { "bilinear", "bicubic", "nearest" });
            Assert.Equal("imagenet-1k", e.Weights.Categories);
        }
        Assert.Equal(all.Count, all.Select(e => e.Id).Distinct().Count());
        Assert.Equal(all.Count, all.Select(e => e.Weights.Url).Distinct().Count());

        var torchvision = Catalog.Variants.Where(v => v.Variant.ReferenceSource?.StartsWith("torchvision", StringComparison.Ordinal) == true).ToList();
        Assert.True(torchvision.Count > 50);
        var without = torchvision.Where(v => Weights.For(v.Variant.Name).Count == 0).Select(v => v.Variant.Name).ToList();
        Assert.True(without.Count == 0, "torchvision variants without published weights in the catalogue: " + string.Join(", ", without));
        Assert.Empty(Weights.For("lenet5"));

        var classes = PretrainedCatalog.ImageNetClasses;
        Assert.Equal(1000, classes.Count);
        Assert.Equal("tench", classes[0]);
        Assert.Equal("toilet tissue", classes[999]);
    }

    [Fact]
    public void A_name_resolves_to_the_recommended_or_the_named_weights_and_a_wrong_one_lists_the_known_ones()
    {
        var first = Weights.Resolve("resnet50", "imagenet", "x");
        Assert.Same(Weights.For("resnet50")[0].Weights, first.Weights);
        Assert.Equal("IMAGENET1K_V1", Weights.Resolve("resnet50", "torchvision:IMAGENET1K_V1", "x").Weights.Name);
        Assert.Equal("IMAGENET1K_V1", Weights.Resolve("resnet50", "imagenet1k_v1", "x").Weights.Name);
        var e = Assert.Throws<ZooConfigException>(() => Weights.Resolve("resnet50", "torchvision:IMAGENET1K_V9", "suite.json: models[0].weights"));
        Assert.Contains("suite.json: models[0].weights", e.Message);
        Assert.Contains("IMAGENET1K_V1, IMAGENET1K_V2", e.Message.Replace("IMAGENET1K_V2, IMAGENET1K_V1", "IMAGENET1K_V1, IMAGENET1K_V2"));
        Assert.Contains("no published weights", Assert.Throws<ZooConfigException>(() => Weights.Resolve("lenet5", "imagenet", "x")).Message);
        Assert.Equal("0676ba61", PretrainedCatalog.HashPrefix("https://download.pytorch.org/models/resnet50-0676ba61.pth"));
        Assert.Null(PretrainedCatalog.HashPrefix("https://example.org/resnet50.pth"));
    }

    [Fact]
    public void A_suite_names_catalogue_weights_and_a_wrong_name_is_refused_before_anything_trains()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new Zoo.Engine.Suites.SuiteRunner(catalog);
        var source = Path.Combine(TestEnvironment.NewTempDirectory(), "suite.json");
        string Suite(string variant, string weights) => $$"""
            { "name": "pre", "dataset": { "name": "shapes", "channels": 3, "size": 32 },
              "models": [ { "variant": "{{variant}}", "weights": "{{weights}}", "reinit_head": true } ],
              "recipe": { "epochs": 1, "batch_size": 8 } }
            """;
        var parsed = Zoo.Engine.Suites.SuiteParser.Parse(Suite("resnet18", "torchvision:IMAGENET1K_V1"), source);
        Assert.Equal("torchvision:IMAGENET1K_V1", parsed.Models[0].Pretrained);
        Assert.Null(parsed.Models[0].Weights);
        runner.Validate(parsed);
        Assert.Contains("suite.json: models[0].weights: resnet18 has no weights 'torchvision:V9'",
            Assert.Throws<ZooConfigException>(() => runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite("resnet18", "torchvision:V9"), source))).Message);
        Assert.Contains("lenet5 has no published weights",
            Assert.Throws<ZooConfigException>(() => runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite("lenet5", "imagenet"), source))).Message);
    }

    /// <summary>A published file of random bytes, named as torchvision names its files (the SHA-256 prefix after the last '-').</summary>
    static (byte[] Bytes, string Prefix) Published(int seed)
    {
        var bytes = new byte[300_000];
        new Random(seed).NextBytes(bytes);
        return (bytes, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..8]);
    }

    static PretrainedEntry Entry(string url, string cache) =>
        new(new PretrainedWeights("resnet18", "TEST", url), Catalog.FindVariant("resnet18")!) { CacheRoot = cache };

    [Fact]
    public void Pull_copies_a_file_url_into_the_cache_checks_its_hash_and_keeps_nothing_of_a_wrong_one()
    {
        var dir = TestEnvironment.NewTempDirectory();
        var cache = Path.Combine(dir, "cache");
        var (bytes, prefix) = Published(1);
        var source = Path.Combine(dir, $"tiny-{prefix}.pth");
        File.WriteAllBytes(source, bytes);
        var reports = new List<PullProgress>();
        var entry = Entry(new Uri(source).AbsoluteUri, cache);
        var path = PretrainedCatalog.Pull(entry, new Zoo.Engine.Results.SyncProgress<PullProgress>(reports.Add));
        Assert.Equal(Path.Combine(cache, "resnet18", $"tiny-{prefix}.pth"), path);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(bytes.Length, reports[^1].Done);
        Assert.Equal(bytes.Length, reports[^1].Total);
        Assert.Equal(path, PretrainedCatalog.Pull(entry));   // cached: not fetched again

        var wrong = Path.Combine(dir, "tiny-00000000.pth");
        File.WriteAllBytes(wrong, bytes);
        var e = Assert.Throws<ZooConfigException>(() => PretrainedCatalog.Pull(Entry(new Uri(wrong).AbsoluteUri, cache)));
        Assert.Contains($"SHA-256 {prefix}", e.Message);
        Assert.Contains("does not start with 00000000", e.Message);
        Assert.Equal(new[] { path }, Directory.GetFiles(cache, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Pull_downloads_over_http_and_offline_it_names_the_url_and_where_to_put_the_file()
    {
        var dir = TestEnvironment.NewTempDirectory();
        var (bytes, prefix) = Published(2);
        int port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var served = Task.Run(async () =>
        {
            var ctx = await listener.GetContextAsync();
            ctx.Response.ContentLength64 = bytes.Length;
            await ctx.Response.OutputStream.WriteAsync(bytes);
            ctx.Response.Close();
        });
        var entry = Entry($"http://127.0.0.1:{port}/models/tiny-{prefix}.pth", Path.Combine(dir, "cache"));
        var path = PretrainedCatalog.Pull(entry);
        await served.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(bytes, File.ReadAllBytes(path));
        listener.Stop();

        var offline = Entry($"http://127.0.0.1:{FreePort()}/models/tiny-{prefix}0.pth", Path.Combine(dir, "cache2"));
        var e = Assert.Throws<ZooConfigException>(() => PretrainedCatalog.Pull(offline));
        Assert.Contains(offline.Weights.Url, e.Message);
        Assert.Contains($"put it at {offline.CachePath}", e.Message);
        Assert.False(File.Exists(offline.CachePath));
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    [Fact]
    public void Zoo_weights_list_shows_published_accuracies()
    {
        var (code, stdout, stderr) = TestEnvironment.RunZoo("weights", "list", "resnet50", "--json");
        Assert.True(code == 0, stderr);
        var rows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        var expected = Weights.For("resnet50");
        Assert.Equal(expected.Select(e => e.Weights.Name), rows.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(expected.Select(e => e.Weights.Top1), rows.Select(r => (double?)r.GetProperty("top1").GetDouble()));
        var (_, table, _) = TestEnvironment.RunZoo("weights", "list", "resnet50");
        Assert.Contains("resnet50:IMAGENET1K_V2", table);
        Assert.Contains(expected[0].Weights.Top1!.Value.ToString("F2", System.Globalization.CultureInfo.InvariantCulture), table);
    }

    [Fact]
    public void Predict_with_catalogue_weights_uses_their_preprocessing_and_prints_ImageNet_class_names()
    {
        // The file put into the cache by hand (what the offline error tells a user to do): random 1000-class weights.
        var cache = TestEnvironment.NewTempDirectory();
        var entry = Weights.Resolve("shufflenet_v2_x0_5", "imagenet", "x") with { CacheRoot = Path.Combine(cache, "weights") };
        Directory.CreateDirectory(Path.GetDirectoryName(entry.CachePath)!);
        TorchSharp.torch.manual_seed(5);
        using (var model = entry.Variant.Architecture.Build(new ModelSpec("shufflenet_v2_x0_5", 3, 1000, 224, 224)))
            WeightLoader.Save(model, entry.CachePath);
        var image = Path.Combine(TestEnvironment.Root, "tests", "Zoo.Host.Tests", "TestImages", "cmyk.jpg");
        var (code, stdout, stderr) = TestEnvironment.RunZoo(new Dictionary<string, string?> { ["ZOO_CACHE"] = cache },
            "predict", "--arch", "shufflenet_v2_x0_5", "--weights", "imagenet", image);
        Assert.True(code == 0, stderr);
        Assert.Contains($"resize {entry.Weights.ResizeSize}, crop {entry.Weights.CropSize}", stderr);
        var lines = stdout.Split('\n').Skip(1).Where(l => l.Trim().Length > 0).ToList();
        Assert.Equal(5, lines.Count);
        Assert.All(lines, l => Assert.Contains(PretrainedCatalog.ImageNetClasses, c => l.TrimEnd().EndsWith(c, StringComparison.Ordinal)));
    }

    [Fact]
    public void A_suite_with_catalogue_weights_trains_from_the_cached_file()
    {
        // The published file already in the cache (put there by hand, as the offline error says): no download.
        var dir = TestEnvironment.NewTempDirectory();
        var entry = Weights.Resolve("shufflenet_v2_x0_5", "imagenet", "x") with { CacheRoot = Path.Combine(dir, "cache", "weights") };
        Directory.CreateDirectory(Path.GetDirectoryName(entry.CachePath)!);
        TorchSharp.torch.manual_seed(6);
        using (var model = entry.Variant.Architecture.Build(new ModelSpec("shufflenet_v2_x0_5", 3, 1000, 224, 224)))
            WeightLoader.Save(model, entry.CachePath);
        var suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, """
            { "name": "pretrained", "dataset": { "name": "shapes", "channels": 3, "size": 32, "train": 64, "val": 32, "test": 32 },
              "models": [ { "variant": "shufflenet_v2_x0_5", "weights": "torchvision:IMAGENET1K_V1", "reinit_head": true } ],
              "recipe": { "epochs": 1, "batch_size": 32, "freeze_backbone_epochs": 1 } }
            """);
        var (code, _, stderr) = TestEnvironment.RunZoo(new Dictionary<string, string?> { ["ZOO_CACHE"] = Path.Combine(dir, "cache") },
            "run-suite", suite, "--out", Path.Combine(dir, "out"));
        Assert.True(code == 0, stderr);
        Assert.Contains($"from {entry.CachePath}", stderr);
        Assert.Contains("re-initialised for 10 classes: fc.weight", stderr);
        Assert.DoesNotContain("downloading", stderr);
    }
}
