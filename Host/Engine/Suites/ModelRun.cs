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
internal sealed class ModelRun
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

    /// <summary>
    /// Mixed precision on a CPU without the format's instructions is emulated by oneDNN and runs slower than fp32: the
    /// run goes on as asked (its numbers are still right), with a warning that says what to write instead.
    /// </summary>
    void WarnIfPrecisionIsEmulated()
    {
        if (_recipe.Precision == Precision.Fp32 || _device.type != DeviceType.CPU) return;
        if (!Autocast.Available) throw new NotSupportedException($"\"precision\": \"{_recipe.Precision.Name()}\" needs LibTorch's autocast: {Autocast.Unavailable}");
        var cpu = PrecisionSupport.OfThisCpu();
        var format = _recipe.Precision == Precision.Bf16 ? cpu.CpuBf16 : cpu.CpuFp16;
        if (!format.Native)
            Warn($"\"precision\": \"{_recipe.Precision.Name()}\" on this CPU: {format.Why}; \"fp32\" will most likely train faster here (`zoo doctor` says what the CPU has)");
    }

    /// <summary>How far (absolute) the epoch's train top-1 may exceed validation top-1 before a BatchNorm model is warned about.</summary>
    const double EvalGap = 0.25;

    /// <summary>
    /// Once per run: a model with BatchNorm whose eval-mode validation is far below its train-mode accuracy, or that
    /// predicts one class for every validation image while it learns, most likely evaluates with running statistics
    /// that lag the weights (issue 16: MobileNet V2 and MNASNet at exactly 10 % top-1 and 50 % top-5 after 56 AdamW steps,
    /// back to their train-mode accuracy with recomputed statistics). The warning names the recipe option that fixes it.
    /// A gap of 25 points is beyond what the short runs this happens in overfit by; the one-class test catches collapse
    /// while train accuracy is still low.
    /// </summary>
    void WarnIfEvalModeDisagrees(EpochRecord rec)
    {
        if (_warnedStatistics || _recipe.PreciseBatchNorm is not null) return;
        if (EvalModeDisagreement(rec, _lastValidation, () => PreciseBatchNorm.Layers(_model!).Count > 0) is not { } text) return;
        _warnedStatistics = true;
        Warn(text);
    }

    /// <summary>The warning for an epoch whose eval-mode validation disagrees with its train accuracy, or null (see <see cref="WarnIfEvalModeDisagrees"/>).</summary>
    internal static string? EvalModeDisagreement(EpochRecord rec, EvalResult? validation, Func<bool> hasBatchNorm)
    {
        if (rec.ValTop1 is not { } val) return null;
        bool oneClass = validation is { Count: > 1 } v && v.Confusion.Length > 1
            && Enumerable.Range(0, v.Confusion.Length).Count(p => v.Confusion.Any(row => row[p] > 0)) == 1;
        double gap = rec.TrainTop1 - val;
        if (!(gap >= EvalGap || (oneClass && gap > 0.02)) || !hasBatchNorm()) return null;
        return string.Format(CultureInfo.InvariantCulture,
            "epoch {0}: validation top-1 {1:0.0} % (eval mode{2}) is far below train top-1 {3:0.0} %; BatchNorm's running statistics " +
            "probably lag the weights (few steps, fast-moving weights); add \"precise_bn\": 50 to the recipe to recompute them on training batches before each evaluation",
            rec.Epoch, val * 100, oneClass ? ", one class predicted for every image" : "", rec.TrainTop1 * 100);
    }

    /// <summary>What the learning check needs to know of this run for the cause and fix it names.</summary>
    LearningContext LearningContext() =>
        new(_data.Classes.Count, _recipe.Epochs, _recipe.Optimizer.LearningRate, _recipe.Schedule.WarmupEpochs, _found.Architecture.Name,
            _hasBatchNorm ??= _model is not null && PreciseBatchNorm.Layers(_model).Count > 0);

    bool? _hasBatchNorm;   // asked of the model once, for the learning check's wording

    /// <summary>Once per run: the epoch at which the run is seen not to learn (<see cref="LearningCheck.AtEpoch"/>), as a typed event.</summary>
    void WarnIfNotLearning()
    {
        if (_notLearning is not null || LearningCheck.AtEpoch(_epochs, _lastValidation, LearningContext()) is not { } failure) return;
        _notLearning = failure;
        _report.Report(new RunNotLearning(_run, failure));
    }

    /// <summary>
    /// Test: the final weights, the moving average, and the best-on-validation weights (the figure reported);
    /// then validation of the best weights once more, for its per-class accuracy and confusion matrix.
    /// </summary>
    RunResult Test(RunResult result, Trainer trainer, Progress progress, float[] mean, float[] std, int evalBatch)
    {
        EvalResult? testFinal = null, testEma = null, test = null;
        var testSet = _splits.Test;
        if (testSet is not null) testFinal = trainer.Evaluate(testSet, mean, std, evalBatch);
        if (_ema is not null)
        {
            if (testSet is not null) testEma = Trainer.Evaluate(_ema.Model, _device, testSet, mean, std, evalBatch, _recipe.Precision);
            WeightLoader.Save(_ema.Model, Files.Ema, Card().ToMetadata(("ema_decay", _ema.Decay.ToString("R", CultureInfo.InvariantCulture))));
        }
        var best = progress.Best;
        bool bestIsEarlier = best is not null && File.Exists(Files.Best) && best.Epoch != _epochs[^1].Epoch;
        if (bestIsEarlier) WeightLoader.Load(_model!, Files.Best);
        if (testSet is not null) test = bestIsEarlier ? trainer.Evaluate(testSet, mean, std, evalBatch) : testFinal;
        var validation = _splits.Validation is null ? null : trainer.Evaluate(_splits.Validation, mean, std, evalBatch);
        if (test is not null)
        {
            _writer.WriteConfusion(_entry.Label, _data.Classes, test);
            try { _writer.WritePredictions(_entry.Label, Explain(PredictionSample.Take(test, testSet!, 24, _recipe.Seed), testSet!, mean, std)); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Warn($"prediction sample not written: {e.Message}");   // the grid is an extra; the run's numbers stand
            }
        }
        // The verdict on the weights the comparison reports; said once more where no epoch had warned (early stopping, the last epoch's test).
        var failure = LearningCheck.Outcome(_epochs, validation ?? test, validation is null ? "test" : "validation", LearningContext(), _notLearning?.Epoch);
        if (failure is not null && _notLearning is null) _report.Report(new RunNotLearning(_run, failure));
        var analysis = _suite.Analysis is { } options && testSet is not null
            ? Analyze(() => SuiteAnalyzer.Analyze(_model!, _device, testSet, _data, options, evalBatch))
            : null;
        return Ended(result, RunStatus.Finished) with
        {
            BestEpoch = best?.Epoch, BestValTop1 = best?.ValTop1,
            Test = test, TestCorrect = test?.Correct is { } correct ? PairedTest.Encode(correct) : null, TestFinal = testFinal, TestEma = testEma, Validation = validation, Analysis = analysis, DidNotLearn = failure,
        };
    }

    /// <summary>How many test images each run explains with Grad-CAM for the report's "where each model looks" figure.</summary>
    internal const int ExplainedImages = 6;

    /// <summary>
    /// The sample with Grad-CAM maps of the suite's <see cref="ExplainedImages"/> test images (the same for every run: the
    /// suite recipe's seed draws them), and the first filters and feature maps of the first of them; where one fails, the
    /// sample without it and a warning: the figures are extras. Nothing where the suite says "explain": false.
    /// </summary>
    PredictionSample Explain(PredictionSample sample, IImageSet testSet, float[] mean, float[] std)
    {
        if (!_suite.Explain) return sample;
        var indices = PredictionSample.ExplainedIndices(testSet.Count, ExplainedImages, _suite.Recipe.Seed);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var maps = Analysis.GradCam.Explain(_model!, _device, testSet, indices, mean, std, out var layer);
            var info = testSet.Info;
            var explained = indices.Select((index, i) => new PredictedImage(index, testSet.GetLabel(index), maps[i].Predicted,
                maps[i].Probabilities[maps[i].Predicted], Thumbnail.Of(testSet, index))
            {
                Heatmap = Thumbnail.Of(maps[i].Heatmap, 1, info.Height, info.Width),
            }).ToArray();
            sample = sample with { Explained = explained, ExplainedLayer = layer.ToString(), ExplainedSeconds = clock.Elapsed.TotalSeconds };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"Grad-CAM not computed: {e.GetType().Name}: {e.Message}");
        }
        if (indices.Length == 0) return sample;
        try
        {
            return sample with { FiltersAndMaps = Analysis.FeatureMaps.Of(_model!, _device, testSet, indices[0], mean, std) };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"filters and feature maps not computed: {e.GetType().Name}: {e.Message}");
            return sample;
        }
    }

    /// <summary>The feature analysis, or null with a warning if it fails: it must not cost the run its result.</summary>
    AnalysisResult? Analyze(Func<AnalysisResult> analyze)
    {
        try
        {
            var analysis = analyze();
            _report.Report(new AnalysisEnded(_run, analysis));
            return analysis;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Warn($"feature analysis failed: {e.GetType().Name}: {e.Message}");
            return null;
        }
    }
}
