using System.Buffers.Binary;
using System.IO.Compression;
using SkiaSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>
/// The file formats, written small by the tests themselves in the real layouts (nothing is downloaded:
/// <see cref="TestEnvironment"/> points the downloader at a handler that refuses every request).
/// </summary>
public sealed class DatasetTests
{
    static ParameterBag Options(params (string K, string V)[] kv) => new(kv.ToDictionary(x => x.K, x => x.V), "dataset");

    /// <summary>An IDX file: magic 0,0,8,ndim; big-endian dims; bytes.</summary>
    static void WriteIdx(string path, byte[] data, int[] dims, bool gzip)
    {
        using var ms = new MemoryStream();
        ms.Write(new byte[] { 0, 0, 8, (byte)dims.Length });
        Span<byte> d = stackalloc byte[4];
        foreach (var x in dims) { BinaryPrimitives.WriteInt32BigEndian(d, x); ms.Write(d); }
        ms.Write(data);
        if (!gzip) { File.WriteAllBytes(path, ms.ToArray()); return; }
        using var f = File.Create(path + ".gz");
        using var gz = new GZipStream(f, CompressionLevel.Fastest);
        gz.Write(ms.ToArray());
    }

    /// <summary>MNIST-format files: image i is filled with the value 10·label and has a bright pixel at (label, label).</summary>
    static void WriteMnist(string folder, int train, int test, bool gzip)
    {
        Directory.CreateDirectory(folder);
        void Split(string prefix, int n)
        {
            var px = new byte[n * 784];
            var labels = new byte[n];
            for (int i = 0; i < n; i++)
            {
                labels[i] = (byte)(i % 10);
                px.AsSpan(i * 784, 784).Fill((byte)(10 * labels[i]));
                px[i * 784 + labels[i] * 28 + labels[i]] = 255;
            }
            WriteIdx(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), px, new[] { n, 28, 28 }, gzip);
            WriteIdx(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), labels, new[] { n }, gzip);
        }
        Split("train", train);
        Split("t10k", test);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Mnist_idx_files_gzipped_or_not_open_at_their_own_size_or_converted(bool gzip)
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        WriteMnist(dir, 50, 20, gzip);
        var mnist = IdxDatasetProvider.Mnist();
        var own = mnist.Open(new DatasetRequest { Path = dir });
        Assert.Equal(50, own.Train.Count);
        Assert.Equal(20, own.Test!.Count);
        Assert.Null(own.Validation);
        Assert.Equal(new DatasetInfo("mnist", 1, 28, 28, IdxDatasetProvider.Digits), own.Train.Info with { ClassNames = IdxDatasetProvider.Digits });
        var img = new float[784];
        own.Train.Read(7, img);
        Assert.Equal(7, own.Train.GetLabel(7));
        Assert.Equal(70 / 255f, img[0], 6);
        Assert.Equal(1f, img[7 * 28 + 7], 6);

        // A model that wants 3x32x32: grey repeated, bilinear resize.
        var rgb = mnist.Open(new DatasetRequest { Path = dir, Channels = 3, Size = 32 });
        Assert.Equal((3, 32, 32), (rgb.Train.Info.Channels, rgb.Train.Info.Height, rgb.Train.Info.Width));
        var big = new float[3 * 32 * 32];
        rgb.Train.Read(3, big);
        Assert.Equal(30 / 255f, big[0], 6);
        Assert.Equal(big[5 * 32 + 20], big[1024 + 5 * 32 + 20]);

        var fashion = IdxDatasetProvider.FashionMnist().Open(new DatasetRequest { Path = dir });
        Assert.Equal("Ankle boot", fashion.Train.Info.ClassNames[9]);
    }

    [Fact]
    public void Damaged_mnist_files_are_named_with_what_is_wrong()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        WriteMnist(dir, 30, 10, gzip: false);
        var images = Path.Combine(dir, "train-images-idx3-ubyte");
        File.WriteAllBytes(images, File.ReadAllBytes(images)[..2000]);
        var e = Assert.Throws<ZooConfigException>(() => IdxDatasetProvider.Mnist().Open(new DatasetRequest { Path = dir }));
        Assert.Contains(images, e.Message);
        Assert.Contains("truncated", e.Message);

        WriteMnist(dir, 30, 10, gzip: false);
        WriteIdx(Path.Combine(dir, "train-labels-idx1-ubyte"), new byte[29], new[] { 29 }, gzip: false);
        e = Assert.Throws<ZooConfigException>(() => IdxDatasetProvider.Mnist().Open(new DatasetRequest { Path = dir }));
        Assert.Contains("29 labels for 30 images", e.Message);
    }

    [Fact]
    public void Missing_files_offline_say_which_files_to_put_where()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var e = Assert.Throws<ZooConfigException>(() => IdxDatasetProvider.Mnist().Open(new DatasetRequest { Path = dir, Options = Options(("download", "false")) }));
        Assert.Contains($"put these files in {dir} by hand", e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz  from https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz  (md5 f68b3c2dcbeaaa9fbdd348bbdeb94873)", e.Message);

        // With downloads allowed, the (test) network refuses: the same advice, after the reason.
        e = Assert.Throws<ZooConfigException>(() => CifarDatasetProvider.Cifar10().Open(new DatasetRequest { Path = dir }));
        Assert.Contains("could not download", e.Message);
        Assert.Contains("cifar-10-binary.tar.gz  from https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", e.Message);
    }

    [Fact]
    public void A_download_whose_checksum_differs_is_refused_and_not_kept()
    {
        var dir = TestEnvironment.NewTempDirectory();
        var previous = Downloads.Handler;
        try
        {
            Downloads.Handler = new ServeBytes(new byte[] { 1, 2, 3, 4 });
            var e = Assert.Throws<ZooConfigException>(() => IdxDatasetProvider.FashionMnist().Open(new DatasetRequest { Path = dir, Log = TextWriter.Null }));
            Assert.Contains("has md5 08d6c05a21512a79a1dfeb9d2a8f262f, expected 8d4fb7e6c68d591d4c3dfef9ec88bf0d", e.Message);
            Assert.Empty(Directory.GetFiles(dir));
        }
        finally { Downloads.Handler = previous; Directory.Delete(dir, true); }
    }

    sealed class ServeBytes(byte[] bytes) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = new ByteArrayContent(bytes) });
    }

    /// <summary>CIFAR binary records: image i's red plane is 10·label, green 100, blue 200.</summary>
    static void WriteCifar(string folder, bool hundred, int perFile)
    {
        Directory.CreateDirectory(folder);
        void File_(string name, int n)
        {
            int head = hundred ? 2 : 1;
            var bytes = new byte[n * (head + 3072)];
            for (int i = 0; i < n; i++)
            {
                int o = i * (head + 3072);
                int label = hundred ? i % 100 : i % 10;
                if (hundred) { bytes[o] = (byte)(label % 20); bytes[o + 1] = (byte)label; } else bytes[o] = (byte)label;
                bytes.AsSpan(o + head, 1024).Fill((byte)(label * 2));
                bytes.AsSpan(o + head + 1024, 1024).Fill(100);
                bytes.AsSpan(o + head + 2048, 1024).Fill(200);
            }
            File.WriteAllBytes(Path.Combine(folder, name), bytes);
        }
        if (hundred) { File_("train.bin", perFile * 5); File_("test.bin", perFile); }
        else
        {
            for (int b = 1; b <= 5; b++) File_($"data_batch_{b}.bin", perFile);
            File_("test_batch.bin", perFile);
            File.WriteAllLines(Path.Combine(folder, "batches.meta.txt"), CifarDatasetProvider.Cifar10Classes.Append(""));
        }
    }

    [Fact]
    public void Cifar_binaries_open_with_class_names_and_channel_planes()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var c10 = Path.Combine(dir, "cifar-10-batches-bin");
        WriteCifar(c10, hundred: false, perFile: 12);
        var s = CifarDatasetProvider.Cifar10().Open(new DatasetRequest { Path = dir });   // finds the extracted sub-folder
        Assert.Equal(60, s.Train.Count);
        Assert.Equal(12, s.Test!.Count);
        Assert.Equal("truck", s.Train.Info.ClassNames[9]);
        var img = new float[3072];
        s.Train.Read(3, img);
        Assert.Equal(3, s.Train.GetLabel(3));
        Assert.Equal(6 / 255f, img[0], 6);
        Assert.Equal(100 / 255f, img[1024], 6);
        Assert.Equal(200 / 255f, img[2048], 6);

        var grey = CifarDatasetProvider.Cifar10().Open(new DatasetRequest { Path = c10, Channels = 1, Size = 28 });
        var g = new float[784];
        grey.Train.Read(3, g);
        Assert.Equal(MathF.Round(0.299f * 6 + 0.587f * 100 + 0.114f * 200) / 255f, g[300], 5);

        var c100 = Path.Combine(dir, "c100");
        WriteCifar(c100, hundred: true, perFile: 100);
        var fine = CifarDatasetProvider.Cifar100().Open(new DatasetRequest { Path = c100 });
        Assert.Equal(100, fine.Train.Info.Classes);
        Assert.Equal(57, fine.Train.GetLabel(57));
        var coarse = CifarDatasetProvider.Cifar100().Open(new DatasetRequest { Path = c100, Options = Options(("labels", "coarse")) });
        Assert.Equal(20, coarse.Train.Info.Classes);
        Assert.Equal(57 % 20, coarse.Train.GetLabel(57));

        File.WriteAllBytes(Path.Combine(c10, "test_batch.bin"), new byte[100]);
        var e = Assert.Throws<ZooConfigException>(() => CifarDatasetProvider.Cifar10().Open(new DatasetRequest { Path = c10 }));
        Assert.Contains("test_batch.bin", e.Message);
        Assert.Contains("not a whole number of 3073-byte", e.Message);
    }

    static void WritePng(string path, int w, int h, SKColor colour, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(w, h);
        bmp.Erase(colour);
        using var data = bmp.Encode(format, 95);
        File.WriteAllBytes(path, data.ToArray());
    }

    static string TestImage(string name) => Path.Combine(AppContext.BaseDirectory, "TestImages", name);

    [Fact]
    public void Data_statistics_count_images_per_class_and_read_original_sizes_per_split_from_file_headers()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        for (int i = 0; i < 3; i++) WritePng(Path.Combine(dir, "train", "cat", $"c{i}.png"), 40 + i, 30, SKColors.Red);
        WritePng(Path.Combine(dir, "train", "dog", "d0.jpg"), 64, 48, SKColors.Blue, SKEncodedImageFormat.Jpeg);
        File.Copy(TestImage("exif-rotated.jpg"), Path.Combine(dir, "train", "dog", "rotated.jpg"));   // stored 12x8, shown 8x12
        WritePng(Path.Combine(dir, "test", "cat", "t0.png"), 20, 10, SKColors.Red);
        WritePng(Path.Combine(dir, "test", "dog", "t1.png"), 22, 11, SKColors.Blue);
        File.WriteAllBytes(Path.Combine(dir, "test", "dog", "broken.png"), new byte[] { 1, 2, 3 });
        File.WriteAllText(Path.Combine(dir, "train", "dog", "notes.txt"), "not an image");

        var s = new ImageFolderProvider().Open(new DatasetRequest { Path = dir, Size = 16, Channels = 3 });
        Assert.Equal(new[] { 3, 2 }, DatasetStatistics.ClassCounts(s.Train));
        Assert.Equal(new[] { 1, 1 }, DatasetStatistics.ClassCounts(s.Test!));

        var sizes = DatasetStatistics.OriginalSizes(s.Files.Append(Path.Combine(dir, "test", "dog", "broken.png")).ToArray(), dir, seed: 1);
        Assert.Equal(new[] { "test", "train" }, sizes.Keys.Order());
        Assert.Equal(new[] { "20x10", "22x11" }, sizes["test"].Select(wh => $"{wh[0]}x{wh[1]}").Order());
        Assert.Equal(new[] { "40x30", "41x30", "42x30", "64x48", "8x12" }, sizes["train"].Select(wh => $"{wh[0]}x{wh[1]}").Order());
        Assert.Equal(new[] { "all" }, DatasetStatistics.OriginalSizes(s.Files, null, 1).Keys);
    }

    [Fact]
    public void An_image_folder_reads_every_mode_skips_a_corrupt_file_and_reuses_its_cache()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        // Three classes; odd sizes; JPEG and PNG; the awkward modes in class "odd".
        for (int i = 0; i < 4; i++)
        {
            WritePng(Path.Combine(dir, "red", $"r{i}.png"), 40 + i, 30, new SKColor(250, 10, 10));
            WritePng(Path.Combine(dir, "blue", $"b{i}.jpg"), 30, 50 + i, new SKColor(10, 10, 250), SKEncodedImageFormat.Jpeg);
        }
        Directory.CreateDirectory(Path.Combine(dir, "odd"));
        foreach (var f in new[] { "exif-rotated.jpg", "cmyk.jpg", "palette.png", "grey16.png", "transparent.png" })
            File.Copy(TestImage(f), Path.Combine(dir, "odd", f));
        File.WriteAllBytes(Path.Combine(dir, "odd", "broken.jpg"), new byte[] { 0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3 });
        File.WriteAllText(Path.Combine(dir, "odd", "notes.txt"), "not an image, not counted");

        var provider = new ImageFolderProvider();
        var log = new StringWriter();
        var s = provider.Open(new DatasetRequest { Path = dir, Size = 16, Channels = 3, Log = log });
        Assert.Equal(new[] { "blue", "odd", "red" }, s.Train.Info.ClassNames);
        Assert.Equal(13, s.Train.Count);
        var skipped = Assert.Single(s.Skipped);
        Assert.StartsWith(Path.Combine(dir, "odd", "broken.jpg") + ": ", skipped);
        Assert.Contains("decoded 13 images (1 skipped)", log.ToString());

        var px = new float[3 * 16 * 16];
        (float R, float G, float B) At(int index, int y, int x)
        {
            s.Train.Read(index, px);
            return (px[y * 16 + x] * 255, px[256 + y * 16 + x] * 255, px[512 + y * 16 + x] * 255);
        }
        int Find(string cls, int nth) => Enumerable.Range(0, s.Train.Count).Where(i => s.Train.Info.ClassNames[s.Train.GetLabel(i)] == cls).ElementAt(nth);
        var red = At(Find("red", 0), 8, 8);
        Assert.True(red.R > 240 && red.G < 20 && red.B < 20, $"red: {red}");
        // The "odd" files in file-name order: cmyk, exif-rotated, grey16, palette, transparent.
        var cmyk = At(Find("odd", 0), 8, 8);
        Assert.True(cmyk.R < 30 && cmyk.G > 225 && cmyk.B > 225, $"CMYK JPEG decoded as cyan: {cmyk}");
        // EXIF orientation 6: stored 12x8 with red left and blue right; upright it is 8x12 with red on top.
        var top = At(Find("odd", 1), 2, 8);
        var bottom = At(Find("odd", 1), 13, 8);
        Assert.True(top.R > 200 && top.B < 60 && bottom.B > 200 && bottom.R < 60, $"EXIF rotation: top {top}, bottom {bottom}");
        var grey16 = At(Find("odd", 2), 8, 8);
        Assert.InRange(grey16.R, 125, 131);   // 32768 / 65535 of full scale
        Assert.Equal(grey16.R, grey16.B);
        var palette = At(Find("odd", 3), 8, 8);
        Assert.True(palette.G > 250 && palette.R < 5, $"palette PNG: {palette}");
        var transparent = At(Find("odd", 4), 8, 8);
        Assert.Equal(200, transparent.R, 1);   // alpha dropped as PIL's convert("RGB") does

        // Second open: the cache, not a decode.
        var log2 = new StringWriter();
        var again = provider.Open(new DatasetRequest { Path = dir, Size = 16, Channels = 3, Log = log2 });
        Assert.Contains("13 images from the cache", log2.ToString());
        Assert.Single(again.Skipped);
        // A changed file invalidates it.
        WritePng(Path.Combine(dir, "red", "r9.png"), 20, 20, new SKColor(250, 10, 10));
        var log3 = new StringWriter();
        Assert.Equal(14, provider.Open(new DatasetRequest { Path = dir, Size = 16, Channels = 3, Log = log3 }).Train.Count);
        Assert.Contains("decoded 14 images", log3.ToString());
    }

    /// <summary>
    /// A 40x32 image of seeded noise in <paramref name="format"/>: noise does not compress, so the pixel data fill
    /// the file and a cut at any fraction of its bytes falls inside them. BMP is written by hand (Skia encodes none).
    /// </summary>
    static byte[] NoiseImage(string format, int seed)
    {
        const int w = 40, h = 32;
        var rng = new Random(seed);
        if (format == "bmp")
        {
            int row = w * 3, size = 54 + row * h;   // 24-bit rows of 120 bytes need no padding
            var bmp = new byte[size];
            "BM"u8.CopyTo(bmp);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(2), size);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(10), 54);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(14), 40);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(18), w);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(22), h);
            BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(26), 1);
            BinaryPrimitives.WriteInt16LittleEndian(bmp.AsSpan(28), 24);
            BinaryPrimitives.WriteInt32LittleEndian(bmp.AsSpan(34), row * h);
            rng.NextBytes(bmp.AsSpan(54));
            return bmp;
        }
        using var bitmap = new SKBitmap(w, h);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) bitmap.SetPixel(x, y, new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
        var encoded = format switch { "png" => SKEncodedImageFormat.Png, "jpg" => SKEncodedImageFormat.Jpeg, _ => SKEncodedImageFormat.Webp };
        using var data = bitmap.Encode(encoded, 90);
        return data.ToArray();
    }

    [Theory]
    [InlineData("png")]
    [InlineData("jpg")]
    [InlineData("webp")]
    [InlineData("bmp")]
    public void An_image_cut_short_is_skipped_and_listed_like_a_file_of_random_bytes_and_left_out_of_the_original_sizes(string format)
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        for (int i = 0; i < 3; i++)
            foreach (var cls in new[] { "a", "b" })
            {
                Directory.CreateDirectory(Path.Combine(dir, cls));
                File.WriteAllBytes(Path.Combine(dir, cls, $"{cls}{i}.{format}"), NoiseImage(format, 10 * i + cls[0]));
            }
        var whole = NoiseImage(format, 99);
        var cuts = new[] { 30, 50, 90 }.Select(percent => Path.Combine(dir, "a", $"cut{percent}.{format}")).ToArray();
        foreach (var (path, percent) in cuts.Zip(new[] { 30, 50, 90 }))
            File.WriteAllBytes(path, whole[..(whole.Length * percent / 100)]);
        var random = Path.Combine(dir, "b", $"random.{format}");
        File.WriteAllBytes(random, NoiseImage("bmp", 5)[54..]);

        // The one decoder every reader uses (folder sets, predict, augment-preview) refuses each cut.
        Assert.NotNull(ImageFiles.Decode(Path.Combine(dir, "a", $"a0.{format}")));
        foreach (var cut in cuts) Assert.Throws<ZooConfigException>(() => ImageFiles.Decode(cut));

        var s = new ImageFolderProvider().Open(new DatasetRequest { Path = dir, Size = 16, Channels = 3 });
        Assert.Equal(6, s.Train.Count);
        Assert.Equal(cuts.Append(random).Order(StringComparer.Ordinal), s.Skipped.Select(e => e[..e.IndexOf(": ", StringComparison.Ordinal)]).Order(StringComparer.Ordinal));
        // The data figures' original sizes are of the images the set kept, though a cut file's header reads well.
        Assert.Equal(6, DatasetStatistics.OriginalSizes(s, dir, seed: 1)["all"].Length);
        Assert.Equal(9, DatasetStatistics.OriginalSizes(s.Files, dir, seed: 1)["all"].Length);
    }

    [Fact]
    public void An_image_folder_with_train_val_test_keeps_its_splits_and_can_hold_out_a_test_part()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        foreach (var (split, n) in new[] { ("train", 6), ("val", 2), ("test", 3) })
            foreach (var cls in new[] { "cat", "dog" })
                for (int i = 0; i < n; i++) WritePng(Path.Combine(dir, split, cls, $"{i}.png"), 20, 20, new SKColor((byte)(i * 20), 0, 0));
        var s = new ImageFolderProvider().Open(new DatasetRequest { Path = dir, Size = 8, Channels = 1 });
        Assert.Equal((12, 4, 6), (s.Train.Count, s.Validation!.Count, s.Test!.Count));
        Assert.Equal(new[] { "cat", "dog" }, s.Train.Info.ClassNames);

        var flat = Path.Combine(dir, "train");
        var held = new ImageFolderProvider().Open(new DatasetRequest { Path = flat, Size = 8, Options = Options(("test_fraction", "0.5")) });
        Assert.Equal(6, held.Test!.Count);
        Assert.Equal(6, held.Train.Count);
        Assert.Equal(3, Enumerable.Range(0, 6).Count(i => held.Test.GetLabel(i) == 0));   // stratified
    }

    [Fact]
    public void Auto_recognises_each_format_and_names_what_it_expected_otherwise()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var auto = new AutoDatasetProvider(new ImageFolderProvider());
        WriteMnist(Path.Combine(dir, "FashionMNIST", "raw"), 20, 10, gzip: true);
        WriteCifar(Path.Combine(dir, "c10"), hundred: false, perFile: 2);
        WriteCifar(Path.Combine(dir, "c100"), hundred: true, perFile: 100);
        WritePng(Path.Combine(dir, "photos", "a", "1.png"), 10, 10, SKColors.Red);
        WritePng(Path.Combine(dir, "photos", "b", "1.png"), 10, 10, SKColors.Blue);
        Assert.Equal("fashion-mnist", auto.Detect(Path.Combine(dir, "FashionMNIST"))!.Name);
        Assert.Equal("cifar10", auto.Detect(Path.Combine(dir, "c10"))!.Name);
        Assert.Equal("cifar100", auto.Detect(Path.Combine(dir, "c100"))!.Name);
        Assert.Equal("folder", auto.Detect(Path.Combine(dir, "photos"))!.Name);
        Assert.Equal(20, auto.Open(new DatasetRequest { Path = Path.Combine(dir, "FashionMNIST") }).Train.Count);

        Directory.CreateDirectory(Path.Combine(dir, "empty", "x"));
        File.WriteAllText(Path.Combine(dir, "empty", "x", "readme.txt"), "hi");
        var e = Assert.Throws<ZooConfigException>(() => auto.Open(new DatasetRequest { Path = Path.Combine(dir, "empty") }));
        Assert.Contains("is none of the formats Zoo reads; expected MNIST-format IDX files", e.Message);
        Assert.Contains("an image folder (one sub-folder of JPEG/PNG images per class", e.Message);
    }

    [Fact]
    public void A_suite_trains_on_mnist_format_files_with_a_stratified_validation_part_and_imagenet_normalisation_is_checked()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        WriteMnist(Path.Combine(dir, "data"), 200, 50, gzip: true);
        var json = """
            { "name": "files", "dataset": { "name": "auto", "path": "data", "val_fraction": 0.2, "seed": 4 },
              "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
              "recipe": { "epochs": 6, "batch_size": 20, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """;
        using var catalog = TestEnvironment.Catalog();
        var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), Path.Combine(dir, "out"));
        Assert.Equal((160, 40, 50), (result.Dataset.Train, result.Dataset.Validation, result.Dataset.Test));
        Assert.Contains("stratified 20", result.Dataset.ValidationSource);
        Assert.Equal(RunStatus.Finished, result.Runs[0].Status);
        Assert.True(result.Runs[0].Test!.Top1 > 0.5, $"{result.Runs[0].Test!.Top1}");   // the class is written in every pixel

        var e = Assert.Throws<ZooConfigException>(() => new SuiteRunner(catalog).Run(
            SuiteParser.Parse(json.Replace("\"seed\": 4", "\"seed\": 4, \"normalize\": \"imagenet\""), Path.Combine(dir, "suite.json")), Path.Combine(dir, "out2")));
        Assert.Contains("dataset.normalize", e.Message);
        Assert.Contains("3 channels", e.Message);
    }
}
