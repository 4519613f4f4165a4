using System.Text.Json.Nodes;
using Zoo.Engine.Analysis;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>The statistics behind "is this difference real" (issue 29), against values computed by hand, and the paired tests of a comparison.</summary>
public sealed class StatisticsTests
{
    static double Binomial(int n, int k) => Enumerable.Range(1, k).Aggregate(1.0, (acc, i) => acc * (n - k + i) / i);

    [Theory]
    [InlineData(10, 2)]
    [InlineData(2, 10)]
    [InlineData(7, 0)]
    [InlineData(3, 4)]
    [InlineData(25, 11)]
    public void McNemars_exact_p_is_twice_the_smaller_binomial_tail(int b, int c)
    {
        int n = b + c, k = Math.Min(b, c);
        double tail = Enumerable.Range(0, k + 1).Sum(i => Binomial(n, i)) / Math.Pow(2, n);
        Assert.Equal(Math.Min(1, 2 * tail), Statistics.McNemarExact(b, c), 12);
    }

    [Fact]
    public void McNemar_for_fixed_tables()
    {
        // b = 10, c = 2: 2 * (1 + 12 + 66) / 4096 = 0.03857
        Assert.Equal(0.0386, Statistics.McNemarExact(10, 2), 4);
        Assert.Equal(1, Statistics.McNemarExact(0, 0));
        Assert.Equal(1, Statistics.McNemarExact(5, 5));
        Assert.Equal(Math.Pow(2, -19), Statistics.McNemarExact(20, 0), 15);
        // Large tables stay finite: 10 000 test images, 600 against 500 discordant (normal approximation: z = 3.02, p ≈ 0.0027).
        Assert.InRange(Statistics.McNemarExact(600, 500), 0.002, 0.0035);
    }

    [Fact]
    public void Holm_multiplies_the_sorted_p_values_by_the_hypotheses_left_and_keeps_them_monotone()
    {
        // Sorted 0.01, 0.03, 0.04 → 0.03, 0.06, max(0.06, 0.04) = 0.06; returned in the input's order.
        Assert.Equal(new[] { 0.03, 0.06, 0.06 }, Statistics.Holm(new[] { 0.01, 0.04, 0.03 }).Select(p => Math.Round(p, 10)));
        Assert.Equal(new[] { 1.0, 1.0 }, Statistics.Holm(new[] { 0.7, 0.9 }));
        Assert.Empty(Statistics.Holm(Array.Empty<double>()));
    }

    [Fact]
    public void Student_t_quantiles_and_interval_match_the_tables()
    {
        Assert.Equal(12.7062, Statistics.StudentQuantile(0.975, 1), 3);
        Assert.Equal(2.7764, Statistics.StudentQuantile(0.975, 4), 3);
        Assert.Equal(2.2281, Statistics.StudentQuantile(0.975, 10), 3);
        Assert.Equal(2.0452, Statistics.StudentQuantile(0.975, 29), 3);
        Assert.Equal(-2.2281, Statistics.StudentQuantile(0.025, 10), 3);
        // 1..5: mean 3, s = √2.5 = 1.5811, half-width 2.7764 · 1.5811 / √5 = 1.9632.
        var ci = Statistics.TInterval(new double[] { 1, 2, 3, 4, 5 });
        Assert.Equal(3, ci.Mean, 12);
        Assert.Equal(Math.Sqrt(2.5), ci.StandardDeviation, 12);
        Assert.Equal(1.0368, ci.Low, 3);
        Assert.Equal(4.9632, ci.High, 3);
        var one = Statistics.TInterval(new double[] { 0.9 });
        Assert.Equal((0.9, 0.9, 0.0), (one.Low, one.High, one.StandardDeviation));
    }

