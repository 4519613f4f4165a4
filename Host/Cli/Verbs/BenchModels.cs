using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Cli;

/// <summary>
/// zoo bench models: for each model, one SGD training step (forward, cross-entropy, backward, step) and one
/// inference step (eval mode, inference mode) on a fixed random batch, the latency of one image, and the peak
/// resident memory while that model ran. bench/torchvision_step.py measures the same steps in PyTorch, and
/// bench/compare_step.sh interleaves the two so that a noisy machine affects both sides alike.
/// </summary>
public static class ModelsBench
{
    /// <summary>The ten models the seeds/002 comparison trains.</summary>
    public static readonly string[] SeedModels =
    {
        "lenet5", "alexnet", "vgg11_bn", "googlenet", "resnet18",
        "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0", "efficientnet_b0", "mnasnet1_0",
    };

    public sealed record Row(string Model, int Channels, int Size, int Batch, long Parameters, double TrainMs, double InferMs, double LatencyMs,
        double TrainImagesPerSecond, double PeakRssMib, int Threads)
    {
        /// <summary>fp32, bf16 or fp16 (<see cref="Precisions.Names"/>).</summary>
        public string Precision { get; init; } = "fp32";
        public bool ChannelsLast { get; init; }
        /// <summary>
        /// The process's CPU seconds per training step, as ms (mean over the timed steps): on a machine shared with other
        /// work this moves much less than the wall time; run with OMP_NUM_THREADS=1 so no thread spins at a barrier.
        /// </summary>
        public double TrainCpuMs { get; init; }
    }

    public static int Run(IServiceProvider services, string[] models, int size, int channels, int batch, int steps, string? jsonPath,
        Precision precision = Precision.Fp32, bool channelsLast = false)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var entries = models.Select(m => catalog.FindVariant(m)
            ?? throw new ZooConfigException("--models", $"'{m}' is not a variant this zoo knows (see `zoo list`)")).ToList();
        if (steps < 1) throw new ZooConfigException("--steps", "must be at least 1");
        if (precision != Precision.Fp32 && !Autocast.Available) throw new ZooConfigException("--precision", $"mixed precision needs LibTorch's autocast: {Autocast.Unavailable}");

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"training and inference step per model: {channels}x{size}x{size}, batch {batch}, {precision.Name()}{(channelsLast ? ", channels-last input" : "")}, {steps} timed steps after at least 2 warm-up steps and 2 s, {torch.get_num_threads()} threads"));
        Console.WriteLine("model                 parameters  train ms/step  train CPU ms/step  images/s  infer ms/step  ms/image at batch 1  peak RSS MiB");
        var rows = new List<Row>();
        foreach (var entry in entries)
        {
            var row = Measure(entry.Architecture, entry.Variant.Name, size, channels, batch, steps, precision, channelsLast);
            rows.Add(row);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{row.Model,-21} {row.Parameters,10}  {row.TrainMs,13:F1}  {row.TrainCpuMs,17:F1}  {row.TrainImagesPerSecond,8:F0}  {row.InferMs,13:F1}  {row.LatencyMs,19:F2}  {row.PeakRssMib,12:F0}"));
        }
        if (jsonPath is not null)
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(rows, ZooJson.Options));
        return 0;
    }

    static Row Measure(IArchitecture architecture, string variant, int size, int channels, int batch, int steps, Precision precision, bool channelsLast)
    {
        ResetPeakRss();
        torch.manual_seed(1);
        using var model = architecture.Build(new ModelSpec(variant, channels, 10, size, size));
        using var x = MemoryOrder.Input(torch.randn(batch, channels, size, size), channelsLast);
        using var y = torch.randint(0, 10, batch, dtype: ScalarType.Int64);
        using var one = MemoryOrder.Input(torch.randn(1, channels, size, size), channelsLast);
        var cpu = torch.CPU;
        using var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);

        model.train();
        void TrainStep()
        {
            using var scope = torch.NewDisposeScope();
            opt.zero_grad();
            Tensor logits;
            using (Autocast.Enter(cpu, precision)) logits = model.call(x);
            var loss = nn.functional.cross_entropy(logits.to(ScalarType.Float32), y);
            loss.backward();
            opt.step();
            loss.item<float>();
        }
        double train = Time(TrainStep, steps, out double trainCpu);

        model.eval();
        double infer, latency;
        using (torch.inference_mode())
        using (Autocast.Enter(cpu, precision))
        {
            infer = Time(() => { using var scope = torch.NewDisposeScope(); model.call(x).to(ScalarType.Float32).sum().item<float>(); }, steps);
            latency = Time(() => { using var scope = torch.NewDisposeScope(); model.call(one).to(ScalarType.Float32).sum().item<float>(); }, steps);
        }
        // The parameter count lets bench/compare_step.sh show that PyTorch ran the same network (torchvision_step.py prints its own).
        long parameters = model.parameters().Sum(p => p.numel());
        return new Row(variant, channels, size, batch, parameters, train * 1000, infer * 1000, latency * 1000, batch / train, PeakRssMib(), torch.get_num_threads())
        {
            Precision = precision.Name(), ChannelsLast = channelsLast, TrainCpuMs = trainCpu * 1000,
        };
    }

    /// <summary>
    /// Seconds per call: warm-up calls (at least two, and for at least two seconds: oneDNN primitive caches, the
    /// allocator, and .NET's tiered JIT, which recompiles hot methods on a background thread after about 30 calls and
    /// would otherwise take a core from LibTorch's threads while the first steps are timed), then the median of the timed ones.
    /// </summary>
    static double Time(Action step, int steps) => Time(step, steps, out _);

    static double Time(Action step, int steps, out double cpuSecondsPerStep)
    {
        var warm = Stopwatch.StartNew();
        step(); step();
        while (warm.Elapsed < WarmUp) step();
        var times = new List<double>(steps);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < steps; i++)
        {
            var sw = Stopwatch.StartNew();
            step();
            times.Add(sw.Elapsed.TotalSeconds);
        }
        cpuSecondsPerStep = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / steps;
        return Bench.Median(times);
    }

    /// <summary>Linux resets VmHWM (the peak resident set) when "5" is written to /proc/self/clear_refs.</summary>
    static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    static double PeakRssMib()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);
    }
}
