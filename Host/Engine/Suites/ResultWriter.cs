using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Engine.Results;
using Zoo.Engine.Training;

namespace Zoo.Engine.Suites;

/// <summary>
/// Writes a suite's results folder: runs/&lt;label&gt;.csv (one line per epoch, flushed as it ends),
/// results.json (machine-readable, everything) and comparison.md (the table people read). The JSON and
/// Markdown are replaced atomically (write beside, flush, then rename), so an interrupted run or a full disk never
/// leaves a half-written file.
/// </summary>
public sealed class ResultWriter
{
    public ResultWriter(string directory)
    {
        Directory = System.IO.Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(System.IO.Path.Combine(Directory, "runs"));
    }

    public string Directory { get; }

    /// <summary>A label made safe as a file name.</summary>
    public static string SafeName(string label) =>
        new(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());

    /// <summary>Opens the per-epoch CSV of a run, writes its header and the epochs a resumed run already has.</summary>
    public EpochCsv OpenEpochCsv(string label, IEnumerable<EpochRecord>? earlier = null)
    {
        var csv = new EpochCsv(System.IO.Path.Combine(Directory, "runs", SafeName(label) + ".csv"));
        foreach (var r in earlier ?? Array.Empty<EpochRecord>()) csv.Write(r);
        return csv;
    }

    public sealed class EpochCsv : IDisposable
    {
        readonly StreamWriter _w;
        public EpochCsv(string path)
        {
            _w = new StreamWriter(path, append: false, new UTF8Encoding(false));
            _w.WriteLine("epoch,lr,train_loss,train_top1,val_loss,val_top1,val_top5,ema_val_top1,grad_norm,seconds,resident_mb");
            _w.Flush();
        }

        public void Write(EpochRecord r)
        {
            _w.WriteLine(string.Join(",", new object?[] { r.Epoch, r.LearningRate, r.TrainLoss, r.TrainTop1, r.ValLoss, r.ValTop1, r.ValTop5, r.EmaValTop1, r.GradNorm, r.Seconds, r.ResidentMb }
                .Select(v => v switch { null => "", double d => Numbers.Exact(d), _ => Convert.ToString(v, CultureInfo.InvariantCulture) })));
            _w.Flush();
        }

        public void Dispose() => _w.Dispose();
    }

    /// <summary>Rewrites results.json and comparison.md for the runs so far.</summary>
    public void WriteSummary(SuiteResult result)
    {
        WriteAtomic(System.IO.Path.Combine(Directory, "results.json"), ToJson(result).ToJsonString(ZooJson.Options));
        WriteAtomic(System.IO.Path.Combine(Directory, "comparison.md"), Markdown(result));
    }

    /// <summary>runs/&lt;label&gt;.confusion.csv: the test confusion matrix (rows true, columns predicted) and per-class top-1.</summary>
    public void WriteConfusion(string label, IReadOnlyList<string> classes, EvalResult test)
    {
        var sb = new StringBuilder();
        string Q(string c) => c.Contains(',') || c.Contains('"') ? "\"" + c.Replace("\"", "\"\"") + "\"" : c;
        sb.AppendLine("true\\predicted," + string.Join(",", classes.Select(Q)) + ",top1");
        var per = test.PerClassTop1;
        for (int i = 0; i < test.Confusion.Length; i++)
            sb.AppendLine($"{Q(i < classes.Count ? classes[i] : i.ToString(CultureInfo.InvariantCulture))},{string.Join(",", test.Confusion[i])},{(per[i] is { } a ? a.ToString("R", CultureInfo.InvariantCulture) : "")}");
        WriteAtomic(System.IO.Path.Combine(Directory, "runs", SafeName(label) + ".confusion.csv"), sb.ToString());
    }

    /// <summary>
    /// Writes beside, flushes to the disk, then renames over: readers see the old file or the new one, never half of
    /// one, even after a power cut. A write that fails (a full disk: <see cref="DiskFullException"/>) leaves the old file as it was.
    /// </summary>
    public static void WriteAtomic(string path, string text)
    {
        var tmp = path + ".tmp";
        try
        {
            using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                f.Write(new UTF8Encoding(false).GetBytes(text));
                f.Flush(flushToDisk: true);
            }
        }
        catch (IOException e)
        {
            try { File.Delete(tmp); } catch (IOException) { }
            if (DiskFullException.Is(e)) throw new DiskFullException(path, e);
            throw;
        }
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>results.json: the suite, its data set and recipe, and every run as <see cref="RunResult"/> serialises.</summary>
    public static JsonObject ToJson(SuiteResult r)
    {
        var s = r.Suite;
        return new JsonObject
        {
            ["zoo_results_version"] = 2,
            ["suite"] = s.Name,
            ["suite_file"] = s.SourcePath,
            ["device"] = s.Device,
            ["all_finished"] = r.AllFinished,
            ["interrupted"] = r.Interrupted,
            ["dataset"] = JsonSerializer.SerializeToNode(r.Dataset, ZooJson.Options),
            ["recipe"] = new JsonObject
            {
                ["epochs"] = s.Recipe.Epochs, ["batch_size"] = s.Recipe.BatchSize, ["seed"] = s.Recipe.Seed,
                ["optimizer"] = s.Recipe.Optimizer.Name, ["lr"] = s.Recipe.Optimizer.LearningRate,
                ["schedule"] = s.Recipe.Schedule.Name, ["warmup_epochs"] = s.Recipe.Schedule.WarmupEpochs,
                ["label_smoothing"] = s.Recipe.LabelSmoothing,
                ["augment"] = new JsonArray(s.Recipe.Augment.Select(a => (JsonNode?)a.Name).ToArray()),
                ["ema"] = s.Recipe.Ema,
                // What a report read back from this file needs to print the comparison as comparison.md does.
                ["target"] = ComparisonTarget(s) is { } t ? new JsonObject { ["metric"] = t.Metric, ["value"] = t.Value, ["stop"] = t.Stop } : null,
                ["text"] = Describe(s.Recipe),
            },
            ["runs"] = JsonSerializer.SerializeToNode(r.Runs, ZooJson.Options),
        };
    }

