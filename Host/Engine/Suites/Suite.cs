using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Abstractions;
using Zoo.Engine.Analysis;
using Zoo.Engine.Training;

namespace Zoo.Engine.Suites;

/// <summary>The data set a suite trains on.</summary>
public sealed record DatasetSpec(string Name, string? Path, int? Channels, int? Size, int Seed, double ValidationFraction, ParameterBag Options)
{
    /// <summary>dataset (mean/std computed on train, the default), imagenet, or none.</summary>
    public string Normalize { get; init; } = "dataset";
}

/// <summary>One model of a suite: a variant, with a label unique in the suite and optional overrides.</summary>
public sealed record ModelEntry(string Label, string Variant, string Where, double? Dropout, double? StochasticDepth, double? LayerScale, ParameterBag Options)
{
    /// <summary>This model's recipe where the entry overrides parts of the suite's (null: the suite's).</summary>
    public Recipe? Recipe { get; init; }

    /// <summary>A .safetensors file or PyTorch checkpoint (.pth) to start from (fine-tuning), or null to start from scratch.</summary>
    public string? Weights { get; init; }

    /// <summary>
    /// Where the recipe asks for repeats ("repeats": N), the label of the entry this run repeats (every repeat's, the
    /// first's included); null for an entry trained once. The comparison groups repeats by it.
    /// </summary>
    public string? RepeatOf { get; init; }

    /// <summary>Which repeat this is, 1 to N: it trains at the recipe's seed + <see cref="Repeat"/> − 1 (<see cref="Suite.RecipeFor"/>).</summary>
    public int Repeat { get; init; } = 1;

    /// <summary>
    /// Catalogue weights the entry asked for ("weights": "imagenet" or "torchvision:IMAGENET1K_V2"): the runner
    /// pulls them into the cache and sets <see cref="Weights"/> to the file before anything trains.
    /// </summary>
    public string? Pretrained { get; init; }

    /// <summary>Which state dict of <see cref="Weights"/> ("weights_entry": "model_ema") and what key prefix to strip ("strip_prefix": "module.").</summary>
    public Zoo.Engine.Weights.WeightSelection WeightSelection { get; init; } = Zoo.Engine.Weights.WeightSelection.None;

    /// <summary>Keep a freshly initialised head where the weights' class count differs.</summary>
    public bool ReinitialiseHead { get; init; }

    /// <summary>
    /// A hash of everything that decides this run's numbers (data set, model entry, effective recipe, device):
    /// a results folder's finished run or checkpoint is reused only when it matches.
    /// </summary>
    public string Fingerprint { get; init; } = "";
}

/// <summary>A comparison suite: models × data set × recipe.</summary>
public sealed record Suite(string Name, string SourcePath, DatasetSpec Dataset, IReadOnlyList<ModelEntry> Models, Recipe Recipe, string Device)
{
    /// <summary>The feature analysis after each run's test ("analysis" in the file), or null when it is off.</summary>
    public AnalysisOptions? Analysis { get; init; }

    /// <summary>
    /// Whether each run, after its test, computes Grad-CAM of the suite's explained test images and its first filters and
    /// feature maps ("explain" in the file, default true): the report's where-models-look figure and each run's filter and
    /// feature-map figures. Not part of a run's fingerprint: it changes no number of the run.
    /// </summary>
    public bool Explain { get; init; } = true;

    /// <summary>
    /// The recipe a model entry trains with: its own (the suite's with the entry's overrides) or the suite's, at the
    /// seed of its repeat (weights, data order, augmentation and dropout change; the data split does not).
    /// </summary>
    public Recipe RecipeFor(ModelEntry entry)
    {
        var recipe = entry.Recipe ?? Recipe;
        return entry.Repeat > 1 ? recipe with { Seed = recipe.Seed + entry.Repeat - 1 } : recipe;
    }
}

