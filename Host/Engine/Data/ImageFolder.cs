using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SkiaSharp;
using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>A view of some images of another set, by index (no copy).</summary>
public sealed class SubsetImageSet : IImageSet
{
    readonly IImageSet _inner;
    readonly int[] _indices;

    public SubsetImageSet(IImageSet inner, IReadOnlyList<int> indices)
    {
        _inner = inner;
        _indices = indices.ToArray();
    }

    public DatasetInfo Info => _inner.Info;
    public int Count => _indices.Length;
    public int GetLabel(int index) => _inner.GetLabel(_indices[index]);
    public void Read(int index, Span<float> destination) => _inner.Read(_indices[index], destination);
}

/// <summary>
/// Byte images in a memory-mapped cache file (see <see cref="ImageFolderProvider"/>): the operating system
/// pages them in as needed, so a set larger than memory still trains, and reads are thread-safe.
/// </summary>
public sealed unsafe class MappedImageSet : IImageSet, IDisposable
{
    readonly MemoryMappedFile _file;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _base;
    readonly long _pixelsOffset;
    readonly int[] _labels;

    internal MappedImageSet(string path, DatasetInfo info, long pixelsOffset, int[] labels)
    {
        Info = info;
        _pixelsOffset = pixelsOffset;
        _labels = labels;
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
    }

    public DatasetInfo Info { get; }
    public int Count => _labels.Length;
    public int GetLabel(int index) => _labels[index];

    public void Read(int index, Span<float> destination)
    {
        int n = Info.ImageLength;
        var src = new ReadOnlySpan<byte>(_base + _pixelsOffset + (long)index * n, n);
        for (int i = 0; i < n; i++) destination[i] = src[i] * (1f / 255f);
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}

/// <summary>
/// An image folder: one sub-folder of images (JPEG, PNG, WebP, BMP, GIF) per class, as torchvision's
/// ImageFolder reads it, either directly or under train/ (training/), val/ (valid/, validation/) and test/. Every
/// image is decoded once with SkiaSharp (EXIF orientation applied; grey, RGBA, palette, 16-bit and CMYK
/// files all become RGB or grey), resized (shorter side, then centre crop, or squashed) to the training
/// size, and kept in a byte cache file keyed by the folder's listing (paths, sizes, times), the size and
/// the channel count: the next run reuses it while nothing changed. Unreadable files are skipped and listed.
/// </summary>
public sealed class ImageFolderProvider : IDatasetProvider
{
    static readonly string[] Extensions = { ".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif" };
    static readonly string[] TrainNames = { "train", "training" };
    static readonly string[] ValNames = { "val", "valid", "validation" };
    // 2: a truncated file is skipped (issue 26); a version-1 cache holds it decoded as a good image.
    const int CacheVersion = 2;

    public string Name => "folder";
    public string Description => "Your own images: a folder with one sub-folder of JPEG/PNG images per class (optionally under train/, val/, test/); decoded once into a cache at the training size.";
    static readonly Param<string> Resize = Param.Choice("resize", "crop", new[] { "crop", "squash" }, "crop: shorter side to the size, then centre crop; squash: stretch to size x size");
    static readonly Param<double> TestFraction = Param.Number("test_fraction", 0, 0, 0.9, "share of each class held out as a test split when the folder has no test/");
    static readonly Param<bool> Cache = Param.Flag("cache", true, "keep the decoded images in the cache folder for the next run");

    public IReadOnlyList<ParameterInfo> Parameters { get; } = new ParameterInfo[] { Resize, TestFraction, Cache };

    /// <summary>Whether a folder looks like an image folder (class sub-folders with images, directly or under train/).</summary>
    public static bool Recognises(string folder)
    {
        if (!Directory.Exists(folder)) return false;
        var root = TrainNames.Select(t => Path.Combine(folder, t)).FirstOrDefault(Directory.Exists) ?? folder;
        return Directory.EnumerateDirectories(root).Any(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories).Any(IsImage));
    }

