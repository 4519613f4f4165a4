using System.Diagnostics;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Host.Data;
using static TorchSharp.torch;

namespace Zoo.Host.Training;

/// <summary>One epoch's measurements.</summary>
public sealed record EpochRecord(
    int Epoch, double LearningRate, double TrainLoss, double TrainTop1,
    double? ValLoss, double? ValTop1, double? ValTop5, double Seconds, double ResidentMb);

/// <summary>Loss and accuracy over a split.</summary>
public sealed record EvalResult(double Loss, double Top1, double Top5, int Count, double Seconds)
{
    /// <summary>Inference time per image in milliseconds (forward passes only, batched).</summary>
    public double MillisecondsPerImage => Count == 0 ? 0 : Seconds * 1000 / Count;
}

/// <summary>Why training stopped early.</summary>
public sealed class DivergedException : Exception
{
    public DivergedException(int epoch, int step, double loss)
        : base($"the loss became {loss} at epoch {epoch}, step {step}; lower the learning rate, add warm-up or gradient clipping")
    {
        Epoch = epoch;
    }
    public int Epoch { get; }
}

/// <summary>
/// The training loop: seeded, every step inside a DisposeScope (so resident memory stays flat), per-epoch
/// train loss and accuracy, validation loss and top-1/top-5, learning rate, time and resident memory,
/// best-epoch tracking. Auxiliary heads (<see cref="IAuxiliaryClassifiers"/>) add their weighted losses.
/// </summary>
public sealed class Trainer
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly Device _device;

    /// <summary>Receives warnings worth a line in the run's progress (a recomputed transient fault).</summary>
    public Action<string>? Warning { get; init; }

    public Trainer(nn.Module<Tensor, Tensor> model, Device device)
    {
        _model = model;
        _device = device;
    }

    /// <summary>Trains for the recipe's epochs; <paramref name="onEpoch"/> sees each epoch as it ends.</summary>
    public IReadOnlyList<EpochRecord> Fit(BatchLoader train, Func<EvalResult?> validate, Recipe recipe,
        torch.optim.Optimizer optimizer, ILearningRateSchedule schedule, Action<EpochRecord>? onEpoch = null,
        CancellationToken cancel = default)
    {
        var records = new List<EpochRecord>();
        for (int epoch = 1; epoch <= recipe.Epochs; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            double lrAtStart = schedule.CurrentLearningRate;
            var (loss, top1) = TrainEpoch(train, epoch, recipe, optimizer, schedule, cancel);
            var val = validate();
            var metrics = new Dictionary<string, double> { ["train_loss"] = loss, ["train_top1"] = top1 };
            if (val is not null) { metrics["val_loss"] = val.Loss; metrics["val_top1"] = val.Top1; metrics["val_top5"] = val.Top5; }
            schedule.EpochEnd(metrics);
            sw.Stop();
            var rec = new EpochRecord(epoch, lrAtStart, loss, top1, val?.Loss, val?.Top1, val?.Top5, sw.Elapsed.TotalSeconds, ResidentMegabytes());
            records.Add(rec);
            onEpoch?.Invoke(rec);
        }
        return records;
    }

    (double Loss, double Top1) TrainEpoch(BatchLoader loader, int epoch, Recipe recipe, torch.optim.Optimizer optimizer,
        ILearningRateSchedule schedule, CancellationToken cancel)
    {
        _model.train();
        double lossSum = 0;
        long correct = 0, seen = 0;
        int step = 0;
        foreach (var batch in loader.Epoch(epoch))
        {
            cancel.ThrowIfCancellationRequested();
            step++;
            using var scope = torch.NewDisposeScope();
            var (x, y) = ToTensors(batch);
            optimizer.zero_grad();
            var (logits, loss) = Forward(x, y, batch, recipe);
            double lossValue = loss.item<float>();
            if (!double.IsFinite(lossValue))
            {
                // A true divergence repeats on the same weights and batch; a one-off non-finite forward is a
                // kernel fault (LibTorch's oneDNN has read uninitialised memory on some CPUs) and is recomputed.
                (logits, loss) = Forward(x, y, batch, recipe);
                double again = loss.item<float>();
                if (!double.IsFinite(again)) throw new DivergedException(epoch, step, lossValue);
                Warning?.Invoke($"epoch {epoch}, step {step}: the loss was {lossValue} once and {again:G6} when recomputed on the same weights and batch (a transient numeric fault, not a divergence); training goes on");
                lossValue = again;
            }
            loss.backward();
            optimizer.step();
            schedule.BatchEnd();
            lossSum += lossValue * batch.Count;
            correct += logits.argmax(1).eq(y).sum().item<long>();
            seen += batch.Count;
        }
        return (lossSum / Math.Max(1, seen), correct / (double)Math.Max(1, seen));
    }

    (Tensor Logits, Tensor Loss) Forward(Tensor x, Tensor y, Batch batch, Recipe recipe)
    {
        var logits = _model.call(x);
        var loss = batch.SoftTargets is null
            ? nn.functional.cross_entropy(logits, y, label_smoothing: recipe.LabelSmoothing)
            : SoftCrossEntropy(logits, tensor(batch.SoftTargets).reshape(batch.Count, -1).to(_device), recipe.LabelSmoothing);
        if (_model is IAuxiliaryClassifiers aux)
            foreach (var a in aux.TakeAuxiliaryOutputs())
                loss = loss + a.LossWeight * nn.functional.cross_entropy(a.Logits, y, label_smoothing: recipe.LabelSmoothing);
        return (logits, loss);
    }

    /// <summary>Cross-entropy against soft targets (Mixup/CutMix), with optional label smoothing.</summary>
    static Tensor SoftCrossEntropy(Tensor logits, Tensor targets, double smoothing)
    {
        if (smoothing > 0) targets = targets * (1 - smoothing) + smoothing / targets.shape[1];
        return -(targets * nn.functional.log_softmax(logits, 1)).sum(1).mean();
    }

    /// <summary>Loss, top-1 and top-5 over a set, in eval mode without gradients.</summary>
    public EvalResult Evaluate(IImageSet set, float[] mean, float[] std, int batchSize)
    {
        _model.eval();
        var loader = new BatchLoader(set, batchSize, shuffle: false, seed: 0, mean, std) { Prefetch = 2 };
        double lossSum = 0;
        long top1 = 0, top5 = 0, n = 0;
        double forwardSeconds = 0;
        using var noGrad = torch.no_grad();
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = torch.NewDisposeScope();
            var (x, y) = ToTensors(batch);
            var sw = Stopwatch.StartNew();
            var logits = _model.call(x);
            if (_device.type != DeviceType.CPU) logits.cpu();   // wait for the device so the time is real
            forwardSeconds += sw.Elapsed.TotalSeconds;
            lossSum += nn.functional.cross_entropy(logits, y).item<float>() * batch.Count;
            int k = (int)Math.Min(5, logits.shape[1]);
            var topk = logits.topk(k, 1).indexes;
            var hits = topk.eq(y.unsqueeze(1));
            top1 += hits.narrow(1, 0, 1).sum().item<long>();
            top5 += hits.any(1).sum().item<long>();
            n += batch.Count;
        }
        return new EvalResult(lossSum / Math.Max(1, n), top1 / (double)Math.Max(1, n), top5 / (double)Math.Max(1, n), (int)n, forwardSeconds);
    }

    (Tensor X, Tensor Y) ToTensors(Batch batch)
    {
        var s = batch.Shape;
        var x = tensor(batch.Images).reshape(batch.Count, s.Channels, s.Height, s.Width).to(_device);
        var y = tensor(batch.Labels.Select(l => (long)l).ToArray()).to(_device);
        return (x, y);
    }

    /// <summary>The process's resident memory in MiB (fresh reading).</summary>
    public static double ResidentMegabytes()
    {
        using var p = Process.GetCurrentProcess();
        p.Refresh();
        return p.WorkingSet64 / (1024.0 * 1024.0);
    }
}
