using System.Globalization;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Tui;

/// <summary>Where a model of a running suite is.</summary>
public enum RunState { Queued, Training, Finished, Diverged, Failed, Crashed, Interrupted, Skipped }

/// <summary>One model's line on the run board: its state, where it is inside its run, its pace and its latest numbers.</summary>
public sealed record BoardRow(string Label, string Variant)
{
    public RunState State { get; init; } = RunState.Queued;
    public int Epoch { get; init; }
    public int Epochs { get; init; }
    public int Step { get; init; }
    public int Steps { get; init; }
    public double ImagesPerSecond { get; init; }
    /// <summary>Seconds left in this run at its pace so far (training steps only), or null before it has one.</summary>
    public double? SecondsLeft { get; init; }
    public double? TrainLoss { get; init; }
    public double? ValTop1 { get; init; }
    public double? TestTop1 { get; init; }
    public double? ResidentMb { get; init; }
    /// <summary>The run was seen not to learn (<see cref="RunNotLearning"/>) or ended so (<see cref="RunResult.DidNotLearn"/>).</summary>
    public bool NotLearning { get; init; }
    /// <summary>The run's finished epochs, for its curves.</summary>
    public IReadOnlyList<EpochRecord> History { get; init; } = Array.Empty<EpochRecord>();

    /// <summary>Fraction of this run's training done: finished epochs plus the current one's steps.</summary>
    public double Fraction => State is RunState.Finished or RunState.Skipped ? 1
        : Epochs == 0 ? 0 : Math.Clamp((Epoch - 1 + (Steps == 0 ? 0 : Step / (double)Steps)) / Epochs, 0, 1);

    public IReadOnlyList<string> Cells()
    {
        var inv = CultureInfo.InvariantCulture;
        string P(double? v) => v is { } x ? (x * 100).ToString("F1", inv) + " %" : "-";
        return new[]
        {
            Label, State.ToString().ToLowerInvariant() + (!NotLearning ? "" : State is RunState.Training ? ", not learning" : ", did not learn"),
            Epochs == 0 ? "-" : $"{Math.Min(Epoch, Epochs)}/{Epochs}",
            Steps == 0 ? "-" : $"{Step}/{Steps}",
            ImagesPerSecond > 0 ? ImagesPerSecond.ToString("F0", inv) : "-",
            SecondsLeft is { } s ? ProgressText.Duration(s) : "-",
            TrainLoss is { } l ? l.ToString("F4", inv) : "-", P(ValTop1), P(TestTop1),
            ResidentMb is { } m ? m.ToString("F0", inv) : "-",
        };
    }

    public static readonly IReadOnlyList<string> Headers = new[] { "Model", "State", "Epoch", "Step", "img/s", "Run ETA", "Train loss", "Val top-1", "Test top-1", "RSS MiB" };
}

/// <summary>
/// The live state of a suite run, one <see cref="BoardRow"/> per model, folded from the engine's typed events
/// (<see cref="Apply"/>). No Terminal.Gui here: the run tab lays it out, and the tests drive it with events.
/// </summary>
public sealed class RunBoard
{
    readonly List<BoardRow> _rows;

    public RunBoard(Suite suite) => _rows = suite.Models.Select(m => new BoardRow(m.Label, m.Variant)).ToList();

    public IReadOnlyList<BoardRow> Rows => _rows;

    /// <summary>Fraction of the whole suite done, each model counting equally.</summary>
    public double Fraction => _rows.Count == 0 ? 0 : _rows.Average(r => r.Fraction);

    /// <summary>The row being trained now, or null.</summary>
    public BoardRow? Current => _rows.FirstOrDefault(r => r.State == RunState.Training);

    /// <summary>Folds one event in; returns whether a row changed.</summary>
    public bool Apply(SuiteEvent e)
    {
        if (e is not RunEvent re) return false;
        int i = _rows.FindIndex(r => r.Label == re.Label);
        if (i < 0) return false;
        var row = _rows[i];
        _rows[i] = e switch
        {
            RunStarted s => row with { State = RunState.Training, Epochs = s.Epochs, Epoch = 1, Step = 0, Steps = 0 },
            RunResumed r => row with { State = RunState.Training, Epoch = r.Epoch + 1 },
            StepProgress p => row with
            {
                State = RunState.Training, Epoch = p.Epoch, Epochs = p.Epochs, Step = p.Step, Steps = p.Steps,
                ImagesPerSecond = p.ImagesPerSecond, TrainLoss = p.Loss,
                SecondsLeft = p.EpochSecondsLeft is { } left ? left + (p.Epochs - p.Epoch) * p.Seconds / Math.Max(1, p.Step) * p.Steps : null,
            },
            EpochEnded ee => row with
            {
                Epoch = ee.Record.Epoch + 1 > ee.Epochs ? ee.Epochs : ee.Record.Epoch + 1, Epochs = ee.Epochs, Step = 0,
                TrainLoss = ee.Record.TrainLoss, ValTop1 = ee.Record.ValTop1 ?? row.ValTop1, ResidentMb = ee.Record.ResidentMb,
                History = row.History.Append(ee.Record).ToArray(),
            },
            RunNotLearning => row with { NotLearning = true },
            RunSkipped sk => Ended(row, sk.Result, RunState.Skipped),
            RunEnded end => Ended(row, end.Result, end.Result.Status switch
            {
                RunStatus.Finished => RunState.Finished,
                RunStatus.Diverged => RunState.Diverged,
                RunStatus.Interrupted => RunState.Interrupted,
                RunStatus.Crashed => RunState.Crashed,
                _ => RunState.Failed,
            }),
            _ => row,
        };
        return !ReferenceEquals(row, _rows[i]) && row != _rows[i];
    }

    static BoardRow Ended(BoardRow row, RunResult result, RunState state) => row with
    {
        State = state, Step = state == RunState.Interrupted ? row.Step : row.Steps, SecondsLeft = null, TestTop1 = result.Test?.Top1,
        ValTop1 = result.BestValTop1 ?? row.ValTop1, Epochs = row.Epochs == 0 ? result.Epochs.Count : row.Epochs,
        Epoch = result.Epochs.Count, History = result.Epochs, NotLearning = result.DidNotLearn is not null,
    };
}
