using System.Diagnostics;
using System.Text.Json.Nodes;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>The learning-rate range test (issue 29): <see cref="LearningRateFinder"/>, "lr": "find" in a recipe, and its records.</summary>
public sealed class LrFindTests(ITestOutputHelper log)
{
    static string SuiteJson(string models, string lr = "\"find\"", int epochs = 2, int train = 600, string extra = "", int batch = 32, bool explain = true) => $$"""
        { "name": "lr-find", "explain": {{(explain ? "true" : "false")}},
          "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": {{train}}, "val": 200, "test": 200 },
          "models": [ {{models}} ],
          "recipe": { "epochs": {{epochs}}, "batch_size": {{batch}}, "seed": 5, "optimizer": { "name": "adamw", "lr": {{lr}} }{{extra}} } }
        """;

    const string LeNet = """{ "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } }""";

    /// <summary>A suite's first model, built as its run builds it, with the run's loader and optimiser.</summary>
    sealed class Setup : IDisposable
    {
        public required nn.Module<Tensor, Tensor> Model;
        public required BatchLoader Loader;
        public required torch.optim.Optimizer Optimizer;
        public required Recipe Recipe;
        public void Dispose() { Optimizer.Dispose(); Model.Dispose(); }
    }

    static Setup Build(Zoo.Engine.Plugins.PluginCatalog catalog, string json, string dir)
    {
        var suite = SuiteParser.Parse(json, Path.Combine(dir, "suite.json"));
        var runner = new SuiteRunner(catalog);
        var (splits, data) = runner.OpenDataset(suite, dir, new SyncProgress<SuiteEvent>(_ => { }));
        var entry = suite.Models[0];
        var recipe = suite.RecipeFor(entry);
        var variant = catalog.FindVariant(entry.Variant)!;
        torch.manual_seed(recipe.Seed);
        var model = variant.Architecture.Build(ModelRun.Spec(variant, data, entry, recipe));
        var loader = ModelRun.TrainLoader(catalog, recipe, splits.Train, data.Mean.ToArray(), data.Std.ToArray());
        var optimizer = ModelRun.CreateOptimizer(catalog, recipe, model, null);
        return new Setup { Model = model, Loader = loader, Optimizer = optimizer, Recipe = recipe };
    }

