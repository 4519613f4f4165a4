using TorchSharp;
using Zoo.Abstractions;
using static TorchSharp.torch;

namespace Zoo.Engine.Weights;

/// <summary>What loading weights into a model did.</summary>
public sealed record LoadReport(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> Misshaped, IReadOnlyList<string> Reinitialised)
{
    /// <summary>Everything lined up.</summary>
    public bool Exact => Missing.Count == 0 && Unexpected.Count == 0 && Misshaped.Count == 0 && Reinitialised.Count == 0;
}

/// <summary>
/// Saves a model's state dict as safetensors and loads one back by key name, reporting every missing,
/// unexpected or mis-shaped key. A classifier head trained for another class count (a 1000-class
/// ImageNet head into a 10-class model) is kept freshly initialised when asked.
/// </summary>
public static class WeightLoader
{
    /// <summary>Writes the model's parameters and buffers, with the variant and shape as metadata.</summary>
    public static void Save(nn.Module model, string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Safetensors.Save(path, model.state_dict(), metadata);

    /// <summary>
    /// "missing N: keys; unexpected M: keys" for the model's keys that the file lacks and the file's keys that the
    /// model lacks, or null when both have the same keys.
    /// </summary>
    public static string? KeyMismatch(IEnumerable<string> modelKeys, IEnumerable<string> fileKeys)
    {
        var model = modelKeys.ToList();
        var file = fileKeys.ToList();
        var missing = model.Except(file, StringComparer.Ordinal).ToList();
        var unexpected = file.Except(model, StringComparer.Ordinal).ToList();
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {missing.Count}: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected {unexpected.Count}: {string.Join(", ", unexpected)}");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>
    /// Loads <paramref name="path"/> (safetensors, or a PyTorch checkpoint: <see cref="WeightFile"/>) into
    /// <paramref name="model"/>. Keys that differ only in the class dimension of the head are left as initialised
    /// when <paramref name="reinitialiseHead"/> is set; any other mismatch throws, naming every key.
    /// </summary>
    public static LoadReport Load(nn.Module model, string path, bool reinitialiseHead = false, WeightSelection? select = null)
    {
        var source = WeightFile.Load(path, out _, select);
        try
        {
            var target = model.state_dict();
            var missing = target.Keys.Where(k => !source.ContainsKey(k)).ToList();
            var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).ToList();
            var misshaped = new List<string>();
            var reinit = new List<string>();
            foreach (var key in target.Keys.Where(source.ContainsKey))
            {
                var want = target[key].shape;
                var have = source[key].shape;
                if (want.SequenceEqual(have)) continue;
                bool headOnly = want.Length == have.Length && want.Length >= 1 && want.Skip(1).SequenceEqual(have.Skip(1)) && want[0] != have[0];
                if (reinitialiseHead && headOnly) reinit.Add($"{key} [{string.Join("x", have)} -> {string.Join("x", want)}]");
                else misshaped.Add($"{key}: file [{string.Join("x", have)}], model [{string.Join("x", want)}]");
            }
            if (missing.Count + unexpected.Count + misshaped.Count > 0)
            {
                var parts = new List<string>();
                if (KeyMismatch(target.Keys, source.Keys) is { } keys) parts.Add(keys);
                if (misshaped.Count > 0) parts.Add($"mis-shaped {misshaped.Count}: {string.Join("; ", misshaped)}");
                var hint = misshaped.Count > 0 && !reinitialiseHead
                    ? " If only the classifier differs (another class count), ask for the head to be re-initialised (\"reinit_head\": true on the suite's model entry)."
                    : unexpected.Count > 0 && unexpected.All(k => k.StartsWith("module.", StringComparison.Ordinal))
                        ? " The file's keys start with 'module.' (a DataParallel checkpoint): ask for it to be removed (\"strip_prefix\": \"module.\" on the suite's model entry, --strip-prefix module. on the command line)."
                        : " Check that the file is for this architecture and variant.";
                throw new ZooConfigException(path, $"does not fit the model: {string.Join("; ", parts)}.{hint}");
            }
            var loaded = new List<string>();
            using (torch.no_grad())
            {
                foreach (var (key, dest) in target)
                {
                    if (reinit.Any(r => r.StartsWith(key + " ", StringComparison.Ordinal))) continue;
                    dest.copy_(source[key]);
                    loaded.Add(key);
                }
            }
            return new LoadReport(loaded, missing, unexpected, misshaped, reinit);
        }
        finally
        {
            foreach (var t in source.Values) t.Dispose();
        }
    }
}
