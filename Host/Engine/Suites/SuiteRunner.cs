using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

/// <summary>How a run ended.</summary>
public enum RunStatus { Finished, Diverged, Failed }

/// <summary>The outcome of training one model of a suite.</summary>
public sealed record RunResult
{
    public required string Label { get; init; }
    public required string Variant { get; init; }
    public string? Architecture { get; init; }
    public string? Family { get; init; }
    public string? Plugin { get; init; }
    public RunStatus Status { get; init; }
    public string? Error { get; init; }
    public int? DivergedAtEpoch { get; init; }
    public long Parameters { get; init; }
    public double SizeMb => Parameters * 4 / (1024.0 * 1024.0);
    public IReadOnlyList<EpochRecord> Epochs { get; init; } = Array.Empty<EpochRecord>();
    public int? BestEpoch { get; init; }
    public double? BestValTop1 { get; init; }
    public EvalResult? Test { get; init; }
    public double TotalSeconds { get; init; }
    /// <summary>The run's recipe in words where the model entry overrode the suite's.</summary>
    public string? OwnRecipe { get; init; }
    /// <summary>Validation of the best-on-validation weights at the end of the run (with its confusion matrix).</summary>
    public EvalResult? Validation { get; init; }
    /// <summary>Test with the final weights and with the weights' moving average (<see cref="Test"/> uses the best-on-validation weights).</summary>
    public EvalResult? TestFinal { get; init; }
    public EvalResult? TestEma { get; init; }
    /// <summary>Why the run ended before its last epoch (early stopping, a reached target), or null.</summary>
    public string? StoppedEarly { get; init; }
    /// <summary>First epoch (and seconds into the run) at which the recipe's target was reached.</summary>
    public int? TargetEpoch { get; init; }
    public double? TargetSeconds { get; init; }
    /// <summary>The epoch after which this run was resumed from its checkpoint, or null.</summary>
    public int? ResumedFromEpoch { get; init; }
    /// <summary>Taken from an earlier run of the same suite into the same folder, not trained again.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public bool Reused { get; init; }
    public double MeanEpochSeconds => Epochs.Count == 0 ? 0 : Epochs.Average(e => e.Seconds);
}

/// <summary>Everything a suite produced.</summary>
public sealed record SuiteResult(Suite Suite, DatasetSummary Dataset, IReadOnlyList<RunResult> Runs, string OutputDirectory)
{
    public bool AllFinished => Runs.All(r => r.Status == RunStatus.Finished);
}

/// <summary>The data set as a run saw it.</summary>
public sealed record DatasetSummary(string Name, int Channels, int Height, int Width, IReadOnlyList<string> Classes,
    int Train, int Validation, int Test, string ValidationSource, IReadOnlyList<float> Mean, IReadOnlyList<float> Std, IReadOnlyList<string> Skipped)
{
    /// <summary>Where <see cref="Mean"/> and <see cref="Std"/> come from: dataset (computed on train), imagenet or none.</summary>
    public string Normalization { get; init; } = "dataset";
    /// <summary>The files (or generator) the set was read from, for deciding whether a finished run is still current.</summary>
    [System.Text.Json.Serialization.JsonIgnore] public DataIdentity? Identity { get; init; }
}

/// <summary>
/// Runs a suite: checks every name against the catalogue first, opens the data set once, trains each
/// model in turn and writes results as it goes (a per-epoch CSV per run, results.json and comparison.md
/// after every run). A run that diverges or throws is recorded as such and the suite goes on.
/// </summary>
public sealed class SuiteRunner
{
    readonly PluginCatalog _catalog;
    readonly TextWriter _progress;

    public SuiteRunner(PluginCatalog catalog, TextWriter progress)
    {
        _catalog = catalog;
        _progress = progress;
    }

