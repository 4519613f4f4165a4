using SkiaSharp;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using Zoo.Reports.Figures;
using Zoo.Reports.Html;
using Zoo.Reports.Model;

namespace Zoo.Host.Tests;

/// <summary>A model's repeats drawn as curves (issue 29): the mean per epoch as a line, the lowest to highest repeat as a band.</summary>
public sealed class RepeatCurvesTests
{
    static EpochRecord Epoch(int e, double trainTop1, double valTop1) => new(e, 0.01, 2 - trainTop1, trainTop1, 2.2 - valTop1, valTop1, 1, 1, 100);

    static RunResult Repeat(string of, int k, RunStatus status, params (double Train, double Val)[] epochs) => new()
    {
        Label = k == 1 ? of : $"{of}-r{k}", Variant = "lenet5", Family = "Classic", Status = status, Parameters = 61_706, RepeatOf = of, Repeat = k, Seed = 6 + k,
        Epochs = epochs.Select((v, i) => Epoch(i + 1, v.Train, v.Val)).ToArray(), BestValTop1 = epochs.Max(v => v.Val),
        Test = new EvalResult(0.5, epochs[^1].Val, 1, 100, 0.1),
    };

    /// <summary>
    /// "a": three repeats, the third stopped after two epochs; "b": three repeats of which the second diverged (it does not
    /// count, as in the intervals); "once": trained once, no band.
    /// </summary>
    static SuiteResult Suite(string dir)
    {
        var runs = new[]
        {
            Repeat("a", 1, RunStatus.Finished, (0.5, 0.40), (0.7, 0.60), (0.8, 0.70)),
            Repeat("a", 2, RunStatus.Finished, (0.6, 0.50), (0.8, 0.64), (0.9, 0.72)),
            Repeat("a", 3, RunStatus.Finished, (0.4, 0.30), (0.6, 0.68)),
            Repeat("b", 1, RunStatus.Finished, (0.3, 0.20), (0.4, 0.30), (0.5, 0.35)),
            Repeat("b", 2, RunStatus.Diverged, (0.1, 0.10)),
            Repeat("b", 3, RunStatus.Finished, (0.3, 0.22), (0.5, 0.34), (0.6, 0.39)),
            new RunResult { Label = "once", Variant = "lenet5", Status = RunStatus.Finished, Parameters = 61_706, Epochs = new[] { Epoch(1, 0.5, 0.5) }, Test = new EvalResult(0.5, 0.69, 1, 100, 0.1) },
        };
        var recipe = new Recipe { Epochs = 3, BatchSize = 16, Seed = 7, Repeats = 3, Optimizer = new OptimizerSpec("adamw", 1e-3, ParameterBag.Empty), Schedule = new ScheduleSpec("cosine", ParameterBag.Empty) };
        var suite = new Suite("repeat-curves", Path.Combine(dir, "suite.json"), new DatasetSpec("shapes", null, 1, 28, 1, 0.1, ParameterBag.Empty),
            runs.Select(r => new ModelEntry(r.Label, r.Variant, "suite.json", null, null, null, ParameterBag.Empty)).ToArray(), recipe, "cpu");
        var data = new DatasetSummary("shapes", 1, 28, 28, new[] { "disc", "ring" }, 60, 15, 100, "held out of train", new[] { 0.5f }, new[] { 0.25f }, Array.Empty<string>());
        return new SuiteResult(suite, data, runs, dir);
    }

    [Fact]
    public void The_band_is_the_lowest_to_highest_repeat_each_epoch_around_their_mean_over_the_repeats_that_reached_it()
    {
        var runs = Suite(".").Runs.Take(3).ToArray();
        var band = RepeatCurves.Over("val", runs, e => e.ValTop1);
        Assert.Equal(new double[] { 1, 2, 3 }, band.Epochs);
        Assert.Equal(new[] { 3, 3, 2 }, band.Runs);
        Assert.Equal(0.40, band.Mean[0], 12);
        Assert.Equal((0.60 + 0.64 + 0.68) / 3, band.Mean[1], 12);
        Assert.Equal(0.71, band.Mean[2], 12);   // the third repeat stopped after epoch 2: the last mean is of the other two
        Assert.Equal(new[] { 0.30, 0.60, 0.70 }, band.Low);
        Assert.Equal(new[] { 0.50, 0.68, 0.72 }, band.High);
        // An epoch without a value (no validation) is left out, not drawn at 0.
        Assert.Empty(RepeatCurves.Over("none", runs, _ => null).Epochs);
    }

