namespace Zoo.Engine.Results;

/// <summary>
/// What a suite run reports while it goes, as typed records: the front-ends (the console, the terminal
/// UI, a worker's message stream) decide how to show them. Events arrive on the thread that runs the
/// suite, in order; an observer that needs another thread hands them over itself.
/// </summary>
public abstract record SuiteEvent;

/// <summary>The suite passed its checks and is about to open its data set.</summary>
public sealed record SuiteStarted(string Suite, int Runs, string OutputDirectory) : SuiteEvent;

/// <summary>The data set is open: its splits, classes and normalisation, and any image that could not be read.</summary>
public sealed record DatasetOpened(DatasetSummary Dataset) : SuiteEvent;

/// <summary>A line of free text from a data set provider (a download's progress, a cache being built).</summary>
public sealed record DatasetMessage(string Text) : SuiteEvent;

/// <summary>A model entry's catalogue weights ("weights": "imagenet") are not in the cache yet and are being downloaded.</summary>
public sealed record WeightsPulling(string Id, string Url, string Path) : SuiteEvent;

/// <summary>Which run of a suite: its place (1-based) among the suite's <see cref="Count"/> runs, and its label.</summary>
public sealed record RunRef(int Index, int Count, string Label);

/// <summary>Every run's events carry the run they are of (<see cref="RunRef"/>).</summary>
public abstract record RunEvent(RunRef Run) : SuiteEvent
{
    [System.Text.Json.Serialization.JsonIgnore] public int Index => Run.Index;
    [System.Text.Json.Serialization.JsonIgnore] public int Count => Run.Count;
    [System.Text.Json.Serialization.JsonIgnore] public string Label => Run.Label;
}

/// <summary>A run starts training (or resumes: <see cref="ResumedFromEpoch"/>).</summary>
public sealed record RunStarted(RunRef Run, string Variant, int Epochs, DatasetSummary Dataset) : RunEvent(Run);

/// <summary>A finished run of the same setup was found in the results folder and is not trained again.</summary>
public sealed record RunSkipped(RunRef Run, RunResult Result, string Directory) : RunEvent(Run);

/// <summary>A finished run of this label was found, but an input changed since (data, plugin build, weights, recipe): it trains again.</summary>
public sealed record RunInputsChanged(RunRef Run, string Reason) : RunEvent(Run);

/// <summary>A run starts from weights in a file; <see cref="Reinitialised"/> names the tensors of a head re-initialised for the data set's classes.</summary>
public sealed record WeightsLoaded(RunRef Run, string Path, int Tensors, int Classes, IReadOnlyList<string> Reinitialised) : RunEvent(Run);

/// <summary>A run continues from the checkpoint written after <see cref="Epoch"/>.</summary>
public sealed record RunResumed(RunRef Run, int Epoch) : RunEvent(Run);

/// <summary>A run's feature analysis (t-SNE, K-means, DBSCAN) is done; the same record goes into its result.</summary>
public sealed record AnalysisEnded(RunRef Run, AnalysisResult Analysis) : RunEvent(Run);

/// <summary>
/// A run whose recipe says "lr": "find" has its rate: a range test just run, or (<see cref="Kept"/>) the one this run's
/// inputs had before an interrupt, kept so that the resumed run trains at the same rate.
/// </summary>
public sealed record LearningRateFound(RunRef Run, LearningRateCurve Curve, bool Kept) : RunEvent(Run);

/// <summary>Something about a run worth a line that does not stop it: a recomputed transient fault, an unreadable checkpoint.</summary>
public sealed record RunWarning(RunRef Run, string Text) : RunEvent(Run);

/// <summary>
/// A line the run's worker process wrote on its standard error: a native library's message (LibTorch's warnings), never
/// Zoo's own words, which come as the other events. Reported in order with the run's other events; a worker whose
/// output is not a terminal has no other way to be heard, and the terminal UI keeps it in its log, off the screen.
/// </summary>
public sealed record RunOutput(RunRef Run, string Line) : RunEvent(Run);

/// <summary>
/// A run is not learning: at chance on training and validation for epochs on end, or with its outputs or its gradient dead
/// (<see cref="Training.LearningCheck"/>). Reported once per run, at the epoch it is seen, or at the end where the
/// result is at chance; the front-end prints the symptoms, the likely cause and the fix.
/// </summary>
public sealed record RunNotLearning(RunRef Run, LearningFailure Failure) : RunEvent(Run);

/// <summary>
/// Progress inside an epoch, after every optimiser step: <see cref="Images"/> seen so far this epoch
/// and their mean loss. Sent often; a front-end shows the latest and drops the rest.
/// </summary>
public sealed record StepProgress(RunRef Run, int Epoch, int Epochs, int Step, int Steps, long Images, double Loss, double Seconds)
    : RunEvent(Run)
{
    public double ImagesPerSecond => Seconds <= 0 ? 0 : Images / Seconds;

    /// <summary>Seconds left in this epoch's training steps at the pace so far (validation not included), or null before the first step.</summary>
    public double? EpochSecondsLeft => Step <= 0 ? null : Seconds / Step * (Steps - Step);
}

/// <summary>An epoch ended: its measurements (train, validation, learning rate, time, memory). Its checkpoint is on disk by now.</summary>
public sealed record EpochEnded(RunRef Run, int Epochs, EpochRecord Record) : RunEvent(Run);

/// <summary>The recipe's target was reached for the first time.</summary>
public sealed record TargetReached(RunRef Run, string Metric, bool Maximise, double Value, int Epoch, double Seconds) : RunEvent(Run);

/// <summary>A run stops before its last epoch (early stopping, a reached target that stops).</summary>
public sealed record StoppedEarly(RunRef Run, string Reason) : RunEvent(Run);

/// <summary>A run ended: finished, diverged, failed or interrupted (<see cref="RunResult.Status"/>).</summary>
public sealed record RunEnded(RunRef Run, RunResult Result) : RunEvent(Run);

/// <summary>The suite ended, or was interrupted (<see cref="SuiteResult.Interrupted"/>); its results are written.</summary>
public sealed record SuiteEnded(SuiteResult Result) : SuiteEvent;

/// <summary>An <see cref="IProgress{T}"/> that calls its handler synchronously, on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
