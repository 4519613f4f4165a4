using SkiaSharp;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
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
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
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
        finally { Directory.Delete(dir, true); }
    }
}
