using System.Text;
using System.Text.Json.Nodes;
using Zoo.Engine.Plugins;

namespace Zoo.Engine.Inspection;

/// <summary>The plugins and their states as `zoo plugins` prints them, and as `zoo plugins --json` and `zoo list --json` carry them.</summary>
public static class PluginStatusView
{
    /// <summary>A table (name, state, version, contract, variants, path), then one line per plugin that is not simply loaded, with its reason.</summary>
    public static string ToText(IReadOnlyList<PluginStatus> statuses, string? settingsPath)
    {
        var table = new List<string[]> { new[] { "PLUGIN", "STATE", "VERSION", "CONTRACT", "VARIANTS", "PATH" } };
        foreach (var s in statuses)
            table.Add(new[] { s.Name, State(s.State), s.Version ?? "-", s.ContractVersion ?? "-", s.Variants.Count.ToString(), s.Path });
        var widths = Enumerable.Range(0, table[0].Length).Select(i => table.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in table)
            sb.AppendLine(string.Join("  ", r.Select((c, i) => i == 4 ? c.PadLeft(widths[i]) : c.PadRight(widths[i]))).TrimEnd());
        var problems = statuses.Where(s => s.Reason is not null).ToList();
        if (problems.Count > 0) sb.AppendLine();
        foreach (var s in problems) sb.AppendLine($"{s.Name} ({State(s.State)}): {s.Reason}");
        if (settingsPath is not null) sb.AppendLine().AppendLine($"disabled plugins are kept in {settingsPath} (`zoo plugins disable NAME`, `zoo plugins enable NAME`)");
        return sb.ToString();
    }

    /// <summary>The state's name as text and JSON give it.</summary>
    public static string State(PluginState state) => state.ToString().ToLowerInvariant();

    /// <summary>One object per plugin: name, state, reason, path, the manifest's fields, the contract version and the variants.</summary>
    public static JsonArray ToJson(IReadOnlyList<PluginStatus> statuses) =>
        new(statuses.Select(s => (JsonNode?)new JsonObject
        {
            ["name"] = s.Name,
            ["state"] = State(s.State),
            ["reason"] = s.Reason,
            ["path"] = s.Path,
            ["version"] = s.Version,
            ["authors"] = s.Manifest?.Authors,
            ["description"] = s.Manifest?.Description,
            ["contract_version"] = s.ContractVersion,
            ["manifest"] = s.Manifest is null ? null : new JsonObject
            {
                ["name"] = s.Manifest.Name,
                ["version"] = s.Manifest.Version,
                ["authors"] = s.Manifest.Authors,
                ["description"] = s.Manifest.Description,
                ["contract_version"] = s.Manifest.ContractVersion,
                ["assembly"] = s.Manifest.Assembly,
            },
            ["variants"] = new JsonArray(s.Variants.Select(v => (JsonNode?)v).ToArray()),
        }).ToArray());
}
