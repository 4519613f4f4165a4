using System.Globalization;

namespace Zoo.Engine.Results;

/// <summary>
/// The suite events as the lines a person reads, shared by the console and the terminal UI's log, so
/// both say the same thing. Step progress is not a line (a front-end shows the latest in place):
/// <see cref="Step"/> formats it.
/// </summary>
public static class ProgressText
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The line for an event, or null for events that print none (steps, a skipped run's end, the suite's end).</summary>
    public static string? Line(SuiteEvent e) => e switch
    {
        SuiteStarted s => $"{s.Suite}: {Numbers.Count(s.Runs, "run")} into {s.OutputDirectory}",
        DatasetOpened d => Dataset(d.Dataset),
        DatasetMessage m => m.Text,
        WeightsPulling w => $"downloading the {w.Id} weights from {w.Url} into {w.Path}",
        RunStarted r => $"{Head(r)} training on {r.Dataset.Name} {r.Dataset.Channels}x{r.Dataset.Height}x{r.Dataset.Width}, {r.Dataset.Train} images, {Numbers.Count(r.Epochs, "epoch")}",
        RunSkipped s => $"{Head(s)} already {Status(s.Result)} in {s.Directory} (same model, recipe, data, plugin build and weights): skipped",
        RunInputsChanged c => $"{Head(c)} {c.Reason}; training again",
        WeightsLoaded w => $"    loaded {w.Tensors} tensors from {w.Path}" +
            (w.Reinitialised.Count > 0 ? $"; re-initialised for {w.Classes} classes: {string.Join(", ", w.Reinitialised)}" : ""),
        RunResumed r => $"    resuming from the checkpoint after epoch {r.Epoch}",
        LearningRateFound f => LearningRate(f),
        RunWarning w => $"    warning: {w.Text}",
        RunOutput o => $"    [{o.Label} stderr] {o.Line}",
        RunNotLearning n => $"    WARNING: not learning since epoch {n.Failure.Epoch}: {NotLearning(n.Failure)}",
        AnalysisEnded a => string.Create(Inv, $"    feature analysis: {a.Analysis.Images} test images, {a.Analysis.FeatureWidth} features; ARI K-means {a.Analysis.KmeansAri:F3}, DBSCAN {a.Analysis.DbscanAri:F3} (eps {a.Analysis.DbscanEps:G3}, MinPts {a.Analysis.DbscanMinPts}); {a.Analysis.TsneSeconds + a.Analysis.ClusteringSeconds:F1} s"),
        EpochEnded x => Epoch(x),
        TargetReached t => string.Create(Inv, $"    target {t.Metric} {(t.Maximise ? ">=" : "<=")} {Numbers.Short(t.Value, 4)} reached at epoch {t.Epoch}, {t.Seconds:F1} s"),
        StoppedEarly s => $"    stopped early: {s.Reason}",
        RunEnded { Result.Reused: true } => null,
        RunEnded r => Ended(r),
        _ => null,
    };

    /// <summary>"    learning rate 0.0023 from a range test: 100 steps, 1e-07 to 10 (…); steepest descent of the smoothed loss".</summary>
    static string LearningRate(LearningRateFound f) => f.Kept
        ? $"    learning rate {Numbers.Short(f.Curve.Suggested, 3)}, from this run's range test before the interrupt (kept, so the run goes on at the same rate)"
        : $"    learning rate {Numbers.Short(f.Curve.Suggested, 3)} from a range test of {Numbers.Count(f.Curve.Rates.Count, "step")} from {Numbers.Short(f.Curve.Start, 3)} up ({f.Curve.StoppedBecause}): the steepest descent of the smoothed loss";

    /// <summary>One line of progress inside an epoch: step, images per second, time left, mean loss so far.</summary>
    public static string Step(StepProgress s) => "    " + StepBody(s);

    /// <summary>The step line with the run it belongs to in front ("[1/3] resnet18 epoch 2/5  step 38/62 …"), for a line shown on its own.</summary>
    public static string StepLine(StepProgress s) => $"[{s.Index}/{s.Count}] {s.Label} " + StepBody(s);

    static string StepBody(StepProgress s) => string.Create(Inv,
        $"epoch {s.Epoch}/{s.Epochs}  step {s.Step}/{s.Steps}  {s.ImagesPerSecond:F0} img/s  {(s.EpochSecondsLeft is { } left ? $"ETA {Duration(left)}" : "")}  loss {s.Loss:F4}");

    static string Head(RunEvent r) => $"[{r.Index}/{r.Count}] {r.Label}:";

    static string Status(RunResult r) => r.Status.ToString().ToLowerInvariant() + (r.DidNotLearn is null ? "" : " (did not learn)");

    /// <summary>A learning failure's symptoms, likely cause and fix in one sentence each.</summary>
    public static string NotLearning(LearningFailure f) => $"{string.Join("; ", f.Symptoms)}. Likely cause: {f.Cause}. Fix: {f.Fix}.";

    static string Dataset(DatasetSummary d)
    {
        var line = string.Create(Inv, $"data: {d.Name} {d.Channels}x{d.Height}x{d.Width}, {Numbers.Count(d.Classes.Count, "class", "classes")}; {d.Train} train / {d.Validation} val / {d.Test} test");
        if (d.Skipped.Count == 0) return line;
        var lines = new List<string> { line, $"    {d.Skipped.Count} unreadable image(s) skipped:" };
        lines.AddRange(d.Skipped.Take(20).Select(s => $"      {s}"));
        if (d.Skipped.Count > 20) lines.Add($"      … and {d.Skipped.Count - 20} more (all in results.json)");
        return string.Join(Environment.NewLine, lines);
    }

    static string Epoch(EpochEnded x)
    {
        var r = x.Record;
        return string.Create(Inv,
            $"    epoch {r.Epoch}/{x.Epochs}  lr {Numbers.Short(r.LearningRate)}  train loss {r.TrainLoss:F4} top-1 {Numbers.Percent(r.TrainTop1)}  val loss {(r.ValLoss is { } vl ? vl.ToString("F4", Inv) : "-")} top-1 {Numbers.Percent(r.ValTop1)} top-5 {Numbers.Percent(r.ValTop5)}{(r.EmaValTop1 is { } et ? $"  EMA top-1 {Numbers.Percent(et)}" : "")}  {r.Seconds:F1} s  RSS {r.ResidentMb:F0} MiB");
    }

    static string Ended(RunEnded e)
    {
        var r = e.Result;
        return r.Status switch
        {
            RunStatus.Finished when r.DidNotLearn is not null => string.Create(Inv, $"{Head(e)} finished but DID NOT LEARN: best val top-1 {Numbers.Percent(r.BestValTop1)}, test top-1 {Numbers.Percent(r.Test?.Top1)} are chance, not a result; {r.TotalSeconds:F1} s"),
            RunStatus.Finished => string.Create(Inv, $"{Head(e)} finished, best val top-1 {Numbers.Percent(r.BestValTop1)} at epoch {r.BestEpoch}, test top-1 {Numbers.Percent(r.Test?.Top1)}, {r.TotalSeconds:F1} s"),
            RunStatus.Diverged => $"{Head(e)} DIVERGED at epoch {r.DivergedAtEpoch}: {r.Error}",
            RunStatus.Interrupted => $"{Head(e)} interrupted after {Numbers.Count(r.Epochs.Count, "epoch")}; a rerun resumes it",
            _ => $"{Head(e)} FAILED: {r.Error}",
        };
    }

    /// <summary>"42 s", "3 min 05 s", "1 h 02 min".</summary>
    public static string Duration(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours} h {t.Minutes:D2} min"
            : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes} min {t.Seconds:D2} s"
            : $"{(int)Math.Ceiling(t.TotalSeconds)} s";
    }

    /// <summary>An observer that writes every event's line to <paramref name="writer"/> (steps not included).</summary>
    public static IProgress<SuiteEvent> To(TextWriter writer) => new SyncProgress<SuiteEvent>(e =>
    {
        if (Line(e) is { } line) writer.WriteLine(line);
    });
}
