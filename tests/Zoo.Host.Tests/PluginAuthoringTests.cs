using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Zoo.Host.Tests;

/// <summary>
/// README's "Writing a plugin" works as written: its shell blocks run, unchanged, in an empty folder outside
/// the repository (dotnet new, the project files, dotnet build, zoo list --plugins, dotnet test of the
/// contract class). SLOW: 30 to 70 s here (two restores and builds, a test run and a zoo list); it needs no
/// network once the zoo's packages are in the NuGet cache, as they are after the repository's own restore.
/// </summary>
public sealed class PluginAuthoringTests
{
    /// <summary>The ```sh blocks of README's "Writing a plugin" section, in order.</summary>
    static string Steps()
    {
        var readme = File.ReadAllText(Path.Combine(TestEnvironment.Root, "README.md"));
        var section = Regex.Match(readme, @"^## Writing a plugin\n(.*?)(?=^## )", RegexOptions.Singleline | RegexOptions.Multiline);
        Assert.True(section.Success, "README has no \"## Writing a plugin\" section");
        var blocks = Regex.Matches(section.Groups[1].Value, @"^```sh\n(.*?)^```", RegexOptions.Singleline | RegexOptions.Multiline);
        return string.Join("\n", blocks.Select(b => b.Groups[1].Value));
    }

    [Fact]
    [Trait("duration", "minutes")]
    public void The_readme_steps_build_test_and_list_a_plugin_from_an_empty_folder_outside_the_repository()
    {
        var steps = Steps();
        Assert.Contains("dotnet test", steps);
        var dir = TestEnvironment.NewTempDirectory("zoo-plugin-author");
        Assert.False(dir.StartsWith(TestEnvironment.Root, StringComparison.Ordinal), $"{dir} is inside the repository");
        try
        {
            File.WriteAllText(Path.Combine(dir, "steps.sh"), steps);
            var psi = new ProcessStartInfo("bash") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-euo", "pipefail", "steps.sh" }) psi.ArgumentList.Add(a);
            // The test host runs under dotnet test, whose MSBuild and test-platform variables would steer the inner builds.
            foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
                psi.Environment.Remove(name);
            psi.Environment["ZOO"] = Path.TrimEndingDirectorySeparator(TestEnvironment.Root);
            psi.Environment["DOTNET_NOLOGO"] = "1";
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            var output = new StringBuilder();
            using var p = new Process { StartInfo = psi };
            p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            p.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            if (!p.WaitForExit(TimeSpan.FromMinutes(8))) { p.Kill(true); Assert.Fail($"the README steps did not finish in 8 minutes:\n{Tail(output)}"); }
            p.WaitForExit();
            string log;
            lock (output) log = output.ToString();
            Assert.True(p.ExitCode == 0, $"the README steps failed (exit {p.ExitCode}):\n{Tail(output)}");

            // zoo list shows the variant from its plugin, with the declared count.
            Assert.Matches(@"mynet\s+MyNet\s+Samples\s+MyNet\s+322\s", log);
            Assert.Contains("plugin MyNet: ", log);
            // The contract kit's checks ran and passed: one registration check, seven per variant, and eval-follows-train
            // after a short training on the smallest variant of each architecture (issue 16).
            Assert.Matches(@"Failed:\s+0, Passed:\s+9,", log);
            // The plugin's folder carries neither the contracts nor TorchSharp (the host shares its own).
            var plugin = Path.Combine(dir, "mynet", "plugins", "MyNet");
            Assert.True(File.Exists(Path.Combine(plugin, "MyNet.dll")));
            Assert.False(File.Exists(Path.Combine(plugin, "Zoo.Abstractions.dll")));
            Assert.False(File.Exists(Path.Combine(plugin, "TorchSharp.dll")));
        }
        finally { Directory.Delete(dir, true); }
    }

    static string Tail(StringBuilder output)
    {
        lock (output) return output.Length > 6000 ? output.ToString(output.Length - 6000, 6000) : output.ToString();
    }
}