    internal static bool IsImage(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public DatasetSplits Open(DatasetRequest request)
    {
        var o = request.Options;
        o.EnsureOnly(Parameters);
        var folder = request.Path ?? throw new ZooConfigException("dataset.path", "required for an image folder: the folder with one sub-folder of images per class");
        if (!Directory.Exists(folder)) throw new ZooConfigException(folder, "no such folder; give the folder with one sub-folder of images per class");
        var resize = Resize.Read(o);
        double testFraction = TestFraction.Read(o);
        bool useCache = Cache.Read(o);
        int size = request.Size ?? 224, channels = request.Channels ?? 3;

        // Splits: train/ (+ val/ + test/) or the folder itself as train.
        string trainRoot = TrainNames.Select(t => Path.Combine(folder, t)).FirstOrDefault(Directory.Exists) ?? folder;
        string? valRoot = trainRoot == folder ? null : ValNames.Select(v => Path.Combine(folder, v)).FirstOrDefault(Directory.Exists);
        string? testRoot = trainRoot == folder ? null : Path.Combine(folder, "test") is var t && Directory.Exists(t) ? t : null;
        var classes = Directory.EnumerateDirectories(trainRoot).Select(Path.GetFileName).OfType<string>()
            .Where(c => c != "val" && !c.StartsWith('.')).OrderBy(c => c, StringComparer.Ordinal).ToList();
        if (classes.Count < 2)
            throw new ZooConfigException(trainRoot, $"found {classes.Count} class sub-folder(s); an image folder needs one sub-folder of images per class (at least two), e.g. {trainRoot}/cats/*.jpg and {trainRoot}/dogs/*.jpg");

        var files = new List<(string Path, int Label, int Split)>();   // split 0 train, 1 val, 2 test
        void Collect(string root, int split)
        {
            foreach (var (c, i) in classes.Select((c, i) => (c, i)))
            {
                var dir = Path.Combine(root, c);
                if (!Directory.Exists(dir)) continue;
                files.AddRange(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(IsImage)
                    .OrderBy(f => f, StringComparer.Ordinal).Select(f => (f, i, split)));
            }
        }
        Collect(trainRoot, 0);
        if (valRoot is not null) Collect(valRoot, 1);
        if (testRoot is not null) Collect(testRoot, 2);
        if (files.Count(f => f.Split == 0) == 0) throw new ZooConfigException(trainRoot, $"the class folders hold no images ({string.Join(", ", Extensions)})");

        var info = new DatasetInfo(Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder))), channels, size, size, classes);
        var log = request.Log ?? TextWriter.Null;
        var cacheFolder = Path.Combine(request.CacheDirectory ?? ZooPaths.Cache, "folder-cache");
        var (cachePath, skipped, labels) = LoadOrBuild(files, info, resize, useCache, cacheFolder, log);
        var rowsBySplit = Enumerable.Range(0, 3).Select(s => files.Select((f, i) => (f, i)).Where(x => x.f.Split == s && !skipped.ContainsKey(x.i)).Select(x => x.i).ToArray()).ToArray();
        var whole = new MappedImageSet(cachePath, info, PixelsOffset(cachePath), labels);
        IImageSet Part(int[] rows) => new SubsetImageSet(whole, rows);

        IImageSet train = Part(rowsBySplit[0]);
        IImageSet? test = rowsBySplit[2].Length > 0 ? Part(rowsBySplit[2]) : null;
        if (test is null && testFraction > 0)
        {
            var (keep, held) = Splits.Stratified(train, testFraction, request.Seed ^ 0x7E57);
            test = Part(held.Select(i => rowsBySplit[0][i]).ToArray());
            train = Part(keep.Select(i => rowsBySplit[0][i]).ToArray());
        }
        return new DatasetSplits(train, rowsBySplit[1].Length > 0 ? Part(rowsBySplit[1]) : null, test)
        {
            Skipped = skipped.OrderBy(kv => kv.Key).Select(kv => $"{files[kv.Key].Path}: {kv.Value}").ToArray(),
            Files = files.Select(f => Path.GetFullPath(f.Path)).ToArray(),
        };
    }

    (string Path, Dictionary<int, string> Skipped, int[] Labels) LoadOrBuild(List<(string Path, int Label, int Split)> files, DatasetInfo info, string resize, bool useCache, string cacheFolder, TextWriter log)
    {
        var key = new StringBuilder($"v{CacheVersion}|{info.Channels}|{info.Height}|{resize}\n");
        foreach (var f in files)
        {
            var fi = new FileInfo(f.Path);
            key.Append(Path.GetFullPath(f.Path)).Append('|').Append(f.Label).Append('|').Append(fi.Length).Append('|').Append(fi.LastWriteTimeUtc.Ticks).Append('\n');
        }
        var hash = System.Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())))[..20].ToLowerInvariant();
        Directory.CreateDirectory(cacheFolder);
        var path = Path.Combine(cacheFolder, $"{info.Name}-{info.Channels}x{info.Height}-{hash}.zoocache");
        if (useCache && File.Exists(path))
        {
            var (skipped, labels) = ReadHeader(path);
            log.WriteLine($"    image folder: {files.Count - skipped.Count} images from the cache {path}");
            return (path, skipped, labels);
        }
        var built = Build(files, info, resize, path, log);
        if (!useCache) AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { File.Delete(path); } catch (IOException) { } };
        return built;
    }

    static (string, Dictionary<int, string>, int[]) Build(List<(string Path, int Label, int Split)> files, DatasetInfo info, string resize, string path, TextWriter log)
    {
        int n = info.ImageLength;
        var skipped = new System.Collections.Concurrent.ConcurrentDictionary<int, string>();
        var labels = files.Select(f => f.Label).ToArray();
        var header = JsonSerializer.SerializeToUtf8Bytes(new CacheHeader(files.Count, labels, new Dictionary<int, string>()));
        var tmp = path + $".{Environment.ProcessId}.tmp";
        var sw = System.Diagnostics.Stopwatch.StartNew();
        int done = 0;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.ReadWrite, FileShare.None))
        {
            // Pixels first at a fixed offset (the header, which lists skipped files, is only known at the end).
            long pixelsOffset = 4096 + header.Length + 64 * (long)files.Count;
            fs.SetLength(pixelsOffset + (long)files.Count * n);
            var gate = new object();
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => new byte[n], (i, _, buffer) =>
            {
                try
                {
                    Decode(files[i].Path, info.Channels, info.Height, resize, buffer);
                }
                catch (Exception e) when (e is ZooConfigException or IOException or InvalidOperationException or ArgumentException or UnauthorizedAccessException)
                {
                    skipped[i] = e is ZooConfigException z ? z.Message.Replace(files[i].Path + ": ", "") : e.Message;
                    Array.Clear(buffer);
                }
                lock (gate)
                {
                    fs.Position = pixelsOffset + (long)i * n;
                    fs.Write(buffer);
                    if (++done % 1000 == 0) log.WriteLine($"    image folder: decoded {done}/{files.Count} ({sw.Elapsed.TotalSeconds:F0} s)");
                }
                return buffer;
            }, _ => { });
            var final = JsonSerializer.SerializeToUtf8Bytes(new CacheHeader(files.Count, labels, new Dictionary<int, string>(skipped)));
            if (8 + final.Length > pixelsOffset) throw new InvalidOperationException("cache header overflow");
            Span<byte> prefix = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(prefix, pixelsOffset);
            fs.Position = 0;
            fs.Write(prefix);
            fs.Write(BitConverter.GetBytes(final.Length));
            fs.Write(final);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        log.WriteLine($"    image folder: decoded {files.Count - skipped.Count} images ({skipped.Count} skipped) in {sw.Elapsed.TotalSeconds:F1} s into {path}");
        return (path, new Dictionary<int, string>(skipped), labels);
    }

    sealed record CacheHeader(int Count, int[] Labels, Dictionary<int, string> Skipped);

    static long PixelsOffset(string path)
    {
        using var fs = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        fs.ReadExactly(prefix);
        return BinaryPrimitives.ReadInt64LittleEndian(prefix);
    }

    static (Dictionary<int, string> Skipped, int[] Labels) ReadHeader(string path)
    {
        using var fs = File.OpenRead(path);
        var prefix = new byte[12];
        fs.ReadExactly(prefix);
        int len = BitConverter.ToInt32(prefix, 8);
        var json = new byte[len];
        fs.ReadExactly(json);
        var h = JsonSerializer.Deserialize<CacheHeader>(json)!;
        return (h.Skipped, h.Labels);
    }

    /// <summary>Decodes one file into C×size×size bytes (<see cref="ImageFiles.ResizeCrop"/>, then to 0–255).</summary>
    public static void Decode(string path, int channels, int size, string resize, Span<byte> destination)
    {
        using var bitmap = ImageFiles.Decode(path);
        var pixels = new float[channels * size * size];
        ImageFiles.ResizeCrop(bitmap, channels, size, size, squash: resize == "squash", pixels);
        for (int i = 0; i < pixels.Length; i++) destination[i] = (byte)Math.Clamp((int)Math.Round(pixels[i] * 255), 0, 255);
    }
}

