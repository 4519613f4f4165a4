using System.Buffers.Binary;
using System.Formats.Tar;
using System.IO.Compression;
using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>Helpers shared by the providers of sets stored as files.</summary>
static class DatasetFiles
{
    /// <summary>Raw byte images (N×C×H×W) as an in-memory set at the channel count and size the request asks for.</summary>
    public static InMemoryImageSet ToSet(string name, IReadOnlyList<string> classes, byte[] raw, int[] labels, int c, int h, int w, DatasetRequest request)
    {
        int channels = request.Channels ?? c, size = request.Size ?? h;
        int width = request.Size ?? w;
        var info = new DatasetInfo(name, channels, size, width, classes);
        if (channels == c && size == h && width == w) return new InMemoryImageSet(info, raw, labels);
        var dst = new byte[(long)labels.Length * info.ImageLength];
        int srcLen = c * h * w, dstLen = info.ImageLength;
        Parallel.For(0, labels.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
            Pixels.Convert(raw.AsSpan(i * srcLen, srcLen), c, h, w, dst.AsSpan(i * dstLen, dstLen), channels, size, width));
        return new InMemoryImageSet(info, dst, labels);
    }

    /// <summary>The first of the names that exists in the folder (or its "raw" sub-folder, torchvision's layout).</summary>
    public static string? Find(string folder, params string[] names)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, "raw") })
            foreach (var n in names)
                if (File.Exists(Path.Combine(dir, n))) return Path.Combine(dir, n);
        return null;
    }

    /// <summary>Opens a file, gunzipping when it starts with the gzip magic.</summary>
    public static byte[] ReadMaybeGzip(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
        using var gz = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var ms = new MemoryStream();
        try { gz.CopyTo(ms); }
        catch (InvalidDataException e) { throw new ZooConfigException(path, $"a damaged gzip file ({e.Message}); delete it so it is downloaded again"); }
        return ms.ToArray();
    }

    public static readonly Param<bool> Download = Param.Flag("download", true, "download missing files into the data folder ($ZOO_DATA_DIR or ~/.cache/zoo/data)");
}

/// <summary>Where a downloadable data set's files are looked for, and those of them not there yet (none: nothing to download).</summary>
public sealed record LocalData(string Dataset, string Folder, IReadOnlyList<string> Missing)
{
    public bool Present => Missing.Count == 0;

    /// <summary>
    /// The state of a built-in downloadable set (mnist, fashion-mnist, cifar10, cifar100) for a suite's dataset.path
    /// (null: the data folder, $ZOO_DATA_DIR or ~/.cache/zoo/data); null for any other set (generated, an image folder, a plugin's).
    /// </summary>
    public static LocalData? Of(string dataset, string? path = null) => dataset switch
    {
        "mnist" => IdxDatasetProvider.Mnist().Local(path),
        "fashion-mnist" => IdxDatasetProvider.FashionMnist().Local(path),
        "cifar10" => CifarDatasetProvider.Cifar10().Local(path),
        "cifar100" => CifarDatasetProvider.Cifar100().Local(path),
        _ => null,
    };
}

/// <summary>
/// MNIST and Fashion-MNIST from their IDX files (gzipped or not): train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte. 60 000 train and 10 000 test
/// images of 28×28 grey; validation is a stratified part of train (set by the suite's val_fraction).
/// </summary>
public sealed class IdxDatasetProvider : IDatasetProvider
{
    public static readonly string[] Digits = { "0", "1", "2", "3", "4", "5", "6", "7", "8", "9" };
    public static readonly string[] FashionClasses = { "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot" };

    static readonly string[] FileNames = { "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte" };

    readonly IReadOnlyList<RemoteFile> _remote;
    readonly string[] _classes;

    IdxDatasetProvider(string name, string description, string[] classes, IReadOnlyList<RemoteFile> remote)
    {
        Name = name; Description = description; _classes = classes; _remote = remote;
    }

