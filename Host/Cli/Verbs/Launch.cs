using Zoo.Engine.Launch;
using Zoo.Engine.Suites;

namespace Zoo.Cli;

/// <summary>zoo launch slurm|kubernetes: writes the scheduler's job for a suite's shards; submitting it is the user's.</summary>
public static class Launch
{
    public sealed record Common(string Suite, int? Shards, int Gpus, int Cpus, string? Memory, string? Results, string Zoo, string? Output);

    public static int Slurm(Common c, string? time, string? partition, string? logs)
    {
        var suite = SuiteParser.Load(c.Suite);
        var results = Path.GetFullPath(c.Results ?? Path.Combine("results", suite.Name));
        var request = Request(c, suite, Path.GetFullPath(c.Suite), results);
        var logDir = Path.GetFullPath(logs ?? Path.Combine(results, "logs"));
        var script = SlurmLauncher.Script(request, new SlurmLauncher.Options { Time = time, Partition = partition, LogDirectory = logDir });
        Directory.CreateDirectory(logDir);   // Slurm opens each task's log before the task runs, and does not create folders
        Write(c.Output, script);
        if (c.Output is { } file)
        {
            Console.Error.WriteLine($"{request.Shards} shard(s) of {suite.Name}: submit with `sbatch {file}`; logs in {logDir}");
            Console.Error.WriteLine($"when every task has ended: `{c.Zoo} report {results}` (or sbatch --dependency=afterany:JOBID --wrap \"{c.Zoo} report {results}\")");
        }
        return 0;
    }

    public static int Kubernetes(Common c, string image, string claim, string mount)
    {
        var suite = SuiteParser.Load(c.Suite);
        var root = mount.TrimEnd('/');
        var suiteInPod = $"{root}/suites/{Path.GetFileName(c.Suite)}";
        var results = c.Results ?? $"{root}/results/{suite.Name}";
        var request = Request(c, suite, suiteInPod, results);
        var job = KubernetesLauncher.Job(request, new KubernetesLauncher.Options { Image = image, VolumeClaim = claim, MountPath = mount });
        Write(c.Output, job.ToYaml());
        if (c.Output is { } file)
        {
            Console.Error.WriteLine($"{request.Shards} shard(s) of {suite.Name} as Indexed Job {job.Name}; copy {c.Suite} to {suiteInPod} on volume claim {claim}, then `kubectl apply -f {file}`");
            Console.Error.WriteLine($"when it completes (`kubectl wait --for=condition=complete job/{job.Name} --timeout=-1s`): `zoo report {results}` in a pod with the volume");
        }
        return 0;
    }

    static LaunchRequest Request(Common c, Suite suite, string suitePath, string results) =>
        new(suite.Name, suite.Models.Count, c.Shards ?? suite.Models.Count)
        {
            SuitePath = suitePath, ResultsPath = results, Zoo = c.Zoo, Gpus = c.Gpus, Cpus = c.Cpus, Memory = c.Memory,
        };

    static void Write(string? output, string text)
    {
        if (output is null) { Console.Write(text); return; }
        PathChecks.OutputFile("-o", output);
        File.WriteAllText(output, text);
    }
}
