using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Cli;

/// <summary>zoo bench memory: resident memory per epoch, with the parts of it /proc/self/status tells apart.</summary>
public static class BenchMemory
{
    /// <summary>
    /// zoo bench memory: resident memory after each epoch of one model trained by the suite runner (checkpoints, best
    /// weights and all) on the built-in data, as the quick start trains it; with <paramref name="trim"/> the C heap's
    /// free pages are handed back after each epoch (<see cref="NativeHeap.Trim"/>), to tell growth that is allocator
    /// behaviour from memory that is held. MALLOC_ARENA_MAX in the environment is reported, as it bounds glibc's arenas.
    /// </summary>
    public static int Memory(IServiceProvider services, string variant, int epochs, int size, int channels, int batch, int train, bool trim)
    {
        var runner = services.GetRequiredService<Zoo.Engine.Suites.SuiteRunner>();
        var dir = Path.Combine(Path.GetTempPath(), $"zoo-bench-memory-{Guid.NewGuid():N}");
        var json = string.Create(CultureInfo.InvariantCulture, $$"""
            { "name": "bench-memory",
              "dataset": { "name": "shapes", "channels": {{channels}}, "size": {{size}}, "seed": 7, "train": {{train}}, "val": {{Math.Max(train / 5, 10)}}, "test": {{Math.Max(train / 5, 10)}} },
              "models": [ {{System.Text.Json.JsonSerializer.Serialize(variant)}} ],
              "recipe": { "epochs": {{epochs}}, "batch_size": {{batch}}, "seed": 42, "optimizer": { "name": "adamw", "lr": 0.002, "weight_decay": 0.05 },
                          "schedule": { "name": "cosine", "warmup_epochs": 0.5 } } }
            """);
        var suite = Zoo.Engine.Suites.SuiteParser.Parse(json, Path.Combine(dir, "bench-memory.json"));
        double before = Trainer.ResidentMegabytes();
        string Env(string name) => $"{name}={Environment.GetEnvironmentVariable(name) ?? "unset"}";
        Console.WriteLine($"resident memory per epoch: {variant} {channels}x{size}x{size}, batch {batch}, {train} train images, {epochs} epochs, " +
            $"{torch.get_num_threads()} threads; the trainer releases freed memory at each epoch's end (GC, malloc_trim); --trim (once more after the checkpoint): {(trim ? "yes" : "no")}");
        Console.WriteLine($"environment: {Env("MALLOC_ARENA_MAX")} {Env("MALLOC_MMAP_THRESHOLD_")} {Env("MALLOC_TRIM_THRESHOLD_")} {Env("GLIBC_TUNABLES")} {Env("ONEDNN_PRIMITIVE_CACHE_CAPACITY")}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"before the run: {before:F0} MiB"));
        // Where the resident memory is: the C heap's live bytes (tensors, LibTorch's caches) and the bytes it has freed
        // but keeps (glibc's mallinfo2, all arenas), the managed heap, and the tensors alive on the training thread.
        Console.WriteLine((trim ? "epoch  RSS MiB  after trim" : "epoch  RSS MiB") + "  vs epoch 3  anon   file  C live  C free held  C mmapped  GC heap  GC committed  live tensors  peak  release s");
        double? third = null;
        const double MiB = 1024.0 * 1024.0;
        try
        {
            var result = runner.Run(suite, dir, default, new Zoo.Engine.Results.SyncProgress<Zoo.Engine.Results.SuiteEvent>(e =>
            {
                if (e is not Zoo.Engine.Results.EpochEnded x) return;
                double rss = Trainer.ResidentMegabytes(), after = rss;   // now, after the checkpoint, like the columns beside it
                var heap = NativeHeap.Read();
                if (trim)
                {
                    NativeHeap.Trim();
                    after = Trainer.ResidentMegabytes();
                }
                if (x.Record.Epoch == 3) third = after;
                string vs = third is { } t && x.Record.Epoch > 3 ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round((after - t) / t * 100, 1):+0.0;-0.0;0.0} %") : "";
                string c = heap is { } h ? string.Create(CultureInfo.InvariantCulture, $"{h.InUse / MiB,6:F0}  {h.FreeHeld / MiB,11:F0}  {h.Mapped / MiB,9:F0}") : "     -            -          -";
                var (anon, file) = ResidentParts();
                string rest = string.Create(CultureInfo.InvariantCulture,
                    $"  {GC.GetTotalMemory(false) / MiB,7:F0}  {GC.GetGCMemoryInfo().TotalCommittedBytes / MiB,12:F0}  {DisposeScopeManager.Statistics.ThreadTotalLiveCount,12}  {EpochPeak(),4:F0}  {NativeHeap.LastReleaseSeconds,9:F3}");
                Console.WriteLine((trim
                    ? string.Create(CultureInfo.InvariantCulture, $"{x.Record.Epoch,5}  {rss,7:F0}  {after,10:F0}  {vs,10}  ")
                    : string.Create(CultureInfo.InvariantCulture, $"{x.Record.Epoch,5}  {rss,7:F0}  {vs,10}  "))
                    + string.Create(CultureInfo.InvariantCulture, $"{anon,4:F0}  {file,5:F0}  ") + c + rest);
            }));
            if (result.Runs[0].Error is { } error) Console.WriteLine($"the run ended {result.Runs[0].Status}: {error}");
        }
        finally { Directory.Delete(dir, true); }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        if (trim) NativeHeap.Trim();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"after the run (model disposed{(trim ? ", heap trimmed" : "")}): {Trainer.ResidentMegabytes():F0} MiB"));
        return 0;
    }

    /// <summary>The peak resident set in MiB since the last call (VmHWM, then reset through /proc/self/clear_refs); 0 where unreadable.</summary>
    static double EpochPeak()
    {
        try
        {
            double peak = 0;
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    peak = double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
            File.WriteAllText("/proc/self/clear_refs", "5");
            return peak;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return 0; }
    }

    /// <summary>The resident set's anonymous and file-backed parts in MiB (/proc/self/status RssAnon, RssFile; 0 elsewhere).</summary>
    static (double Anon, double File) ResidentParts()
    {
        double anon = 0, file = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anon = Kb(line) / 1024.0;
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kb(line) / 1024.0;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return (anon, file);
        static double Kb(string line) => double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
