using System.Globalization;
using ScottPlot;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Reports.Model;

namespace Zoo.Reports.Figures;

/// <summary>A metric per epoch over a model's repeats: the mean as a line, the lowest and highest repeat as a band around it.</summary>
/// <param name="Runs">Per epoch, how many repeats have a value there (fewer where a repeat stopped early).</param>
public sealed record RepeatBand(string Name, double[] Epochs, double[] Mean, double[] Low, double[] High, int[] Runs);

/// <summary>A figure to draw: its file name, section, the run it goes with (null: across runs), title and the plot, given the full title.</summary>
public sealed record FigurePlan(string Name, string Section, string? Run, string Title, Func<string, Plot> Make);

/// <summary>
/// The learning curves of a model trained several times at different seeds ("repeats", issue 29): per epoch the mean over
/// its repeats as a line and the band from the lowest to the highest repeat around it, so one look shows where the seeds
/// agree and where a difference between models is within their spread. The band is the range (min–max), not ± a standard
/// deviation: with the usual 3 to 5 repeats it is every repeat's curve, where a standard deviation of three values would be
/// a guess at a spread it cannot estimate. The repeats drawn are those the comparison's intervals are over (finished and
/// learned, <see cref="RepeatGroup.Counts"/>); a repeat that stopped early leaves the later epochs' mean to the others.
/// </summary>
public static class RepeatCurves
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The mean, lowest and highest of <paramref name="metric"/> per epoch over <paramref name="runs"/>; an epoch without any value is left out.</summary>
    public static RepeatBand Over(string name, IReadOnlyList<RunResult> runs, Func<EpochRecord, double?> metric)
    {
        var byEpoch = runs.SelectMany(r => r.Epochs.Select(e => (e.Epoch, Value: metric(e))))
            .Where(p => p.Value is { } v && double.IsFinite(v))
            .GroupBy(p => p.Epoch).OrderBy(g => g.Key).ToArray();
        return new RepeatBand(name,
            byEpoch.Select(g => (double)g.Key).ToArray(),
            byEpoch.Select(g => g.Average(p => p.Value!.Value)).ToArray(),
            byEpoch.Select(g => g.Min(p => p.Value!.Value)).ToArray(),
            byEpoch.Select(g => g.Max(p => p.Value!.Value)).ToArray(),
            byEpoch.Select(g => g.Count()).ToArray());
    }

    /// <summary>
    /// Lines of the means with their bands in the same colour, lighter; the legend names each mean and says once what the
    /// bands are (give two bands or more: a single line gets no legend). Throws <see cref="ArgumentException"/> without any band that has a point.
    /// </summary>
    public static Plot Plot(string title, string yLabel, IReadOnlyList<RepeatBand> bands)
    {
        var drawn = bands.Where(b => b.Epochs.Length > 0).ToArray();
        if (drawn.Length == 0) throw new ArgumentException("no band has a value", nameof(bands));
        var plot = Charts.Lines(title, "epoch", yLabel, drawn.Select(b => new Series(b.Name, b.Epochs, b.Mean, Markers: b.Epochs.Length <= 30)).ToArray());
        for (int i = 0; i < drawn.Length; i++)
        {
            var b = drawn[i];
            if (b.Epochs.Length < 2 && b.High[0] == b.Low[0]) continue;
            var fill = plot.Add.FillY(b.Epochs, b.Low, b.High);
            fill.FillColor = Charts.Palette[i % Charts.Palette.Length].WithAlpha(0.22);   // the mean's colour (Lines colours series in order)
            fill.LineWidth = 0;
            fill.LegendText = i == 0 ? "band: lowest to highest seed" : "";
            plot.MoveToBack(fill);
        }
        return plot;
    }

    /// <summary>
    /// Per model with repeats, top-1 (train and validation) and loss (train and validation) over its repeats, filed under the
    /// model's first repeat in the report's runs; across models, validation top-1 of every model with repeats in one figure.
    /// </summary>
    public static IReadOnlyList<FigurePlan> Figures(ReportModel model)
    {
        var runs = model.Comparison.Runs;
        var byLabel = runs.ToDictionary(r => r.Label, StringComparer.Ordinal);
        var groups = RepeatGroup.From(runs).Where(g => g.Runs.Count > 1 && g.Runs.Any(l => byLabel[l].Epochs.Count > 0)).ToArray();
        var plans = new List<FigurePlan>();
        foreach (var g in groups)
        {
            var counted = g.Runs.Select(l => byLabel[l]).ToArray();
            var first = runs.First(r => r.RepeatOf == g.Label).Label;
            var name = ResultWriter.SafeName(g.Label);
            var seeds = Seeds(g, counted);
            plans.Add(new FigurePlan($"{name}-repeats-accuracy", FigureExporter.Runs, first, $"{g.Label} top-1 over {seeds}: mean, lowest to highest", t =>
                Plot(t, "top-1 accuracy (%)", new[]
                {
                    Over("train top-1, mean", counted, e => e.TrainTop1 * 100),
                    Over("val top-1, mean", counted, e => e.ValTop1 * 100),
                })));
            plans.Add(new FigurePlan($"{name}-repeats-loss", FigureExporter.Runs, first, $"{g.Label} loss over {seeds}: mean, lowest to highest", t =>
                Plot(t, "loss (cross-entropy)", new[]
                {
                    Over("train loss, mean", counted, e => e.TrainLoss),
                    Over("val loss, mean", counted, e => e.ValLoss),
                })));
        }
        // Up to the palette's ten colours: more bands than that on one chart cannot be told apart.
        if (groups.Length > 1 && groups.Length <= Charts.Palette.Length)
        {
            var counts = groups.Select(g => g.Runs.Count).Distinct().ToArray();
            var seeds = counts.Length == 1 ? $"{counts[0]} seeds" : "each model's seeds";
            plans.Add(new FigurePlan("repeats-val-top1", FigureExporter.Comparison, null, $"val top-1 over {seeds}: mean, lowest to highest", t =>
                Plot(t, "val top-1 (%)", groups.Select(g => Over(g.Label, g.Runs.Select(l => byLabel[l]).ToArray(), e => e.ValTop1 * 100)).ToArray())));
        }
        return plans;
    }

    /// <summary>"3 seeds (7, 8, 9)", or "2 of 3 seeds (7, 9)" where a repeat did not count.</summary>
    static string Seeds(RepeatGroup g, IReadOnlyList<RunResult> counted)
    {
        var list = counted.Any(r => r.Seed is null) ? "" : " (" + string.Join(", ", counted.Select(r => r.Seed!.Value.ToString(Inv))) + ")";
        return (counted.Count == g.Repeats ? $"{counted.Count} seeds" : $"{counted.Count} of {g.Repeats} seeds") + list;
    }
}
