namespace Zoo.Engine.Results;

/// <summary>
/// What a learning-rate range test measured (<see cref="Training.LearningRateFinder"/>, issue 29): the rate of each
/// step, the loss of that step's batch, the loss smoothed, the suggested rate and why the test stopped. A run of a
/// suite with <c>"lr": "find"</c> keeps it in its result (results.json), and the report draws it.
/// </summary>
public sealed record LearningRateCurve
{
    /// <summary>The rate of each step, rising exponentially from <see cref="Start"/> towards <see cref="End"/>.</summary>
    public IReadOnlyList<double> Rates { get; init; } = Array.Empty<double>();
    /// <summary>The loss of each step's batch, before that step's update.</summary>
    public IReadOnlyList<double> Losses { get; init; } = Array.Empty<double>();
    /// <summary>The losses' exponential moving average with bias correction (what the suggestion reads).</summary>
    public IReadOnlyList<double> Smoothed { get; init; } = Array.Empty<double>();
    /// <summary>The suggested rate (<see cref="Training.LearningRateFinder.SuggestionRule"/>).</summary>
    public double Suggested { get; init; }
    /// <summary>The step (0-based index into <see cref="Rates"/>) of the suggestion.</summary>
    public int SuggestedStep { get; init; }
    /// <summary>The rate the test started at.</summary>
    public double Start { get; init; }
    /// <summary>The rate the test would have ended at had the loss not diverged.</summary>
    public double End { get; init; }
    /// <summary>Steps asked for; <see cref="Rates"/> is shorter where the loss diverged first.</summary>
    public int Steps { get; init; }
    /// <summary>Why the test ended, in words ("the smoothed loss 9.4 passed 4 × its lowest, 2.29, at 1.2e-1").</summary>
    public string StoppedBecause { get; init; } = "";
    /// <summary>The suggestion's rule in words, so a reader of results.json need not look it up.</summary>
    public string Rule { get; init; } = "";
}