/// <summary>
/// "auto": point at a folder and the format is recognised: MNIST-format IDX files, CIFAR-10 or CIFAR-100
/// binaries, or an image folder. A folder that is none of them gets an error saying what was expected.
/// </summary>
public sealed class AutoDatasetProvider : IDatasetProvider
{
    readonly ImageFolderProvider _folder;

    public AutoDatasetProvider(ImageFolderProvider folder) => _folder = folder;

    public string Name => "auto";
    public string Description => "Recognises the folder given as \"path\": MNIST/Fashion-MNIST IDX files, CIFAR-10/100 binaries, or an image folder (one sub-folder per class).";
    public IReadOnlyList<ParameterInfo> Parameters => _folder.Parameters.Append(DatasetFiles.Download.Info).ToArray();

    /// <summary>The provider a folder's files call for, or null.</summary>
    public IDatasetProvider? Detect(string folder)
    {
        if (IdxDatasetProvider.Recognises(folder))
            return folder.Contains("fashion", StringComparison.OrdinalIgnoreCase) ? IdxDatasetProvider.FashionMnist() : IdxDatasetProvider.Mnist();
        if (CifarDatasetProvider.IsCifar10(folder)) return CifarDatasetProvider.Cifar10();
        if (CifarDatasetProvider.IsCifar100(folder)) return CifarDatasetProvider.Cifar100();
        if (ImageFolderProvider.Recognises(folder)) return _folder;
        return null;
    }

    public DatasetSplits Open(DatasetRequest request)
    {
        var folder = request.Path ?? throw new ZooConfigException("dataset.path", "required for \"auto\": the folder to recognise");
        if (!Directory.Exists(folder)) throw new ZooConfigException(folder, "no such folder");
        var provider = Detect(folder) ?? throw new ZooConfigException(folder,
            "is none of the formats Zoo reads; expected MNIST-format IDX files (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-…), " +
            "CIFAR-10 binary batches (data_batch_1.bin … data_batch_5.bin, test_batch.bin), CIFAR-100 binaries (train.bin, test.bin), " +
            "or an image folder (one sub-folder of JPEG/PNG images per class, optionally under train/, val/, test/)");
        request.Options.EnsureOnly(Parameters);
        var allowed = provider.Parameters.Select(p => p.Name).ToHashSet();
        var options = new ParameterBag(request.Options.Keys.Where(allowed.Contains).ToDictionary(n => n, n => request.Options.Raw(n)!), request.Options.Where);
        return provider.Open(request with { Options = options });
    }
}
