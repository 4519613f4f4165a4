using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>
/// Each run in a worker process of its own (issue 13): a worker that aborts (a native crash) or is killed (the
/// out-of-memory killer) marks its run crashed with how it died, and the suite goes on; what the parent sees of a run
/// is what the run reported.
/// </summary>
public sealed class WorkerTests
{
    [Fact]
    public void A_worker_that_aborts_or_is_killed_marks_its_run_crashed_and_the_next_run_finishes()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var plugins = Path.Combine(dir, "plugins");
        TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.Crashing"), Path.Combine(plugins, "Crashing"));
        using var catalog = new PluginCatalog(new[] { TestEnvironment.PluginDrop, plugins }, new[] { new BuiltInPlugin() });
        catalog.Refresh();
        var suitePath = Path.Combine(dir, "suite.json");
        // 96 images in batches of 32: three steps an epoch, so step 5 is in epoch 2, after epoch 1's checkpoint.
        File.WriteAllText(suitePath, """
            { "name": "workers",
              "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 96, "val": 32, "test": 32 },
              "models": [ "crash_abort", "crash_kill", { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
              "recipe": { "epochs": 2, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """);
        var runner = new SuiteRunner(catalog) { Executor = new WorkerExecutor("dotnet", new[] { TestEnvironment.ZooDll, "--plugins", plugins }) };
        var seen = new List<SuiteEvent>();
        var output = Path.Combine(dir, "out");
        var result = runner.Run(SuiteParser.Load(suitePath), output, default, new SyncProgress<SuiteEvent>(seen.Add));

        var abort = result.Runs[0];
        Assert.Equal(RunStatus.Crashed, abort.Status);
        Assert.Contains("the worker process was killed by signal 6 (SIGABRT)", abort.Error);
        Assert.True(abort.Error!.Contains("crash_abort aborts on purpose in training step 5"), abort.Error);   // its last error output
        // A worker's error output also comes as it is written, in order with the run's events (the UI shows it in its log).
        Assert.Contains(seen.OfType<RunOutput>(), o => o.Label == "crash_abort" && o.Line.Contains("aborts on purpose in training step 5"));
        Assert.DoesNotContain(seen.OfType<RunOutput>(), o => o.Label == "lenet5");   // a healthy worker writes nothing there
        Assert.Single(abort.Epochs);   // epoch 1 ended before the crash
        var kill = result.Runs[1];
        Assert.Equal(RunStatus.Crashed, kill.Status);
        Assert.Contains("the worker process was killed by signal 9 (SIGKILL, as the out-of-memory killer does)", kill.Error);
        Assert.Contains("crash_kill: going down in training step 5, on purpose", kill.Error);
        // Epoch 1's checkpoint survived the crash: a rerun resumes from it.
        Assert.Equal(1, Zoo.Engine.Training.Checkpoint.PeekState(Path.Combine(output, "runs", "crash_kill.checkpoint.safetensors"))!.EpochsDone);

        var lenet = result.Runs[2];
        Assert.Equal(RunStatus.Finished, lenet.Status);
        Assert.Equal(2, lenet.Epochs.Count);
        Assert.NotNull(lenet.Test);
        Assert.Contains("crashed: the worker process was killed by signal 6 (SIGABRT)", File.ReadAllText(Path.Combine(output, "comparison.md")));

        // What the parent saw of the run is what the run wrote: its epochs, per-epoch CSV and result agree.
        var epochs = seen.OfType<EpochEnded>().Where(e => e.Label == "lenet5").Select(e => e.Record).ToList();
        Assert.Equal(lenet.Epochs.Select(e => System.Text.Json.JsonSerializer.Serialize(e, ZooJson.Compact)),
            epochs.Select(e => System.Text.Json.JsonSerializer.Serialize(e, ZooJson.Compact)));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(output, "runs", "lenet5.csv")).Length);
        // Steps arrive at most every WorkerExecutor.StepInterval, but each epoch's first and last always, in order.
        var steps = seen.OfType<StepProgress>().Where(s => s.Label == "lenet5").ToList();
        foreach (var epoch in new[] { 1, 2 })
        {
            var numbers = steps.Where(s => s.Epoch == epoch).Select(s => s.Step).ToList();
            Assert.Equal(1, numbers[0]);
            Assert.Equal(3, numbers[^1]);
            Assert.Equal(numbers.Order(), numbers);
            Assert.Equal(numbers.Distinct().Count(), numbers.Count);
        }
        Assert.Single(seen.OfType<RunEnded>(), e => e.Label == "lenet5");
        Assert.Equal(new[] { "crash_abort", "crash_kill", "lenet5" }, seen.OfType<RunStarted>().Select(e => e.Label));
    }

    [Fact]
    public void A_stop_reaches_the_worker_which_ends_after_its_step_and_the_run_resumes_from_its_checkpoint()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = TestEnvironment.Catalog();
        var suitePath = Path.Combine(dir, "suite.json");
        File.WriteAllText(suitePath, """
            { "name": "stop",
              "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 96, "val": 32, "test": 32 },
              "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
              "recipe": { "epochs": 3, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } } }
            """);
        var output = Path.Combine(dir, "out");
        var reference = new SuiteRunner(catalog).Run(SuiteParser.Load(suitePath), Path.Combine(dir, "whole")).Runs[0];

        using var cts = new CancellationTokenSource();
        var runner = new SuiteRunner(catalog) { Executor = new WorkerExecutor("dotnet", new[] { TestEnvironment.ZooDll }) };
        var stopped = runner.Run(SuiteParser.Load(suitePath), output, cts.Token, new SyncProgress<SuiteEvent>(e =>
        {
            if (e is EpochEnded { Record.Epoch: 1 }) cts.Cancel();
        }));
        Assert.True(stopped.Interrupted);
        var run = Assert.Single(stopped.Runs);
        Assert.Equal(RunStatus.Interrupted, run.Status);   // stopped, not crashed: the worker ended its step and reported
        Assert.InRange(run.Epochs.Count, 1, 2);   // the stop may arrive while epoch 2's last step runs
        var resumed = new SuiteRunner(catalog).Run(SuiteParser.Load(suitePath), output).Runs[0];
        Assert.Equal(run.Epochs.Count, resumed.ResumedFromEpoch);
        Assert.Equal(reference.Epochs.Select(e => e.TrainLoss), resumed.Epochs.Select(e => e.TrainLoss));
        Assert.Equal(reference.Test!.Loss, resumed.Test!.Loss);
    }
}
