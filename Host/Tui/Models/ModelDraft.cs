using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Suites;
using Zoo.Engine.Weights;

namespace Zoo.Tui;

/// <summary>
/// One model of the form: its variant, and the label, options, dropout and recipe overrides (epochs, learning rate) of
/// its entry. Like the suite's fields, an entry's fields the form does not show (weights, stochastic depth…) are kept.
/// </summary>
public sealed class ModelDraft
{
    /// <summary>The form's fields of a model entry.</summary>
    public static readonly IReadOnlyList<string> Fields = new[] { "label", "options", "dropout", "epochs", "lr" };

    /// <summary>A field's path inside the model entry.</summary>
    public static string PathOf(string field) => field switch { "epochs" => "recipe.epochs", "lr" => "recipe.optimizer.lr", _ => field };

    readonly Dictionary<string, string> _values = Fields.ToDictionary(f => f, _ => "");
    Dictionary<string, string> _loaded = new();
    JsonNode? _entry;   // as in the opened file: a variant name or an object

    public ModelDraft(string variant) => Variant = variant;

    public string Variant { get; private set; }

    /// <summary>The label the suite gives the model: its own, else the variant's name.</summary>
    public string Label => _values["label"].Trim() is { Length: > 0 } label ? label : Variant;

    /// <summary>The same entry (what the form shows and what it keeps) under another label.</summary>
    internal ModelDraft Copy(string label)
    {
        var copy = new ModelDraft(Variant) { _entry = _entry?.DeepClone(), _loaded = new Dictionary<string, string>(_loaded) };
        foreach (var (k, v) in _values) copy._values[k] = v;
        copy._values["label"] = label;
        return copy;
    }

    public string this[string field]
    {
        get => _values[field];
        set => _values[field] = value ?? "";
    }

    internal static ModelDraft From(JsonNode? entry)
    {
        var draft = new ModelDraft(entry is JsonObject o ? DraftJson.Text(o["variant"]) : DraftJson.Text(entry)) { _entry = entry?.DeepClone() };
        if (entry is JsonObject obj)
        {
            foreach (var f in Fields.Where(f => f != "options")) draft._values[f] = DraftJson.Text(DraftJson.At(obj, PathOf(f)));
            draft._values["options"] = obj["options"] is JsonObject opts ? string.Join(" ", opts.Select(p => $"{p.Key}={DraftJson.Text(p.Value)}")) : DraftJson.Text(obj["options"]);
        }
        draft._loaded = new Dictionary<string, string>(draft._values);
        return draft;
    }

    /// <summary>The options as a suite file has them: "activation=relu pool=max" → {"activation": "relu", "pool": "max"}.</summary>
    public static JsonObject ParseOptions(string text, string where)
    {
        var o = new JsonObject();
        foreach (var part in text.Split(new[] { ' ', ',', ';' }, StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new ZooConfigException(where, $"'{part}' is not key=value; write the options as e.g. activation=relu pool=max");
            o[part[..eq]] = DraftJson.Parse(part[(eq + 1)..]) ?? "";
        }
        return o;
    }

    internal JsonNode ToJson(int index, string? sourcePath, string? savePath)
    {
        bool Changed(string f) => !_loaded.TryGetValue(f, out var l) || l.Trim() != _values[f].Trim();
        var o = _entry as JsonObject is { } e ? (JsonObject)e.DeepClone() : new JsonObject { ["variant"] = Variant };
        foreach (var f in Fields.Where(Changed))
        {
            var text = _values[f].Trim();
            JsonNode? value = text.Length == 0 ? null
                : f == "options" ? ParseOptions(text, $"models[{index}].options")
                : f == "label" ? JsonValue.Create(text) : DraftJson.Parse(text);
            DraftJson.Set(o, PathOf(f), value);
        }
        foreach (var empty in new[] { "recipe.optimizer", "recipe" })
            if (DraftJson.At(o, empty) is JsonObject { Count: 0 }) DraftJson.Set(o, empty, null);
        // An opened file's relative weights file is read relative to that file: absolute once saved elsewhere.
        if (sourcePath is not null && savePath is not null && o["weights"] is JsonValue w && w.TryGetValue<string>(out var weights)
            && !PretrainedCatalog.IsCatalogueName(weights) && !Path.IsPathRooted(weights)
            && Path.GetDirectoryName(Path.GetFullPath(sourcePath)) != Path.GetDirectoryName(Path.GetFullPath(savePath)))
            o["weights"] = Path.GetFullPath(weights, Path.GetDirectoryName(Path.GetFullPath(sourcePath))!);
        // A bare variant stays a bare name, as a new entry or the file's string was.
        return o.Count == 1 && _entry is not JsonObject ? JsonValue.Create(Variant) : o;
    }

    /// <summary>The entry's fields the form does not show.</summary>
    internal IEnumerable<string> Unshown()
    {
        if (_entry is not JsonObject o) return Array.Empty<string>();
        var shown = new HashSet<string>(Fields.Where(f => f != "options").Select(PathOf)) { "variant", "options" };
        var list = new List<string>();
        void Walk(JsonNode? node, string path)
        {
            if (shown.Contains(path)) return;
            if (node is JsonObject child) foreach (var (k, v) in child) Walk(v, path.Length == 0 ? k : $"{path}.{k}");
            else list.Add(path);
        }
        Walk(o, "");
        return list;
    }
}
