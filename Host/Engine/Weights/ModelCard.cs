using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Engine.Weights;

/// <summary>
/// Everything needed to rebuild a trained model and feed it as it was fed in training: the variant, its
/// input shape and class count, its options and regularisation settings, the normalisation and resize of
/// its data set, the class names, and the plugin that built it. Every weights file a run writes
/// (<c>best</c>, <c>ema</c>) carries it in its safetensors metadata, so <c>zoo predict</c> builds the same
/// network rather than the variant's default (LeNet-5 with relu and max-pooling has tanh/avg-pooling's
/// keys and shapes: its weights would load silently into the wrong network).
/// </summary>
/// <remarks>
/// This record is the one place the metadata's shape is defined. safetensors metadata is string → string,
/// so lists and the options are JSON text. Keys are snake_case: <c>zoo_model_card</c> (the version of
/// this shape, "1"), <c>variant</c>, <c>channels</c>, <c>classes</c>, <c>height</c>, <c>width</c>,
/// <c>options</c> (a JSON object of the option values as the suite gave them), <c>dropout</c>,
/// <c>stochastic_depth</c>, <c>layer_scale</c> (only when set), <c>mean</c>, <c>std</c> (JSON arrays, one
/// number per channel), <c>normalization</c> (dataset, imagenet or none), <c>resize</c> (crop or squash),
/// <c>class_names</c> (a JSON array), <c>plugin</c>, <c>plugin_version</c>.
/// </remarks>
public sealed record ModelCard(string Variant, int Channels, int Classes, int Height, int Width)
{
    /// <summary>The metadata key that marks a file as carrying a card, and the version of its shape.</summary>
    public const string VersionKey = "zoo_model_card";
    const string Version = "1";

    /// <summary>The architecture's options (values as text, as a suite's parameter bag holds them).</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    public double? Dropout { get; init; }
    public double? StochasticDepth { get; init; }
    public double? LayerScale { get; init; }
    /// <summary>Per-channel mean and standard deviation the inputs were normalised with.</summary>
    public IReadOnlyList<float> Mean { get; init; } = Array.Empty<float>();
    public IReadOnlyList<float> Std { get; init; } = Array.Empty<float>();
    /// <summary>Where <see cref="Mean"/> and <see cref="Std"/> come from: dataset, imagenet or none.</summary>
    public string Normalization { get; init; } = "dataset";
    /// <summary>How an image of another size becomes Height×Width: crop (shorter side, then centre crop) or squash.</summary>
    public string Resize { get; init; } = "crop";
    /// <summary>The class names in index order (empty when unknown).</summary>
    public IReadOnlyList<string> ClassNames { get; init; } = Array.Empty<string>();
    /// <summary>The plugin that built the model, and its assembly's version.</summary>
    public string? Plugin { get; init; }
    public string? PluginVersion { get; init; }

    /// <summary>The spec that rebuilds the model; <paramref name="where"/> prefixes option errors.</summary>
    public ModelSpec ToSpec(string where) => new(Variant, Channels, Classes, Height, Width)
    {
        Dropout = Dropout, StochasticDepth = StochasticDepth, LayerScale = LayerScale,
        Options = new ParameterBag(Options, where),
    };

    /// <summary>The card of a suite's run: the model as built for the data set as opened.</summary>
    public static ModelCard ForRun(VariantEntry found, ModelSpec spec, DatasetSummary data, DatasetSpec dataset) =>
        new(found.Variant.Name, spec.Channels, spec.Classes, spec.Height, spec.Width)
        {
            Options = spec.Options.Keys.ToDictionary(k => k, k => spec.Options.Raw(k)!, StringComparer.Ordinal),
            Dropout = spec.Dropout, StochasticDepth = spec.StochasticDepth, LayerScale = spec.LayerScale,
            Mean = data.Mean.ToArray(), Std = data.Std.ToArray(), Normalization = data.Normalization,
            Resize = dataset.Options.Raw("resize") is "squash" ? "squash" : "crop",
            ClassNames = data.Classes.ToArray(),
            Plugin = found.Plugin.Name, PluginVersion = AssemblyVersion(found.Architecture.GetType().Assembly),
        };

