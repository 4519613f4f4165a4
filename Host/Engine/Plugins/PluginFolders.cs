using System.Security.Cryptography;
using System.Text;

namespace Zoo.Engine.Plugins;

/// <summary>
/// What the plugin directories hold: each plugin's main assembly and a fingerprint of the files that make it up
/// (paths, sizes and times), so that the catalogue sees a new, rebuilt or deleted plugin without loading anything.
/// A sub-folder of a plugin directory is one plugin (its main assembly is the one its manifest names, else the one
/// with a .deps.json beside it, else the one named like the folder, else the only .dll); a .dll directly in a
/// plugin directory is a plugin of its own.
/// </summary>
static class PluginFolders
{
    /// <summary>Main assembly path → fingerprint of the files that make up that plugin.</summary>
    public static Dictionary<string, string> Discover(IReadOnlyList<string> directories)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in directories)
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var dll in SafeFiles(dir, "*.dll"))
                result[dll] = Fingerprint(new[] { dll, System.IO.Path.ChangeExtension(dll, ".deps.json") });
            foreach (var sub in SafeDirectories(dir))
            {
                var main = MainAssembly(sub);
                if (main is null) continue;
                result[main] = Fingerprint(SafeFiles(sub, "*", SearchOption.AllDirectories));
            }
        }
        return result;
    }

    static string? MainAssembly(string folder)
    {
        var dlls = SafeFiles(folder, "*.dll");
        if (dlls.Length == 0) return null;
        // The manifest names the main assembly when there is one (a bad manifest is reported when the plugin is planned).
        try
        {
            if (PluginManifest.ReadIn(folder) is { Assembly: { } a } && File.Exists(System.IO.Path.Combine(folder, a))) return System.IO.Path.Combine(folder, a);
        }
        catch (Exception e) when (e is PluginLoadException or IOException) { }
        var withDeps = dlls.Where(d => File.Exists(System.IO.Path.ChangeExtension(d, ".deps.json"))).ToArray();
        if (withDeps.Length == 1) return withDeps[0];
        var named = System.IO.Path.Combine(folder, System.IO.Path.GetFileName(folder) + ".dll");
        if (File.Exists(named)) return named;
        if (dlls.Length == 1) return dlls[0];
        return withDeps.FirstOrDefault() ?? dlls.OrderBy(d => d, StringComparer.Ordinal).First();
    }

    public static string[] SafeFiles(string dir, string pattern, SearchOption option = SearchOption.TopDirectoryOnly)
    {
        try { return Directory.GetFiles(dir, pattern, option).OrderBy(f => f, StringComparer.Ordinal).ToArray(); }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    static string[] SafeDirectories(string dir)
    {
        try { return Directory.GetDirectories(dir).OrderBy(f => f, StringComparer.Ordinal).ToArray(); }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    static string Fingerprint(IEnumerable<string> files)
    {
        var sb = new StringBuilder();
        foreach (var f in files)
        {
            try
            {
                var info = new FileInfo(f);
                if (info.Exists) sb.Append(f).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
            }
            catch (IOException) { }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }
}
