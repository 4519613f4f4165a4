using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

/// <summary>
/// One model of a suite, from a finished earlier result (skipped) or a checkpoint (resumed) to its
/// result: builds the model, optimiser, schedule and loader, trains with a checkpoint after every epoch,
/// then tests the final, moving-average and best-on-validation weights. Not reusable: one instance, one
/// <see cref="Execute"/>. Everything it reports goes to the suite's observer as <see cref="RunEvent"/>s.
/// </summary>
internal sealed partial class ModelRun
{
    readonly SuiteRunner _runner;
    readonly Suite _suite;
    readonly ModelEntry _entry;
    readonly RunRef _run;
    readonly DatasetSplits _splits;
    readonly DatasetSummary _data;
    readonly Device _device;
    readonly ResultWriter _writer;
    readonly IProgress<SuiteEvent> _report;
    readonly CancellationToken _cancel;
    readonly VariantEntry _found;
    readonly RunStore _store;
    Recipe _recipe;   // with "lr": "find", replaced by the recipe at the found rate once the range test is done

    // What the run learns about itself as it goes; Ended puts it into the result however the run ends.
    readonly Stopwatch _clock = new();
    readonly List<EpochRecord> _epochs = new();
    double _previousSeconds;
    int? _resumedFrom;
    (long Parameters, double Gmacs)? _counted;
    (double Rate, LearningRateCurve? Curve)? _rate;   // the rate it trains at, once known (from the range test where the recipe says "find")
    EvalResult? _lastValidation;
    bool _warnedStatistics;
    LearningFailure? _notLearning;

    // Alive while training (disposed by Execute).
    ModelSpec? _spec;
    nn.Module<Tensor, Tensor>? _model;
    IReadOnlySet<string>? _head;
    WeightAverage? _ema;
    /// <summary>The fp16 loss scale, carried by the checkpoint (unused in fp32 and bf16).</summary>
    readonly LossScaler _scaler = new();
    torch.optim.Optimizer? _optimizer;

    public ModelRun(SuiteRunner runner, RunJob job)
    {
        (_runner, _suite, _entry, _run, _splits, _data, _device, _writer, _report, _cancel) =
            (runner, job.Suite, job.Entry, job.Run, job.Splits, job.Data, job.Device, job.Writer, job.Report, job.Cancel);
        _found = runner.Catalog.FindVariant(_entry.Variant)!;
        _recipe = _suite.RecipeFor(_entry);
        _store = new RunStore(_writer.Directory, _entry.Label, RunIdentity.For(_entry, _found, _data.Identity));
    }

    RunFiles Files => _store.Files;

    double Elapsed => _previousSeconds + _clock.Elapsed.TotalSeconds;

    /// <summary>What a weights file of this run says about its model, so that predict rebuilds it (<see cref="ModelCard"/>).</summary>
    ModelCard Card() => ModelCard.ForRun(_found, _spec!, _data, _suite.Dataset);

    void Warn(string text) => _report.Report(new RunWarning(_run, text));

