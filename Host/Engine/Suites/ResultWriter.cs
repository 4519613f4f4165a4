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

    /// <summary>
    /// Rewrites results.json and comparison.md for the runs so far; for a shard, its own results.shard-I-of-N.json
    /// and comparison.shard-I-of-N.md instead, the runs' places in the suite beside them (<paramref name="indices"/>,
    /// from 0) so that <see cref="ShardMerge"/> can put every shard's runs back in suite order.
    /// </summary>
    public void WriteSummary(SuiteResult result, ShardSpec? shard = null, IReadOnlyList<int>? indices = null)
    {
        if (shard is null)
        {
            WriteAtomic(System.IO.Path.Combine(Directory, "results.json"), ToJson(result).ToJsonString(ZooJson.Options));
            WriteAtomic(System.IO.Path.Combine(Directory, "comparison.md"), Markdown(result));
            return;
        }
        var json = ToJson(result);
        json["shard"] = new JsonObject
        {
            ["index"] = shard.Index, ["count"] = shard.Count, ["key"] = shard.Key,
            ["run_indices"] = new JsonArray((indices ?? Array.Empty<int>()).Select(i => (JsonNode?)i).ToArray()),
        };
        WriteAtomic(shard.SummaryFile(Directory), json.ToJsonString(ZooJson.Options));
        WriteAtomic(System.IO.Path.Combine(Directory, $"comparison.{shard.Key}.md"), Markdown(result));
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

    /// <summary>data-samples.json: sample training images per class (the report's data grid).</summary>
    public void WriteDataSamples(IReadOnlyList<Data.ClassSamples> samples) =>
        WriteAtomic(DataSamplesPath(Directory), System.Text.Json.JsonSerializer.Serialize(samples, ZooJson.Compact));

    public static string DataSamplesPath(string directory) => System.IO.Path.Combine(directory, "data-samples.json");

    /// <summary>runs/&lt;label&gt;.layers.txt: the run's model layer by layer at the suite's input (what `zoo describe` prints).</summary>
    public void WriteLayers(string label, string table) => WriteAtomic(LayersPath(Directory, label), table);

    /// <summary>Where <see cref="WriteLayers"/> puts a run's layer table in results folder <paramref name="directory"/>.</summary>
    public static string LayersPath(string directory, string label) =>
        System.IO.Path.Combine(directory, "runs", SafeName(label) + ".layers.txt");

    /// <summary>runs/&lt;label&gt;.predictions.json: the prediction grid's sample of test images (<see cref="PredictionSample"/>).</summary>
    public void WritePredictions(string label, PredictionSample sample) =>
        WriteAtomic(PredictionsPath(Directory, label), System.Text.Json.JsonSerializer.Serialize(sample, ZooJson.Compact));

    /// <summary>Where <see cref="WritePredictions"/> puts a run's sample in results folder <paramref name="directory"/>.</summary>
    public static string PredictionsPath(string directory, string label) =>
        System.IO.Path.Combine(directory, "runs", SafeName(label) + ".predictions.json");

    /// <summary>The file <see cref="WriteAtomic"/> writes before renaming it over <paramref name="path"/>.</summary>
    public static string TempPath(string path) => $"{path}.{Environment.ProcessId}.tmp";

    /// <summary>
    /// Writes beside, flushes to the disk, then renames over: readers see the old file or the new one, never half of
    /// one, even after a power cut. A write that fails (a full disk: <see cref="DiskFullException"/>) leaves the old file as it was.
    /// </summary>
    public static void WriteAtomic(string path, string text)
    {
        // Per process: shards sharing a results folder may replace the same file (results.json on a merge).
        var tmp = TempPath(path);
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
                ["optimizer"] = s.Recipe.Optimizer.Name, ["lr"] = s.Recipe.Optimizer.Find is null ? s.Recipe.Optimizer.LearningRate : "find",
                ["schedule"] = s.Recipe.Schedule.Name, ["warmup_epochs"] = s.Recipe.Schedule.WarmupEpochs,
                ["label_smoothing"] = s.Recipe.LabelSmoothing,
                ["augment"] = new JsonArray(s.Recipe.Augment.Select(a => (JsonNode?)a.Name).ToArray()),
                ["ema"] = s.Recipe.Ema,
                ["precision"] = s.Recipe.Precision.Name(),
                // What a report read back from this file needs to print the comparison as comparison.md does.
                ["target"] = ComparisonTarget(s) is { } t ? new JsonObject { ["metric"] = t.Metric, ["value"] = t.Value, ["stop"] = t.Stop } : null,
                ["text"] = Describe(s.Recipe),
            },
            ["runs"] = JsonSerializer.SerializeToNode(r.Runs, ZooJson.Options),
            ["repeat_groups"] = JsonSerializer.SerializeToNode(RepeatGroup.From(r.Runs), ZooJson.Options),
            ["paired_tests"] = JsonSerializer.SerializeToNode(PairedTest.AgainstBest(r.Runs), ZooJson.Options),
        };
    }

    /// <summary>The target the comparison reports time to: the suite's, else the first model's own.</summary>
    public static TargetSpec? ComparisonTarget(Suite s) => s.Recipe.Target ?? s.Models.Select(m => m.Recipe?.Target).FirstOrDefault(t => t is not null);

    /// <summary>A recipe in one line.</summary>
    public static string Describe(Recipe recipe) => string.Create(CultureInfo.InvariantCulture,
        $"{Numbers.Count(recipe.Epochs, "epoch")}, batch {recipe.BatchSize}, {recipe.Optimizer.Name} lr {(recipe.Optimizer.Find is null ? Numbers.Short(recipe.Optimizer.LearningRate, 4) : "found per model (range test)")}, "
        + $"{(recipe.Schedule.WarmupEpochs > 0 ? $"{Numbers.Short(recipe.Schedule.WarmupEpochs)}-epoch warm-up then " : "")}{recipe.Schedule.Name}"
        + $"{(recipe.Augment.Count > 0 ? ", augment " + string.Join("+", recipe.Augment.Select(a => a.Name)) : "")}"
        + $"{(recipe.LabelSmoothing > 0 ? $", label smoothing {Numbers.Short(recipe.LabelSmoothing)}" : "")}"
        + $"{(recipe.Precision != Precision.Fp32 ? $", {recipe.Precision.Name()} mixed precision" : "")}, seed {recipe.Seed}");

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
        var table = ComparisonTable.From(r);
        sb.AppendLine("| " + string.Join(" | ", table.Columns.Select(c => c.Header)) + " |");
        sb.AppendLine("|" + string.Join("|", table.Columns.Select(c => c.Numeric ? "--:" : "---")) + "|");
        foreach (var row in table.Rows)
            sb.AppendLine("| " + string.Join(" | ", row.Cells.Select(c => c.Replace("|", "/"))) + " |");
        var target = ComparisonTarget(r.Suite);
        if (target is not null)
        {
            sb.AppendLine();
            sb.AppendLine($"Time to {target.Metric} {(target.Maximise ? ">=" : "<=")} {Numbers.Short(target.Value, 4)}: " + string.Join("; ", r.Runs.Select(run =>
                run.TargetEpoch is null ? $"{run.Label} not reached" : string.Create(inv, $"{run.Label} epoch {run.TargetEpoch}, {run.TargetSeconds:F1} s"))) + ".");
        }
        var groups = RepeatGroup.From(r.Runs);
        if (groups.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Repeats at different seeds (mean ± standard deviation, and the 95 % interval by Student's t, over the repeats that finished and learned; "
                + "the interval assumes the seeds' results are independent draws; each repeat is a row of the table above):");
            sb.AppendLine();
            var metrics = RepeatGroup.MetricNames.Where(m => groups.Any(g => g.Metrics.ContainsKey(m.Name))).ToList();
            sb.AppendLine("| Model | Runs | " + string.Join(" | ", metrics.Select(m => m.Header)) + " |");
            sb.AppendLine("|---|--:|" + string.Join("|", metrics.Select(_ => "--:")) + "|");
            foreach (var g in groups)
                sb.AppendLine($"| {g.Label} | {g.Runs.Count} of {g.Repeats} | " + string.Join(" | ", metrics.Select(m => g.Metrics.TryGetValue(m.Name, out var v) ? RepeatGroup.Format(v, m.Percent) : "-")) + " |");
        }
        if (PairedTest.AgainstBest(r.Runs) is { Count: > 0 } paired)
        {
            sb.AppendLine();
            sb.AppendLine($"Which differences are real (McNemar's exact test on the same {paired[0].Images:N0} test images, each model against the most accurate, "
                + $"Holm-corrected over {Numbers.Count(paired.Count, "comparison")}; a difference is real at p < {Numbers.Short(PairedTest.Alpha)}"
                + (groups.Count > 0 ? "; a model with repeats counts an image right where most of its repeats got it right" : "") + "):");
            sb.AppendLine();
            foreach (var p in paired) sb.AppendLine($"- {(p.Tied ? "tied with the best" : "worse than the best")}: {p.Sentence}");
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
        foreach (var run in r.Runs.Where(x => x.DidNotLearn is not null))
            sb.AppendLine().AppendLine($"**{run.Label} did not learn** (since epoch {run.DidNotLearn!.Epoch}; sorted last, its numbers are chance): {ProgressText.NotLearning(run.DidNotLearn)}");
        foreach (var run in r.Runs.Where(x => x.LearningRateFind?.Doubt() is not null))
            sb.AppendLine().AppendLine($"**{run.Label}'s learning-rate range test did not see it learn**: {run.LearningRateFind!.Doubt()}.");
        foreach (var run in r.Runs.Where(x => x.OwnRecipe is not null))
            sb.AppendLine().Append($"\\* {run.Label}: own recipe: {run.OwnRecipe}.");
        if (r.Runs.Any(x => x.OwnRecipe is not null)) sb.AppendLine();
        return sb.ToString();
    }
}
