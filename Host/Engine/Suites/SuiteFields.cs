using Zoo.Abstractions;
using Zoo.Engine.Training;

namespace Zoo.Engine.Suites;

/// <summary>
/// The suite file's own scalar fields with their defaults and ranges, declared once (<see cref="Param"/>): the parser
/// reads each with its declaration, the terminal UI's suite builder takes its hints from them, and `zoo list
/// --parameters` (docs/parameters.md) lists them beside the catalogue's parameters. The fields that are objects or
/// lists (optimizer, schedule, augment, early_stopping…) are read by the parser; their scalars are declared here too.
/// </summary>
public static class SuiteFields
{
    // the suite's top level
    public static readonly Param<bool> Explain = Param.Flag("explain", true, "Grad-CAM of the explained test images, first filters and feature maps for every run (the report's figures)");

    // "dataset"
    public static readonly Param<int?> Channels = Param.OptionalInteger("channels", 1, 4, "1 grey, 3 RGB; empty: the set's own (generated sets: 1, folders: 3)");
    public static readonly Param<int?> Size = Param.OptionalInteger("size", 8, 1024, "square input in pixels; empty: the set's own (generated sets: 28, folders: 224)");
    public static readonly Param<int> DataSeed = Param.Integer("seed", 0, 0, int.MaxValue, "draws the splits and the generated images");
    public static readonly Param<double> ValFraction = Param.Number("val_fraction", 0.1, 0, 0.9, "share of train held out (stratified) for validation where the set has no validation split");
    public static readonly Param<string> Normalize = Param.Choice("normalize", "dataset", new[] { "dataset", "imagenet", "none" },
        "dataset: mean and std computed on train; imagenet: ImageNet's (3 channels); none");

    // "recipe"
    public static readonly Param<int> Epochs = Param.Integer("epochs", 10, 1, 100_000, "passes over the training split");
    public static readonly Param<int> BatchSize = Param.Integer("batch_size", 64, 1, 1 << 16, "images per optimiser step (before accumulate_steps)");
    public static readonly Param<int> Seed = Param.Integer("seed", 1, 0, int.MaxValue, "initial weights, data order, augmentation and dropout");
    public static readonly Param<string> Optimizer = Param.Text("optimizer.name", "adamw", "the optimiser (`zoo list`: optimisers)");
    public static readonly Param<double> LearningRate = Param.Number("optimizer.lr", 1e-3, 0, OptimizerSpec.MaxLearningRate, "the rate, more than 0, or \"find\" for a range test per model");
    public static readonly Param<string> Schedule = Param.Text("schedule.name", "cosine", "the learning-rate schedule (`zoo list`: schedules)");
    public static readonly Param<double> WarmupEpochs = Param.Number("schedule.warmup_epochs", 0, 0, 1000, "linear warm-up before the schedule, in epochs (fractions allowed)");
    public static readonly Param<double> WarmupStartFactor = Param.Number("schedule.warmup_start_factor", 0.01, 0, 1, "the warm-up starts at this share of the rate");
    public static readonly Param<double> LabelSmoothing = Param.Number("label_smoothing", 0, 0, 0.99, "share of the target spread over all classes");
    public static readonly Param<int> AccumulateSteps = Param.Integer("accumulate_steps", 1, 1, 4096, "batches whose gradients are summed before each optimiser step");
    public static readonly Param<int> FreezeBackboneEpochs = Param.Integer("freeze_backbone_epochs", 0, 0, 100_000, "epochs in which only the head trains (fine-tuning)");
    public static readonly Param<int> Repeats = Param.Integer("repeats", 1, 1, 100, "runs per model, at seeds seed, seed+1, …, for means and confidence intervals");
    public static readonly Param<string> Precision = Param.Choice("precision", "fp32", Precisions.Names.ToArray(), "fp32, or mixed precision: bf16 (CPUs with native bf16, recent GPUs), fp16 (GPUs, with loss scaling)");
    public static readonly Param<double> EmaDecay = Param.Number("ema", 0.9998, 0.5, 0.999999, "decay of the weights' moving average (true: 0.9998); empty: none");
    public static readonly Param<int> PreciseBatchNorm = Param.Integer("precise_bn", 50, 1, 100_000, "training batches to re-estimate BatchNorm's statistics before each evaluation (true: 50); empty: off");
    public static readonly Param<int> Patience = Param.Integer("early_stopping.patience", 5, 1, 100_000, "epochs without improvement before the run stops");
    public static readonly Param<double> MinDelta = Param.Number("early_stopping.min_delta", 0, 0, 1e6, "the smallest change that counts as improvement");

    /// <summary>Every declared field under its section ("dataset", "recipe"), for listings.</summary>
    public static IReadOnlyList<(string Section, ParameterInfo Field)> All { get; } = new (string, ParameterInfo)[]
    {
        ("suite", Explain),
        ("dataset", Channels), ("dataset", Size), ("dataset", DataSeed), ("dataset", ValFraction), ("dataset", Normalize),
        ("recipe", Epochs), ("recipe", BatchSize), ("recipe", Seed), ("recipe", Optimizer), ("recipe", LearningRate), ("recipe", Schedule),
        ("recipe", WarmupEpochs), ("recipe", WarmupStartFactor), ("recipe", LabelSmoothing), ("recipe", AccumulateSteps),
        ("recipe", FreezeBackboneEpochs), ("recipe", Repeats), ("recipe", Precision), ("recipe", EmaDecay), ("recipe", PreciseBatchNorm),
        ("recipe", Patience), ("recipe", MinDelta),
    };
}
