using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;

namespace Zoo.Reports.Model;

/// <summary>
/// One results folder as results.json records it: the suite as far as the file describes it (name,
/// recipe, device), its data set and its runs (each with its feature analysis where the suite asked for one). <see cref="Result"/> is a <see cref="SuiteResult"/> rebuilt from the file, so the
/// engine's own exporters (<see cref="ResultWriter.Markdown"/>) read it unchanged.
/// </summary>
public sealed record ReportSuite(string Directory, SuiteResult Result, string RecipeText)
{
    /// <summary>Sample training images per class (data-samples.json), or null where the folder has none or it cannot be read.</summary>
    public IReadOnlyList<ClassSamples>? DataSamples
    {
        get
        {
            var p = ResultWriter.DataSamplesPath(Directory);
            if (!File.Exists(p)) return null;
            try { return JsonSerializer.Deserialize<ClassSamples[]>(File.ReadAllText(p), ZooJson.Options); }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException) { return null; }
        }
    }

    public string Name => Result.Suite.Name;
    public DatasetSummary Dataset => Result.Dataset;
    public IReadOnlyList<RunResult> Runs => Result.Runs;
}

/// <summary>A run and the suite it belongs to, under a label unique within the report.</summary>
public sealed record ReportRun(ReportSuite Suite, RunResult Run, string Label)
{
    /// <summary>The run's layer table (runs/&lt;label&gt;.layers.txt), or null where the run wrote none.</summary>
    public string? Layers
    {
        get
        {
            var p = ResultWriter.LayersPath(Suite.Directory, Run.Label);
            try { return File.Exists(p) ? File.ReadAllText(p) : null; }
            catch (IOException) { return null; }
        }
    }

    /// <summary>The run's sample of test predictions (runs/&lt;label&gt;.predictions.json), or null where there is none or it cannot be read.</summary>
    public PredictionSample? Predictions
    {
        get
        {
            var p = ResultWriter.PredictionsPath(Suite.Directory, Run.Label);
            if (!File.Exists(p)) return null;
            try { return JsonSerializer.Deserialize<PredictionSample>(File.ReadAllText(p), ZooJson.Options); }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException) { return null; }
        }
    }

    /// <summary>runs/&lt;label&gt;.best.safetensors of the run's own folder, where it exists.</summary>
    public string? BestWeights
    {
        get
        {
            var p = Path.Combine(Suite.Directory, "runs", ResultWriter.SafeName(Run.Label) + ".best.safetensors");
            return File.Exists(p) ? p : null;
        }
    }
}

/// <summary>
/// The one model every report exporter reads (HTML, figures, the merged comparison.md): one or more
/// results folders read back from disk. Immutable; build it with <see cref="Load"/> or <see cref="From"/>.
/// </summary>
public sealed record ReportModel(IReadOnlyList<ReportSuite> Suites)
{
    /// <summary>Notes from loading (a run's file that could not be read, data sets that differ between merged folders).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();

    /// <summary>The report's title: the suite name, or the names joined when folders are merged.</summary>
    public string Title => string.Join(" + ", Suites.Select(s => s.Name).Distinct());

    /// <summary>The data set of the first suite (merged folders should share one; <see cref="Warnings"/> says when they don't).</summary>
    public DatasetSummary Dataset => Suites[0].Dataset;

    /// <summary>Every run; labels get their suite's name in front when several suites are merged.</summary>
    public IReadOnlyList<ReportRun> Runs => _runs ??= Suites.Count == 1
        ? Suites[0].Runs.Select(r => new ReportRun(Suites[0], r, r.Label)).ToArray()
        : Suites.SelectMany(s => s.Runs.Select(r => new ReportRun(s, r, $"{s.Name}/{r.Label}"))).ToArray();
    IReadOnlyList<ReportRun>? _runs;

    /// <summary>
    /// The comparison as one <see cref="SuiteResult"/>: the suite itself, or for merged folders all runs
    /// under the first suite's recipe, a run from another suite carrying its suite's recipe as its own.
    /// </summary>
    public SuiteResult Comparison
    {
        get
        {
            if (Suites.Count == 1) return Suites[0].Result;
            var first = Suites[0];
            var runs = Runs.Select(r => r.Run with
            {
                Label = r.Label,
                RepeatOf = r.Run.RepeatOf is { } of ? $"{r.Suite.Name}/{of}" : null,   // repeats group within their own suite
                OwnRecipe = r.Run.OwnRecipe ?? (r.Suite == first || r.Suite.RecipeText == first.RecipeText ? null : r.Suite.RecipeText),
            }).ToArray();
            var suite = first.Result.Suite with
            {
                Name = Title,
                Models = runs.Select(r => new ModelEntry(r.Label, r.Variant, "results.json", null, null, null, ParameterBag.Empty)).ToArray(),
            };
            return new SuiteResult(suite, first.Dataset, runs, first.Directory) { Interrupted = Suites.Any(s => s.Result.Interrupted) };
        }
    }

