using System.Text.Json;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;

namespace Zoo.Engine.Suites;

/// <summary>The files of one run in a results folder's runs/ (see docs/results-folder.md).</summary>
internal sealed record RunFiles(string Stem)
{
    public static RunFiles For(string resultsDirectory, string label) =>
        new(System.IO.Path.Combine(resultsDirectory, "runs", ResultWriter.SafeName(label)));

    public string Result => Stem + ".result.json";
    public string Checkpoint => Stem + ".checkpoint.safetensors";
    public string Best => Stem + ".best.safetensors";
    public string Ema => Stem + ".ema.safetensors";
    public string TensorBoard => Stem + ".tensorboard";
    /// <summary>The learning-rate range test of a run whose recipe says "lr": "find", kept so that a resumed run trains at the same rate.</summary>
    public string LearningRateFind => Stem + ".lr-find.json";
}

/// <summary>
/// Where one run's result and range test are kept between runs of its suite, for the inputs that
/// <see cref="RunIdentity"/> names: a rerun skips a finished run (<see cref="Finished"/>), a resumed "lr": "find" run
/// trains on at the rate it started with (<see cref="KeptLearningRate"/>). Each file carries the identity's hash, so a
/// file of other inputs under the same label is never taken for this run's. The checkpoint's own format is
/// <see cref="Checkpoint"/>'s; the store only drops it when the run is over.
/// </summary>
internal sealed class RunStore
{
    public RunStore(string resultsDirectory, string label, RunIdentity identity) => (Files, Identity) = (RunFiles.For(resultsDirectory, label), identity);

    public RunFiles Files { get; }
    public RunIdentity Identity { get; }

    /// <summary>A finished run as stored beside its CSV, so a rerun of the suite can skip it (or say why it cannot).</summary>
    sealed record StoredRun(string Fingerprint, RunResult Result, RunIdentity? Identity = null);

    /// <summary>A range test kept beside a run's other files, with the identity of the inputs it was found for.</summary>
    sealed record StoredLearningRateFind(string Fingerprint, LearningRateCurve Curve);

    /// <summary>
    /// The earlier result if it finished (or diverged) with the same inputs, else null; where the inputs changed,
    /// <paramref name="changed"/> hears what changed, and an unreadable file is a warning (the run starts again).
    /// </summary>
    public RunResult? Finished(Action<string> warn, Action<string> changed)
    {
        var path = Files.Result;
        if (!File.Exists(path)) return null;
        try
        {
            var stored = JsonSerializer.Deserialize<StoredRun>(File.ReadAllText(path), ZooJson.Options);
            if (stored is null) return null;
            if (stored.Fingerprint != Identity.Hash)
            {
                changed(Identity.DescribeChanges(stored.Identity) ?? "its inputs changed");
                return null;
            }
            return stored.Result.Status is RunStatus.Failed or RunStatus.Interrupted ? null : stored.Result;   // a failed run is tried again
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            warn($"{path} is unreadable ({e.Message}); the run starts again");
            return null;
        }
    }

    /// <summary>Stores the run's result for a rerun of the suite (atomically).</summary>
    public void Store(RunResult result) =>
        ResultWriter.WriteAtomic(Files.Result, JsonSerializer.Serialize(new StoredRun(Identity.Hash, result, Identity), ZooJson.Options));

    /// <summary>The run is over: its result is kept and its checkpoint dropped (optimiser state is large).</summary>
    public void Ended(RunResult result)
    {
        Store(result);
        Checkpoint.Delete(Files.Checkpoint);
    }

    /// <summary>The range test these inputs already had, or null (none, of other inputs, or unreadable: then with a warning).</summary>
    public LearningRateCurve? KeptLearningRate(Action<string> warn)
    {
        var path = Files.LearningRateFind;
        if (!File.Exists(path)) return null;
        try
        {
            var stored = JsonSerializer.Deserialize<StoredLearningRateFind>(File.ReadAllText(path), ZooJson.Options);
            return stored is not null && stored.Fingerprint == Identity.Hash && double.IsFinite(stored.Curve.Suggested) && stored.Curve.Suggested > 0
                ? stored.Curve : null;
        }
        catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
        {
            warn($"{path} is unreadable ({e.Message}); the range test runs again");
            return null;
        }
    }

    /// <summary>Keeps a range test for a resumed run of the same inputs.</summary>
    public void KeepLearningRate(LearningRateCurve curve) =>
        ResultWriter.WriteAtomic(Files.LearningRateFind, JsonSerializer.Serialize(new StoredLearningRateFind(Identity.Hash, curve), ZooJson.Options));
}
