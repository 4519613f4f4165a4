using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zoo.Host.Tests;

/// <summary>
/// What a plugin author does (issue 14), in an empty folder outside the repository, offline: the zoo's packages are
/// packed into a local folder; docs/plugins.md's "Writing a plugin" steps run unchanged from there (dotnet new install of the
/// template, dotnet new zoo-plugin, build, the contract tests, zoo plugins and zoo list with the plugin folder); the
/// plugin is listed with its manifest; then it is broken (another contract major, a throwing ConfigureServices) and
/// `zoo plugins --json` says so with the reason. SLOW: two restores and builds, a test run, zoo list, and a rebuild
/// (the note of issue 14 has the times measured). The template engine gets its own home (DOTNET_CLI_HOME), and NuGet a
/// private packages folder that falls back on the user's: the user's template list and package cache stay untouched,
/// and a repacked Zoo package of the same version is never served stale from a cache.
/// </summary>
public sealed class PluginAuthoringTests(Xunit.Abstractions.ITestOutputHelper output)
{

    /// <summary>The ```sh blocks of docs/plugins.md's "Writing a plugin" section, in order.</summary>
    static string Steps()
    {
        var page = File.ReadAllText(Path.Combine(TestEnvironment.Root, "docs", "plugins.md"));
        var section = Regex.Match(page, @"^## Writing a plugin\n(.*?)(?=^## )", RegexOptions.Singleline | RegexOptions.Multiline);
        Assert.True(section.Success, "docs/plugins.md has no \"## Writing a plugin\" section");
        var blocks = Regex.Matches(section.Groups[1].Value, @"^```sh\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline);
        return string.Join("\n", blocks.Select(b => b.Groups[1].Value));
    }

    [Fact]
    [Trait("duration", "minutes")]
    public void An_author_makes_tests_and_loads_a_plugin_from_the_packages_alone_and_sees_why_a_broken_one_fails()
    {
        var steps = Steps();
        Assert.Contains("dotnet new zoo-plugin", steps);
        Assert.Contains("dotnet test", steps);
        var dir = TestEnvironment.NewTempDirectory("zoo-plugin-author");
        Assert.False(dir.StartsWith(TestEnvironment.Root, StringComparison.Ordinal), $"{dir} is inside the repository");
        try
        {
            var feed = Path.Combine(dir, "zoo-packages");
            var work = Path.Combine(dir, "work");
            Directory.CreateDirectory(work);
            var env = OutsideBuild.Environment(dir, feed);

            // The zoo's side: the three packages, from what the test build already compiled (in its configuration:
            // `dotnet pack` alone means Release, whose output may be older).
            OutsideBuild.Pack(output, dir, env, feed, "Abstractions", "tests/Zoo.ContractKit", "templates");
            Assert.Equal(3, Directory.GetFiles(feed, "*.nupkg").Length);
            // NuGet: a private packages folder (fresh Zoo packages every time) that falls back on the user's cache (everything else, offline).
            OutsideBuild.PrivateNuGetConfig(dir);

            // The author's side: the page's steps as written.
            File.WriteAllText(Path.Combine(work, "steps.sh"), steps);
            var log = OutsideBuild.Bash(output, work, env, "bash -euo pipefail steps.sh", TimeSpan.FromMinutes(12));
            Assert.Matches(@"Failed:\s+0, Passed:\s+9,", log);
            Assert.Matches(@"mynets_example\s+MyNets example\s+MyNets\s+MyNets\s+322\s", log);
            var root = Path.Combine(work, "MyNets");
            var plugins = Path.Combine(root, "plugins");
            var folder = Path.Combine(plugins, "MyNets");
            Assert.True(File.Exists(Path.Combine(folder, "MyNets.dll")));
            Assert.True(File.Exists(Path.Combine(folder, "zoo-plugin.json")));
            Assert.False(File.Exists(Path.Combine(folder, "Zoo.Abstractions.dll")));
            Assert.False(File.Exists(Path.Combine(folder, "TorchSharp.dll")));
            Assert.Empty(Directory.GetFiles(folder, "*torch*", SearchOption.AllDirectories));

            var mine = Plugin(env, plugins, "MyNets");
            Assert.Equal("loaded", mine.GetProperty("state").GetString());
            var manifest = mine.GetProperty("manifest");
            Assert.Equal("1.0.0", manifest.GetProperty("version").GetString());
            Assert.Equal("MyNets: one example architecture.", manifest.GetProperty("description").GetString());
            Assert.Equal($"{Zoo.Abstractions.ZooContract.Version}.{Zoo.Abstractions.ZooContract.MinorVersion}", manifest.GetProperty("contract_version").GetString());
            Assert.Equal(new[] { "mynets_example" }, mine.GetProperty("variants").EnumerateArray().Select(v => v.GetString()));

            // Broken 1: built against another contract major version.
            var future = Path.Combine(dir, "future");
            TestEnvironment.CopyDirectory(folder, Path.Combine(future, "MyNets"));
            PluginCatalogTests.SetReferencedContract(Path.Combine(future, "MyNets", "MyNets.dll"), 2, 0);
            var wrongMajor = Plugin(env, future, "MyNets");
            Assert.Equal("failed", wrongMajor.GetProperty("state").GetString());
            Assert.Contains("built against the Zoo contract 2.0", wrongMajor.GetProperty("reason").GetString());
            Assert.Contains("rebuild the plugin", wrongMajor.GetProperty("reason").GetString());

            // Broken 2: ConfigureServices throws; rebuilt in place, as an author would.
            var source = Path.Combine(root, "MyNets", "MyNetsPlugin.cs");
            var code = File.ReadAllText(source);
            Assert.Contains("=> services.AddArchitecture<ExampleNet>();", code);
            File.WriteAllText(source, code.Replace("=> services.AddArchitecture<ExampleNet>();", "=> throw new InvalidOperationException(\"broken on purpose\");"));
            OutsideBuild.Bash(output, root, env, "dotnet build MyNets -v q", TimeSpan.FromMinutes(5));
            var throwing = Plugin(env, plugins, "MyNets");
            Assert.Equal("failed", throwing.GetProperty("state").GetString());
            Assert.Contains("MyNets.MyNetsPlugin.ConfigureServices threw: InvalidOperationException: broken on purpose", throwing.GetProperty("reason").GetString());
            Assert.Equal(Path.Combine(folder, "MyNets.dll"), throwing.GetProperty("path").GetString());
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>The plugin's entry in `zoo plugins --json` with the given plugin folder.</summary>
    static JsonElement Plugin(Dictionary<string, string?> env, string plugins, string name)
    {
        var (code, stdout, stderr) = TestEnvironment.RunZoo(env, "plugins", "--plugins", plugins, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name).Clone();
    }
}
