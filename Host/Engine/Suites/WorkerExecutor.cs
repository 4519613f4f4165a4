using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Results;

namespace Zoo.Engine.Suites;

/// <summary>What a parent asks of a worker process: one run of a suite file, into a results folder.</summary>
public sealed record WorkerRequest(string SuitePath, string Device, int Index, string Label, string OutputDirectory);

/// <summary>
/// Runs each model in a worker process of its own: the same zoo executable in its hidden worker mode
/// (<see cref="WorkerHost"/>), told the suite file, the run and the results folder on its standard input, streaming
/// the run's events back as <see cref="WorkerMessages"/> lines on its standard output. A worker that dies (a signal,
/// an abort, an out-of-memory kill) makes that run <see cref="RunStatus.Crashed"/>, with how it died and the last
/// lines of its standard error, and the suite goes on; a stop reaches it as a "stop" line and it ends after its step.
/// Each model also gets a fresh address space, so native memory does not pile up across a suite.
/// A suite that has no file (one composed in memory) runs in process.
/// </summary>
public sealed class WorkerExecutor(string command, IReadOnlyList<string> arguments) : IRunExecutor
{
    /// <summary>Lines of a crashed worker's standard error kept for its run's error.</summary>
    const int TailLines = 40;

    /// <summary>
    /// The workers' scheduling priority (null: the parent's). The terminal UI runs its workers below normal, so that on a
    /// machine with few cores the screen answers keys while a model trains (on Linux: nice 10).
    /// </summary>
    public ProcessPriorityClass? Priority { get; init; }

    public RunResult Execute(SuiteRunner runner, RunJob job)
    {
        if (!File.Exists(job.Suite.SourcePath)) return InProcessExecutor.Instance.Execute(runner, job);
        var psi = new ProcessStartInfo(command)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8, StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("worker");
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}");
        if (Priority is { } priority)
        {
            try { process.PriorityClass = priority; }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException) { }   // runs at the parent's
        }
        var tail = new Queue<string>();
        void Keep(string line) { lock (tail) { tail.Enqueue(line); if (tail.Count > TailLines) tail.Dequeue(); } }
        // Error lines arrive on a thread of their own; they are reported from this thread, between the run's events, so
        // that a front-end's progress is only ever called from one thread.
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        void ReportErrors() { while (errors.TryDequeue(out var line)) job.Report.Report(new RunOutput(job.Run, line)); }
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Keep(e.Data); errors.Enqueue(e.Data); } };
        process.BeginErrorReadLine();

        var request = new WorkerRequest(Path.GetFullPath(job.Suite.SourcePath), job.Suite.Device, job.Index, job.Entry.Label, job.Writer.Directory);
        var stdin = process.StandardInput;
        stdin.WriteLine(JsonSerializer.Serialize(request, ZooJson.Compact));
        stdin.Flush();
        using var stop = job.Cancel.Register(() =>
        {
            try { stdin.WriteLine("stop"); stdin.Flush(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException) { }   // the worker is gone already
        });

        RunResult? result = null;
        var epochs = new List<EpochRecord>();
        var clock = Stopwatch.StartNew();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            ReportErrors();
            SuiteEvent e;
            try { e = WorkerMessages.Read(line); }
            catch (FormatException) { Keep(line); continue; }   // something native printed to stdout: keep it with the error output
            switch (e)
            {
                case RunEnded ended: result = ended.Result; break;   // the runner reports the end itself
                case DatasetOpened or DatasetMessage: break;          // the parent opened the same set already
                default:
                    if (e is EpochEnded x) epochs.Add(x.Record);
                    job.Report.Report(e);
                    break;
            }
        }
        process.WaitForExit();   // also waits for the error stream's last line
        ReportErrors();
        if (result is not null) return result;

        var found = runner.Catalog.FindVariant(job.Entry.Variant);
        string[] lines;
        lock (tail) lines = tail.ToArray();
        return new RunResult
        {
            Label = job.Entry.Label, Variant = found?.Variant.Name ?? job.Entry.Variant, Architecture = found?.Architecture.Name ?? "",
            Family = found?.Architecture.Family ?? "", Plugin = found?.Plugin.Name ?? "",
            Status = RunStatus.Crashed, Epochs = epochs, TotalSeconds = clock.Elapsed.TotalSeconds,
            Error = $"the worker process {HowItEnded(process.ExitCode)}" + (lines.Length == 0 ? "" : "; its last error output:\n" + string.Join("\n", lines)),
        };
    }

    /// <summary>"was killed by signal 6 (SIGABRT)" for an exit status past 128 (how .NET reports a signal on Unix), else "exited with code N".</summary>
    public static string HowItEnded(int exitCode) => exitCode is > 128 and < 160
        ? $"was killed by signal {exitCode - 128} ({(exitCode - 128) switch { 4 => "SIGILL", 6 => "SIGABRT", 7 => "SIGBUS", 8 => "SIGFPE", 9 => "SIGKILL, as the out-of-memory killer does", 11 => "SIGSEGV", 15 => "SIGTERM", var n => "signal " + n }})"
        : $"exited with code {exitCode} before its run ended";
}

