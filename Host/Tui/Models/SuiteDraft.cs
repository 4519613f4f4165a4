using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Suites;
using Zoo.Engine.Weights;

namespace Zoo.Tui;

/// <summary>One field of the suite builder's form: the suite file's path it writes (what an error's "where" names).</summary>
/// <param name="Number">Written as a number where the text is one (else as text, so that the parser says "expected a number").</param>
/// <param name="Column">0: the suite and its data set; 1: the recipe.</param>
public sealed record DraftField(string Field, string Label, string Default, string Hint, bool Number, int Column);

/// <summary>
/// The suite builder's form (F4) without Terminal.Gui: every field as the user typed it, the suite file it makes, and
/// the suite parser's and validator's verdict on it, mapped back to the field it names. Numbers that do not parse are
/// written as text, so the error the user sees is the parser's own ("recipe.optimizer.lr: expected a number").
/// </summary>
/// <remarks>
/// The form writes over a document: a new one, or a suite file opened into it (<see cref="Open"/>). A field the user has
/// not changed leaves the document's value as it was, so whatever the form does not show (a plateau schedule's
/// monitor, "analysis", a model's weights…) is written back unchanged; <see cref="NotShown"/> names those fields.
/// This is the UI's one way to write a suite: F5's quick comparison (<see cref="UiModel.SuiteFor"/>) fills a draft too.
/// </remarks>
public sealed class SuiteDraft
{
    /// <summary>
    /// The form's fields. Hints that state a default, a range or a list of names take it from the engine's declarations
    /// (<see cref="SuiteFields"/>, the built-in data sets', optimisers' and schedules' own), so the form cannot
    /// promise what the parser does not do; the prefilled values are the form's starting point for a small comparison.
    /// </summary>
    public static readonly IReadOnlyList<DraftField> Fields = MakeFields();

    static DraftField[] MakeFields()
    {
        static string Default(ParameterInfo p) => p.Default;
        static ParameterInfo Of(IDatasetProvider provider, string name) => provider.Parameters.First(p => p.Name == name);
        var shapes = new ShapesDatasetProvider();
        var optimisers = Zoo.Engine.Training.BuiltInOptimizers.All().Select(o => o.Name).ToList();
        var schedules = Zoo.Engine.Training.BuiltInSchedules.All().Select(o => o.Name).ToList();
        return new DraftField[]
        {
            new("name", "Suite name", "my-comparison", "also the results folder's name", false, 0),
            new("dataset.name", "Data set", "shapes", "shapes, mnist, cifar10, … or folder", false, 0),
            new("dataset.path", "Path", "", "empty: the data folder (downloads)", false, 0),
            new("dataset.channels", "Channels", "1", "1 grey, 3 RGB", true, 0),
            new("dataset.size", "Size", "28", "square input in pixels", true, 0),
            new("dataset.seed", "Data seed", "", $"draws splits and shapes; empty: {Default(SuiteFields.DataSeed)}", true, 0),
            new("dataset.train", "Train images", "", $"shapes only; empty: {Default(Of(shapes, "train"))}", true, 0),
            new("dataset.val", "Val images", "", $"shapes only; empty: {Default(Of(shapes, "val"))}", true, 0),
            new("dataset.test", "Test images", "", $"shapes only; empty: {Default(Of(shapes, "test"))}", true, 0),
            new("dataset.val_fraction", "Val fraction", "", $"of train if no val split; empty: {Default(SuiteFields.ValFraction)}", true, 0),
            new("dataset.test_fraction", "Test fraction", "", $"folder without test/; empty: {Default(Of(new ImageFolderProvider(), "test_fraction"))}", true, 0),
            new("recipe.epochs", "Epochs", Default(SuiteFields.Epochs), "", true, 1),
            new("recipe.batch_size", "Batch", "32", $"empty: {Default(SuiteFields.BatchSize)}", true, 1),
            new("recipe.seed", "Seed", "42", "initial weights and shuffling", true, 1),
            new("recipe.optimizer.name", "Optimiser", Default(SuiteFields.Optimizer), string.Join(", ", optimisers.Take(4)) + ", …", false, 1),
            new("recipe.optimizer.lr", "Learning rate", Default(SuiteFields.LearningRate), "a number, or find", true, 1),
            new("recipe.optimizer.weight_decay", "Weight decay", "", "empty: the optimiser's default", true, 1),
            new("recipe.schedule.name", "Schedule", Default(SuiteFields.Schedule), string.Join(", ", schedules.Take(4)) + ", …", false, 1),
            new("recipe.schedule.warmup_epochs", "Warm-up epochs", "", "linear warm-up first; empty: none", true, 1),
            new("recipe.augment", "Augmentation", "none", "none, flip-crop, randaugment, seed00N", false, 1),
            new("recipe.batch_augment.mixup", "Mixup alpha", "", "e.g. 0.8; with CutMix: both", true, 1),
            new("recipe.batch_augment.cutmix", "CutMix alpha", "", "e.g. 1.0; empty: none", true, 1),
            new("recipe.label_smoothing", "Label smoothing", "", "e.g. 0.1; empty: none", true, 1),
            new("recipe.ema", "EMA decay", "", $"e.g. {Default(SuiteFields.EmaDecay)}; empty: none", true, 1),
            new("recipe.precise_bn", "Precise BN", "", "batches to re-estimate BN; empty: off", true, 1),
            new("recipe.precision", "Precision", "", $"{string.Join(", ", SuiteFields.Precision.Info.Choices!)}; empty: {Default(SuiteFields.Precision)}", false, 1),
            new("recipe.early_stopping.patience", "Early stop", "", "patience in epochs (val top-1)", true, 1),
            new("recipe.target.value", "Target val top-1", "", "e.g. 0.99: when it is reached", true, 1),
        };
    }

