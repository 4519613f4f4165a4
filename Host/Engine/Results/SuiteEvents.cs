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

/// <summary>Every run's events carry its place in the suite (1-based) and its label.</summary>
public abstract record RunEvent(int Index, int Count, string Label) : SuiteEvent;

/// <summary>A run starts training (or resumes: <see cref="ResumedFromEpoch"/>).</summary>
public sealed record RunStarted(int Index, int Count, string Label, string Variant, int Epochs, DatasetSummary Dataset) : RunEvent(Index, Count, Label);

/// <summary>A finished run of the same setup was found in the results folder and is not trained again.</summary>
public sealed record RunSkipped(int Index, int Count, string Label, RunResult Result, string Directory) : RunEvent(Index, Count, Label);

/// <summary>A finished run of this label was found, but an input changed since (data, plugin build, weights, recipe): it trains again.</summary>
public sealed record RunInputsChanged(int Index, int Count, string Label, string Reason) : RunEvent(Index, Count, Label);

/// <summary>A run starts from weights in a file; <see cref="Reinitialised"/> names the tensors of a head re-initialised for the data set's classes.</summary>
public sealed record WeightsLoaded(int Index, int Count, string Label, string Path, int Tensors, int Classes, IReadOnlyList<string> Reinitialised) : RunEvent(Index, Count, Label);

/// <summary>A run continues from the checkpoint written after <see cref="Epoch"/>.</summary>
public sealed record RunResumed(int Index, int Count, string Label, int Epoch) : RunEvent(Index, Count, Label);

/// <summary>A run's feature analysis (t-SNE, K-means, DBSCAN) is done; the same record goes into its result.</summary>
public sealed record AnalysisEnded(int Index, int Count, string Label, AnalysisResult Analysis) : RunEvent(Index, Count, Label);

/// <summary>
/// A run whose recipe says "lr": "find" has its rate: a range test just run, or (<see cref="Kept"/>) the one this run's
/// inputs had before an interrupt, kept so that the resumed run trains at the same rate.
/// </summary>
public sealed record LearningRateFound(int Index, int Count, string Label, LearningRateCurve Curve, bool Kept) : RunEvent(Index, Count, Label);

/// <summary>Something about a run worth a line that does not stop it: a recomputed transient fault, an unreadable checkpoint.</summary>
public sealed record RunWarning(int Index, int Count, string Label, string Text) : RunEvent(Index, Count, Label);

/// <summary>
/// A line the run's worker process wrote on its standard error: a native library's message (LibTorch's warnings), never
/// Zoo's own words, which come as the other events. Reported in order with the run's other events; a worker whose
/// output is not a terminal has no other way to be heard, and the terminal UI keeps it in its log, off the screen.
/// </summary>
public sealed record RunOutput(int Index, int Count, string Label, string Line) : RunEvent(Index, Count, Label);

/// <summary>
/// A run is not learning: at chance on training and validation for epochs on end, or with its outputs or its gradient dead
/// (<see cref="Training.LearningCheck"/>). Reported once per run, at the epoch it is seen, or at the end where the
/// result is at chance; the front-end prints the symptoms, the likely cause and the fix.
/// </summary>
public sealed record RunNotLearning(int Index, int Count, string Label, LearningFailure Failure) : RunEvent(Index, Count, Label);

/// <summary>
/// Progress inside an epoch, after every optimiser step: <see cref="Images"/> seen so far this epoch
/// and their mean loss. Sent often; a front-end shows the latest and drops the rest.
/// </summary>
public sealed record StepProgress(int Index, int Count, string Label, int Epoch, int Epochs, int Step, int Steps, long Images, double Loss, double Seconds)
    : RunEvent(Index, Count, Label)
{
    public double ImagesPerSecond => Seconds <= 0 ? 0 : Images / Seconds;

    /// <summary>Seconds left in this epoch's training steps at the pace so far (validation not included), or null before the first step.</summary>
    public double? EpochSecondsLeft => Step <= 0 ? null : Seconds / Step * (Steps - Step);
}

/// <summary>An epoch ended: its measurements (train, validation, learning rate, time, memory). Its checkpoint is on disk by now.</summary>
public sealed record EpochEnded(int Index, int Count, string Label, int Epochs, EpochRecord Record) : RunEvent(Index, Count, Label);

/// <summary>The recipe's target was reached for the first time.</summary>
public sealed record TargetReached(int Index, int Count, string Label, string Metric, bool Maximise, double Value, int Epoch, double Seconds) : RunEvent(Index, Count, Label);

/// <summary>A run stops before its last epoch (early stopping, a reached target that stops).</summary>
public sealed record StoppedEarly(int Index, int Count, string Label, string Reason) : RunEvent(Index, Count, Label);

/// <summary>A run ended: finished, diverged, failed or interrupted (<see cref="RunResult.Status"/>).</summary>
public sealed record RunEnded(int Index, int Count, string Label, RunResult Result) : RunEvent(Index, Count, Label);

/// <summary>The suite ended, or was interrupted (<see cref="SuiteResult.Interrupted"/>); its results are written.</summary>
public sealed record SuiteEnded(SuiteResult Result) : SuiteEvent;

/// <summary>An <see cref="IProgress{T}"/> that calls its handler synchronously, on the reporting thread (unlike <see cref="Progress{T}"/>).</summary>
public sealed class SyncProgress<T>(Action<T> handler) : IProgress<T>
{
    public void Report(T value) => handler(value);
}