/// <summary>
/// Reads suite files strictly: an unknown field, a wrong type or a value out of range is an error that
/// names the file, the field and what is allowed. Names of models, data sets, schedules and
/// augmentations are checked against the catalogue by the runner before anything trains.
/// </summary>
public static partial class SuiteParser
{
    static readonly string[] TopFields = { "name", "dataset", "models", "recipe", "device", "analysis", "explain" };
    static readonly string[] DatasetFields = { "name", "path", "channels", "size", "seed", "val_fraction", "normalize" };
    static readonly string[] ModelFields = { "variant", "label", "dropout", "stochastic_depth", "layer_scale", "options", "recipe", "weights", "weights_entry", "strip_prefix", "reinit_head" };
    static readonly string[] RecipeFields = { "epochs", "batch_size", "seed", "optimizer", "schedule", "label_smoothing", "dropout", "stochastic_depth", "augment", "batch_augment",
        "ema", "clip_grad_norm", "clip_grad_value", "accumulate_steps", "early_stopping", "target", "precise_bn", "freeze_backbone_epochs", "head_lr", "repeats",
        "lr_find", "precision" };
    /// <summary>Metrics an epoch records, which early stopping, targets and plateau can watch.</summary>
    public static readonly string[] Metrics = { "val_top1", "val_top5", "val_loss", "train_top1", "train_loss" };

