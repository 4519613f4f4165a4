using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Engine.Results;

namespace Zoo.Engine.Training;

/// <summary>
/// An optimiser as a suite names it, with its parameters; an <see cref="IOptimizerFactory"/> of that name
/// creates it (<see cref="BuiltInOptimizers"/>, or a plugin's).
/// </summary>
public sealed record OptimizerSpec(string Name, double LearningRate, ParameterBag Parameters)
{
    /// <summary>The largest learning rate a suite may give.</summary>
    public const double MaxLearningRate = 100;

    /// <summary>
    /// Where the suite says <c>"lr": "find"</c>: each model runs a learning-rate range test first and trains at the rate it
    /// suggests (<see cref="LearningRateFinder"/>); <see cref="LearningRate"/> is then only the optimiser's starting value
    /// until the run replaces it with the found rate. Null: train at <see cref="LearningRate"/>.
    /// </summary>
    public LearningRateSearch? Find { get; init; }

    /// <summary>Why a learning rate of 0 or less is refused.</summary>
    public static string NotPositive(double lr) =>
        $"{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range; a learning rate must be more than 0 (allowed: more than 0, up to {MaxLearningRate})";

    /// <summary>
    /// Creates the optimiser with <paramref name="factory"/> over the model's named parameters; <paramref name="learningRateOf"/>
    /// gives some parameters another rate (<see cref="OptimizerContext.LearningRateOf"/>).
    /// </summary>
    public torch.optim.Optimizer Create(IOptimizerFactory factory, IEnumerable<(string Name, Parameter Parameter)> named, Func<string, double>? learningRateOf = null)
    {
        // A rate of 0 leaves every weight where it started: the run would "finish" having learnt nothing.
        if (!(LearningRate > 0)) throw new ZooConfigException(string.IsNullOrEmpty(Parameters.Where) ? "lr" : $"{Parameters.Where}.lr", NotPositive(LearningRate));
        return factory.Create(named.ToList(), new OptimizerContext(LearningRate, Parameters) { LearningRateOf = learningRateOf });
    }
}

/// <summary>A schedule as a suite names it, with an optional linear warm-up in front.</summary>
public sealed record ScheduleSpec(string Name, ParameterBag Parameters, double WarmupEpochs = 0, double WarmupStartFactor = 0.01);

/// <summary>How to train: epochs, batch size, optimiser, schedule, augmentation and regularisation.</summary>
public sealed record Recipe
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    public int Seed { get; init; } = 1;
    public OptimizerSpec Optimizer { get; init; } = new("adamw", 1e-3, ParameterBag.Empty);
    public ScheduleSpec Schedule { get; init; } = new("cosine", ParameterBag.Empty);
    public double LabelSmoothing { get; init; }
    public double? Dropout { get; init; }
    public double? StochasticDepth { get; init; }
    /// <summary>Per-image augmentations (train only), in order.</summary>
    public IReadOnlyList<(string Name, ParameterBag Parameters)> Augment { get; init; } = Array.Empty<(string, ParameterBag)>();
    /// <summary>Batch augmentations (Mixup, CutMix), in order.</summary>
    public IReadOnlyList<(string Name, ParameterBag Parameters)> BatchAugment { get; init; } = Array.Empty<(string, ParameterBag)>();
    /// <summary>Decay of an exponential moving average of the weights, evaluated and saved alongside (null: none).</summary>
    public double? Ema { get; init; }
    /// <summary>
    /// Before each evaluation, recompute every BatchNorm's running statistics as the average over this many
    /// training batches (<see cref="PreciseBatchNorm"/>), for the model and its moving average (null: keep the running averages).
    /// </summary>
    public int? PreciseBatchNorm { get; init; }
    /// <summary>Rescale the gradients so their global L2 norm is at most this (null: no clipping).</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Clamp every gradient element to ±this (null: no clipping).</summary>
    public double? ClipGradValue { get; init; }
    /// <summary>Batches whose gradients are summed before one optimiser step.</summary>
    public int AccumulateSteps { get; init; } = 1;
    /// <summary>Stop when the metric has not improved for the patience (null: never).</summary>
    public EarlyStopping? EarlyStopping { get; init; }
    /// <summary>
    /// Fine-tuning: for the first this many epochs only the head (<see cref="Trainer.Head"/>: the re-initialised
    /// classifier, else the model's last layer) trains and every other parameter is frozen; then all train (0: none frozen).
    /// </summary>
    public int FreezeBackboneEpochs { get; init; }
    /// <summary>
    /// Fine-tuning: the head's learning rate (the same head as <see cref="FreezeBackboneEpochs"/>), where the rest trains at the
    /// optimiser's "lr"; schedules and warm-up scale both alike (null: one rate for all).
    /// </summary>
    public double? HeadLearningRate { get; init; }
    /// <summary>
    /// How many times each model trains, at seeds Seed, Seed + 1, …: each repeat is a run of its own, and the comparison
    /// gives every metric a mean, a standard deviation and a 95 % interval over them (<see cref="Results.RepeatGroup"/>).
    /// </summary>
    public int Repeats { get; init; } = 1;
    /// <summary>
    /// The number format of the run's forward passes: fp32, or mixed precision (bf16, fp16) under LibTorch's autocast with
    /// float32 weights, optimiser state and losses (<see cref="Autocast"/>); fp16 adds a dynamic loss scale (<see cref="LossScaler"/>).
    /// </summary>
    public Precision Precision { get; init; } = Precision.Fp32;
    /// <summary>Record when the metric first reaches a value, and optionally stop there (seeds/002's "time to 99 %").</summary>
    public TargetSpec? Target { get; init; }
}

/// <summary>Early stopping: <see cref="Patience"/> epochs without an improvement of at least <see cref="MinDelta"/>.</summary>
public sealed record EarlyStopping(string Metric, int Patience, double MinDelta)
{
    /// <summary>Losses are minimised, everything else maximised.</summary>
    public bool Maximise => !Metric.Contains("loss", StringComparison.Ordinal);

    /// <summary>The reason to stop when the metric has not improved by <see cref="MinDelta"/> for <see cref="Patience"/> epochs, else null.</summary>
    public string? StopReason(IReadOnlyList<EpochRecord> epochs)
    {
        double? best = null;
        int bestEpoch = 0;
        foreach (var e in epochs)
        {
            if (e.Metric(Metric) is not { } v) continue;
            if (best is null || (Maximise ? v > best + MinDelta : v < best - MinDelta)) { best = v; bestEpoch = e.Epoch; }
        }
        if (best is null) return null;
        int since = epochs[^1].Epoch - bestEpoch;
        return since >= Patience
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"early stopping: {Metric} has not improved on {best:G4} (epoch {bestEpoch}) for {since} epochs")
            : null;
    }
}

/// <summary>A target: the first epoch at which <see cref="Metric"/> reaches <see cref="Value"/>.</summary>
public sealed record TargetSpec(string Metric, double Value, bool Stop)
{
    public bool Maximise => !Metric.Contains("loss", StringComparison.Ordinal);
    public bool ReachedBy(double value) => Maximise ? value >= Value : value <= Value;
}
