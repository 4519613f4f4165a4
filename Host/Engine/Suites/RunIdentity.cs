using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;

namespace Zoo.Engine.Suites;

/// <summary>
/// Everything that decides a run's numbers, kept with its result and its checkpoint so that a rerun of
/// the suite reuses them only for the same inputs, and says in words what changed when they differ.
/// Before this record a rerun compared only a hash of the suite's text: adding 16 images to an image
/// folder and deleting 2, or rebuilding a plugin whose architecture went from 314 to 618 parameters,
/// still printed "already finished … skipped" and left a stale row in comparison.md.
/// </summary>
public sealed record RunIdentity
{
    /// <summary>
    /// Zoo's own version as far as results go: bump it whenever the engine (trainer, loader, metrics,
    /// augmentations, initialisation…) changes what a run computes for the same inputs.
    /// </summary>
    public const int CurrentEngine = 1;

    /// <summary>The suite's own text for this run: data set entry, model entry, effective recipe, device (<see cref="ModelEntry.Fingerprint"/>).</summary>
    public string Setup { get; init; } = "";
    /// <summary>The data the run trained on, or null where it is not known.</summary>
    public DataIdentity? Data { get; init; }
    /// <summary>The plugin that built the model.</summary>
    public PluginIdentity? Plugin { get; init; }
    /// <summary>Hash of the starting weights file (model entry's "weights"), "missing" when absent, null when the entry has none.</summary>
    public string? Weights { get; init; }
    /// <summary>The engine version (<see cref="CurrentEngine"/>) that ran it.</summary>
    public int Engine { get; init; } = CurrentEngine;

    /// <summary>One hash over every part: equal hashes mean a finished result or checkpoint may be reused.</summary>
    [JsonIgnore]
    public string Hash => Hex(string.Join("\n", Setup, Data?.Hash ?? "-", Plugin?.Name ?? "-", Plugin?.Version ?? "-", Plugin?.AssemblyHash ?? "-",
        Weights ?? "-", Engine.ToString(System.Globalization.CultureInfo.InvariantCulture)), 16);

    /// <summary>The identity of one model entry's run on a data set; hashes the weights file (if any) now.</summary>
    public static RunIdentity For(ModelEntry entry, VariantEntry found, DataIdentity? data) => new()
    {
        Setup = entry.Fingerprint,
        Data = data,
        Plugin = PluginIdentity.Of(found),
        Weights = entry.Weights is null ? null : File.Exists(entry.Weights) ? HashFile(entry.Weights) : "missing",
    };

    /// <summary>
    /// Why this identity differs from <paramref name="other"/> (an earlier run's; null when the earlier run
    /// recorded none), as one line: "data changed: 16 images added, 2 removed; plugin Classic rebuilt".
    /// Null when the two are the same.
    /// </summary>
    public string? DescribeChanges(RunIdentity? other)
    {
        if (other is null) return "zoo engine updated (the earlier run did not record its inputs)";
        if (other.Hash == Hash) return null;
        var reasons = new List<string>();
        if (other.Setup != Setup) reasons.Add("model entry, data set settings, recipe or device changed");
        if (Data is not null && other.Data is not null) reasons.AddRange(Data.DescribeChanges(other.Data));
        else if (Data?.Hash != other.Data?.Hash) reasons.Add("data changed");
        if (Plugin is not null && other.Plugin is not null) reasons.AddRange(Plugin.DescribeChanges(other.Plugin));
        else if (Plugin != other.Plugin) reasons.Add($"model now built by {Plugin?.Name ?? "no plugin"}");
        if (Weights != other.Weights) reasons.Add(Weights == "missing" ? "weights file missing" : "weights file changed");
        if (Engine != other.Engine) reasons.Add($"zoo engine updated ({other.Engine} → {Engine})");
        return reasons.Count == 0 ? "inputs changed" : string.Join("; ", reasons);
    }

    internal static string Hex(string text, int digits) =>
        Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..digits].ToLowerInvariant();

    static string HashFile(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return Convert.ToHexString(SHA256.HashData(stream))[..32].ToLowerInvariant();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "unreadable";   // loading it fails the run with the reason; a failed run is always tried again
        }
    }
}

/// <summary>
/// A data set's identity: for a set read from files, each file's path (relative to the set's folder),
/// size and modification time (no content hash: a stat per file stays cheap for 100 000 images); for a
/// generated set, the generator's version (<see cref="DatasetSplits.ContentVersion"/>).
/// </summary>
public sealed record DataIdentity
{
    /// <summary>The provider that opened the set ("folder", "mnist", "shapes"…).</summary>
    public string Provider { get; init; } = "";
    /// <summary>The generator's version for a generated set, else null.</summary>
    public string? ContentVersion { get; init; }
    /// <summary>What a file is, for messages: "images" when every file is an image, else "files".</summary>
    public string Unit { get; init; } = "files";
    /// <summary>Hash over the provider, the content version and every file's path, size and time.</summary>
    public string Hash { get; init; } = "";
    /// <summary>
    /// One entry per file, sorted: 12 hex digits of the hash of its relative path, then 8 of its size and
    /// time. Enough to count added, removed and changed files without storing every name (20 characters a
    /// file: about 2 MB for 100 000 images).
    /// </summary>
    public IReadOnlyList<string> Files { get; init; } = Array.Empty<string>();

