using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

/// <summary>One run of a suite, as <see cref="SuiteRunner"/> hands it to an <see cref="IRunExecutor"/>.</summary>
public sealed record RunJob(Suite Suite, int Index, DatasetSplits Splits, DatasetSummary Data, Device Device, ResultWriter Writer,
    IProgress<SuiteEvent> Report, CancellationToken Cancel)
{
    public ModelEntry Entry => Suite.Models[Index];

    /// <summary>The run as its events name it.</summary>
    public RunRef Run => new(Index + 1, Suite.Models.Count, Entry.Label);
}

/// <summary>How the runs of a suite are executed: in this process, or each in a worker process of its own (<see cref="WorkerExecutor"/>).</summary>
public interface IRunExecutor
{
    /// <summary>Skips, resumes or trains the run, reporting its events, and returns its result; never throws for a fault of the run itself.</summary>
    RunResult Execute(SuiteRunner runner, RunJob job);
}

/// <summary>Runs each model in this process (<see cref="ModelRun"/>): no start-up cost, and a native crash takes the process with it.</summary>
public sealed class InProcessExecutor : IRunExecutor
{
    public static readonly InProcessExecutor Instance = new();

    public RunResult Execute(SuiteRunner runner, RunJob job)
    {
        var result = new ModelRun(runner, job).Execute();
        // The run's model and optimiser are gone: what glibc and the GC keep of them goes back before the next run.
        Zoo.Engine.Training.NativeHeap.ReleaseFreed();
        return result;
    }
}
