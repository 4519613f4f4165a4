using System.Text.Json.Serialization;

namespace Zoo.Engine.Results;

/// <summary>How a run ended.</summary>
public enum RunStatus
{
    Finished,
    Diverged,
    Failed,
    /// <summary>Stopped by the user (Ctrl+C, Esc); its checkpoint resumes it on the next run of the suite.</summary>
    Interrupted,
    /// <summary>Its worker process died (a signal, an abort, an out-of-memory kill); <see cref="RunResult.Error"/> says how. Tried again by a rerun.</summary>
    Crashed,
}

/// <summary>
/// The outcome of training one model of a suite: what results.json lists per run and what
/// runs/&lt;label&gt;.result.json stores for a rerun, both through <see cref="ZooJson.Options"/>.
/// </summary>
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
    /// <summary>Multiply-accumulates of one forward pass at batch 1 on the suite's input size, in billions.</summary>
    public double? Gmacs { get; init; }
    public double SizeMb => Parameters * 4 / (1024.0 * 1024.0);
    public IReadOnlyList<EpochRecord> Epochs { get; init; } = Array.Empty<EpochRecord>();
    public int? BestEpoch { get; init; }
    public double? BestValTop1 { get; init; }
    /// <summary>Validation of the best-on-validation weights at the end of the run (with its confusion matrix).</summary>
    [JsonPropertyName("val_best_weights")] public EvalResult? Validation { get; init; }
    /// <summary>Test with the best-on-validation weights: the figure the comparison reports.</summary>
    public EvalResult? Test { get; init; }
    /// <summary>
    /// Which test images <see cref="Test"/> got right, '1' or '0' per image in the test set's order: what the paired
    /// tests of a comparison (<see cref="PairedTest"/>, McNemar on the same images) read. Null before a test evaluation.
    /// </summary>
    public string? TestCorrect { get; init; }
    /// <summary>The seed the run trained at (the recipe's, plus its repeat's offset).</summary>
    public int? Seed { get; init; }
    /// <summary>
    /// The number format of the run's forward passes: "fp32", or mixed precision "bf16" or "fp16" (float32 weights). Null in
    /// results written before precision was recorded, which were all fp32.
    /// </summary>
    public string? Precision { get; init; }
    /// <summary>The label of the model entry this run is a repeat of ("repeats" in the recipe), or null for a model trained once.</summary>
    public string? RepeatOf { get; init; }
    /// <summary>Which repeat, 1 to N (null for a model trained once).</summary>
    public int? Repeat { get; init; }
    /// <summary>Test with the final weights and with the weights' moving average.</summary>
    [JsonPropertyName("test_final_weights")] public EvalResult? TestFinal { get; init; }
    public EvalResult? TestEma { get; init; }
    /// <summary>Why the run ended before its last epoch (early stopping, a reached target), or null.</summary>
    public string? StoppedEarly { get; init; }
    /// <summary>First epoch (and seconds into the run) at which the recipe's target was reached.</summary>
    public int? TargetEpoch { get; init; }
    public double? TargetSeconds { get; init; }
    /// <summary>The epoch after which this run was resumed from its checkpoint, or null.</summary>
    public int? ResumedFromEpoch { get; init; }
    /// <summary>The run's recipe in words where the model entry overrode the suite's.</summary>
    public string? OwnRecipe { get; init; }
    public double TotalSeconds { get; init; }
    /// <summary>The feature analysis of the best weights on the test set (t-SNE, K-means, DBSCAN, ARI), if the suite asked for it.</summary>
    public AnalysisResult? Analysis { get; init; }
    public double MeanEpochSeconds => Epochs.Count == 0 ? 0 : Epochs.Average(e => e.Seconds);
    /// <summary>
    /// Set when the run finished but its best weights are no better than chance on validation (else test): its numbers
    /// are not a result, and the comparison sorts it after those that are (<see cref="Training.LearningCheck"/>).
    /// </summary>
    public LearningFailure? DidNotLearn { get; init; }
    /// <summary>The (base) learning rate the run trained at: the recipe's, or where it says "find", the range test's suggestion.</summary>
    [JsonPropertyName("lr")] public double? LearningRate { get; init; }
    /// <summary>The learning-rate range test the run's rate came from (<c>"lr": "find"</c>), or null.</summary>
    [JsonPropertyName("lr_find")] public LearningRateCurve? LearningRateFind { get; init; }
    /// <summary>Taken from an earlier run of the same suite into the same folder, not trained again.</summary>
    [JsonIgnore] public bool Reused { get; init; }
}

/// <summary>
/// A run that is not learning (issue 26): the epoch it was first seen at, what was measured there (accuracy at chance,
/// one class for nearly every image, the loss at ln(classes), a zero gradient), the likely cause and the fix, each
/// in words. <see cref="RunNotLearning"/> carries it while the run goes; <see cref="RunResult.DidNotLearn"/> when it ends so.
/// </summary>
public sealed record LearningFailure(int Epoch, IReadOnlyList<string> Symptoms, string Cause, string Fix);
