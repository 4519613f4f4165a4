using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

/// <summary>
/// Runs a suite: checks every name against the catalogue first, opens the data set once, trains each
/// model in turn (<see cref="ModelRun"/>) and writes results as it goes (a per-epoch CSV per run,
/// results.json and comparison.md after every run). A run that diverges or throws is recorded as such
/// and the suite goes on; a stop (the cancellation token) ends the current run after its step, marks it
/// interrupted and still writes the results. Progress is reported as <see cref="SuiteEvent"/>s.
/// One runner serves any number of suites, one at a time per call; it holds no state between calls.
/// </summary>
public sealed class SuiteRunner
{
    readonly PluginCatalog _catalog;

    public SuiteRunner(PluginCatalog catalog) => _catalog = catalog;

    /// <summary>How each run executes: in this process unless a front-end asks for worker processes (<see cref="WorkerExecutor"/>).</summary>
    public IRunExecutor Executor { get; init; } = InProcessExecutor.Instance;

    internal PluginCatalog Catalog => _catalog;

    static readonly IProgress<SuiteEvent> Silent = new SyncProgress<SuiteEvent>(_ => { });

    /// <summary>Checks everything the suite needs before anything trains (<see cref="SuiteValidator"/>); throws <see cref="ZooConfigException"/> otherwise.</summary>
    public void Validate(Suite suite) => new SuiteValidator(_catalog).Validate(suite);

    /// <summary>
    /// Runs the suite, writing into <paramref name="outputDirectory"/> and reporting to <paramref name="progress"/>.
    /// Throws <see cref="ZooConfigException"/> for a suite that cannot run (before anything trains); a stop
    /// through <paramref name="cancel"/> returns the results so far with <see cref="SuiteResult.Interrupted"/> set.
    /// </summary>
    /// <remarks>
    /// With <paramref name="shard"/> only that shard's runs train (<see cref="ShardSpec.Owns"/>) and the summary is
    /// results.shard-I-of-N.json instead of results.json and comparison.md, so the shards of one suite can
    /// share a results folder; <see cref="ShardMerge"/> combines them.
    /// </remarks>
    public SuiteResult Run(Suite suite, string outputDirectory, CancellationToken cancel = default, IProgress<SuiteEvent>? progress = null, ShardSpec? shard = null)
    {
        var report = progress ?? Silent;
        Validate(suite);
        suite = PullPretrained(suite, report, cancel);
        var device = Devices.Resolve(suite.Device, $"{System.IO.Path.GetFileName(suite.SourcePath)}: device");
        var writer = new ResultWriter(outputDirectory);
        report.Report(new SuiteStarted(suite.Name, shard is null ? suite.Models.Count : Enumerable.Range(0, suite.Models.Count).Count(shard.Owns), writer.Directory));
        var (splits, summary) = OpenDataset(suite, outputDirectory, report);
        report.Report(new DatasetOpened(summary));
        try { writer.WriteDataSamples(DatasetStatistics.SamplesPerClass(splits.Train, 8, suite.Dataset.Seed)); }
        catch (IOException e) { report.Report(new DatasetMessage($"sample images not written: {e.Message}")); }   // an extra for the report

        var runs = new List<RunResult>();
        SuiteResult Result() => new(suite, summary, runs, outputDirectory) { Interrupted = cancel.IsCancellationRequested || runs.Any(r => r.Status == RunStatus.Interrupted) };
        var indices = new List<int>();   // the suite places of this process's runs, for merging shards in suite order
        for (int i = 0; i < suite.Models.Count && !cancel.IsCancellationRequested; i++)
        {
            if (shard is not null && !shard.Owns(i)) continue;
            var entry = suite.Models[i];
            var recipe = suite.RecipeFor(entry);
            var result = Executor.Execute(this, new RunJob(suite, i, splits, summary, device, writer, report, cancel)) with
            {
                Seed = recipe.Seed, Precision = recipe.Precision.Name(), RepeatOf = entry.RepeatOf, Repeat = entry.RepeatOf is null ? null : entry.Repeat,
            };
            runs.Add(result);
            indices.Add(i);
            report.Report(new RunEnded(i + 1, suite.Models.Count, entry.Label, result));
            writer.WriteSummary(Result(), shard, indices);
        }
        var final = Result();
        if (runs.Count == 0) writer.WriteSummary(final, shard, indices);   // stopped before the first run (or a shard with none): still say so on disk
        report.Report(new SuiteEnded(final));
        return final;
    }

