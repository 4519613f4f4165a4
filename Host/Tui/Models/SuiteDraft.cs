using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Abstractions;
using Zoo.Engine.Suites;

namespace Zoo.Tui;

/// <summary>
/// The suite builder's form (F4) without Terminal.Gui: every field as the user typed it, the suite file it makes, and
/// the suite parser's and validator's verdict on it, mapped back to the field it names. Numbers that do not parse are
/// written as text, so the error the user sees is the parser's own ("recipe.optimizer.lr: expected a number").
/// </summary>
public sealed class SuiteDraft
{
    /// <summary>The fields, by the suite file's path for each (what an error's "where" names).</summary>
    public static readonly IReadOnlyList<(string Field, string Label, string Default, string Hint)> Fields = new[]
    {
        ("name", "Suite name", "my-comparison", "also the results folder's name"),
        ("dataset.name", "Data set", "shapes", "shapes (built in), mnist, fashion-mnist, cifar10, cifar100 or folder"),
        ("dataset.path", "Path", "", "the data's folder (MNIST/CIFAR files, or one sub-folder of images per class)"),
        ("dataset.channels", "Channels", "1", "1 grey, 3 RGB"),
        ("dataset.size", "Size", "28", "square input in pixels"),
        ("recipe.epochs", "Epochs", "10", ""),
        ("recipe.batch_size", "Batch", "32", ""),
        ("recipe.optimizer.name", "Optimiser", "adamw", "sgd, adam, adamw, rmsprop, adagrad, adadelta, or a plugin's"),
        ("recipe.optimizer.lr", "Learning rate", "0.001", ""),
        ("recipe.schedule.name", "Schedule", "cosine", "constant, step, cosine, plateau, onecycle, … (`zoo list`)"),
        ("recipe.schedule.warmup_epochs", "Warm-up epochs", "0", "linear warm-up before the schedule"),
        ("recipe.augment", "Augmentation", "none", "none, flip-crop, randaugment or mnist (seeds/002: small affine)"),
        ("recipe.ema", "EMA decay", "", "e.g. 0.999; empty: none"),
        ("recipe.early_stopping.patience", "Early stop", "", "epochs without a better val top-1; empty: none"),
        ("recipe.target.value", "Target val top-1", "", "e.g. 0.99: time to reach it; empty: none"),
    };

    /// <summary>Augmentation presets: the seeds' recipes by name.</summary>
    public static readonly IReadOnlyDictionary<string, JsonArray> Presets = new Dictionary<string, JsonArray>
    {
        ["none"] = new JsonArray(),
        ["flip-crop"] = new JsonArray("hflip", new JsonObject { ["name"] = "random_crop", ["padding"] = 4 }),
        ["randaugment"] = new JsonArray("hflip", new JsonObject { ["name"] = "randaugment", ["n"] = 2, ["m"] = 9 }),
        ["mnist"] = new JsonArray(new JsonObject { ["name"] = "affine", ["p"] = 0.5, ["degrees"] = 10, ["translate"] = 0.1 }),
    };

    readonly Dictionary<string, string> _values = Fields.ToDictionary(f => f.Field, f => f.Default);

    /// <summary>The variants to compare (the catalogue's marked ones).</summary>
    public IReadOnlyList<string> Models { get; set; } = Array.Empty<string>();

    public string this[string field]
    {
        get => _values[field];
        set => _values[field] = value ?? "";
    }

    /// <summary>The suite file this form makes.</summary>
    public string ToJson()
    {
        JsonNode Value(string field)
        {
            var text = _values[field].Trim();
            if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) return i;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
            return text;
        }
        bool Has(string field) => _values[field].Trim().Length > 0;
        var dataset = new JsonObject { ["name"] = Value("dataset.name"), ["channels"] = Value("dataset.channels"), ["size"] = Value("dataset.size") };
        if (Has("dataset.path")) dataset["path"] = _values["dataset.path"].Trim();
        var schedule = new JsonObject { ["name"] = Value("recipe.schedule.name") };
        if (Has("recipe.schedule.warmup_epochs") && _values["recipe.schedule.warmup_epochs"].Trim() != "0") schedule["warmup_epochs"] = Value("recipe.schedule.warmup_epochs");
        var recipe = new JsonObject
        {
            ["epochs"] = Value("recipe.epochs"), ["batch_size"] = Value("recipe.batch_size"), ["seed"] = 42,
            ["optimizer"] = new JsonObject { ["name"] = Value("recipe.optimizer.name"), ["lr"] = Value("recipe.optimizer.lr") },
            ["schedule"] = schedule,
        };
        var preset = _values["recipe.augment"].Trim();
        if (Presets.TryGetValue(preset, out var augment)) { if (augment.Count > 0) recipe["augment"] = augment.DeepClone(); }
        else recipe["augment"] = new JsonArray(preset);   // an augmentation's own name; the validator says if it is not one
        if (Has("recipe.ema")) recipe["ema"] = Value("recipe.ema");
        if (Has("recipe.early_stopping.patience")) recipe["early_stopping"] = new JsonObject { ["metric"] = "val_top1", ["patience"] = Value("recipe.early_stopping.patience") };
        if (Has("recipe.target.value")) recipe["target"] = new JsonObject { ["metric"] = "val_top1", ["value"] = Value("recipe.target.value") };
        var doc = new JsonObject
        {
            ["name"] = Value("name"),
            ["dataset"] = dataset,
            ["models"] = new JsonArray(Models.Select(m => (JsonNode)m).ToArray()),
            ["recipe"] = recipe,
        };
        return doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>
    /// The suite, or the first error with the form's field it names (null where no field of the form matches: the models,
    /// say) and the parser's or validator's message without the file name. <paramref name="path"/> is where it would be saved.
    /// </summary>
    public (Suite? Suite, string? Field, string? Error) Check(SuiteRunner runner, string path)
    {
        try
        {
            if (Models.Count == 0) throw new ZooConfigException("models", "mark at least one variant in the catalogue (Space)");
            var suite = SuiteParser.Parse(ToJson(), path);
            runner.Validate(suite);
            return (suite, null, null);
        }
        catch (ZooConfigException e)
        {
            var file = System.IO.Path.GetFileName(path) + ": ";
            var where = e.Where.StartsWith(file, StringComparison.Ordinal) ? e.Where[file.Length..] : e.Where;
            var message = e.Message.StartsWith(e.Where + ": ", StringComparison.Ordinal) ? e.Message[(e.Where.Length + 2)..] : e.Message;
            return (null, FieldOf(where), $"{where}: {message}");
        }
    }

    /// <summary>The form's field an error's place names: the longest field path it starts with ("recipe.augment[0].p" → "recipe.augment").</summary>
    static string? FieldOf(string where)
    {
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
}
