using System.Diagnostics;

namespace Zoo.Engine.Results;

/// <summary>
/// Which <see cref="StepProgress"/> events a watcher passes on. The trainer reports every step (a small model's takes a
/// few milliseconds), and nobody reads progress that fast: the console's step line redraws four times a second (a line
/// every ten seconds into a file), the terminal UI's too, and a worker process sends at most ten a second to its parent.
/// One rule for all three: the first step after a quiet <see cref="Interval"/>, and, where <see cref="KeepEpochEdges"/>,
/// always an epoch's first and last step, so a watcher sees each epoch start and finish.
/// </summary>
public sealed class StepThrottle(TimeSpan interval, bool keepEpochEdges)
{
    readonly Stopwatch _since = new();

    public TimeSpan Interval => interval;
    public bool KeepEpochEdges => keepEpochEdges;

    /// <summary>Whether to pass this step on (and if so, the interval starts again from now).</summary>
    public bool Admit(StepProgress s)
    {
        bool edge = keepEpochEdges && (s.Step == 1 || s.Step == s.Steps);
        if (!edge && _since.IsRunning && _since.Elapsed < interval) return false;
        _since.Restart();
        return true;
    }
}