    static byte[] OptimizerBytes(torch.optim.Optimizer optimizer)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(w);
        return ms.ToArray();
    }

    [Fact]
    public void The_range_test_leaves_parameters_buffers_optimiser_and_random_state_bit_for_bit_as_they_were()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            // ResNet-18 for BatchNorm's running statistics and counter; AdamW with state from two steps already taken.
            using var s = Build(catalog, SuiteJson("\"resnet18\"", lr: "0.001", train: 64, batch: 8), dir);
            var trainer = new Trainer(s.Model, torch.CPU);
            foreach (var batch in s.Loader.Epoch(99).Take(2)) trainer.RangeTestStep(batch, s.Recipe, s.Optimizer);
            s.Model.eval();   // a mode the test must put back (it trains in train mode)
            var before = s.Model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            var optimizerBefore = OptimizerBytes(s.Optimizer);
            var ratesBefore = s.Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray();
            using var rngBefore = torch.random.get_rng_state();

            var curve = LearningRateFinder.Find(s.Model, torch.CPU, s.Loader, s.Recipe, s.Optimizer, new LearningRateSearch(1e-6, 1e-3, 12));

            Assert.True(curve.Rates.Count == 12, $"{curve.StoppedBecause}; losses {string.Join(", ", curve.Losses.Select(l => l.ToString("G3")))}");
            Assert.False(s.Model.training);
            foreach (var (key, value) in s.Model.state_dict())
                Assert.True(before[key].bytes.ToArray().AsSpan().SequenceEqual(value.bytes.ToArray()), $"{key} changed");
            Assert.Contains(before.Keys, k => k.EndsWith("running_mean", StringComparison.Ordinal));
            Assert.Contains(before.Keys, k => k.EndsWith("num_batches_tracked", StringComparison.Ordinal));
            Assert.Equal(optimizerBefore, OptimizerBytes(s.Optimizer));
            Assert.Equal(ratesBefore, s.Optimizer.ParamGroups.Select(g => g.LearningRate).ToArray());
            using var rngAfter = torch.random.get_rng_state();
            Assert.Equal(rngBefore.bytes.ToArray(), rngAfter.bytes.ToArray());
            // It did train while it ran: the losses are not all the same.
            Assert.True(curve.Losses.Distinct().Count() > 1);
            foreach (var t in before.Values) t.Dispose();
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_range_test_stops_where_the_loss_diverges_and_suggests_a_finite_rate_inside_the_range_before_the_lowest_loss()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            using var s = Build(catalog, SuiteJson(LeNet, train: 600), dir);
            var clock = Stopwatch.StartNew();
            var curve = LearningRateFinder.Find(s.Model, torch.CPU, s.Loader, s.Recipe, s.Optimizer);
            log.WriteLine($"lenet5: {curve.Rates.Count} steps in {clock.Elapsed.TotalSeconds:F1} s, suggested {curve.Suggested:G3}; {curve.StoppedBecause}");

            // AdamW at rates up to 10 diverges on this set well before the end of the 100 steps.
            Assert.True(curve.Rates.Count < 100, $"ran all {curve.Rates.Count} steps: {curve.StoppedBecause}");
            Assert.True(curve.StoppedBecause.Contains("passed 4 × its lowest") || curve.StoppedBecause.Contains("became"), curve.StoppedBecause);
            int lowest = LearningRateFinder.LowestStep(curve.Smoothed);
            Assert.True(curve.Smoothed[^1] > curve.Smoothed[lowest] * 2, "the curve does not rise at its end");
            // The rates rise exponentially from 1e-7.
            Assert.Equal(1e-7, curve.Rates[0], 12);
            Assert.Equal(new LearningRateSearch().RateAt(10), curve.Rates[10], 12);
            Assert.True(double.IsFinite(curve.Suggested));
            Assert.InRange(curve.Suggested, curve.Start, curve.End);
            Assert.InRange(curve.SuggestedStep, curve.Rates.Count / 10, lowest);
            Assert.Equal(curve.Rates[curve.SuggestedStep], curve.Suggested);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_suggestion_is_the_steepest_descent_before_the_lowest_loss_or_a_tenth_of_the_lowest_where_there_is_none()
    {
        var rates = Enumerable.Range(0, 20).Select(i => Math.Pow(10, -6 + i * 0.25)).ToArray();
        // Flat, then falling fastest between steps 7 and 9, lowest at 12, then a steeper fall after the minimum (noise) and a rise.
        var loss = new double[] { 2.3, 2.3, 2.3, 2.3, 2.3, 2.29, 2.25, 2.0, 1.5, 1.2, 1.1, 1.05, 1.0, 1.4, 0.2, 3, 5, 8, 9, 12 };
        loss[14] = 1.3;   // a fall after the minimum is not looked at
        var (rate, step) = LearningRateFinder.Suggest(rates, loss);
        Assert.Equal(8, step);
        Assert.Equal(rates[8], rate);
        // Rising from the start: no descent before the minimum (step 2, the first tenth left out), so the step nearest a
        // tenth of the rate there, which is never below the first step's rate.
        var rising = Enumerable.Range(0, 20).Select(i => 1.0 + i).ToArray();
        rising[0] = 0.5;   // a lucky first batch is not the minimum
        var (fallback, at) = LearningRateFinder.Suggest(rates, rising);
        Assert.Equal((rates[0], 0), (fallback, at));
        var late = Enumerable.Range(0, 20).Select(i => i < 12 ? 2.3 + 0.001 * (i % 2) : 2.3 - 0.01 * (i - 11) * (i - 11)).ToArray();
        late[19] = 9;   // flat, then falling ever faster to a minimum at step 18: the steepest fall is just before it
        Assert.Equal(17, LearningRateFinder.Suggest(rates, late).Step);
        Assert.True(double.IsNaN(LearningRateFinder.Suggest(Array.Empty<double>(), Array.Empty<double>()).Rate));
    }

    [Fact]
    public void A_suite_reads_lr_find_suite_wide_and_per_model_and_refuses_another_word_naming_the_field()
    {
        var both = SuiteParser.Parse(SuiteJson($$"""{{LeNet}}, { "variant": "lenet5", "label": "fixed", "recipe": { "optimizer": { "lr": 0.01 } } }"""), "s.json");
        Assert.NotNull(both.Recipe.Optimizer.Find);
        Assert.Equal(new LearningRateSearch(), both.Recipe.Optimizer.Find);
        Assert.Null(both.RecipeFor(both.Models[1]).Optimizer.Find);
        Assert.Equal(0.01, both.RecipeFor(both.Models[1]).Optimizer.LearningRate);
        var perModel = SuiteParser.Parse(SuiteJson($$"""{{LeNet}}, { "variant": "lenet5", "label": "found", "recipe": { "optimizer": { "lr": "find" } } }""", lr: "0.003"), "s.json");
        Assert.Null(perModel.Recipe.Optimizer.Find);
        Assert.NotNull(perModel.RecipeFor(perModel.Models[1]).Optimizer.Find);
        Assert.Contains("found per model", ResultWriter.Describe(both.Recipe));

        var suiteWide = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(SuiteJson(LeNet, lr: "\"fast\""), "s.json"));
        Assert.Contains("s.json: recipe.optimizer.lr", suiteWide.Message);
        Assert.Contains("'fast' is not allowed", suiteWide.Message);
        Assert.Contains("\"find\"", suiteWide.Message);
        var entry = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(SuiteJson("""{ "variant": "lenet5", "recipe": { "optimizer": { "lr": "Find" } } }""", lr: "0.003"), "s.json"));
        Assert.Contains("models[0].recipe.optimizer.lr", entry.Message);

        // The test's range, and its identity: the found rate is not part of it, the range is.
        var longer = SuiteParser.Parse(SuiteJson(LeNet, extra: ", \"lr_find\": { \"steps\": 300, \"start\": 1e-6 }"), "s.json");
        Assert.Equal(new LearningRateSearch(1e-6, 10, 300), longer.Recipe.Optimizer.Find);
        Assert.NotEqual(SuiteParser.Parse(SuiteJson(LeNet), "s.json").Models[0].Fingerprint, longer.Models[0].Fingerprint);
        var steps = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(SuiteJson(LeNet, extra: ", \"lr_find\": { \"steps\": 5 }"), "s.json"));
        Assert.Contains("recipe.lr_find.steps", steps.Message);
        var range = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(SuiteJson(LeNet, extra: ", \"lr_find\": { \"start\": 0.1, \"end\": 0.01 }"), "s.json"));
        Assert.Contains("recipe.lr_find", range.Message);
    }

    [Fact]
    public void Lr_find_beside_a_fixed_rate_is_refused_naming_the_field_the_rate_and_both_fixes()
    {
        const string range = ", \"lr_find\": { \"steps\": 300 }";
        var suiteWide = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(SuiteJson(LeNet, lr: "0.003", extra: range), "s.json"));
        Assert.StartsWith("s.json: recipe.lr_find", suiteWide.Message);
        Assert.Contains("recipe.optimizer.lr is 0.003", suiteWide.Message);
        Assert.Contains("\"lr\": \"find\"", suiteWide.Message);
        Assert.Contains("remove \"lr_find\"", suiteWide.Message);
        // A recipe without an optimiser trains at the default 1e-3: the same mistake.
        var noOptimizer = SuiteJson(LeNet, extra: range).Replace("\"optimizer\": { \"name\": \"adamw\", \"lr\": \"find\" }", "\"label_smoothing\": 0");
        Assert.Contains("recipe.optimizer.lr is 0.001", Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(noOptimizer, "s.json")).Message);

        // An entry's own "lr_find" under a fixed rate is refused at that entry.
        var entry = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(SuiteJson(
            $$"""{{LeNet}}, { "variant": "lenet5", "label": "fixed", "recipe": { "optimizer": { "lr": 0.01 }, "lr_find": { "steps": 50 } } }"""), "s.json"));
        Assert.StartsWith("s.json: models[1].recipe.lr_find", entry.Message);
        Assert.Contains("models[1].recipe.optimizer.lr is 0.01", entry.Message);

        // The suite's range serves an entry that finds its rate, though the suite's own rate is fixed.
        var used = SuiteParser.Parse(SuiteJson($$"""{{LeNet}}, { "variant": "lenet5", "label": "found", "recipe": { "optimizer": { "lr": "find" } } }""", lr: "0.003", extra: range), "s.json");
        Assert.Null(used.Recipe.Optimizer.Find);
        Assert.Equal(300, used.RecipeFor(used.Models[1]).Optimizer.Find!.Steps);
    }

    [Fact]
    public void A_run_with_lr_find_trains_at_its_found_rate_records_it_and_keeps_it_over_a_resume()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var path = Path.Combine(dir, "lr-find.json");
            File.WriteAllText(path, SuiteJson(LeNet, epochs: 3));
            using var catalog = TestEnvironment.Catalog();
            var output = Path.Combine(dir, "out");
            using var stop = new CancellationTokenSource();
            var seen = new List<SuiteEvent>();
            var first = new SuiteRunner(catalog).Run(SuiteParser.Load(path), output, stop.Token, new SyncProgress<SuiteEvent>(e =>
            {
                seen.Add(e);
                if (e is EpochEnded) stop.Cancel();
            }));
            var found = Assert.Single(seen.OfType<LearningRateFound>());
            log.WriteLine($"lenet5 found {found.Curve.Suggested:G3} ({found.Curve.StoppedBecause})");
            Assert.True(first.Interrupted, $"{first.Runs[0].Status}: {first.Runs[0].Error}");
            Assert.False(found.Kept);
            Assert.Equal(found.Curve.Suggested, seen.OfType<EpochEnded>().Single().Record.LearningRate, 12);
            var stored = Path.Combine(output, "runs", "lenet5.lr-find.json");
            Assert.True(File.Exists(stored));

            // Had the test been run again on resume it could say another rate (another machine, another LibTorch); the stored one is kept.
            var json = JsonNode.Parse(File.ReadAllText(stored))!;
            json["curve"]!["suggested"] = 0.00123;
            File.WriteAllText(stored, json.ToJsonString());
            var again = new List<SuiteEvent>();
            var result = new SuiteRunner(catalog).Run(SuiteParser.Load(path), output, default, new SyncProgress<SuiteEvent>(again.Add));
            var run = Assert.Single(result.Runs);
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(1, run.ResumedFromEpoch);
            Assert.True(Assert.Single(again.OfType<LearningRateFound>()).Kept);
            Assert.Equal(0.00123, run.LearningRate);
            Assert.Equal(0.00123, run.LearningRateFind!.Suggested);
            Assert.True(run.Epochs[^1].LearningRate <= 0.00123);

            // Recorded in results.json and shown in the comparison; a rerun skips the finished run.
            var results = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "results.json")))!;
            Assert.Equal("find", (string)results["recipe"]!["lr"]!);
            Assert.Equal(0.00123, (double)results["runs"]![0]!["lr"]!);
            Assert.True(results["runs"]![0]!["lr_find"]!["smoothed"]!.AsArray().Count > 10);
            Assert.Contains("0.00123", File.ReadAllText(Path.Combine(output, "comparison.md")));
            var third = new List<SuiteEvent>();
            new SuiteRunner(catalog).Run(SuiteParser.Load(path), output, default, new SyncProgress<SuiteEvent>(third.Add));
            Assert.Single(third.OfType<RunSkipped>());
            Assert.Empty(third.OfType<LearningRateFound>());
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_range_test_whose_loss_never_falls_is_called_noise_in_the_runs_warning_the_table_the_notes_and_the_figure()
    {
        // By hand: flat, wobbling 2.33 to 2.37 (a fall of 1.2 %), then a rise; against a fall of 11 % (ResNet-18's 200 steps).
        var rates = Enumerable.Range(0, 40).Select(i => Math.Pow(10, -7 + i * 0.2)).ToArray();
        var flat = Enumerable.Range(0, 40).Select(i => i < 36 ? 2.35 + 0.02 * Math.Sin(i) : 3 + i).ToArray();
        var falling = Enumerable.Range(0, 40).Select(i => i < 20 ? 2.41 : i < 36 ? 2.41 - 0.26 * (i - 19) / 16 : 3 + i).ToArray();
        LearningRateCurve Curve(double[] smoothed) => new() { Rates = rates, Losses = smoothed, Smoothed = smoothed, Suggested = rates[10], Steps = 40 };
        var doubt = Curve(flat).Doubt();
        Assert.NotNull(doubt);
        Assert.Contains("lowest 2.33, against 2.36 over the first quarter of its 40 steps", doubt);
        Assert.Contains("\"lr_find\": {\"steps\": 120}", doubt);
        Assert.Null(Curve(falling).Doubt());
        Assert.Null(Curve(flat.Take(9).ToArray()).Doubt());   // too short to say

        // A real run: LeNet-5 searched between 1e-7 and 1e-5 only learns nothing in the test, and trains at noise.
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            var seen = new List<SuiteEvent>();
            var json = SuiteJson(LeNet, epochs: 1, train: 320, extra: ", \"lr_find\": { \"steps\": 30, \"start\": 1e-7, \"end\": 1e-5 }");
            var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), dir, default, new SyncProgress<SuiteEvent>(seen.Add));
            var curve = Assert.Single(result.Runs).LearningRateFind!;
            Assert.NotNull(curve.Doubt());
            Assert.Contains(seen.OfType<RunWarning>(), w => w.Text.StartsWith("the learning-rate range test did not see the model learn: its smoothed loss never fell 3 %", StringComparison.Ordinal));
            var md = File.ReadAllText(Path.Combine(dir, "comparison.md"));
            Assert.Contains($"{Numbers.Short(curve.Suggested, 3)} (found; flat test: noise)", md);
            Assert.Contains($"**lenet5's learning-rate range test did not see it learn**: {curve.Doubt()}.", md);
            var figures = Zoo.Reports.Figures.FigureExporter.Write(Zoo.Reports.Model.ReportModel.From(result), Path.Combine(dir, "figures"));
            Assert.Contains(figures.Figures, f => f.Title.EndsWith("from a test whose loss did not fall (noise)", StringComparison.Ordinal));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_range_tests_figure_keeps_the_curve_in_view_when_the_step_that_stopped_it_blew_up_and_its_long_title_on_two_lines()
    {
        // SqueezeNet 1.1's test in the shortened seed002-lr-find: flat near 2.3, then a smoothed loss of 2.8e24 at its last step.
        var rates = Enumerable.Range(0, 60).Select(i => Math.Pow(10, -7 + i * 0.14)).ToArray();
        var smoothed = Enumerable.Range(0, 60).Select(i => i < 59 ? 2.30 + 0.03 * Math.Cos(i) : 2.8e24).ToArray();
        var curve = new LearningRateCurve { Rates = rates, Losses = smoothed, Smoothed = smoothed, Suggested = rates[5], SuggestedStep = 5, Steps = 200 };
        const string title = "seed002-lr-find-short · shapes 1x28x28: squeezenet1_1-r2 learning-rate range test: trained at 6.37e-07, from a test whose loss did not fall (noise)";
        var plot = Zoo.Reports.Figures.FigureExporter.LearningRateFind(title, curve);
        var y = plot.Axes.GetLimits();
        Assert.InRange(y.Bottom, 2.2, 2.27);
        Assert.InRange(y.Top, 2.33, 2.4);   // the flat part fills the plot; the blown-up step leaves it at the top
        var lines = plot.Axes.Title.Label.Text.Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= Zoo.Reports.Figures.Charts.TitleLine, l));
        Assert.Equal(title, string.Join(' ', lines));
    }

    [Fact]
    public void A_run_that_diverges_at_its_found_rate_says_which_rate_that_was()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            // Plain SGD searched between 10 and 100 only: the test stops at once and suggests its first rate, which diverges.
            var json = SuiteJson(LeNet, train: 200, extra: ", \"lr_find\": { \"steps\": 10, \"start\": 10, \"end\": 100 }")
                .Replace("\"name\": \"adamw\", \"lr\": \"find\"", "\"name\": \"sgd\", \"momentum\": 0, \"lr\": \"find\"");
            using var catalog = TestEnvironment.Catalog();
            var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), dir);
            var run = Assert.Single(result.Runs);
            Assert.Equal(RunStatus.Diverged, run.Status);
            Assert.NotNull(run.LearningRateFind);
            Assert.Equal(run.LearningRateFind!.Suggested, run.LearningRate);
            Assert.InRange(run.LearningRate!.Value, 10, 100);
            Assert.Contains("(found)", File.ReadAllText(Path.Combine(dir, "comparison.md")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_found_rate_crosses_from_a_worker_process_to_its_parent_whole()
    {
        var curve = new LearningRateCurve
        {
            Rates = new[] { 1e-7, 1e-3, 10 }, Losses = new[] { 2.3, 1.9, 40 }, Smoothed = new[] { 2.3, 2.1, 9.5 }, Suggested = 1e-3, SuggestedStep = 1,
            Start = 1e-7, End = 10, Steps = 3, StoppedBecause = "the smoothed loss 9.5 passed 4 × its lowest, 2.1, at 10", Rule = LearningRateFinder.SuggestionRule,
        };
        var read = Assert.IsType<LearningRateFound>(WorkerMessages.Read(WorkerMessages.Write(new LearningRateFound(new RunRef(2, 3, "resnet18"), curve, Kept: true))));
        Assert.Equal((2, 3, "resnet18", true), (read.Index, read.Count, read.Label, read.Kept));
        Assert.Equal(curve.Smoothed, read.Curve.Smoothed);
        Assert.Equal(curve with { Rates = read.Curve.Rates, Losses = read.Curve.Losses, Smoothed = read.Curve.Smoothed }, read.Curve);
        Assert.Contains("learning rate 0.001, from this run's range test before the interrupt", ProgressText.Line(read));
    }

    [Fact]
    public void Zoo_lr_find_prints_each_models_curve_and_suggestion_and_refuses_a_label_the_suite_lacks()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var suite = Path.Combine(dir, "lr-find.json");
            File.WriteAllText(suite, SuiteJson($$"""{{LeNet}}, { "variant": "lenet5", "label": "other" }""", train: 200, extra: ", \"lr_find\": { \"steps\": 20 }"));
            var (code, stdout, stderr) = TestEnvironment.RunZoo("lr-find", suite, "--model", "LENET5", "--steps", "40", "--start", "1e-5");
            Assert.True(code == 0, stderr);
            Assert.Contains("lenet5 (lenet5): 40 steps", stdout);
            Assert.DoesNotContain("other", stdout);
            Assert.Contains("| 1 | 1.00e-5 |", stdout);
            Assert.Matches(@"\| suggested \|", stdout);
            Assert.Matches(@"suggested learning rate for lenet5: [0-9.e-]+", stdout);
            Assert.Contains("rule: steepest descent", stdout);

            // Without options, the recipe's own range: the test its run would make.
            var (json, jsonOut, jsonErr) = TestEnvironment.RunZoo("lr-find", suite, "--model", "other", "--json");
            Assert.True(json == 0, jsonErr);
            var found = JsonNode.Parse(jsonOut)!.AsArray().Single()!;
            Assert.Equal("other", (string)found["label"]!);
            Assert.Equal(20, (int)found["curve"]!["steps"]!);
            Assert.Equal(1e-7, (double)found["curve"]!["start"]!);
            Assert.True(found["curve"]!["rates"]!.AsArray().Count is > 2 and <= 20);

            var (wrong, _, wrongErr) = TestEnvironment.RunZoo("lr-find", suite, "--model", "resnet");
            Assert.Equal(2, wrong);
            Assert.Contains("--model", wrongErr);
            Assert.Contains("lenet5, other", wrongErr);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>
    /// The issue's check: the rate "lr": "find" picks (the same test, on the same model, batches and optimiser, through
    /// <c>zoo lr-find</c>'s engine) is within 10× of the best rate of the grid 1e-4, 1e-3, 1e-2, 1e-1, each trained from the
    /// same initial weights for 6 epochs of 600 images and judged by best validation top-1 (then validation loss). On the
    /// built-in shapes 100 test steps are too few for the loss to fall at all (LeNet-5's smoothed loss stayed within
    /// 2.29–2.42, so the "steepest descent" was noise); 300 (<c>"lr_find": {"steps": 300}</c>) show a clear fall to a minimum.
    /// </summary>
    [Fact]
    public void Lr_find_picks_a_rate_for_lenet5_within_ten_times_of_the_best_of_a_small_grid() => WithinTenTimesOfTheGrid(LeNet, "lenet5", 32, 600, 6, 300);

    /// <summary>
    /// The same check for ResNet-18 at 28 px, made smaller to fit: batch 16, a 200-step test, the grid trained 2 epochs. Its
    /// small-input stem keeps 28 × 28 through layer1, 0.456 GMACs an image, so a step costs what PyTorch's does on the same
    /// network (docs/performance.md), about 40 ms of CPU an image here: 200 × 16 images for the test and 4 × 2 × 600 for
    /// the grid took 383 CPU s (8 min wall at load 10 on 2 shared cores). Measured on the same data with the same seeds: the test suggested 5.5e-4 (150 steps:
    /// 9.4e-4; 100 steps stayed flat at batch 16 and suggested 2.4e-6, noise); the grid's best validation top-1 was 67 % at
    /// 1e-3, against 30.5 % at 1e-4 and chance at 1e-2 and 1e-1 (3 epochs: 85 %, 38.5 %, chance, chance).
    /// </summary>
    [Fact]
    [Trait("duration", "minutes")]
    public void Lr_find_picks_a_rate_for_resnet18_within_ten_times_of_the_best_of_a_small_grid() => WithinTenTimesOfTheGrid("\"resnet18\"", "resnet18", 16, 600, 2, 200);

    void WithinTenTimesOfTheGrid(string entry, string variant, int batch, int train, int epochs, int steps)
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var runner = new SuiteRunner(catalog);
            var find = SuiteParser.Parse(SuiteJson(entry, epochs: epochs, train: train, batch: batch, extra: $", \"lr_find\": {{ \"steps\": {steps} }}"), Path.Combine(dir, "find.json"));
            Assert.Equal(steps, find.Recipe.Optimizer.Find!.Steps);
            var curve = Assert.Single(LearningRateSearches.Run(runner, find, null, null, dir)).Curve;
            double findSeconds = clock.Elapsed.TotalSeconds;

            var grid = new[] { 1e-4, 1e-3, 1e-2, 1e-1 };
            var options = entry.StartsWith('{') ? entry[1..entry.LastIndexOf('}')] + ", " : $"\"variant\": {entry}, ";
            var entries = string.Join(", ", grid.Select(lr => string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $$"""{ {{options}}"label": "lr{{lr:G1}}", "recipe": { "optimizer": { "lr": {{lr:R}} } } }""")));
            // Judged by validation top-1 alone: no Grad-CAM, filters or feature maps for the grid's runs (they cost ResNet-18's check about a seventh of its CPU time).
            var gridSuite = SuiteParser.Parse(SuiteJson(entries, lr: "0.001", epochs: epochs, train: train, batch: batch, explain: false), Path.Combine(dir, "grid.json"));
            var result = runner.Run(gridSuite, Path.Combine(dir, "grid"));
            var best = result.Runs.Select((r, i) => (Run: r, Rate: grid[i]))
                .OrderByDescending(x => x.Run.BestValTop1 ?? -1).ThenBy(x => x.Run.Validation?.Loss ?? double.MaxValue).First();
            log.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{variant}: found {curve.Suggested:G3} in {curve.Rates.Count} steps ({findSeconds:F0} s; {curve.StoppedBecause}); grid best val top-1 " +
                $"{string.Join(", ", result.Runs.Select((r, i) => $"{grid[i]:G1}: {r.BestValTop1:P1}"))}; best {best.Rate:G1}; {clock.Elapsed.TotalSeconds:F0} s in all, {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F0} CPU s in this process"));
            Assert.All(result.Runs, r => Assert.NotEqual(RunStatus.Failed, r.Status));
            Assert.True(best.Run.BestValTop1 > 0.3, $"the grid's best, {best.Rate:G1}, reached only {best.Run.BestValTop1:P1}: too short a training to judge rates by");
            double decades = Math.Abs(Math.Log10(curve.Suggested / best.Rate));
            Assert.True(decades <= 1, $"found {curve.Suggested:G3}, {decades:F2} decades from the grid's best {best.Rate:G1}");
        }
        finally { Directory.Delete(dir, true); }
    }
}
