using System.Globalization;
using ScottPlot;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Reports.Model;

namespace Zoo.Reports.Figures;

/// <summary>
/// A figure on disk: its section of the report, the run it belongs to (null: across runs), title and files;
/// <paramref name="Wide"/> for image grids, whose captions need the page's full width.
/// </summary>
public sealed record FigureInfo(string Section, string? Run, string Title, string Png, string? Svg, bool Wide = false);

/// <summary>Where and how big figures are written. PNG always; SVG beside it unless turned off.</summary>
public static class FigureFiles
{
    public const int Width = 800, Height = 480;

    /// <summary>Writes <paramref name="name"/>.png (and .svg) under <paramref name="directory"/>; returns the record.</summary>
    public static FigureInfo Save(Plot plot, string directory, string name, string section, string? run, string title, bool svg = true, int width = Width, int height = Height)
    {
        Directory.CreateDirectory(directory);
        var png = Path.Combine(directory, name + ".png");
        plot.SavePng(png, width, height);
        string? svgPath = null;
        if (svg)
        {
            svgPath = Path.Combine(directory, name + ".svg");
            plot.SaveSvg(svgPath, width, height);
        }
        return new FigureInfo(section, run, title, png, svgPath);
    }
}

/// <summary>
/// Draws every figure of a <see cref="ReportModel"/> into a figures folder: learning curves, learning
/// rate, confusion matrix and per-class accuracy per run; grouped bars and Pareto scatters across runs;
/// the data set's images per class. A figure that fails to draw is skipped and named in
/// <see cref="Result.Warnings"/>; nothing here throws for a bad run.
/// </summary>
public static class FigureExporter
{
    public sealed record Result(IReadOnlyList<FigureInfo> Figures, IReadOnlyList<string> Warnings);

    public const string Comparison = "Comparison", Looks = "Looks", Runs = "Runs", Data = "Data", Analysis = "Analysis";

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <param name="svg">Also write SVG. Off by default: Skia's SVG backend draws dashed lines solid and prints
    /// "Unsupported path effect" on stderr for each.</param>
    public static Result Write(ReportModel model, string directory, bool svg = false)
    {
        var figures = new List<FigureInfo>();
        var warnings = new List<string>();
        var d = model.Dataset;
        string head = $"{model.Title} · {d.Name} {d.Channels}x{d.Height}x{d.Width}";
        void Draw(string name, string section, string? run, string title, Func<string, Plot> make)
        {
            try
            {
                var fullTitle = $"{head}: {title}";
                figures.Add(FigureFiles.Save(make(fullTitle), directory, name, section, run, title, svg));
            }
            catch (Exception e)
            {
                warnings.Add($"figure {name} not drawn: {e.GetType().Name}: {e.Message}");
            }
        }

        // A run whose records are odd (hand-edited, from an older Zoo) costs its own figures, never the report.
        void DrawGrid(string name, string section, string? run, string title, IReadOnlyList<GridTile> tiles, int columns)
        {
            try
            {
                var png = Path.Combine(directory, name + ".png");
                ImageGrid.Save(tiles, columns, $"{head}: {title}", png);
                figures.Add(new FigureInfo(section, run, title, png, null, Wide: true));
            }
            catch (Exception e) { warnings.Add($"figure {name} not drawn: {e.GetType().Name}: {e.Message}"); }
        }

        void DrawPicture(string name, string run, string title, Action<string, string> save)
        {
            try
            {
                var png = Path.Combine(directory, name + ".png");
                save($"{head}: {title}", png);
                figures.Add(new FigureInfo(Runs, run, title, png, null, Wide: true));
            }
            catch (Exception e) { warnings.Add($"figure {name} not drawn: {e.GetType().Name}: {e.Message}"); }
        }

        void Section(string what, Action<ReportModel, Drawer> section)
        {
            try { section(model, Draw); }
            catch (Exception e) { warnings.Add($"figures of {what} not drawn: {e.GetType().Name}: {e.Message}"); }
        }
        Section("the comparison", AcrossRuns);
        Section("the repeats' curves", (m, draw) => { foreach (var f in RepeatCurves.Figures(m)) draw(f.Name, f.Section, f.Run, f.Title, f.Make); });
        foreach (var r in model.Runs)
        {
            Section(r.Label, (m, draw) => PerRun(m, r, draw));
            if (r.Predictions is { Images.Count: > 0 } sample)
            {
                var name = ResultWriter.SafeName(r.Label);
                var classes = ClassNames(d, d.Classes.Count);
                DrawGrid($"{name}-predictions", Runs, r.Label,
                    $"{r.Label} test predictions: {sample.Describe(r.Run.Test)}",
                    ImageGrid.Predictions(sample.Images, classes), 8);
                if (sample.ConfidentMistakes.Count > 0)
                    DrawGrid($"{name}-confident-mistakes", Runs, r.Label, $"{r.Label} the {sample.ConfidentMistakes.Count} most confident test mistakes",
                        ImageGrid.Predictions(sample.ConfidentMistakes, classes), 8);
            }
            if (r.Predictions?.FiltersAndMaps is { } inside)
                LayerPictures(r, inside, ClassNames(d, d.Classes.Count), (name, title, save) => DrawPicture(name, r.Label, title, save));
        }
        try
        {
            if (ImageGrid.WhereModelsLook(model.Runs.Select(r => (r.Label, r.Predictions)).ToArray(), ClassNames(d, d.Classes.Count)) is { } looks)
                DrawGrid("where-models-look", Looks, null, looks.Title, looks.Tiles, looks.Columns);
        }
        catch (Exception e) { warnings.Add($"figure where-models-look not drawn: {e.GetType().Name}: {e.Message}"); }
        Section("the data set", DataFigures);
        if (model.Suites[0].DataSamples is { Count: > 0 } samples)
        {
            int perClass = samples.Max(c => c.Images.Count);
            var tiles = samples.SelectMany(c => c.Images.Select(i => new GridTile(i, c.Class))).ToArray();
            // One row per class when every class has the same number of samples; else a plain grid.
            DrawGrid("dataset-samples", Data, null, $"training images, {perClass} per class{(samples.Count < d.Classes.Count ? $" (first {samples.Count} of {d.Classes.Count} classes)" : "")}",
                tiles, samples.All(c => c.Images.Count == perClass) ? perClass : 8);
        }
        Section("the feature analysis", AnalysisFigures);
        return new Result(figures, warnings);
    }

