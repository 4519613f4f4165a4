using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using static TorchSharp.torch;

namespace Zoo.Engine.Training;

/// <summary>Where an epoch's training stands after a batch (see <see cref="Trainer.Step"/>).</summary>
public readonly record struct TrainingStep(int Epoch, int Step, int Steps, long Images, double MeanLoss, double Seconds);

/// <summary>Why training stopped early.</summary>
public sealed class DivergedException : Exception
{
    public DivergedException(int epoch, int step, double loss, string? what = null)
        : base($"{what ?? "the loss"} became {loss} at epoch {epoch}, step {step}; lower the learning rate, add warm-up or gradient clipping")
    {
        Epoch = epoch;
    }
    public int Epoch { get; }
}

/// <summary>
/// An exponential moving average of a model's weights (Polyak averaging; the ConvNeXt and EfficientNet
/// recipes evaluate it). Floating-point tensors of the state dict are averaged with
/// decay min(d, (1 + n) / (10 + n)) after n updates, so early averages are not dominated by the random
/// initialisation; integer buffers (BatchNorm's batch counter) are copied.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    readonly (Tensor Source, Tensor Average)[] _pairs;

    public WeightAverage(nn.Module<Tensor, Tensor> source, nn.Module<Tensor, Tensor> average, double decay)
    {
        Model = average;
        Decay = decay;
        var src = source.state_dict();
        var dst = average.state_dict();
        _pairs = src.Select(kv => (kv.Value, dst[kv.Key])).ToArray();
        using var noGrad = torch.no_grad();
        foreach (var (s, a) in _pairs) a.copy_(s);
        foreach (var p in average.parameters()) p.requires_grad_(false);
        average.eval();
    }

    public nn.Module<Tensor, Tensor> Model { get; }
    public double Decay { get; }
    /// <summary>Updates made so far (part of a checkpoint).</summary>
    public long Updates { get; set; }

    public void Update()
    {
        double d = Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));
        Updates++;
        using var noGrad = torch.no_grad();
        foreach (var (s, a) in _pairs)
        {
            if (a.is_floating_point()) a.mul_(d).add_(s, alpha: 1 - d);
            else a.copy_(s);
        }
    }

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The training loop: seeded, every step inside a DisposeScope (so resident memory stays flat), gradient
/// accumulation, clipping by norm or value, a moving average of the weights, auxiliary-head losses
/// (<see cref="IAuxiliaryClassifiers"/>), soft targets from batch augmentations; per-epoch train loss and
/// accuracy, validation loss and top-1/top-5, learning rate, gradient norm, time and resident memory.
/// The caller decides after each epoch whether to go on (early stopping, a reached target, a checkpoint).
/// </summary>
public sealed class Trainer
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly Device _device;
    readonly Parameter[] _parameters;

    /// <summary>Receives warnings worth a line in the run's progress (a recomputed transient fault).</summary>
    public Action<string>? Warning { get; init; }

    /// <summary>
    /// Called after every training batch with the epoch, the batch (1-based), the batches per epoch, the
    /// images seen this epoch, their mean loss so far and the epoch's seconds so far. On the CPU it is called
    /// after every batch (the loss is read for the divergence check anyway); where the loss is read only every
    /// <see cref="ReadInterval"/> steps (a GPU), after those batches and the last, so it costs no extra wait.
    /// </summary>
    public Action<TrainingStep>? Step { get; init; }

    /// <summary>
    /// Whether the loss is read every step (the default on the CPU) or only every <see cref="ReadInterval"/> steps
    /// (the default on a GPU); null: by device. Tests set it to check that both give the same numbers.
    /// </summary>
    internal bool? ReadLossEveryStep { get; init; }

    /// <summary>Steps between reads of the summed loss where it is not read every step (and the progress events then).</summary>
    internal const int ReadInterval = 10;

    /// <summary>
    /// The number format of evaluation (<see cref="Evaluate(IImageSet, float[], float[], int)"/>) and of the precise
    /// BatchNorm passes; training takes the recipe's. A run sets both alike.
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;

    /// <summary>The fp16 loss scale (used only when the recipe's precision is fp16); a checkpoint keeps its state.</summary>
    public LossScaler Scaler { get; init; } = new();

    /// <summary>Below this the fp16 loss scale has halved 40 times from 2^16: the gradients overflow at any scale.</summary>
    const double SmallestScale = 1.0 / (1 << 24);

    /// <summary>The weights' moving average, updated after every optimiser step (null: none).</summary>
    public WeightAverage? Average { get; init; }

    /// <summary>
    /// The parameters (by name) that train while <see cref="Recipe.FreezeBackboneEpochs"/> freezes the rest; null:
    /// the parameters of the module that holds the model's last parameter (the classifier of every built-in family).
    /// </summary>
    public IReadOnlySet<string>? Head { get; init; }

    /// <summary>The names of the parameters of the module that registers the last parameter ("fc.weight", "fc.bias").</summary>
    public static IReadOnlySet<string> LastLayer(nn.Module model)
    {
        var names = model.named_parameters().Select(p => p.name).ToList();
        if (names.Count == 0) return new HashSet<string>();
        var last = names[^1];
        var module = last.Contains('.') ? last[..(last.LastIndexOf('.') + 1)] : "";
        return names.Where(n => n.StartsWith(module, StringComparison.Ordinal) && !n[module.Length..].Contains('.')).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Freezes every parameter but the head's (no gradient, so the optimiser leaves them as they are), or unfreezes all.</summary>
    void FreezeBackbone(bool frozen)
    {
        var head = Head ?? LastLayer(_model);
        foreach (var (name, p) in _model.named_parameters()) p.requires_grad_(!frozen || head.Contains(name));
    }

    public Trainer(nn.Module<Tensor, Tensor> model, Device device)
    {
        _model = model;
        _device = device;
        _parameters = model.parameters().Where(p => p.requires_grad).ToArray();
    }

    /// <summary>
    /// Trains from <paramref name="firstEpoch"/> to the recipe's last epoch. <paramref name="afterEpoch"/> sees each
    /// epoch as it ends and returns false to stop there.
    /// </summary>
    public IReadOnlyList<EpochRecord> Fit(BatchLoader train, Func<nn.Module<Tensor, Tensor>, EvalResult?> validate, Recipe recipe,
        torch.optim.Optimizer optimizer, ILearningRateSchedule schedule, Func<EpochRecord, bool>? afterEpoch = null,
        CancellationToken cancel = default, int firstEpoch = 1)
    {
        var records = new List<EpochRecord>();
        try
        {
            for (int epoch = firstEpoch; epoch <= recipe.Epochs; epoch++)
            {
                cancel.ThrowIfCancellationRequested();
                if (recipe.FreezeBackboneEpochs > 0) FreezeBackbone(epoch <= recipe.FreezeBackboneEpochs);
                // TorchSharp 0.107 can seed the CUDA generators but not read or restore their state, so a checkpoint
                // cannot hold it: instead every epoch on a GPU starts them from (seed, epoch), which a run resumed at
                // that epoch's start does too. (The CPU generator's state is in the checkpoint; CPU runs are unchanged.)
                if (_device.type == DeviceType.CUDA) torch.cuda.manual_seed_all(CudaEpochSeed(recipe.Seed, epoch));
                var sw = Stopwatch.StartNew();
                double lrAtStart = schedule.CurrentLearningRate;
                var (loss, top1, gradNorm, rates) = TrainEpoch(train, epoch, recipe, optimizer, schedule, cancel);
                if (recipe.PreciseBatchNorm is { } batches)
                {
                    // On the epoch's own (seeded) batches, so a resumed run recomputes exactly the same statistics;
                    // unblended (no Mixup/CutMix), since evaluation never sees blended images.
                    var plain = train.WithoutBatchAugmentations();
                    PreciseBatchNorm.Update(_model, plain, batches, _device, epoch, Precision);
                    if (Average is not null) PreciseBatchNorm.Update(Average.Model, plain, batches, _device, epoch, Precision);
                }
                var val = validate(_model);
                var emaVal = Average is null ? null : validate(Average.Model);
                var metrics = new Dictionary<string, double> { ["train_loss"] = loss, ["train_top1"] = top1 };
                if (val is not null) { metrics["val_loss"] = val.Loss; metrics["val_top1"] = val.Top1; metrics["val_top5"] = val.Top5; }
                if (emaVal is not null) { metrics["ema_val_loss"] = emaVal.Loss; metrics["ema_val_top1"] = emaVal.Top1; }
                schedule.EpochEnd(metrics);
                // Memory stays flat from epoch to epoch (issue 13): the epoch's garbage and glibc's kept pages go back.
                NativeHeap.ReleaseFreed();
                sw.Stop();
                var rec = new EpochRecord(epoch, lrAtStart, loss, top1, val?.Loss, val?.Top1, val?.Top5, sw.Elapsed.TotalSeconds, ResidentMegabytes())
                {
                    GradNorm = gradNorm, EmaValLoss = emaVal?.Loss, EmaValTop1 = emaVal?.Top1,
                    LearningRateSteps = EpochRecord.SampleSteps(rates),
                };
                records.Add(rec);
                if (afterEpoch is not null && !afterEpoch(rec)) break;
            }
        }
        finally
        {
            if (recipe.FreezeBackboneEpochs > 0) FreezeBackbone(false);   // the model leaves trainable, as it came
        }
        return records;
    }

    /// <summary>The CUDA generators' seed for an epoch: fixed by the recipe's seed and the epoch alone.</summary>
    internal static long CudaEpochSeed(long seed, int epoch) => unchecked(seed * 1_000_003 + epoch * 7_919 + 0x5EED);

    (double Loss, double Top1, double GradNorm, List<double> Rates) TrainEpoch(BatchLoader loader, int epoch, Recipe recipe, torch.optim.Optimizer optimizer,
        ILearningRateSchedule schedule, CancellationToken cancel)
    {
        _model.train();
        double lossSum = 0, normSum = 0;
        long seen = 0;
        // Loss and correct counts add up on the device, and the host reads them once per logging interval and at
        // the epoch's end instead of twice per step: on a GPU a read waits for every queued kernel. On the CPU
        // (no queue, so a read costs no wait) the loss is still read every step, which lets a one-off non-finite
        // loss (oneDNN's CPU fault) be recomputed before backward and reports progress after every batch.
        bool eager = ReadLossEveryStep ?? _device.type == DeviceType.CPU;
        using var deviceLoss = torch.zeros(Array.Empty<long>(), ScalarType.Float64, device: _device);
        using var deviceCorrect = torch.zeros(Array.Empty<long>(), ScalarType.Int64, device: _device);
        int step = 0, updates = 0, measured = 0, badSteps = 0;
        var rates = new List<double>(loader.BatchesPerEpoch);   // the rate of each update: the start of an epoch hides a warm-up and a per-step decay
        int accumulate = Math.Max(1, recipe.AccumulateSteps);
        bool scaled = recipe.Precision == Precision.Fp16;
        int batches = loader.BatchesPerEpoch;
        var clock = Stopwatch.StartNew();
        using (torch.NewDisposeScope()) optimizer.zero_grad();   // zero_grad wraps each existing gradient in a tensor handle
        foreach (var batch in loader.Epoch(epoch))
        {
            cancel.ThrowIfCancellationRequested();
            step++;
            using var scope = torch.NewDisposeScope();
            var (x, y) = ToTensors(batch);
            var (logits, loss) = Forward(x, y, batch, recipe);
            double lossValue = eager ? loss.item<float>() : 0;
            if (eager && !double.IsFinite(lossValue))
            {
                // A true divergence repeats on the same weights and batch; a one-off non-finite forward is a
                // kernel fault (LibTorch's oneDNN has read uninitialised memory on some CPUs) and is recomputed.
                (logits, loss) = Forward(x, y, batch, recipe);
                double again = loss.item<float>();
                if (!double.IsFinite(again)) throw new DivergedException(epoch, step, lossValue);
                Warning?.Invoke($"epoch {epoch}, step {step}: the loss was {lossValue} once and {again:G6} when recomputed on the same weights and batch (a transient numeric fault, not a divergence); training goes on");
                lossValue = again;
            }
            var toBackward = accumulate == 1 ? loss : loss / accumulate;
            (scaled ? Scaler.Scaled(toBackward) : toBackward).backward();
            seen += batch.Count;
            using (torch.no_grad()) deviceCorrect.add_(logits.argmax(1).eq(y).sum());
            if (eager) lossSum += lossValue * batch.Count;
            else
            {
                // The same sum as the host's: the float loss widened to double, times the batch size, added in double.
                using (torch.no_grad()) deviceLoss.add_(loss.detach().to(ScalarType.Float64).mul(batch.Count));
                if (step % ReadInterval == 0 || step == batches)
                {
                    lossSum = deviceLoss.item<double>();
                    if (!double.IsFinite(lossSum)) throw new DivergedException(epoch, step, lossSum, $"the loss summed over steps {Math.Max(1, step - ReadInterval + 1)}-{step}");
                }
            }
            if (eager || step % ReadInterval == 0 || step == batches)
                Step?.Invoke(new TrainingStep(epoch, step, batches, seen, lossSum / seen, clock.Elapsed.TotalSeconds));

            if (step % accumulate != 0 && step != batches) continue;
            if (scaled && !Scaler.Unscale(_parameters))
            {
                // fp16 overflowed at this scale (expected now and then, most at the start): skip the update, halve the scale.
                optimizer.zero_grad();
                Scaler.Update(finite: false);
                if (Scaler.Scale < SmallestScale) throw new DivergedException(epoch, step, double.NaN, "every fp16 gradient, at any loss scale,");
                continue;
            }
            // The global gradient norm costs a reduction per parameter tensor: every update when clipping needs it,
            // else every tenth (enough for the recorded mean and to catch a non-finite gradient early).
            bool measure = recipe.ClipGradNorm is not null || updates % 10 == 0;
            double norm = measure ? GlobalGradNorm() : 0;
            if (measure && !double.IsFinite(norm))
            {
                // Skip the update rather than write NaN into the weights; several in a row is a divergence.
                optimizer.zero_grad();
                if (++badSteps >= 3) throw new DivergedException(epoch, step, norm, "the gradient norm");
                Warning?.Invoke($"epoch {epoch}, step {step}: gradient norm {norm}; this update was skipped");
                continue;
            }
            badSteps = 0;
            if (recipe.ClipGradNorm is { } maxNorm && norm > maxNorm)
                foreach (var p in _parameters) p.grad?.mul_(maxNorm / (norm + 1e-6));
            if (recipe.ClipGradValue is { } maxValue)
                foreach (var p in _parameters) p.grad?.clamp_(-maxValue, maxValue);
            rates.Add(schedule.CurrentLearningRate);
            optimizer.step();
            optimizer.zero_grad();
            if (scaled) Scaler.Update(finite: true);
            schedule.BatchEnd();
            Average?.Update();
            if (measure) { normSum += norm; measured++; }
            updates++;
        }
        long correct = deviceCorrect.item<long>();
        return (lossSum / Math.Max(1, seen), correct / (double)Math.Max(1, seen), normSum / Math.Max(1, measured), rates);
    }

    /// <summary>
    /// One optimiser step on one batch with the training step's forward, loss and clipping, but no accumulation, schedule
    /// or moving average: the learning-rate range test's step (<see cref="LearningRateFinder"/>). Returns the batch's loss
    /// before the update; a non-finite loss (recomputed once, as in training) is returned without an update.
    /// </summary>
    internal double RangeTestStep(Batch batch, Recipe recipe, torch.optim.Optimizer optimizer)
    {
        _model.train();
        using var scope = torch.NewDisposeScope();
        var (x, y) = ToTensors(batch);
        var (_, loss) = Forward(x, y, batch, recipe);
        double value = loss.item<float>();
        if (!double.IsFinite(value))
        {
            (_, loss) = Forward(x, y, batch, recipe);
            value = loss.item<float>();
            if (!double.IsFinite(value)) return value;
        }
        loss.backward();
        if (recipe.ClipGradNorm is { } maxNorm && GlobalGradNorm() is var norm && norm > maxNorm)
            foreach (var p in _parameters) p.grad?.mul_(maxNorm / (norm + 1e-6));
        if (recipe.ClipGradValue is { } maxValue)
            foreach (var p in _parameters) p.grad?.clamp_(-maxValue, maxValue);
        optimizer.step();
        optimizer.zero_grad();
        return value;
    }

    double GlobalGradNorm()
    {
        using var scope = torch.NewDisposeScope();
        var norms = _parameters.Where(p => p.grad is not null).Select(p => p.grad!.norm()).ToArray();
        return norms.Length == 0 ? 0 : torch.stack(norms).norm().item<float>();
    }

    /// <summary>
    /// The forward pass in the recipe's precision (<see cref="Autocast"/>) and the losses in float32 on float32 logits,
    /// as PyTorch's autocast recipe does: the region ends at the model's output.
    /// </summary>
    (Tensor Logits, Tensor Loss) Forward(Tensor x, Tensor y, Batch batch, Recipe recipe)
    {
        Tensor logits;
        IReadOnlyList<(Tensor Logits, double LossWeight)> auxiliary = Array.Empty<(Tensor, double)>();
        using (Autocast.Enter(_device, recipe.Precision))
        {
            logits = _model.call(x);
            if (_model is IAuxiliaryClassifiers aux) auxiliary = aux.TakeAuxiliaryOutputs().Select(a => (a.Logits, (double)a.LossWeight)).ToList();
        }
        logits = Full(logits);
        var loss = batch.SoftTargets is null
            ? nn.functional.cross_entropy(logits, y, label_smoothing: recipe.LabelSmoothing)
            : SoftCrossEntropy(logits, tensor(batch.SoftTargets).reshape(batch.Count, -1).to(_device), recipe.LabelSmoothing);
        foreach (var a in auxiliary)
            loss = loss + a.LossWeight * nn.functional.cross_entropy(Full(a.Logits), y, label_smoothing: recipe.LabelSmoothing);
        return (logits, loss);
    }

    /// <summary>A mixed-precision output widened to float32 (float32 as it is).</summary>
    public static Tensor Full(Tensor t) => t.dtype == ScalarType.Float32 ? t : t.to(ScalarType.Float32);

    /// <summary>Cross-entropy against soft targets (Mixup/CutMix), with optional label smoothing.</summary>
    static Tensor SoftCrossEntropy(Tensor logits, Tensor targets, double smoothing)
    {
        if (smoothing > 0) targets = targets * (1 - smoothing) + smoothing / targets.shape[1];
        return -(targets * nn.functional.log_softmax(logits, 1)).sum(1).mean();
    }

    /// <summary>Loss, top-1 and top-5 and the confusion matrix of the trainer's model over a set.</summary>
    public EvalResult Evaluate(IImageSet set, float[] mean, float[] std, int batchSize) => Evaluate(_model, _device, set, mean, std, batchSize, Precision);

    /// <summary>Loss, top-1 and top-5 and the confusion matrix over a set, in eval mode without gradients.</summary>
    public static EvalResult Evaluate(nn.Module<Tensor, Tensor> model, Device device, IImageSet set, float[] mean, float[] std, int batchSize,
        Precision precision = Precision.Fp32)
    {
        bool wasTraining = model.training;
        model.eval();
        var loader = new BatchLoader(set, batchSize, shuffle: false, seed: 0, mean, std) { Prefetch = 2 };
        int classes = set.Info.Classes;
        var confusion = Enumerable.Range(0, classes).Select(_ => new int[classes]).ToArray();
        double lossSum = 0;
        long top1 = 0, top5 = 0, n = 0;
        double forwardSeconds = 0;
        var predictedAll = new int[set.Count];
        var confidenceAll = new float[set.Count];
        var correctAll = new bool[set.Count];
        using (torch.no_grad())
        {
            foreach (var batch in loader.Epoch(0))
            {
                using var scope = torch.NewDisposeScope();
                var (x, y) = ToTensors(batch, device);
                var sw = Stopwatch.StartNew();
                Tensor logits;
                using (Autocast.Enter(device, precision)) logits = Full(model.call(x));
                if (device.type != DeviceType.CPU) logits.cpu();   // wait for the device so the time is real
                forwardSeconds += sw.Elapsed.TotalSeconds;
                lossSum += nn.functional.cross_entropy(logits, y).item<float>() * batch.Count;
                int k = (int)Math.Min(5, logits.shape[1]);
                var topk = logits.topk(k, 1).indexes;
                var hits = topk.eq(y.unsqueeze(1));
                top1 += hits.narrow(1, 0, 1).sum().item<long>();
                top5 += hits.any(1).sum().item<long>();
                var predicted = topk.select(1, 0).cpu().data<long>().ToArray();
                var confidence = nn.functional.softmax(logits, 1).max(1).values.cpu().data<float>().ToArray();
                for (int i = 0; i < batch.Count; i++)
                {
                    if (batch.Labels[i] < classes && predicted[i] < classes) confusion[batch.Labels[i]][predicted[i]]++;
                    predictedAll[n + i] = (int)predicted[i];
                    confidenceAll[n + i] = confidence[i];
                    correctAll[n + i] = predicted[i] == batch.Labels[i];
                }
                n += batch.Count;
            }
        }
        if (wasTraining) model.train();
        return new EvalResult(lossSum / Math.Max(1, n), top1 / (double)Math.Max(1, n), top5 / (double)Math.Max(1, n), (int)n, forwardSeconds)
        {
            Confusion = confusion, Predicted = predictedAll, Confidence = confidenceAll, Correct = correctAll,
        };
    }

    (Tensor X, Tensor Y) ToTensors(Batch batch) => ToTensors(batch, _device);

    static (Tensor X, Tensor Y) ToTensors(Batch batch, Device device)
    {
        var s = batch.Shape;
        var x = tensor(batch.Images).reshape(batch.Count, s.Channels, s.Height, s.Width);
        var y = tensor(batch.Labels.Select(l => (long)l).ToArray());
        if (device.type == DeviceType.CPU) return (x, y);
        // To a GPU from page-locked memory, without waiting: the copy queues behind the previous step's kernels.
        return (x.pin_memory().to(device, non_blocking: true), y.pin_memory().to(device, non_blocking: true));
    }

    /// <summary>The process's resident memory in MiB (fresh reading).</summary>
    public static double ResidentMegabytes()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64 / (1024.0 * 1024.0);
    }
}