    /// <summary>
    /// Each model entry's catalogue weights ("weights": "imagenet"), downloaded into the cache on first use and
    /// checked against the hash in their file name; the entries then point at the cached files.
    /// </summary>
    /// <param name="only">The index of the one model to pull for (a worker's run), else every model's.</param>
    internal Suite PullPretrained(Suite suite, IProgress<SuiteEvent> report, CancellationToken cancel, int? only = null)
    {
        if (suite.Models.All(m => m.Pretrained is null)) return suite;
        var catalogue = new Zoo.Engine.Weights.PretrainedCatalog(_catalog);
        var file = System.IO.Path.GetFileName(suite.SourcePath);
        var models = suite.Models.Select((m, i) =>
        {
            if (m.Pretrained is null || (only is { } one && one != i)) return m;
            var entry = catalogue.Resolve(m.Variant, m.Pretrained, $"{file}: {m.Where}.weights");
            if (!File.Exists(entry.CachePath)) report.Report(new WeightsPulling(entry.Id, entry.Weights.Url, entry.CachePath));
            return m with { Weights = Zoo.Engine.Weights.PretrainedCatalog.Pull(entry, cancel: cancel) };
        }).ToList();
        var pulled = suite with { Models = models };
        Validate(pulled);   // the files' keys against the models
        return pulled;
    }

    internal (DatasetSplits Splits, DatasetSummary Summary) OpenDataset(Suite suite, string outputDirectory, IProgress<SuiteEvent> report)
    {
        var spec = suite.Dataset;
        var provider = _catalog.Datasets.First(d => d.Name == spec.Name);
        var splits = provider.Open(new DatasetRequest
        {
            Path = spec.Path, Channels = spec.Channels, Size = spec.Size, Seed = spec.Seed,
            ValidationFraction = spec.ValidationFraction,
            Options = spec.Options,
            Log = new LineWriter(line => report.Report(new DatasetMessage(line))),
            CacheDirectory = ZooPaths.CacheForRun(outputDirectory),
        });
        var identity = DataIdentity.Of(provider.Name, splits, spec.Path);
        string valSource = "provided";
        if (splits.Validation is null && spec.ValidationFraction > 0)
        {
            // seeds/004 takes validation from train: stratified by class, seeded.
            var (keep, held) = Splits.Stratified(splits.Train, spec.ValidationFraction, spec.Seed);
            splits = splits.Train is InMemoryImageSet mem
                ? splits with { Train = mem.Subset(keep), Validation = mem.Subset(held) }
                : splits with { Train = new SubsetImageSet(splits.Train, keep), Validation = new SubsetImageSet(splits.Train, held) };
            valSource = $"stratified {spec.ValidationFraction:P0} of train (seed {spec.Seed})";
        }
        var info = splits.Train.Info;
        var (mean, std) = spec.Normalize switch
        {
            "imagenet" when info.Channels == 3 => (ImageFiles.ImageNetMean, ImageFiles.ImageNetStd),
            "imagenet" => throw new ZooConfigException($"{System.IO.Path.GetFileName(suite.SourcePath)}: dataset.normalize",
                $"ImageNet's statistics are for 3 channels; this set has {info.Channels}; use \"dataset\" (computed per set) or give \"channels\": 3"),
            "none" => (Enumerable.Repeat(0f, info.Channels).ToArray(), Enumerable.Repeat(1f, info.Channels).ToArray()),
            _ => Splits.ChannelStats(splits.Train),
        };
        var summary = new DatasetSummary(info.Name, info.Channels, info.Height, info.Width, info.ClassNames,
            splits.Train.Count, splits.Validation?.Count ?? 0, splits.Test?.Count ?? 0, splits.Validation is null ? "none" : valSource,
            mean, std, splits.Skipped)
        {
            Normalization = spec.Normalize, Identity = identity,
            ClassCounts = new[] { ("train", splits.Train), ("val", splits.Validation), ("test", splits.Test) }
                .Where(s => s.Item2 is not null).ToDictionary(s => s.Item1, s => DatasetStatistics.ClassCounts(s.Item2!)),
            OriginalSizes = DatasetStatistics.OriginalSizes(splits, spec.Path, spec.Seed) is { Count: > 0 } sizes ? sizes : null,
        };
        return (splits, summary);
    }

