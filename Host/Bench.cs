using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Host.Data;
using Zoo.Host.Plugins;
using Zoo.Host.Training;
using static TorchSharp.torch;

namespace Zoo.Host;

/// <summary>Benchmarks that report numbers rather than assert them (speed depends on the machine).</summary>
public static class Bench
{
    /// <summary>
    /// zoo bench engine: seconds per training step of the engine (loader on a background thread, DisposeScope,
    /// finite-loss check, gradient norm, schedule, metrics) against a bare TorchSharp loop (pre-built tensors:
    /// forward, loss, backward, step) on the same model, batch and data; prints both and their ratio.
    /// </summary>
    public static int Engine(IServiceProvider services, string variant, int size, int channels, int batch, int steps, int rounds)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        var entry = catalog.FindVariant(variant) ?? throw new ZooConfigException("--arch", $"'{variant}' is not a variant this zoo knows (see `zoo list`)");
        var info = new DatasetInfo("shapes", channels, size, size, ShapesDatasetProvider.ClassNames);
        var data = ShapesDatasetProvider.Generate(info, batch * steps, 11, 0, 0.06);
        var (mean, std) = Splits.ChannelStats(data);
        var spec = new ModelSpec(entry.Variant.Name, channels, 10, size, size);
        var recipe = new Recipe { Epochs = 1, BatchSize = batch };

        // The bare loop's batches, built once up front so it measures nothing but the step.
        var loader = new BatchLoader(data, batch, shuffle: false, seed: 1, mean, std);
        var tensors = loader.Epoch(1).Select(b => (X: tensor(b.Images).reshape(b.Count, channels, size, size), Y: tensor(b.Labels.Select(l => (long)l).ToArray()))).ToList();

        double Bare()
        {
            torch.manual_seed(1);
            using var model = entry.Architecture.Build(spec);
            using var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            model.train();
            var sw = Stopwatch.StartNew();
            foreach (var (x, y) in tensors)
            {
                using var scope = torch.NewDisposeScope();
                opt.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                opt.step();
                loss.item<float>();   // a loop that reports its loss must wait for it, as the engine does
            }
            return sw.Elapsed.TotalSeconds / tensors.Count;
        }

        double Engine()
        {
            torch.manual_seed(1);
            using var model = entry.Architecture.Build(spec);
            using var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            var schedule = BuiltInSchedules.All().Single(s => s.Name == "cosine").Create(opt, new ScheduleContext(0.01, 1, steps, ParameterBag.Empty));
            var sw = Stopwatch.StartNew();
            new Trainer(model, torch.CPU).Fit(new BatchLoader(data, batch, shuffle: true, seed: 1, mean, std), _ => null, recipe, opt, schedule);
            return sw.Elapsed.TotalSeconds / steps;
        }

        Console.WriteLine($"engine vs bare TorchSharp loop: {variant} {channels}x{size}x{size}, batch {batch}, {steps} steps per round, {rounds} rounds, {torch.get_num_threads()} threads");
        Bare(); Engine();   // warm-up: JIT, allocator, oneDNN primitive caches
        var bare = new List<double>();
        var engine = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            bare.Add(Bare());
            engine.Add(Engine());
        }
        double b = Median(bare), e = Median(engine);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bare loop   {b * 1000:F2} ms/step (median of {rounds})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"zoo engine  {e * 1000:F2} ms/step (median of {rounds})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"overhead ratio engine/bare = {e / b:F3}"));
        foreach (var (x, y) in tensors) { x.Dispose(); y.Dispose(); }
        return 0;
    }

    static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
