using System.Text.Json.Nodes;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>"repeats": N in a recipe (issue 29): N runs of each model at seeds seed … seed + N − 1, grouped with intervals.</summary>
public sealed class RepeatsTests
{
    const string Suite = """
        { "name": "repeats",
          "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 480, "val": 96, "test": 96 },
          "models": [
            { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } },
            { "variant": "lenet5", "label": "lenet-once", "recipe": { "repeats": 1 } }
          ],
          "recipe": { "epochs": 6, "batch_size": 32, "seed": 5, "repeats": 3, "optimizer": { "name": "adamw", "lr": 0.003 } } }
        """;

    [Fact]
    public void Repeats_become_runs_of_their_own_at_consecutive_seeds_and_the_first_keeps_its_identity()
    {
        var suite = SuiteParser.Parse(Suite, "repeats.json");
        Assert.Equal(new[] { "lenet5", "lenet5-r2", "lenet5-r3", "lenet-once" }, suite.Models.Select(m => m.Label));
        Assert.Equal(new[] { 5, 6, 7, 5 }, suite.Models.Select(m => suite.RecipeFor(m).Seed));
        Assert.Equal(new[] { "lenet5", "lenet5", "lenet5", null }, suite.Models.Select(m => m.RepeatOf));
        Assert.Equal(4, suite.Models.Select(m => m.Fingerprint).Distinct().Count());
        // Asking for repeats does not change the first run's identity: a finished single run is reused as repeat 1.
        var once = SuiteParser.Parse(Suite.Replace("\"repeats\": 3, ", ""), "repeats.json");
        Assert.Equal(once.Models[0].Fingerprint, suite.Models[0].Fingerprint);
        Assert.Equal(once.Models[1].Fingerprint, suite.Models[3].Fingerprint);
        var error = Assert.Throws<Zoo.Abstractions.ZooConfigException>(() => SuiteParser.Parse(Suite.Replace("\"repeats\": 3", "\"repeats\": 0"), "repeats.json"));
        Assert.Contains("recipe.repeats", error.Message);
    }

    [Fact]
    public void An_interval_stops_where_its_metric_does_at_0_and_100_percent_and_at_0_seconds()
    {
        RunResult Run(int k, double top1, double top5, double seconds) => new()
        {
            Label = k == 1 ? "m" : $"m-r{k}", Variant = "lenet5", Status = RunStatus.Finished, RepeatOf = "m", Repeat = k, BestValTop1 = top1,
            Test = new EvalResult(0.9, top1, top5, 600, 1), Epochs = new[] { new EpochRecord(1, 1e-3, 1, top1, 1, top1, top5, seconds, 100) },
        };
        // Two repeats: t = 12.7, so the interval of the mean is wider than the metric's range.
        var group = Assert.Single(RepeatGroup.From(new[] { Run(1, 0.62, 0.999, 20), Run(2, 0.79, 0.998, 35) }));
        var top1 = group.Metrics["test_top1"];
        Assert.Equal(0.705, top1.Mean, 12);
        Assert.Equal((0, 1), (top1.Low, top1.High));
        Assert.Equal("70.50 ± 12.02 % (0.00–100.00)", RepeatGroup.Format(top1, percent: true));
        var top5 = group.Metrics["test_top5"];
        Assert.Equal(1, top5.High);
        Assert.True(top5.Low is > 0.98 and < 0.9985, $"{top5.Low}");   // cut above only
        Assert.Equal(0, group.Metrics["seconds_per_epoch"].Low);
        Assert.True(group.Metrics["seconds_per_epoch"].High > 100);    // no bound above a time
        // Three close repeats keep their interval as Student's t gives it.
        var close = Assert.Single(RepeatGroup.From(new[] { Run(1, 0.90, 0.99, 20), Run(2, 0.91, 0.99, 21), Run(3, 0.92, 0.99, 22) })).Metrics["test_top1"];
        Assert.Equal(0.91 - 4.302653 * 0.01 / Math.Sqrt(3), close.Low, 5);
    }