    /// <summary>Augmentation presets by name (<see cref="AugmentationPresets"/>).</summary>
    public static IReadOnlyDictionary<string, JsonArray> Presets => AugmentationPresets.ByName;

    /// <summary>What a field shows when the file's value is one the form cannot show (kept as it is unless the field is changed).</summary>
    public const string AsInFile = "(as in the file)";

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    static readonly string[] DatasetKeys = { "name", "path", "channels", "size", "seed", "val_fraction", "normalize", "train", "val", "test", "test_fraction" };

    readonly Dictionary<string, string> _values = Fields.ToDictionary(f => f.Field, f => f.Default);
    Dictionary<string, string> _loaded = new();   // each field's text as the opened file gave it
    JsonObject _document = new();
    List<ModelDraft> _models = new();

    /// <summary>The models, in the file's order: variant names (the catalogue's marks) or an opened file's entries.</summary>
    public IReadOnlyList<ModelDraft> Models => _models;

    /// <summary>The variants to compare, each a model with no label or options of its own.</summary>
    public IEnumerable<string> Variants { init => _models = value.Select(v => new ModelDraft(v)).ToList(); }

    /// <summary>The suite file opened into this form, or null for a new one.</summary>
    public string? SourcePath { get; private set; }

    /// <summary>The opened file's fields the form does not show (kept and written back as they are).</summary>
    public IReadOnlyList<string> NotShown { get; private set; } = Array.Empty<string>();

    public string this[string field]
    {
        get => _values[field];
        set => _values[field] = value ?? "";
    }

    /// <summary>A suite file read into the form: every field the form has filled from it, everything else kept.</summary>
    public static SuiteDraft Open(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new ZooConfigException(path, "no such file; give the path of a suite JSON file (see suites/quick-start.json)");
        return FromText(File.ReadAllText(full), full, sourcePath: full);
    }