    [Fact]
    public void The_bootstrap_interval_of_an_accuracy_difference_holds_the_observed_difference_and_is_seeded()
    {
        var random = new Random(3);
        var a = Enumerable.Range(0, 500).Select(_ => random.NextDouble() < 0.9).ToArray();
        var b = Enumerable.Range(0, 500).Select(_ => random.NextDouble() < 0.7).ToArray();
        var (d, low, high) = Statistics.BootstrapAccuracyDifference(a, b);
        Assert.Equal(a.Count(x => x) / 500.0 - b.Count(x => x) / 500.0, d, 12);
        Assert.True(low < d && d < high && low > 0, $"{low} {d} {high}");
        Assert.Equal((d, low, high), Statistics.BootstrapAccuracyDifference(a, b));
        Assert.Equal((0.0, 0.0, 0.0), Statistics.BootstrapAccuracyDifference(a, a));
        Assert.Throws<ArgumentException>(() => Statistics.BootstrapAccuracyDifference(a, b.Take(10).ToArray()));
    }

    static RunResult Run(string label, string correct, RunStatus status = RunStatus.Finished) =>
        new() { Label = label, Variant = "lenet5", Status = status, TestCorrect = correct };

    [Fact]
    public void Each_model_is_tested_against_the_best_on_the_same_images_with_Holms_correction()
    {
        // 100 images. best: 90 right; close: 88 right, differing on 6 images (4 vs 2); poor: 50 right.
        string best = new string('1', 90) + new string('0', 10);
        string close = new string('1', 86) + "0000" + "11" + new string('0', 8);
        string poor = new string('1', 50) + new string('0', 50);
        var tests = PairedTest.AgainstBest(new[] { Run("close", close), Run("best", best), Run("poor", poor), Run("stopped", poor, RunStatus.Interrupted) });
        Assert.Equal(new[] { "close", "poor" }, tests.Select(t => t.Label));
        Assert.All(tests, t => Assert.Equal("best", t.Best));
        var c = tests[0];
        Assert.Equal((100, 4, 2), (c.Images, c.OnlyBestRight, c.OnlyThisRight));
        Assert.Equal(Statistics.McNemarExact(4, 2), c.P, 12);
        Assert.Equal(Statistics.Holm(new[] { c.P, tests[1].P }), tests.Select(t => t.PHolm));
        Assert.True(c.Tied);
        Assert.Contains("close and best are not distinguishable on this test set (McNemar p = 0.69", c.Sentence);
        Assert.False(tests[1].Tied);
        Assert.Equal(0.40, tests[1].Difference, 12);
        Assert.StartsWith("best is more accurate than poor on this test set by 40.0 points", tests[1].Sentence);
        // Fewer than two scored runs, or runs on other images: nothing to test.
        Assert.Empty(PairedTest.AgainstBest(new[] { Run("best", best) }));
        Assert.Empty(PairedTest.AgainstBest(new[] { Run("best", best), Run("other", "1111") }));
    }

    [Fact]
    public void The_report_matrix_holds_every_pairs_p_value_Holm_corrected_over_all_pairs()
    {
        string best = new string('1', 90) + new string('0', 10);
        string close = new string('1', 86) + "0000" + "11" + new string('0', 8);
        string poor = new string('1', 50) + new string('0', 50);
        var (labels, p) = PairedTest.Matrix(new[] { Run("close", close), Run("best", best), Run("poor", poor) })!.Value;
        Assert.Equal(new[] { "close", "best", "poor" }, labels);
        // close/best: b = 2 (only close), c = 4; close/poor: 38 against 0; best/poor: 40 against 0.
        var raw = new[] { Statistics.McNemarExact(2, 4), Statistics.McNemarExact(38, 0), Statistics.McNemarExact(40, 0) };
        var holm = Statistics.Holm(raw);
        Assert.Equal(holm[0], p[0, 1], 12);
        Assert.Equal(holm[1], p[0, 2], 12);
        Assert.Equal(holm[2], p[1, 2], 12);
        for (int i = 0; i < 3; i++)
        {
            Assert.True(double.IsNaN(p[i, i]));
            for (int j = 0; j < 3; j++) Assert.Equal(p[i, j], p[j, i]);
        }
        Assert.Null(PairedTest.Matrix(new[] { Run("best", best) }));
    }

