using Zoo.Abstractions;
using static TorchSharp.torch;

namespace Zoo.Engine.Weights;

/// <summary>
/// Which state dict of a weights file to take: for a PyTorch checkpoint, the entry that holds it (null: the
/// file is a state dict, or has exactly one); for either format, a key prefix to remove ("module." of DataParallel).
/// </summary>
public sealed record WeightSelection(string? Entry = null, string? StripPrefix = null)
{
    /// <summary>Take the file as it is.</summary>
    public static readonly WeightSelection None = new();
}

/// <summary>
/// Every place that accepts weights goes through here, so a .safetensors file and a PyTorch .pth/.pt
/// checkpoint are taken alike. The format is told by the file's first bytes, not its name.
/// </summary>
public static class WeightFile
{
    /// <summary>Whether the file is a PyTorch checkpoint rather than safetensors.</summary>
    public static bool IsPyTorch(string path) => PthFile.Looks(path);

    /// <summary>Each tensor's shape by key, and the safetensors metadata (none for a checkpoint), without reading tensor data.</summary>
    public static (IReadOnlyDictionary<string, long[]> Shapes, IReadOnlyDictionary<string, string> Metadata) Inspect(string path, WeightSelection? select = null)
    {
        select ??= WeightSelection.None;
        if (IsPyTorch(path))
        {
            using var pth = PthFile.Open(path);
            return (pth.StateDict(select.Entry, select.StripPrefix).ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal), new Dictionary<string, string>());
        }
        NoEntry(path, select);
        var (shapes, meta) = Safetensors.Inspect(path);
        return (Strip(shapes, select.StripPrefix), meta);
    }

    /// <summary>Reads every tensor of the selected state dict onto the CPU (the caller disposes them).</summary>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata, WeightSelection? select = null)
    {
        select ??= WeightSelection.None;
        if (IsPyTorch(path))
        {
            metadata = new Dictionary<string, string>();
            using var pth = PthFile.Open(path);
            return pth.ReadStateDict(select.Entry, select.StripPrefix);
        }
        NoEntry(path, select);
        return Strip(Safetensors.Load(path, out metadata), select.StripPrefix);
    }

    static void NoEntry(string path, WeightSelection select)
    {
        if (select.Entry is { Length: > 0 })
            throw new ZooConfigException(path, $"is a safetensors file, which holds one state dict: an entry ('{select.Entry}') applies only to PyTorch checkpoints (.pth)");
    }

    static Dictionary<string, T> Strip<T>(IReadOnlyDictionary<string, T> d, string? prefix)
    {
        var result = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var (k, v) in d)
            result[prefix is { Length: > 0 } && k.StartsWith(prefix, StringComparison.Ordinal) ? k[prefix.Length..] : k] = v;
        return result;
    }

    /// <summary>
    /// Writes the selected state dict of a PyTorch checkpoint as safetensors, one tensor at a time (peak memory is
    /// about the largest tensor, not the model). Returns the number of tensors and bytes of tensor data written.
    /// </summary>
    public static (int Tensors, long Bytes) ConvertToSafetensors(string input, string output, WeightSelection? select = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        select ??= WeightSelection.None;
        if (!IsPyTorch(input))
            throw new ZooConfigException(input, File.Exists(input) ? "is not a PyTorch checkpoint (.pth/.pt written by torch.save); a safetensors file needs no conversion" : "no such weights file");
        if (Path.GetFullPath(input) == Path.GetFullPath(output)) throw new ZooConfigException(output, "is the input file too; give another output path");
        using var pth = PthFile.Open(input);
        var entries = pth.StateDict(select.Entry, select.StripPrefix)
            .Select(kv => new Safetensors.Entry(kv.Key, kv.Value.Type, kv.Value.Shape, () => pth.Read(kv.Value)))
            .ToList();
        Safetensors.Save(output, entries, metadata);
        return (entries.Count, entries.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b) * PthFile.ElementSize(e.Type)));
    }
}
