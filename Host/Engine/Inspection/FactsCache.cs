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

    /// <summary>Multiply-accumulates at batch 1 of the variant at its reference configuration.</summary>
    public long ReferenceMacs(VariantEntry entry)
    {
        var v = entry.Variant;
        // v2: linear layers inside windowed attention counted per image, attention products counted (IReportsMacs).
        var key = $"v2/{entry.Architecture.GetType().Assembly.ManifestModule.ModuleVersionId}/{v.Name}/{v.DefaultInput}/{v.DefaultClasses}";
        if (_macs.TryGetValue(key, out var macs)) return macs;
        macs = ModelSummary.Describe(entry.Architecture, v.Name, v.DefaultInput, v.DefaultClasses).Macs;
        _macs[key] = macs;
        return macs;
    }

    /// <summary>Writes what was learnt (atomically; failures are ignored: the cache is only a cache).</summary>
    public void Save()
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var tmp = _path + $".{Environment.ProcessId}.tmp";
            File.WriteAllText(tmp, JsonSerializer.Serialize(_macs));
            File.Move(tmp, _path, overwrite: true);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
