using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;

namespace Zoo.Host.Tests;

/// <summary>
/// Faults from below that must not cost a run (issue 13): a damaged checkpoint falls back to the one before it or to a
/// fresh start and the run still ends with the numbers of an uninterrupted one; a full disk stops the suite with a
/// clear error and leaves what was written before readable; a results folder in use is refused.
/// </summary>
public sealed class SurvivalTests
{
    const string Json = """
        {
          "name": "survival",
          "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 320, "val": 96, "test": 96 },
          "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
          "recipe": { "epochs": 4, "batch_size": 32, "seed": 5, "ema": 0.99,
                      "optimizer": { "name": "adamw", "lr": 0.003 }, "schedule": { "name": "cosine", "warmup_epochs": 1 } }
        }
        """;

    static SuiteResult Run(PluginCatalog catalog, string dir, TextWriter? progress = null, int stopAfter = 0)
    {
        using var cts = new CancellationTokenSource();
        return new SuiteRunner(catalog).Run(SuiteParser.Parse(Json, Path.Combine(dir, "suite.json")), dir, cts.Token, new SyncProgress<SuiteEvent>(e =>
        {
            if (progress is not null && ProgressText.Line(e) is { } line) progress.WriteLine(line);
            if (e is EpochEnded x && x.Record.Epoch == stopAfter) cts.Cancel();
        }));
    }

    static IEnumerable<object?> Numbers(RunResult r) =>
        r.Epochs.SelectMany(e => new object?[] { e.Epoch, e.LearningRate, e.TrainLoss, e.TrainTop1, e.ValLoss, e.ValTop1, e.EmaValTop1, e.GradNorm })
            .Append(r.Test!.Loss).Append(r.TestEma!.Loss);

    static string Ckpt(string dir) => Path.Combine(dir, "runs", "lenet5.checkpoint.safetensors");

    static void CopyTree(string from, string to)
    {
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }

    [Fact]
    public void A_truncated_or_bit_flipped_checkpoint_falls_back_to_the_previous_one_and_the_run_ends_as_an_uninterrupted_one()
    {
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        using var catalog = TestEnvironment.Catalog();
        var reference = Run(catalog, Path.Combine(root, "whole")).Runs[0];
        Assert.Equal(RunStatus.Finished, reference.Status);

        // Stopped after epoch 3: the checkpoint of epoch 3, and epoch 2's kept as the previous one, both checksummed.
        var cut = Path.Combine(root, "cut");
        Assert.True(Run(catalog, cut, stopAfter: 3).Interrupted);
        Assert.Equal(3, Checkpoint.PeekState(Ckpt(cut))!.EpochsDone);
        Assert.Equal(2, Checkpoint.PeekState(Checkpoint.PreviousPath(Ckpt(cut)))!.EpochsDone);
        Assert.Null(Checkpoint.Damage(Ckpt(cut)));
        Assert.Null(Checkpoint.Damage(Checkpoint.PreviousPath(Ckpt(cut))));

        // Truncated (a disk that lost the tail): the run resumes from epoch 2 with a warning.
        var truncated = Path.Combine(root, "truncated");
        CopyTree(cut, truncated);
        using (var f = new FileStream(Ckpt(truncated), FileMode.Open)) f.SetLength(f.Length * 2 / 3);
        Assert.StartsWith("truncated", Checkpoint.Damage(Ckpt(truncated)));
        var log = new StringWriter();
        var run = Run(catalog, truncated, log).Runs[0];
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Contains("is damaged (truncated", log.ToString());
        Assert.Contains("falling back to lenet5.checkpoint.previous.safetensors", log.ToString());
        Assert.Equal(2, run.ResumedFromEpoch);
        Assert.Equal(Numbers(reference), Numbers(run));
        Assert.False(File.Exists(Ckpt(truncated)));
        Assert.False(File.Exists(Checkpoint.PreviousPath(Ckpt(truncated))));   // both dropped once the run is over

        // One flipped bit in the tensor data: same length, same header, only the checksum can tell.
        var flipped = Path.Combine(root, "flipped");
        CopyTree(cut, flipped);
        var bytes = File.ReadAllBytes(Ckpt(flipped));
        bytes[bytes.Length - 1000] ^= 0x10;
        File.WriteAllBytes(Ckpt(flipped), bytes);
        Assert.Contains("checksum", Checkpoint.Damage(Ckpt(flipped)));
        log = new StringWriter();
        run = Run(catalog, flipped, log).Runs[0];
        Assert.True(log.ToString().Contains("is damaged (its contents do not match its checksum: a byte changed since it was written) and cannot be resumed; falling back"), log.ToString());
        Assert.Equal(2, run.ResumedFromEpoch);
        Assert.Equal(Numbers(reference), Numbers(run));

        // Both damaged: a fresh start, still the same numbers, never a failed run.
        var both = Path.Combine(root, "both");
        CopyTree(cut, both);
        File.WriteAllBytes(Ckpt(both), bytes);
        using (var f = new FileStream(Checkpoint.PreviousPath(Ckpt(both)), FileMode.Open)) f.SetLength(100);
        log = new StringWriter();
        run = Run(catalog, both, log).Runs[0];
        Assert.Contains("starting afresh", log.ToString());
        Assert.Null(run.ResumedFromEpoch);
        Assert.Equal(Numbers(reference), Numbers(run));
    }