    /// <summary>Skips, resumes or trains the run and returns its result; never throws for a fault of the run itself.</summary>
    public RunResult Execute()
    {
        if (_store.Finished(Warn, why => _report.Report(new RunInputsChanged(_run, why))) is { } done)
        {
            if (_suite.Analysis is { } options && done is { Status: RunStatus.Finished, Analysis: null } && _splits.Test is not null && File.Exists(Files.Best))
            {
                // The suite asks for an analysis that this reused run lacks: add it from the best weights, without training again.
                done = done with { Analysis = Analyze(() => new SuiteAnalyzer(_runner).AnalyzeRun(_suite, _entry, _splits, _data, _writer.Directory, _device, options)) };
                _store.Store(done);
            }
            _report.Report(new RunSkipped(_run, done, _writer.Directory));
            return done with { Reused = true };
        }
        _report.Report(new RunStarted(_run, _found.Variant.Name, _recipe.Epochs, _data));
        var result = new RunResult
        {
            Label = _entry.Label, Variant = _found.Variant.Name, Architecture = _found.Architecture.Name,
            Family = _found.Architecture.Family, Plugin = _found.Plugin.Name,
            OwnRecipe = _entry.Recipe is null ? null : ResultWriter.Describe(_recipe),
        };
        _clock.Start();
        try
        {
            result = Train(result);
        }
        catch (DivergedException e)
        {
            result = Ended(result, RunStatus.Diverged) with { Error = e.Message, DivergedAtEpoch = e.Epoch };
        }
        catch (OperationCanceledException)
        {
            // Stopped by the user: the checkpoint of the last finished epoch stays, and the next run of the suite resumes from it.
            return Ended(result, RunStatus.Interrupted);
        }
        catch (Exception e) when (!DiskFullException.Is(e))   // a full disk stops the suite: the next run could write nothing either
        {
            var inner = e is System.Reflection.TargetInvocationException { InnerException: { } ie } ? ie : e;
            return Ended(result, RunStatus.Failed) with { Error = $"{inner.GetType().Name}: {inner.Message}" };   // no result stored: a rerun tries again
        }
        finally
        {
            _optimizer?.Dispose();
            _ema?.Dispose();
            _model?.Dispose();
        }
        _store.Ended(result);   // kept for a rerun of the suite; the checkpoint goes
        return result;
    }

    // The count is taken as soon as the model is built, so a run stopped or failing later still reports it
    // (it was lost with Train's result when a Ctrl+C ended the run: the comparison said Params 0, Size 0.00).
    RunResult Ended(RunResult result, RunStatus status) =>
        result with
        {
            Status = status, Epochs = _epochs.ToList(), TotalSeconds = Elapsed,
            Parameters = _counted?.Parameters ?? result.Parameters, Gmacs = _counted?.Gmacs ?? result.Gmacs,
            // The rate too: a run that diverges at its found rate says which rate that was.
            LearningRate = _rate?.Rate ?? result.LearningRate, LearningRateFind = _rate?.Curve ?? result.LearningRateFind,
            ResumedFromEpoch = _resumedFrom ?? result.ResumedFromEpoch,
        };

    /// <summary>Build, batches, rate and optimiser, resume, fit, test: the run's steps in order.</summary>
    RunResult Train(RunResult result)
    {
        WarnIfPrecisionIsEmulated();
        var model = Build();
        var catalog = _runner.Catalog;
        var (mean, std) = (_data.Mean.ToArray(), _data.Std.ToArray());
        var loader = TrainLoader(catalog, _recipe, _splits.Train, mean, std);
        FixLearningRate(model, loader);
        var optimizer = _optimizer = CreateOptimizer(catalog, _recipe, model, _head);
        int stepsPerEpoch = (loader.BatchesPerEpoch + _recipe.AccumulateSteps - 1) / _recipe.AccumulateSteps;
        var schedule = RecipeSchedule.Create(catalog.Schedules, _recipe, optimizer, stepsPerEpoch);
        var trainer = new Trainer(model, _device)
        {
            Warning = Warn, Average = _ema, Head = _head, Precision = _recipe.Precision, Scaler = _scaler,
            Step = s => _report.Report(new StepProgress(_run, s.Epoch, _recipe.Epochs, s.Step, s.Steps, s.Images, s.MeanLoss, s.Seconds)),
        };
        var progress = Resume(schedule);
        int evalBatch = _recipe.BatchSize * 2;
        Fit(trainer, loader, optimizer, schedule, progress, mean, std, evalBatch);
        if (progress.StopReason is not null) _report.Report(new StoppedEarly(_run, progress.StopReason));
        return Test(result, trainer, progress, mean, std, evalBatch) with
        {
            TargetEpoch = progress.TargetEpoch, TargetSeconds = progress.TargetSeconds, StoppedEarly = progress.StopReason,
        };
    }

