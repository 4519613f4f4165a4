using System.Globalization;
using Zoo.Engine.Results;
using Zoo.Reports.Model;

namespace Zoo.Tui;

/// <summary>
/// One run of a results folder as the results browser shows it (Enter on its row): its curves, its confusion matrix with
/// per-class accuracy, the figures `zoo report` drew for it, and the sampled mistakes of its prediction grid. Everything
/// is read from the results model (<see cref="ReportRun"/>: results.json and runs/&lt;label&gt;.predictions.json);
/// nothing is recomputed. No Terminal.Gui here.
/// </summary>
public sealed class RunDetails
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The figures a report draws per run, in the order shown (FigureExporter's names).</summary>
    public static readonly IReadOnlyList<(string Suffix, string What)> FigureNames = new[]
    {
        ("-predictions", "prediction grid"), ("-confident-mistakes", "most confident mistakes"), ("-confusion", "confusion matrix"),
        ("-per-class", "accuracy per class"), ("-accuracy", "top-1 curves"), ("-loss", "loss curves"), ("-lr", "learning rate"),
    };

    public ReportRun Run { get; }
    public IReadOnlyList<string> Classes { get; }

    public RunDetails(ReportModel model, ReportRun run)
    {
        Run = run;
        Classes = run.Suite.Dataset.Classes;
    }

    /// <summary>The evaluation the matrix shows: the test set with the reported (best-on-validation) weights, else the validation set.</summary>
    public EvalResult? Evaluation => Run.Run.Test is { Confusion.Length: > 0 } t ? t : Run.Run.Validation is { Confusion.Length: > 0 } v ? v : null;

    public string EvaluationName => Run.Run.Test is { Confusion.Length: > 0 } ? "test set, best-on-validation weights" : "validation set, best weights";

    string ClassName(int i) => i < Classes.Count ? Classes[i] : i.ToString(Inv);

    /// <summary>The run's curves, as the live run shows them (train and validation of the metric).</summary>
    public CurvePlot Curves(CurveMetric metric) => CurvePlot.Of(new[] { (Run.Label, Run.Run.Epochs) }, metric, Run.Label);

    /// <summary>Headers of the confusion table: the true class, one column per predicted class, then the class's top-1.</summary>
    public IReadOnlyList<string> ConfusionHeaders() =>
        new[] { "true \\ predicted" }.Concat(Enumerable.Range(0, Evaluation?.Confusion.Length ?? 0).Select(ClassName)).Append("top-1").ToArray();

    /// <summary>One row per true class: its name, its counts per predicted class, and its top-1 (the engine's <see cref="EvalResult.PerClassTop1"/>).</summary>
    public IReadOnlyList<IReadOnlyList<string>> ConfusionRows()
    {
        if (Evaluation is not { } e) return Array.Empty<IReadOnlyList<string>>();
        var perClass = e.PerClassTop1;
        return e.Confusion.Select((row, i) => (IReadOnlyList<string>)new[] { ClassName(i) }
            .Concat(row.Select(c => c.ToString(Inv))).Append(Numbers.Percent(perClass[i])).ToArray()).ToArray();
    }

    /// <summary>
    /// How strongly to colour the count at (<paramref name="row"/>, <paramref name="column"/>) of the matrix: 0 (nothing),
    /// 1 (under a tenth of the true class), 2 (under 40 %), 3 (more); the view colours the diagonal and the rest apart.
    /// </summary>
    public int Level(int row, int column)
    {
        if (Evaluation is not { } e || row >= e.Confusion.Length || column >= e.Confusion[row].Length) return 0;
        int count = e.Confusion[row][column], total = e.Confusion[row].Sum();
        if (count == 0 || total == 0) return 0;
        double share = count / (double)total;
        return share < 0.1 ? 1 : share < 0.4 ? 2 : 3;
    }

    /// <summary>The run's figures that exist, as (what, path): drawn by `zoo run-suite`'s report, `zoo report` or the UI after a run.</summary>
    public IReadOnlyList<(string What, string Path)> Figures()
    {
        var dir = System.IO.Path.Combine(Run.Suite.Directory, "figures");
        var name = Zoo.Engine.Suites.ResultWriter.SafeName(Run.Run.Label);
        return FigureNames.Select(f => (f.What, Path: System.IO.Path.Combine(dir, name + f.Suffix + ".png"))).Where(f => File.Exists(f.Path)).ToArray();
    }

    /// <summary>The sampled mistakes of the prediction grid, then the most confident ones, one line each; or why there are none.</summary>
    public IReadOnlyList<string> Mistakes()
    {
        if (Run.Predictions is not { } sample) return new[] { "no prediction sample (runs/<label>.predictions.json): the run has no test evaluation" };
        string Line(PredictedImage p) => string.Create(Inv, $"test image {p.Index,5}: {ClassName(p.Label)} taken for {ClassName(p.Predicted)} ({p.Confidence * 100:F0} %)");
        var wrong = sample.Images.Where(i => !i.Correct).ToList();
        var lines = new List<string> { $"sampled test images: {sample.Describe(Run.Run.Test)}:" };
        lines.AddRange(wrong.Select(Line));
        if (sample.ConfidentMistakes.Count > 0)
        {
            lines.Add($"the {sample.ConfidentMistakes.Count} most confident mistakes:");
            lines.AddRange(sample.ConfidentMistakes.Select(Line));
        }
        return lines;
    }

    /// <summary>
    /// Where the run's model looks (issue 30): the first Grad-CAM map of its prediction sample in shade blocks (this terminal
    /// shows no images; darker is lower), its class and prediction, and where the side-by-side figure is; or why there is none.
    /// </summary>
    public IReadOnlyList<string> WhereItLooks()
    {
        if (Run.Predictions is not { Explained: [var first, ..] } sample || first.Heatmap is not { } map)
            return new[] { "no Grad-CAM maps (runs/<label>.predictions.json): the run has no test evaluation, or it was made by an older Zoo" };
        var lines = new List<string>
        {
            string.Create(Inv, $"where it looks (Grad-CAM at {sample.ExplainedLayer}), test image {first.Index}: {ClassName(first.Label)}, predicted {ClassName(first.Predicted)} ({first.Confidence * 100:F0} %):"),
        };
        const string shades = " ░▒▓█";
        int step = Math.Max(1, (int)Math.Ceiling(Math.Max(map.Height, map.Width) / 16.0));
        for (int y = 0; y < map.Height; y += step)
        {
            var row = new System.Text.StringBuilder("  ");
            for (int x = 0; x < map.Width; x += step)
            {
                int sum = 0, n = 0;
                for (int dy = 0; dy < step && y + dy < map.Height; dy++)
                    for (int dx = 0; dx < step && x + dx < map.Width; dx++) { sum += map.Pixels[(y + dy) * map.Width + x + dx]; n++; }
                row.Append(shades[Math.Min(shades.Length - 1, sum / n * shades.Length / 256)], 2);
            }
            lines.Add(row.ToString());
        }
        var figure = System.IO.Path.Combine(Run.Suite.Directory, "figures", "where-models-look.png");
        lines.Add(File.Exists(figure) ? $"every model side by side on {sample.Explained.Count} test images: {figure}" : $"`zoo report {Run.Suite.Directory}` draws every model's maps side by side");
        return lines;
    }

    /// <summary>The text beside the curves: the run's status and numbers, its figures (or how to draw them) and its mistakes.</summary>
    public string Text()
    {
        var r = Run.Run;
        var lines = new List<string>
        {
            $"{Run.Label}: {r.Variant} ({r.Family ?? "?"}), {r.Status.ToString().ToLowerInvariant()}{(r.Error is null ? "" : ": " + r.Error.Split('\n')[0])}",
            string.Create(Inv, $"best val top-1 {Numbers.Percent(r.BestValTop1)}{(r.BestEpoch is { } b ? $" at epoch {b}" : "")}, test top-1 {Numbers.Percent(r.Test?.Top1)}, top-5 {Numbers.Percent(r.Test?.Top5)}, {r.Epochs.Count} epoch(s), {r.TotalSeconds:F1} s"),
            "",
        };
        var figures = Figures();
        if (figures.Count == 0) lines.Add($"no figures yet: `zoo report {Run.Suite.Directory}` draws them (PNG) into its figures/");
        else
        {
            lines.Add($"figures (PNG; this terminal shows no images) in {System.IO.Path.GetDirectoryName(figures[0].Path)}:");
            lines.AddRange(figures.Select(f => $"  {f.What,-24} {System.IO.Path.GetFileName(f.Path)}"));
        }
        lines.Add("");
        lines.AddRange(Mistakes());
        lines.Add("");
        lines.AddRange(WhereItLooks());
        return string.Join("\n", lines);
    }
}