    [Fact]
    public void The_band_is_drawn_between_its_lowest_and_highest_repeat_in_its_means_colour_and_the_legend_says_what_it_is()
    {
        var a = RepeatCurves.Over("a", Suite(".").Runs.Take(3).ToArray(), e => e.ValTop1 * 100);
        var b = RepeatCurves.Over("b", new[] { Suite(".").Runs[3], Suite(".").Runs[5] }, e => e.ValTop1 * 100);
        var plot = RepeatCurves.Plot("t", "val top-1 (%)", new[] { a, b });
        Assert.Equal(new[] { "band: lowest to highest seed", "" }, plot.GetPlottables().OfType<ScottPlot.Plottables.FillY>().Select(f => f.LegendText).OrderDescending());
        using var bitmap = SKBitmap.Decode(plot.GetImageBytes(800, 480, ScottPlot.ImageFormat.Png));
        SKColor At(double x, double y) { var p = plot.GetPixel(new ScottPlot.Coordinates(x, y)); return bitmap.GetPixel((int)p.X, (int)p.Y); }
        // Epoch 1.5: a's band runs from 45 to 59 around its mean 50.3; between the two, it is tinted blue.
        var inside = At(1.5, 47.5);
        Assert.True(inside.Blue > inside.Red + 20 && inside.Red < 235, $"inside a's band: {inside}");
        // Above the band and below it (clear of b's, 25 to 28 there): the plot's white.
        Assert.Equal(SKColors.White, At(1.5, 61.5));
        Assert.Equal(SKColors.White, At(1.5, 41.5));
        // b's band (orange) between its two counted repeats, at epoch 2.5 from 32.5 to 36.5 around its mean 34.5.
        var orange = At(2.5, 33.3);
        Assert.True(orange.Red > orange.Blue + 20 && orange.Blue < 235, $"inside b's band: {orange}");
    }

    [Fact]
    public void The_comparison_keeps_a_models_repeats_together_at_their_mean_in_seed_order()
    {
        // Each run's own test top-1: a 0.70, a-r2 0.72, a-r3 0.68, once 0.69, b 0.35, b-r2 0.10 (diverged), b-r3 0.39. By
        // those alone "once" stood between a's repeats; a's mean (0.70) puts it after all three.
        var table = ComparisonTable.From(Suite("."));
        Assert.Equal(new[] { "a", "a-r2", "a-r3", "once", "b", "b-r3", "b-r2" }, table.Rows.Select(r => r.Run.Label));

        // The bars across runs stand in the same order.
        Assert.Equal(table.Rows.Select(r => r.Run.Label), FigureExporter.InTableOrder(ReportModel.From(Suite("."))).Select(r => r.Label));
    }

    [Fact]
    public void A_report_gets_each_models_curves_over_its_repeats_under_its_first_repeat_and_all_models_in_one_figure()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var model = ReportModel.From(Suite(dir));
        var plans = RepeatCurves.Figures(model);
        Assert.Equal(new[] { "a-repeats-accuracy", "a-repeats-loss", "b-repeats-accuracy", "b-repeats-loss", "repeats-val-top1" }, plans.Select(p => p.Name));
        Assert.Equal(new[] { "a", "a", "b", "b", null }, plans.Select(p => p.Run));
        Assert.Equal("a top-1 over 3 seeds (7, 8, 9): mean, lowest to highest", plans[0].Title);
        // The diverged repeat is not in b's band, as it is not in b's interval; the title says so.
        Assert.Equal("b top-1 over 2 of 3 seeds (7, 9): mean, lowest to highest", plans[2].Title);
        Assert.Equal("val top-1 over each model's seeds: mean, lowest to highest", plans[4].Title);

        var figures = FigureExporter.Write(model, Path.Combine(dir, "figures"));
        Assert.Empty(figures.Warnings);
        var curves = figures.Figures.Single(f => f.Png.EndsWith("a-repeats-accuracy.png", StringComparison.Ordinal));
        Assert.Equal((FigureExporter.Runs, "a"), (curves.Section, curves.Run));
        Assert.True(new FileInfo(curves.Png).Length > 1000);
        Assert.Contains(figures.Figures, f => f.Section == FigureExporter.Comparison && f.Png.EndsWith("repeats-val-top1.png", StringComparison.Ordinal));
        // On the page: within a's own section, before b's.
        var html = HtmlReport.Render(model, figures.Figures);
        int at = html.IndexOf("alt=\"a top-1 over 3 seeds", StringComparison.Ordinal);
        Assert.InRange(at, html.IndexOf("<h3 id=\"run-a\"", StringComparison.Ordinal), html.IndexOf("<h3 id=\"run-a-r2\"", StringComparison.Ordinal));
    }
}
