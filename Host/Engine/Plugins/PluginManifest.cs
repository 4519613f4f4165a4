using System.Text.Json;
using Zoo.Engine.Results;

namespace Zoo.Engine.Plugins;

/// <summary>
/// What a plugin says about itself in zoo-plugin.json beside its assembly (written at build by
/// build/Zoo.PluginManifest.targets), read before the assembly is loaded: the host decides from it whether a
/// plugin is disabled or superseded without running any of its code.
/// </summary>
public sealed record PluginManifest(string Name, string? Version, string? Authors, string? Description, string? ContractVersion, string? Assembly)
{
    /// <summary>The file name the host looks for beside a plugin's main assembly.</summary>
    public const string FileName = "zoo-plugin.json";

    /// <summary>
    /// The manifest beside <paramref name="assemblyPath"/>, or null when there is none. A manifest that cannot
    /// be read is a <see cref="PluginLoadException"/> naming the file and what to fix.
    /// </summary>
    public static PluginManifest? ReadBeside(string assemblyPath)
    {
        var m = ReadIn(Path.GetDirectoryName(assemblyPath)!);
        // A manifest in a folder of loose plugin assemblies names the one it describes.
        return m is { Assembly: { } a } && !string.Equals(a, Path.GetFileName(assemblyPath), StringComparison.Ordinal) ? null : m;
    }

    /// <summary>The manifest in <paramref name="folder"/>, or null when there is none.</summary>
    public static PluginManifest? ReadIn(string folder)
    {
        var file = Path.Combine(folder, FileName);
        if (!File.Exists(file)) return null;
        PluginManifest? m;
        try { m = JsonSerializer.Deserialize<PluginManifest>(File.ReadAllText(file), ZooJson.Options); }
        catch (JsonException e) { throw new PluginLoadException($"{file} is not valid JSON ({e.Message}): rebuild the plugin, which writes it again"); }
        if (m is null || string.IsNullOrWhiteSpace(m.Name))
            throw new PluginLoadException($"{file} has no \"name\": rebuild the plugin, or give the project a <ZooPluginName>");
        return m with
        {
            Name = m.Name.Trim(), Version = Blank(m.Version), Authors = Blank(m.Authors), Description = Blank(m.Description),
            ContractVersion = Blank(m.ContractVersion), Assembly = Blank(m.Assembly),
        };
    }

    static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>
    /// Orders plugin versions: the numeric part (1.2.10 &gt; 1.2.9), then a release above its pre-releases
    /// (1.0.0 &gt; 1.0.0-beta), then the suffix as text. A missing version is the lowest.
    /// </summary>
    public static int CompareVersions(string? a, string? b)
    {
        if (a == b) return 0;
        if (a is null) return -1;
        if (b is null) return 1;
        var (na, sa) = Split(a);
        var (nb, sb) = Split(b);
        for (int i = 0; i < Math.Max(na.Length, nb.Length); i++)
        {
            var c = (i < na.Length ? na[i] : 0).CompareTo(i < nb.Length ? nb[i] : 0);
            if (c != 0) return c;
        }
        if (sa.Length == 0 && sb.Length == 0) return 0;
        if (sa.Length == 0) return 1;    // 1.0.0 is newer than 1.0.0-beta
        if (sb.Length == 0) return -1;
        return Math.Sign(string.CompareOrdinal(sa, sb));
    }

    static (long[] Numbers, string Suffix) Split(string v)
    {
        var plus = v.IndexOf('+');
        if (plus >= 0) v = v[..plus];   // build metadata does not order versions
        var dash = v.IndexOf('-');
        var numeric = dash >= 0 ? v[..dash] : v;
        var suffix = dash >= 0 ? v[(dash + 1)..] : "";
        var numbers = numeric.Split('.').Select(p => long.TryParse(p, out var n) ? n : 0).ToArray();
        return (numbers, suffix);
    }
}
