using System.Globalization;
using TorchSharp;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using static TorchSharp.torch;

namespace Zoo.Engine.Training;

/// <summary>
/// How a learning-rate range test runs: <see cref="Steps"/> optimiser steps with the rate rising exponentially
/// from <see cref="Start"/> to <see cref="End"/> (fastai's <c>lr_find</c> defaults: 100 steps, 1e-7 to 10).
/// </summary>
public sealed record LearningRateSearch(double Start = 1e-7, double End = 10, int Steps = 100)
{
    /// <summary>The decay of the loss's moving average (fastai's 0.98).</summary>
    public const double Smoothing = 0.98;
    /// <summary>The test stops once the smoothed loss exceeds this many times its lowest value (fastai's 4).</summary>
    public const double DivergenceFactor = 4;

    /// <summary>Throws <see cref="Zoo.Abstractions.ZooConfigException"/> for a range the test cannot run.</summary>
    public LearningRateSearch Checked(string where)
    {
        if (!(Start > 0) || !(End > Start) || End > OptimizerSpec.MaxLearningRate)
            throw new Zoo.Abstractions.ZooConfigException(where, string.Create(CultureInfo.InvariantCulture,
                $"the range {Start:G3} to {End:G3} cannot be searched; the start must be more than 0 and below the end, the end at most {OptimizerSpec.MaxLearningRate}"));
        if (Steps < 10 || Steps > 100_000)
            throw new Zoo.Abstractions.ZooConfigException(where, $"{Steps} steps is out of range; allowed 10 to 100000");
        return this;
    }

    /// <summary>The rate of step <paramref name="i"/> (0-based): Start × (End / Start)^(i / (Steps − 1)).</summary>
    public double RateAt(int i) => Start * Math.Pow(End / Start, i / (double)(Steps - 1));
}

/// <summary>
/// The learning-rate range test (Smith, "Cyclical Learning Rates for Training Neural Networks", 2015; fastai's
/// <c>lr_find</c>): trains on the run's own batches with the rate rising exponentially each step, records each batch's
/// loss, smooths it (an exponential moving average with bias correction, as Adam corrects its moments), stops when the
/// smoothed loss passes <see cref="LearningRateSearch.DivergenceFactor"/> times its lowest value (after the first tenth of
/// the steps) or a loss is not finite,
/// and suggests a rate by <see cref="SuggestionRule"/>. Afterwards the model's parameters and buffers (BatchNorm's running
/// statistics and batch counter), the optimiser's state and rates, the CPU random generator and the train/eval mode are as
/// they were, bit for bit, so the run that follows trains as though the test had never run.
/// </summary>
/// <remarks>
/// Every step runs inside a DisposeScope (<see cref="Trainer.RangeTestStep"/>). The test uses the recipe's optimiser, loss
/// (label smoothing, Mixup/CutMix targets, auxiliary heads) and gradient clipping, but no schedule, warm-up, accumulation or
/// frozen backbone, and every parameter group (a fine-tuning head's too) at the test's rate: it asks which constant rate the
/// whole model learns fastest at. A CUDA generator's state cannot be read
/// in TorchSharp 0.107, so on a GPU dropout after the test draws other masks than it would have without it.
/// Not thread-safe: it trains the model it is given.
/// </remarks>
public static class LearningRateFinder
{
    /// <summary>The rule the suggestion follows, in words (kept in each curve).</summary>
    public const string SuggestionRule =
        "steepest descent: the rate where the smoothed loss falls fastest per decade of rate (most negative d loss / d log lr, " +
        "central differences), looked for from the 10th percentile of the steps up to the lowest smoothed loss after it; where the " +
        "loss does not fall before that minimum, the step nearest a tenth of the rate at the minimum";

