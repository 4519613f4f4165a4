using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Zoo.Host.Tests;

/// <summary>The zoo command as a user runs it: a separate process over the built output.</summary>
public sealed class CliTests
{
    [Fact]
    public void List_json_shows_the_four_first_architectures_from_three_plugin_assemblies_with_torchvision_counts()
    {
        var (code, stdout, stderr) = TestEnvironment.RunZoo("list", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var variants = doc.RootElement.GetProperty("variants").EnumerateArray()
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v);
        Assert.Equal(61_706, variants["lenet5"].GetProperty("parameters").GetInt64());
        Assert.Equal(11_689_512, variants["resnet18"].GetProperty("parameters").GetInt64());
        Assert.Equal(3_504_872, variants["mobilenet_v2"].GetProperty("parameters").GetInt64());
        Assert.Equal(28_589_128, variants["convnext_tiny"].GetProperty("parameters").GetInt64());
        Assert.Equal(3, new[] { "lenet5", "mobilenet_v2", "convnext_tiny" }.Select(n => variants[n].GetProperty("plugin_path").GetString()).Distinct().Count());
        Assert.Equal(0, doc.RootElement.GetProperty("failures").GetArrayLength());
        // GMACs at the reference input, torchvision's published figures.
        Assert.Equal(1.814, variants["resnet18"].GetProperty("gmacs").GetDouble(), 3);
        Assert.Equal(0.301, variants["mobilenet_v2"].GetProperty("gmacs").GetDouble(), 3);
        Assert.Equal(4.456, variants["convnext_tiny"].GetProperty("gmacs").GetDouble(), 3);
    }

    [Fact]
    public void Analyze_writes_each_runs_analysis_and_prints_the_ARI_table()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var suite = Path.Combine(dir, "tiny.json");
            File.WriteAllText(suite, """
                { "name": "tiny", "dataset": { "name": "shapes", "channels": 1, "size": 16, "train": 160, "val": 40, "test": 60 },
                  "models": [ "lenet5" ], "recipe": { "epochs": 1, "batch_size": 32 } }
                """);
            var output = Path.Combine(dir, "out");
            var (trained, _, trainErr) = TestEnvironment.RunZoo("run-suite", suite, "--out", output);
            Assert.True(trained == 0, trainErr);
            var (code, stdout, stderr) = TestEnvironment.RunZoo("analyze", output, "--max-images", "40", "--perplexity", "5");
            Assert.True(code == 0, stderr);
            Assert.Contains("| Model | Images | Features | K-means ARI | DBSCAN ARI |", stdout);
            Assert.Matches(@"\| lenet5 \| 40 \| 84 \| -?\d\.\d{3} \| -?\d\.\d{3} \|", stdout);
            Assert.Contains("\"kmeans_ari\"", File.ReadAllText(Path.Combine(output, "results.json")));

            var (missing, _, missingErr) = TestEnvironment.RunZoo("analyze", dir);
            Assert.Equal(2, missing);
            Assert.Contains("no results.json here", missingErr);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Run_suite_with_a_wrong_field_exits_2_naming_the_file_and_field()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var suite = Path.Combine(dir, "bad.json");
            File.WriteAllText(suite, """{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": { "epochs": 1, "batchsize": 8 } }""");
            var (code, _, stderr) = TestEnvironment.RunZoo("run-suite", suite, "--out", Path.Combine(dir, "out"));
            Assert.Equal(2, code);
            Assert.Contains("bad.json: recipe.batchsize: unknown field; allowed here: epochs, batch_size", stderr);
            Assert.False(Directory.Exists(Path.Combine(dir, "out", "runs")), "nothing should run when the suite is wrong");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Run_suite_prints_the_comparison_and_exits_0_when_every_run_finished()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            var suite = Path.Combine(dir, "tiny.json");
            File.WriteAllText(suite, """
                { "name": "tiny", "dataset": { "name": "shapes", "size": 28, "train": 200, "val": 50, "test": 50 },
                  "models": [ { "variant": "lenet5", "options": { "activation": "relu" } } ],
                  "recipe": { "epochs": 1, "batch_size": 32 } }
                """);
            var (code, stdout, stderr) = TestEnvironment.RunZoo("run-suite", suite, "--out", Path.Combine(dir, "out"));
            Assert.True(code == 0, stderr);
            Assert.Matches(@"\| lenet5 \| Classic \| 61,706 \| 0\.24 \| 0\.000[1-9]\d* \|", stdout);   // GMACs at the suite's 1x28x28, in significant digits
            Assert.Contains("epoch 1/1", stderr);
            // Progress inside the epoch: into a pipe, a plain line (the first step at once, then every 10 s).
            Assert.Matches(@"\[1/1\] lenet5 +epoch 1/1 +step 1/6 +\d+ img/s +ETA \d+ s +loss \d\.\d{4}", stderr);
            Assert.DoesNotContain("\r", stderr);
            Assert.Contains("Recipe: 1 epoch, batch 32", stdout);
            Assert.True(File.Exists(Path.Combine(dir, "out", "results.json")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Watch_shows_a_dropped_plugin_within_seconds_and_reports_a_broken_one_without_stopping()
    {
        var dir = TestEnvironment.NewTempDirectory();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { TestEnvironment.ZooDll, "watch", "--plugins", dir, "--seconds", "60" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = new StringBuilder();
        p.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        string Seen() { lock (output) return output.ToString(); }
        void WaitFor(string text, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!Seen().Contains(text))
            {
                Assert.False(p.HasExited, $"zoo watch exited while waiting for {what}:\n{Seen()}");
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"no '{text}' ({what}) in:\n{Seen()}");
                Thread.Sleep(100);
            }
        }
        try
        {
            WaitFor("watching", "the first catalogue");
            Directory.CreateDirectory(Path.Combine(dir, "Broken"));
            File.WriteAllText(Path.Combine(dir, "Broken", "Broken.dll"), "garbage");
            WaitFor($"plugin failed: {Path.Combine(dir, "Broken", "Broken.dll")}: not a .NET assembly", "the broken plugin's report");

            // A third-party plugin dropped in appears with its architecture.
            TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.TinyNet"), Path.Combine(dir, "TinyNet"));
            WaitFor($"loaded {Path.Combine(dir, "TinyNet", "Zoo.Fixtures.TinyNet.dll")}", "the dropped plugin");
            WaitFor("tinynet ", "its variant in the catalogue");
            Assert.Matches(@"tinynet\s+TinyNet\s+Samples\s+TinyNet", Seen());

            // A copy of a built-in family duplicates its variants: reported as conflicts, the host stays up.
            TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.PluginDrop, "Lightweight"), Path.Combine(dir, "Extra"));
            WaitFor("conflict: variant 'mobilenet_v2'", "the duplicate to be reported");

            // Deleting the plugin removes it.
            Directory.Delete(Path.Combine(dir, "TinyNet"), true);
            WaitFor($"removed {Path.Combine(dir, "TinyNet", "Zoo.Fixtures.TinyNet.dll")}", "the deleted plugin to go");
            Assert.False(p.HasExited);
        }
        finally
        {
            if (!p.HasExited) p.Kill(true);
            p.WaitForExit();
            Directory.Delete(dir, true);
        }
    }
}
