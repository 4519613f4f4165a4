using System.Diagnostics;
using YamlDotNet.RepresentationModel;
using Zoo.Abstractions;
using Zoo.Engine.Launch;

namespace Zoo.Host.Tests;

/// <summary>
/// zoo launch: the Slurm array script and the Kubernetes Indexed Job, checked field by field, and their shard
/// command run by the shell with the index the scheduler would set, against a stand-in zoo that prints its
/// arguments. (No Slurm or Kubernetes here: submitting is the user's.)
/// </summary>
public sealed class LaunchTests
{
    static LaunchRequest Request(string dir, int shards = 3, int gpus = 0) => new("tiny suite", ModelCount: 4, Shards: shards)
    {
        SuitePath = Path.Combine(dir, "my suites", "it's.json"),   // a space and a quote: the script must keep them
        ResultsPath = Path.Combine(dir, "results", "tiny"),
        Zoo = FakeZoo(dir),
        Gpus = gpus, Cpus = 4, Memory = "16G",
    };

    /// <summary>A stand-in for zoo that prints each argument on a line.</summary>
    static string FakeZoo(string dir)
    {
        var path = Path.Combine(dir, "fake-zoo");
        if (!File.Exists(path))
        {
            File.WriteAllText(path, "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return path;
    }

    static (int Code, string Out, string Err) Shell(string file, params string[] args) => Shell(file, new Dictionary<string, string>(), args);

    static (int Code, string Out, string Err) Shell(string file, Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2))) { p.Kill(true); throw new TimeoutException(file); }
        return (p.ExitCode, o.Result, e.Result);
    }

    [Fact]
    public void The_slurm_script_is_bash_with_one_array_task_per_shard_and_each_task_runs_its_shard()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var r = Request(dir, shards: 3, gpus: 2);
        var logs = Path.Combine(dir, "logs");
        var script = SlurmLauncher.Script(r, new SlurmLauncher.Options { Time = "1-02:00:00", Partition = "gpu", LogDirectory = logs });
        var file = Path.Combine(dir, "job.sbatch");
        File.WriteAllText(file, script);
        Assert.Equal(0, Shell("bash", "-n", file).Code);

        var lines = script.Split('\n');
        Assert.Equal("#!/bin/bash", lines[0]);
        var sbatch = lines.Where(l => l.StartsWith("#SBATCH ", StringComparison.Ordinal)).Select(l => l["#SBATCH ".Length..]).ToArray();
        Assert.Contains("--array=0-2", sbatch);
        Assert.Contains("--cpus-per-task=4", sbatch);
        Assert.Contains("--gres=gpu:2", sbatch);
        Assert.Contains("--mem=16G", sbatch);
        Assert.Contains("--time=1-02:00:00", sbatch);
        Assert.Contains("--partition=gpu", sbatch);
        Assert.Contains("--job-name=zoo-tiny_suite", sbatch);
        Assert.Contains($"--output={logs}/zoo-tiny_suite-%A_%a.log", sbatch);   // a log per array task
        // Every #SBATCH line comes before the first command, or sbatch ignores it.
        int firstCommand = Array.FindIndex(lines, l => l.Length > 0 && !l.StartsWith('#'));
        Assert.True(Array.FindLastIndex(lines, l => l.StartsWith("#SBATCH", StringComparison.Ordinal)) < firstCommand);

        // Array task t runs shard t+1 of 3, with the suite and folder exactly as given, on the GPU.
        for (int task = 0; task < 3; task++)
        {
            var (code, stdout, stderr) = Shell("bash", new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = $"{task}", ["SLURM_CPUS_PER_TASK"] = "4" }, file);
            Assert.True(code == 0, stderr);
            var args = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).ToArray();   // after the echo line
            Assert.Equal(new[] { "run-suite", r.SuitePath, "--out", r.ResultsPath, "--shard", $"{task + 1}/3", "--device", "cuda" }, args);
        }

        // Without GPUs: no gres, and the suite's own device.
        var cpuScript = SlurmLauncher.Script(Request(dir, shards: 2), new SlurmLauncher.Options { LogDirectory = logs });
        Assert.DoesNotContain("--gres", cpuScript);
        Assert.DoesNotContain("--device", cpuScript);
        Assert.DoesNotContain("--time", cpuScript);
        Assert.Contains("#SBATCH --array=0-1\n", cpuScript);
    }

    [Fact]
    public void The_kubernetes_manifest_is_an_indexed_job_whose_pods_run_their_shard_on_a_shared_volume()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var r = Request(dir, shards: 3, gpus: 1) with { SuitePath = "/zoo/suites/tiny.json", ResultsPath = "/zoo/results/tiny suite", Memory = "16Gi" };
        var yaml = KubernetesLauncher.Job(r, new KubernetesLauncher.Options { Image = "registry.example/zoo:1", VolumeClaim = "zoo-rwx", MountPath = "/zoo" }).ToYaml();
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents.Single().RootNode;
        string S(YamlNode n, params string[] path) => ((YamlScalarNode)Walk(n, path)).Value!;
        YamlNode Walk(YamlNode n, params string[] path) => path.Aggregate(n, (node, key) => ((YamlMappingNode)node)[new YamlScalarNode(key)]);

        Assert.Equal("batch/v1", S(root, "apiVersion"));
        Assert.Equal("Job", S(root, "kind"));
        Assert.Equal("zoo-tiny-suite", S(root, "metadata", "name"));
        Assert.Equal("Indexed", S(root, "spec", "completionMode"));
        Assert.Equal("3", S(root, "spec", "completions"));
        Assert.Equal("3", S(root, "spec", "parallelism"));
        var pod = Walk(root, "spec", "template", "spec");
        Assert.Equal("Never", S(pod, "restartPolicy"));
        var container = (YamlMappingNode)((YamlSequenceNode)Walk(pod, "containers")).Single();
        Assert.Equal("registry.example/zoo:1", S(container, "image"));
        Assert.Equal("1", S(container, "resources", "limits", "nvidia.com/gpu"));
        Assert.Equal("4", S(container, "resources", "requests", "cpu"));
        Assert.Equal("16Gi", S(container, "resources", "requests", "memory"));
        var mount = (YamlMappingNode)((YamlSequenceNode)Walk(container, "volumeMounts")).Single();
        Assert.Equal("/zoo", S(mount, "mountPath"));
        var volume = (YamlMappingNode)((YamlSequenceNode)Walk(pod, "volumes")).Single();
        Assert.Equal(S(mount, "name"), S(volume, "name"));
        Assert.Equal("zoo-rwx", S(volume, "persistentVolumeClaim", "claimName"));
        var env = ((YamlSequenceNode)Walk(container, "env")).Cast<YamlMappingNode>().ToDictionary(e => S(e, "name"), e => S(e, "value"));
        Assert.Equal("/zoo/data", env["ZOO_DATA_DIR"]);

        // The pod with completion index i runs shard i+1 of 3: the command as the kubelet would run it.
        var command = ((YamlSequenceNode)Walk(container, "command")).Cast<YamlScalarNode>().Select(s => s.Value!).ToArray();
        Assert.Equal(new[] { "/bin/sh", "-c" }, command[..2]);
        for (int index = 0; index < 3; index++)
        {
            var (code, stdout, stderr) = Shell(command[0], new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = $"{index}" }, command[1..]);
            Assert.True(code == 0, stderr);
            Assert.Equal(new[] { "run-suite", "/zoo/suites/tiny.json", "--out", "/zoo/results/tiny suite", "--shard", $"{index + 1}/3", "--device", "cuda" },
                stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
    }

    [Fact]
    public void Wrong_launch_numbers_are_users_mistakes_naming_the_option()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var slurm = new SlurmLauncher.Options { LogDirectory = dir };
        Assert.StartsWith("--shards", Assert.Throws<ZooConfigException>(() => SlurmLauncher.Script(Request(dir, shards: 5), slurm)).Message);
        Assert.StartsWith("--shards", Assert.Throws<ZooConfigException>(() => SlurmLauncher.Script(Request(dir, shards: 0), slurm)).Message);
        Assert.StartsWith("--time", Assert.Throws<ZooConfigException>(() => SlurmLauncher.Script(Request(dir), slurm with { Time = "two hours" })).Message);
        Assert.StartsWith("--mount", Assert.Throws<ZooConfigException>(() => KubernetesLauncher.Job(Request(dir), new KubernetesLauncher.Options { Image = "z", MountPath = "zoo" })).Message);
        var name = KubernetesLauncher.Name("A very long suite name (v2) that goes on and on and on and on");
        Assert.StartsWith("zoo-a-very-long-suite-name-v2-that", name);
        Assert.Matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", name);   // a DNS-1123 label
        Assert.True(name.Length <= 52, name);
    }

    [Fact]
    public void Zoo_launch_writes_both_jobs_for_a_suite_file_and_says_how_to_submit_and_merge()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var suite = Path.Combine(dir, "tiny.json");
        File.WriteAllText(suite, """
            { "name": "tiny", "dataset": { "name": "shapes", "channels": 1, "size": 16, "train": 64, "val": 16, "test": 16 },
              "models": [ "lenet5", { "variant": "lenet5", "label": "b" } ], "recipe": { "epochs": 1, "batch_size": 16 } }
            """);
        var script = Path.Combine(dir, "tiny.sbatch");
        var (code, _, err) = TestEnvironment.RunZoo("launch", "slurm", suite, "--out", Path.Combine(dir, "res"), "-o", script);
        Assert.True(code == 0, err);
        Assert.Contains("#SBATCH --array=0-1", File.ReadAllText(script));   // one shard per model by default
        Assert.Contains($"sbatch {script}", err);
        Assert.Contains($"report {Path.Combine(dir, "res")}", err);
        Assert.True(Directory.Exists(Path.Combine(dir, "res", "logs")));

        var manifest = Path.Combine(dir, "tiny.yaml");
        (code, _, err) = TestEnvironment.RunZoo("launch", "kubernetes", suite, "--image", "zoo:dev", "--shards", "1", "-o", manifest);
        Assert.True(code == 0, err);
        Assert.Contains("completionMode: \"Indexed\"", File.ReadAllText(manifest));
        Assert.Contains("kubectl apply -f", err);

        (code, _, err) = TestEnvironment.RunZoo("launch", "slurm", suite, "--shards", "3");
        Assert.Equal(2, code);
        Assert.Contains("error: --shards", err);
    }
}