    /// <summary>
    /// Runs the test on <paramref name="model"/> (already on <paramref name="device"/>) with <paramref name="optimizer"/> over
    /// <paramref name="loader"/>'s batches (epoch after epoch where one epoch has fewer than the steps), then restores
    /// everything it changed. <paramref name="step"/> hears each step (0-based step, rate, loss). Throws
    /// <see cref="OperationCanceledException"/> when cancelled (after restoring).
    /// </summary>
    public static LearningRateCurve Find(nn.Module<Tensor, Tensor> model, Device device, BatchLoader loader, Recipe recipe,
        torch.optim.Optimizer optimizer, LearningRateSearch? search = null, Action<int, double, double>? step = null, CancellationToken cancel = default)
    {
        var s = search ?? new LearningRateSearch();
        var trainer = new Trainer(model, device);
        using var saved = new SavedState(model, optimizer);
        var rates = new List<double>();
        var losses = new List<double>();
        var smoothed = new List<double>();
        string stop = string.Create(CultureInfo.InvariantCulture, $"reached the end of the range, {s.End:G3}");
        try
        {
            // Every parameter group at the test's rate: a fine-tuning head's "head_lr" is a rate of its own, kept as given in training.
            var ratios = Array.Empty<double>();
            double average = 0, best = double.PositiveInfinity;
            int i = 0;
            for (int epoch = 1; i < s.Steps && epoch <= s.Steps; epoch++)
            {
                foreach (var batch in loader.Epoch(epoch))
                {
                    cancel.ThrowIfCancellationRequested();
                    double rate = s.RateAt(i);
                    GroupRates.Set(optimizer, rate, ratios);
                    double loss = trainer.RangeTestStep(batch, recipe, optimizer);
                    step?.Invoke(i, rate, loss);
                    if (!double.IsFinite(loss))
                    {
                        stop = string.Create(CultureInfo.InvariantCulture, $"the loss became {loss} at {rate:G3}");
                        i = s.Steps;
                        break;
                    }
                    average = LearningRateSearch.Smoothing * average + (1 - LearningRateSearch.Smoothing) * loss;
                    double value = average / (1 - Math.Pow(LearningRateSearch.Smoothing, i + 1));
                    rates.Add(rate);
                    losses.Add(loss);
                    smoothed.Add(value);
                    best = Math.Min(best, value);
                    i++;
                    // Not within the first tenth of the steps: there the average is of one or two batches, and one low
                    // batch loss after a high one is not a divergence (ResNet-18 at batch 8 "diverged" at 1e-5 on that).
                    if (i > s.Steps / 10 && value > LearningRateSearch.DivergenceFactor * best)
                    {
                        stop = string.Create(CultureInfo.InvariantCulture,
                            $"the smoothed loss {value:G3} passed {LearningRateSearch.DivergenceFactor:G} × its lowest, {best:G3}, at {rate:G3}");
                        i = s.Steps;
                    }
                    if (i >= s.Steps) break;
                }
            }
        }
        finally
        {
            saved.Restore();
        }
        var (suggested, at) = Suggest(rates, smoothed);
        return new LearningRateCurve
        {
            Rates = rates, Losses = losses, Smoothed = smoothed, Suggested = suggested, SuggestedStep = at,
            Start = s.Start, End = s.End, Steps = s.Steps, StoppedBecause = stop, Rule = SuggestionRule,
        };
    }

