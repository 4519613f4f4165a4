using SkiaSharp;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Weights;

namespace Zoo.Host.Tests;

public sealed class PredictTests
{
    static void WritePng(string path, int w, int h, SKColor fill, SKColor mark)
    {
        using var bmp = new SKBitmap(w, h);
        using (var canvas = new SKCanvas(bmp))
        {
            canvas.Clear(fill);
            using var paint = new SKPaint { Color = mark };
            canvas.DrawCircle(w / 2f, h / 2f, Math.Min(w, h) / 4f, paint);
        }
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    [Fact]
    public void Predict_prints_the_top_five_per_image_and_reports_an_unreadable_one_without_stopping()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        // Weights for a 7-class LeNet-5 at its 1x32x32 reference input, written with the zoo's own writer.
        using (var catalog = new PluginCatalog(new[] { TestEnvironment.PluginDrop }, Array.Empty<IZooPlugin>()))
        {
            catalog.Refresh();
            torch.manual_seed(3);
            using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 7, 32, 32));
            WeightLoader.Save(model, Path.Combine(dir, "lenet.safetensors"));
        }
        File.WriteAllLines(Path.Combine(dir, "labels.txt"), new[] { "zero", "one", "two", "three", "four", "five", "six" });
        WritePng(Path.Combine(dir, "a.png"), 64, 48, SKColors.White, SKColors.Black);
        WritePng(Path.Combine(dir, "b.png"), 20, 90, SKColors.Navy, SKColors.Yellow);
        File.WriteAllText(Path.Combine(dir, "broken.jpg"), "not really a jpeg");

        var (code, stdout, stderr) = TestEnvironment.RunZoo("predict", "--arch", "lenet5", "--weights", Path.Combine(dir, "lenet.safetensors"),
            "--labels", Path.Combine(dir, "labels.txt"), Path.Combine(dir, "a.png"), Path.Combine(dir, "broken.jpg"), Path.Combine(dir, "b.png"));
        Assert.Equal(1, code);   // one image failed
        Assert.Contains($"{Path.Combine(dir, "broken.jpg")}: not an image", stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Path.Combine(dir, "a.png"), lines[0]);
        Assert.Equal(Path.Combine(dir, "b.png"), lines[6]);
        var probabilities = lines.Skip(1).Take(5).Select(l => double.Parse(l.Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(probabilities.OrderByDescending(p => p), probabilities);
        var labels = new[] { "zero", "one", "two", "three", "four", "five", "six" };
        Assert.All(lines.Skip(1).Take(5), l => Assert.Contains(l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1], labels));
    }

    /// <summary>Writes an image folder (train/ and test/, one sub-folder per shape class) of grey 28x28 PNGs from the built-in generator.</summary>
    static void WriteShapesFolder(string root, int trainPerClass, int testPerClass)
    {
        var info = new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames);
        foreach (var (split, count, seed) in new[] { ("train", trainPerClass, 1), ("test", testPerClass, 2) })
        {
            var set = ShapesDatasetProvider.Generate(info, count * info.Classes, seed, split == "train" ? 0 : 2, 0.06);
            var pixels = new float[info.ImageLength];
            for (int i = 0; i < set.Count; i++)
            {
                set.Read(i, pixels);
                using var bmp = new SKBitmap(28, 28);
                for (int y = 0; y < 28; y++)
                    for (int x = 0; x < 28; x++)
                    {
                        byte v = (byte)Math.Round(pixels[y * 28 + x] * 255);
                        bmp.SetPixel(x, y, new SKColor(v, v, v));
                    }
                var dir = Path.Combine(root, split, info.ClassNames[set.GetLabel(i)]);
                Directory.CreateDirectory(dir);
                using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
                File.WriteAllBytes(Path.Combine(dir, $"{i:D4}.png"), data.ToArray());
            }
        }
    }

    [Fact]
    public void A_runs_weights_rebuild_its_model_and_preprocessing_and_predict_as_the_run_evaluated_its_test_images()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        WriteShapesFolder(Path.Combine(dir, "data"), trainPerClass: 24, testPerClass: 6);
        var suiteJson = """
            { "name": "card", "dataset": { "name": "folder", "path": "data", "channels": 1, "size": 28, "seed": 1, "val_fraction": 0.2 },
              "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
              "recipe": { "epochs": 2, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """;
        using var catalog = TestEnvironment.Catalog();
        var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(suiteJson, Path.Combine(dir, "suite.json")), Path.Combine(dir, "out"));
        var run = Assert.Single(result.Runs);
        Assert.True(run.Status == RunStatus.Finished, run.Error);
        var best = Path.Combine(dir, "out", "runs", "lenet5.best.safetensors");

        // The file says how to rebuild and feed its model.
        var card = ModelCard.FromMetadata(Safetensors.ReadMetadata(best), best)!;
        Assert.Equal(("lenet5", 1, 10, 28, 28), (card.Variant, card.Channels, card.Classes, card.Height, card.Width));
        Assert.Equal(new Dictionary<string, string> { ["activation"] = "relu", ["pool"] = "max" }, card.Options);
        Assert.Equal(result.Dataset.Mean, card.Mean);
        Assert.Equal(result.Dataset.Std, card.Std);
        Assert.Equal(ShapesDatasetProvider.ClassNames.Order(StringComparer.Ordinal), card.ClassNames);
        Assert.Equal("Classic", card.Plugin);

        // Predicting every test image gives the run's own test confusion matrix, image for image.
        var tests = Directory.GetDirectories(Path.Combine(dir, "data", "test")).Select(Path.GetFileName).Order(StringComparer.Ordinal)
            .SelectMany((c, label) => Directory.GetFiles(Path.Combine(dir, "data", "test", c!)).Select(f => (File: f, Label: label))).ToList();
        int[][] Confusion(Func<string, int> predict)
        {
            var m = Enumerable.Range(0, 10).Select(_ => new int[10]).ToArray();
            foreach (var (f, label) in tests) m[label][predict(f)]++;
            return m;
        }
        using (var predictor = Predictor.Open(catalog, new PredictRequest(best)))
        {
            Assert.True(predictor.FromFile);
            Assert.Equal(run.Test!.Confusion, Confusion(f => predictor.Predict(f).Top[0].Index));
            Assert.Equal(card.ClassNames[predictor.Predict(tests[0].File).Top[0].Index], predictor.Predict(tests[0].File).Top[0].Label);
        }
        // What predict did before model cards, the variant's default network (tanh, average pooling) with ImageNet-style
        // preprocessing, loads the same weights without a word and predicts something else.
        var bare = Path.Combine(dir, "bare.safetensors");
        var tensors = Safetensors.Load(best, out _);
        Safetensors.Save(bare, tensors);
        foreach (var t in tensors.Values) t.Dispose();
        using (var old = Predictor.Open(catalog, new PredictRequest(bare) { Variant = "lenet5", Size = 28 }))
        {
            Assert.False(old.FromFile);
            Assert.NotEqual(run.Test!.Confusion, Confusion(f => old.Predict(f).Top[0].Index));
        }

        // The command: no --arch needed; the class names come from the file.
        var images = tests.Where((_, i) => i % 15 == 0).ToList();
        var (code, stdout, stderr) = TestEnvironment.RunZoo(new[] { "predict", "--weights", best }.Concat(images.Select(t => t.File)).ToArray());
        Assert.True(code == 0, stderr);
        Assert.Contains("lenet5 1x28x28, 10 classes, options: activation=relu, pool=max; as trained", stderr);
        using (var predictor = Predictor.Open(catalog, new PredictRequest(best)))
        {
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < images.Count; i++)
            {
                Assert.Equal(images[i].File, lines[i * 6]);
                Assert.EndsWith($"  {predictor.Predict(images[i].File).Top[0].Label}", lines[i * 6 + 1]);
            }
        }

        // A request that contradicts the file is refused, naming both.
        var (archCode, _, archErr) = TestEnvironment.RunZoo("predict", "--weights", best, "--arch", "resnet18", images[0].File);
        Assert.Equal(2, archCode);
        Assert.Contains($"error: --arch: 'resnet18' does not match {best}, which holds lenet5 weights", archErr);
        var (classesCode, _, classesErr) = TestEnvironment.RunZoo("predict", "--weights", best, "--classes", "5", images[0].File);
        Assert.Equal(2, classesCode);
        Assert.Contains($"error: --classes: 5 does not match {best}, which holds lenet5 weights for classes 10", classesErr);
        var (optionCode, _, optionErr) = TestEnvironment.RunZoo("predict", "--weights", best, "--option", "activation=tanh", images[0].File);
        Assert.Equal(2, optionCode);
        Assert.Contains("error: --option activation=tanh: does not match", optionErr);
        Assert.Contains("lenet5 was trained with activation=relu", optionErr);
    }

    [Fact]
    public void A_file_without_a_model_card_takes_channels_classes_size_and_options_from_the_command()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        // A foreign file (no model card): a 3-channel, 7-class LeNet-5 with relu at 36x36.
        var weights = Path.Combine(dir, "foreign.safetensors");
        using (var catalog = TestEnvironment.Catalog())
        {
            torch.manual_seed(4);
            using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 3, 7, 36, 36)
                { Options = new ParameterBag(new Dictionary<string, string> { ["activation"] = "relu" }, "") });
            WeightLoader.Save(model, weights);
        }
        WritePng(Path.Combine(dir, "a.png"), 50, 40, SKColors.Teal, SKColors.Orange);
        var (code, stdout, stderr) = TestEnvironment.RunZoo("predict", "--arch", "lenet5", "--weights", weights, "--channels", "3", "--classes", "7",
            "--size", "36", "--option", "activation=relu", "--option", "pool=avg", Path.Combine(dir, "a.png"));
        Assert.True(code == 0, stderr);
        Assert.Contains("lenet5 3x36x36, 7 classes, options: activation=relu, pool=avg; no model card in the file: ImageNet preprocessing", stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Length);
        Assert.All(lines.Skip(1), l => Assert.InRange(int.Parse(l.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]), 0, 6));

        // Without --arch the file does not say what it is; a wrong option is named.
        var (noArch, _, noArchErr) = TestEnvironment.RunZoo("predict", "--weights", weights, Path.Combine(dir, "a.png"));
        Assert.Equal(2, noArch);
        Assert.Contains($"error: --arch: required: {weights} does not say which model it holds", noArchErr);
        var (badOption, _, badOptionErr) = TestEnvironment.RunZoo("predict", "--arch", "lenet5", "--weights", weights, "--channels", "3", "--classes", "7",
            "--option", "actvation=relu", Path.Combine(dir, "a.png"));
        Assert.Equal(2, badOption);
        Assert.Contains("--option.actvation: unknown parameter; did you mean 'activation'? allowed: activation, pool", badOptionErr);
    }
}
