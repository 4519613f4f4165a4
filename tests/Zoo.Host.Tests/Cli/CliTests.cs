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
        using var temp = new TempFolder();
        var dir = temp.Path;
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

    [Fact]
    public void Run_suite_with_a_wrong_field_exits_2_naming_the_file_and_field()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var suite = Path.Combine(dir, "bad.json");
        File.WriteAllText(suite, """{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": { "epochs": 1, "batchsize": 8 } }""");
        var (code, _, stderr) = TestEnvironment.RunZoo("run-suite", suite, "--out", Path.Combine(dir, "out"));
        Assert.Equal(2, code);
        Assert.Contains("bad.json: recipe.batchsize: unknown field; did you mean 'batch_size'? allowed here: epochs, batch_size", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out", "runs")), "nothing should run when the suite is wrong");
    }

    [Fact]
    public void An_unknown_option_or_command_is_one_line_and_exit_2_naming_the_nearest_valid_one()
    {
        // Left to System.CommandLine it printed the whole help and exited 1, the code docs/command-line.md keeps for a failed run (issue 26).
        var (code, stdout, stderr) = TestEnvironment.RunZoo("run-suite", "s.json", "--epochs", "3");
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: zoo run-suite: unknown option '--epochs'; its options are --out, --device, ", line);

        (code, _, stderr) = TestEnvironment.RunZoo("run-suite", "s.json", "--devcie", "cpu");
        Assert.Equal(2, code);
        Assert.Equal("error: zoo run-suite: unknown option '--devcie'; did you mean '--device'? (`zoo run-suite --help` for more)", stderr.Trim());

        (code, _, stderr) = TestEnvironment.RunZoo("weights", "lst");
        Assert.Equal(2, code);
        Assert.Equal("error: zoo weights: unknown command 'lst'; did you mean 'list'? (`zoo weights --help` for more)", stderr.Trim());
    }

    [Fact]
    public void A_suite_refused_before_training_leaves_no_results_folder_and_the_device_option_is_named_as_itself()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        // One class: found only when the data set opens, after the results folder used to be made.
        Directory.CreateDirectory(Path.Combine(dir, "images", "cat"));
        using (var bmp = new SkiaSharp.SKBitmap(8, 8))
        using (var png = bmp.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100))
            File.WriteAllBytes(Path.Combine(dir, "images", "cat", "c.png"), png.ToArray());
        var folder = Path.Combine(dir, "folder.json");
        File.WriteAllText(folder, $$"""{ "dataset": { "name": "folder", "path": "images" }, "models": ["lenet5"], "recipe": { "epochs": 1 } }""");
        var (code, _, stderr) = TestEnvironment.RunZoo("run-suite", folder, "--out", Path.Combine(dir, "out"));
        Assert.Equal(2, code);
        Assert.Contains("found 1 class sub-folder(s)", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "a refused suite should leave no results folder");

        var shapes = Path.Combine(dir, "shapes.json");
        File.WriteAllText(shapes, """{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": { "epochs": 1 } }""");
        (code, _, stderr) = TestEnvironment.RunZoo("run-suite", shapes, "--out", Path.Combine(dir, "out"), "--device", "tpu");
        Assert.Equal(2, code);
        Assert.StartsWith("error: --device: 'tpu'", stderr.Trim());
        Assert.False(Directory.Exists(Path.Combine(dir, "out")));

        // A CUDA device this CPU build lacks: refused before the folder is made, whichever names it.
        if (!Zoo.Engine.Training.Devices.CudaAvailable())
        {
            (code, _, stderr) = TestEnvironment.RunZoo("run-suite", shapes, "--out", Path.Combine(dir, "out"), "--device", "cuda");
            Assert.Equal(2, code);
            Assert.StartsWith("error: --device: 'cuda': CUDA is not available", stderr.Trim());
            File.WriteAllText(shapes, """{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": { "epochs": 1 }, "device": "cuda" }""");
            (code, _, stderr) = TestEnvironment.RunZoo("run-suite", shapes, "--out", Path.Combine(dir, "out"));
            Assert.Equal(2, code);
            Assert.StartsWith("error: shapes.json: device: 'cuda': CUDA is not available", stderr.Trim());
            Assert.False(Directory.Exists(Path.Combine(dir, "out")));
        }
    }

    [Fact]
    public void Weights_list_marks_the_entry_imagenet_takes()
    {
        var (code, stdout, stderr) = TestEnvironment.RunZoo("weights", "list", "resnet50");
        Assert.True(code == 0, stderr);
        var marked = Assert.Single(stdout.Split('\n').Where(l => l.StartsWith("* ", StringComparison.Ordinal)));
        Assert.StartsWith("* resnet50:IMAGENET1K_V2 ", marked);   // torchvision's recommended weights
        Assert.Contains("  resnet50:IMAGENET1K_V1 ", stdout);
        Assert.Contains("* = what \"imagenet\" takes", stdout);
        (code, stdout, stderr) = TestEnvironment.RunZoo("weights", "list", "resnet50", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(new[] { "IMAGENET1K_V2" }, doc.RootElement.EnumerateArray().Where(e => e.GetProperty("imagenet").GetBoolean()).Select(e => e.GetProperty("name").GetString()));
    }

    [Fact]
    public void Run_suite_refuses_in_process_and_isolate_together_before_anything_runs()
    {
        // --isolate asks for a worker per model, --in-process for none: both at once is a contradiction.
        using var temp = new TempFolder();
        var dir = temp.Path;
        var suite = Path.Combine(dir, "s.json");
        File.WriteAllText(suite, """{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": { "epochs": 1, "batch_size": 8 } }""");
        var (code, _, stderr) = TestEnvironment.RunZoo("run-suite", suite, "--out", Path.Combine(dir, "out"), "--in-process", "--isolate");
        Assert.Equal(2, code);
        Assert.Contains("--in-process/--isolate: give one of them, not both", stderr);
        Assert.False(Directory.Exists(Path.Combine(dir, "out")), "nothing should run");
    }

    [Fact]
    public void Run_suite_refuses_the_second_models_bad_option_and_missing_weights_before_the_first_trains()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        foreach (var (second, expected) in new[]
        {
            ("""{ "variant": "lenet5", "label": "b", "options": { "activation": "swish" } }""", "late.json: models[1].options.activation: 'swish' is not allowed; allowed: tanh, relu"),
            ("""{ "variant": "lenet5", "label": "b", "options": { "actvation": "relu" } }""", "late.json: models[1].options.actvation: unknown parameter; did you mean 'activation'? allowed: activation, pool"),
            ("""{ "variant": "lenet5", "label": "b", "weights": "gone.safetensors" }""", $"late.json: models[1].weights: {Path.Combine(dir, "gone.safetensors")}: no such weights file"),
        })
        {
            var suite = Path.Combine(dir, "late.json");
            File.WriteAllText(suite, $$"""
                { "dataset": { "name": "shapes", "size": 28, "train": 64, "val": 16, "test": 16 },
                  "models": [ "lenet5", {{second}} ], "recipe": { "epochs": 1, "batch_size": 32 } }
                """);
            var (code, _, stderr) = TestEnvironment.RunZoo("run-suite", suite, "--out", Path.Combine(dir, "out"));
            Assert.True(code == 2, stderr);
            Assert.Contains(expected, stderr);
            Assert.DoesNotContain("epoch 1/1", stderr);
            Assert.False(Directory.Exists(Path.Combine(dir, "out", "runs")), "nothing should run when the suite is wrong");
        }
    }

    [Fact]
    public void Run_suite_prints_the_comparison_and_exits_0_when_every_run_finished()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
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

    /// <summary>
    /// Every verb that takes a path, given a wrong one: {dir} is a fresh folder holding a.file (a regular file),
    /// ok.json (a valid suite) and nothing else; the third value is the path the error must name.
    /// </summary>
    [Theory]
    [InlineData("list --plugins {dir}/missing", "{dir}/missing")]
    [InlineData("list --plugins {dir}/a.file", "{dir}/a.file")]
    [InlineData("watch --seconds 20 --plugins {dir}/missing", "{dir}/missing")]
    [InlineData("describe lenet5 --plugins {dir}/missing", "{dir}/missing")]
    [InlineData("run-suite {dir}/missing.json", "{dir}/missing.json")]
    [InlineData("run-suite {dir}/ok.json --out {dir}/a.file", "--out {dir}/a.file: is a file; give a folder")]
    [InlineData("run-suite {dir}/ok.json --out {dir}/a.file/results", "{dir}/a.file is a file")]
    [InlineData("run-suite {dir}/ok.json --out /proc/zoo-cannot-write-here", "/proc/zoo-cannot-write-here")]
    [InlineData("predict --weights {dir}/missing.safetensors {dir}/a.png", "{dir}/missing.safetensors")]
    [InlineData("predict --weights {dir}/a.file {dir}/a.png", "{dir}/a.file")]
    [InlineData("predict --weights {dir}/missing.safetensors --labels {dir}/missing.txt {dir}/a.png", "{dir}/missing.txt")]
    [InlineData("augment-preview {dir}/missing.json", "{dir}/missing.json")]
    [InlineData("augment-preview --augment [\"hflip\"] --out {dir}/a.file/grid.png", "{dir}/a.file")]
    [InlineData("augment-preview --augment [\"hflip\"] --out {dir}", "--out {dir}: is a folder")]
    [InlineData("augment-preview --augment [\"hflip\"] --image {dir}/missing.png --out {dir}/grid.png", "{dir}/missing.png")]
    [InlineData("bench engine --plugins {dir}/missing", "{dir}/missing")]
    [InlineData("bench loader --keep {dir}/a.file", "--keep {dir}/a.file: is a file")]
    public void A_wrong_path_is_one_line_naming_it_and_exit_2_in_every_verb(string command, string named)
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        File.WriteAllText(Path.Combine(dir, "a.file"), "a regular file");
        File.WriteAllText(Path.Combine(dir, "ok.json"), """
            { "dataset": { "name": "shapes", "size": 28, "train": 64, "val": 16, "test": 16 }, "models": ["lenet5"], "recipe": { "epochs": 1 } }
            """);
        var args = command.Split(' ').Select(a => a.Replace("{dir}", dir)).ToArray();
        var (code, _, stderr) = TestEnvironment.RunZoo(args);
        Assert.True(code == 2, $"exit {code}:\n{stderr}");
        Assert.DoesNotContain("   at ", stderr);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(named.Replace("{dir}", dir), line);
        Assert.False(File.Exists(Path.Combine(dir, "grid.png")));
    }

    [Fact]
    public void A_fault_is_one_line_and_a_hint_exit_1_and_ZOO_DEBUG_adds_the_stack_trace()
    {
        static int Throw() => throw new InvalidOperationException("the kernel said no\nsecond line of detail");
        var quiet = new StringWriter();
        Assert.Equal(1, Zoo.Cli.VerbBoundary.Run(Throw, quiet, debug: false));
        var lines = quiet.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("error: internal error: InvalidOperationException: the kernel said no", lines[0]);
        Assert.Contains("ZOO_DEBUG=1", lines[1]);
        Assert.Equal(2, lines.Length);
        Assert.DoesNotContain("   at ", quiet.ToString());

        var loud = new StringWriter();
        Assert.Equal(1, Zoo.Cli.VerbBoundary.Run(Throw, loud, debug: true));
        Assert.Contains("   at ", loud.ToString());

        // A user's mistake wrapped by reflection, and a path the system refuses, are exit 2 in one line.
        var wrapped = new StringWriter();
        Assert.Equal(2, Zoo.Cli.VerbBoundary.Run(() => throw new System.Reflection.TargetInvocationException(
            new Zoo.Abstractions.ZooConfigException("x.json: models[0]", "wrong")), wrapped, debug: false));
        Assert.Equal("error: x.json: models[0]: wrong", wrapped.ToString().Trim());
        var denied = new StringWriter();
        Assert.Equal(2, Zoo.Cli.VerbBoundary.Run(() => throw new UnauthorizedAccessException("Access to the path '/root/x' is denied."), denied, debug: false));
        Assert.Equal("error: Access to the path '/root/x' is denied.", denied.ToString().Trim());
    }

    [Fact]
    public void Describe_and_predict_refuse_zero_channels_classes_or_size_as_a_users_mistake()
    {
        // LibTorch's own error came out as an internal error (exit 1): "select(): index 0 out of range".
        var (code, _, stderr) = TestEnvironment.RunZoo("describe", "resnet18", "--channels", "0");
        Assert.Equal(2, code);
        Assert.Equal("error: --channels: 0 is out of range; give 1 or more", stderr.Trim());
        var (predictCode, _, predictErr) = TestEnvironment.RunZoo("predict", "--arch", "lenet5", "--weights", "unused.safetensors", "--size", "0", "a.png");
        Assert.Equal(2, predictCode);
        Assert.Equal("error: --size: 0 is out of range; give 1 or more", predictErr.Trim());
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

            // A copy of a built-in family is the same plugin twice (same name and version in its manifest): one copy is
            // reported superseded, with the fix, and the host stays up.
            TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.PluginDrop, "Lightweight"), Path.Combine(dir, "Extra"));
            WaitFor("is the same plugin (Lightweight 1.0.0) and was found first; delete one of the two copies", "the duplicate to be reported");

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
