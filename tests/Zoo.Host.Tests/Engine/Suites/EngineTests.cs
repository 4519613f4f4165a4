using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;

namespace Zoo.Host.Tests;

/// <summary>The training engine: optimisers, accumulation, clipping, EMA, early stopping, targets, checkpoints and resume.</summary>
public sealed class EngineTests
{
    static PluginCatalog Catalog() => TestEnvironment.Catalog();

    static string Suite(string recipeExtra, int epochs = 4, string models = LeNet) => $$"""
        {
          "name": "engine",
          "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 320, "val": 96, "test": 96 },
          "models": [ {{models}} ],
          "recipe": { "epochs": {{epochs}}, "batch_size": 32, "seed": 5,
                      "optimizer": { "name": "adamw", "lr": 0.003 }, "schedule": { "name": "cosine", "warmup_epochs": 1 }{{recipeExtra}} }
        }
        """;

    const string LeNet = """{ "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } }""";

    static SuiteResult Run(PluginCatalog catalog, string json, string dir, TextWriter? progress = null, Action<string, EpochRecord>? epochEnded = null,
        CancellationToken cancel = default) =>
        new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), dir, cancel, new SyncProgress<SuiteEvent>(e =>
        {
            if (progress is not null && ProgressText.Line(e) is { } line) progress.WriteLine(line);
            if (e is EpochEnded x) epochEnded?.Invoke(x.Label, x.Record);
        }));

    static IEnumerable<object?> Numbers(RunResult r) =>
        r.Epochs.SelectMany(e => new object?[] { e.Epoch, e.LearningRate, e.TrainLoss, e.TrainTop1, e.ValLoss, e.ValTop1, e.EmaValTop1, e.GradNorm }
            .Concat((e.LearningRateSteps ?? Array.Empty<double>()).Cast<object?>()));

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")]
    [InlineData("fp16")]   // the loss scaler's state travels in the checkpoint
    public void An_interrupted_run_resumes_from_its_checkpoint_and_ends_exactly_as_an_uninterrupted_one(string precision)
    {
        var whole = TestEnvironment.NewTempDirectory();
        var broken = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = Catalog();
            // EMA, clipping and a per-batch schedule all carry state across the interruption.
            var json = Suite(""", "ema": 0.99, "clip_grad_norm": 5""" + (precision == "fp32" ? "" : $$""", "precision": "{{precision}}" """));
            var reference = Run(catalog, json, whole).Runs[0];
            Assert.Equal(RunStatus.Finished, reference.Status);
            Assert.Equal(precision, reference.Precision);
            Assert.Equal(4, reference.Epochs.Count);
            Assert.All(reference.Epochs, e => Assert.NotNull(e.EmaValTop1));

            // Kill after epoch 2: the checkpoint of epoch 2 is on disk, nothing else of the run is final.
            using var cts = new CancellationTokenSource();
            CheckpointState? seen = null;
            var cut = Run(catalog, json, broken, epochEnded: (label, e) =>
            {
                if (e.Epoch != 2) return;
                seen = Checkpoint.PeekState(Path.Combine(broken, "runs", "lenet5.checkpoint.safetensors"));
                cts.Cancel();
            }, cancel: cts.Token);
            Assert.Equal(2, seen!.EpochsDone);
            Assert.False(File.Exists(Path.Combine(broken, "runs", "lenet5.result.json")));
            // The stop still writes the results so far, the run marked interrupted and resumable.
            Assert.True(cut.Interrupted);
            Assert.Equal(RunStatus.Interrupted, cut.Runs.Single().Status);
            Assert.Equal(2, cut.Runs[0].Epochs.Count);
            Assert.Equal((reference.Parameters, reference.Gmacs), (cut.Runs[0].Parameters, cut.Runs[0].Gmacs));   // counted before the stop, not lost with it
            var written = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(broken, "results.json")))!;
            Assert.True(written["interrupted"]!.GetValue<bool>());
            Assert.Equal("interrupted", written["runs"]![0]!["status"]!.GetValue<string>());
            Assert.Contains("interrupted after 2 epochs, resumable", File.ReadAllText(Path.Combine(broken, "comparison.md")));

            var progress = new StringWriter();
            var resumed = Run(catalog, json, broken, progress).Runs[0];
            Assert.Contains("resuming from the checkpoint after epoch 2", progress.ToString());
            Assert.Equal(2, resumed.ResumedFromEpoch);
            Assert.Equal(Numbers(reference), Numbers(resumed));
            Assert.Equal(reference.Test!.Loss, resumed.Test!.Loss);
            Assert.Equal(reference.TestEma!.Loss, resumed.TestEma!.Loss);
            Assert.Equal(5, File.ReadAllLines(Path.Combine(broken, "runs", "lenet5.csv")).Length);
            Assert.False(File.Exists(Path.Combine(broken, "runs", "lenet5.checkpoint.safetensors")));   // dropped once the run is over
            Assert.True(File.Exists(Path.Combine(broken, "runs", "lenet5.ema.safetensors")));

            // Running the same suite into the same folder again trains nothing.
            var again = new StringWriter();
            var rerun = Run(catalog, json, broken, again).Runs[0];
            Assert.True(rerun.Reused);
            Assert.Contains("skipped", again.ToString());
            Assert.Equal(Numbers(reference), Numbers(rerun));

            // A changed recipe is a different run: it trains again.
            var changed = Run(catalog, json.Replace("\"lr\": 0.003", "\"lr\": 0.002"), broken).Runs[0];
            Assert.False(changed.Reused);
            Assert.NotEqual(Numbers(reference), Numbers(changed));
        }
        finally { Directory.Delete(whole, true); Directory.Delete(broken, true); }
    }

    [Fact]
    public void A_checkpoint_is_replaced_atomically_and_a_torn_leftover_is_ignored()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = Catalog();
        // Plateau keeps an infinite "best" until its first epoch after the warm-up: the checkpoint must hold it.
        var json = Suite("", epochs: 3).Replace("\"name\": \"cosine\", \"warmup_epochs\": 1", "\"name\": \"plateau\", \"warmup_epochs\": 2");
        var ckpt = Path.Combine(dir, "runs", "lenet5.checkpoint.safetensors");
        using var cts = new CancellationTokenSource();
        var sizes = new List<long>();
        Assert.True(Run(catalog, json, dir, epochEnded: (_, e) =>
        {
            sizes.Add(new FileInfo(ckpt).Length);
            Assert.False(File.Exists(ckpt + ".tmp"));   // written beside and renamed: no leftover
            if (e.Epoch == 2) cts.Cancel();
        }, cancel: cts.Token).Interrupted);
        Assert.Equal(2, sizes.Count);
        Assert.All(sizes, size => Assert.True(size > 200_000));   // LeNet's weights and Adam's two moments: a real checkpoint
        // A kill in the middle of the next write leaves a torn .tmp beside the good checkpoint.
        File.WriteAllBytes(ckpt + ".tmp", new byte[] { 1, 2, 3 });
        var progress = new StringWriter();
        var run = Run(catalog, json, dir, progress).Runs[0];
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Equal(2, run.ResumedFromEpoch);
        Assert.Equal(3, run.Epochs.Count);

        // A corrupt checkpoint (not one of ours) is reported and the run starts afresh rather than failing.
        var dir2 = Path.Combine(dir, "second");
        Directory.CreateDirectory(Path.Combine(dir2, "runs"));
        File.WriteAllText(Path.Combine(dir2, "runs", "lenet5.checkpoint.safetensors"), "garbage");
        var p2 = new StringWriter();
        var fresh = Run(catalog, json, dir2, p2).Runs[0];
        Assert.Equal(RunStatus.Finished, fresh.Status);
        Assert.Null(fresh.ResumedFromEpoch);
        Assert.Contains("cannot be resumed", p2.ToString());
    }

    [Fact]
    public void Early_stopping_ends_the_run_after_patience_epochs_without_improvement()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = Catalog();
        // A rate of 1e-12 learns nothing (every update rounds away in float32): validation never improves after epoch 1.
        var json = Suite(""", "early_stopping": { "metric": "val_loss", "patience": 2 }""", epochs: 10)
            .Replace("\"lr\": 0.003", "\"lr\": 1e-12").Replace("\"warmup_epochs\": 1", "\"warmup_epochs\": 0");
        var run = Run(catalog, json, dir).Runs[0];
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Equal(3, run.Epochs.Count);
        Assert.Contains("val_loss has not improved", run.StoppedEarly);
        Assert.NotNull(run.Test);

        var records = new[] { 0.5, 0.6, 0.6, 0.61, 0.605 }.Select((v, i) => new EpochRecord(i + 1, 0.1, 1, 0, 1, v, 1, 0, 0)).ToList();
        Assert.Null(new EarlyStopping("val_top1", 2, 0).StopReason(records));
        Assert.NotNull(new EarlyStopping("val_top1", 2, 0.02).StopReason(records));   // 0.61 is not 0.02 better than 0.6
    }

    [Fact]
    public void A_target_records_the_epoch_and_time_it_was_reached_and_can_stop_the_run()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = Catalog();
        var run = Run(catalog, Suite(""", "target": { "metric": "train_top1", "value": 0.0001, "stop": true }""", epochs: 5), dir).Runs[0];
        Assert.Equal(1, run.TargetEpoch);
        Assert.True(run.TargetSeconds > 0);
        Assert.Single(run.Epochs);
        Assert.Contains("target train_top1", run.StoppedEarly);

        var unreached = Run(catalog, Suite(""", "target": { "metric": "val_top1", "value": 1.01 }""", epochs: 1), Path.Combine(dir, "b")).Runs[0];
        Assert.Null(unreached.TargetEpoch);
    }

    [Theory]
    [InlineData("sgd", 0.05)]
    [InlineData("adam", 0.003)]
    [InlineData("adamw", 0.003)]
    [InlineData("rmsprop", 0.001)]
    [InlineData("adagrad", 0.02)]
    [InlineData("adadelta", 1.0)]
    public void Every_optimiser_lowers_the_training_loss(string name, double lr)
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = Catalog();
        var json = Suite("", epochs: 3).Replace("\"name\": \"adamw\", \"lr\": 0.003", $"\"name\": \"{name}\", \"lr\": {lr}, \"weight_decay\": 0.0001, \"no_decay_norm_bias\": true");
        var run = Run(catalog, json, dir).Runs[0];
        Assert.True(run.Status == RunStatus.Finished, run.Error);
        Assert.True(run.Epochs[^1].TrainLoss < run.Epochs[0].TrainLoss, $"{name}: {run.Epochs[0].TrainLoss} -> {run.Epochs[^1].TrainLoss}");
    }

    [Fact]
    public void Norm_and_bias_parameters_get_no_weight_decay_when_asked()
    {
        torch.manual_seed(1);
        using var model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 3));
        var bag = new ParameterBag(new Dictionary<string, string> { ["weight_decay"] = "0.05", ["no_decay_norm_bias"] = "true" }, "recipe.optimizer");
        using var opt = new OptimizerSpec("adamw", 0.01, bag).Create(BuiltInOptimizers.All().Single(o => o.Name == "adamw"), model.named_parameters().Select(p => (p.name, p.parameter)));
        var groups = opt.ParamGroups.Cast<TorchSharp.Modules.AdamW.ParamGroup>().ToList();
        Assert.Equal(2, groups.Count);
        Assert.Equal(0.05, groups[0].Options.weight_decay);
        Assert.Equal(0.0, groups[1].Options.weight_decay);
        Assert.Equal(2, groups[0].Parameters.Count());   // conv and linear weights
        Assert.Equal(4, groups[1].Parameters.Count());   // conv bias, BN weight and bias, linear bias
    }

    [Fact]
    public void Accumulating_two_half_batches_takes_the_same_step_as_one_full_batch()
    {
        var data = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames), 32, 7, 0, 0.06);
        var (mean, std) = Splits.ChannelStats(data);
        float[] Train(int batch, int accumulate)
        {
            torch.manual_seed(3);
            using var catalog = Catalog();
            using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 10, 28, 28));
            using var opt = torch.optim.SGD(model.parameters(), 0.1);
            var schedule = BuiltInSchedules.All().Single(s => s.Name == "constant").Create(opt, new ScheduleContext(0.1, 1, 1, ParameterBag.Empty));
            new Trainer(model, torch.CPU).Fit(new BatchLoader(data, batch, shuffle: false, 1, mean, std), _ => null,
                new Recipe { Epochs = 1, BatchSize = batch, AccumulateSteps = accumulate }, opt, schedule);
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
        var full = Train(32, 1);
        var halves = Train(16, 2);
        var untouched = Train(16, 1);   // two separate steps: a different point
        Assert.Equal(full.Length, halves.Length);
        Assert.True(full.Zip(halves).Max(p => Math.Abs(p.First - p.Second)) < 1e-6);
        Assert.True(full.Zip(untouched).Max(p => Math.Abs(p.First - p.Second)) > 1e-4);
    }

    [Fact]
    public void Clipping_by_norm_bounds_each_update_and_the_gradient_norm_is_recorded()
    {
        var data = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames), 64, 7, 0, 0.06);
        var (mean, std) = Splits.ChannelStats(data);
        torch.manual_seed(3);
        using var catalog = Catalog();
        using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 10, 28, 28));
        var before = model.parameters().Select(p => p.detach().clone()).ToArray();
        using var opt = torch.optim.SGD(model.parameters(), 1.0);
        var schedule = BuiltInSchedules.All().Single(s => s.Name == "constant").Create(opt, new ScheduleContext(1.0, 1, 2, ParameterBag.Empty));
        var records = new Trainer(model, torch.CPU).Fit(new BatchLoader(data, 32, shuffle: false, 1, mean, std), _ => null,
            new Recipe { Epochs = 1, BatchSize = 32, ClipGradNorm = 0.01 }, opt, schedule);
        // Two SGD steps at rate 1 with gradients clipped to norm 0.01 move the weights by at most 0.02 in L2.
        double moved = Math.Sqrt(model.parameters().Zip(before).Sum(p => (p.First - p.Second).pow(2).sum().item<float>()));
        Assert.InRange(moved, 0.001, 0.0201);
        Assert.True(records[0].GradNorm > 0.01);   // the recorded norm is the one before clipping
        foreach (var b in before) b.Dispose();
    }

    [Fact]
    public void Each_run_writes_tensorboard_events_and_a_confusion_matrix()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = Catalog();
        var run = Run(catalog, Suite("", epochs: 2), dir).Runs[0];
        var events = Directory.GetFiles(Path.Combine(dir, "runs", "lenet5.tensorboard"), "events.out.tfevents.*");
        Assert.NotEmpty(events);
        Assert.True(new FileInfo(events[0]).Length > 100);
        var confusion = File.ReadAllLines(Path.Combine(dir, "runs", "lenet5.confusion.csv"));
        Assert.Equal(11, confusion.Length);
        Assert.StartsWith("true\\predicted,disc,ring,", confusion[0]);
        Assert.Equal(96, run.Test!.Confusion.Sum(r => r.Sum()));
        Assert.Equal(run.Test.Top1, run.Test.Confusion.Select((r, i) => r[i]).Sum() / 96.0, 12);
        Assert.Equal(10, run.Test.PerClassTop1.Length);
        Assert.Equal(96, run.Validation!.Confusion.Sum(r => r.Sum()));
        Assert.Equal(run.BestValTop1!.Value, run.Validation.Top1, 6);   // the best weights, evaluated again
    }
}