    public static IdxDatasetProvider Mnist() => new("mnist",
        "MNIST handwritten digits (LeCun et al. 1998): 60 000 train / 10 000 test, 28x28 grey, IDX files; downloaded from the PyTorch mirror and MD5-checked if missing.",
        Digits, new RemoteFile[]
        {
            new("train-images-idx3-ubyte.gz", "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            new("train-labels-idx1-ubyte.gz", "https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            new("t10k-images-idx3-ubyte.gz", "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            new("t10k-labels-idx1-ubyte.gz", "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        });

    public static IdxDatasetProvider FashionMnist() => new("fashion-mnist",
        "Fashion-MNIST (Xiao et al. 2017): Zalando clothing in 10 classes, MNIST's format and sizes; downloaded from Zalando's mirror and MD5-checked if missing.",
        FashionClasses, new RemoteFile[]
        {
            new("train-images-idx3-ubyte.gz", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            new("train-labels-idx1-ubyte.gz", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            new("t10k-images-idx3-ubyte.gz", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            new("t10k-labels-idx1-ubyte.gz", "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        });

    public string Name { get; }
    public string Description { get; }
    public IReadOnlyList<ParameterInfo> Parameters { get; } = new ParameterInfo[] { DatasetFiles.Download };

    /// <summary>
    /// Whether this set's files are already on disk: in <paramref name="path"/> (a suite's dataset.path) or, without one, in
    /// the data folder's sub-folder for the set; the files missing there are the ones a first run downloads.
    /// </summary>
    public LocalData Local(string? path = null)
    {
        var folder = path ?? Path.Combine(Downloads.DataRoot, Name);
        return new LocalData(Name, folder, FileNames.Where(n => DatasetFiles.Find(folder, n, n + ".gz") is null)
            .Select(n => _remote.First(r => r.Name.StartsWith(n, StringComparison.Ordinal)).Name).ToArray());
    }

    /// <summary>Whether a folder holds MNIST-format files.</summary>
    public static bool Recognises(string folder) => DatasetFiles.Find(folder, FileNames[0], FileNames[0] + ".gz") is not null;

    public DatasetSplits Open(DatasetRequest request)
    {
        request.Options.EnsureOnly(Parameters);
        var folder = request.Path ?? Path.Combine(Downloads.DataRoot, Name);
        string? Locate(string n) => DatasetFiles.Find(folder, n, n + ".gz");
        if (FileNames.Any(n => Locate(n) is null))
            Downloads.Ensure(Name, folder, _remote, DatasetFiles.Download.Read(request.Options), request.Log);
        var (trainX, n1, h, w) = ReadImages(Locate(FileNames[0])!);
        var trainY = ReadLabels(Locate(FileNames[1])!, n1);
        var (testX, n2, h2, w2) = ReadImages(Locate(FileNames[2])!);
        var testY = ReadLabels(Locate(FileNames[3])!, n2);
        if (h2 != h || w2 != w) throw new ZooConfigException(Locate(FileNames[2])!, $"test images are {h2}x{w2} but train images are {h}x{w}");
        int classes = Math.Max(trainY.Max(), testY.Max()) + 1;
        var names = classes <= _classes.Length ? _classes : Enumerable.Range(0, classes).Select(i => i.ToString()).ToArray();
        return new DatasetSplits(
            DatasetFiles.ToSet(Name, names, trainX, trainY, 1, h, w, request), null,
            DatasetFiles.ToSet(Name, names, testX, testY, 1, h, w, request))
        {
            Files = FileNames.Select(n => Path.GetFullPath(Locate(n)!)).ToArray(),
        };
    }

    /// <summary>An IDX unsigned-byte tensor: magic 0x0000 0x08 ndim, big-endian dimensions, then the bytes.</summary>
    static (byte[] Data, int[] Dims) ReadIdx(string path, int expectDims)
    {
        var bytes = DatasetFiles.ReadMaybeGzip(path);
        if (bytes.Length < 4 || bytes[0] != 0 || bytes[1] != 0)
            throw new ZooConfigException(path, "not an IDX file (it must start with two zero bytes); expected MNIST-format files such as train-images-idx3-ubyte[.gz]");
        if (bytes[2] != 0x08) throw new ZooConfigException(path, $"IDX element type 0x{bytes[2]:x2} is not unsigned bytes (0x08)");
        int nd = bytes[3];
        if (nd != expectDims) throw new ZooConfigException(path, $"IDX file with {nd} dimensions; expected {expectDims} ({(expectDims == 3 ? "images: count, rows, columns" : "labels: count")})");
        var dims = new int[nd];
        for (int i = 0; i < nd; i++) dims[i] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
        long need = dims.Aggregate(1L, (a, d) => a * d);
        int offset = 4 + 4 * nd;
        if (bytes.Length - offset < need)
            throw new ZooConfigException(path, $"truncated: the header promises {need} bytes of data, the file has {bytes.Length - offset}; download it again");
        return (bytes.AsSpan(offset, (int)need).ToArray(), dims);
    }

    static (byte[] Pixels, int Count, int Height, int Width) ReadImages(string path)
    {
        var (data, dims) = ReadIdx(path, 3);
        return (data, dims[0], dims[1], dims[2]);
    }

    static int[] ReadLabels(string path, int count)
    {
        var (data, dims) = ReadIdx(path, 1);
        if (dims[0] != count) throw new ZooConfigException(path, $"{dims[0]} labels for {count} images; the image and label files do not belong together");
        return data.Select(b => (int)b).ToArray();
    }
}

/// <summary>
/// CIFAR-10 and CIFAR-100 (Krizhevsky 2009) from their binary versions: records of label byte(s) and a
/// 32×32 RGB image as three 1024-byte planes. 50 000 train, 10 000 test.
/// </summary>
public sealed class CifarDatasetProvider : IDatasetProvider
{
    public static readonly string[] Cifar10Classes = { "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };

    readonly bool _hundred;

    CifarDatasetProvider(bool hundred) => _hundred = hundred;

    public static CifarDatasetProvider Cifar10() => new(false);
    public static CifarDatasetProvider Cifar100() => new(true);

    public string Name => _hundred ? "cifar100" : "cifar10";
    public string Description => _hundred
        ? "CIFAR-100: 100 fine (or 20 coarse) classes, 50 000 train / 10 000 test, 32x32 RGB, binary version; downloaded and MD5-checked if missing."
        : "CIFAR-10: 10 classes, 50 000 train / 10 000 test, 32x32 RGB, binary batches; downloaded and MD5-checked if missing.";
    static readonly Param<string> Labels = Param.Choice("labels", "fine", new[] { "fine", "coarse" }, "fine (100 classes) or coarse (20 super-classes)");

    public IReadOnlyList<ParameterInfo> Parameters => _hundred
        ? new ParameterInfo[] { DatasetFiles.Download, Labels }
        : new ParameterInfo[] { DatasetFiles.Download };

    RemoteFile Remote => _hundred
        ? new("cifar-100-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", "03b5dce01913d631647c71ecec9e9cb8")
        : new("cifar-10-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530");

    string Inner => _hundred ? "cifar-100-binary" : "cifar-10-batches-bin";
    string[] TrainFiles => _hundred ? new[] { "train.bin" } : Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
    string TestFile => _hundred ? "test.bin" : "test_batch.bin";

    /// <summary>The folder holding the batches: the given one or its extracted sub-folder.</summary>
    string? BatchFolder(string folder)
    {
        foreach (var dir in new[] { folder, Path.Combine(folder, Inner) })
            if (File.Exists(Path.Combine(dir, TrainFiles[0]))) return dir;
        return null;
    }

    /// <summary>
    /// Whether this set's files are already on disk (the extracted batches, or the archive a first run would extract) in
    /// <paramref name="path"/> or, without one, in the data folder's sub-folder for the set.
    /// </summary>
    public LocalData Local(string? path = null)
    {
        var folder = path ?? Path.Combine(Downloads.DataRoot, Name);
        bool present = BatchFolder(folder) is not null || File.Exists(Path.Combine(folder, Remote.Name));
        return new LocalData(Name, folder, present ? Array.Empty<string>() : new[] { Remote.Name });
    }

    public static bool IsCifar10(string folder) => Cifar10().BatchFolder(folder) is not null;
    public static bool IsCifar100(string folder) => Cifar100().BatchFolder(folder) is not null;

    public DatasetSplits Open(DatasetRequest request)
    {
        request.Options.EnsureOnly(Parameters);
        var folder = request.Path ?? Path.Combine(Downloads.DataRoot, Name);
        var dir = BatchFolder(folder);
        if (dir is null)
        {
            Downloads.Ensure(Name, folder, new[] { Remote }, DatasetFiles.Download.Read(request.Options), request.Log);
            Extract(Path.Combine(folder, Remote.Name), folder);
            dir = BatchFolder(folder) ?? throw new ZooConfigException(Path.Combine(folder, Remote.Name), $"the archive has no {Inner}/{TrainFiles[0]}");
        }
        bool coarse = _hundred && Labels.Read(request.Options) == "coarse";
        var missing = TrainFiles.Append(TestFile).Where(f => !File.Exists(Path.Combine(dir, f))).ToList();
        if (missing.Count > 0) throw new ZooConfigException(dir, $"missing {string.Join(", ", missing)}; a complete {Inner} folder has {string.Join(", ", TrainFiles.Append(TestFile))}");
        var (trainX, trainY) = Read(TrainFiles.Select(f => Path.Combine(dir, f)), coarse);
        var (testX, testY) = Read(new[] { Path.Combine(dir, TestFile) }, coarse);
        var names = ClassNames(dir, coarse);
        return new DatasetSplits(
            DatasetFiles.ToSet(Name, names, trainX, trainY, 3, 32, 32, request), null,
            DatasetFiles.ToSet(Name, names, testX, testY, 3, 32, 32, request))
        {
            Files = TrainFiles.Append(TestFile).Append(ClassNamesFile(coarse)).Select(f => Path.GetFullPath(Path.Combine(dir, f)))
                .Where(File.Exists).ToArray(),
        };
    }

    string ClassNamesFile(bool coarse) => _hundred ? (coarse ? "coarse_label_names.txt" : "fine_label_names.txt") : "batches.meta.txt";

    IReadOnlyList<string> ClassNames(string dir, bool coarse)
    {
        string file = ClassNamesFile(coarse);
        int count = _hundred ? (coarse ? 20 : 100) : 10;
        var path = Path.Combine(dir, file);
        if (File.Exists(path))
        {
            var lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (lines.Length == count) return lines;
        }
        return _hundred ? Enumerable.Range(0, count).Select(i => i.ToString()).ToArray() : Cifar10Classes;
    }

    (byte[] Pixels, int[] Labels) Read(IEnumerable<string> files, bool coarse)
    {
        int head = _hundred ? 2 : 1, record = head + 3072;
        var pixels = new List<byte[]>();
        var labels = new List<int>();
        foreach (var f in files)
        {
            var bytes = File.ReadAllBytes(f);
            if (bytes.Length == 0 || bytes.Length % record != 0)
                throw new ZooConfigException(f, $"{bytes.Length} bytes is not a whole number of {record}-byte CIFAR-{(_hundred ? "100" : "10")} records; the file is damaged or of the other CIFAR");
            int n = bytes.Length / record;
            var px = new byte[n * 3072];
            for (int i = 0; i < n; i++)
            {
                int label = bytes[i * record + (_hundred && !coarse ? 1 : 0)];
                int max = _hundred ? (coarse ? 20 : 100) : 10;
                if (label >= max) throw new ZooConfigException(f, $"record {i} has label {label}; CIFAR-{(_hundred ? "100" : "10")} labels are below {max}");
                labels.Add(label);
                Array.Copy(bytes, i * record + head, px, i * 3072, 3072);
            }
            pixels.Add(px);
        }
        var all = new byte[pixels.Sum(p => (long)p.Length)];
        long at = 0;
        foreach (var p in pixels) { Buffer.BlockCopy(p, 0, all, (int)at, p.Length); at += p.Length; }
        return (all, labels.ToArray());
    }

    static void Extract(string archive, string folder)
    {
        using var gz = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        using var tar = new TarReader(gz);
        var root = Path.GetFullPath(folder);
        while (tar.GetNextEntry() is { } e)
        {
            if (e.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            var dest = Path.GetFullPath(Path.Combine(root, e.Name));
            if (!dest.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)) continue;   // no escaping the folder
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            e.ExtractToFile(dest, overwrite: true);
        }
    }
}