    /// <summary>The target the comparison reports time to: the suite's, else the first model's own.</summary>
    public static TargetSpec? ComparisonTarget(Suite s) => s.Recipe.Target ?? s.Models.Select(m => m.Recipe?.Target).FirstOrDefault(t => t is not null);

    /// <summary>A recipe in one line.</summary>
    public static string Describe(Recipe recipe) => string.Create(CultureInfo.InvariantCulture,
        $"{Numbers.Count(recipe.Epochs, "epoch")}, batch {recipe.BatchSize}, {recipe.Optimizer.Name} lr {Numbers.Short(recipe.Optimizer.LearningRate, 4)}, "
        + $"{(recipe.Schedule.WarmupEpochs > 0 ? $"{Numbers.Short(recipe.Schedule.WarmupEpochs)}-epoch warm-up then " : "")}{recipe.Schedule.Name}"
        + $"{(recipe.Augment.Count > 0 ? ", augment " + string.Join("+", recipe.Augment.Select(a => a.Name)) : "")}"
        + $"{(recipe.LabelSmoothing > 0 ? $", label smoothing {Numbers.Short(recipe.LabelSmoothing)}" : "")}, seed {recipe.Seed}");

    /// <summary>The comparison table in Markdown, best test (else validation) accuracy first.</summary>
    public static string Markdown(SuiteResult r)
    {
        var d = r.Dataset;
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"# {r.Suite.Name}");
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Data: {d.Name} {d.Channels}x{d.Height}x{d.Width}, {d.Classes.Count} classes; {d.Train} train / {d.Validation} val ({d.ValidationSource}) / {d.Test} test. "
            + $"Recipe: {Describe(r.Suite.Recipe)}; device {r.Suite.Device}."));
        sb.AppendLine();
        sb.AppendLine($"| Model | Family | Params | Size MB | GMACs at {d.Channels}x{d.Height}x{d.Width} | Best val top-1 (epoch) | Test top-1 | Test top-5 | Test loss | s/epoch | Total s | Infer ms/img | Status |");
        sb.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var run in r.Runs.OrderByDescending(x => x.Test?.Top1 ?? x.BestValTop1 ?? -1))
        {
            string P(double? v) => Numbers.Percent(v);
            var status = run.Status switch
            {
                RunStatus.Finished when run.StoppedEarly is not null => $"finished at epoch {run.Epochs.Count} ({run.StoppedEarly.Split(':')[0]})",
                RunStatus.Finished => "finished",
                RunStatus.Diverged => $"diverged (epoch {run.DivergedAtEpoch})",
                RunStatus.Interrupted => $"interrupted after {Numbers.Count(run.Epochs.Count, "epoch")}, resumable",
                RunStatus.Crashed => "crashed: " + (run.Error ?? "").Replace("|", "/").Split('\n')[0],
                _ => "failed: " + (run.Error ?? "").Replace("|", "/").Split('\n')[0],
            };
            sb.AppendLine(string.Create(inv,
                $"| {run.Label}{(run.OwnRecipe is null ? "" : " *")} | {run.Family} | {run.Parameters:N0} | {run.SizeMb:F2} | {(run.Gmacs is { } g ? Numbers.Gmacs(g) : "-")} | {P(run.BestValTop1)}{(run.BestEpoch is null ? "" : $" ({run.BestEpoch})")} | {P(run.Test?.Top1)} | {P(run.Test?.Top5)} | {(run.Test is null ? "-" : run.Test.Loss.ToString("F4", inv))} | {run.MeanEpochSeconds:F1} | {run.TotalSeconds:F1} | {(run.Test is null ? "-" : run.Test.MillisecondsPerImage.ToString("F3", inv))} | {status} |"));
        }
        var target = ComparisonTarget(r.Suite);
        if (target is not null)
        {
            sb.AppendLine();
            sb.AppendLine($"Time to {target.Metric} {(target.Maximise ? ">=" : "<=")} {Numbers.Short(target.Value, 4)}: " + string.Join("; ", r.Runs.Select(run =>
                run.TargetEpoch is null ? $"{run.Label} not reached" : string.Create(inv, $"{run.Label} epoch {run.TargetEpoch}, {run.TargetSeconds:F1} s"))) + ".");
        }
        if (r.Interrupted)
        {
            sb.AppendLine();
            sb.AppendLine($"Interrupted: {r.Runs.Count(x => x.Status is not RunStatus.Interrupted)} of {r.Suite.Models.Count} runs ended; run the same command again to resume.");
        }
        if (d.Skipped.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine($"{d.Skipped.Count} unreadable image(s) skipped (listed in results.json under dataset.skipped).");
        }
        foreach (var run in r.Runs.Where(x => x.OwnRecipe is not null))
            sb.AppendLine().Append($"\\* {run.Label}: own recipe: {run.OwnRecipe}.");
        if (r.Runs.Any(x => x.OwnRecipe is not null)) sb.AppendLine();
        return sb.ToString();
    }
}
