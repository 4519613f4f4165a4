using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Cli;

/// <summary>zoo bench loader: images per second the loader delivers for each data set format.</summary>
public static class LoaderBench
{
    public static int Run(IServiceProvider services, string? keep, int folderImages, int epochs)
    {
        if (keep is not null) PathChecks.OutputFolder("--keep", keep);
        var catalog = services.GetRequiredService<PluginCatalog>();
        var root = keep ?? Path.Combine(Path.GetTempPath(), $"zoo-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        Console.WriteLine($"loader benchmark in {root} ({Environment.ProcessorCount} cores; batches prepared ahead on a background thread)");
        Console.WriteLine("set                          images  open s  images/s per epoch (median of " + epochs + ")");
        try
        {
            // 1. The built-in set in memory.
            var shapes = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames), 60000, 1, 0, 0.06);
            Report("shapes 1x28x28 (built in)", shapes, 0, null, epochs);

            // 2. MNIST-format IDX files (gzipped), 60 000 train images, written from the built-in set.
            var mnistDir = Path.Combine(root, "mnist");
            if (!IdxDatasetProvider.Recognises(mnistDir)) WriteIdx(mnistDir, shapes, 10000);
            var sw = Stopwatch.StartNew();
            var mnist = IdxDatasetProvider.Mnist().Open(new DatasetRequest { Path = mnistDir });
            Report("MNIST IDX .gz 1x28x28", mnist.Train, sw.Elapsed.TotalSeconds, null, epochs);

            // 3. CIFAR-10 binary batches, 50 000 train images.
            var cifarDir = Path.Combine(root, "cifar-10-batches-bin");
            var rgb = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 3, 32, 32, ShapesDatasetProvider.ClassNames), 60000, 2, 0, 0.06);
            if (!CifarDatasetProvider.IsCifar10(cifarDir)) WriteCifar(cifarDir, rgb);
            sw.Restart();
            var cifar = CifarDatasetProvider.Cifar10().Open(new DatasetRequest { Path = cifarDir });
            Report("CIFAR-10 binary 3x32x32", cifar.Train, sw.Elapsed.TotalSeconds, null, epochs);
            var cifarAug = new Compose(new[] { Aug(catalog, "random_crop", ("padding", "4")), Aug(catalog, "hflip") });
            Report("  + crop 4 + flip", cifar.Train, 0, cifarAug, epochs);

            // 4. An image folder of JPEGs at 224x224: decode once into the cache, then flip + resized crop + colour jitter.
            var folder = Path.Combine(root, "jpegs");
            if (!ImageFolderProvider.Recognises(folder)) WriteJpegs(folder, folderImages);
            var provider = new ImageFolderProvider();
            var cacheRoot = Path.Combine(root, "data-cache");
            if (Directory.Exists(cacheRoot)) Directory.Delete(cacheRoot, true);   // the first open must decode
            sw.Restart();
            var jpegs = provider.Open(new DatasetRequest { Path = folder, Size = 224, Channels = 3, CacheDirectory = cacheRoot });
            double decode = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"ImageFolder JPEG decode+resize",-28} {jpegs.Train.Count,7}  {decode,6:F1}  {jpegs.Train.Count / decode,8:F0} (first open: decode into the cache)"));
            sw.Restart();
            jpegs = provider.Open(new DatasetRequest { Path = folder, Size = 224, Channels = 3, CacheDirectory = cacheRoot });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"ImageFolder reopen (cache)",-28} {jpegs.Train.Count,7}  {sw.Elapsed.TotalSeconds,6:F2}"));
            var folderAug = new Compose(new[] { Aug(catalog, "hflip"), Aug(catalog, "random_resized_crop"), Aug(catalog, "color_jitter", ("brightness", "0.4"), ("contrast", "0.4"), ("saturation", "0.4")) });
            Report("ImageFolder 224 no aug", jpegs.Train, 0, null, epochs);
            Report("  + flip+rrc+jitter", jpegs.Train, 0, folderAug, epochs);
        }
        finally
        {
            if (keep is null) Directory.Delete(root, true);
        }
        return 0;
    }

    static IAugmentation Aug(PluginCatalog catalog, string name, params (string K, string V)[] kv) =>
        catalog.Augmentations.First(a => a.Name == name).Create(new ParameterBag(kv.ToDictionary(x => x.K, x => x.V), name));

    static void Report(string name, IImageSet set, double open, IAugmentation? augment, int epochs)
    {
        var (mean, std) = Splits.ChannelStats(set, 500);
        var loader = new BatchLoader(set, 64, shuffle: true, seed: 1, mean, std, augment);
        var rates = new List<double>();
        for (int e = 1; e <= epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            long n = 0;
            foreach (var b in loader.Epoch(e)) n += b.Count;
            rates.Add(n / sw.Elapsed.TotalSeconds);
        }
        rates.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {set.Count,7}  {(open > 0 ? open.ToString("F2", CultureInfo.InvariantCulture) : ""),6}  {rates[rates.Count / 2],8:F0}"));
    }

    static void WriteIdx(string dir, IImageSet set, int test)
    {
        Directory.CreateDirectory(dir);
        void Write(string name, int from, int count)
        {
            int len = set.Info.ImageLength;
            var px = new byte[count * len];
            var labels = new byte[count];
            var buf = new float[len];
            for (int i = 0; i < count; i++)
            {
                set.Read(from + i, buf);
                for (int k = 0; k < len; k++) px[i * len + k] = (byte)Math.Round(buf[k] * 255);
                labels[i] = (byte)set.GetLabel(from + i);
            }
            void Idx(string file, byte[] data, int[] dims)
            {
                using var f = File.Create(Path.Combine(dir, file + ".gz"));
                using var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest);
                gz.Write(new byte[] { 0, 0, 8, (byte)dims.Length });
                foreach (var d in dims) gz.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
                gz.Write(data);
            }
            Idx($"{name}-images-idx3-ubyte", px, new[] { count, set.Info.Height, set.Info.Width });
            Idx($"{name}-labels-idx1-ubyte", labels, new[] { count });
        }
        Write("train", 0, set.Count - test);
        Write("t10k", set.Count - test, test);
    }

    static void WriteCifar(string dir, IImageSet set)
    {
        Directory.CreateDirectory(dir);
        var buf = new float[3072];
        for (int b = 0; b < 6; b++)
        {
            var bytes = new byte[10000 * 3073];
            for (int i = 0; i < 10000; i++)
            {
                int idx = b * 10000 + i;
                set.Read(idx, buf);
                bytes[i * 3073] = (byte)set.GetLabel(idx);
                for (int k = 0; k < 3072; k++) bytes[i * 3073 + 1 + k] = (byte)Math.Round(buf[k] * 255);
            }
            File.WriteAllBytes(Path.Combine(dir, b < 5 ? $"data_batch_{b + 1}.bin" : "test_batch.bin"), bytes);
        }
    }

    /// <summary>JPEG photos-to-be: 320x240 (some portrait) with shapes, noise and gradients, quality 90.</summary>
    static void WriteJpegs(string dir, int count)
    {
        var shapes = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 3, 96, 96, ShapesDatasetProvider.ClassNames), count, 3, 0, 0.1);
        Parallel.For(0, count, i =>
        {
            int label = shapes.GetLabel(i);
            var cls = Path.Combine(dir, ShapesDatasetProvider.ClassNames[label]);
            Directory.CreateDirectory(cls);
            var buf = new float[3 * 96 * 96];
            shapes.Read(i, buf);
            bool portrait = i % 4 == 0;
            using var small = new SkiaSharp.SKBitmap(96, 96);
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 96; x++)
                    small.SetPixel(x, y, new SkiaSharp.SKColor((byte)(buf[y * 96 + x] * 255), (byte)(buf[9216 + y * 96 + x] * 255), (byte)(buf[18432 + y * 96 + x] * 255)));
            using var big = small.Resize(new SkiaSharp.SKImageInfo(portrait ? 240 : 320, portrait ? 320 : 240), new SkiaSharp.SKSamplingOptions(SkiaSharp.SKFilterMode.Linear, SkiaSharp.SKMipmapMode.Linear));
            using var data = big.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(Path.Combine(cls, $"{i:D5}.jpg"), data.ToArray());
        });
    }
}
