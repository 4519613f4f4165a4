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
    public SuiteResult Run(Suite suite, string outputDirectory, CancellationToken cancel = default, IProgress<SuiteEvent>? progress = null)
    {
        Validate(suite);
        var report = progress ?? Silent;
        var device = new Device(suite.Device);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw new ZooConfigException($"{System.IO.Path.GetFileName(suite.SourcePath)}: device",
                "CUDA is not available: this build references the CPU LibTorch package; reference a CUDA LibTorch package in Host to train on a GPU, or use \"cpu\"");
        var writer = new ResultWriter(outputDirectory);
        report.Report(new SuiteStarted(suite.Name, suite.Models.Count, writer.Directory));
        var (splits, summary) = OpenDataset(suite, outputDirectory, report);
        report.Report(new DatasetOpened(summary));

        var runs = new List<RunResult>();
        SuiteResult Result() => new(suite, summary, runs, outputDirectory) { Interrupted = cancel.IsCancellationRequested || runs.Any(r => r.Status == RunStatus.Interrupted) };
        for (int i = 0; i < suite.Models.Count && !cancel.IsCancellationRequested; i++)
        {
            var entry = suite.Models[i];
            var result = Executor.Execute(this, new RunJob(suite, i, splits, summary, device, writer, report, cancel));
            runs.Add(result);
            report.Report(new RunEnded(i + 1, suite.Models.Count, entry.Label, result));
            writer.WriteSummary(Result());
        }
        var final = Result();
        if (runs.Count == 0) writer.WriteSummary(final);   // stopped before the first run: still say so on disk
        report.Report(new SuiteEnded(final));
        return final;
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
            mean, std, splits.Skipped) { Normalization = spec.Normalize, Identity = identity };
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
