using System.Text.Json;
using System.Text.RegularExpressions;

namespace Zoo.Host.Tests;

/// <summary>
/// The repository's own plugins build the way a third party's do (issue 14): with -p:ZooReferences=packages, the
/// Lightweight family and its contract tests reference the Zoo.Abstractions and Zoo.ContractKit packages instead of
/// this repository's projects. Built in a copy of the sources outside the repository (so the repository's own restore
/// state is never touched), offline, from a folder holding only the two packages; the plugin folder must come out as
/// the project build's (same files, same manifest, same dependencies) and the kit from the package must pass on it.
/// SLOW: a restore and two builds, and the kit on one architecture (about two minutes on two cores).
/// </summary>
public sealed class PluginsFromPackagesTests(Xunit.Abstractions.ITestOutputHelper output)
{

    [Fact]
    [Trait("duration", "minutes")]
    public void The_lightweight_family_and_its_contract_tests_build_from_the_packages_as_from_the_projects()
    {
        var dir = TestEnvironment.NewTempDirectory("zoo-from-packages");
        Assert.False(dir.StartsWith(TestEnvironment.Root, StringComparison.Ordinal), $"{dir} is inside the repository");
        try
        {
            var feed = Path.Combine(dir, "zoo-packages");
            var src = Path.Combine(dir, "src");
            var env = OutsideBuild.Environment(dir, feed);
            OutsideBuild.Pack(output, dir, env, feed, "Abstractions", "tests/Zoo.ContractKit");
            Assert.Equal(2, Directory.GetFiles(feed, "*.nupkg").Length);
            OutsideBuild.PrivateNuGetConfig(dir);

            // The sources a plugin build reads, and nothing of the host: if a family needed the host to build, this fails.
            foreach (var file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "plugins/Directory.Build.props", "tests/Directory.Build.props" })
                CopyFile(file, src);
            foreach (var folder in new[] { "build", "plugins/Layers", "plugins/Lightweight", "tests/Shared", "tests/Zoo.Lightweight.Tests" })
                CopySources(Path.Combine(TestEnvironment.Root, folder), Path.Combine(src, folder));

            var packages = $"-c {OutsideBuild.Configuration} -p:ZooReferences=packages '-p:ZooPackageSource={feed}/'";
            OutsideBuild.Bash(output, src, env, $"dotnet build plugins/Lightweight/Zoo.Plugins.Lightweight.csproj {packages} -v q", TimeSpan.FromMinutes(8));
            var built = Path.Combine(src, "artifacts", "plugins", OutsideBuild.Configuration, "Lightweight");
            var reference = Path.Combine(TestEnvironment.PluginDrop, "Lightweight");
            Assert.Equal(Names(reference), Names(built));
            Assert.DoesNotContain(Names(built), n => n.StartsWith("Zoo.Abstractions", StringComparison.Ordinal) || n.Contains("torch", StringComparison.OrdinalIgnoreCase));
            Assert.Equal(Json(Path.Combine(reference, "zoo-plugin.json")), Json(Path.Combine(built, "zoo-plugin.json")));
            Assert.Equal(Json(Path.Combine(reference, "Zoo.Plugins.Lightweight.deps.json")), Json(Path.Combine(built, "Zoo.Plugins.Lightweight.deps.json")));
            var assets = File.ReadAllText(Path.Combine(src, "plugins", "Lightweight", "obj", "project.assets.json"));
            // The package's version is the contract's (Directory.Build.props' ZooContractVersion), not a number written here.
            var contract = $@"{Zoo.Abstractions.ZooContract.Version}\.{Zoo.Abstractions.ZooContract.MinorVersion}\.0";
            Assert.Matches(@"""Zoo\.Abstractions/" + contract + @""": \{\s*""type"": ""package""", assets);

            // The family's contract tests with the kit from its package, on one architecture (the whole kit runs in the family's own test project).
            var log = OutsideBuild.Bash(output, src, env, $"dotnet test tests/Zoo.Lightweight.Tests {packages} --filter \"DisplayName~squeezenet1_1\"", TimeSpan.FromMinutes(12));
            Assert.Matches(@"Failed:\s+0, Passed:\s+[1-9]\d*,", log);
            var testAssets = File.ReadAllText(Path.Combine(src, "tests", "Zoo.Lightweight.Tests", "obj", "project.assets.json"));
            Assert.Matches(@"""Zoo\.ContractKit/" + contract + @""": \{\s*""type"": ""package""", testAssets);

            // A value that is not a choice stops the build and says what the choices are.
            var wrong = OutsideBuild.Run(src, env, $"dotnet build plugins/Lightweight/Zoo.Plugins.Lightweight.csproj -c {OutsideBuild.Configuration} -p:ZooReferences=nuget -v q", TimeSpan.FromMinutes(5));
            Assert.NotEqual(0, wrong.ExitCode);
            Assert.Contains("ZOO002: ZooReferences='nuget' is not a choice: use projects", wrong.Log);
        }
        finally { Directory.Delete(dir, true); }
    }

    static void CopyFile(string relative, string root)
    {
        var target = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(Path.Combine(TestEnvironment.Root, relative), target);
    }

    /// <summary>A project folder without its build output.</summary>
    static void CopySources(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var sub in Directory.GetDirectories(from).Where(d => Path.GetFileName(d) is not ("bin" or "obj")))
            CopySources(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    static string[] Names(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>A JSON file re-serialised, so formatting does not count.</summary>
    static string Json(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return JsonSerializer.Serialize(doc.RootElement);
    }
}
