using System.Globalization;
using Zoo.Engine.Results;

namespace Zoo.Tui;

/// <summary>What the curves show: loss or top-1 accuracy per epoch.</summary>
public enum CurveMetric { Accuracy, Loss }

/// <summary>One line of a plot: its legend text and its points (epoch, value), finite values only.</summary>
public sealed record CurveSeries(string Name, IReadOnlyList<(int Epoch, double Value)> Points);

/// <summary>
/// A plot of learning curves, ready to draw: its title, the y axis's name, one series per line and the ranges that
/// hold every point. Made from the runs' <see cref="EpochRecord"/>s as the engine recorded them (the events during a
/// run, results.json after it); nothing is recomputed, accuracies only turn into percent.
/// </summary>
public sealed record CurvePlot(string Title, string Axis, IReadOnlyList<CurveSeries> Series, int LastEpoch, double Min, double Max)
{
    public bool IsEmpty => Series.All(s => s.Points.Count == 0);

    /// <summary>
    /// Every run's validation top-1 (or training loss) on one plot (<paramref name="selected"/> null), or the selected run's
    /// training and validation curves of that metric. A run without finished epochs gives an empty series (still in the legend).
    /// </summary>
    public static CurvePlot Of(IEnumerable<(string Label, IReadOnlyList<EpochRecord> Epochs)> runs, CurveMetric metric, string? selected)
    {
        var list = runs.ToList();
        List<CurveSeries> series;
        string what;
        if (selected is null)
        {
            what = metric == CurveMetric.Accuracy ? "val top-1 (%), every model" : "train loss, every model";
            series = list.Select(r => Line(r.Label, r.Epochs, metric == CurveMetric.Accuracy ? e => Pct(e.ValTop1) : e => e.TrainLoss)).ToList();
        }
        else
        {
            var epochs = list.FirstOrDefault(r => r.Label == selected).Epochs ?? Array.Empty<EpochRecord>();
            what = metric == CurveMetric.Accuracy ? $"top-1 (%) of {selected}" : $"loss of {selected}";
            series = metric == CurveMetric.Accuracy
                ? new List<CurveSeries> { Line("train top-1", epochs, e => Pct(e.TrainTop1)), Line("val top-1", epochs, e => Pct(e.ValTop1)) }
                : new List<CurveSeries> { Line("train loss", epochs, e => e.TrainLoss), Line("val loss", epochs, e => e.ValLoss) };
        }
        var values = series.SelectMany(s => s.Points).Select(p => p.Value).ToList();
        var (min, max) = values.Count == 0 ? (0.0, 1.0) : (values.Min(), values.Max());
        if (max - min < 1e-9) (min, max) = (min - 0.5, max + 0.5);   // a flat line still gets a y range
        int last = Math.Max(1, series.SelectMany(s => s.Points).Select(p => p.Epoch).DefaultIfEmpty(1).Max());
        return new CurvePlot(what, metric == CurveMetric.Accuracy ? "top-1 %" : "loss", series, last, min, max);
    }

    static double? Pct(double? v) => v * 100;

    static CurveSeries Line(string name, IReadOnlyList<EpochRecord> epochs, Func<EpochRecord, double?> value) =>
        new(name, epochs.Select(e => (e.Epoch, Value: value(e))).Where(p => p.Value is { } v && double.IsFinite(v))
            .Select(p => (p.Epoch, p.Value!.Value)).ToArray());

    /// <summary>The plot as text lines (legend and last values), for the log-less views and the tests.</summary>
    public IEnumerable<string> Legend() => Series.Select(s =>
        $"{s.Name}: {(s.Points.Count == 0 ? "no finished epoch yet" : string.Create(CultureInfo.InvariantCulture, $"{s.Points[^1].Value:G4} at epoch {s.Points[^1].Epoch}"))}");
}

/// <summary>
/// Which curves the run pane shows: the metric, every model or one, and which one. The selected model follows the
/// run (the one training now) until the user picks one (<see cref="Next"/>).
/// </summary>
public sealed class CurveChoice
{
    public CurveMetric Metric { get; set; } = CurveMetric.Accuracy;
    public bool All { get; set; } = true;
    /// <summary>The model picked by the user, or null: the one training now (else the first).</summary>
    public string? Picked { get; set; }

    public void ToggleMetric() => Metric = Metric == CurveMetric.Accuracy ? CurveMetric.Loss : CurveMetric.Accuracy;
    public void ToggleAll() => All = !All;

    /// <summary>The model the "selected" curves show on <paramref name="board"/>.</summary>
    public string? Selected(RunBoard board) =>
        Picked is { } p && board.Rows.Any(r => r.Label == p) ? p : (board.Current ?? board.Rows.FirstOrDefault())?.Label;

    /// <summary>Picks the next (or previous) model of the board; also shows only that one.</summary>
    public void Next(RunBoard board, int step)
    {
        if (board.Rows.Count == 0) return;
        int i = board.Rows.ToList().FindIndex(r => r.Label == Selected(board));
        Picked = board.Rows[((i < 0 ? 0 : i + step) % board.Rows.Count + board.Rows.Count) % board.Rows.Count].Label;
        All = false;
    }

    /// <summary>The plot of <paramref name="board"/>'s finished epochs this choice asks for.</summary>
    public CurvePlot Plot(RunBoard board) =>
        CurvePlot.Of(board.Rows.Select(r => (r.Label, r.History)), Metric, All ? null : Selected(board));
}