    /// <summary>
    /// A suite's text read into the form, as <see cref="Open"/> reads a file; <paramref name="source"/> names it in errors
    /// and, without a "name", names the suite. <paramref name="sourcePath"/> is the file relative paths are read against, if any.
    /// </summary>
    public static SuiteDraft FromText(string json, string source, string? sourcePath = null)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw SuiteParser.InvalidJson(json, Path.GetFileName(source), e);
        }
        if (root is not JsonObject doc) throw new ZooConfigException(Path.GetFileName(source), "expected an object (a suite file)");
        var draft = new SuiteDraft { SourcePath = sourcePath, _document = doc };
        foreach (var f in Fields) draft._values[f.Field] = Read(doc, f.Field);
        if (!doc.ContainsKey("name")) draft._values["name"] = Path.GetFileNameWithoutExtension(source);
        draft._loaded = new Dictionary<string, string>(draft._values);   // without a "name", the file's name names it, as the parser does
        draft._models = doc["models"] is JsonArray models ? models.Select(m => ModelDraft.From(m)).ToList() : new List<ModelDraft>();
        draft.NotShown = draft.Unshown();
        return draft;
    }

    /// <summary>
    /// A model added to the form, at the end. It gets a label of its own only when its variant's name is taken already
    /// (the parser wants every label distinct, ignoring case): a second resnet18 is "resnet18-2".
    /// </summary>
    public ModelDraft AddModel(string variant)
    {
        var model = new ModelDraft(variant);
        if (Taken(variant)) model["label"] = FreshLabel(variant);
        _models.Add(model);
        return model;
    }

    /// <summary>
    /// The form's models made <paramref name="variants"/>, in that order: a variant the form has an entry for keeps that
    /// entry (its label, options and recipe), as F5 keeps the quick start's LeNet-5; any other is added bare.
    /// </summary>
    public void KeepModels(IEnumerable<string> variants)
    {
        var had = _models;
        _models = new List<ModelDraft>();
        foreach (var v in variants)
        {
            if (had.FirstOrDefault(m => m.Variant == v) is { } own) { _models.Add(own); had.Remove(own); }
            else AddModel(v);
        }
    }

    /// <summary>A copy of a model right after it (same variant, options and overrides; a fresh label), for "with and without" comparisons.</summary>
    public ModelDraft Duplicate(int index)
    {
        var copy = _models[index].Copy(FreshLabel(_models[index].Label));
        _models.Insert(index + 1, copy);
        return copy;
    }

    public void RemoveModel(int index) => _models.RemoveAt(index);

    /// <summary>A label no model has yet: <paramref name="label"/> itself, else its stem with -2, -3, … ("resnet18-2" → "resnet18-3").</summary>
    public string FreshLabel(string label)
    {
        if (!Taken(label)) return label;
        var stem = Regex.Replace(label, @"-\d+$", "");
        for (int n = 2; ; n++)
            if (!Taken($"{stem}-{n}")) return $"{stem}-{n}";
    }

    bool Taken(string label) => _models.Any(m => string.Equals(m.Label, label, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// The names that match what is typed, for picking a variant: the name itself (any case) first, then the names that
    /// start with it, then those that contain it; "_" and "-" are the same here ("mobilenet-v2" finds mobilenet_v2).
    /// </summary>
    public static IReadOnlyList<string> Matching(IEnumerable<string> names, string typed)
    {
        var t = Key(typed);
        var all = names.ToList();
        if (t.Length == 0) return all;
        return all.Where(n => Key(n) == t)
            .Concat(all.Where(n => Key(n) != t && Key(n).StartsWith(t, StringComparison.Ordinal)))
            .Concat(all.Where(n => !Key(n).StartsWith(t, StringComparison.Ordinal) && Key(n).Contains(t, StringComparison.Ordinal)))
            .ToList();
    }

    /// <summary>
    /// The one variant what is typed means, or null: the name itself (any case), else the only name that starts with it
    /// ("lenet" is lenet5, though googlenet and mobilenet_v2 contain it), else the only name that contains it.
    /// </summary>
    public static string? Pick(IEnumerable<string> names, string typed)
    {
        var t = Key(typed);
        if (t.Length == 0) return null;
        var all = names.ToList();
        if (all.FirstOrDefault(n => Key(n) == t) is { } exact) return exact;
        var starting = all.Where(n => Key(n).StartsWith(t, StringComparison.Ordinal)).ToList();
        if (starting.Count == 1) return starting[0];
        var matching = Matching(all, typed);
        return starting.Count == 0 && matching.Count == 1 ? matching[0] : null;
    }

    static string Key(string s) => s.Trim().Replace('-', '_').ToLowerInvariant();

    /// <summary>The suite file this form makes (relative paths as they are).</summary>
    public string ToJson() => ToJson(null);

    /// <summary>
    /// The suite file this form makes, to be saved at <paramref name="savePath"/>: an opened file's relative paths (data,
    /// weights) are made absolute when it is saved elsewhere, since the parser reads them relative to the file.
    /// </summary>
    public string ToJson(string? savePath)
    {
        var doc = (JsonObject)_document.DeepClone();
        // A new document's keys in the order a suite file gives them (name, dataset, models, recipe).
        foreach (var key in new[] { "name", "dataset", "models", "recipe" })
            if (!doc.ContainsKey(key)) doc[key] = key is "name" ? null : key is "models" ? new JsonArray() : new JsonObject();
        if (doc["name"] is null && _values["name"].Trim().Length == 0) doc.Remove("name");
        foreach (var f in Fields) Write(doc, f);
        if (doc["name"] is null) doc.Remove("name");
        if (SourcePath is not null && savePath is not null && !SameFolder(SourcePath, savePath)
            && _values["dataset.path"] == _loaded.GetValueOrDefault("dataset.path") && doc["dataset"]?["path"] is JsonValue p && p.TryGetValue<string>(out var rel) && IsRelative(rel))
            doc["dataset"]!["path"] = Path.GetFullPath(rel, Path.GetDirectoryName(SourcePath)!);
        doc["models"] = new JsonArray(_models.Select((m, i) => m.ToJson(i, SourcePath, savePath)).ToArray());
        return doc.ToJsonString(Indented);
    }

    /// <summary>
    /// The suite, or the first error with the form's field it names (null where no field of the form matches) and the
    /// parser's or validator's message without the file name. <paramref name="path"/> is where it would be saved. A model's
    /// fields are named "models[i].label", "models[i].options", … (<see cref="ModelDraft.Fields"/>), the model itself "models[i]".
    /// </summary>
    public (Suite? Suite, string? Field, string? Error) Check(SuiteRunner runner, string path)
    {
        try
        {
            if (_models.Count == 0) throw new ZooConfigException("models", "mark at least one variant in the catalogue (Space), or open a suite file");
            var suite = SuiteParser.Parse(ToJson(path), path);
            runner.Validate(suite);
            return (suite, null, null);
        }
        catch (ZooConfigException e)
        {
            var file = Path.GetFileName(path) + ": ";
            var where = e.Where.StartsWith(file, StringComparison.Ordinal) ? e.Where[file.Length..] : e.Where;
            var message = e.Message.StartsWith(e.Where + ": ", StringComparison.Ordinal) ? e.Message[(e.Where.Length + 2)..] : e.Message;
            var field = FieldOf(where);
            // Labels twice: the parser names the label; the message goes on the row of its second use.
            if (where == "models" && Regex.Match(message, "^'(.+)' appears \\d+ times") is { Success: true } dup)
                field = _models.Select((m, i) => (m, i)).Where(p => string.Equals(p.m.Label, dup.Groups[1].Value, StringComparison.OrdinalIgnoreCase))
                    .Skip(1).Select(p => $"models[{p.i}].label").FirstOrDefault();
            return (null, field, $"{where}: {message}");
        }
    }

    /// <summary>
    /// One model's verdict: the form with that model alone, checked; its own error (field and message, under its index
    /// in the whole form), or nulls when that model is fine or the error is the suite's, not the model's.
    /// </summary>
    public (string? Field, string? Error) CheckModel(SuiteRunner runner, string path, int index)
    {
        var one = new SuiteDraft { _document = _document, _loaded = _loaded, SourcePath = SourcePath, _models = new List<ModelDraft> { _models[index] } };
        foreach (var (k, v) in _values) one._values[k] = v;
        var (_, field, error) = one.Check(runner, path);
        if (field is null || !field.StartsWith("models[0]", StringComparison.Ordinal)) return (null, null);
        return ($"models[{index}]{field["models[0]".Length..]}", error!.Replace("models[0]", $"models[{index}]"));
    }

    /// <summary>Where the data set's files are for the form's data set and path (null for a set that downloads nothing).</summary>
    public LocalData? DataState()
    {
        var path = ExpandHome(_values["dataset.path"].Trim());
        // The file's own path is relative to the file; one typed here, to where zoo runs (as Write has it).
        var from = SourcePath is not null && _values["dataset.path"] == _loaded.GetValueOrDefault("dataset.path") ? Path.GetDirectoryName(SourcePath)! : Directory.GetCurrentDirectory();
        return LocalData.Of(_values["dataset.name"].Trim(), path.Length == 0 ? null : Path.GetFullPath(path, from));
    }

    /// <summary>The built-in plugin's data sets (BuiltInPlugin's providers), for when the catalogue's are not at hand.</summary>
    public static readonly IReadOnlyList<string> BuiltInSets = new[] { "shapes", "mnist", "fashion-mnist", "cifar10", "cifar100", "folder", "auto" };

    /// <summary>A set's name with its download state: "mnist ✓" (in the data folder), "cifar10 ↓" (the first run downloads it), "shapes".</summary>
    public static string SetState(string name) => LocalData.Of(name) is { } s ? s.Present ? $"{name} ✓" : $"{name} ↓" : name;

    /// <summary>The form's field an error's place names ("recipe.augment[0].p" → "recipe.augment"; "models[1].options.pool" → "models[1].options").</summary>
    public static string? FieldOf(string where)
    {
        if (Regex.Match(where, @"^models\[(\d+)\](.*)$") is { Success: true } m)
        {
            var rest = m.Groups[2].Value;
            var field = ModelDraft.Fields.FirstOrDefault(f => rest == "." + ModelDraft.PathOf(f) || rest.StartsWith("." + ModelDraft.PathOf(f) + ".", StringComparison.Ordinal));
            return field is null ? $"models[{m.Groups[1].Value}]" : $"models[{m.Groups[1].Value}].{field}";
        }
        if (where.StartsWith("recipe.batch_augment", StringComparison.Ordinal))
            return where.Contains("cutmix", StringComparison.Ordinal) ? "recipe.batch_augment.cutmix" : "recipe.batch_augment.mixup";
        var normalised = where.Replace("[", ".[");
        return Fields.Select(f => f.Field)
            .Where(f => normalised == f || normalised.StartsWith(f + ".", StringComparison.Ordinal))
            .OrderByDescending(f => f.Length).FirstOrDefault()
            ?? (where.StartsWith("recipe.early_stopping", StringComparison.Ordinal) ? "recipe.early_stopping.patience"
              : where.StartsWith("recipe.target", StringComparison.Ordinal) ? "recipe.target.value"
              : where.StartsWith("recipe.schedule", StringComparison.Ordinal) ? "recipe.schedule.name"
              : where.StartsWith("recipe.optimizer", StringComparison.Ordinal) ? "recipe.optimizer.name"
              : where.StartsWith("dataset", StringComparison.Ordinal) ? "dataset.name" : null);
    }

    // ---- reading a document into the form ----

    static string Read(JsonObject doc, string field)
    {
        var recipe = doc["recipe"] as JsonObject;
        switch (field)
        {
            case "recipe.augment":
                if (recipe?["augment"] is null or JsonArray { Count: 0 }) return "none";
                if (recipe["augment"] is not JsonArray a) return AsInFile;
                if (Presets.FirstOrDefault(p => JsonNode.DeepEquals(p.Value, a)) is { Key: { } preset }) return preset;
                return a.Count == 1 && a[0] is JsonValue only && only.TryGetValue<string>(out var name) ? name : AsInFile;
            case "recipe.batch_augment.mixup" or "recipe.batch_augment.cutmix":
                return BatchAugment(recipe?["batch_augment"]) is { } mix ? field.EndsWith("mixup") ? mix.Mixup : mix.CutMix : AsInFile;
            case "recipe.ema":
                return recipe?["ema"] is JsonObject ema ? DraftJson.Text(ema["decay"]) : DraftJson.Text(recipe?["ema"]);
            case "recipe.precise_bn":
                return recipe?["precise_bn"] is JsonObject bn ? DraftJson.Text(bn["batches"]) : DraftJson.Text(recipe?["precise_bn"]);
            default:
                return DraftJson.Text(DraftJson.At(doc, field));
        }
    }

    /// <summary>Mixup and CutMix alphas as the form shows them, or null when the file's batch augmentation is something else.</summary>
    static (string Mixup, string CutMix)? BatchAugment(JsonNode? node)
    {
        if (node is null) return ("", "");
        if (node is not JsonArray { Count: 1 } a || a[0] is not JsonObject o || o["name"] is not JsonValue n || !n.TryGetValue<string>(out var name)) return null;
        bool Only(params string[] keys) => o.Select(p => p.Key).All(k => k == "name" || keys.Contains(k));
        // A value the file leaves out is the augmentation's declared default, shown as such.
        string Value(string key) => DraftJson.Text(o[key]) is { Length: > 0 } t ? t : BatchDefault(name, key);
        return name switch
        {
            "mixup" when Only("alpha") => (Value("alpha"), ""),
            "cutmix" when Only("alpha") => ("", Value("alpha")),
            "mixup_cutmix" when Only("mixup_alpha", "cutmix_alpha") => (Value("mixup_alpha"), Value("cutmix_alpha")),
            _ => null,
        };
    }

    /// <summary>A built-in batch augmentation's declared default for one of its parameters.</summary>
    static string BatchDefault(string augmentation, string parameter) =>
        Zoo.Engine.Data.BuiltInAugmentations.Batch().First(f => f.Name == augmentation).Parameters.First(p => p.Name == parameter).Default;

    // ---- writing the form into a document ----

    void Write(JsonObject doc, DraftField f)
    {
        var text = _values[f.Field].Trim();
        if (_loaded.TryGetValue(f.Field, out var loaded) && loaded.Trim() == text) return;   // unchanged: the file's value stays as it was
        var recipe = doc["recipe"] as JsonObject ?? (JsonObject)(doc["recipe"] = new JsonObject());
        switch (f.Field)
        {
            case "recipe.augment":
                if (text is "" or "none") recipe.Remove("augment");
                else recipe["augment"] = Presets.TryGetValue(text, out var preset) ? preset.DeepClone() : new JsonArray(text);   // an augmentation's own name; the validator says if it is not one
                return;
            case "recipe.batch_augment.mixup" or "recipe.batch_augment.cutmix":
                if (f.Field.EndsWith("cutmix") && _values["recipe.batch_augment.mixup"].Trim() != _loaded.GetValueOrDefault("recipe.batch_augment.mixup")?.Trim()) return;   // written with mixup
                var (mix, cut) = (DraftJson.Parse(Clean(_values["recipe.batch_augment.mixup"])), DraftJson.Parse(Clean(_values["recipe.batch_augment.cutmix"])));
                recipe["batch_augment"] = (mix, cut) switch
                {
                    (null, null) => null,
                    ({ } m, null) => new JsonArray(new JsonObject { ["name"] = "mixup", ["alpha"] = m }),
                    (null, { } c) => new JsonArray(new JsonObject { ["name"] = "cutmix", ["alpha"] = c }),
                    ({ } m, { } c) => new JsonArray(new JsonObject { ["name"] = "mixup_cutmix", ["mixup_alpha"] = m, ["cutmix_alpha"] = c }),
                };
                if (recipe["batch_augment"] is null) recipe.Remove("batch_augment");
                return;
            case "recipe.early_stopping.patience" or "recipe.target.value":
                var key = f.Field.Split('.')[1];
                if (text.Length == 0) { recipe.Remove(key); return; }
                if (recipe[key] is not JsonObject o) recipe[key] = o = new JsonObject { ["metric"] = "val_top1" };
                o[f.Field.Split('.')[2]] = DraftJson.Parse(text);
                return;
        }
        // A different data set, optimiser or schedule starts from that one's defaults: the old one's own fields go.
        if (f.Field is "dataset.name" && doc["dataset"] is JsonObject ds)
            foreach (var k in ds.Select(p => p.Key).Where(k => !DatasetKeys.Contains(k)).ToList()) ds.Remove(k);
        if (f.Field is "recipe.optimizer.name" && recipe["optimizer"] is JsonObject opt)
            foreach (var k in opt.Select(p => p.Key).Where(k => k is not ("name" or "lr" or "weight_decay")).ToList()) opt.Remove(k);
        if (f.Field is "recipe.schedule.name" && recipe["schedule"] is JsonObject sch)
            foreach (var k in sch.Select(p => p.Key).Where(k => k is not ("name" or "warmup_epochs" or "warmup_start_factor")).ToList()) sch.Remove(k);
        if (f.Field is "dataset.path" && text.Length > 0 && IsRelative(text)) text = Path.GetFullPath(text);   // typed here: relative to where zoo runs
        DraftJson.Set(doc, f.Field, text.Length == 0 ? null : f.Number ? DraftJson.Parse(text) : JsonValue.Create(text));
    }

    static string Clean(string text) => text.Trim() == AsInFile ? "" : text.Trim();

    static bool IsRelative(string path) => !Path.IsPathRooted(path) && !path.StartsWith("~/", StringComparison.Ordinal);

    static string ExpandHome(string path) => path.StartsWith("~/", StringComparison.Ordinal)
        ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path[2..]) : path;

    static bool SameFolder(string a, string b) =>
        Path.GetDirectoryName(Path.GetFullPath(a)) == Path.GetDirectoryName(Path.GetFullPath(b));

    /// <summary>The opened document's leaf fields that no field of the form shows.</summary>
    List<string> Unshown()
    {
        // ema and precise_bn are shown whole ({"decay": …} and {"batches": …} too); the augmentations where the form could read them.
        var shown = new HashSet<string>(Fields.Select(f => f.Field).Where(f => !f.StartsWith("recipe.batch_augment", StringComparison.Ordinal) && f != "recipe.augment"));
        if (_values["recipe.augment"] != AsInFile) shown.Add("recipe.augment");
        if (_values["recipe.batch_augment.mixup"] != AsInFile) shown.Add("recipe.batch_augment");
        var list = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            if (shown.Contains(path) || path == "models") return;
            if (node is JsonObject o) foreach (var (k, v) in o) Walk(v, path.Length == 0 ? k : $"{path}.{k}");
            else list.Add(path);
        }
        Walk(_document, "");
        for (int i = 0; i < _models.Count; i++) list.AddRange(_models[i].Unshown().Select(f => $"models[{i}].{f}"));
        return list;
    }
}