    /// <summary>Checks that every name the suite uses exists; throws <see cref="ZooConfigException"/> otherwise.</summary>
    public void Validate(Suite suite)
    {
        var file = System.IO.Path.GetFileName(suite.SourcePath);
        foreach (var m in suite.Models)
            if (_catalog.FindVariant(m.Variant) is null)
                throw new ZooConfigException($"{file}: {m.Where}", Unknown("model", m.Variant, _catalog.Variants.Select(v => v.Variant.Name)));
        if (_catalog.Datasets.All(d => d.Name != suite.Dataset.Name))
            throw new ZooConfigException($"{file}: dataset.name", Unknown("data set", suite.Dataset.Name, _catalog.Datasets.Select(d => d.Name)));
        ValidateRecipe(suite.Recipe, file, "recipe");
        foreach (var m in suite.Models.Where(m => m.Recipe is not null))
            ValidateRecipe(m.Recipe!, file, $"{m.Where}.recipe");
        try { _ = new Device(suite.Device); }
        catch (Exception) { throw new ZooConfigException($"{file}: device", $"'{suite.Device}' is not a device; use cpu, cuda or cuda:N"); }
    }

    void ValidateRecipe(Recipe recipe, string file, string where)
    {
        if (_catalog.Schedules.All(s => s.Name != recipe.Schedule.Name))
            throw new ZooConfigException($"{file}: {where}.schedule.name", Unknown("schedule", recipe.Schedule.Name, _catalog.Schedules.Select(s => s.Name)));
        for (int i = 0; i < recipe.Augment.Count; i++)
            if (_catalog.Augmentations.All(a => a.Name != recipe.Augment[i].Name))
                throw new ZooConfigException($"{file}: {where}.augment[{i}].name", Unknown("augmentation", recipe.Augment[i].Name, _catalog.Augmentations.Select(a => a.Name)));
        for (int i = 0; i < recipe.BatchAugment.Count; i++)
            if (_catalog.BatchAugmentations.All(a => a.Name != recipe.BatchAugment[i].Name))
                throw new ZooConfigException($"{file}: {where}.batch_augment[{i}].name", Unknown("batch augmentation", recipe.BatchAugment[i].Name, _catalog.BatchAugmentations.Select(a => a.Name)));
        // Parameters too, so a typo fails now rather than after the first model has trained.
        recipe.Schedule.Parameters.EnsureOnly(_catalog.Schedules.First(f => f.Name == recipe.Schedule.Name).Parameters);
        foreach (var (name, bag) in recipe.Augment) _catalog.Augmentations.First(f => f.Name == name).Create(bag);
        foreach (var (name, bag) in recipe.BatchAugment) _catalog.BatchAugmentations.First(f => f.Name == name).Create(bag);
    }

    static string Unknown(string what, string name, IEnumerable<string> known)
    {
        var list = known.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var near = list.OrderBy(k => Levenshtein(k.ToLowerInvariant(), name.ToLowerInvariant())).FirstOrDefault();
        var hint = near is not null && Levenshtein(near.ToLowerInvariant(), name.ToLowerInvariant()) <= Math.Max(2, name.Length / 3) ? $" Did you mean '{near}'?" : "";
        return $"'{name}' is not {("aeiou".Contains(what[0]) ? "an" : "a")} {what} this zoo knows.{hint} Known: {(list.Count == 0 ? "none" : string.Join(", ", list))}";
    }