    /// <summary>A finished run as stored beside its CSV, so a rerun of the suite can skip it (or say why it cannot).</summary>
    internal sealed record StoredRun(string Fingerprint, RunResult Result, RunIdentity? Identity = null);

    /// <summary>
    /// The earlier result in <paramref name="path"/> if it finished (or diverged) with the same inputs, else null;
    /// where the inputs changed, <paramref name="changed"/> hears what changed.
    /// </summary>
    internal RunResult? Finished(RunIdentity identity, string path, Action<string> warn, Action<string> changed)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var stored = System.Text.Json.JsonSerializer.Deserialize<StoredRun>(File.ReadAllText(path), ZooJson.Options);
            if (stored is null) return null;
            if (stored.Fingerprint != identity.Hash)
            {
                changed(identity.DescribeChanges(stored.Identity) ?? "its inputs changed");
                return null;
            }
            return stored.Result.Status is RunStatus.Failed or RunStatus.Interrupted ? null : stored.Result;   // a failed run is tried again
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException or NotSupportedException)
        {
            warn($"{path} is unreadable ({e.Message}); the run starts again");
            return null;
        }
    }

    /// <summary>Stores a run's result for a rerun of the suite (atomically).</summary>
    internal static void Store(RunIdentity identity, string path, RunResult result) =>
        ResultWriter.WriteAtomic(path, System.Text.Json.JsonSerializer.Serialize(new StoredRun(identity.Hash, result, identity), ZooJson.Options));

    /// <summary>The reason to stop when the metric has not improved by min_delta for patience epochs, else null.</summary>
    public static string? EarlyStop(IReadOnlyList<EpochRecord> epochs, EarlyStopping es)
    {
        double? best = null;
        int bestEpoch = 0;
        foreach (var e in epochs)
        {
            if (e.Metric(es.Metric) is not { } v) continue;
            if (best is null || (es.Maximise ? v > best + es.MinDelta : v < best - es.MinDelta)) { best = v; bestEpoch = e.Epoch; }
        }
        if (best is null) return null;
        int since = epochs[^1].Epoch - bestEpoch;
        return since >= es.Patience
            ? string.Create(CultureInfo.InvariantCulture, $"early stopping: {es.Metric} has not improved on {best:G4} (epoch {bestEpoch}) for {since} epochs")
            : null;
    }

    internal ILearningRateSchedule CreateSchedule(Recipe recipe, torch.optim.Optimizer optimizer, int stepsPerEpoch)
    {
        var s = recipe.Schedule;
        var factory = _catalog.Schedules.First(f => f.Name == s.Name);
        long warmupSteps = (long)Math.Round(s.WarmupEpochs * stepsPerEpoch);
        int innerEpochs = Math.Max(1, recipe.Epochs - (int)Math.Ceiling(s.WarmupEpochs));
        var inner = factory.Create(optimizer, new ScheduleContext(recipe.Optimizer.LearningRate, innerEpochs, stepsPerEpoch, s.Parameters));
        return warmupSteps > 0
            ? new WarmupSchedule(optimizer, inner, warmupSteps, recipe.Optimizer.LearningRate, s.WarmupStartFactor)
            : inner;
    }
}
