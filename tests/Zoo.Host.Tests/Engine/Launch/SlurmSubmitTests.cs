using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Zoo.Host.Tests;

/// <summary>
/// zoo launch slurm against a real Slurm: the generated array script submitted with sbatch, both shards run by
/// slurmd, then zoo report merges them. Needs a running controller (docs/gpus-and-many-machines.md: "Single-node Slurm"); where there is
/// none the test is skipped and says why. LaunchTests checks the script itself without Slurm.
/// </summary>
public sealed class SlurmSubmitTests
{
    /// <summary>A fact that runs only where sbatch is on the PATH and `scontrol ping` finds a controller.</summary>
    public sealed class SlurmFactAttribute : FactAttribute
    {
        public SlurmFactAttribute()
        {
            if (SlurmUnavailable() is { } why) Skip = why;
        }
    }

    /// <summary>Why Slurm cannot run a job here, or null when it can.</summary>
    static string? SlurmUnavailable()
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        if (!path.Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "sbatch"))))
            return "no Slurm here: sbatch is not on the PATH (docs/gpus-and-many-machines.md: \"Single-node Slurm\" sets one up)";
        try
        {
            var (code, stdout, stderr) = Run("scontrol", TimeSpan.FromSeconds(30), "ping");
            if (code != 0 || !stdout.Contains("UP", StringComparison.Ordinal))
                return $"no Slurm controller answers (`scontrol ping`: {(stdout + stderr).Trim().Split('\n')[0]}); docs/gpus-and-many-machines.md: \"Single-node Slurm\"";
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return $"no Slurm controller answers (`scontrol ping`: {e.Message})";
        }
        return null;
    }

    static (int Code, string Out, string Err) Run(string file, TimeSpan limit, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        // A guard against a hang (a job that never starts), not a speed check.
        if (!p.WaitForExit(limit)) { p.Kill(true); throw new TimeoutException($"{file} {string.Join(' ', args)} did not end in {limit}"); }
        return (p.ExitCode, o.Result, e.Result);
    }

    [SlurmFact]
    public void The_launch_script_submitted_to_slurm_runs_both_shards_and_zoo_report_merges_them()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var suite = Path.Combine(dir, "tiny.json");
        File.WriteAllText(suite, """
            { "name": "slurm-tiny", "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 64, "val": 16, "test": 16 },
              "models": [ { "variant": "lenet5", "label": "a" }, { "variant": "lenet5", "label": "b", "options": { "activation": "relu" } } ],
              "recipe": { "epochs": 1, "batch_size": 16, "seed": 7 } }
            """);
        // The array tasks start zoo through this script, with the test run's own cache and config folders.
        var zoo = Path.Combine(dir, "zoo");
        File.WriteAllText(zoo, $"""
            #!/bin/sh
            export ZOO_CACHE_DIR='{TestEnvironment.CacheDirectory}' XDG_CONFIG_HOME='{TestEnvironment.ConfigDirectory}'
            exec dotnet '{TestEnvironment.ZooDll}' "$@"

            """);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(zoo, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var results = Path.Combine(dir, "results");
        var job = Path.Combine(dir, "tiny.sbatch");
        var (code, _, err) = TestEnvironment.RunZoo("launch", "slurm", suite, "--shards", "2", "--cpus", "1", "--out", results, "--zoo", zoo, "-o", job);
        Assert.True(code == 0, err);

        // --wait: sbatch returns when every array task has ended, with the highest exit code among them.
        var (submitted, stdout, stderr) = Run("sbatch", TimeSpan.FromMinutes(20), "--wait", job);
        var logs = Directory.EnumerateFiles(Path.Combine(results, "logs"), "*.log").Order().ToArray();
        Assert.True(submitted == 0, $"sbatch: {stdout}{stderr}\n" + string.Join("\n", logs.Select(File.ReadAllText)));
        Assert.Equal(2, logs.Length);   // one log per array task
        Assert.Contains(logs, l => File.ReadAllText(l).Contains("zoo shard 1/2", StringComparison.Ordinal));
        Assert.Contains(logs, l => File.ReadAllText(l).Contains("zoo shard 2/2", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(results, "results.shard-1-of-2.json")));
        Assert.True(File.Exists(Path.Combine(results, "results.shard-2-of-2.json")));

        var (reported, reportOut, reportErr) = TestEnvironment.RunZoo("report", results);
        Assert.True(reported == 0, reportErr);
        Assert.Contains("merged 2 of 2 shards", reportErr);
        var merged = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "results.json")))!;
        var runs = merged["runs"]!.AsArray();
        Assert.Equal(new[] { "a", "b" }, runs.Select(r => (string)r!["label"]!).ToArray());   // suite order, one from each shard
        Assert.All(runs, r => Assert.Single(r!["epochs"]!.AsArray()));   // each trained its one epoch
        Assert.All(runs, r => Assert.NotNull(r!["test"]?["top1"]));
        Assert.Contains("| a |", reportOut);
        Assert.Contains("| b |", reportOut);
    }
}