    /// <summary>
    /// A run's first filters and feature maps (<see cref="LayerFigures"/>): "&lt;run&gt;-filters" and "&lt;run&gt;-feature-maps",
    /// each drawn by <paramref name="draw"/>(name, title, save(full title, png)).
    /// </summary>
    static void LayerPictures(ReportRun r, FiltersAndMaps inside, IReadOnlyList<string> classes, Action<string, string, Action<string, string>> draw)
    {
        var name = ResultWriter.SafeName(r.Label);
        if (inside.Filters is { Images.Count: > 0 } f)
            draw($"{name}-filters", $"{r.Label} first convolution ({f.Layer}): {(f.Images.Count < f.Filters ? $"the first {f.Images.Count} of {f.Filters}" : $"all {f.Filters}")} filters, {LayerFigures.Describe(f)}, each on its own scale (white: high)",
                (title, png) => LayerFigures.SaveFilters(f, title, png));
        if (inside.Stages.Count == 0) return;
        string Name(int c) => c >= 0 && c < classes.Count ? classes[c] : c.ToString(Inv);
        var seen = r.Predictions!.Explained.FirstOrDefault(i => i.Index == inside.Index);
        var image = $"input: test image {inside.Index}" + (seen is null ? "" : $", true {Name(seen.Label)}, predicted {Name(seen.Predicted)} {(seen.Confidence * 100).ToString("F0", Inv)}%");
        int most = inside.Stages.Max(s => s.Maps.Count);
        var tokens = inside.Stages.Any(s => s.Tokens) ? "; a transformer's blocks as their patch tokens laid on the patch grid" : "";
        draw($"{name}-feature-maps", $"{r.Label} feature maps of test image {inside.Index} at the end of each stage: the {most} channels of highest mean activation (ch: mean), each on its own scale (white: high){tokens}",
            (title, png) => LayerFigures.SaveFeatureMaps(inside, title, image, png));
    }