    /// <summary>Reads the sizes and times of the files the provider opened; <paramref name="root"/> is the set's folder (paths are kept relative to it).</summary>
    public static DataIdentity Of(string provider, DatasetSplits splits, string? root)
    {
        var entries = new List<(string Path, string Stamp)>();
        foreach (var file in splits.Files)
        {
            var full = Path.GetFullPath(file);
            var relative = root is null ? full : Path.GetRelativePath(Path.GetFullPath(root), full);
            if (relative.StartsWith("..", StringComparison.Ordinal)) relative = full;
            var info = new FileInfo(full);
            var stamp = info.Exists ? $"{info.Length}|{info.LastWriteTimeUtc.Ticks}" : "missing";
            entries.Add((relative.Replace(Path.DirectorySeparatorChar, '/'), stamp));
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var all = new StringBuilder(provider).Append('\n').Append(splits.ContentVersion ?? "-").Append('\n');
        foreach (var (p, stamp) in entries) all.Append(p).Append('|').Append(stamp).Append('\n');
        return new DataIdentity
        {
            Provider = provider,
            ContentVersion = splits.ContentVersion,
            Unit = entries.Count > 0 && splits.Files.All(ImageFolderProvider.IsImage) ? "images" : "files",
            Hash = RunIdentity.Hex(all.ToString(), 32),
            Files = entries.Select(e => RunIdentity.Hex(e.Path, 12) + RunIdentity.Hex(e.Stamp, 8)).OrderBy(f => f, StringComparer.Ordinal).ToArray(),
        };
    }

    /// <summary>What changed since <paramref name="earlier"/>, as phrases ("data changed: 16 images added, 2 removed"); empty when nothing did.</summary>
    public IReadOnlyList<string> DescribeChanges(DataIdentity earlier)
    {
        if (earlier.Hash == Hash) return Array.Empty<string>();
        if (earlier.Provider != Provider) return new[] { $"data set is now read by {Provider} (was {earlier.Provider})" };
        if (earlier.ContentVersion != ContentVersion)
            return new[] { $"data changed: {earlier.ContentVersion ?? "files"} → {ContentVersion ?? "files"}" };
        var before = ByPath(earlier.Files);
        var now = ByPath(Files);
        int added = now.Keys.Count(k => !before.ContainsKey(k));
        int removed = before.Keys.Count(k => !now.ContainsKey(k));
        int changed = now.Count(kv => before.TryGetValue(kv.Key, out var stamp) && stamp != kv.Value);
        var parts = new List<string>();
        string Count(int n) => parts.Count == 0 ? $"{n} {(n == 1 ? Unit.TrimEnd('s') : Unit)}" : $"{n}";
        if (added > 0) parts.Add($"{Count(added)} added");
        if (removed > 0) parts.Add($"{Count(removed)} removed");
        if (changed > 0) parts.Add($"{Count(changed)} changed");
        return new[] { parts.Count == 0 ? "data changed" : "data changed: " + string.Join(", ", parts) };
    }

    static Dictionary<string, string> ByPath(IReadOnlyList<string> files)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in files.Where(f => f.Length == 20)) map.TryAdd(f[..12], f[12..]);
        return map;
    }
}

/// <summary>The plugin that built a model: its name, the architecture assembly's version and a hash of its assemblies.</summary>
public sealed record PluginIdentity(string Name, string? Version, string? AssemblyHash)
{
    /// <summary>The identity of the plugin that provides <paramref name="found"/> (hash taken when the catalogue loaded it).</summary>
    public static PluginIdentity Of(VariantEntry found) =>
        new(found.Plugin.Name, found.Architecture.GetType().Assembly.GetName().Version?.ToString(), found.Plugin.AssemblyHash);

    /// <summary>What changed since <paramref name="earlier"/> ("plugin Classic rebuilt"); empty when nothing did.</summary>
    public IReadOnlyList<string> DescribeChanges(PluginIdentity earlier)
    {
        if (earlier.Name != Name) return new[] { $"model now built by plugin {Name} (was {earlier.Name})" };
        if (earlier.Version != Version) return new[] { $"plugin {Name} updated ({earlier.Version} → {Version})" };
        if (earlier.AssemblyHash != AssemblyHash) return new[] { $"plugin {Name} rebuilt" };
        return Array.Empty<string>();
    }

    /// <summary>SHA-256 over the files' names (relative to <paramref name="folder"/>) and contents.</summary>
    internal static string? HashFiles(string folder, IEnumerable<string> files)
    {
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var f in files.OrderBy(f => f, StringComparer.Ordinal))
            {
                sha.AppendData(Encoding.UTF8.GetBytes(Path.GetRelativePath(folder, f) + "\n"));
                sha.AppendData(File.ReadAllBytes(f));
            }
            return Convert.ToHexString(sha.GetHashAndReset())[..32].ToLowerInvariant();
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
