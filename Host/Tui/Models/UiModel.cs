using System.Globalization;
using System.Text;
using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Suites;

namespace Zoo.Tui;

/// <summary>One row of the catalogue list.</summary>
public sealed record CatalogueRow(VariantEntry Entry, long Parameters)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Entry.Variant.Name,-22} {Entry.Architecture.Family,-11} {Parameters / 1e6,8:F2} M");
}

/// <summary>
/// What the terminal UI shows and does, without Terminal.Gui: the catalogue rows, a variant's details,
/// the suite a set of marked variants makes, and a suite run whose progress lines arrive on a callback.
/// The views only lay this out, so this is what the tests exercise.
/// </summary>
public sealed class UiModel
{
    readonly PluginCatalog _catalog;
    readonly SuiteRunner _runner;

    public UiModel(PluginCatalog catalog, SuiteRunner runner)
    {
        _catalog = catalog;
        _runner = runner;
    }

    /// <summary>Every variant, by family then name, with its reference parameter count.</summary>
    public IReadOnlyList<CatalogueRow> Rows() => _catalog.Variants
        .Select(e => new CatalogueRow(e, SafeCount(e)))
        .OrderBy(r => r.Entry.Architecture.Family, StringComparer.Ordinal).ThenBy(r => r.Entry.Variant.Name, StringComparer.Ordinal)
        .ToList();

    static long SafeCount(VariantEntry e)
    {
        try { return e.Architecture.CountReferenceParameters(e.Variant); }
        catch (Exception) { return 0; }
    }

    /// <summary>The details pane for a variant; with <paramref name="summary"/>, also its describe totals.</summary>
    public string Details(CatalogueRow row, ModelSummary? summary = null)
    {
        var e = row.Entry;
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine($"{e.Variant.Name} — {e.Variant.Summary}");
        sb.AppendLine($"{e.Architecture.Name} ({e.Architecture.Family}), plugin {e.Plugin.Name}");
        sb.AppendLine($"{e.Architecture.Paper}, {e.Architecture.Year}");
        sb.AppendLine();
        sb.AppendLine(string.Create(inv, $"Parameters: {row.Parameters:N0} at {e.Variant.DefaultInput}, {e.Variant.DefaultClasses} classes"));
        if (e.Variant.ReferenceParameters is { } rp)
            sb.AppendLine(string.Create(inv, $"Reference: {rp:N0} ({e.Variant.ReferenceSource}){(rp == row.Parameters ? " — equal" : " — DIFFERS")}"));
        if (e.Variant.DefaultDropout is { } d) sb.AppendLine(string.Create(inv, $"Default dropout: {d:G3}"));
        if (e.Variant.DefaultStochasticDepth is { } sd) sb.AppendLine(string.Create(inv, $"Default stochastic depth: {sd:G3}"));
        sb.AppendLine();
        sb.AppendLine(e.Architecture.Description);
        if (summary is not null)
        {
            sb.AppendLine();
            sb.AppendLine(string.Create(inv, $"At {summary.Input}, {summary.Classes} classes: {summary.GMacs:F3} GMACs, {summary.Layers.Count} layers,"));
            sb.AppendLine(string.Create(inv, $"params {summary.ParametersMb:F2} MB, forward/backward activations {summary.ActivationsMb:F2} MB."));
        }
        else sb.AppendLine().AppendLine("Enter: compute GMACs and sizes (runs one forward pass).");
        return sb.ToString();
    }

    /// <summary>
    /// A comparison of the marked variants on the built-in data set: grey 28×28 for a quick look, AdamW with
    /// warm-up and cosine, seeded. Written as a suite file so it can be rerun headless.
    /// </summary>
    public static string SuiteFor(IEnumerable<string> variants, int epochs = 3, int size = 28, int channels = 1, int train = 2000)
    {
        var list = variants.ToList();
        if (list.Count == 0) throw new ZooConfigException("ui", "mark at least one variant (Space) to compare");
        var doc = new Dictionary<string, object>
        {
            ["name"] = "ui-comparison",
            ["dataset"] = new Dictionary<string, object> { ["name"] = "shapes", ["channels"] = channels, ["size"] = size, ["seed"] = 1, ["train"] = train, ["val"] = train / 5, ["test"] = train / 5 },
            ["models"] = list,
            ["recipe"] = new Dictionary<string, object>
            {
                ["epochs"] = epochs, ["batch_size"] = 32, ["seed"] = 42,
                ["optimizer"] = new Dictionary<string, object> { ["name"] = "adamw", ["lr"] = 0.002, ["weight_decay"] = 0.05 },
                ["schedule"] = new Dictionary<string, object> { ["name"] = "cosine", ["warmup_epochs"] = 0.5 },
            },
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Parses and checks a suite file before anything runs; the error names the file and field.</summary>
    public Suite Load(string path)
    {
        var suite = SuiteParser.Load(path);
        _runner.Validate(suite);
        return suite;
    }

    /// <summary>Runs a suite on the calling thread, sending every progress line to <paramref name="line"/>; returns the comparison.</summary>
    public static SuiteResult Run(PluginCatalog catalog, Suite suite, string outputDirectory, Action<string> line, CancellationToken cancel) =>
        new SuiteRunner(catalog, new LineWriter(line)).Run(suite, outputDirectory, cancel);

    /// <summary>A TextWriter that hands over whole lines.</summary>
    sealed class LineWriter : TextWriter
    {
        readonly Action<string> _line;
        readonly StringBuilder _pending = new();

        public LineWriter(Action<string> line) => _line = line;
        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n') { _line(_pending.ToString().TrimEnd('\r')); _pending.Clear(); }
            else _pending.Append(value);
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "") Write(c);
        }

        public override void WriteLine(string? value)
        {
            Write(value);
            Write('\n');
        }
    }
}
