using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Analysis;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

/// <summary>One run's line of `zoo analyze`: its analysis, or why it has none.</summary>
public sealed record RunAnalysis(string Label, AnalysisResult? Analysis, string? Skipped);

/// <summary>
/// The feature analysis (seeds/002 §4.3) of runs that have finished: from a results folder afterwards
/// (`zoo analyze`), and for a finished run that a rerun of the suite reuses. It reads the best weights
/// (runs/&lt;label&gt;.best.safetensors), the suite file that results.json names and its data set's test split,
/// and writes each analysis into results.json and the run's stored result. One call at a time per folder.
/// </summary>
public sealed class SuiteAnalyzer
{
    readonly SuiteRunner _runner;

    public SuiteAnalyzer(SuiteRunner runner) => _runner = runner;

    /// <summary>
    /// Analyses every finished run of the results folder with the suite's "analysis" options (or the defaults),
    /// <paramref name="maxImages"/> and <paramref name="perplexity"/> overriding them; returns a line per run.
    /// <paramref name="device"/> (cpu, cuda, cuda:N) overrides the suite's device; an unavailable one is refused.
    /// </summary>
    /// <exception cref="ZooConfigException">The folder has no results.json, or the suite file it names is missing or wrong.</exception>
    public IReadOnlyList<RunAnalysis> AnalyzeResults(string resultsDirectory, int? maxImages = null, double? perplexity = null, IProgress<SuiteEvent>? progress = null, string? device = null)
    {
        var asked = device is null ? null : Devices.Resolve(device, "--device");   // first: a missing GPU is the first thing to say
        var dir = System.IO.Path.GetFullPath(resultsDirectory);
        var jsonPath = System.IO.Path.Combine(dir, "results.json");
        if (!File.Exists(jsonPath)) throw new ZooConfigException(resultsDirectory, "no results.json here; give a folder that `zoo run-suite` wrote (results/<suite>)");
        var doc = JsonNode.Parse(File.ReadAllText(jsonPath))!.AsObject();
        var suiteFile = doc["suite_file"]?.GetValue<string>()
            ?? throw new ZooConfigException($"{jsonPath}: suite_file", "missing: the results do not name their suite file");
        if (!File.Exists(suiteFile)) throw new ZooConfigException($"{jsonPath}: suite_file", $"{suiteFile} no longer exists; the analysis needs its data set and models");
        var suite = SuiteParser.Load(suiteFile);
        _runner.Validate(suite);
        var options = suite.Analysis ?? new AnalysisOptions();
        if (maxImages is { } m) options = options with { MaxImages = m };
        if (perplexity is { } p) options = options with { Perplexity = p };
        if (options.Perplexity * 3 >= options.MaxImages)
            throw new ZooConfigException("--perplexity", $"{options.Perplexity} needs more than {options.Perplexity * 3} images; raise --max-images or lower it");
        var report = progress ?? new SyncProgress<SuiteEvent>(_ => { });
        var (splits, data) = _runner.OpenDataset(suite, dir, report);
        // The suite's own device where it is here (a GPU suite analysed on a CPU machine falls back); a --device given must exist.
        var on = asked
            ?? (suite.Device.StartsWith("cuda", StringComparison.Ordinal) && Devices.CudaAvailable() ? Devices.Resolve(suite.Device, $"{suiteFile}: device") : torch.CPU);
        var lines = new List<RunAnalysis>();
        var runs = doc["runs"] as JsonArray ?? new JsonArray();
        for (int i = 0; i < runs.Count; i++)
        {
            var node = runs[i]!.AsObject();
            var label = node["label"]!.GetValue<string>();
            var entry = suite.Models.FirstOrDefault(e => e.Label == label);
            string? why = entry is null ? "no longer in the suite file"
                : node["status"]?.GetValue<string>() != "finished" ? $"not finished ({node["status"]})"
                : splits.Test is null ? "the data set has no test split"
                : !File.Exists(RunFiles.For(dir, label).Best) ? "no best weights (runs without a validation split keep none)"
                : null;
            if (why is not null) { lines.Add(new RunAnalysis(label, null, why)); continue; }
            report.Report(new DatasetMessage($"analysing {label}: features of up to {options.MaxImages} test images, t-SNE, K-means, DBSCAN"));
            var analysis = AnalyzeRun(suite, entry!, splits, data, dir, on, options);
            node["analysis"] = JsonSerializer.SerializeToNode(analysis, ZooJson.Options);
            var store = new RunStore(dir, label, RunIdentity.For(entry!, _runner.Catalog.FindVariant(entry!.Variant)!, data.Identity));
            if (store.Finished(_ => { }, _ => { }) is { } result) store.Store(result with { Analysis = analysis });
            ResultWriter.WriteAtomic(jsonPath, doc.ToJsonString(ZooJson.Options));   // after each run, so a stop keeps the finished ones
            report.Report(new AnalysisEnded(new RunRef(i + 1, runs.Count, label), analysis));
            lines.Add(new RunAnalysis(label, analysis, null));
        }
        return lines;
    }

    /// <summary>The analysis of one run's best weights on the test split.</summary>
    internal AnalysisResult AnalyzeRun(Suite suite, ModelEntry entry, DatasetSplits splits, DatasetSummary data, string resultsDirectory, Device device, AnalysisOptions options)
    {
        var found = _runner.Catalog.FindVariant(entry.Variant)!;
        var recipe = suite.RecipeFor(entry);
        using var model = found.Architecture.Build(ModelRun.Spec(found, data, entry, recipe));
        WeightLoader.Load(model, RunFiles.For(resultsDirectory, entry.Label).Best);
        model.to(device);
        return Analyze(model, device, splits.Test!, data, options, recipe.BatchSize * 2);
    }

    /// <summary>Features of the model on the test set (capped, seeded), then t-SNE and the clusterings.</summary>
    internal static AnalysisResult Analyze(nn.Module<Tensor, Tensor> model, Device device, IImageSet test, DatasetSummary data, AnalysisOptions options, int batchSize)
    {
        var features = FeatureExtractor.Collect(model, device, test, data.Mean.ToArray(), data.Std.ToArray(), options.MaxImages, options.Seed, batchSize);
        return FeatureAnalysis.Run(features, data.Classes.Count, options);
    }
}
