using System.Reflection;

// Tests share TorchSharp's process-wide state (default device, seeds) and both cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Zoo.Host.Tests;

/// <summary>Paths the build baked into this assembly, and temporary folders.</summary>
static class TestEnvironment
{
    /// <summary>A catalogue of the built-in families and the host's own plugin, loaded.</summary>
    public static Zoo.Engine.Plugins.PluginCatalog Catalog()
    {
        var c = new Zoo.Engine.Plugins.PluginCatalog(new[] { PluginDrop }, new[] { new Zoo.Engine.Plugins.BuiltInPlugin() });
        c.Refresh();
        return c;
    }

    /// <summary>Tests never download and never touch the user's data or caches.</summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Isolate()
    {
        Environment.SetEnvironmentVariable("ZOO_DATA_DIR", NewTempDirectory("zoo-test-data"));
        Environment.SetEnvironmentVariable("ZOO_CACHE", CacheDirectory);
        Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", ConfigDirectory);   // plugin settings (zoo plugins disable)
        Zoo.Engine.Data.Downloads.Handler = new Offline();
    }

    sealed class Offline : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException($"tests never download ({request.RequestUri})");
    }

    static string Meta(string key) =>
        typeof(TestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The built-in families' plugin folders (Classic/, Lightweight/, Modern/).</summary>
    public static string PluginDrop => Path.GetFullPath(Meta("ZooPluginDrop"));

    /// <summary>The failing fixture plugins' folders.</summary>
    public static string Fixtures => Path.GetFullPath(Meta("ZooFixtures"));

    /// <summary>The built zoo command (zoo.dll, with plugins/ beside it).</summary>
    public static string ZooDll => Path.GetFullPath(Meta("ZooHost"));

    /// <summary>Runs the zoo command and returns its exit code, standard output and standard error.</summary>
    public static (int Code, string Out, string Err) RunZoo(params string[] args) => RunZoo(new Dictionary<string, string?>(), args);

    /// <summary>Runs the zoo command with some environment variables set (or removed, where the value is null).</summary>
    public static (int Code, string Out, string Err) RunZoo(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(ZooDll);
        psi.Environment["ZOO_CACHE_DIR"] = CacheDirectory;
        psi.Environment["ZOO_DATA_DIR"] = Environment.GetEnvironmentVariable("ZOO_DATA_DIR");
        psi.Environment["XDG_CONFIG_HOME"] = ConfigDirectory;
        foreach (var (name, value) in environment)
            if (value is null) psi.Environment.Remove(name); else psi.Environment[name] = value;
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        // A guard against a hang, not a speed check: a cold `list --json` computes every variant's GMACs (2-3 min of CPU), and CI runs test assemblies side by side on 2 cores.
        if (!p.WaitForExit(TimeSpan.FromMinutes(15))) { p.Kill(true); throw new TimeoutException($"zoo {string.Join(' ', args)} did not finish in 15 minutes"); }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>One cache folder (model facts, decoded image folders) for the whole test run, so the user's own is never touched.</summary>
    public static readonly string CacheDirectory = NewTempDirectory("zoo-test-cache");

    /// <summary>One config folder for the whole test run (plugin settings), so the user's own is never touched.</summary>
    public static readonly string ConfigDirectory = NewTempDirectory("zoo-test-config");

    /// <summary>The repository root.</summary>
    public static string Root => Path.GetFullPath(Meta("ZooRoot"));

    /// <summary>A new empty folder under the system temp folder.</summary>
    public static string NewTempDirectory(string prefix = "zoo-test")
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Copies every file of <paramref name="source"/> into <paramref name="destination"/>.</summary>
    public static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var f in Directory.GetFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(destination, Path.GetRelativePath(source, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target, overwrite: true);
        }
    }
}
