using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zoo.Abstractions;
using Zoo.Engine.Results;

namespace Zoo.Engine.Suites;

/// <summary>
/// One of <see cref="Count"/> shards of a suite (<c>run-suite SUITE --shard I/N</c>, I from 1). The suite's
/// runs are dealt round-robin by their place in the suite file: model k (from 0) belongs to shard k mod N + 1,
/// so the assignment is stable for as long as the suite's model list is, and neighbouring models (often of
/// similar cost) land on different shards. N processes may share one results folder: a run's files carry
/// its label (runs/&lt;label&gt;.*), and each shard writes its own summary, results.shard-I-of-N.json, which
/// <see cref="ShardMerge"/> combines into the results.json one process running everything writes.
/// </summary>
public sealed record ShardSpec(int Index, int Count)
{
    /// <summary>"shard-I-of-N": the shard's name in file names and the key of its results-folder lock.</summary>
    public string Key => string.Create(CultureInfo.InvariantCulture, $"shard-{Index}-of-{Count}");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Index}/{Count}");

    /// <summary>Whether the suite's model at <paramref name="modelIndex"/> (from 0) is this shard's.</summary>
    public bool Owns(int modelIndex) => modelIndex % Count == Index - 1;

    /// <summary>Parses "I/N" (1 ≤ I ≤ N); anything else is a <see cref="ZooConfigException"/> naming <paramref name="field"/>.</summary>
    public static ShardSpec Parse(string text, string field)
    {
        var m = Regex.Match(text.Trim(), @"^(\d{1,6})/(\d{1,6})$");
        if (!m.Success) throw new ZooConfigException(field, $"'{text}' is not a shard; give I/N, e.g. 1/4 for the first of four");
        int i = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), n = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        if (n < 1 || i < 1 || i > n) throw new ZooConfigException(field, $"'{text}': the shard number counts from 1 to the number of shards (1/{Math.Max(n, 1)} … {Math.Max(n, 1)}/{Math.Max(n, 1)})");
        return new ShardSpec(i, n);
    }

    /// <summary>The summary file of this shard in a results folder.</summary>
    public string SummaryFile(string resultsDirectory) => Path.Combine(resultsDirectory, $"results.{Key}.json");
}

/// <summary>
/// Merges the per-shard summaries of a results folder (results.shard-I-of-N.json) into results.json: the
/// suite, data set and recipe as every shard recorded them, the runs in suite order, "all_finished" only if
/// every shard is there and finished. The result is the file one process running the whole suite writes.
/// </summary>
public static class ShardMerge
{
    static readonly Regex FileName = new(@"^results\.shard-(\d+)-of-(\d+)\.json$");

    /// <summary>The shard summaries in <paramref name="directory"/>: path, index, count.</summary>
    public static IReadOnlyList<(string Path, int Index, int Count)> Summaries(string directory) =>
        !Directory.Exists(directory) ? Array.Empty<(string, int, int)>()
        : Directory.EnumerateFiles(directory, "results.shard-*-of-*.json")
            .Select(p => (p, m: FileName.Match(Path.GetFileName(p))))
            .Where(x => x.m.Success)
            .Select(x => (x.p, int.Parse(x.m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(x.m.Groups[2].Value, CultureInfo.InvariantCulture)))
            .OrderBy(x => x.Item2).ToArray();

    /// <summary>
    /// Writes results.json from the shard summaries and returns it with the shards that are missing (none
    /// when complete); null when the folder has no shard summaries. Throws <see cref="ZooConfigException"/> when
    /// the summaries are of different shardings or suites.
    /// </summary>
    public static (JsonObject Results, IReadOnlyList<int> Missing)? Merge(string directory)
    {
        var files = Summaries(directory);
        if (files.Count == 0) return null;
        var counts = files.Select(f => f.Count).Distinct().ToArray();
        if (counts.Length > 1)
            throw new ZooConfigException(directory, $"holds shard summaries of {string.Join(" and ", counts.Select(c => $"{c} shards"))}; delete the results.shard-*.json of the sharding you no longer use");
        int n = counts[0];
        JsonObject? first = null;
        var runs = new List<(int Index, JsonNode Run)>();
        bool finished = true, interrupted = false;
        foreach (var (path, _, _) in files)
        {
            JsonObject doc;
            try { doc = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new JsonException("empty"); }
            catch (Exception e) when (e is JsonException or InvalidOperationException) { throw new ZooConfigException(path, $"not a Zoo shard summary: {e.Message}"); }
            if (doc["shard"]?["run_indices"] is not JsonArray indices || doc["runs"] is not JsonArray shardRuns || indices.Count != shardRuns.Count)
                throw new ZooConfigException(path, "not a Zoo shard summary: it needs \"shard\".\"run_indices\" beside \"runs\"");
            if (first is null) first = doc;
            else if ((string?)doc["suite"] != (string?)first["suite"])
                throw new ZooConfigException(path, $"is suite '{doc["suite"]}', the other shards '{first["suite"]}'; one results folder per suite");
            for (int i = 0; i < shardRuns.Count; i++) runs.Add((indices[i]!.GetValue<int>(), shardRuns[i]!.DeepClone()));
            finished &= (bool?)doc["all_finished"] ?? false;
            interrupted |= (bool?)doc["interrupted"] ?? false;
        }
        var missing = Enumerable.Range(1, n).Except(files.Select(f => f.Index)).ToArray();
        var merged = first!.DeepClone().AsObject();
        merged.Remove("shard");
        merged["all_finished"] = finished && !interrupted && missing.Length == 0;
        merged["interrupted"] = interrupted;
        merged["runs"] = new JsonArray(runs.OrderBy(r => r.Index).Select(r => r.Run).ToArray());
        if (missing.Length > 0) merged["missing_shards"] = new JsonArray(missing.Select(m => (JsonNode?)$"{m}/{n}").ToArray());
        ResultWriter.WriteAtomic(Path.Combine(directory, "results.json"), merged.ToJsonString(ZooJson.Options));
        return (merged, missing);
    }
}