    delegate void Drawer(string name, string section, string? run, string title, Func<string, Plot> make);

    static double Pct(double? v) => v is { } x ? x * 100 : double.NaN;

    static void AcrossRuns(ReportModel model, Drawer draw)
    {
        var runs = InTableOrder(model);
        if (runs.Length == 0) return;
        var names = runs.Select(r => r.Label).ToArray();
        double[] Of(Func<RunResult, double?> f) => runs.Select(r => f(r.Run) ?? double.NaN).ToArray();
        string P(double v) => v.ToString("F1", Inv);
        var device = model.Suites[0].Result.Suite.Device;
        var d = model.Dataset;
        var input = $"{d.Channels}x{d.Height}x{d.Width}";

        // A figure without a value for any run (test loss where the data has no test split, epochs to a target no run
        // reached) would be empty axes reading "no value": it is left out, and the comparison table says why.
        void Bars(string name, string title, string yLabel, (string Name, double[] Values)[] series, Func<double, string> format, string missing = "no value")
        {
            series = series.Where(s => s.Values.Any(double.IsFinite)).ToArray();   // nor a legend entry for a series without bars
            if (series.Length > 0) draw(name, Comparison, null, title, t => Charts.GroupedBars(t, yLabel, names, series, format, missing));
        }
        double? Counted(RunResult r, double? v) => r.Parameters > 0 ? v : null;   // 0: never counted (a run stopped before its model was built)

        Bars("accuracy", "accuracy", "accuracy (%)", new[]
        {
            ("test top-1", Of(r => Pct(r.Test?.Top1))),
            ("test top-5", Of(r => Pct(r.Test?.Top5))),
            ("best val top-1", Of(r => Pct(r.BestValTop1))),
            ("train top-1 (last epoch)", Of(r => r.Epochs.Count == 0 ? null : Pct(r.Epochs[^1].TrainTop1))),
        }, P);
        Bars("test-loss", "test loss", "test loss (cross-entropy)", new[] { ("test loss", Of(r => r.Test?.Loss)) }, v => v.ToString("F3", Inv));
        Bars("seconds-per-epoch", "time per epoch", $"seconds per epoch ({device})",
            new[] { ("s/epoch", Of(r => r.Epochs.Count == 0 ? null : r.MeanEpochSeconds)) }, v => v.ToString("F1", Inv));
        Bars("total-seconds", "total training time", $"seconds ({device})", new[] { ("total s", Of(r => r.TotalSeconds)) }, v => v.ToString("F0", Inv));
        Bars("size", "model size", "size (MB, float32 weights)", new[] { ("MB", Of(r => Counted(r, r.SizeMb))) }, v => v.ToString("F2", Inv));
        Bars("parameters", "parameters", "parameters (millions)", new[] { ("parameters", Of(r => Counted(r, r.Parameters / 1e6))) }, v => v.ToString("G3", Inv));
        Bars("gmacs", $"GMACs at {input}", $"GMACs (batch 1, {input})", new[] { ("GMACs", Of(r => r.Gmacs)) }, Numbers.Gmacs);
        Bars("latency", "inference latency", $"inference ms per image (batched, {device})",
            new[] { ("ms/image", Of(r => r.Test?.MillisecondsPerImage)) }, v => v.ToString("F3", Inv));
        var target = ResultWriter.ComparisonTarget(model.Suites[0].Result.Suite);
        if (target is not null)
        {
            var what = $"{target.Metric} {(target.Maximise ? ">=" : "<=")} {Numbers.Short(target.Value, 4)}";
            Bars("epochs-to-target", $"epochs to {what}", "epochs", new[] { ("epochs", Of(r => r.TargetEpoch)) }, v => v.ToString("F0", Inv), "not reached");
            Bars("seconds-to-target", $"seconds to {what}", $"seconds ({device})", new[] { ("seconds", Of(r => r.TargetSeconds)) }, v => v.ToString("F1", Inv), "not reached");
        }
        var groups = RepeatGroup.From(model.Comparison.Runs).Where(g => g.Metrics.ContainsKey("test_top1") && g.Runs.Count > 1).ToArray();
        if (groups.Length > 0)
        {
            var byLabel = model.Comparison.Runs.ToDictionary(r => r.Label, StringComparer.Ordinal);
            draw("repeats-test-top1", Comparison, null, "test top-1 over repeats at different seeds", t => Charts.MeanWithIntervals(t, "test top-1 (%)",
                groups.Select(g => g.Label).ToArray(),
                groups.Select(g => g.Metrics["test_top1"].Mean * 100).ToArray(),
                groups.Select(g => g.Metrics["test_top1"].Low * 100).ToArray(),
                groups.Select(g => g.Metrics["test_top1"].High * 100).ToArray(),
                groups.Select(g => g.Runs.Select(l => byLabel[l].Test!.Top1 * 100).ToArray()).ToArray(), P));
        }
        if (PairedTest.Matrix(model.Comparison.Runs) is { } matrix)
            draw("paired-p-values", Comparison, null, "McNemar p between models on the same test images (Holm over all pairs)", t =>
                Charts.Heatmap(t, "", "", matrix.PHolm, matrix.Labels, matrix.Labels, "p (below 0.05: a real difference)", Numbers.PValue));
        var tested = runs.Where(r => r.Run.Test is not null).ToArray();
        if (tested.Length > 0)
        {
            var tn = tested.Select(r => r.Label).ToArray();
            var top1 = tested.Select(r => r.Run.Test!.Top1 * 100).ToArray();
            draw("top1-vs-parameters", Comparison, null, "test top-1 against parameters", t =>
                Charts.ParetoScatter(t, "parameters", "test top-1 (%)", tn, tested.Select(r => (double)r.Run.Parameters).ToArray(), top1));
            if (tested.Any(r => r.Run.Gmacs is > 0))
                draw("top1-vs-gmacs", Comparison, null, "test top-1 against GMACs", t =>
                    Charts.ParetoScatter(t, $"GMACs (batch 1, {input})", "test top-1 (%)", tn, tested.Select(r => r.Run.Gmacs ?? double.NaN).ToArray(), top1));
            draw("top1-vs-latency", Comparison, null, "test top-1 against latency", t =>
                Charts.ParetoScatter(t, $"inference ms per image ({device})", "test top-1 (%)", tn, tested.Select(r => r.Run.Test!.MillisecondsPerImage).ToArray(), top1));
        }
    }

