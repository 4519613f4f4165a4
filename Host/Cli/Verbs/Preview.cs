using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Suites;

namespace Zoo.Cli;

/// <summary>
/// zoo augment-preview: one image through a suite's augmentation pipeline many times, as a PNG grid, so a
/// user sees what the model will see. The first tile is the image as it is; each other tile is one draw of
/// the pipeline (per-image augmentations, then the batch ones mixed with other images of the set).
/// </summary>
public static class Preview
{
    public static int Run(IServiceProvider services, string? suitePath, string? augmentJson, string? batchJson, string? image, string? modelLabel,
        int index, int count, int size, string output)
    {
        PathChecks.OutputFile("--out", output);
        var catalog = services.GetRequiredService<PluginCatalog>();
        var inline = $$"""
            { "name": "preview", "dataset": { "name": "shapes", "channels": 3, "size": {{size}}, "seed": 1, "train": 64, "val": 0, "test": 0 },
              "models": [ "lenet5" ], "recipe": { "augment": {{augmentJson ?? "[]"}}, "batch_augment": {{batchJson ?? "[]"}} } }
            """;
        var suite = suitePath is not null ? SuiteParser.Load(suitePath) : SuiteParser.Parse(inline, "--augment");
        var recipe = suite.Recipe;
        if (modelLabel is not null)
        {
            var entry = suite.Models.FirstOrDefault(m => m.Label == modelLabel)
                ?? throw new ZooConfigException("--model", $"no model labelled '{modelLabel}' in the suite; labels: {string.Join(", ", suite.Models.Select(m => m.Label))}");
            recipe = suite.RecipeFor(entry);
        }
        var runner = services.GetRequiredService<SuiteRunner>();
        runner.Validate(suite with { Recipe = recipe });
        if (recipe.Augment.Count == 0 && recipe.BatchAugment.Count == 0)
            throw new ZooConfigException(suitePath ?? "--augment", "the recipe has no \"augment\" or \"batch_augment\" stages to preview");

        // The images: the suite's training set (or the one image given, with the set as Mixup/CutMix partners).
        var provider = catalog.Datasets.First(d => d.Name == suite.Dataset.Name);
        var splits = provider.Open(new DatasetRequest
        {
            Path = suite.Dataset.Path, Channels = suite.Dataset.Channels, Size = suite.Dataset.Size, Seed = suite.Dataset.Seed,
            Options = suite.Dataset.Options, Log = Console.Error,
        });
        var set = splits.Train;
        var info = set.Info;
        ImageData Take(int i)
        {
            var px = new float[info.ImageLength];
            set.Read(i, px);
            return new ImageData(info.Channels, info.Height, info.Width, px);
        }
        ImageData source;
        if (image is not null)
        {
            var bytes = new byte[info.ImageLength];
            ImageFolderProvider.Decode(image, info.Channels, info.Height, "crop", bytes);
            source = new ImageData(info.Channels, info.Height, info.Width, bytes.Select(b => b / 255f).ToArray());
        }
        else
        {
            if (index < 0 || index >= set.Count) throw new ZooConfigException("--index", $"{index} is outside the training set (0 to {set.Count - 1})");
            source = Take(index);
        }

        var augment = new Compose(recipe.Augment.Select(a => catalog.Augmentations.First(f => f.Name == a.Name).Create(a.Parameters)));
        var batchAugment = recipe.BatchAugment.Select(a => catalog.BatchAugmentations.First(f => f.Name == a.Name).Create(a.Parameters)).ToArray();
        var tiles = new List<ImageData> { source };
        for (int t = 1; t < count; t++)
        {
            var rng = new Random(Seeds.Mix(recipe.Seed, t, index, 0xA06));
            var img = augment.Apply(source.Clone(), rng);
            if (batchAugment.Length > 0)
            {
                // A batch of this image and seven others; the first image of the mixed batch is shown.
                int n = Math.Min(8, set.Count + 1);
                var len = info.ImageLength;
                var images = new float[n * len];
                var labels = new int[n];
                img.Pixels.CopyTo(images, 0);
                for (int i = 1; i < n; i++) augment.Apply(Take(rng.Next(set.Count)), rng).Pixels.CopyTo(images, i * len);
                var targets = new float[n * info.Classes];
                var data = new BatchData(n, new InputShape(info.Channels, info.Height, info.Width), info.Classes, images, targets, labels);
                foreach (var b in batchAugment) b.Apply(data, rng);
                img = new ImageData(info.Channels, info.Height, info.Width, images[..len]);
            }
            tiles.Add(img);
        }
        WriteGrid(tiles, output);
        Console.WriteLine($"wrote {Path.GetFullPath(output)}: {count} tiles of {info.Channels}x{info.Height}x{info.Width} " +
            $"(first: the image as it is; then {string.Join(" → ", recipe.Augment.Select(a => a.Name).Concat(recipe.BatchAugment.Select(a => a.Name)))})");
        return 0;
    }

    /// <summary>A PNG grid of images (values clamped to [0, 1]); small images are enlarged (nearest) to at least 96 px.</summary>
    public static void WriteGrid(IReadOnlyList<ImageData> tiles, string path)
    {
        int h = tiles[0].Height, w = tiles[0].Width;
        int zoom = Math.Max(1, (int)Math.Ceiling(96.0 / Math.Max(h, w)));
        int cols = (int)Math.Ceiling(Math.Sqrt(tiles.Count)), rows = (tiles.Count + cols - 1) / cols, gap = 4;
        int width = cols * (w * zoom + gap) + gap, height = rows * (h * zoom + gap) + gap;
        using var bmp = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        bmp.Erase(new SKColor(40, 40, 40));
        unsafe
        {
            byte* dst = (byte*)bmp.GetPixels();
            for (int t = 0; t < tiles.Count; t++)
            {
                var img = tiles[t];
                int ox = gap + t % cols * (w * zoom + gap), oy = gap + t / cols * (h * zoom + gap);
                for (int y = 0; y < h * zoom; y++)
                    for (int x = 0; x < w * zoom; x++)
                    {
                        int sy = y / zoom, sx = x / zoom;
                        byte V(int c) => (byte)Math.Clamp((int)Math.Round(img.At(Math.Min(c, img.Channels - 1), sy, sx) * 255), 0, 255);
                        int o = ((oy + y) * width + ox + x) * 4;
                        dst[o] = V(0); dst[o + 1] = V(1); dst[o + 2] = V(2); dst[o + 3] = 255;
                    }
            }
        }
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, data.ToArray());
    }
}