    [Fact]
    public void A_model_with_repeats_is_one_contestant_whose_image_is_right_where_most_repeats_got_it_right()
    {
        RunResult Repeat(string correct, int k) => Run(k == 1 ? "m" : $"m-r{k}", correct) with { RepeatOf = "m", Repeat = k };
        // Three repeats disagreeing on images 0-2; the vote is 1,1,0 then as the first repeat.
        var tests = PairedTest.AgainstBest(new[]
        {
            Repeat("110" + new string('1', 7), 1), Repeat("101" + new string('1', 7), 2), Repeat("010" + new string('1', 7), 3),
            Run("other", "0001111111"),
        });
        var t = Assert.Single(tests);
        Assert.Equal(("other", "m"), (t.Label, t.Best));
        Assert.Equal((2, 0), (t.OnlyBestRight, t.OnlyThisRight));   // the vote 1101111111 against 0001111111
    }

    [Fact]
    public void Two_seeds_of_one_model_are_tied_and_a_model_that_cannot_learn_is_significantly_worse()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var suitePath = Path.Combine(dir, "paired.json");
            File.WriteAllText(suitePath, """
                { "name": "paired",
                  "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 480, "val": 96, "test": 300 },
                  "models": [
                    { "variant": "lenet5", "label": "lenet-a", "options": { "activation": "relu", "pool": "max" } },
                    { "variant": "lenet5", "label": "lenet-b", "options": { "activation": "relu", "pool": "max" }, "recipe": { "seed": 11 } },
                    { "variant": "lenet5", "label": "lenet-frozen", "recipe": { "optimizer": { "name": "sgd", "lr": 1e-7 } } }
                  ],
                  "recipe": { "epochs": 4, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } } }
                """);
            using var catalog = TestEnvironment.Catalog();
            var output = Path.Combine(dir, "out");
            var result = new SuiteRunner(catalog).Run(SuiteParser.Load(suitePath), output, default, new SyncProgress<SuiteEvent>(_ => { }));
            Assert.All(result.Runs, r => Assert.Equal(300, r.TestCorrect!.Length));
            Assert.All(result.Runs, r => Assert.Equal(r.Test!.Top1, r.TestCorrect!.Count(ch => ch == '1') / 300.0, 9));
            var tests = PairedTest.AgainstBest(result.Runs);
            Assert.Equal(2, tests.Count);
            var frozen = tests.Single(t => t.Label == "lenet-frozen");
            Assert.NotNull(result.Runs.Single(r => r.Label == "lenet-frozen").DidNotLearn);   // tested against the best, never the best
            Assert.False(frozen.Tied, frozen.Sentence);
            Assert.True(frozen.PHolm < 0.001, frozen.Sentence);
            Assert.Contains("McNemar p < 0.001 after Holm", frozen.Sentence);   // not "p = < 0.001"
            var seed = tests.Single(t => t.Label is "lenet-a" or "lenet-b");
            Assert.True(seed.Tied, seed.Sentence);

            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;
            Assert.Equal(2, json["paired_tests"]!.AsArray().Count);
            Assert.Equal(300, ((string)json["runs"]![0]!["test_correct"]!).Length);
            var md = File.ReadAllText(Path.Combine(output, "comparison.md"));
            Assert.Contains("McNemar's exact test on the same 300 test images", md);
            Assert.Contains("- tied with the best: ", md);
            Assert.Contains("- worse than the best: ", md);

            // The table every front-end shows (comparison.md, report.html, the UI's F7) says it per row too.
            var table = ComparisonTable.From(result);
            int against = table.Columns.ToList().FindIndex(c => c.Header == "Against the best (McNemar, Holm)");
            Assert.True(against > 0);
            string Cell(string label) => table.Rows.Single(r => r.Run.Label == label).Cells[against];
            Assert.Equal($"worse, p {Numbers.PValue(frozen.PHolm)}", Cell("lenet-frozen"));
            Assert.Equal("best", Cell(seed.Best));
            Assert.Equal($"tied, p {Numbers.PValue(seed.PHolm)}", Cell(seed.Label));
            Assert.DoesNotContain(table.Columns, c => c.Header.StartsWith("Test top-1 over seeds", StringComparison.Ordinal));   // no repeats here
        }
        finally { Directory.Delete(dir, true); }
    }
}
