using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;

namespace Zoo.Engine.Inspection;

/// <summary>One variant of the catalogue with its parameter count at its reference configuration, or why it could not be counted.</summary>
public sealed record CatalogueRow(VariantEntry Entry, long? Parameters, string? Error)
{
    public string Name => Entry.Variant.Name;
}

/// <summary>
/// The catalogue at one moment, as every front-end shows it: variants (by family, then name) with their
/// reference parameter counts, plugins, load failures, name conflicts, and the other contributions. `zoo list`,
/// `zoo list --json`, `zoo watch` and the terminal UI all render this one model.
/// </summary>
public sealed record CatalogueView(
    IReadOnlyList<CatalogueRow> Variants,
    IReadOnlyList<LoadedPlugin> Plugins,
    IReadOnlyList<PluginFailure> Failures,
    IReadOnlyList<string> Conflicts,
    IReadOnlyList<string> Directories,
    PluginCatalog Catalog)
{
    /// <summary>Takes the catalogue as it is now; a variant whose model cannot be built gets its error instead of a count.</summary>
    public static CatalogueView Of(PluginCatalog catalog)
    {
        var rows = catalog.Variants
            .Select(e =>
            {
                try { return new CatalogueRow(e, e.Architecture.CountReferenceParameters(e.Variant), null); }
                catch (Exception ex) { return new CatalogueRow(e, null, $"{ex.GetType().Name}: {ex.Message}"); }
            })
            .OrderBy(r => r.Entry.Architecture.Family, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)
            .ToList();
        return new CatalogueView(rows, catalog.Plugins, catalog.Failures, catalog.Conflicts, catalog.Directories, catalog);
    }

    /// <summary>Plugins that contribute at least one architecture.</summary>
    public IEnumerable<LoadedPlugin> ArchitecturePlugins => Plugins.Where(p => p.Architectures.Count > 0);

    /// <summary>The catalogue as an aligned text table, then a line on the other contributions and one per plugin.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var table = new List<string[]> { new[] { "VARIANT", "ARCHITECTURE", "FAMILY", "PLUGIN", "PARAMS", "AT", "PAPER" } };
        foreach (var r in Variants)
        {
            var e = r.Entry;
            table.Add(new[]
            {
                e.Variant.Name, e.Architecture.Name, e.Architecture.Family, e.Plugin.Name, r.Parameters?.ToString("N0", inv) ?? "error",
                $"{e.Variant.DefaultInput}/{e.Variant.DefaultClasses}", $"{e.Architecture.Year}",
            });
        }
        var widths = Enumerable.Range(0, table[0].Length).Select(i => table.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in table)
            sb.AppendLine(string.Join("  ", r.Select((c, i) => i == 4 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        sb.AppendLine();
        var c = Catalog;
        sb.AppendLine($"{Variants.Count} variants from {ArchitecturePlugins.Count()} plugin assemblies; data sets: {string.Join(", ", c.Datasets.Select(d => d.Name))}; optimisers: {string.Join(", ", c.Optimizers.Select(o => o.Name))}; schedules: {string.Join(", ", c.Schedules.Select(s => s.Name))}; augmentations: {string.Join(", ", c.Augmentations.Select(a => a.Name))}; batch augmentations: {string.Join(", ", c.BatchAugmentations.Select(a => a.Name))} (`zoo list --parameters` gives each one's parameters with their defaults and allowed values).");
        foreach (var p in ArchitecturePlugins) sb.AppendLine($"  plugin {p.Name}: {p.Path}");
        return sb.ToString();
    }

    /// <summary>One line per problem: a variant that cannot be built, a plugin that failed to load, a name conflict.</summary>
    public IEnumerable<string> Problems() =>
        Variants.Where(r => r.Error is not null).Select(r => $"variant {r.Name} cannot be built: {r.Error}")
            .Concat(Failures.Select(f => $"plugin failed: {f.Path}: {f.Reason}"))
            .Concat(Conflicts.Select(c => $"conflict: {c}"))
            .Concat(Catalog.Statuses.Where(s => s.State is PluginState.Disabled or PluginState.Superseded).Select(s => $"plugin {PluginStatusView.State(s.State)}: {s.Path}: {s.Reason}"));

    /// <summary>
    /// The machine-readable catalogue (`zoo list --json`); with <paramref name="macs"/>, each variant's GMACs at its
    /// reference input (null where it cannot be computed).
    /// </summary>
    public JsonObject ToJson(Func<VariantEntry, long>? macs = null)
    {
        double? Gmacs(VariantEntry e)
        {
            if (macs is null) return null;
            try { return macs(e) / 1e9; }
            catch (Exception) { return null; }
        }
        var c = Catalog;
        return new JsonObject
        {
            ["contract_version"] = ZooContract.Version,
            ["plugins"] = new JsonArray(Plugins.Select(p => (JsonNode?)new JsonObject { ["name"] = p.Name, ["path"] = p.Path }).ToArray()),
            ["failures"] = new JsonArray(Failures.Select(f => (JsonNode?)new JsonObject { ["path"] = f.Path, ["reason"] = f.Reason }).ToArray()),
            ["conflicts"] = new JsonArray(Conflicts.Select(x => (JsonNode?)x).ToArray()),
            // The same as `zoo plugins --json`: every plugin found, with its state, reason and manifest.
            ["plugin_status"] = PluginStatusView.ToJson(c.Statuses),
            ["variants"] = new JsonArray(Variants.Select(r => (JsonNode?)new JsonObject
            {
                ["name"] = r.Name,
                ["summary"] = r.Entry.Variant.Summary,
                ["architecture"] = r.Entry.Architecture.Name,
                ["family"] = r.Entry.Architecture.Family,
                ["paper"] = r.Entry.Architecture.Paper,
                ["year"] = r.Entry.Architecture.Year,
                ["plugin"] = r.Entry.Plugin.Name,
                ["plugin_path"] = r.Entry.Plugin.Path,
                ["reference_input"] = r.Entry.Variant.DefaultInput.ToString(),
                ["reference_classes"] = r.Entry.Variant.DefaultClasses,
                ["parameters"] = r.Parameters,
                ["error"] = r.Error,
                ["gmacs"] = r.Error is null ? Gmacs(r.Entry) : null,
                ["reference_parameters"] = r.Entry.Variant.ReferenceParameters,
                ["reference_source"] = r.Entry.Variant.ReferenceSource,
                ["options"] = Parameters(OptionsOf(r.Entry.Architecture)),
            }).ToArray()),
            ["datasets"] = Described(c.Datasets.Select(d => (d.Name, d.Description, d.Parameters))),
            ["optimizers"] = Described(c.Optimizers.Select(d => (d.Name, d.Description, d.Parameters))),
            ["schedules"] = Described(c.Schedules.Select(d => (d.Name, d.Description, d.Parameters))),
            ["augmentations"] = Described(c.Augmentations.Select(d => (d.Name, d.Description, d.Parameters))),
            ["batch_augmentations"] = Described(c.BatchAugmentations.Select(d => (d.Name, d.Description, d.Parameters))),
        };
    }

    /// <summary>Names with their description and parameters (name, type, default, meaning), as suite files use them.</summary>
    static JsonArray Described(IEnumerable<(string Name, string Description, IReadOnlyList<ParameterInfo> Parameters)> items) =>
        new(items.Select(i => (JsonNode?)new JsonObject
        {
            ["name"] = i.Name,
            ["description"] = i.Description,
            ["parameters"] = Parameters(i.Parameters),
        }).ToArray());

    /// <summary>Each parameter as declared: name, type, default, bounds or choices, the allowed values in words, meaning.</summary>
    static JsonArray Parameters(IReadOnlyList<ParameterInfo> parameters) =>
        new(parameters.Select(p => (JsonNode?)new JsonObject
        {
            ["name"] = p.Name, ["type"] = p.Type, ["default"] = p.Default, ["min"] = p.Min, ["max"] = p.Max,
            ["choices"] = p.Choices is null ? null : new JsonArray(p.Choices.Select(c => (JsonNode?)c).ToArray()),
            ["allowed"] = p.Allowed, ["description"] = p.Description,
        }).ToArray());

    /// <summary>An architecture's declared options (contract 1.4), or none.</summary>
    static IReadOnlyList<ParameterInfo> OptionsOf(IArchitecture architecture) =>
        architecture is IArchitectureOptions o ? o.Options : Array.Empty<ParameterInfo>();

    /// <summary>
    /// Every parameter a suite file can set, as Markdown tables (`zoo list --parameters`, docs/parameters.md): the suite's
    /// own fields, then each data set's, optimiser's, schedule's, augmentation's and architecture's, from their declarations.
    /// </summary>
    public string ParametersMarkdown()
    {
        var sb = new StringBuilder();
        static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
        void Table(string heading, string note, IEnumerable<(string Owner, ParameterInfo P)> rows, string ownerColumn)
        {
            var list = rows.ToList();
            sb.AppendLine($"## {heading}").AppendLine().AppendLine(note).AppendLine();
            if (list.Count == 0) { sb.AppendLine("None.").AppendLine(); return; }
            sb.AppendLine($"| {ownerColumn} | parameter | type | default | allowed | meaning |");
            sb.AppendLine("|---|---|---|---|---|---|");
            foreach (var (owner, p) in list)
                sb.AppendLine($"| {Cell(owner)} | `{Cell(p.Name)}` | {p.Type} | {(p.Default.Length == 0 ? "" : $"`{Cell(p.Default)}`")} | {Cell(p.Allowed)} | {Cell(p.Description)} |");
            sb.AppendLine();
        }
        static IEnumerable<(string, ParameterInfo)> Of(IEnumerable<(string Name, IReadOnlyList<ParameterInfo> Parameters)> items) =>
            items.SelectMany(i => i.Parameters.Select(p => (i.Name, p)));
        var c = Catalog;
        Table("Suite fields", "The suite file's own fields (at its top level, in `dataset` and in `recipe`); a field left out takes the default.",
            Suites.SuiteFields.All.Select(f => (f.Section, f.Field)), "in");
        Table("Data sets", "Under `dataset`, beside its `name`.", Of(c.Datasets.Select(d => (d.Name, d.Parameters))), "data set");
        Table("Optimisers", "Under `recipe.optimizer`, beside its `name` and `lr`.", Of(c.Optimizers.Select(o => (o.Name, o.Parameters))), "optimiser");
        Table("Schedules", "Under `recipe.schedule`, beside its `name`, `warmup_epochs` and `warmup_start_factor`.", Of(c.Schedules.Select(o => (o.Name, o.Parameters))), "schedule");
        Table("Augmentations", "Each an entry of `recipe.augment`: `{ \"name\": …, parameters }`.", Of(c.Augmentations.Select(o => (o.Name, o.Parameters))), "augmentation");
        Table("Batch augmentations", "Each an entry of `recipe.batch_augment`.", Of(c.BatchAugmentations.Select(o => (o.Name, o.Parameters))), "batch augmentation");
        Table("Architecture options", "Under a model entry's `options`; every variant of the architecture takes them.",
            Of(Variants.Select(r => r.Entry.Architecture).DistinctBy(a => a.Name).Select(a => (a.Name, OptionsOf(a)))), "architecture");
        return sb.ToString().TrimEnd() + "\n";
    }
}
