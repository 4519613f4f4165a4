using System.Reflection;

// Tests share TorchSharp's process-wide state (default device, seeds) and both cores: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace Zoo.Host.Tests;

/// <summary>Paths the build baked into this assembly, and temporary folders.</summary>
static class TestEnvironment
{
    static string Meta(string key) =>
        typeof(TestEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    /// <summary>The built-in families' plugin folders (Classic/, Lightweight/, Modern/).</summary>
    public static string PluginDrop => Path.GetFullPath(Meta("ZooPluginDrop"));

    /// <summary>The failing fixture plugins' folders.</summary>
    public static string Fixtures => Path.GetFullPath(Meta("ZooFixtures"));

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