    /// <summary>
    /// The model at the recipe's seed, with the entry's weights where it names some, counted (parameters, GMACs at the
    /// suite's input size) and its layer table written, on the run's device; and its moving-average copy where the recipe keeps one.
    /// </summary>
    nn.Module<Tensor, Tensor> Build()
    {
        torch.manual_seed(_recipe.Seed);
        var spec = _spec = Spec(_found, _data, _entry, _recipe);
        var model = _model = _found.Architecture.Build(spec);
        if (_entry.Weights is not null)
        {
            var loaded = WeightLoader.Load(model, _entry.Weights, _entry.ReinitialiseHead, _entry.WeightSelection);
            // The re-initialised classifier is the head that trains alone while "freeze_backbone_epochs" lasts.
            if (loaded.Reinitialised.Count > 0) _head = loaded.Reinitialised.Select(r => r.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
            _report.Report(new WeightsLoaded(_run, _entry.Weights, loaded.Loaded.Count, spec.Classes, loaded.Reinitialised));
        }
        // Counted on the CPU before the move, at the suite's input size, with the run's own options.
        var summary = ModelSummary.Describe(model, spec.Variant, new InputShape(spec.Channels, spec.Height, spec.Width), spec.Classes, torch.CPU);
        _writer.WriteLayers(_entry.Label, summary.ToText());
        model.to(_device);
        _counted = (model.parameters().Sum(p => p.numel()), summary.Macs / 1e9);
        if (_recipe.Ema is { } decay)
        {
            var copy = _found.Architecture.Build(spec);
            copy.to(_device);
            _ema = new WeightAverage(model, copy, decay);
        }
        return model;
    }

    /// <summary>The rate the run trains at: the recipe's, or with "lr": "find" the range test's suggestion (<see cref="FoundRate"/>).</summary>
    void FixLearningRate(nn.Module<Tensor, Tensor> model, BatchLoader loader)
    {
        LearningRateCurve? curve = null;
        if (_recipe.Optimizer.Find is { } search)
        {
            curve = FoundRate(model, loader, search);
            _recipe = _recipe with { Optimizer = _recipe.Optimizer with { LearningRate = curve.Suggested } };
            if (curve.Doubt() is { } doubt) Warn($"the learning-rate range test did not see the model learn: {doubt}");
        }
        _rate = (_recipe.Optimizer.LearningRate, curve);
    }

    /// <summary>The epochs from the first not yet done: validation after each, then <see cref="AfterEpoch"/> (CSV, TensorBoard, checkpoint, events).</summary>
    void Fit(Trainer trainer, BatchLoader loader, torch.optim.Optimizer optimizer, ILearningRateSchedule schedule, Progress progress, float[] mean, float[] std, int evalBatch)
    {
        using var csv = _writer.OpenEpochCsv(_entry.Label, _epochs);
        var board = TensorBoard.Open(Files.TensorBoard, Warn);
        trainer.Fit(loader, m =>
            {
                var v = _splits.Validation is null ? null : Trainer.Evaluate(m, _device, _splits.Validation, mean, std, evalBatch, _recipe.Precision);
                if (ReferenceEquals(m, _model)) _lastValidation = v;
                return v;
            },
            _recipe, optimizer, schedule, rec =>
            {
                _epochs.Add(rec);
                csv.Write(rec);
                board?.Epoch(rec);
                return AfterEpoch(rec, progress, schedule);
            }, _cancel, progress.FirstEpoch);
    }

    /// <summary>The run's training batches: shuffled at the recipe's seed, with its augmentations, the last short batch dropped.</summary>
    internal static BatchLoader TrainLoader(PluginCatalog catalog, Recipe recipe, IImageSet train, float[] mean, float[] std)
    {
        var augment = recipe.Augment.Count == 0 ? null : new Compose(recipe.Augment.Select(a =>
            catalog.Augmentations.First(f => f.Name == a.Name).Create(a.Parameters)));
        var batchAugment = recipe.BatchAugment.Select(a => catalog.BatchAugmentations.First(f => f.Name == a.Name).Create(a.Parameters)).ToArray();
        return new BatchLoader(train, recipe.BatchSize, shuffle: true, recipe.Seed, mean, std, augment, batchAugment,
            dropLast: train.Count > recipe.BatchSize);
    }

    /// <summary>The recipe's optimiser over the model's parameters, the head (<paramref name="head"/>, else the last layer) at "head_lr" where the recipe gives one.</summary>
    internal static torch.optim.Optimizer CreateOptimizer(PluginCatalog catalog, Recipe recipe, nn.Module<Tensor, Tensor> model, IReadOnlySet<string>? head)
    {
        Func<string, double>? rateOf = null;
        if (recipe.HeadLearningRate is { } headRate)
        {
            var layer = head ?? Trainer.LastLayer(model);
            rateOf = name => layer.Contains(name) ? headRate : recipe.Optimizer.LearningRate;
        }
        return recipe.Optimizer.Create(catalog.Optimizers.First(f => f.Name == recipe.Optimizer.Name),
            model.named_parameters().Select(p => (p.name, p.parameter)), rateOf);
    }

    /// <summary>
    /// The rate a run with "lr": "find" trains at: the range test this run's inputs already had (kept by the
    /// <see cref="RunStore"/>, so a resumed run trains on at the rate it started with, whatever a new test would say on
    /// another machine), else a new test on the run's own model, batches and optimiser, which is then kept.
    /// The test leaves the model as it found it (<see cref="LearningRateFinder"/>); its optimiser is a throwaway one.
    /// </summary>
    LearningRateCurve FoundRate(nn.Module<Tensor, Tensor> model, BatchLoader loader, LearningRateSearch search)
    {
        if (_store.KeptLearningRate(Warn) is { } kept)
        {
            _report.Report(new LearningRateFound(_run, kept, Kept: true));
            return kept;
        }
        LearningRateCurve curve;
        using (var optimizer = CreateOptimizer(_runner.Catalog, _recipe, model, _head))
            curve = LearningRateFinder.Find(model, _device, loader, _recipe, optimizer, search, cancel: _cancel);
        if (!(curve.Suggested > 0) || !double.IsFinite(curve.Suggested))
            throw new InvalidOperationException($"the learning-rate range test suggested no rate ({curve.StoppedBecause} after {curve.Rates.Count} steps); give \"lr\" a number instead of \"find\"");
        _store.KeepLearningRate(curve);
        _report.Report(new LearningRateFound(_run, curve, Kept: false));
        return curve;
    }

    /// <summary>What a run of <paramref name="entry"/> builds on <paramref name="data"/>.</summary>
    internal static ModelSpec Spec(VariantEntry found, DatasetSummary data, ModelEntry entry, Recipe recipe) =>
        new(found.Variant.Name, data.Channels, data.Classes.Count, data.Height, data.Width)
        {
            Dropout = entry.Dropout ?? recipe.Dropout,
            StochasticDepth = entry.StochasticDepth ?? recipe.StochasticDepth,
            LayerScale = entry.LayerScale,
            Options = entry.Options,
        };

    /// <summary>What the epoch callback tracks across epochs (and a checkpoint carries over a resume).</summary>
    sealed class Progress
    {
        public int FirstEpoch = 1;
        public EpochRecord? Best;
        public int? TargetEpoch;
        public double? TargetSeconds;
        public string? StopReason;
    }

    /// <summary>
    /// Restores the checkpoint of an interrupted run of the same setup, if there is one: the latest, or where that one
    /// is damaged (truncated, a checksum that does not match) or unreadable, the one before it, with a warning each time;
    /// where neither serves, the run starts afresh. A damaged checkpoint never fails the run.
    /// </summary>
    Progress Resume(ILearningRateSchedule schedule)
    {
        var progress = new Progress();
        var candidates = new[] { Files.Checkpoint, Checkpoint.PreviousPath(Files.Checkpoint) }.Where(File.Exists).ToList();
        for (int i = 0; i < candidates.Count; i++)
        {
            var path = candidates[i];
            string next = i + 1 < candidates.Count ? $"falling back to {System.IO.Path.GetFileName(candidates[i + 1])}" : "starting afresh";
            var peek = Checkpoint.Damage(path) is null ? Checkpoint.PeekState(path) : null;
            if (peek is null)
            {
                Warn(Checkpoint.Damage(path) is { } damage
                    ? $"{path} is damaged ({damage}) and cannot be resumed; {next}"
                    : $"{path} is not a checkpoint this zoo can read and cannot be resumed; {next}");
                continue;
            }
            if (peek.Fingerprint != _store.Identity.Hash || peek.EpochsDone >= _recipe.Epochs)
            {
                // The previous checkpoint is older still: it cannot be of these inputs either.
                Warn($"{System.IO.Path.GetFileName(path)} belongs to other inputs of this label ({_store.Identity.DescribeChanges(peek.Identity) ?? "its run had ended"}); starting afresh");
                break;
            }
            CheckpointState state;
            try { state = Checkpoint.Load(path, _model!, _optimizer!, _ema); }
            catch (ZooConfigException e)
            {
                // Safetensors.Load checks every tensor before Restore changes the model, so a failure here leaves it untouched.
                Warn($"{path} cannot be resumed ({e.Message}); {next}");
                continue;
            }
            schedule.LoadState(state.Schedule);
            if (state.LossScaler is { } scale) _scaler.Restore(scale);
            _epochs.AddRange(state.Epochs);
            progress.FirstEpoch = state.EpochsDone + 1;
            _previousSeconds = state.ElapsedSeconds;
            (progress.TargetEpoch, progress.TargetSeconds) = (state.TargetEpoch, state.TargetSeconds);
            _resumedFrom = state.EpochsDone;
            _report.Report(new RunResumed(_run, state.EpochsDone));
            break;
        }
        progress.Best = _epochs.Where(e => e.ValTop1 is not null).OrderByDescending(e => e.ValTop1).ThenBy(e => e.Epoch).FirstOrDefault();
        return progress;
    }

    /// <summary>
    /// After each epoch: best weights, the target, early stopping, the checkpoint; then the epoch's events,
    /// so an observer that sees <see cref="EpochEnded"/> finds the epoch's checkpoint on disk. Returns whether to go on.
    /// </summary>
    bool AfterEpoch(EpochRecord rec, Progress progress, ILearningRateSchedule schedule)
    {
        var model = _model!;
        if (rec.ValTop1 is not null && (progress.Best is null || rec.ValTop1 > progress.Best.ValTop1))
        {
            progress.Best = rec;
            WeightLoader.Save(model, Files.Best, Card().ToMetadata(("epoch", rec.Epoch.ToString(CultureInfo.InvariantCulture))));
        }
        bool goOn = true;
        TargetReached? reached = null;
        if (_recipe.Target is { } target && progress.TargetEpoch is null && rec.Metric(target.Metric) is { } value && target.ReachedBy(value))
        {
            (progress.TargetEpoch, progress.TargetSeconds) = (rec.Epoch, Elapsed);
            reached = new TargetReached(_run, target.Metric, target.Maximise, target.Value, rec.Epoch, Elapsed);
            if (target.Stop)
            {
                progress.StopReason = $"target {target.Metric} {Numbers.Short(target.Value, 4)} reached at epoch {rec.Epoch}";
                goOn = false;
            }
        }
        if (goOn && _recipe.EarlyStopping is { } es && es.StopReason(_epochs) is { } why)
        {
            progress.StopReason = why;
            goOn = false;
        }
        if (goOn && rec.Epoch < _recipe.Epochs)
        {
            Checkpoint.Save(Files.Checkpoint, model, _optimizer!, _ema, new CheckpointState
            {
                Fingerprint = _store.Identity.Hash, Identity = _store.Identity, EpochsDone = rec.Epoch, ElapsedSeconds = Elapsed, Epochs = _epochs.ToList(),
                Schedule = schedule.SaveState().ToDictionary(kv => kv.Key, kv => kv.Value), EmaUpdates = _ema?.Updates ?? 0,
                TargetEpoch = progress.TargetEpoch, TargetSeconds = progress.TargetSeconds,
                LossScaler = _recipe.Precision == Precision.Fp16 ? _scaler.State : null,
            });
        }
        _report.Report(new EpochEnded(_run, _recipe.Epochs, rec));
        WarnIfEvalModeDisagrees(rec);
        WarnIfNotLearning();
        if (reached is not null) _report.Report(reached);
        return goOn;
    }
}
