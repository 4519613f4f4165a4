using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;

namespace Zoo.Engine.Inspection;

/// <summary>
/// Remembers each variant's multiply-accumulates at its reference input, keyed by the plugin assembly's
/// module version id, so `zoo list --json` runs the forward passes (LibTorch has no meta kernel for
/// convolutions) once per plugin build rather than every time. Stored in <see cref="Data.ZooPaths.Cache"/>
/// ($ZOO_CACHE, else ~/.cache/zoo); a cache that cannot be read or written is simply not used.
/// </summary>
public sealed class FactsCache
{
    readonly string _path;
    readonly Dictionary<string, long> _macs;

    public FactsCache(string? directory = null)
    {
        directory ??= Data.ZooPaths.Cache;
        _path = Path.Combine(directory, "model-facts.json");
        try { _macs = JsonSerializer.Deserialize<Dictionary<string, long>>(File.ReadAllText(_path)) ?? new(); }
        catch (Exception) { _macs = new(); }
    }

    /// <summary>
    /// The key of a variant's figure: the plugin build (its module version id), the variant and its reference configuration;
    /// a rebuilt plugin gets new keys. v2: linear layers inside windowed attention counted per image, attention products
    /// counted (IReportsMacs).
    /// </summary>
    public static string Key(VariantEntry entry)
    {
        var v = entry.Variant;
        return $"v2/{entry.Architecture.GetType().Assembly.ManifestModule.ModuleVersionId}/{v.Name}/{v.DefaultInput}/{v.DefaultClasses}";
    }

    /// <summary>Multiply-accumulates at batch 1 of the variant at its reference configuration (one forward pass unless cached).</summary>
    public long ReferenceMacs(VariantEntry entry)
    {
        if (TryCached(entry, out var macs)) return macs;
        var v = entry.Variant;
        macs = ModelSummary.Describe(entry.Architecture, v.Name, v.DefaultInput, v.DefaultClasses).Macs;
        lock (_macs) _macs[Key(entry)] = macs;
        return macs;
    }

    /// <summary>The variant's figure if this cache has it, without computing anything (the UI's catalogue shows these at once).</summary>
    public bool TryCached(VariantEntry entry, out long macs)
    {
        lock (_macs) return _macs.TryGetValue(Key(entry), out macs);
    }

    /// <summary>Writes what was learnt (atomically; failures are ignored: the cache is only a cache).</summary>
    public void Save()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var tmp = _path + $".{Environment.ProcessId}.tmp";
            string json;
            lock (_macs) json = JsonSerializer.Serialize(_macs);   // the UI fills it from a background thread
            File.WriteAllText(tmp, json);
            File.Move(tmp, _path, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
