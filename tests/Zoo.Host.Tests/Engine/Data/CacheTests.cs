using SkiaSharp;
using Zoo.Engine.Data;

namespace Zoo.Host.Tests;

/// <summary>Every cache follows one rule (<see cref="ZooPaths"/>): $ZOO_CACHE, else the run's results folder, else ~/.cache/zoo.</summary>
public sealed class CacheTests
{
    static void WritePng(string path, SKColor colour)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var bmp = new SKBitmap(12, 12);
        bmp.Erase(colour);
        using var data = bmp.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
    }

    static string[] Caches(string folder) =>
        Directory.Exists(folder) ? Directory.GetFiles(folder, "*.zoocache", SearchOption.AllDirectories) : Array.Empty<string>();

    [Fact]
    public void A_suites_image_folder_cache_goes_to_ZOO_CACHE_or_the_results_folder_and_never_to_the_home_cache()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        for (int i = 0; i < 4; i++)
        {
            WritePng(Path.Combine(dir, "photos", "red", $"r{i}.png"), new SKColor((byte)(200 + i), 0, 0));
            WritePng(Path.Combine(dir, "photos", "blue", $"b{i}.png"), new SKColor(0, 0, (byte)(200 + i)));
        }
        var suite = Path.Combine(dir, "suite.json");
        File.WriteAllText(suite, """
            { "name": "cache", "dataset": { "name": "folder", "path": "photos", "channels": 1, "size": 16, "val_fraction": 0.25 },
              "models": [ { "variant": "lenet5", "options": { "activation": "relu", "pool": "max" } } ],
              "recipe": { "epochs": 1, "batch_size": 4 } }
            """);
        // A home folder of its own, and none of the cache variables the test process has.
        var home = Path.Combine(dir, "home");
        Directory.CreateDirectory(home);
        var env = new Dictionary<string, string?> { ["HOME"] = home, ["XDG_CACHE_HOME"] = null, ["ZOO_CACHE"] = null, ["ZOO_CACHE_DIR"] = null };

        var results = Path.Combine(dir, "results");
        var (code, _, err) = TestEnvironment.RunZoo(env, "run-suite", suite, "--out", results);
        Assert.True(code == 0, err);
        Assert.Single(Caches(Path.Combine(results, ".cache")));
        Assert.Empty(Caches(home));

        var shared = Path.Combine(dir, "shared-cache");
        var results2 = Path.Combine(dir, "results2");
        (code, _, err) = TestEnvironment.RunZoo(new Dictionary<string, string?>(env) { ["ZOO_CACHE"] = shared }, "run-suite", suite, "--out", results2);
        Assert.True(code == 0, err);
        Assert.Single(Caches(shared));
        Assert.Contains(shared, err);   // the progress says where the decoded images went
        Assert.False(Directory.Exists(Path.Combine(results2, ".cache")));
        Assert.Empty(Caches(home));
    }

    [Fact]
    public void ZOO_CACHE_wins_ZOO_CACHE_DIR_still_works_and_XDG_CACHE_HOME_is_the_default()
    {
        var saved = new[] { "ZOO_CACHE", "ZOO_CACHE_DIR", "XDG_CACHE_HOME" }.ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("ZOO_CACHE", null);
            Environment.SetEnvironmentVariable("ZOO_CACHE_DIR", null);
            Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/tmp/xdg");
            Assert.Equal("/tmp/xdg/zoo", ZooPaths.Cache);
            Assert.Equal("/r/.cache", ZooPaths.CacheForRun("/r"));

            Environment.SetEnvironmentVariable("ZOO_CACHE_DIR", "/tmp/old-name");
            Assert.Equal("/tmp/old-name", ZooPaths.Cache);
            Assert.Equal("/tmp/old-name", ZooPaths.CacheForRun("/r"));

            Environment.SetEnvironmentVariable("ZOO_CACHE", "/tmp/new-name");
            Assert.Equal("/tmp/new-name", ZooPaths.Cache);
            Assert.Equal("/tmp/new-name", ZooPaths.CacheForRun("/r"));
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }
}
