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

    /// <summary>How far below its starting level the smoothed loss must fall for the test to have seen the model learn: 3 %.</summary>
    public const double MinimumFall = 0.03;

    /// <summary>
    /// Why the suggestion is noise, in words, or null where the test saw the loss fall. The test's starting level is the
    /// median smoothed loss over the first quarter of its steps (the first tenth left out, as the suggestion leaves it out);
    /// where the lowest smoothed loss after that is not <see cref="MinimumFall"/> below it, the model learned at no rate the
    /// test tried, and its "steepest descent" is the steepest wobble of a flat line. Measured on the built-in shapes (10
    /// classes, ln 10 = 2.30): the curves of runs that then learned nothing fell 0.1 to 1.7 % (SqueezeNet 1.1 over 200 steps,
    /// suggesting 6.4e-7 and 7.7e-7; ShuffleNet V2 1.7 %; LeNet-5 over 100 steps 0.5 %), those of runs that learned 4.8 to
    /// 28 % (LeNet-5 and ShuffleNet V2 over 200 steps, 4.8 to 8.2 %; ResNet-18 over 200, 11 %; LeNet-5 over 300, 28 %).
    /// A curve that falls and still yields a noisy suggestion is not caught.
    /// </summary>
    public string? Doubt()
    {
        int n = Smoothed.Count, first = Math.Max(1, n / 10), quarter = Math.Max(first + 1, n / 4);
        if (n < 10) return null;
        var start = Smoothed.Skip(first).Take(quarter - first).Order().ToArray();
        double level = start[start.Length / 2], lowest = Smoothed.Skip(first).Min();
        if (!double.IsFinite(level) || lowest < level * (1 - MinimumFall)) return null;
        return $"its smoothed loss never fell {MinimumFall * 100:0} % below where it started (lowest {Numbers.Short(lowest)}, against " +
            $"{Numbers.Short(level)} over the first quarter of its {n} steps), so the model learned at no rate it tried and the " +
            $"suggested {Numbers.Short(Suggested)} is noise; give the test more steps (\"lr_find\": {{\"steps\": {Math.Max(n, Steps) * 3}}}) or \"lr\" a number";
    }
}
