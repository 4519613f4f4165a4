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
            var job = new RunJob(suite, i, splits, summary, device, writer, report, cancel);
            var result = Executor.Execute(this, job) with
            {
                Seed = recipe.Seed, Precision = recipe.Precision.Name(), RepeatOf = entry.RepeatOf, Repeat = entry.RepeatOf is null ? null : entry.Repeat,
            };
            runs.Add(result);
            indices.Add(i);
            report.Report(new RunEnded(job.Run, result));
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
}