    /// <summary>The report of a suite just run, without reading it back.</summary>
    public static ReportModel From(SuiteResult result) =>
        new(new[] { new ReportSuite(result.OutputDirectory, result, ResultWriter.Describe(result.Suite.Recipe)) });

    /// <summary>
    /// Reads results folders (each with a results.json). Throws <see cref="ZooConfigException"/> when a
    /// folder has no results.json or the file is not Zoo's.
    /// </summary>
    public static ReportModel Load(IEnumerable<string> directories)
    {
        var suites = new List<ReportSuite>();
        var warnings = new List<string>();
        foreach (var dir in directories) suites.Add(LoadSuite(Path.GetFullPath(dir), warnings));
        if (suites.Count == 0) throw new ZooConfigException("report", "give at least one results folder");
        var d0 = suites[0].Dataset;
        foreach (var s in suites.Skip(1))
            if (s.Dataset.Name != d0.Name || s.Dataset.Classes.Count != d0.Classes.Count || s.Dataset.Height != d0.Height || s.Dataset.Test != d0.Test)
                warnings.Add($"{s.Name} was run on {DataText(s.Dataset)}, {suites[0].Name} on {DataText(d0)}: their numbers are not measured on the same data");
        return new ReportModel(suites) { Warnings = warnings };
    }

    static string DataText(DatasetSummary d) => $"{d.Name} {d.Channels}x{d.Height}x{d.Width} ({d.Classes.Count} classes, {d.Test} test images)";

    static ReportSuite LoadSuite(string dir, List<string> warnings)
    {
        var file = Path.Combine(dir, "results.json");
        if (!File.Exists(file)) throw new ZooConfigException(dir, "no results.json here; give a folder that `zoo run-suite` wrote");
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(file))?.AsObject() ?? throw new JsonException("empty"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new ZooConfigException(file, $"not a Zoo results.json: {e.Message}");
        }
        if (root["runs"] is not JsonArray runsNode || root["dataset"] is not JsonObject datasetNode)
            throw new ZooConfigException(file, "not a Zoo results.json: it needs \"dataset\" and \"runs\"");
        var dataset = datasetNode.Deserialize<DatasetSummary>(ZooJson.Options)!;
        var runs = new List<RunResult>();
        foreach (var node in runsNode)
        {
            try { runs.Add(node!.Deserialize<RunResult>(ZooJson.Options)!); }
            catch (Exception e) when (e is JsonException or NullReferenceException or NotSupportedException)
            {
                warnings.Add($"{file}: a run could not be read ({e.Message}); left out");
            }
        }
        var name = (string?)root["suite"] ?? Path.GetFileName(dir);
        var recipe = ReadRecipe(root["recipe"] as JsonObject);
        var suite = new Suite(name, (string?)root["suite_file"] ?? file,
            new DatasetSpec(dataset.Name, null, dataset.Channels, dataset.Height, 0, 0, ParameterBag.Empty),
            runs.Select(r => new ModelEntry(r.Label, r.Variant, "results.json", null, null, null, ParameterBag.Empty)).ToArray(),
            recipe, (string?)root["device"] ?? "cpu");
        var result = new SuiteResult(suite, dataset, runs, dir) { Interrupted = (bool?)root["interrupted"] ?? false };
        var text = (string?)root["recipe"]?["text"] ?? ResultWriter.Describe(recipe);
        return new ReportSuite(dir, result, text);
    }

    /// <summary>The recipe as far as results.json records it (names and the numbers the comparison prints).</summary>
    static Recipe ReadRecipe(JsonObject? r)
    {
        if (r is null) return new Recipe();
        T Get<T>(string key, T fallback)
        {
            try { return r[key] is { } n ? n.GetValue<T>() : fallback; }
            catch (Exception e) when (e is InvalidOperationException or FormatException) { return fallback; }
        }
        TargetSpec? target = r["target"] is JsonObject t && (string?)t["metric"] is { } metric && t["value"] is { } value
            ? new TargetSpec(metric, value.GetValue<double>(), (bool?)t["stop"] ?? false) : null;
        return new Recipe
        {
            Epochs = Get("epochs", 0),
            BatchSize = Get("batch_size", 0),
            Seed = Get("seed", 0),
            Optimizer = new OptimizerSpec(Get("optimizer", "?"), Get("lr", 0.0), ParameterBag.Empty) { Find = Get("lr", "") == "find" ? new LearningRateSearch() : null },
            Schedule = new ScheduleSpec(Get("schedule", "?"), ParameterBag.Empty, Get("warmup_epochs", 0.0)),
            LabelSmoothing = Get("label_smoothing", 0.0),
            Augment = (r["augment"] as JsonArray)?.Select(a => ((string?)a ?? "?", ParameterBag.Empty)).ToArray() ?? Array.Empty<(string, ParameterBag)>(),
            Ema = r["ema"] is { } ema ? ema.GetValue<double>() : null,
            Target = target,
        };
    }
}
