using System.Text.Json.Serialization;

namespace Zoo.Engine.Results;

/// <summary>One epoch's measurements.</summary>
public sealed record EpochRecord(
    int Epoch, [property: JsonPropertyName("lr")] double LearningRate, double TrainLoss, double TrainTop1,
    double? ValLoss, double? ValTop1, double? ValTop5, double Seconds, double ResidentMb)
{
    /// <summary>Mean global L2 norm of the gradients before clipping, over the epoch's optimiser steps (every tenth unless clipping by norm).</summary>
    public double GradNorm { get; init; }
    /// <summary>
    /// The learning rate of the epoch's optimiser steps: of all of them where there are at most
    /// <see cref="MaxLearningRateSteps"/>, else of the steps starting the epoch's n equal parts (step round(j·steps/n)
    /// for j = 0 … n-1), so a warm-up or a per-step decay shows within the epoch; the first is <see cref="LearningRate"/>,
    /// the rate at the epoch's start. Null in results of an older Zoo.
    /// </summary>
    [JsonPropertyName("lr_steps")] public IReadOnlyList<double>? LearningRateSteps { get; init; }

    public const int MaxLearningRateSteps = 11;

    /// <summary>At most <see cref="MaxLearningRateSteps"/> of <paramref name="rates"/>: sample j of n is rate round(j·count/n), evenly spaced from the first.</summary>
    public static double[] SampleSteps(IReadOnlyList<double> rates)
    {
        int n = Math.Min(rates.Count, MaxLearningRateSteps);
        return Enumerable.Range(0, n).Select(j => rates[Math.Min(rates.Count - 1, (int)Math.Round(j * rates.Count / (double)n))]).ToArray();
    }

    /// <summary>Validation of the weights' moving average, where the recipe keeps one.</summary>
    public double? EmaValLoss { get; init; }
    public double? EmaValTop1 { get; init; }

    /// <summary>The epoch's value of a metric name as suites use them (val_top1, train_loss…), or null.</summary>
    public double? Metric(string name) => name switch
    {
        "val_top1" => ValTop1, "val_top5" => ValTop5, "val_loss" => ValLoss,
        "train_top1" => TrainTop1, "train_loss" => TrainLoss,
        "ema_val_top1" => EmaValTop1, "ema_val_loss" => EmaValLoss,
        _ => null,
    };
}

/// <summary>Loss and accuracy over a split, with the confusion matrix (rows: true class, columns: predicted).</summary>
public sealed record EvalResult(double Loss, double Top1, double Top5, [property: JsonPropertyName("images")] int Count, double Seconds)
{
    /// <summary>Inference time per image in milliseconds (forward passes only, batched).</summary>
    [JsonPropertyName("inference_ms_per_image")]
    public double MillisecondsPerImage => Count == 0 ? 0 : Seconds * 1000 / Count;

    /// <summary>Counts [true][predicted].</summary>
    public int[][] Confusion { get; init; } = Array.Empty<int[]>();

    /// <summary>Each image's predicted class and its softmax probability, in the set's order (not written to JSON).</summary>
    [JsonIgnore] public int[]? Predicted { get; init; }
    [JsonIgnore] public float[]? Confidence { get; init; }
    /// <summary>Whether each image's top-1 class was its label, in the set's order (not written to JSON here; a run keeps its test's as <c>test_correct</c>).</summary>
    [JsonIgnore] public bool[]? Correct { get; init; }

    /// <summary>Top-1 accuracy of each true class (null for a class with no images).</summary>
    public double?[] PerClassTop1 => Confusion.Select((row, i) => row.Sum() == 0 ? (double?)null : row[i] / (double)row.Sum()).ToArray();
}
