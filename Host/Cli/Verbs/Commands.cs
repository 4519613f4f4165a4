using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Weights;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using Zoo.Reports.Export;
using Zoo.Reports.Model;

namespace Zoo.Cli;

/// <summary>The verbs of the zoo command.</summary>
public static class Commands
{
    /// <summary>zoo list: every variant with family, plugin and reference parameter count; problems on stderr.</summary>
    public static int List(IServiceProvider services, bool json, bool parameters = false)
    {
        var view = CatalogueView.Of(services.GetRequiredService<PluginCatalog>());
        if (parameters) Console.Write(view.ParametersMarkdown());
        else if (json)
        {
            var facts = new FactsCache();
            var doc = view.ToJson(facts.ReferenceMacs);
            facts.Save();
            Console.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else Console.Write(view.ToText());
        foreach (var problem in view.Problems()) Console.Error.WriteLine(problem);
        return 0;
    }

    /// <summary>zoo plugins: every plugin found, with its state (loaded, conflicting, failed, disabled, superseded) and reason.</summary>
    public static int Plugins(IServiceProvider services, bool json)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var statuses = catalog.Statuses;
        if (json) Console.WriteLine(new JsonObject { ["settings"] = catalog.Settings?.Path, ["plugins"] = PluginStatusView.ToJson(statuses) }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else Console.Write(PluginStatusView.ToText(statuses, catalog.Settings?.Path));
        return 0;
    }

    /// <summary>
    /// zoo plugins disable|enable NAME: records the choice in the user's plugin settings. The name must be one the
    /// catalogue finds now (so a typo is caught); the built-in contributions cannot be disabled.
    /// </summary>
    public static int SetPluginEnabled(IServiceProvider services, string name, bool enable)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var settings = catalog.Settings ?? throw new InvalidOperationException("the catalogue has no settings");
        var known = catalog.Statuses.Where(s => s.Path != "(built-in)").ToList();
        var match = known.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));
        if (match is null && !(enable && settings.Disabled().Contains(name)))
            throw new ZooConfigException("NAME", $"no plugin named '{name}' in {string.Join(", ", catalog.Directories)}; the names are: {string.Join(", ", known.Select(s => s.Name).Distinct())} (`zoo plugins` lists them)");
        var canonical = match?.Name ?? name;
        var changed = settings.SetDisabled(canonical, disabled: !enable);
        Console.WriteLine(changed
            ? $"{canonical} {(enable ? "enabled" : "disabled")} (in {settings.Path}); it is {(enable ? "loaded" : "not loaded")} from the next zoo command on"
            : $"{canonical} was already {(enable ? "enabled" : "disabled")} ({settings.Path})");
        return 0;
    }

    /// <summary>zoo run-suite: validates, runs, prints the comparison; 0 only if every run finished (a run that did not learn did).</summary>
    public static int RunSuite(IServiceProvider services, string file, string? output, string? device, bool resume = false, bool restart = false, string? shardText = null,
        IRunExecutor? executor = null)
    {
        var shard = shardText is null ? null : ShardSpec.Parse(shardText, "--shard");
        if (shard is not null && restart)
            throw new ZooConfigException("--restart", "with --shard it would discard the other shards' runs too; delete the results folder once before starting the shards");
        var suite = SuiteParser.Load(file);
        // The option's own mistake is the option's, not the suite file's "device" field's.
        if (device is not null) suite = suite with { Device = device };
        var runner = services.GetRequiredService<SuiteRunner>();
        if (executor is not null) runner = new SuiteRunner(services.GetRequiredService<PluginCatalog>()) { Executor = executor };
        var outDir = output ?? Path.Combine("results", suite.Name);
        if (resume && restart) throw new ZooConfigException("--resume/--restart", "give one of them, not both");
        // First, so that a wrong suite leaves no results folder behind; the device as well (cuda on a CPU build).
        Devices.Resolve(suite.Device, device is not null ? "--device" : $"{Path.GetFileName(suite.SourcePath)}: device");
        runner.Validate(suite);
        // What only opening the data set finds (no images, one class) is found after the folder is made: a folder this
        // command made for a suite that then never trained is removed again, so a refused suite leaves nothing behind.
        bool existed = Directory.Exists(outDir);
        PathChecks.OutputFolder(output is null ? "results folder" : "--out", outDir);
        try { return RunSuiteIn(services, runner, suite, file, outDir, resume, restart, shard); }
        catch (ZooConfigException) when (!existed)
        {
            RemoveIfNothingRan(outDir);
            throw;
        }
    }

    static int RunSuiteIn(IServiceProvider services, SuiteRunner runner, Suite suite, string file, string outDir, bool resume, bool restart, ShardSpec? shard)
    {
        // Before --restart deletes anything: a folder another zoo process writes into is refused, naming that process.
        // The shards of one suite share the folder by design, each under its own key.
        using var held = ResultsFolderLock.Acquire(outDir, shard?.Key, command: $"zoo run-suite {file}");
        var runsDir = Path.Combine(outDir, "runs");
        bool earlier = Directory.Exists(runsDir) && Directory.EnumerateFiles(runsDir).Any(f => f.EndsWith(".result.json", StringComparison.Ordinal) || f.EndsWith(".checkpoint.safetensors", StringComparison.Ordinal));
        if (resume && !earlier)
            throw new ZooConfigException("--resume", $"{Path.GetFullPath(outDir)} holds no finished run or checkpoint to resume; run without --resume to start the suite");
        if (restart && Directory.Exists(runsDir))
        {
            Directory.Delete(runsDir, recursive: true);
            foreach (var f in new[] { "results.json", "comparison.md" }) File.Delete(Path.Combine(outDir, f));
            Console.Error.WriteLine($"--restart: discarded the earlier runs in {Path.GetFullPath(outDir)}");
        }
        else if (earlier)
            Console.Error.WriteLine($"{Path.GetFullPath(outDir)} has earlier runs: finished ones with the same model, data and recipe are kept, an interrupted one resumes (--restart trains everything again)");
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); Console.Error.WriteLine("stopping after the current step…"); };
        var catalog = services.GetRequiredService<PluginCatalog>();
        foreach (var f in catalog.Failures) Console.Error.WriteLine($"plugin failed: {f.Path}: {f.Reason}");
        var result = runner.Run(suite, outDir, cts.Token, new ConsoleProgress(Console.Error), shard);
        Console.WriteLine(ResultWriter.Markdown(result));
        if (shard is not null)
            Console.Error.WriteLine($"shard {shard}: {result.Runs.Count} of {suite.Models.Count} runs, summary {shard.SummaryFile(Path.GetFullPath(outDir))}; "
                + $"when every shard has ended, `zoo report {outDir}` merges them into results.json, comparison.md and report.html");
        else WriteReport(result);
        if (result.Interrupted)
        {
            Console.Error.WriteLine($"interrupted; results so far are in {Path.GetFullPath(outDir)} (results.json, comparison.md); run the same command again to resume");
            return 130;
        }
        Console.Error.WriteLine($"results: {Path.GetFullPath(outDir)} (results.json, comparison.md, runs/*.csv)");
        // A run that did not learn finished and its numbers are measured: it is flagged, not an error (docs/learning-check.md).
        var notLearned = result.Runs.Where(r => r.DidNotLearn is not null).Select(r => r.Label).ToList();
        if (notLearned.Count > 0)
            Console.Error.WriteLine($"DID NOT LEARN: {string.Join(", ", notLearned)} (at chance; marked in comparison.md and results.json as did_not_learn, with the likely cause and fix)");
        return result.AllFinished ? 0 : 1;
    }

    /// <summary>Deletes a results folder in which no run has written anything (its runs/ empty, no results.json) and no other process holds a lock.</summary>
    static void RemoveIfNothingRan(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        var runs = Path.Combine(outDir, "runs");
        if (File.Exists(Path.Combine(outDir, "results.json")) || (Directory.Exists(runs) && Directory.EnumerateFileSystemEntries(runs).Any())
            || Directory.EnumerateFiles(outDir).Any()) return;
        try { Directory.Delete(outDir, recursive: true); }
        catch (IOException) { }   // only tidying up: the refusal itself is what the user must see
    }

    /// <summary>
    /// report.html and figures/ for a suite just run, read back from its results.json so that the report
    /// is the one `zoo report` would write. A report that cannot be written is a warning on stderr: it
    /// never changes the suite's exit code.
    /// </summary>
    static void WriteReport(SuiteResult result)
    {
        try
        {
            var output = ReportWriter.Write(ReportModel.Load(new[] { result.OutputDirectory }), result.OutputDirectory);
            foreach (var w in output.Warnings) Console.Error.WriteLine($"warning: {w}");
            Console.Error.WriteLine($"report: {output.Html} ({output.Figures.Count} figures in {output.FiguresDirectory})");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"warning: report not written: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>zoo report DIR...: report.html and figures/ from results folders, merged into one comparison when several are given.</summary>
    public static int Report(string[] directories, string? output, bool svg = false)
    {
        // A folder that shards of one suite wrote into: their summaries become the results.json one process would write.
        foreach (var dir in directories)
        {
            if (ShardMerge.Merge(dir) is not { } merged) continue;
            var shards = ShardMerge.Summaries(dir);
            Console.Error.WriteLine($"{Path.GetFullPath(dir)}: merged {shards.Count} of {shards[0].Count} shards into results.json");
            if (merged.Missing.Count > 0)
                Console.Error.WriteLine($"warning: shard(s) {string.Join(", ", merged.Missing.Select(m => $"{m}/{shards[0].Count}"))} have written nothing yet; their runs are missing from the comparison");
            ResultWriter.WriteAtomic(Path.Combine(dir, "comparison.md"), ResultWriter.Markdown(ReportModel.Load(new[] { dir }).Comparison));
        }
        var model = ReportModel.Load(directories);
        var outDir = output ?? (directories.Length == 1 ? directories[0] : Path.Combine("results", "report"));
        var written = ReportWriter.Write(model, outDir, svg);
        foreach (var w in written.Warnings) Console.Error.WriteLine($"warning: {w}");
        Console.WriteLine(ResultWriter.Markdown(model.Comparison));
        Console.Error.WriteLine($"report: {written.Html} ({written.Figures.Count} figures in {written.FiguresDirectory})");
        return 0;
    }

    /// <summary>zoo watch: prints the catalogue and reprints it on every change.</summary>
    public static int Watch(IServiceProvider services, double? seconds)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var gate = new object();
        void Print(string? change)
        {
            lock (gate)
            {
                if (change is not null) Console.WriteLine($"[{DateTime.Now:HH:mm:ss}] {change}");
                var view = CatalogueView.Of(catalog);
                Console.Write(view.ToText());
                foreach (var problem in view.Problems()) Console.WriteLine(problem);
                Console.WriteLine($"watching {string.Join(", ", view.Directories)} (Ctrl+C to stop)");
                Console.Out.Flush();
            }
        }
        Print(null);
        using var done = new ManualResetEventSlim();
        catalog.Changed += change => Print(change);
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; done.Set(); };
        catalog.StartWatching(TimeSpan.FromMilliseconds(500));
        if (seconds is { } s) done.Wait(TimeSpan.FromSeconds(s));
        else done.Wait();
        return 0;
    }

    /// <summary>zoo describe: the torchsummary-style table and GMACs of a variant at an input size.</summary>
    public static int Describe(IServiceProvider services, string variant, int? size, int? channels, int? classes, bool json, string? device = null)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var entry = catalog.FindVariant(variant) ?? throw new ZooConfigException("variant", $"'{variant}' is not in the zoo; see `zoo list`");
        foreach (var (option, value) in new[] { ("--size", size), ("--channels", channels), ("--classes", classes) })
            if (value is < 1) throw new ZooConfigException(option, $"{value} is out of range; give 1 or more");
        var d = entry.Variant.DefaultInput;
        var input = new InputShape(channels ?? d.Channels, size ?? d.Height, size ?? d.Width);
        var on = Zoo.Engine.Training.Devices.Resolve(device, "--device");
        var summary = ModelSummary.Describe(entry.Architecture, entry.Variant.Name, input, classes ?? entry.Variant.DefaultClasses, on);
        if (json)
        {
            var doc = new JsonObject
            {
                ["variant"] = summary.Variant, ["input"] = summary.Input.ToString(), ["classes"] = summary.Classes,
                ["parameters"] = summary.TotalParameters, ["trainable_parameters"] = summary.TrainableParameters,
                ["gmacs"] = summary.GMacs, ["params_mb"] = summary.ParametersMb, ["activations_mb"] = summary.ActivationsMb,
                ["layers"] = new JsonArray(summary.Layers.Select(l => (JsonNode?)new JsonObject
                {
                    ["path"] = l.Path, ["type"] = l.Type, ["output_shape"] = new JsonArray(l.OutputShape.Select(x => (JsonNode?)x).ToArray()),
                    ["parameters"] = l.Parameters, ["macs"] = l.Macs,
                }).ToArray()),
            };
            Console.WriteLine(doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        else
        {
            Console.WriteLine($"{entry.Variant.Name}: {entry.Architecture.Name} ({entry.Architecture.Paper}, {entry.Architecture.Year}); plugin {entry.Plugin.Name}");
            Console.Write(summary.ToText());
        }
        return 0;
    }

    /// <summary>zoo predict: top-5 classes per image; 1 if an image could not be read, 2 for a wrong request.</summary>
    public static int Predict(IServiceProvider services, string? variant, string weights, string? labelsFile, int? channels, int? classes, int? size,
        string[] options, string[] images, WeightSelection? selection = null, string? device = null, Zoo.Engine.Training.Precision precision = Zoo.Engine.Training.Precision.Fp32)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        string[]? labels = null;
        if (labelsFile is not null)
        {
            if (!File.Exists(labelsFile)) throw new ZooConfigException($"--labels {labelsFile}", "no such file; give a text file with one class name per line");
            labels = File.ReadAllLines(labelsFile).Where(l => l.Length > 0).ToArray();
        }
        var parsed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var o in options)
        {
            var eq = o.IndexOf('=');
            if (eq <= 0) throw new ZooConfigException($"--option {o}", "expected key=value, e.g. --option activation=relu");
            parsed[o[..eq]] = o[(eq + 1)..];
        }
        int? resize = null;
        if (!File.Exists(weights) && PretrainedCatalog.IsCatalogueName(weights))
        {
            // Catalogue weights: pulled on first use, with their own preprocessing and ImageNet's class names.
            var entry = new PretrainedCatalog(catalog).Resolve(variant ?? throw new ZooConfigException("--arch", $"required with --weights {weights}: the variant whose published weights to use, e.g. --arch resnet50"), weights, "--weights");
            if (!File.Exists(entry.CachePath)) Console.Error.WriteLine($"downloading the {entry.Id} weights from {entry.Weights.Url} into {entry.CachePath}");
            weights = PretrainedCatalog.Pull(entry);
            size ??= entry.Weights.CropSize;
            resize = entry.Weights.ResizeSize;
            labels ??= PretrainedCatalog.Classes(entry.Weights)?.ToArray();
        }
        using var predictor = Predictor.Open(catalog, new PredictRequest(weights)
        {
            Variant = variant, Channels = channels, Classes = classes, Size = size, Options = parsed, Labels = labels, Device = device,
            Selection = selection ?? WeightSelection.None, ResizeSize = resize, Precision = precision,
        });
        Console.Error.WriteLine(predictor.Describe());
        foreach (var note in predictor.Notes) Console.Error.WriteLine($"note: {note}");
        int failures = 0;
        foreach (var path in images)
        {
            try
            {
                var prediction = predictor.Predict(path);
                Console.WriteLine(path);
                foreach (var c in prediction.Top)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c.Probability * 100,6:F2} %  {c.Index,5}  {c.Label ?? ""}"));
            }
            catch (ZooConfigException e)
            {
                failures++;
                Console.Error.WriteLine($"error: {e.Message}");
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// zoo explain: per image, the top-5 classes and IMAGE-gradcam.png in <paramref name="output"/> (the Grad-CAM map over
    /// the image as the model saw it); 1 if an image could not be read, 2 for a wrong request.
    /// </summary>
    public static int Explain(IServiceProvider services, string? variant, string weights, string? labelsFile, int? size, string? className,
        string? layer, string output, string[] images, string? device = null)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        string[]? labels = null;
        if (labelsFile is not null)
        {
            if (!File.Exists(labelsFile)) throw new ZooConfigException($"--labels {labelsFile}", "no such file; give a text file with one class name per line");
            labels = File.ReadAllLines(labelsFile).Where(l => l.Length > 0).ToArray();
        }
        using var predictor = Predictor.Open(catalog, new PredictRequest(weights) { Variant = variant, Size = size, Labels = labels, Device = device });
        Console.Error.WriteLine(predictor.Describe());
        foreach (var note in predictor.Notes) Console.Error.WriteLine($"note: {note}");
        int? cls = null;
        if (className is not null)
        {
            int named = predictor.Labels?.ToList().IndexOf(className) ?? -1;
            cls = named >= 0 ? named
                : int.TryParse(className, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? index
                : throw new ZooConfigException("--class", $"'{className}' is neither a class name of the model{(predictor.Labels is { } l ? $" ({string.Join(", ", l.Take(10))}{(l.Count > 10 ? ", …" : "")})" : "")} nor a class index");
        }
        Directory.CreateDirectory(output);
        int failures = 0;
        var written = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in images)
        {
            try
            {
                var (prediction, map, found, image) = predictor.Explain(path, cls, layer);
                var name = Path.GetFileNameWithoutExtension(path) + "-gradcam";
                for (int n = 2; !written.Add(name); n++) name = $"{Path.GetFileNameWithoutExtension(path)}-gradcam-{n}";
                var png = Path.Combine(output, name + ".png");
                Zoo.Reports.Figures.ImageGrid.SaveOverlay(image.Channels, image.Height, image.Width, image.Pixels, map.Heatmap, png);
                Console.WriteLine(path);
                foreach (var c in prediction.Top)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {c.Probability * 100,6:F2} %  {c.Index,5}  {c.Label ?? ""}"));
                var what = predictor.Labels is { } names && map.Class < names.Count ? names[map.Class] : map.Class.ToString(CultureInfo.InvariantCulture);
                Console.WriteLine($"  Grad-CAM of {what} at {found}: {png}");
            }
            catch (ZooConfigException e)
            {
                failures++;
                Console.Error.WriteLine($"error: {e.Message}");
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