/// <summary>
/// The worker's side (<c>zoo worker</c>): reads a <see cref="WorkerRequest"/> line, opens the data set, executes that one
/// run in process and writes its events as <see cref="WorkerMessages"/> lines, the last a <see cref="RunEnded"/>.
/// A "stop" line, or the end of the input (the parent is gone), stops the run after its current step.
/// </summary>
public static class WorkerHost
{
    /// <summary>The shortest time between two step events a worker sends (an epoch's first and last always go).</summary>
    public static readonly TimeSpan StepInterval = TimeSpan.FromMilliseconds(100);

    public static int Serve(SuiteRunner runner, TextReader input, TextWriter output)
    {
        var first = input.ReadLine() ?? throw new ZooConfigException("worker", "no request on standard input");
        var request = JsonSerializer.Deserialize<WorkerRequest>(first, ZooJson.Compact) ?? throw new ZooConfigException("worker", "an empty request");
        using var cts = new CancellationTokenSource();
        var listener = new Thread(() =>
        {
            try
            {
                while (input.ReadLine() is { } line)
                    if (line.Trim() == "stop") break;
            }
            catch (IOException) { }
            cts.Cancel();
        }) { IsBackground = true, Name = "zoo worker stop listener" };
        listener.Start();

        var suite = SuiteParser.Load(request.SuitePath) with { Device = request.Device };
        runner.Validate(suite);
        if (request.Index < 0 || request.Index >= suite.Models.Count || suite.Models[request.Index].Label != request.Label)
            throw new ZooConfigException(request.SuitePath, $"has no run '{request.Label}' at place {request.Index + 1} any more; the suite file changed while it ran");
        // Step events at most every StepInterval (always an epoch's first and last): a small model's step takes a few
        // milliseconds, and a line written, flushed and parsed for each would wake the parent on every step for
        // progress nobody can read that fast (the console redraws 4 times a second).
        var steps = new StepThrottle(StepInterval, keepEpochEdges: true);
        var report = new SyncProgress<SuiteEvent>(e =>
        {
            if (!WorkerMessages.Carries(e)) return;
            if (e is StepProgress s)
            {
                if (!steps.Admit(s)) return;
            }
            lock (output) { output.WriteLine(WorkerMessages.Write(e)); output.Flush(); }
        });
        // This run's catalogue weights ("weights": "imagenet") become the cached file's path as in the parent, which pulled
        // them already (nothing is downloaded here); without this a worker's run would silently start from random weights.
        suite = runner.PullPretrained(suite, report, cts.Token, request.Index);
        var writer = new ResultWriter(request.OutputDirectory);
        var (splits, summary) = runner.OpenDataset(suite, request.OutputDirectory, report);
        var device = new TorchSharp.torch.Device(suite.Device);
        var job = new RunJob(suite, request.Index, splits, summary, device, writer, report, cts.Token);
        var result = InProcessExecutor.Instance.Execute(runner, job);
        report.Report(new RunEnded(job.Run, result));
        return 0;
    }
}
