using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>The message stream of a run in another process: what the parent reads back is what the run reported.</summary>
public sealed class WorkerMessagesTests
{
    [Fact]
    public void Every_event_of_a_run_reads_back_as_the_same_event()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = TestEnvironment.Catalog();
        // EMA, a target and early stopping, so that most event types occur; a second run of the same suite is skipped.
        var json = """
            { "name": "messages",
              "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 96, "val": 32, "test": 32 },
              "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
              "recipe": { "epochs": 3, "batch_size": 32, "seed": 5, "ema": 0.9, "optimizer": { "name": "adamw", "lr": 0.003 },
                          "target": { "metric": "train_loss", "value": 100, "stop": false } } }
            """;
        var events = new List<SuiteEvent>();
        var runner = new SuiteRunner(catalog);
        var suite = SuiteParser.Parse(json, Path.Combine(dir, "suite.json"));
        runner.Run(suite, dir, default, new SyncProgress<SuiteEvent>(events.Add));
        runner.Run(suite, dir, default, new SyncProgress<SuiteEvent>(events.Add));
        var carried = events.Where(WorkerMessages.Carries).ToList();
        Assert.Equal(events.Count(e => e is not SuiteStarted and not SuiteEnded), carried.Count);
        foreach (var t in new[] { typeof(RunStarted), typeof(StepProgress), typeof(EpochEnded), typeof(TargetReached), typeof(RunEnded), typeof(RunSkipped), typeof(DatasetOpened) })
            Assert.Contains(carried, e => e.GetType() == t);

        foreach (var e in carried)
        {
            var line = WorkerMessages.Write(e);
            Assert.DoesNotContain('\n', line);
            var back = WorkerMessages.Read(line);
            Assert.IsType(e.GetType(), back);
            Assert.Equal(line, WorkerMessages.Write(back));   // every field, nested results included
            Assert.Equal(ProgressText.Line(e), ProgressText.Line(back));   // and the console shows the same line
        }
        var ended = (RunEnded)WorkerMessages.Read(WorkerMessages.Write(carried.OfType<RunEnded>().First()));
        Assert.Equal(3, ended.Result.Epochs.Count);
        Assert.NotNull(ended.Result.Test);

        var bad = Assert.Throws<FormatException>(() => WorkerMessages.Read("Segmentation fault (core dumped)"));
        Assert.Contains("Segmentation fault", bad.Message);
    }
}