    /// <summary>The version a plugin assembly states (informational version where it has one).</summary>
    public static string? AssemblyVersion(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString();

    /// <summary>The card as safetensors metadata, with <paramref name="extra"/> entries (epoch, EMA decay) after it.</summary>
    public Dictionary<string, string> ToMetadata(params (string Key, string Value)[] extra)
    {
        var inv = CultureInfo.InvariantCulture;
        var meta = new Dictionary<string, string>
        {
            [VersionKey] = Version,
            ["variant"] = Variant,
            ["channels"] = Channels.ToString(inv),
            ["classes"] = Classes.ToString(inv),
            ["height"] = Height.ToString(inv),
            ["width"] = Width.ToString(inv),
            ["options"] = JsonSerializer.Serialize(Options.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => kv.Value)),
            ["mean"] = JsonSerializer.Serialize(Mean),
            ["std"] = JsonSerializer.Serialize(Std),
            ["normalization"] = Normalization,
            ["resize"] = Resize,
            ["class_names"] = JsonSerializer.Serialize(ClassNames),
        };
        if (Dropout is { } d) meta["dropout"] = d.ToString("R", inv);
        if (StochasticDepth is { } s) meta["stochastic_depth"] = s.ToString("R", inv);
        if (LayerScale is { } l) meta["layer_scale"] = l.ToString("R", inv);
        if (Plugin is not null) meta["plugin"] = Plugin;
        if (PluginVersion is not null) meta["plugin_version"] = PluginVersion;
        foreach (var (key, value) in extra) meta[key] = value;
        return meta;
    }

    /// <summary>
    /// The card in a file's metadata, or null when the file has none (a torchvision export, or weights Zoo
    /// wrote before cards). A card that is there but damaged is a <see cref="ZooConfigException"/> naming
    /// <paramref name="path"/> and the key.
    /// </summary>
    public static ModelCard? FromMetadata(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(VersionKey, out var version)) return null;
        if (version != Version)
            throw new ZooConfigException(path, $"its model card is version {version}; this zoo reads version {Version} (a newer zoo wrote it?)");
        string Text(string key) => metadata.TryGetValue(key, out var v) ? v : throw new ZooConfigException(path, $"its model card has no \"{key}\"");
        int Int(string key) => int.TryParse(Text(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i > 0
            ? i : throw new ZooConfigException(path, $"model card \"{key}\": '{Text(key)}' is not a positive whole number");
        double? Number(string key) => !metadata.TryGetValue(key, out var v) ? null
            : double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d
            : throw new ZooConfigException(path, $"model card \"{key}\": '{v}' is not a number");
        T Json<T>(string key)
        {
            try { return JsonSerializer.Deserialize<T>(Text(key)) ?? throw new JsonException("null"); }
            catch (JsonException e) { throw new ZooConfigException(path, $"model card \"{key}\": not the JSON expected ({e.Message})"); }
        }
        var card = new ModelCard(Text("variant"), Int("channels"), Int("classes"), Int("height"), Int("width"))
        {
            Options = Json<Dictionary<string, string>>("options"),
            Dropout = Number("dropout"), StochasticDepth = Number("stochastic_depth"), LayerScale = Number("layer_scale"),
            Mean = Json<float[]>("mean"), Std = Json<float[]>("std"),
            Normalization = Text("normalization"), Resize = Text("resize"),
            ClassNames = Json<string[]>("class_names"),
            Plugin = metadata.GetValueOrDefault("plugin"), PluginVersion = metadata.GetValueOrDefault("plugin_version"),
        };
        if (card.Mean.Count != card.Channels || card.Std.Count != card.Channels)
            throw new ZooConfigException(path, $"model card: {card.Mean.Count} means and {card.Std.Count} standard deviations for {card.Channels} channels");
        if (card.ClassNames.Count is not 0 && card.ClassNames.Count != card.Classes)
            throw new ZooConfigException(path, $"model card: {card.ClassNames.Count} class names for {card.Classes} classes");
        if (card.Resize is not ("crop" or "squash"))
            throw new ZooConfigException(path, $"model card \"resize\": '{card.Resize}' is not crop or squash");
        return card;
    }
}