    /// <summary>Reads and validates a suite file.</summary>
    public static Suite Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ZooConfigException(path, "no such file; give the path of a suite JSON file (see suites/quick-start.json)");
        return Parse(File.ReadAllText(full), full);
    }

    /// <summary>Parses suite JSON; <paramref name="source"/> is the file name used in messages.</summary>
    public static Suite Parse(string json, string source)
    {
        var file = System.IO.Path.GetFileName(source);
        using var doc = ReadJson(json, file);
        var root = doc.RootElement;
        var at = new Cursor(file, "");
        at.Expect(root, JsonValueKind.Object);
        at.OnlyFields(root, TopFields);

        string name = at.Str(root, "name") ?? System.IO.Path.GetFileNameWithoutExtension(source);
        if (name.Length == 0 || name.IndexOfAny(System.IO.Path.GetInvalidFileNameChars()) >= 0)
            throw new ZooConfigException(at.Field("name"), $"'{name}' cannot name a results folder; use letters, digits, '-' and '_'");
        string device = at.Str(root, "device") ?? "cpu";

        var dsEl = at.Required(root, "dataset", JsonValueKind.Object);
        var dataset = ParseDataset(dsEl, at.In("dataset"), source);
        var recipeEl = at.Required(root, "recipe", JsonValueKind.Object);
        var recipe = ParseRecipe(recipeEl, at.In("recipe"));
        var modelsEl = at.Required(root, "models", JsonValueKind.Array);
        var models = ParseModels(modelsEl, at, source, new RunInputs(dsEl.GetRawText(), recipeEl, JsonSerializer.Serialize(device)), recipe);
        bool explain = at.Flag(root, SuiteFields.Explain);
        // The suite's "lr_find" serves every entry whose rate is "find", its own or an entry's; where none is, it would do nothing.
        if (recipeEl.TryGetProperty("lr_find", out _) && recipe.Optimizer.Find is null && models.All(m => m.Recipe?.Optimizer.Find is null))
            throw UnusedSearch(at.In("recipe"), recipe);
        return new Suite(name, source, dataset, models, recipe, device) { Analysis = ParseAnalysis(root, at), Explain = explain };
    }

    static JsonDocument ReadJson(string json, string file)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw InvalidJson(json, file, e);
        }
    }

    /// <summary>
    /// A JSON syntax error as one place, 1-based, with the line's text and a caret under the column:
    /// System.Text.Json's message carries its own 0-based "LineNumber: 3 | BytePositionInLine: 2", which beside a
    /// 1-based "line 4, byte 3" gave two positions for one mistake (issue 26). The column counts characters, not bytes.
    /// </summary>
    public static ZooConfigException InvalidJson(string json, string file, JsonException e)
    {
        var what = System.Text.RegularExpressions.Regex.Replace(e.Message.Split(" Path:")[0], @"\s*LineNumber: \d+ \| BytePositionInLine: \d+\.?", "").TrimEnd();
        if (e.LineNumber is not { } line || e.BytePositionInLine is not { } bytes) return new ZooConfigException(file, $"not valid JSON: {what}");
        var lines = json.Split('\n');
        var text = line < lines.Length ? lines[line].TrimEnd('\r') : "";
        var utf8 = Encoding.UTF8.GetBytes(text);
        int column = Encoding.UTF8.GetCharCount(utf8, 0, (int)Math.Min(bytes, utf8.Length));
        var caret = new string(' ', column) + "^";
        return new ZooConfigException(file, $"not valid JSON at line {line + 1}, column {column + 1}: {what}\n    {text.Replace('\t', ' ')}\n    {caret}");
    }

    static DatasetSpec ParseDataset(JsonElement el, Cursor at, string source) =>
        new(
            at.Str(el, "name") ?? throw new ZooConfigException(at.Field("name"), "required; e.g. \"shapes\" (built in, no download)"),
            at.Str(el, "path") is { } dataPath ? ResolvePath(dataPath, source) : null,
            at.IntOrNull(el, SuiteFields.Channels),
            at.IntOrNull(el, SuiteFields.Size),
            at.Int(el, SuiteFields.DataSeed),
            at.Num(el, SuiteFields.ValFraction),
            at.Rest(el, DatasetFields))
        {
            Normalize = at.Choice(el, SuiteFields.Normalize),
        };

    /// <summary>The parts of a suite besides its model entry that decide a run's numbers (its fingerprint).</summary>
    sealed record RunInputs(string Dataset, JsonElement Recipe, string Device);

    static List<ModelEntry> ParseModels(JsonElement modelsEl, Cursor at, string source, RunInputs inputs, Recipe suiteRecipe)
    {
        var models = new List<ModelEntry>();
        int i = 0;
        foreach (var m in modelsEl.EnumerateArray())
            models.AddRange(Repeats(ParseModel(m, at.In($"models[{i++}]"), source, inputs), suiteRecipe));
        if (models.Count == 0) throw new ZooConfigException(at.Field("models"), "empty; list at least one variant (see `zoo list`)");
        var dup = models.GroupBy(m => m.Label, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
            throw new ZooConfigException(at.Field("models"), $"'{dup.Key}' appears {dup.Count()} times; give repeated variants distinct \"label\"s");
        return models;
    }

    /// <summary>
    /// An entry whose recipe asks for N repeats as N entries, each a run of its own (own files, resumed, skipped when
    /// finished, spread over shards): the first keeps the label and the fingerprint it has without repeats, so adding
    /// repeats to a finished comparison trains only the new ones; the others are "label-r2" … "label-rN".
    /// </summary>
    static IEnumerable<ModelEntry> Repeats(ModelEntry entry, Recipe suiteRecipe)
    {
        int n = (entry.Recipe ?? suiteRecipe).Repeats;
        if (n == 1) { yield return entry; yield break; }
        for (int k = 1; k <= n; k++)
            yield return entry with
            {
                Label = k == 1 ? entry.Label : $"{entry.Label}-r{k}", RepeatOf = entry.Label, Repeat = k,
                Fingerprint = k == 1 ? entry.Fingerprint : Fingerprint($"\"{entry.Fingerprint}\"", k.ToString(CultureInfo.InvariantCulture)),
            };
    }

    /// <summary>A recipe's JSON without "repeats", which decides how many runs there are, not any run's numbers.</summary>
    static string WithoutRepeats(string recipeJson)
    {
        if (JsonNode.Parse(recipeJson) is not JsonObject o || !o.ContainsKey("repeats")) return recipeJson;
        o.Remove("repeats");
        return o.ToJsonString();
    }

    static ModelEntry ParseModel(JsonElement m, Cursor at, string source, RunInputs inputs)
    {
        if (m.ValueKind == JsonValueKind.String)
        {
            var v = m.GetString()!;
            return new ModelEntry(v, v, at.Path, null, null, null, new ParameterBag(new Dictionary<string, string>(), at.Field("options")))
            {
                Fingerprint = Fingerprint(inputs.Dataset, m.GetRawText(), WithoutRepeats(inputs.Recipe.GetRawText()), inputs.Device),
            };
        }
        at.Expect(m, JsonValueKind.Object, "a variant name or an object with \"variant\"");
        at.OnlyFields(m, ModelFields);
        var variant = at.Str(m, "variant") ?? throw new ZooConfigException(at.Field("variant"), "required: the variant to train (see `zoo list`)");
        var options = m.TryGetProperty("options", out var o)
            ? at.In("options").Bag(o)
            : new ParameterBag(new Dictionary<string, string>(), at.Field("options"));
        Recipe? own = null;
        string effectiveRecipe = inputs.Recipe.GetRawText();
        if (m.TryGetProperty("recipe", out var overrides))
        {
            // The entry's "recipe" overrides the suite's field by field (optimizer and schedule key by key).
            at.In("recipe").Expect(overrides, JsonValueKind.Object);
            var merged = Merge(JsonNode.Parse(inputs.Recipe.GetRawText())!.AsObject(), JsonNode.Parse(overrides.GetRawText())!.AsObject());
            using var mergedDoc = JsonDocument.Parse(merged.ToJsonString());
            own = ParseRecipe(mergedDoc.RootElement, at.In("recipe"));
            if (overrides.TryGetProperty("lr_find", out _) && own.Optimizer.Find is null) throw UnusedSearch(at.In("recipe"), own);
            effectiveRecipe = merged.ToJsonString();
        }
        return new ModelEntry(at.Str(m, "label") ?? variant, variant, at.Path,
            at.Num(m, "dropout", 0, 0.99), at.Num(m, "stochastic_depth", 0, 0.99), at.Num(m, "layer_scale", 0, 10), options)
        {
            Recipe = own,
            Weights = at.Str(m, "weights") is { } w && !Zoo.Engine.Weights.PretrainedCatalog.IsCatalogueName(w) ? System.IO.Path.GetFullPath(w, System.IO.Path.GetDirectoryName(source) ?? ".") : null,
            Pretrained = at.Str(m, "weights") is { } p && Zoo.Engine.Weights.PretrainedCatalog.IsCatalogueName(p) ? p : null,
            WeightSelection = new Zoo.Engine.Weights.WeightSelection(at.Str(m, "weights_entry"), at.Str(m, "strip_prefix")),
            ReinitialiseHead = m.TryGetProperty("reinit_head", out var rh) && rh.ValueKind == JsonValueKind.True,
            Fingerprint = Fingerprint(inputs.Dataset, m.GetRawText(), WithoutRepeats(effectiveRecipe), inputs.Device),
        };
    }

    static JsonObject Merge(JsonObject baseRecipe, JsonObject overrides)
    {
        foreach (var (key, value) in overrides.ToList())
        {
            if (value is JsonObject o && baseRecipe[key] is JsonObject b && key is "optimizer" or "schedule")
            {
                // A different optimiser or schedule name starts from that one's defaults.
                bool sameName = o["name"] is null || o["name"]!.ToJsonString() == b["name"]?.ToJsonString();
                baseRecipe[key] = sameName ? Merge(b, o) : o.DeepClone();
            }
            else baseRecipe[key] = value?.DeepClone();
        }
        return baseRecipe;
    }

    /// <summary>A path from a suite file: "~/" is the home folder; a relative path is relative to the suite file's folder.</summary>
    static string ResolvePath(string path, string source)
    {
        if (path.StartsWith("~/", StringComparison.Ordinal))
            path = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]);
        return System.IO.Path.GetFullPath(path, System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(source)) ?? ".");
    }

    static string Fingerprint(params string[] parts)
    {
        // Canonical JSON (no whitespace) so re-indenting a suite file does not invalidate its results.
        var canonical = string.Join("\u0001", parts.Select(p => JsonNode.Parse(p)?.ToJsonString() ?? "null"));
        return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(canonical)))[..16].ToLowerInvariant();
    }

    static Recipe ParseRecipe(JsonElement el, Cursor at)
    {
        at.OnlyFields(el, RecipeFields);
        var optimizer = new OptimizerSpec(SuiteFields.Optimizer.Default, SuiteFields.LearningRate.Default, ParameterBag.Empty);
        if (el.TryGetProperty("optimizer", out var oEl))
        {
            var oAt = at.In("optimizer");
            oAt.Expect(oEl, JsonValueKind.Object);
            // The name and the optimiser's own fields are checked against the catalogue (plugins may add optimisers): SuiteValidator.
            var oName = (oAt.Str(oEl, "name") ?? SuiteFields.Optimizer.Default).ToLowerInvariant();
            var bag = oAt.Rest(oEl, new[] { "name", "lr" });
            bool find = oAt.FindsLearningRate(oEl, "lr");
            optimizer = new OptimizerSpec(oName, find ? SuiteFields.LearningRate.Default : oAt.LearningRate(oEl, "lr") ?? SuiteFields.LearningRate.Default, bag) { Find = find ? ParseSearch(el, at) : null };
        }
        var schedule = new ScheduleSpec(SuiteFields.Schedule.Default, new ParameterBag(new Dictionary<string, string>(), at.Field("schedule")));
        if (el.TryGetProperty("schedule", out var sEl))
        {
            var sAt = at.In("schedule");
            sAt.Expect(sEl, JsonValueKind.Object);
            schedule = new ScheduleSpec(
                (sAt.Str(sEl, "name") ?? SuiteFields.Schedule.Default).ToLowerInvariant(),
                sAt.Rest(sEl, new[] { "name", "warmup_epochs", "warmup_start_factor" }),
                sAt.Num(sEl, SuiteFields.WarmupEpochs),
                sAt.Num(sEl, SuiteFields.WarmupStartFactor));
        }
        return new Recipe
        {
            Epochs = at.Int(el, SuiteFields.Epochs),
            BatchSize = at.Int(el, SuiteFields.BatchSize),
            Seed = at.Int(el, SuiteFields.Seed),
            Optimizer = optimizer,
            Schedule = schedule,
            LabelSmoothing = at.Num(el, SuiteFields.LabelSmoothing),
            Dropout = at.Num(el, "dropout", 0, 0.99),
            StochasticDepth = at.Num(el, "stochastic_depth", 0, 0.99),
            Augment = at.NamedList(el, "augment"),
            BatchAugment = at.NamedList(el, "batch_augment"),
            Ema = EmaDecay(el, at),
            PreciseBatchNorm = PreciseBatches(el, at),
            ClipGradNorm = at.Num(el, "clip_grad_norm", 1e-6, 1e6),
            ClipGradValue = at.Num(el, "clip_grad_value", 1e-6, 1e6),
            AccumulateSteps = at.Int(el, SuiteFields.AccumulateSteps),
            FreezeBackboneEpochs = at.Int(el, SuiteFields.FreezeBackboneEpochs),
            HeadLearningRate = at.Num(el, "head_lr", 1e-12, OptimizerSpec.MaxLearningRate),
            Repeats = at.Int(el, SuiteFields.Repeats),
            Precision = ParsePrecision(el, at),
            EarlyStopping = ParseEarlyStopping(el, at),
            Target = ParseTarget(el, at),
        };
    }

    /// <summary>"precision": "fp32" (default), "bf16" or "fp16".</summary>
    static Precision ParsePrecision(JsonElement el, Cursor at)
    {
        var text = at.Str(el, "precision");
        if (text is null) return Precision.Fp32;
        return Precisions.Parse(text) ?? throw new ZooConfigException(at.Field("precision"),
            $"'{text}' is not a precision; use \"fp32\" (the default), \"bf16\" (mixed precision for CPUs with native bf16 and recent GPUs) or \"fp16\" (mixed precision with loss scaling, for GPUs)"
            + (NearestNames.DidYouMean(text, Precisions.Names) is { } near ? $"; {near}" : ""));
    }

    /// <summary>
    /// "lr_find" where no rate is "find": the range test never runs, so its settings would be read by nothing (not even
    /// checked) and the suite would train at its fixed rate as though they had been taken. Refused, saying both ways out.
    /// </summary>
    static ZooConfigException UnusedSearch(Cursor recipeAt, Recipe recipe) => new(recipeAt.Field("lr_find"),
        $"is read only where the learning rate is \"find\", and {recipeAt.Path}.optimizer.lr is {recipe.Optimizer.LearningRate.ToString("G6", CultureInfo.InvariantCulture)} here, " +
        "so the range test would never run; give \"optimizer\": { \"lr\": \"find\" } to train at the rate it finds, or remove \"lr_find\" to train " +
        "at the fixed rate (`zoo lr-find SUITE --steps N --start X --end Y` shows a range test of any suite without it)");

    /// <summary>"lr_find": {"steps": 100, "start": 1e-7, "end": 10}, the range test's settings where "lr" is "find" (each optional).</summary>
    static LearningRateSearch ParseSearch(JsonElement el, Cursor at)
    {
        var defaults = new LearningRateSearch();
        if (!el.TryGetProperty("lr_find", out var f) || f.ValueKind == JsonValueKind.Null) return defaults;
        var fAt = at.In("lr_find");
        fAt.Expect(f, JsonValueKind.Object, "an object such as {\"steps\": 300, \"start\": 1e-7, \"end\": 10}");
        fAt.OnlyFields(f, new[] { "steps", "start", "end" });
        return new LearningRateSearch(fAt.Num(f, "start", 1e-12, OptimizerSpec.MaxLearningRate) ?? defaults.Start, fAt.Num(f, "end", 1e-6, OptimizerSpec.MaxLearningRate) ?? defaults.End,
            fAt.Int(f, "steps", 10, 100_000) ?? defaults.Steps).Checked(fAt.Field("end"));
    }

    static double? EmaDecay(JsonElement el, Cursor at)
    {
        if (!el.TryGetProperty("ema", out var e) || e.ValueKind is JsonValueKind.Null or JsonValueKind.False) return null;
        if (e.ValueKind == JsonValueKind.True) return SuiteFields.EmaDecay.Default;
        if (e.ValueKind == JsonValueKind.Number) return at.Num(el, SuiteFields.EmaDecay);
        var eAt = at.In("ema");
        eAt.Expect(e, JsonValueKind.Object, "true, a decay such as 0.9998, or {\"decay\": 0.9998}");
        eAt.OnlyFields(e, new[] { "decay" });
        var decay = SuiteFields.EmaDecay.Info;
        return eAt.Num(e, "decay", decay.Min!.Value, decay.Max!.Value) ?? SuiteFields.EmaDecay.Default;
    }

    /// <summary>"precise_bn": a number of training batches, or {"batches": n}; null or false: off.</summary>
    static int? PreciseBatches(JsonElement el, Cursor at)
    {
        if (!el.TryGetProperty("precise_bn", out var e) || e.ValueKind is JsonValueKind.Null or JsonValueKind.False) return null;
        if (e.ValueKind == JsonValueKind.Number) return at.IntOrNull(el, SuiteFields.PreciseBatchNorm);
        var pAt = at.In("precise_bn");
        pAt.Expect(e, JsonValueKind.Object, "a number of training batches such as 50, or {\"batches\": 50}");
        pAt.OnlyFields(e, new[] { "batches" });
        var batches = SuiteFields.PreciseBatchNorm.Info;
        return pAt.Int(e, "batches", (int)batches.Min!.Value, (int)batches.Max!.Value) ?? SuiteFields.PreciseBatchNorm.Default;
    }

    static string Metric(JsonElement el, Cursor at, string field, string fallback)
    {
        var m = at.Str(el, field) ?? fallback;
        if (!Metrics.Contains(m)) throw new ZooConfigException(at.Field(field), $"'{m}' is not a recorded metric; allowed: {string.Join(", ", Metrics)}");
        return m;
    }

    static EarlyStopping? ParseEarlyStopping(JsonElement el, Cursor at)
    {
        if (!el.TryGetProperty("early_stopping", out var e) || e.ValueKind == JsonValueKind.Null) return null;
        var eAt = at.In("early_stopping");
        eAt.Expect(e, JsonValueKind.Object, "an object such as {\"metric\": \"val_top1\", \"patience\": 5}");
        eAt.OnlyFields(e, new[] { "metric", "patience", "min_delta" });
        return new EarlyStopping(Metric(e, eAt, "metric", "val_top1"), eAt.Int(e, SuiteFields.Patience), eAt.Num(e, SuiteFields.MinDelta));
    }

    static TargetSpec? ParseTarget(JsonElement el, Cursor at)
    {
        if (!el.TryGetProperty("target", out var e) || e.ValueKind == JsonValueKind.Null) return null;
        var tAt = at.In("target");
        tAt.Expect(e, JsonValueKind.Object, "an object such as {\"metric\": \"val_top1\", \"value\": 0.99}");
        tAt.OnlyFields(e, new[] { "metric", "value", "stop" });
        var value = tAt.Num(e, "value", -1e9, 1e9) ?? throw new ZooConfigException(tAt.Field("value"), "required: the value to reach, e.g. 0.99 for 99 % top-1");
        bool stop = e.TryGetProperty("stop", out var st) && st.ValueKind == JsonValueKind.True;
        return new TargetSpec(Metric(e, tAt, "metric", "val_top1"), value, stop);
    }

    /// <summary>"analysis": {"features": true, "max_images": 2000, "perplexity": 30, "seed": 0, "iterations": 1000, "cluster_on": "tsne"}.</summary>
    static AnalysisOptions? ParseAnalysis(JsonElement root, Cursor at)
    {
        if (!root.TryGetProperty("analysis", out var a) || a.ValueKind is JsonValueKind.Null or JsonValueKind.False) return null;
        if (a.ValueKind == JsonValueKind.True) return new AnalysisOptions();
        var aAt = at.In("analysis");
        aAt.Expect(a, JsonValueKind.Object, "true or an object such as {\"features\": true, \"max_images\": 2000, \"perplexity\": 30}");
        aAt.OnlyFields(a, new[] { "features", "max_images", "perplexity", "seed", "iterations", "cluster_on" });
        if (a.TryGetProperty("features", out var f) && f.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            throw new ZooConfigException(aAt.Field("features"), "expected true or false");
        if (f.ValueKind == JsonValueKind.False) return null;
        var clusterOn = aAt.Str(a, "cluster_on") ?? "tsne";
        if (clusterOn is not ("tsne" or "features"))
            throw new ZooConfigException(aAt.Field("cluster_on"), $"'{clusterOn}' is not allowed; allowed: tsne (the 2-D embedding, as seeds/002), features");
        var defaults = new AnalysisOptions();
        var options = new AnalysisOptions
        {
            MaxImages = aAt.Int(a, "max_images", 10, 100_000) ?? defaults.MaxImages,
            Perplexity = aAt.Num(a, "perplexity", 1, 1000) ?? defaults.Perplexity,
            Seed = aAt.Int(a, "seed", 0, int.MaxValue) ?? defaults.Seed,
            TsneIterations = aAt.Int(a, "iterations", 50, 100_000) ?? defaults.TsneIterations,
            ClusterOnEmbedding = clusterOn == "tsne",
        };
        if (options.Perplexity * 3 >= options.MaxImages)
            throw new ZooConfigException(aAt.Field("perplexity"), $"{options.Perplexity} needs more than {options.Perplexity * 3} images; raise max_images or lower the perplexity");
        return options;
    }
}