    [Fact]
    public void A_full_disk_stops_the_suite_with_a_clear_error_and_what_was_written_before_stays_readable()
    {
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        using var catalog = TestEnvironment.Catalog();
        var reference = Run(catalog, Path.Combine(root, "whole")).Runs[0];
        var dir = Path.Combine(root, "full");
        Assert.True(Run(catalog, dir, stopAfter: 2).Interrupted);
        var resultsBefore = File.ReadAllText(Path.Combine(dir, "results.json"));

        // The next checkpoint's file is /dev/full, whose every write fails with ENOSPC, as on a full disk.
        File.CreateSymbolicLink(Ckpt(dir) + ".tmp", "/dev/full");
        var e = Assert.Throws<DiskFullException>(() => Run(catalog, dir));
        Assert.Contains("lenet5.checkpoint.safetensors.tmp: no space left on the device", e.Message);
        Assert.Contains("run the same command again to resume", e.Message);
        Assert.False(File.Exists(Ckpt(dir) + ".tmp"));
        Assert.Equal(2, Checkpoint.PeekState(Ckpt(dir))!.EpochsDone);   // the last good checkpoint is whole
        Assert.Null(Checkpoint.Damage(Ckpt(dir)));
        Assert.Equal(resultsBefore, File.ReadAllText(Path.Combine(dir, "results.json")));

        // Now results.json cannot be rewritten: the run's own files are written, the summary before stays whole.
        File.CreateSymbolicLink(ResultWriter.TempPath(Path.Combine(dir, "results.json")), "/dev/full");
        Assert.Throws<DiskFullException>(() => Run(catalog, dir));
        Assert.Equal(resultsBefore, File.ReadAllText(Path.Combine(dir, "results.json")));
        Assert.False(File.Exists(Path.Combine(dir, "results.json.tmp")));

        // Space again: the same command finishes, reusing the stored result, with the uninterrupted numbers.
        var after = Run(catalog, dir).Runs[0];
        Assert.Equal(RunStatus.Finished, after.Status);
        Assert.Equal(Numbers(reference), Numbers(after));
        Assert.Contains("\"all_finished\": true", File.ReadAllText(Path.Combine(dir, "results.json")));
    }

    [Fact]
    public void A_results_folder_in_use_is_refused_naming_its_holder_and_a_stale_lock_is_taken_over()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using (var held = ResultsFolderLock.Acquire(dir, command: "zoo run-suite a.json"))
        {
            Assert.Equal(Path.Combine(dir, ".zoo-lock"), held.Path);
            var e = Assert.Throws<ZooConfigException>(() => ResultsFolderLock.Acquire(dir));
            Assert.Contains($"in use by process {Environment.ProcessId} on {Environment.MachineName} (zoo run-suite a.json), started ", e.Message);
            // Keyed locks (one per shard of a suite) do not exclude each other, but each excludes its own key.
            using var shard1 = ResultsFolderLock.Acquire(dir, "shard-1");
            using var shard2 = ResultsFolderLock.Acquire(dir, "shard-2");
            Assert.Throws<ZooConfigException>(() => ResultsFolderLock.Acquire(dir, "shard-1"));
        }
        // Released on dispose: the folder can be taken again.
        ResultsFolderLock.Acquire(dir).Dispose();
        Assert.False(File.Exists(Path.Combine(dir, ".zoo-lock")));

        // A lock left by a process that is gone, and one whose pid now belongs to a later process: both stale.
        var lockFile = Path.Combine(dir, ".zoo-lock");
        foreach (var owner in new[]
        {
            new ResultsFolderLock.Owner(int.MaxValue - 7, Environment.MachineName, DateTime.UtcNow, DateTime.UtcNow, "zoo ui"),
            new ResultsFolderLock.Owner(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow, new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc), "zoo ui"),
        })
        {
            File.WriteAllText(lockFile, System.Text.Json.JsonSerializer.Serialize(owner, ZooJson.Options));
            Assert.True(ResultsFolderLock.IsStale(owner));
            using var taken = ResultsFolderLock.Acquire(dir);
            Assert.Equal(Environment.ProcessId, ResultsFolderLock.Read(lockFile)!.Pid);
        }
        // Another host's lock cannot be checked from here: it is respected.
        var remote = new ResultsFolderLock.Owner(12345, "some-other-host", DateTime.UtcNow, DateTime.UtcNow, "zoo run-suite");
        File.WriteAllText(lockFile, System.Text.Json.JsonSerializer.Serialize(remote, ZooJson.Options));
        Assert.Contains("process 12345 on some-other-host", Assert.Throws<ZooConfigException>(() => ResultsFolderLock.Acquire(dir)).Message);
    }

    [Fact]
    public void Run_suite_on_a_folder_another_process_holds_exits_2_naming_that_process_and_writes_nothing()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var suite = Path.Combine(dir, "ok.json");
        File.WriteAllText(suite, """
            { "dataset": { "name": "shapes", "size": 28, "train": 64, "val": 16, "test": 16 }, "models": ["lenet5"], "recipe": { "epochs": 1 } }
            """);
        var output = Path.Combine(dir, "out");
        using var held = ResultsFolderLock.Acquire(output, command: "a test holding the folder");
        var (code, _, stderr) = TestEnvironment.RunZoo("run-suite", suite, "--out", output);
        Assert.True(code == 2, $"exit {code}:\n{stderr}");
        Assert.Contains($"this results folder is in use by process {Environment.ProcessId} on {Environment.MachineName} (a test holding the folder), started ", stderr);
        Assert.False(Directory.Exists(Path.Combine(output, "runs")));
        Assert.True(File.Exists(held.Path));   // the holder's lock is left alone
    }
}