    /// <summary>The runs in the comparison table's order, so the bars across runs keep a model's repeats together as the table does.</summary>
    internal static ReportRun[] InTableOrder(ReportModel model)
    {
        var order = ComparisonTable.From(model.Comparison).Rows.Select(r => r.Run.Label).ToList();
        return model.Runs.OrderBy(r => order.IndexOf(r.Label)).ToArray();
    }

    static void PerRun(ReportModel model, ReportRun rr, Drawer draw)
    {
        var run = rr.Run;
        var name = ResultWriter.SafeName(rr.Label);
        var epochs = run.Epochs;
        var target = run.Status == RunStatus.Failed && epochs.Count == 0 ? null : ResultWriter.ComparisonTarget(rr.Suite.Result.Suite);
        if (epochs.Count > 0)
        {
            var x = epochs.Select(e => (double)e.Epoch).ToArray();
            double[] Y(Func<EpochRecord, double?> f) => epochs.Select(e => f(e) ?? double.NaN).ToArray();
            var best = new List<Marker>();
            if (run.BestEpoch is { } b) best.Add(new Marker($"best epoch ({b})", b, true));
            bool ema = epochs.Any(e => e.EmaValTop1 is not null);

            var loss = new List<Series> { new("train loss", x, Y(e => e.TrainLoss)), new("val loss", x, Y(e => e.ValLoss)) };
            if (epochs.Any(e => e.EmaValLoss is not null)) loss.Add(new("EMA val loss", x, Y(e => e.EmaValLoss), Dashed: true));
            var lossMarks = new List<Marker>(best);
            if (run.Test is not null) lossMarks.Add(new Marker($"test loss ({run.Test.Loss.ToString("F3", Inv)})", run.Test.Loss, false));
            if (target is not null && target.Metric.EndsWith("loss", StringComparison.Ordinal)) lossMarks.Add(new Marker($"target {target.Metric} {Numbers.Short(target.Value, 4)}", target.Value, false));
            draw($"{name}-loss", Runs, rr.Label, $"{rr.Label} loss", t => Charts.Lines(t, "epoch", "loss (cross-entropy)", loss, lossMarks));

            var acc = new List<Series> { new("train top-1", x, Y(e => Pct(e.TrainTop1))), new("val top-1", x, Y(e => Pct(e.ValTop1))) };
            if (ema) acc.Add(new("EMA val top-1", x, Y(e => Pct(e.EmaValTop1)), Dashed: true));
            var accMarks = new List<Marker>(best);
            if (run.Test is not null) accMarks.Add(new Marker($"test top-1 ({Numbers.Percent(run.Test.Top1)})", run.Test.Top1 * 100, false));
            if (target is not null && !target.Metric.EndsWith("loss", StringComparison.Ordinal)) accMarks.Add(new Marker($"target {target.Metric} {Numbers.Percent(target.Value)}", target.Value * 100, false));
            if (run.TargetEpoch is { } te) accMarks.Add(new Marker($"target reached (epoch {te})", te, true));
            draw($"{name}-accuracy", Runs, rr.Label, $"{rr.Label} top-1 accuracy", t => Charts.Lines(t, "epoch", "top-1 accuracy (%)", acc, accMarks));

            var (lrX, lrY, perStep) = LearningRateCurve(epochs);
            draw($"{name}-lr", Runs, rr.Label, $"{rr.Label} learning rate", t => Charts.Lines(t, "epochs trained",
                perStep ? "learning rate (optimiser steps)" : "learning rate (at the start of each epoch)",
                new[] { new Series("lr", lrX, lrY, Markers: !perStep, Stairs: perStep) }));
        }
        if (run.LearningRateFind is { Rates.Count: > 1 } find)
            draw($"{name}-lr-find", Runs, rr.Label, $"{rr.Label} learning-rate range test: trained at {Numbers.Short(find.Suggested, 3)}"
                + (find.Doubt() is null ? "" : ", from a test whose loss did not fall (noise)"), t => LearningRateFind(t, find));
        if (run.Test is { Confusion.Length: > 0 } test)
        {
            var classes = ClassNames(model.Dataset, test.Confusion.Length);
            int k = test.Confusion.Length;
            draw($"{name}-confusion", Runs, rr.Label, $"{rr.Label} test confusion (row-normalised)", t =>
            {
                var norm = new double[k, k];
                for (int i = 0; i < k; i++)
                {
                    if (test.Confusion[i].Length != k) throw new InvalidDataException($"row {i} of the confusion matrix has {test.Confusion[i].Length} counts, not {k}");
                    double sum = test.Confusion[i].Sum();
                    for (int j = 0; j < k; j++) norm[i, j] = sum == 0 ? double.NaN : test.Confusion[i][j] / sum;
                }
                return Charts.Heatmap(t, "predicted class", "true class", norm, classes, classes, "fraction of the true class");
            });
            var series = new List<(string, double[])> { ("test", test.PerClassTop1.Select(Pct).ToArray()) };
            if (run.Validation is { Confusion.Length: > 0 } val && val.Confusion.Length == k) series.Insert(0, ("val (best weights)", val.PerClassTop1.Select(Pct).ToArray()));
            draw($"{name}-per-class", Runs, rr.Label, $"{rr.Label} accuracy per class", t =>
                Charts.GroupedBars(t, "top-1 accuracy (%)", classes, series, v => v.ToString("F0", Inv)));
        }
    }

