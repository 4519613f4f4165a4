using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Engine.Training;

namespace Zoo.Engine.Suites;

/// <summary>
/// Writes a suite's results folder: runs/&lt;label&gt;.csv (one line per epoch, flushed as it ends),
/// results.json (machine-readable, everything) and comparison.md (the table people read). The JSON and
/// Markdown are replaced atomically (write beside, then rename), so an interrupted run never leaves a
/// half-written file.
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
                .Select(v => v switch { null => "", double d => d.ToString("R", CultureInfo.InvariantCulture), _ => Convert.ToString(v, CultureInfo.InvariantCulture) })));
            _w.Flush();
        }

        public void Dispose() => _w.Dispose();
    }

    /// <summary>Rewrites results.json and comparison.md for the runs so far.</summary>
    public void WriteSummary(SuiteResult result)
    {
        WriteAtomic(System.IO.Path.Combine(Directory, "results.json"), ToJson(result).ToJsonString(new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
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

    /// <summary>Writes beside, then renames over: readers see the old file or the new one, never half of one.</summary>
    public static void WriteAtomic(string path, string text)
    {
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text, new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    public static JsonObject ToJson(SuiteResult r)
    {
        var d = r.Dataset;
        var s = r.Suite;
        return new JsonObject
        {
            ["zoo_results_version"] = 1,
            ["suite"] = s.Name,
            ["suite_file"] = s.SourcePath,
            ["device"] = s.Device,
            ["all_finished"] = r.AllFinished,
            ["dataset"] = new JsonObject
            {
                ["name"] = d.Name, ["channels"] = d.Channels, ["height"] = d.Height, ["width"] = d.Width,
                ["classes"] = new JsonArray(d.Classes.Select(c => (JsonNode?)c).ToArray()),
                ["train"] = d.Train, ["val"] = d.Validation, ["test"] = d.Test, ["val_source"] = d.ValidationSource,
                ["mean"] = new JsonArray(d.Mean.Select(v => (JsonNode?)v).ToArray()),
                ["std"] = new JsonArray(d.Std.Select(v => (JsonNode?)v).ToArray()),
                ["skipped"] = new JsonArray(d.Skipped.Select(v => (JsonNode?)v).ToArray()),
            },
            ["recipe"] = new JsonObject
            {
                ["epochs"] = s.Recipe.Epochs, ["batch_size"] = s.Recipe.BatchSize, ["seed"] = s.Recipe.Seed,
                ["optimizer"] = s.Recipe.Optimizer.Name, ["lr"] = s.Recipe.Optimizer.LearningRate,
                ["schedule"] = s.Recipe.Schedule.Name, ["warmup_epochs"] = s.Recipe.Schedule.WarmupEpochs,
                ["label_smoothing"] = s.Recipe.LabelSmoothing,
                ["augment"] = new JsonArray(s.Recipe.Augment.Select(a => (JsonNode?)a.Name).ToArray()),
            },
            ["runs"] = new JsonArray(r.Runs.Select(run => (JsonNode?)RunJson(run)).ToArray()),
        };
    }

    static JsonObject RunJson(RunResult run) => new()
    {
        ["label"] = run.Label,
        ["variant"] = run.Variant,
        ["architecture"] = run.Architecture,
        ["family"] = run.Family,
        ["plugin"] = run.Plugin,
        ["status"] = run.Status.ToString().ToLowerInvariant(),
        ["error"] = run.Error,
        ["diverged_at_epoch"] = run.DivergedAtEpoch,
        ["parameters"] = run.Parameters,
        ["size_mb"] = run.SizeMb,
        ["best_epoch"] = run.BestEpoch,
        ["best_val_top1"] = run.BestValTop1,
        ["val_best_weights"] = Eval(run.Validation, perClass: true),
        ["test"] = Eval(run.Test, perClass: true),
        ["test_final_weights"] = Eval(run.TestFinal, perClass: false),
        ["test_ema"] = Eval(run.TestEma, perClass: false),
        ["stopped_early"] = run.StoppedEarly,
        ["target_epoch"] = run.TargetEpoch,
        ["target_seconds"] = run.TargetSeconds,
        ["resumed_from_epoch"] = run.ResumedFromEpoch,
        ["own_recipe"] = run.OwnRecipe,
        ["total_seconds"] = run.TotalSeconds,
        ["mean_epoch_seconds"] = run.MeanEpochSeconds,
        ["epochs"] = new JsonArray(run.Epochs.Select(e => (JsonNode?)new JsonObject
        {
            ["epoch"] = e.Epoch, ["lr"] = e.LearningRate, ["train_loss"] = e.TrainLoss, ["train_top1"] = e.TrainTop1,
            ["val_loss"] = e.ValLoss, ["val_top1"] = e.ValTop1, ["val_top5"] = e.ValTop5, ["ema_val_top1"] = e.EmaValTop1,
            ["grad_norm"] = e.GradNorm, ["seconds"] = e.Seconds, ["resident_mb"] = e.ResidentMb,
        }).ToArray()),
    };

    static JsonObject? Eval(EvalResult? e, bool perClass)
    {
        if (e is null) return null;
        var o = new JsonObject
        {
            ["loss"] = e.Loss, ["top1"] = e.Top1, ["top5"] = e.Top5, ["images"] = e.Count,
            ["inference_ms_per_image"] = e.MillisecondsPerImage,
        };
        if (perClass && e.Confusion.Length > 0)
        {
            o["per_class_top1"] = new JsonArray(e.PerClassTop1.Select(v => (JsonNode?)v).ToArray());
            o["confusion"] = new JsonArray(e.Confusion.Select(row => (JsonNode?)new JsonArray(row.Select(c => (JsonNode?)c).ToArray())).ToArray());
        }
        return o;
    }

    /// <summary>A recipe in one line.</summary>
    public static string Describe(Recipe recipe) => string.Create(CultureInfo.InvariantCulture,
        $"{recipe.Epochs} epochs, batch {recipe.BatchSize}, {recipe.Optimizer.Name} lr {recipe.Optimizer.LearningRate:G4}, "
        + $"{(recipe.Schedule.WarmupEpochs > 0 ? $"{recipe.Schedule.WarmupEpochs:G3}-epoch warm-up then " : "")}{recipe.Schedule.Name}"
        + $"{(recipe.Augment.Count > 0 ? ", augment " + string.Join("+", recipe.Augment.Select(a => a.Name)) : "")}"
        + $"{(recipe.LabelSmoothing > 0 ? $", label smoothing {recipe.LabelSmoothing:G3}" : "")}, seed {recipe.Seed}");

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
        sb.AppendLine("| Model | Family | Params | Size MB | Best val top-1 (epoch) | Test top-1 | Test top-5 | Test loss | s/epoch | Total s | Infer ms/img | Status |");
        sb.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|");
        foreach (var run in r.Runs.OrderByDescending(x => x.Test?.Top1 ?? x.BestValTop1 ?? -1))
        {
            string P(double? v) => v is null ? "-" : (v.Value * 100).ToString("F2", inv) + " %";
            var status = run.Status switch
            {
                RunStatus.Finished when run.StoppedEarly is not null => $"finished at epoch {run.Epochs.Count} ({run.StoppedEarly.Split(':')[0]})",
                RunStatus.Finished => "finished",
                RunStatus.Diverged => $"diverged (epoch {run.DivergedAtEpoch})",
                _ => "failed: " + (run.Error ?? "").Replace("|", "/").Split('\n')[0],
            };
            sb.AppendLine(string.Create(inv,
                $"| {run.Label}{(run.OwnRecipe is null ? "" : " *")} | {run.Family} | {run.Parameters:N0} | {run.SizeMb:F2} | {P(run.BestValTop1)}{(run.BestEpoch is null ? "" : $" ({run.BestEpoch})")} | {P(run.Test?.Top1)} | {P(run.Test?.Top5)} | {(run.Test is null ? "-" : run.Test.Loss.ToString("F4", inv))} | {run.MeanEpochSeconds:F1} | {run.TotalSeconds:F1} | {(run.Test is null ? "-" : run.Test.MillisecondsPerImage.ToString("F3", inv))} | {status} |"));
        }
        var target = r.Suite.Recipe.Target ?? r.Suite.Models.Select(m => m.Recipe?.Target).FirstOrDefault(t => t is not null);
        if (target is not null)
        {
            sb.AppendLine();
            sb.AppendLine(string.Create(inv, $"Time to {target.Metric} {(target.Maximise ? ">=" : "<=")} {target.Value:G4}: ") + string.Join("; ", r.Runs.Select(run =>
                run.TargetEpoch is null ? $"{run.Label} not reached" : string.Create(inv, $"{run.Label} epoch {run.TargetEpoch}, {run.TargetSeconds:F1} s"))) + ".");
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
