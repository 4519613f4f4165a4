using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SkiaSharp;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using Zoo.Reports.Export;
using Zoo.Reports.Figures;
using Zoo.Reports.Html;
using Zoo.Reports.Model;

namespace Zoo.Host.Tests;

/// <summary>Reports: one model read back from results folders, and the exporters over it (figures, report.html, merged comparison.md).</summary>
public sealed class ReportTests
{
    [Fact]
    public void The_engines_markdown_becomes_html_with_its_tables_lists_and_bold_and_nothing_unescaped()
    {
        var html = HtmlReport.MarkdownToHtml("# title\n\n| A | B |\n|---|--:|\n| x | 1 |\n\ntext <b>\n\n| C |\n|---|\n| y |\n\n- one\n- two & three\n\n**m did not learn** (since epoch 2)\n");
        Assert.DoesNotContain("title", html);
        Assert.Equal(2, html.Split("<table").Length - 1);
        Assert.Contains("<ul><li>one</li><li>two &amp; three</li></ul>", html);
        Assert.Contains("<p><strong>m did not learn</strong> (since epoch 2)</p>", html);
        Assert.Contains("<p>text &lt;b&gt;</p>", html);
    }

    static readonly string[] Classes = { "disc", "ring", "square" };

    static EpochRecord Epoch(int e, double loss, double top1, double? val) =>
        new(e, 0.01 / e, loss, top1, val is null ? null : loss * 1.1, val, val is null ? null : Math.Min(1, val.Value + 0.1), 2.0, 500) { EmaValTop1 = val is null ? null : val - 0.02 };

    static EvalResult Eval(double top1, int[][] confusion) => new(0.7, top1, 1.0, confusion.Sum(r => r.Sum()), 0.3) { Confusion = confusion };

    /// <summary>A suite with a finished, a diverged, a failed and an interrupted run, as the engine would record them.</summary>
    internal static SuiteResult Sample(string dir, string name = "report-test", string labelPrefix = "", double lr = 0.01)
    {
        var recipe = new Recipe
        {
            Epochs = 3, BatchSize = 16, Seed = 4, Optimizer = new OptimizerSpec("sgd", lr, ParameterBag.Empty),
            Schedule = new ScheduleSpec("cosine", ParameterBag.Empty), Target = new TargetSpec("val_top1", 0.6, false),
        };
        var runs = new[]
        {
            new RunResult
            {
                Label = labelPrefix + "good", Variant = "lenet5", Family = "Classic", Status = RunStatus.Finished, Parameters = 61_706, Gmacs = 0.00042,
                Epochs = new[] { Epoch(1, 1.0, 0.4, 0.5), Epoch(2, 0.8, 0.6, 0.65), Epoch(3, 0.7, 0.7, 0.6) }, BestEpoch = 2, BestValTop1 = 0.65,
                Test = Eval(0.6, new[] { new[] { 8, 1, 1 }, new[] { 2, 6, 2 }, new[] { 1, 1, 8 } }),
                Validation = Eval(0.65, new[] { new[] { 4, 1, 0 }, new[] { 1, 3, 1 }, new[] { 0, 1, 4 } }),
                TargetEpoch = 2, TargetSeconds = 4.0, TotalSeconds = 6.5,
            },
            new RunResult
            {
                Label = labelPrefix + "wide", Variant = "resnet18", Family = "Classic", Status = RunStatus.Finished, Parameters = 11_000_000, Gmacs = 0.56,
                Epochs = new[] { Epoch(1, 0.9, 0.5, 0.6), Epoch(2, 0.5, 0.8, 0.7) }, BestEpoch = 2, BestValTop1 = 0.7,
                Test = Eval(0.7, new[] { new[] { 9, 1, 0 }, new[] { 1, 7, 2 }, new[] { 0, 2, 8 } }), TargetEpoch = 1, TargetSeconds = 2.0, TotalSeconds = 30,
            },
            new RunResult
            {
                Label = labelPrefix + "blown", Variant = "vgg11", Family = "Classic", Status = RunStatus.Diverged, DivergedAtEpoch = 2, Parameters = 9_000_000,
                Epochs = new[] { Epoch(1, 2.0, 0.3, 0.3), new EpochRecord(2, 0.01, double.NaN, 0.1, null, null, null, 2, 500) }, TotalSeconds = 4,
            },
            new RunResult
            {
                Label = labelPrefix + "broken", Variant = "alexnet", Family = "Classic", Status = RunStatus.Failed,
                Error = "InvalidOperationException: the input is too small <for this & that>\n   at Zoo.Something()",
            },
            new RunResult
            {
                Label = labelPrefix + "stopped", Variant = "mobilenet_v2", Family = "Lightweight", Status = RunStatus.Interrupted, Parameters = 2_000_000,
                Epochs = new[] { Epoch(1, 1.5, 0.3, 0.35) }, TotalSeconds = 3,
            },
        };
        var suite = new Suite(name, Path.Combine(dir, "suite.json"),
            new DatasetSpec("shapes", null, 1, 28, 1, 0.1, ParameterBag.Empty),
            runs.Select(r => new ModelEntry(r.Label, r.Variant, "suite.json", null, null, null, ParameterBag.Empty)).ToArray(), recipe, "cpu");
        var data = new DatasetSummary("shapes", 1, 28, 28, Classes, 60, 15, 30, "held out of train", new[] { 0.5f }, new[] { 0.25f }, new[] { "bad/one.png", "bad/two.jpg" });
        var result = new SuiteResult(suite, data, runs, dir);
        new ResultWriter(dir).WriteSummary(result);
        return result;
    }