    static int Levenshtein(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) d[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int prev = d[0];
            d[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int tmp = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), prev + (a[i - 1] == b[j - 1] ? 0 : 1));
                prev = tmp;
            }
        }
        return d[b.Length];
    }

    /// <summary>Runs the suite, writing into <paramref name="outputDirectory"/>.</summary>
    public SuiteResult Run(Suite suite, string outputDirectory, CancellationToken cancel = default)
    {
        Validate(suite);
        var device = new Device(suite.Device);
        if (device.type == DeviceType.CUDA && !torch.cuda.is_available())
            throw new ZooConfigException($"{System.IO.Path.GetFileName(suite.SourcePath)}: device",
                "CUDA is not available: this build references the CPU LibTorch package; reference a CUDA LibTorch package in Host to train on a GPU, or use \"cpu\"");
        Directory.CreateDirectory(System.IO.Path.Combine(outputDirectory, "runs"));

        var (splits, summary) = OpenDataset(suite, outputDirectory);
        var writer = new ResultWriter(outputDirectory);
        var runs = new List<RunResult>();
        for (int i = 0; i < suite.Models.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var entry = suite.Models[i];
            string head = $"[{i + 1}/{suite.Models.Count}] {entry.Label}:";
            var result = RunOne(suite, entry, splits, summary, device, writer, cancel, head);
            runs.Add(result);
            var line = result.Status switch
            {
                RunStatus.Finished => $"[{i + 1}/{suite.Models.Count}] {entry.Label}: finished, best val top-1 {Pct(result.BestValTop1)} at epoch {result.BestEpoch}, test top-1 {Pct(result.Test?.Top1)}, {result.TotalSeconds:F1} s",
                RunStatus.Diverged => $"[{i + 1}/{suite.Models.Count}] {entry.Label}: DIVERGED at epoch {result.DivergedAtEpoch}: {result.Error}",
                _ => $"[{i + 1}/{suite.Models.Count}] {entry.Label}: FAILED: {result.Error}",
            };
            _progress.WriteLine(line);
            writer.WriteSummary(new SuiteResult(suite, summary, runs, outputDirectory));
        }
        return new SuiteResult(suite, summary, runs, outputDirectory);
    }

    static string Pct(double? v) => v is null ? "-" : (v.Value * 100).ToString("F2", CultureInfo.InvariantCulture) + " %";

    (DatasetSplits Splits, DatasetSummary Summary) OpenDataset(Suite suite, string outputDirectory)
    {
        var spec = suite.Dataset;
        var provider = _catalog.Datasets.First(d => d.Name == spec.Name);
        var splits = provider.Open(new DatasetRequest
        {
            Path = spec.Path, Channels = spec.Channels, Size = spec.Size, Seed = spec.Seed,
            ValidationFraction = spec.ValidationFraction,
            Options = spec.Options,
            Log = _progress,
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
        if (splits.Skipped.Count > 0)
        {
            _progress.WriteLine($"    {splits.Skipped.Count} unreadable image(s) skipped:");
            foreach (var s in splits.Skipped.Take(20)) _progress.WriteLine($"      {s}");
            if (splits.Skipped.Count > 20) _progress.WriteLine($"      … and {splits.Skipped.Count - 20} more (all in results.json)");
        }
        var summary = new DatasetSummary(info.Name, info.Channels, info.Height, info.Width, info.ClassNames,
            splits.Train.Count, splits.Validation?.Count ?? 0, splits.Test?.Count ?? 0, splits.Validation is null ? "none" : valSource,
            mean, std, splits.Skipped) { Normalization = spec.Normalize, Identity = identity };
        return (splits, summary);
    }

    /// <summary>A finished run as stored beside its CSV, so a rerun of the suite can skip it (or say why it cannot).</summary>
    sealed record StoredRun(string Fingerprint, RunResult Result, RunIdentity? Identity = null);

    static readonly System.Text.Json.JsonSerializerOptions StoredJson = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Called after every epoch of every run (label, record); tests use it to interrupt a suite.</summary>
    public Action<string, EpochRecord>? EpochEnded { get; init; }

    RunResult? Finished(RunIdentity identity, string path, string head)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var stored = System.Text.Json.JsonSerializer.Deserialize<StoredRun>(File.ReadAllText(path), StoredJson);
            if (stored is null) return null;
            if (stored.Fingerprint != identity.Hash)
            {
                _progress.WriteLine($"{head} {identity.DescribeChanges(stored.Identity)}; training again");
                return null;
            }
            return stored.Result.Status == RunStatus.Failed ? null : stored.Result;   // a failed run is tried again
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or IOException or NotSupportedException)
        {
            _progress.WriteLine($"    {path} is unreadable ({e.Message}); the run starts again");
            return null;
        }
    }

    RunResult RunOne(Suite suite, ModelEntry entry, DatasetSplits splits, DatasetSummary data, Device device, ResultWriter writer, CancellationToken cancel, string head)
    {
        var found = _catalog.FindVariant(entry.Variant)!;
        string runs = System.IO.Path.Combine(writer.Directory, "runs");
        string stem = System.IO.Path.Combine(runs, ResultWriter.SafeName(entry.Label));
        string resultPath = stem + ".result.json", checkpointPath = stem + ".checkpoint.safetensors";
        string bestPath = stem + ".best.safetensors", emaPath = stem + ".ema.safetensors";
        var identity = RunIdentity.For(entry, found, data.Identity);
        if (Finished(identity, resultPath, head) is { } done)
        {
            _progress.WriteLine($"{head} already {done.Status.ToString().ToLowerInvariant()} in {writer.Directory} (same model, recipe, data, plugin build and weights): skipped");
            return done with { Reused = true };
        }
        _progress.WriteLine($"{head} training on {data.Name} {data.Channels}x{data.Height}x{data.Width}, {data.Train} images, {(entry.Recipe ?? suite.Recipe).Epochs} epochs");
        var baseResult = new RunResult
        {
            Label = entry.Label, Variant = found.Variant.Name, Architecture = found.Architecture.Name,
            Family = found.Architecture.Family, Plugin = found.Plugin.Name,
            OwnRecipe = entry.Recipe is null ? null : ResultWriter.Describe(entry.Recipe),
        };
        var recipe = entry.Recipe ?? suite.Recipe;
        var epochs = new List<EpochRecord>();
        var total = Stopwatch.StartNew();
        double previousSeconds = 0;
        nn.Module<Tensor, Tensor>? model = null;
        WeightAverage? ema = null;
        torch.optim.Optimizer? optimizer = null;
        RunResult result;
        try
        {
            torch.manual_seed(recipe.Seed);
            var spec = new ModelSpec(found.Variant.Name, data.Channels, data.Classes.Count, data.Height, data.Width)
            {
                Dropout = entry.Dropout ?? recipe.Dropout,
                StochasticDepth = entry.StochasticDepth ?? recipe.StochasticDepth,
                LayerScale = entry.LayerScale,
                Options = entry.Options,
            };
            model = found.Architecture.Build(spec);
            if (entry.Weights is not null)
            {
                var report = Weights.WeightLoader.Load(model, entry.Weights, entry.ReinitialiseHead);
                _progress.WriteLine($"    loaded {report.Loaded.Count} tensors from {entry.Weights}" +
                    (report.Reinitialised.Count > 0 ? $"; re-initialised for {spec.Classes} classes: {string.Join(", ", report.Reinitialised)}" : ""));
            }
            model.to(device);
            long parameters = model.parameters().Sum(p => p.numel());
            baseResult = baseResult with { Parameters = parameters };
            if (recipe.Ema is { } decay)
            {
                var copy = found.Architecture.Build(spec);
                copy.to(device);
                ema = new WeightAverage(model, copy, decay);
            }

            var augment = recipe.Augment.Count == 0 ? null : new Compose(recipe.Augment.Select(a =>
                _catalog.Augmentations.First(f => f.Name == a.Name).Create(a.Parameters)));
            var batchAugment = recipe.BatchAugment.Select(a => _catalog.BatchAugmentations.First(f => f.Name == a.Name).Create(a.Parameters)).ToArray();
            var mean = data.Mean.ToArray();
            var std = data.Std.ToArray();
            var loader = new BatchLoader(splits.Train, recipe.BatchSize, shuffle: true, recipe.Seed, mean, std, augment, batchAugment,
                dropLast: splits.Train.Count > recipe.BatchSize);
            optimizer = recipe.Optimizer.Create(model.named_parameters().Select(p => (p.name, p.parameter)));
            int stepsPerEpoch = (loader.BatchesPerEpoch + recipe.AccumulateSteps - 1) / recipe.AccumulateSteps;
            var schedule = CreateSchedule(recipe, optimizer, stepsPerEpoch);
            var trainer = new Trainer(model, device) { Warning = w => _progress.WriteLine($"    warning: {w}"), Average = ema };

            int firstEpoch = 1;
            int? targetEpoch = null;
            double? targetSeconds = null;
            var peek = Checkpoint.PeekState(checkpointPath);
            if (peek is not null && peek.Fingerprint == identity.Hash && peek.EpochsDone < recipe.Epochs)
            {
                var state = Checkpoint.Load(checkpointPath, model, optimizer, ema);
                schedule.LoadState(state.Schedule);
                epochs.AddRange(state.Epochs);
                firstEpoch = state.EpochsDone + 1;
                previousSeconds = state.ElapsedSeconds;
                (targetEpoch, targetSeconds) = (state.TargetEpoch, state.TargetSeconds);
                baseResult = baseResult with { ResumedFromEpoch = state.EpochsDone };
                _progress.WriteLine($"    resuming from the checkpoint after epoch {state.EpochsDone}");
            }
            else if (File.Exists(checkpointPath))
            {
                _progress.WriteLine(peek is null
                    ? $"    {checkpointPath} is not a checkpoint this zoo can read and cannot be resumed; starting afresh"
                    : $"    {System.IO.Path.GetFileName(checkpointPath)} belongs to other inputs of this label ({identity.DescribeChanges(peek.Identity) ?? "its run had ended"}); starting afresh");
            }

            using var csv = writer.OpenEpochCsv(entry.Label, epochs);
            var board = TensorBoard.Open(stem + ".tensorboard", w => _progress.WriteLine($"    warning: {w}"));
            EpochRecord? best = epochs.Where(e => e.ValTop1 is not null).OrderByDescending(e => e.ValTop1).ThenBy(e => e.Epoch).FirstOrDefault();
            string? stopReason = null;
            int evalBatch = recipe.BatchSize * 2;
            trainer.Fit(loader, m => splits.Validation is null ? null : Trainer.Evaluate(m, device, splits.Validation, mean, std, evalBatch),
                recipe, optimizer, schedule, rec =>
                {
                    epochs.Add(rec);
                    csv.Write(rec);
                    board?.Epoch(rec);
                    double elapsed = previousSeconds + total.Elapsed.TotalSeconds;
                    if (rec.ValTop1 is not null && (best is null || rec.ValTop1 > best.ValTop1))
                    {
                        best = rec;
                        Weights.WeightLoader.Save(model, bestPath, new Dictionary<string, string> { ["variant"] = found.Variant.Name, ["epoch"] = rec.Epoch.ToString(CultureInfo.InvariantCulture) });
                    }
                    _progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"    epoch {rec.Epoch}/{recipe.Epochs}  lr {rec.LearningRate:G3}  train loss {rec.TrainLoss:F4} top-1 {rec.TrainTop1 * 100:F2} %  val loss {rec.ValLoss:F4} top-1 {rec.ValTop1 * 100:F2} % top-5 {rec.ValTop5 * 100:F2} %{(rec.EmaValTop1 is { } et ? $"  EMA top-1 {et * 100:F2} %" : "")}  {rec.Seconds:F1} s  RSS {rec.ResidentMb:F0} MiB"));
                    bool goOn = true;
                    if (recipe.Target is { } target && targetEpoch is null && rec.Metric(target.Metric) is { } tv && target.ReachedBy(tv))
                    {
                        (targetEpoch, targetSeconds) = (rec.Epoch, elapsed);
                        _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"    target {target.Metric} {(target.Maximise ? ">=" : "<=")} {target.Value:G4} reached at epoch {rec.Epoch}, {elapsed:F1} s"));
                        if (target.Stop) { stopReason = $"target {target.Metric} {target.Value:G4} reached at epoch {rec.Epoch}"; goOn = false; }
                    }
                    if (goOn && recipe.EarlyStopping is { } es && EarlyStop(epochs, es) is { } why)
                    {
                        stopReason = why;
                        goOn = false;
                    }
                    if (goOn && rec.Epoch < recipe.Epochs)
                    {
                        Checkpoint.Save(checkpointPath, model, optimizer, ema, new CheckpointState
                        {
                            Fingerprint = identity.Hash, Identity = identity, EpochsDone = rec.Epoch, ElapsedSeconds = elapsed, Epochs = epochs.ToList(),
                            Schedule = schedule.SaveState().ToDictionary(kv => kv.Key, kv => kv.Value), EmaUpdates = ema?.Updates ?? 0,
                            TargetEpoch = targetEpoch, TargetSeconds = targetSeconds,
                        });
                    }
                    EpochEnded?.Invoke(entry.Label, rec);
                    return goOn;
                }, cancel, firstEpoch);
            if (stopReason is not null) _progress.WriteLine($"    stopped early: {stopReason}");

            // Test: the final weights, the moving average, and the best-on-validation weights (the figure reported);
            // then validation of the best weights once more, for its per-class accuracy and confusion matrix.
            EvalResult? testFinal = null, testEma = null, test = null;
            if (splits.Test is not null) testFinal = trainer.Evaluate(splits.Test, mean, std, evalBatch);
            if (ema is not null)
            {
                if (splits.Test is not null) testEma = Trainer.Evaluate(ema.Model, device, splits.Test, mean, std, evalBatch);
                Weights.WeightLoader.Save(ema.Model, emaPath, new Dictionary<string, string> { ["variant"] = found.Variant.Name, ["ema_decay"] = ema.Decay.ToString("R", CultureInfo.InvariantCulture) });
            }
            bool bestIsEarlier = best is not null && File.Exists(bestPath) && best.Epoch != epochs[^1].Epoch;
            if (bestIsEarlier) Weights.WeightLoader.Load(model, bestPath);
            if (splits.Test is not null) test = bestIsEarlier ? trainer.Evaluate(splits.Test, mean, std, evalBatch) : testFinal;
            EvalResult? validation = splits.Validation is null ? null : trainer.Evaluate(splits.Validation, mean, std, evalBatch);
            result = baseResult with
            {
                Status = RunStatus.Finished, Epochs = epochs, BestEpoch = best?.Epoch, BestValTop1 = best?.ValTop1,
                Test = test, TestFinal = testFinal, TestEma = testEma, Validation = validation, StoppedEarly = stopReason,
                TargetEpoch = targetEpoch, TargetSeconds = targetSeconds,
                TotalSeconds = previousSeconds + total.Elapsed.TotalSeconds,
            };
            if (test is not null) writer.WriteConfusion(entry.Label, data.Classes, test);
        }
        catch (DivergedException e)
        {
            result = baseResult with { Status = RunStatus.Diverged, Error = e.Message, DivergedAtEpoch = e.Epoch, Epochs = epochs, TotalSeconds = previousSeconds + total.Elapsed.TotalSeconds };
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception e)
        {
            var inner = e is System.Reflection.TargetInvocationException { InnerException: { } ie } ? ie : e;
            return baseResult with { Status = RunStatus.Failed, Error = $"{inner.GetType().Name}: {inner.Message}", Epochs = epochs, TotalSeconds = previousSeconds + total.Elapsed.TotalSeconds };
        }
        finally
        {
            optimizer?.Dispose();
            ema?.Dispose();
            model?.Dispose();
        }
        // The run is over: keep its result for a rerun of the suite and drop the checkpoint (optimiser state is large).
        ResultWriter.WriteAtomic(resultPath, System.Text.Json.JsonSerializer.Serialize(new StoredRun(identity.Hash, result, identity), StoredJson));
        File.Delete(checkpointPath);
        return result;
    }

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

    ILearningRateSchedule CreateSchedule(Recipe recipe, torch.optim.Optimizer optimizer, int stepsPerEpoch)
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
