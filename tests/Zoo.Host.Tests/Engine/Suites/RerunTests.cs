using SkiaSharp;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Weights;

namespace Zoo.Host.Tests;

/// <summary>
/// A rerun of a suite into the same folder reuses a finished run only while everything that decides its
/// numbers is unchanged: the suite's text, the data's files, the plugin's assemblies, the weights file and
/// the engine version; otherwise it trains again and says why.
/// </summary>
public sealed class RerunTests
{
    const string LeNet = """{ "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } }""";

    static void WritePng(string path, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var random = new Random(seed);
        using var bmp = new SKBitmap(20, 20);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(new SKColor((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256)));
            using var paint = new SKPaint { Color = SKColors.White };
            canvas.DrawCircle(random.Next(5, 15), random.Next(5, 15), 4, paint);
        }
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    static (SuiteResult Result, string Progress) Run(PluginCatalog catalog, string json, string dir)
    {
        var progress = new StringWriter();
        var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), Path.Combine(dir, "out"), default, ProgressText.To(progress));
        return (result, progress.ToString());
    }

    [Fact]
    public void A_rerun_skips_a_finished_run_until_images_are_added_or_removed_and_then_says_so()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        for (int i = 0; i < 6; i++)
        {
            WritePng(Path.Combine(dir, "photos", "cats", $"c{i}.png"), i);
            WritePng(Path.Combine(dir, "photos", "dogs", $"d{i}.png"), 100 + i);
        }
        var json = $$"""
            { "name": "rerun", "dataset": { "name": "folder", "path": "photos", "channels": 1, "size": 16, "seed": 1, "val_fraction": 0.25 },
              "models": [ {{LeNet}} ],
              "recipe": { "epochs": 1, "batch_size": 4, "seed": 2, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """;
        using var catalog = TestEnvironment.Catalog();
        var (first, log1) = Run(catalog, json, dir);
        Assert.Equal(RunStatus.Finished, first.Runs[0].Status);
        Assert.False(first.Runs[0].Reused);
        Assert.Contains("training on", log1);

        var (same, log2) = Run(catalog, json, dir);
        Assert.True(same.Runs[0].Reused, log2);
        Assert.Contains("skipped", log2);
        Assert.DoesNotContain("training on", log2);

        // 3 images added, 1 removed: 14 images now, so the result must come from a new run.
        for (int i = 6; i < 9; i++) WritePng(Path.Combine(dir, "photos", "dogs", $"d{i}.png"), 100 + i);
        File.Delete(Path.Combine(dir, "photos", "cats", "c0.png"));
        var (changed, log3) = Run(catalog, json, dir);
        Assert.False(changed.Runs[0].Reused, log3);
        Assert.Contains("[1/1] lenet5: data changed: 3 images added, 1 removed; training again", log3);
        Assert.Contains("training on", log3);
        Assert.Equal(14, changed.Dataset.Train + changed.Dataset.Validation);

        // An image rewritten in place (other size, later time) counts as changed.
        WritePng(Path.Combine(dir, "photos", "cats", "c1.png"), 999);
        File.SetLastWriteTimeUtc(Path.Combine(dir, "photos", "cats", "c1.png"), DateTime.UtcNow.AddMinutes(1));
        var (rewritten, log4) = Run(catalog, json, dir);
        Assert.False(rewritten.Runs[0].Reused, log4);
        Assert.Contains("data changed: 1 image changed; training again", log4);

        // The same files again: skipped, and the stored result is the new one.
        var (again, log5) = Run(catalog, json, dir);
        Assert.True(again.Runs[0].Reused, log5);
        Assert.Equal(rewritten.Runs[0].Epochs[0].TrainLoss, again.Runs[0].Epochs[0].TrainLoss);
        Assert.Contains("\"identity\"", File.ReadAllText(Path.Combine(dir, "out", "runs", "lenet5.result.json")));
    }

    [Fact]
    public void A_changed_weights_file_trains_the_run_again_and_the_same_one_is_skipped()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = TestEnvironment.Catalog();
        var weights = Path.Combine(dir, "start.safetensors");
        void WriteWeights(int seed)
        {
            torch.manual_seed(seed);
            using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 10, 16, 16) { Options = Options() });
            WeightLoader.Save(model, weights);
        }
        WriteWeights(1);
        var json = $$"""
            { "name": "weights", "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 40, "val": 20, "test": 20 },
              "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" }, "weights": "start.safetensors" } ],
              "recipe": { "epochs": 1, "batch_size": 10, "seed": 2, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """;
        var (first, _) = Run(catalog, json, dir);
        Assert.Equal(RunStatus.Finished, first.Runs[0].Status);
        var (same, log2) = Run(catalog, json, dir);
        Assert.True(same.Runs[0].Reused, log2);

        WriteWeights(2);
        var (changed, log3) = Run(catalog, json, dir);
        Assert.False(changed.Runs[0].Reused, log3);
        Assert.Contains("[1/1] lenet5: weights file changed; training again", log3);
        Assert.NotEqual(first.Runs[0].Epochs[0].TrainLoss, changed.Runs[0].Epochs[0].TrainLoss);

        var (again, log4) = Run(catalog, json, dir);
        Assert.True(again.Runs[0].Reused, log4);
    }

    static ParameterBag Options() => new(new Dictionary<string, string> { ["activation"] = "relu", ["pool"] = "max" }, "options");

    [Fact]
    public void A_rebuilt_plugin_trains_the_run_again_and_says_which_plugin()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var plugins = Path.Combine(dir, "plugins");
        TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.TinyNet"), Path.Combine(plugins, "TinyNet"));
        var json = """
            { "name": "plugin", "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 40, "val": 20, "test": 20 },
              "models": [ "tinynet" ],
              "recipe": { "epochs": 1, "batch_size": 10, "seed": 2, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """;
        PluginCatalog Catalog()
        {
            var c = new PluginCatalog(new[] { plugins }, new[] { new BuiltInPlugin() });
            c.Refresh();
            return c;
        }
        using (var catalog = Catalog())
        {
            Assert.Equal(RunStatus.Finished, Run(catalog, json, dir).Result.Runs[0].Status);
            Assert.True(Run(catalog, json, dir).Result.Runs[0].Reused);
        }
        // Another build of the same assembly version: different bytes (a trailing block the loader ignores).
        File.AppendAllText(Path.Combine(plugins, "TinyNet", "Zoo.Fixtures.TinyNet.dll"), new string('x', 512));
        using (var catalog = Catalog())
        {
            var (rebuilt, log) = Run(catalog, json, dir);
            Assert.Equal(RunStatus.Finished, rebuilt.Runs[0].Status);
            Assert.False(rebuilt.Runs[0].Reused, log);
            Assert.Contains("[1/1] tinynet: plugin TinyNet rebuilt; training again", log);
            Assert.True(Run(catalog, json, dir).Result.Runs[0].Reused);
        }
    }

    [Fact]
    public void The_reason_names_each_input_that_changed()
    {
        var data = new DataIdentity { Provider = "shapes", ContentVersion = "shapes generator 1", Hash = "d1" };
        var now = new RunIdentity { Setup = "s", Data = data, Plugin = new PluginIdentity("Classic", "1.0.0.0", "aa"), Weights = "w1" };
        Assert.Null(now.DescribeChanges(now with { }));
        Assert.Equal("zoo engine updated (the earlier run did not record its inputs)", now.DescribeChanges(null));
        Assert.Equal($"zoo engine updated ({RunIdentity.CurrentEngine - 1} → {RunIdentity.CurrentEngine})",
            now.DescribeChanges(now with { Engine = RunIdentity.CurrentEngine - 1 }));
        Assert.Equal("plugin Classic rebuilt", now.DescribeChanges(now with { Plugin = now.Plugin! with { AssemblyHash = "bb" } }));
        Assert.Equal("plugin Classic updated (0.9.0.0 → 1.0.0.0)", now.DescribeChanges(now with { Plugin = now.Plugin! with { Version = "0.9.0.0", AssemblyHash = "bb" } }));
        Assert.Equal("data changed: shapes generator 0 → shapes generator 1",
            now.DescribeChanges(now with { Data = data with { ContentVersion = "shapes generator 0", Hash = "d0" } }));
        Assert.Equal("model entry, data set settings, recipe or device changed; weights file changed",
            now.DescribeChanges(now with { Setup = "t", Weights = "w0" }));
    }
}