    static void Clean(params string[] dirs)
    {
        foreach (var d in dirs) try { Directory.Delete(d, true); } catch (IOException) { }
    }

    [Fact]
    public void Every_exporter_reads_the_same_model_and_the_table_matches_comparison_md()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var engine = Sample(dir);
            var model = ReportModel.Load(new[] { dir });
            // The model read back prints exactly the table the engine wrote when the suite ran.
            Assert.Equal(File.ReadAllText(Path.Combine(dir, "comparison.md")), ResultWriter.Markdown(model.Comparison));
            Assert.Equal(engine.Runs.Select(r => r.Label), model.Runs.Select(r => r.Label));

            var output = ReportWriter.Write(model, dir, svg: true);
            Assert.Empty(output.Warnings);
            var html = File.ReadAllText(output.Html);
            // Every row of the HTML table is a row of comparison.md, cell for cell.
            var mdRows = ResultWriter.Markdown(model.Comparison).Split('\n').Where(l => l.StartsWith("| ") && !l.StartsWith("| Model")).ToArray();
            Assert.Equal(5, mdRows.Length);
            foreach (var row in mdRows)
            {
                var cells = row.Trim().Trim('|').Split('|').Select(c => System.Net.WebUtility.HtmlEncode(c.Trim())).ToArray();
                Assert.Contains(string.Concat(cells.Select((c, i) => i == 0 || i == 1 || i == cells.Length - 1 ? $"<td>{c}</td>" : $"<td class=\"n\">{c}</td>")), html);
            }
            Assert.Contains("60.00 %", html);   // good's test top-1, as comparison.md prints it
            Assert.Contains("70.00 %", html);
            // Figures: one set across runs, and per run only what the run has.
            var names = output.Figures.Select(f => Path.GetFileNameWithoutExtension(f.Png)).ToHashSet();
            foreach (var n in new[] { "accuracy", "test-loss", "seconds-per-epoch", "total-seconds", "size", "parameters", "gmacs", "latency",
                         "epochs-to-target", "seconds-to-target", "top1-vs-parameters", "top1-vs-gmacs", "top1-vs-latency", "dataset-classes",
                         "good-loss", "good-accuracy", "good-lr", "good-confusion", "good-per-class", "blown-loss", "stopped-accuracy" })
                Assert.Contains(n, names);
            Assert.DoesNotContain("broken-loss", names);        // a run that failed before its first epoch has no curves
            Assert.DoesNotContain("blown-confusion", names);    // nor a confusion matrix without a test evaluation
            foreach (var f in output.Figures)
            {
                Assert.True(File.Exists(f.Png), f.Png);
                Assert.True(f.Svg is not null && File.Exists(f.Svg) && File.ReadAllText(f.Svg).Contains("<svg"), f.Svg);
            }
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void A_report_of_a_suite_with_a_failed_a_diverged_and_an_interrupted_run_renders_each_status()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            Sample(dir);
            var html = File.ReadAllText(ReportWriter.Write(ReportModel.Load(new[] { dir }), dir).Html);
            Assert.Contains("<td class=\"bad\">failed</td>", html);
            Assert.Contains("<td class=\"bad\">diverged</td>", html);
            Assert.Contains("<td class=\"mid\">interrupted</td>", html);
            Assert.Contains("loss not finite at epoch 2", html);
            // The error is shown whole and escaped, not interpreted as markup.
            Assert.Contains("the input is too small &lt;for this &amp; that&gt;", html);
            Assert.Contains("at Zoo.Something()", html);
            Assert.DoesNotContain("<for this", html);
            // Skipped files and the data description are there.
            Assert.Contains("bad/one.png", html);
            Assert.Contains("held out of train", html);
            Assert.Contains("sgd lr 0.01", html);
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void The_html_embeds_every_figure_and_names_no_url_or_outside_file()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            Sample(dir);
            var output = ReportWriter.Write(ReportModel.Load(new[] { dir }), dir);
            var html = File.ReadAllText(output.Html);
            Assert.DoesNotMatch(new Regex("https?://", RegexOptions.IgnoreCase), html);
            Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("url(", html, StringComparison.OrdinalIgnoreCase);
            // Every src is an embedded image, every href a place in the page that exists.
            var srcs = Regex.Matches(html, "src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToArray();
            Assert.Equal(output.Figures.Count, srcs.Length);
            Assert.All(srcs, s => Assert.StartsWith("data:image/png;base64,", s));
            foreach (var s in srcs)
            {
                using var bitmap = SKBitmap.Decode(Convert.FromBase64String(s["data:image/png;base64,".Length..]));
                Assert.NotNull(bitmap);
            }
            foreach (Match m in Regex.Matches(html, "href=\"([^\"]*)\""))
            {
                var href = m.Groups[1].Value;
                if (href.StartsWith("figures/", StringComparison.Ordinal)) { Assert.True(File.Exists(Path.Combine(dir, Uri.UnescapeDataString(href))), href); continue; }
                Assert.StartsWith("#", href);
                Assert.Contains($"id=\"{href[1..]}\"", html);
            }
            // Each figure is shown at the size it was drawn (not shrunk to 540 px, its text to 7 px) and its caption links its file.
            Assert.DoesNotContain("540px", html);
            foreach (var f in output.Figures)
            {
                using var bitmap = SKBitmap.Decode(f.Png);
                Assert.Contains($"width=\"{bitmap.Width}\" height=\"{bitmap.Height}\"", html);
                Assert.Contains($"<a href=\"figures/{Path.GetFileName(f.Png)}\">", html);
            }
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void Figures_are_valid_pngs_of_the_expected_size()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            Sample(dir);
            var result = FigureExporter.Write(ReportModel.Load(new[] { dir }), Path.Combine(dir, "figures"), svg: false);
            Assert.NotEmpty(result.Figures);
            foreach (var f in result.Figures)
            {
                var bytes = File.ReadAllBytes(f.Png);
                Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
                using var bitmap = SKBitmap.Decode(bytes);
                Assert.NotNull(bitmap);
                Assert.Equal((FigureFiles.Width, FigureFiles.Height), (bitmap.Width, bitmap.Height));
                // Not blank: a drawn chart has many distinct colours.
                Assert.True(bitmap.Pixels.Distinct().Take(20).Count() >= 20, $"{f.Png} looks empty");
                Assert.Null(f.Svg);
            }
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void A_figure_that_cannot_be_drawn_is_a_warning_and_the_report_still_renders()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var r = Sample(dir);
            // A ragged confusion matrix (a hand-edited or truncated results.json) cannot be drawn.
            var bad = r with { Runs = r.Runs.Select(x => x.Label == "good" ? x with { Test = x.Test! with { Confusion = new[] { new[] { 1, 2, 3 }, new[] { 1 }, new[] { 1, 2, 3 } } } } : x).ToArray() };
            var output = ReportWriter.Write(ReportModel.From(bad), dir);
            Assert.Contains(output.Warnings, w => w.Contains("good-confusion", StringComparison.Ordinal));
            var html = File.ReadAllText(output.Html);
            Assert.Contains("good-confusion not drawn", html);
            Assert.Contains("good-loss.png", html);
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void Zoo_report_on_two_results_folders_merges_their_runs_into_one_comparison()
    {
        var a = TestEnvironment.NewTempDirectory();
        var b = TestEnvironment.NewTempDirectory();
        var outDir = TestEnvironment.NewTempDirectory();
        try
        {
            Sample(a, "plateau");
            Sample(b, "cosine", lr: 0.05);
            Assert.Equal(0, Zoo.Cli.Commands.Report(new[] { a, b }, outDir));
            var md = File.ReadAllText(Path.Combine(outDir, "comparison.md"));
            Assert.StartsWith("# plateau + cosine", md);
            foreach (var label in new[] { "plateau/good", "plateau/broken", "cosine/good", "cosine/broken" }) Assert.Contains($"| {label}", md);
            // The second suite's recipe differs, so its runs say so, as a model's own recipe does.
            Assert.Contains("cosine/good *", md);
            Assert.Contains("own recipe: 3 epochs, batch 16, sgd lr 0.05", md);
            Assert.DoesNotContain("plateau/good *", md);
            var html = File.ReadAllText(Path.Combine(outDir, "report.html"));
            Assert.Contains("plateau/wide", html);
            Assert.Contains("cosine/wide", html);
            Assert.True(File.Exists(Path.Combine(outDir, "figures", "cosine_good-accuracy.png")));
            Assert.True(File.Exists(Path.Combine(outDir, "figures", "plateau_good-accuracy.png")));
            Assert.False(File.Exists(Path.Combine(a, "report.html")));   // the inputs are left as they were
        }
        finally { Clean(a, b, outDir); }
    }

    [Fact]
    public void Figures_with_no_value_for_any_run_are_left_out_and_the_others_drawn()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            // No test split and no target reached: test loss, latency and time to the target have nothing to show.
            var r = Sample(dir);
            var untested = r with { Runs = r.Runs.Select(x => x with { Test = null, TargetEpoch = null, TargetSeconds = null }).ToArray() };
            var result = FigureExporter.Write(ReportModel.From(untested), Path.Combine(dir, "figures"));
            Assert.Empty(result.Warnings);
            var names = result.Figures.Select(f => Path.GetFileNameWithoutExtension(f.Png)).ToHashSet();
            foreach (var n in new[] { "test-loss", "latency", "epochs-to-target", "seconds-to-target", "top1-vs-parameters" })
                Assert.DoesNotContain(n, names);
            foreach (var n in new[] { "accuracy", "seconds-per-epoch", "total-seconds", "size", "parameters", "gmacs", "good-accuracy" })
                Assert.Contains(n, names);
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void A_run_that_ended_before_its_model_was_counted_shows_no_parameters_rather_than_zero()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            Sample(dir);   // "broken" failed before its model was built: Parameters 0 in results.json
            var table = ComparisonTable.From(ReportModel.Load(new[] { dir }).Comparison);
            var broken = table.Rows.Single(x => x.Run.Label == "broken");
            Assert.Equal(("-", "-"), (broken.Cells[2], broken.Cells[3]));
            Assert.Equal(((double?)null, (double?)null), (broken.Keys[2], broken.Keys[3]));
            var stopped = table.Rows.Single(x => x.Run.Label == "stopped");
            Assert.Equal(("2,000,000", "7.63"), (stopped.Cells[2], stopped.Cells[3]));
            // Sorted by parameters, the uncounted run comes last either way, not as the smallest model.
            Assert.Equal("broken", table.SortedBy(2, descending: false)[^1].Run.Label);
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void A_folder_without_results_json_is_refused_by_name()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var e = Assert.Throws<ZooConfigException>(() => ReportModel.Load(new[] { dir }));
            Assert.Contains("results.json", e.Message);
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void A_runs_feature_analysis_becomes_its_t_SNE_panels_k_distance_curve_ARI_bars_and_table()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            Sample(dir);
            Assert.DoesNotContain("Feature analysis", File.ReadAllText(ReportWriter.Write(ReportModel.Load(new[] { dir }), dir).Html));

            // What the engine writes into results.json's run (AnalysisResult through ZooJson), for the run "good".
            var analysis = new AnalysisResult
            {
                Images = 4, FeatureWidth = 84, Perplexity = 1, KmeansAri = 0.8, KmeansClusters = 3, DbscanAri = 0.5, DbscanEps = 1.25, DbscanMinPts = 2,
                DbscanClusters = 2, DbscanNoise = 1, KDistanceK = 4, KDistance = new[] { 0.5, 1.0, 1.25, 3.0 }, KDistanceRank = new[] { 0, 1, 2, 3 },
                ElbowRank = 2, ElbowEps = 1.25, TsneX = new[] { 0f, 1, 2, 3 }, TsneY = new[] { 0f, 1, 0, 1 },
                Labels = new[] { 0, 0, 1, 2 }, KmeansLabels = new[] { 0, 0, 1, 2 }, DbscanLabels = new[] { 0, 0, 1, -1 },
            };
            var file = Path.Combine(dir, "results.json");
            var root = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            root["runs"]![0]!["analysis"] = System.Text.Json.JsonSerializer.SerializeToNode(analysis, ZooJson.Options);
            File.WriteAllText(file, root.ToJsonString());

            var output = ReportWriter.Write(ReportModel.Load(new[] { dir }), dir);
            Assert.Empty(output.Warnings);
            var analysisFigures = output.Figures.Where(f => f.Section == HtmlReport.AnalysisSection).Select(f => Path.GetFileName(f.Png)).ToList();
            Assert.Equal(new[] { "analysis-ari.png", "good-tsne-classes.png", "good-tsne-kmeans.png", "good-tsne-dbscan.png", "good-k-distance.png" }, analysisFigures);
            var html = File.ReadAllText(output.Html);
            Assert.Contains("id=\"analysis\"", html);
            Assert.Contains("<th>K-means ARI</th>", html);
            Assert.Contains("<td>good</td><td class=\"n\">4</td><td class=\"n\">84</td><td>tsne</td><td class=\"n\">0.800</td><td class=\"n\">0.500</td><td class=\"n\">1.25</td>", html);
            Assert.DoesNotContain("<td>wide</td><td class=\"n\">", html.Split("id=\"analysis\"")[1].Split("</table>")[0]);   // only analysed runs are listed
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void The_confusion_heatmap_puts_each_cell_under_its_own_row_and_column_names()
    {
        // Only (true 0 -> predicted 2) and (true 2 -> predicted 1) are bright: an image flipped or shifted
        // by half a cell (as an explicit extent once drew it) puts bright colour under other names.
        var values = new double[3, 3];
        values[0, 2] = 1;
        values[2, 1] = 1;
        var plot = Charts.Heatmap("t", "predicted", "true", values, Classes, Classes, "fraction");
        using var bitmap = SKBitmap.Decode(plot.GetImageBytes(600, 400, ScottPlot.ImageFormat.Png));
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
            {
                // A third of a cell off the centre, away from the number written there.
                var px = plot.GetPixel(new ScottPlot.Coordinates(c + 0.3, 2 - r + 0.3));
                var green = bitmap.GetPixel((int)px.X, (int)px.Y).Green;   // viridis: 0 is dark purple, 1 bright yellow
                Assert.True(values[r, c] == 1 ? green > 180 : green < 60, $"cell ({r}, {c}) has green {green}");
            }
    }

    [Fact]
    public void A_DBSCAN_map_of_25_clusters_and_noise_gets_26_distinct_colours_and_no_legend_over_its_points()
    {
        // 25 clusters and noise (-1), 20 seeded points each, as DBSCAN's labels come.
        var rng = new Random(3);
        var labels = Enumerable.Range(0, 26 * 20).Select(i => i % 26 - 1).ToArray();
        var x = labels.Select(l => (l + 1) % 5 * 10 + rng.NextDouble()).ToArray();
        var y = labels.Select(l => (l + 1) / 5 * 10 + rng.NextDouble()).ToArray();
        var plot = Charts.LabelledPoints("t", "x", "y", x, y, labels);
        var colours = plot.GetPlottables().OfType<ScottPlot.Plottables.Scatter>().Select(p => p.MarkerFillColor).ToArray();
        Assert.Equal(26, colours.Length);
        // Clearly apart, pair by pair (the cycled palette gave 0, 10 and 20 one blue, and 7 and 17 noise's grey).
        double Distance(ScottPlot.Color a, ScottPlot.Color b) => Math.Sqrt(Math.Pow(a.R - b.R, 2) + Math.Pow(a.G - b.G, 2) + Math.Pow(a.B - b.B, 2));
        var closest = colours.SelectMany((a, i) => colours.Skip(i + 1).Select(b => Distance(a, b))).Min();
        Assert.True(closest >= 70, $"two colours are {closest:F0} apart in RGB");
        // The names are written at the clusters instead of a 25-line legend inside the plot; noise alone is in a legend beside it.
        Assert.False(plot.Legend.IsVisible);
        Assert.Equal(Enumerable.Range(0, 25).Select(i => i.ToString()), plot.GetPlottables().OfType<ScottPlot.Plottables.Text>().Select(t => t.LabelText).Order(StringComparer.Ordinal).OrderBy(t => t.Length));
        // Few groups keep the 10-colour palette, without its grey.
        Assert.DoesNotContain(Charts.Palette[7], Charts.Categorical(9));
        Assert.Equal(Charts.Palette[8], Charts.Categorical(9)[7]);
    }

    [Fact]
    public void The_pareto_front_keeps_only_points_no_other_point_beats()
    {
        // (cost, accuracy): b is cheaper and better than c; d is dearest but best; a is cheapest.
        double[] cost = { 1, 2, 3, 4, 2 };
        double[] accuracy = { 0.5, 0.7, 0.6, 0.9, 0.7 };
        Assert.Equal(new[] { 0, 1, 3 }, Charts.ParetoFront(cost, accuracy));
    }

    [Fact]
    public void A_one_epoch_suite_run_by_the_engine_gets_a_report_with_curves_and_a_confusion_matrix()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var suite = SuiteParser.Parse("""
                {
                  "name": "tiny",
                  "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 64, "val": 32, "test": 32 },
                  "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
                  "recipe": { "epochs": 1, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } }
                }
                """, Path.Combine(dir, "suite.json"));
            var result = new SuiteRunner(TestEnvironment.Catalog()).Run(suite, dir, CancellationToken.None, new SyncProgress<SuiteEvent>(_ => { }));
            var model = ReportModel.Load(new[] { dir });
            Assert.Equal(ResultWriter.Markdown(result), ResultWriter.Markdown(model.Comparison));
            var output = ReportWriter.Write(model, dir);
            Assert.Empty(output.Warnings);
            var names = output.Figures.Select(f => Path.GetFileName(f.Png)).ToArray();
            Assert.Contains("lenet5-accuracy.png", names);
            Assert.Contains("lenet5-confusion.png", names);
            Assert.Contains("lenet5-predictions.png", names);
            Assert.Equal((64, 32, 32), (model.Dataset.ClassCounts!["train"].Sum(), model.Dataset.ClassCounts["val"].Sum(), model.Dataset.ClassCounts["test"].Sum()));
            Assert.Null(model.Dataset.OriginalSizes);   // generated images have no files
            Assert.Equal("images per class and split", output.Figures.Single(f => f.Png.EndsWith("dataset-classes.png")).Title);
            var html = File.ReadAllText(output.Html);
            Assert.Contains(ShapesClass(), html);
            Assert.NotNull(model.Runs[0].BestWeights);
            // The layer table as `zoo describe` prints it, at the suite's input, in the run's section.
            Assert.Contains("Total params: 61,706", model.Runs[0].Layers);
            Assert.Contains("features.0 (Conv2d)", html);

            // The prediction grid's sample: 24 of the 32 test images, at least a third of them mistakes where the set has as many, thumbnails at full 28 px.
            var sample = model.Runs[0].Predictions!;
            Assert.Equal(24, sample.Images.Count);
            Assert.Equal(sample.Images.Select(i => i.Index).Order().Distinct(), sample.Images.Select(i => i.Index));
            Assert.All(sample.Images, i => Assert.Equal((1, 28, 28, 784), (i.Image.Channels, i.Image.Height, i.Image.Width, i.Image.Pixels.Length)));
            Assert.Equal(Math.Min(16, 32 - (int)Math.Round(result.Runs[0].Test!.Top1 * 32)), sample.ConfidentMistakes.Count);
            Assert.All(sample.ConfidentMistakes, m => Assert.False(m.Correct));
            Assert.Equal(sample.ConfidentMistakes.Select(m => m.Confidence).OrderDescending(), sample.ConfidentMistakes.Select(m => m.Confidence));
            Assert.Contains("dataset-samples.png", names);
            Assert.Equal(model.Dataset.ClassCounts!["train"].Select(c => Math.Min(8, c)), model.Suites[0].DataSamples!.Select(c => c.Images.Count));
            int wrongInTest = result.Runs[0].Test!.Count - (int)Math.Round(result.Runs[0].Test!.Top1 * result.Runs[0].Test!.Count);
            Assert.Equal(Math.Min(wrongInTest, Math.Max(8, 24 - (32 - wrongInTest))), sample.Images.Count(i => !i.Correct));
            using var grid = SKBitmap.Decode(output.Figures.Single(f => f.Png.EndsWith("lenet5-predictions.png")).Png);
            Assert.True(grid.Width > 8 * 96 && grid.Height > 3 * 96, $"grid is {grid.Width}x{grid.Height}");
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void The_learning_rate_chart_draws_each_epochs_steps_so_a_warm_up_rises_and_the_cosine_decays()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            // 64 images in batches of 16: 4 steps an epoch; one epoch of warm-up, then a per-step cosine to 0 over two.
            var suite = SuiteParser.Parse("""
                {
                  "name": "lr",
                  "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 64, "val": 16, "test": 16 },
                  "models": [ { "variant": "lenet5" } ],
                  "recipe": { "epochs": 3, "batch_size": 16, "seed": 5, "optimizer": { "name": "sgd", "lr": 0.1 },
                              "schedule": { "name": "cosine", "warmup_epochs": 1, "min_lr": 0 } }
                }
                """, Path.Combine(dir, "suite.json"));
            var epochs = new SuiteRunner(TestEnvironment.Catalog()).Run(suite, dir, CancellationToken.None, new SyncProgress<SuiteEvent>(_ => { })).Runs[0].Epochs;
            Assert.All(epochs, e => Assert.Equal(4, e.LearningRateSteps!.Count));
            Assert.Equal(epochs.Select(e => e.LearningRate), epochs.Select(e => e.LearningRateSteps![0]));   // "lr" stays the rate at the start
            var warmUp = epochs[0].LearningRateSteps!;
            Assert.True(warmUp.Zip(warmUp.Skip(1)).All(p => p.Second > p.First), string.Join(", ", warmUp));
            var decay = epochs[1].LearningRateSteps!.Concat(epochs[2].LearningRateSteps!).ToArray();
            Assert.True(decay.Zip(decay.Skip(1)).All(p => p.Second < p.First), string.Join(", ", decay));
            // Each epoch's start alone (all the chart had) never showed the end of the decay: the last step is far below epoch 3's start.
            Assert.True(epochs[2].LearningRateSteps![^1] < 0.3 * 0.1);

            // Read back from results.json, the chart's stairs span epochs 0 to 3, rising to the peak at 1 and falling after.
            var (x, y, perStep) = FigureExporter.LearningRateCurve(ReportModel.Load(new[] { dir }).Runs[0].Run.Epochs);
            Assert.True(perStep);
            Assert.Equal((0.0, 0.25, 3.0, 13), (x[0], x[1], x[^1], x.Length));   // 4 steps an epoch at their starts, and the end
            Assert.Equal(y[^2], y[^1]);
            // More steps than kept: 11 evenly spaced, the first the epoch's start.
            Assert.Equal(new[] { 0.0, 3, 5, 8, 11, 14, 16, 19, 22, 25, 27 }, EpochRecord.SampleSteps(Enumerable.Range(0, 30).Select(i => (double)i).ToArray()));
            Assert.Equal(y.Max(), y[4]);
            Assert.Equal(1.0, x[4]);

            // results.json of an older Zoo (no "lr_steps") still renders, its rates drawn at each epoch's start.
            var file = Path.Combine(dir, "results.json");
            var root = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
            foreach (var e in root["runs"]![0]!["epochs"]!.AsArray()) e!.AsObject().Remove("lr_steps");
            File.WriteAllText(file, root.ToJsonString());
            var old = ReportModel.Load(new[] { dir });
            var (oldX, oldY, oldPerStep) = FigureExporter.LearningRateCurve(old.Runs[0].Run.Epochs);
            Assert.False(oldPerStep);
            Assert.Equal(new[] { 0.0, 1.0, 2.0 }, oldX);
            Assert.Equal(epochs.Select(e => e.LearningRate), oldY);
            var output = ReportWriter.Write(old, dir);
            Assert.Empty(output.Warnings);
            Assert.Contains(output.Figures, f => f.Png.EndsWith("lenet5-lr.png", StringComparison.Ordinal));
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void A_prediction_sample_keeps_its_images_labels_and_predictions_and_shrinks_large_images_to_thumbnails()
    {
        var info = new DatasetInfo("shapes", 3, 200, 200, Zoo.Engine.Data.ShapesDatasetProvider.ClassNames);
        var set = Zoo.Engine.Data.ShapesDatasetProvider.Generate(info, 10, 7, 0, 0.06);
        var predicted = Enumerable.Range(0, 10).Select(i => i < 3 ? (set.GetLabel(i) + 1) % 10 : set.GetLabel(i)).ToArray();   // images 0-2 wrong
        var eval = new EvalResult(1, 0.7, 0.9, 10, 0.1) { Predicted = predicted, Confidence = Enumerable.Repeat(0.5f, 10).ToArray() };
        var sample = PredictionSample.Take(eval, set, 6, seed: 1);
        Assert.Equal(6, sample.Images.Count);
        Assert.Equal(2, sample.Images.Count(i => !i.Correct));   // a third of 6
        Assert.All(sample.Images, i => Assert.Equal((set.GetLabel(i.Index), predicted[i.Index]), (i.Label, i.Predicted)));
        var first = sample.Images[0].Image;
        Assert.Equal((3, 50, 50, 3 * 50 * 50), (first.Channels, first.Height, first.Width, first.Pixels.Length));   // 200 / 4
        Assert.Equal(new[] { 0, 1, 2 }, sample.ConfidentMistakes.Select(m => m.Index));   // equal confidence: in index order
        var full = new float[3 * 200 * 200];
        set.Read(sample.Images[0].Index, full);
        double block = Enumerable.Range(0, 4).SelectMany(dy => Enumerable.Range(0, 4).Select(dx => (double)full[(1 * 200 + 40 + dy) * 200 + 36 + dx])).Average();
        Assert.Equal((int)Math.Round(block * 255), first.Pixels[(1 * 50 + 10) * 50 + 9]);   // channel 1, row 10, column 9: the mean of its 4x4 block

        var json = System.Text.Json.JsonSerializer.Serialize(sample, ZooJson.Options);
        var back = System.Text.Json.JsonSerializer.Deserialize<PredictionSample>(json, ZooJson.Options)!;
        Assert.Equal(first.Pixels, back.Images[0].Image.Pixels);
        Assert.Throws<ArgumentException>(() => PredictionSample.Take(new EvalResult(1, 0.7, 0.9, 10, 0.1), set, 6, 1));
    }

    [Theory]
    [InlineData(0.97, "8 wrong of 24 sampled (mistakes over-sampled: 3 % of the 100 test images are wrong)")]
    [InlineData(0.67, "8 wrong of 24 sampled (in proportion: 33 % of the 100 test images are wrong)")]
    [InlineData(0.11, "8 wrong of 24 sampled (mistakes under-sampled: 89 % of the 100 test images are wrong)")]
    [InlineData(0.995, "8 wrong of 24 sampled (mistakes over-sampled: 0.5 % of the 200 test images are wrong)")]
    public void A_prediction_grids_caption_says_whether_its_mistakes_were_over_or_under_sampled(double top1, string caption)
    {
        var thumb = new Thumbnail(1, 1, 1, new byte[] { 0 });
        var sample = new PredictionSample(Enumerable.Range(0, 24).Select(i => new PredictedImage(i, 0, i < 8 ? 1 : 0, 0.9, thumb)).ToArray());
        int count = top1 == 0.995 ? 200 : 100;
        Assert.Equal(caption, sample.Describe(new EvalResult(1, top1, 1, count, 1)));
        Assert.Equal("8 wrong of 24 sampled", sample.Describe(null));   // predictions.json without its run's test result
        Assert.Equal("all 24 test images, 8 wrong", sample.Describe(new EvalResult(1, 16 / 24.0, 1, 24, 1)));
    }

    [Fact]
    public void A_model_mostly_wrong_gets_its_mistakes_under_sampled_and_its_grid_says_so()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            // 89 % of 36 test images wrong: the sample's third of mistakes is fewer than the set's share.
            var info = new DatasetInfo("shapes", 1, 28, 28, Zoo.Engine.Data.ShapesDatasetProvider.ClassNames);
            var set = Zoo.Engine.Data.ShapesDatasetProvider.Generate(info, 36, 7, 0, 0.06);
            var predicted = Enumerable.Range(0, 36).Select(i => i < 32 ? (set.GetLabel(i) + 1) % 10 : set.GetLabel(i)).ToArray();
            var eval = new EvalResult(1, 4 / 36.0, 0.9, 36, 0.1) { Predicted = predicted, Confidence = Enumerable.Repeat(0.5f, 36).ToArray() };
            var sample = PredictionSample.Take(eval, set, 24, seed: 1);
            Assert.Equal(20, sample.Images.Count(i => !i.Correct));   // the 4 right ones fill the rest: 83 % against 89 %
            Assert.StartsWith("20 wrong of 24 sampled (mistakes under-sampled: 89 % of the 36 test images", sample.Describe(eval));

            var r = Sample(dir);
            File.WriteAllText(ResultWriter.PredictionsPath(dir, "good"), System.Text.Json.JsonSerializer.Serialize(sample, ZooJson.Options));
            var runs = r.Runs.Select(x => x.Label == "good" ? x with { Test = eval with { Confusion = x.Test!.Confusion } } : x).ToArray();
            var figures = FigureExporter.Write(ReportModel.From(r with { Runs = runs }), Path.Combine(dir, "figures")).Figures;
            Assert.Equal("good test predictions: " + sample.Describe(eval), figures.Single(f => f.Png.EndsWith("good-predictions.png", StringComparison.Ordinal)).Title);
        }
        finally { Clean(dir); }
    }

    [Fact]
    public void Prediction_captions_show_the_shapes_class_names_and_confidence_whole_and_shorten_only_a_long_name()
    {
        var names = Zoo.Engine.Data.ShapesDatasetProvider.ClassNames;
        var thumb = new Thumbnail(1, 28, 28, new byte[784]);
        var tiles = ImageGrid.Predictions(names.Select((_, i) => new PredictedImage(i, i, (i + 1) % names.Length, 0.97, thumb)), names);
        Assert.Contains("pred: v-stripes 97%", tiles.Select(t => t.Detail));
        Assert.Equal(tiles.SelectMany(t => new[] { t.Caption, t.Detail! }), ImageGrid.CaptionsAsDrawn(tiles));
        // A name no tile has room for loses its end, never the confidence.
        var longName = ImageGrid.CaptionsAsDrawn(ImageGrid.Predictions(new[] { new PredictedImage(0, 0, 1, 0.97, thumb) },
            new[] { "cat", "American Staffordshire terrier, Staffordshire terrier, American pit bull terrier" }));
        Assert.StartsWith("pred: American Staffordshire", longName[1]);
        Assert.EndsWith("… 97%", longName[1]);
    }

    static string ShapesClass() => Zoo.Engine.Data.ShapesDatasetProvider.ClassNames[0];
}
