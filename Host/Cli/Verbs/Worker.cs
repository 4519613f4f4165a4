using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Engine.Suites;

namespace Zoo.Cli;

/// <summary>
/// zoo worker (hidden): one run of a suite for a parent zoo process (<see cref="WorkerExecutor"/>), messages on standard
/// output, everything else (a plugin's prints, native warnings) on standard error so it cannot corrupt them.
/// </summary>
public static class Worker
{
    public static int Serve(IServiceProvider services)
    {
        var messages = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = false };
        Console.SetOut(Console.Error);
        // Ctrl+C in a terminal reaches the whole process group: the parent decides, and sends "stop".
        Console.CancelKeyPress += (_, e) => e.Cancel = true;
        return WorkerHost.Serve(services.GetRequiredService<SuiteRunner>(), Console.In, messages);
    }

    /// <summary>How to start this executable again as a worker, with the same plugin folders.</summary>
    public static WorkerExecutor Executor(IEnumerable<string> pluginFolders, System.Diagnostics.ProcessPriorityClass? priority = null)
    {
        var args = new List<string>();
        var path = Environment.ProcessPath ?? "dotnet";
        // Under `dotnet zoo.dll` the process is the dotnet host, which needs the assembly to run.
        if (Path.GetFileNameWithoutExtension(path) == "dotnet") args.Add(typeof(Worker).Assembly.Location);
        foreach (var dir in pluginFolders) { args.Add("--plugins"); args.Add(Path.GetFullPath(dir)); }
        return new WorkerExecutor(path, args) { Priority = priority };
    }
}
