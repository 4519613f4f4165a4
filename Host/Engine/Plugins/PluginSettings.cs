using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Results;

namespace Zoo.Engine.Plugins;

/// <summary>
/// The user's plugin choices, kept in <c>$XDG_CONFIG_HOME/zoo/plugins.json</c> (else <c>~/.config/zoo/plugins.json</c>):
/// the names of the disabled plugins. It lives in the user's config folder, not in a plugin folder, because
/// the built-in plugin folder sits beside the zoo executable and is rewritten by every build, a plugin folder
/// may be read-only, and a name is disabled whichever folder the plugin is dropped into.
/// </summary>
public sealed class PluginSettings
{
    /// <summary>Settings kept in <paramref name="path"/> (the file need not exist yet).</summary>
    public PluginSettings(string path) => Path = System.IO.Path.GetFullPath(path);

    /// <summary>$XDG_CONFIG_HOME/zoo/plugins.json, else ~/.config/zoo/plugins.json.</summary>
    public static string DefaultPath =>
        System.IO.Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } x
            ? x : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "zoo", "plugins.json");

    /// <summary>The settings file.</summary>
    public string Path { get; }

    sealed record Document(List<string>? Disabled);

    /// <summary>The disabled plugin names as the file has them now (read on every call: another zoo may have changed it).</summary>
    public IReadOnlySet<string> Disabled()
    {
        if (!File.Exists(Path)) return new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        Document? doc;
        try { doc = JsonSerializer.Deserialize<Document>(File.ReadAllText(Path), ZooJson.Options); }
        catch (JsonException e) { throw new ZooConfigException(Path, $"not valid JSON ({e.Message}); fix it or delete it (it only lists disabled plugins: {{\"disabled\": [\"Name\"]}})"); }
        return new HashSet<string>(doc?.Disabled?.Where(n => !string.IsNullOrWhiteSpace(n)) ?? Enumerable.Empty<string>(), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Disables or enables <paramref name="name"/>; returns false when it already was so.</summary>
    public bool SetDisabled(string name, bool disabled)
    {
        var names = new SortedSet<string>(Disabled(), StringComparer.OrdinalIgnoreCase);
        if (!(disabled ? names.Add(name) : names.Remove(name))) return false;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var tmp = Path + ".zoo-tmp";
        File.WriteAllText(tmp, JsonSerializer.Serialize(new Document(names.ToList()), ZooJson.Options));
        File.Move(tmp, Path, overwrite: true);
        return true;
    }
}
