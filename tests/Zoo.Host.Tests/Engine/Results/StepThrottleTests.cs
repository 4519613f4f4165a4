using Zoo.Engine.Results;

namespace Zoo.Host.Tests;

/// <summary>The one rule the console, the terminal UI and a worker use to thin out per-step progress.</summary>
public sealed class StepThrottleTests
{
    static StepProgress Step(int step, int steps = 10) => new(new RunRef(1, 1, "m"), 1, 3, step, steps, step * 32, 1.0, step * 0.01);

    [Fact]
    public void Within_an_interval_only_the_first_step_passes_unless_epoch_edges_are_kept()
    {
        var plain = new StepThrottle(TimeSpan.FromHours(1), keepEpochEdges: false);
        Assert.Equal(new[] { 2 }, Enumerable.Range(2, 9).Where(i => plain.Admit(Step(i))).ToArray());   // the first seen, then quiet

        var edges = new StepThrottle(TimeSpan.FromHours(1), keepEpochEdges: true);
        Assert.Equal(new[] { 1, 10 }, Enumerable.Range(1, 10).Where(i => edges.Admit(Step(i))).ToArray());   // the epoch's start and end

        var every = new StepThrottle(TimeSpan.Zero, keepEpochEdges: false);
        Assert.Equal(10, Enumerable.Range(1, 10).Count(i => every.Admit(Step(i))));
    }
}