    /// <summary>
    /// The suggested rate and its step by <see cref="SuggestionRule"/>. Looking only up to the lowest smoothed loss keeps
    /// the steep rise after divergence, and noise past the minimum, from being taken; skipping the first tenth of the
    /// steps keeps the bias-corrected average's first, noisiest values out. NaN and -1 for an empty curve.
    /// </summary>
    public static (double Rate, int Step) Suggest(IReadOnlyList<double> rates, IReadOnlyList<double> smoothed)
    {
        int n = Math.Min(rates.Count, smoothed.Count);
        if (n == 0) return (double.NaN, -1);
        int first = FirstLooked(n), lowest = LowestStep(smoothed);
        int last = Math.Min(lowest, n - 2);
        int steepest = -1;
        double slope = double.PositiveInfinity;
        for (int i = first; i <= last; i++)
        {
            double d = (smoothed[i + 1] - smoothed[i - 1]) / (Math.Log(rates[i + 1]) - Math.Log(rates[i - 1]));
            if (d < slope) { slope = d; steepest = i; }
        }
        if (steepest >= 0 && slope < 0) return (rates[steepest], steepest);
        // No descent before the minimum: a tenth of the rate there (fastai's older rule), not below the first step's rate.
        double rate = Math.Max(rates[lowest] / 10, rates[0]);
        int at = 0;
        for (int i = 1; i < n; i++) if (Math.Abs(Math.Log(rates[i] / rate)) < Math.Abs(Math.Log(rates[at] / rate))) at = i;
        return (rates[at], at);
    }

    /// <summary>
    /// The first step the suggestion looks at: the first tenth is left out of both the minimum and the descent, since a
    /// bias-corrected average of one or two batches is one batch's loss, and a lucky first batch is not where the loss is lowest.
    /// </summary>
    static int FirstLooked(int n) => Math.Max(0, Math.Min(Math.Max(1, n / 10), n - 1));

    /// <summary>The step of the lowest smoothed loss from the first step the suggestion looks at on (-1 for an empty curve).</summary>
    public static int LowestStep(IReadOnlyList<double> smoothed)
    {
        int n = smoothed.Count;
        if (n == 0) return -1;
        int lowest = FirstLooked(n);
        for (int i = lowest + 1; i < n; i++) if (smoothed[i] < smoothed[lowest]) lowest = i;
        return lowest;
    }

    /// <summary>A copy of everything the test changes, put back by <see cref="Restore"/>.</summary>
    sealed class SavedState : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> _model;
        readonly torch.optim.Optimizer _optimizer;
        readonly (Tensor Live, Tensor Copy)[] _tensors;
        readonly byte[] _optimizerState;
        readonly double[] _rates;
        readonly Tensor _rng;
        readonly bool _training;
        readonly bool[] _hadGradient;

        public SavedState(nn.Module<Tensor, Tensor> model, torch.optim.Optimizer optimizer)
        {
            _model = model;
            _optimizer = optimizer;
            // Parameters and buffers: the state dict holds both (running_mean, running_var, num_batches_tracked).
            using (torch.no_grad())
                _tensors = model.state_dict().Select(kv => (kv.Value, kv.Value.detach().clone().DetachFromDisposeScope())).ToArray();
            using (var ms = new MemoryStream())
            {
                using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(w);
                _optimizerState = ms.ToArray();
            }
            _rates = optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
            _rng = torch.random.get_rng_state().DetachFromDisposeScope();
            _training = model.training;
            _hadGradient = model.parameters().Select(p => p.grad is not null).ToArray();
        }

        public void Restore()
        {
            using (torch.no_grad())
                foreach (var (live, copy) in _tensors) live.copy_(copy);
            using (var r = new BinaryReader(new MemoryStream(_optimizerState))) ((TorchSharp.Modules.OptimizerHelper)_optimizer).load_state_dict(r);
            int i = 0;
            foreach (var g in _optimizer.ParamGroups) g.LearningRate = _rates[i++];
            torch.random.set_rng_state(_rng);
            _model.train(_training);
            // A gradient the test created is removed: an optimiser steps (and decays) every parameter that has one,
            // which would move a backbone that "freeze_backbone_epochs" leaves without gradients.
            int k = 0;
            foreach (var p in _model.parameters())
                if (!_hadGradient[k++] && p.grad is { } g) { p.grad = null; g.Dispose(); }
        }

        public void Dispose()
        {
            foreach (var (_, copy) in _tensors) copy.Dispose();
            _rng.Dispose();
        }
    }
}