    [Fact]
    public void Repeats_resume_after_an_interrupt_are_skipped_when_finished_and_are_summarised_with_intervals()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "repeats.json");
            File.WriteAllText(path, Suite);
            using var catalog = TestEnvironment.Catalog();
            var output = Path.Combine(dir, "out");
            // Stop during the second repeat, after its first epoch (of six).
            using var stop = new CancellationTokenSource();
            var first = new SuiteRunner(catalog).Run(SuiteParser.Load(path), output, stop.Token, new SyncProgress<SuiteEvent>(e =>
            {
                if (e is EpochEnded { Label: "lenet5-r2" }) stop.Cancel();
            }));
            Assert.True(first.Interrupted);
            Assert.Equal(new[] { RunStatus.Finished, RunStatus.Interrupted }, first.Runs.Select(r => r.Status));

            var seen = new List<SuiteEvent>();
            var result = new SuiteRunner(catalog).Run(SuiteParser.Load(path), output, default, new SyncProgress<SuiteEvent>(seen.Add));
            Assert.True(result.AllFinished);
            Assert.Single(seen.OfType<RunSkipped>(), e => e.Label == "lenet5");
            Assert.Single(seen.OfType<RunResumed>(), e => e.Label == "lenet5-r2" && e.Epoch == 1);
            Assert.Equal(new[] { 5, 6, 7, 5 }, result.Runs.Select(r => r.Seed!.Value));
            Assert.Equal(new int?[] { 1, 2, 3, null }, result.Runs.Select(r => r.Repeat));
            // Different seeds, different runs.
            Assert.NotEqual(result.Runs[0].Epochs[0].TrainLoss, result.Runs[1].Epochs[0].TrainLoss);

            var group = Assert.Single(RepeatGroup.From(result.Runs));
            Assert.Equal(("lenet5", 3), (group.Label, group.Runs.Count));
            var top1 = group.Metrics["test_top1"];
            var values = result.Runs.Take(3).Select(r => r.Test!.Top1).ToArray();
            Assert.Equal(values.Average(), top1.Mean, 12);
            Assert.True(top1.Low <= top1.Mean && top1.Mean <= top1.High);
            // A second run of the same command trains nothing.
            var again = new List<SuiteEvent>();
            new SuiteRunner(catalog).Run(SuiteParser.Load(path), output, default, new SyncProgress<SuiteEvent>(again.Add));
            Assert.Equal(4, again.OfType<RunSkipped>().Count());

            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;
            var stored = json["repeat_groups"]!.AsArray().Single()!;
            Assert.Equal(top1.Mean, (double)stored["metrics"]!["test_top1"]!["mean"]!, 12);
            Assert.Equal("lenet5", (string)json["runs"]![2]!["repeat_of"]!);
            var md = File.ReadAllText(Path.Combine(output, "comparison.md"));
            Assert.Contains("Repeats at different seeds", md);
            Assert.Contains($"| lenet5 | 3 of 3 | {RepeatGroup.Format(top1, true)} |", md);
            // The comparison table (comparison.md, report.html, the UI's F7) gives each repeat its model's interval.
            var table = ComparisonTable.From(result);
            int seeds = table.Columns.ToList().FindIndex(c => c.Header == "Test top-1 over seeds (95 % CI)");
            Assert.True(seeds > 0);
            Assert.All(table.Rows.Where(r => r.Run.RepeatOf == "lenet5"), r => Assert.Equal(RepeatGroup.Format(top1, true), r.Cells[seeds]));
            Assert.Equal("-", table.Rows.Single(r => r.Run.Label == "lenet-once").Cells[seeds]);

            // The report draws the three repeats' curves as their mean with the lowest to highest around it, under the first repeat.
            var plans = Zoo.Reports.Figures.RepeatCurves.Figures(Zoo.Reports.Model.ReportModel.From(result));
            Assert.Equal(new[] { ("lenet5-repeats-accuracy", "lenet5"), ("lenet5-repeats-loss", "lenet5") }, plans.Select(p => (p.Name, p.Run!)));
            var band = Zoo.Reports.Figures.RepeatCurves.Over("val", result.Runs.Take(3).ToArray(), e => e.ValTop1);
            Assert.Equal(6, band.Epochs.Length);
            for (int e = 0; e < 6; e++)
            {
                var each = result.Runs.Take(3).Select(r => r.Epochs[e].ValTop1!.Value).ToArray();
                Assert.Equal((each.Min(), each.Average(), each.Max()), (band.Low[e], band.Mean[e], band.High[e]));
            }
            Assert.Contains(band.Epochs.Select((_, e) => band.High[e] - band.Low[e]), spread => spread > 0);   // the seeds differ
        }
        finally { Directory.Delete(dir, true); }
    }
}
