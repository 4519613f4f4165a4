using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Zoo.Abstractions;
using Zoo.Engine.Suites;

namespace Zoo.Engine.Launch;

/// <summary>
/// What a launcher needs to know: the suite, how many shards, and what each shard asks of the scheduler.
/// Paths are as the jobs will see them (a shared file system, or the volume inside a pod).
/// </summary>
public sealed record LaunchRequest(string SuiteName, int ModelCount, int Shards)
{
    /// <summary>The suite file and results folder as the shard processes see them.</summary>
    public required string SuitePath { get; init; }
    public required string ResultsPath { get; init; }
    /// <summary>How the jobs start zoo ("zoo" on the PATH, or a path to it).</summary>
    public string Zoo { get; init; } = "zoo";
    public int Gpus { get; init; }
    public int Cpus { get; init; } = 2;
    /// <summary>Memory per shard in the scheduler's notation (Slurm "16G", Kubernetes "16Gi"); null: the default.</summary>
    public string? Memory { get; init; }

    /// <summary>Checks the numbers; a wrong one is a <see cref="ZooConfigException"/> naming its option.</summary>
    public void Validate()
    {
        if (Shards < 1) throw new ZooConfigException("--shards", $"{Shards}: give 1 or more");
        if (Shards > ModelCount)
            throw new ZooConfigException("--shards", $"{Shards} shards for {ModelCount} model(s) would leave {Shards - ModelCount} with nothing to do; give at most {ModelCount}");
        if (Gpus < 0) throw new ZooConfigException("--gpus", $"{Gpus}: give 0 (CPU only) or more");
        if (Cpus < 1) throw new ZooConfigException("--cpus", $"{Cpus}: give 1 or more");
    }

    /// <summary>--device for the shards: cuda where GPUs are asked for, else the suite's own.</summary>
    internal string? Device => Gpus > 0 ? "cuda" : null;
}

/// <summary>
/// `zoo launch slurm`: an sbatch job-array script, one array task per shard (task t runs shard t+1 of N),
/// a log per task, CPU and GPU requests as asked. Slurm does the scheduling; Zoo writes the script.
/// </summary>
public static class SlurmLauncher
{
    public sealed record Options
    {
        /// <summary>hh:mm:ss or d-hh:mm:ss per task; null: the partition's default.</summary>
        public string? Time { get; init; }
        public string? Partition { get; init; }
        /// <summary>Folder for the per-task logs (must exist before the job starts: Slurm does not create it).</summary>
        public required string LogDirectory { get; init; }
    }

    public static string Script(LaunchRequest r, Options o)
    {
        r.Validate();
        if (o.Time is { } t && !Regex.IsMatch(t, @"^(\d+-)?\d{1,3}(:\d{2}){0,2}$"))
            throw new ZooConfigException("--time", $"'{t}' is not a Slurm time; give minutes, hh:mm:ss or d-hh:mm:ss");
        var inv = CultureInfo.InvariantCulture;
        var name = JobName(r.SuiteName);
        var sb = new StringBuilder();
        sb.AppendLine("#!/bin/bash");
        sb.AppendLine($"# Written by `zoo launch slurm` for suite {r.SuiteName}: {r.ModelCount} model(s) in {r.Shards} shard(s), one array task per shard.");
        sb.AppendLine("# Submit:  sbatch THIS_FILE");
        sb.AppendLine($"# Merge:   {r.Zoo} report {Sh(r.ResultsPath)}   (after every task has ended, e.g. sbatch --dependency=afterany:JOBID --wrap \"{r.Zoo} report {r.ResultsPath}\")");
        sb.AppendLine($"#SBATCH --job-name={name}");
        sb.AppendLine(string.Create(inv, $"#SBATCH --array=0-{r.Shards - 1}"));
        sb.AppendLine("#SBATCH --ntasks=1");
        sb.AppendLine(string.Create(inv, $"#SBATCH --cpus-per-task={r.Cpus}"));
        if (r.Gpus > 0) sb.AppendLine(string.Create(inv, $"#SBATCH --gres=gpu:{r.Gpus}"));
        if (r.Memory is { } m) sb.AppendLine($"#SBATCH --mem={m}");
        if (o.Time is { } time) sb.AppendLine($"#SBATCH --time={time}");
        if (o.Partition is { } p) sb.AppendLine($"#SBATCH --partition={p}");
        // %A the array job, %a the task: one log per shard, never interleaved.
        sb.AppendLine($"#SBATCH --output={SlurmPath(o.LogDirectory)}/{name}-%A_%a.log");
        sb.AppendLine("set -euo pipefail");
        sb.AppendLine("# LibTorch's threads: what Slurm gave this task, not every core of the node.");
        sb.AppendLine("export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"");
        sb.AppendLine(string.Create(inv, $"SHARD=\"$((SLURM_ARRAY_TASK_ID + 1))/{r.Shards}\""));
        sb.AppendLine("echo \"zoo shard $SHARD of suite " + r.SuiteName.Replace("\"", "") + " on $(hostname)\"");
        sb.Append($"exec {Sh(r.Zoo)} run-suite {Sh(r.SuitePath)} --out {Sh(r.ResultsPath)} --shard \"$SHARD\"");
        if (r.Device is { } d) sb.Append($" --device {d}");
        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>A job name Slurm and people read: zoo-&lt;suite&gt;, letters, digits, '-', '_' and '.'.</summary>
    internal static string JobName(string suite) => "zoo-" + new string(suite.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    /// <summary>Single-quoted for bash, so spaces and $ in a path stay as they are.</summary>
    internal static string Sh(string s) => Regex.IsMatch(s, @"^[A-Za-z0-9_./:=@%+-]+$") ? s : "'" + s.Replace("'", "'\\''") + "'";

    /// <summary>#SBATCH lines are not shell: a path with spaces cannot be quoted there, so it is refused.</summary>
    static string SlurmPath(string path) => path.Any(char.IsWhiteSpace)
        ? throw new ZooConfigException("--logs", $"'{path}' has white space, which an #SBATCH line cannot carry; choose a log folder without")
        : path;
}