    /// <summary>
    /// A learning-rate range test (issue 29): each step's loss (thin, dashed) and the smoothed loss against the rate on a
    /// log axis (ticks at the decades), the suggested rate the run trained at marked. The y axis follows the smoothed loss,
    /// so a last, diverging batch's loss of hundreds does not flatten the curve.
    /// </summary>
    internal static Plot LearningRateFind(string title, LearningRateCurve find)
    {
        var x = find.Rates.Select(Math.Log10).ToArray();
        var series = new[]
        {
            new Series("loss of each step's batch", x, find.Losses.ToArray(), Dashed: true, Markers: false),
            new Series("smoothed loss", x, find.Smoothed.ToArray(), Markers: false),
        };
        var marks = new[] { new Marker($"suggested (steepest descent): {Numbers.Short(find.Suggested, 3)}", Math.Log10(find.Suggested), true) };
        var plot = Charts.Lines(title, "learning rate (log scale)", "loss (cross-entropy)", series, marks);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            IntegerTicksOnly = true, LabelFormatter = v => v == 0 ? "1" : $"1e{v.ToString("0", Inv)}",
        };
        // Nor the step that stopped the test: its smoothed loss passed 4 × the lowest, and once it was 2.8e24 (SqueezeNet 1.1),
        // which drew the whole curve as a flat line at 0 under tick labels of 25 digits. It leaves the plot at the top.
        var shown = find.Smoothed.Take(Math.Max(1, find.Smoothed.Count - 1)).Where(double.IsFinite).ToArray();
        if (shown.Length > 0)
        {
            double low = shown.Min(), high = Math.Min(shown.Max(), low * Zoo.Engine.Training.LearningRateSearch.DivergenceFactor), pad = Math.Max(1e-3, (high - low) * 0.08);
            plot.Axes.SetLimitsY(low - pad, high + pad);
        }
        return plot;
    }

    /// <summary>
    /// The learning rate against epochs trained: sample j of epoch e's n (<see cref="EpochRecord.LearningRateSteps"/>) at
    /// e - 1 + j/n, where its step starts, and the last rate again at the end, to be drawn as stairs (each rate holds until
    /// the next), so a warm-up rises, a cosine decays within the epochs and a per-epoch schedule drops at the epoch's
    /// end; an epoch recorded by an older Zoo has only its start rate, drawn at e - 1. <c>PerStep</c>: every epoch has its steps.
    /// </summary>
    internal static (double[] X, double[] Y, bool PerStep) LearningRateCurve(IReadOnlyList<EpochRecord> epochs)
    {
        var x = new List<double>();
        var y = new List<double>();
        bool perStep = epochs.Count > 0 && epochs.All(e => e.LearningRateSteps is { Count: > 0 });
        foreach (var e in epochs)
        {
            var steps = perStep ? e.LearningRateSteps! : new[] { e.LearningRate };
            for (int j = 0; j < steps.Count; j++)
            {
                x.Add(e.Epoch - 1 + j / (double)steps.Count);
                y.Add(steps[j]);
            }
        }
        if (perStep) { x.Add(epochs[^1].Epoch); y.Add(y[^1]); }
        return (x.ToArray(), y.ToArray(), perStep);
    }

    /// <summary>
    /// seeds/002 Fig. 45–48 from each run's <see cref="AnalysisResult"/>: the t-SNE map coloured by true class, by
    /// K-means cluster and by DBSCAN cluster (noise grey), the k-distance curve with the elbow DBSCAN's eps started
    /// from, and the ARI of both clusterings across models.
    /// </summary>
    static void AnalysisFigures(ReportModel model, Drawer draw)
    {
        var analysed = model.Runs.Where(r => r.Run.Analysis is { TsneX.Count: > 0 }).ToArray();
        if (analysed.Length == 0) return;
        draw("analysis-ari", Analysis, null, "adjusted Rand index of the clusterings", t => Charts.GroupedBars(t, "ARI against the true classes",
            analysed.Select(r => r.Label).ToArray(), new[]
            {
                ("K-means", analysed.Select(r => r.Run.Analysis!.KmeansAri).ToArray()),
                ("DBSCAN", analysed.Select(r => r.Run.Analysis!.DbscanAri).ToArray()),
            }, v => v.ToString("F3", Inv)));
        foreach (var rr in analysed)
        {
            var a = rr.Run.Analysis!;
            var name = ResultWriter.SafeName(rr.Label);
            var x = a.TsneX.Select(v => (double)v).ToArray();
            var y = a.TsneY.Select(v => (double)v).ToArray();
            var classes = ClassNames(model.Dataset, model.Dataset.Classes.Count);
            draw($"{name}-tsne-classes", Analysis, rr.Label, $"{rr.Label} t-SNE of {a.FeatureWidth} features, true classes",
                t => Charts.LabelledPoints(t, "t-SNE 1", "t-SNE 2", x, y, a.Labels.ToArray(), classes));
            draw($"{name}-tsne-kmeans", Analysis, rr.Label, $"{rr.Label} K-means, k = {a.KmeansClusters} (ARI {a.KmeansAri.ToString("F3", Inv)})",
                t => Charts.LabelledPoints(t, "t-SNE 1", "t-SNE 2", x, y, a.KmeansLabels.ToArray()));
            draw($"{name}-tsne-dbscan", Analysis, rr.Label,
                $"{rr.Label} DBSCAN, eps {Numbers.Short(a.DbscanEps)}, MinPts {a.DbscanMinPts} (ARI {a.DbscanAri.ToString("F3", Inv)}, {a.DbscanNoise} noise)",
                t => Charts.LabelledPoints(t, "t-SNE 1", "t-SNE 2", x, y, a.DbscanLabels.ToArray()));
            if (a.KDistance.Count > 0)
                draw($"{name}-k-distance", Analysis, rr.Label, $"{rr.Label} {a.KDistanceK}-distance curve",
                    t => Charts.Lines(t, "points, sorted by distance", $"distance to the {a.KDistanceK}th nearest point ({a.ClusteredOn})",
                        new[] { new Series($"{a.KDistanceK}-distance", a.KDistanceRank.Select(r => (double)r).ToArray(), a.KDistance.ToArray(), Markers: false) },
                        new[] { new Marker($"elbow: eps {Numbers.Short(a.ElbowEps)}", a.ElbowEps, false) }, integerX: false));
        }
    }

    static string[] ClassNames(DatasetSummary d, int k) =>
        Enumerable.Range(0, k).Select(i => i < d.Classes.Count ? d.Classes[i] : i.ToString(Inv)).ToArray();

    /// <summary>
    /// seeds/004's data figures: images per class in each split (from results.json's class counts; results of an older
    /// Zoo have only the validation and test row sums of a confusion matrix), and the original image sizes of each split.
    /// </summary>
    static void DataFigures(ReportModel model, Drawer draw)
    {
        var d = model.Dataset;
        var series = new List<(string, double[])>();
        int k = d.Classes.Count;
        if (d.ClassCounts is { Count: > 0 } counts)
        {
            foreach (var split in new[] { "train", "val", "test" })
                if (counts.TryGetValue(split, out var c) && c.Length == k)
                    series.Add(($"{split} ({c.Sum()} images)", c.Select(v => (double)v).ToArray()));
        }
        else if (model.Runs.Select(r => r.Run).FirstOrDefault(r => r.Test is { Confusion.Length: > 0 }) is { } withTest)
        {
            k = withTest.Test!.Confusion.Length;
            if (withTest.Validation is { Confusion.Length: > 0 } v && v.Confusion.Length == k)
                series.Add(($"val ({d.Validation} images)", v.Confusion.Select(row => (double)row.Sum()).ToArray()));
            series.Add(($"test ({d.Test} images)", withTest.Test.Confusion.Select(row => (double)row.Sum()).ToArray()));
        }
        if (series.Count > 0)
        {
            var title = d.ClassCounts is { Count: > 0 } ? "images per class and split" : $"images per class (train: {d.Train} in all)";
            draw("dataset-classes", Data, null, title, t => Charts.GroupedBars(t, "images", ClassNames(d, k), series, v => v.ToString("F0", Inv)));
        }
        if (d.OriginalSizes is { Count: > 0 } sizes)
        {
            var splits = sizes.Keys.OrderBy(s => s switch { "train" => 0, "val" => 1, "test" => 2, _ => 3 }).ToArray();
            var points = splits.SelectMany((s, i) => sizes[s].Select(wh => (Split: i, W: (double)wh[0], H: (double)wh[1]))).ToArray();
            var names = splits.Select(s => $"{s} ({sizes[s].Length} files)").ToArray();
            draw("dataset-sizes", Data, null, $"original image sizes (before resizing to {d.Height} px; up to {DatasetStatistics.MaxSizeSamples} files per split)", t =>
                Charts.LabelledPoints(t, "width (px)", "height (px)", points.Select(p => p.W).ToArray(), points.Select(p => p.H).ToArray(),
                    points.Select(p => p.Split).ToArray(), names));
        }
    }
}
