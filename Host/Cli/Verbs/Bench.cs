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

/// <summary>Benchmarks that report numbers rather than assert them (speed depends on the machine).</summary>
public static class Bench
{
    /// <summary>
    /// zoo bench engine: seconds per training step of the engine (loader on a background thread, DisposeScope,
    /// finite-loss check, gradient norm, schedule, metrics) against a bare TorchSharp loop (pre-built tensors:
    /// forward, loss, backward, step) on the same model, batch and data; prints both and their ratio.
    /// </summary>
    public static int Engine(IServiceProvider services, string variant, int size, int channels, int batch, int steps, int rounds, string? deviceName = null,
        Precision precision = Precision.Fp32)
    {
        var device = Devices.Resolve(deviceName, "--device");
        var catalog = services.GetRequiredService<PluginCatalog>();
        var entry = catalog.FindVariant(variant) ?? throw new ZooConfigException("--arch", $"'{variant}' is not a variant this zoo knows (see `zoo list`)");
        var info = new DatasetInfo("shapes", channels, size, size, ShapesDatasetProvider.ClassNames);
        var data = ShapesDatasetProvider.Generate(info, batch * steps, 11, 0, 0.06);
        var (mean, std) = Splits.ChannelStats(data);
        var spec = new ModelSpec(entry.Variant.Name, channels, 10, size, size);
        var recipe = new Recipe { Epochs = 1, BatchSize = batch, Precision = precision };

        // The bare loop's batches, built once up front so it measures nothing but the step.
        var loader = new BatchLoader(data, batch, shuffle: false, seed: 1, mean, std);
        var tensors = loader.Epoch(1).Select(b => (X: tensor(b.Images).reshape(b.Count, channels, size, size).to(device), Y: tensor(b.Labels.Select(l => (long)l).ToArray()).to(device))).ToList();

        double Bare()
        {
            torch.manual_seed(1);
            using var model = entry.Architecture.Build(spec);
            model.to(device);
            using var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            model.train();
            var sw = Stopwatch.StartNew();
            foreach (var (x, y) in tensors)
            {
                using var scope = torch.NewDisposeScope();
                opt.zero_grad();
                Tensor logits;
                using (Autocast.Enter(device, precision)) logits = model.call(x);
                var loss = nn.functional.cross_entropy(Trainer.Full(logits), y);
                (precision == Precision.Fp16 ? loss * LossScaler.InitialScale : loss).backward();   // the engine's fp16 scaling, without its checks
                opt.step();
                loss.item<float>();   // a loop that reports its loss must wait for it, as the engine does
            }
            return sw.Elapsed.TotalSeconds / tensors.Count;
        }

        double Engine()
        {
            torch.manual_seed(1);
            using var model = entry.Architecture.Build(spec);
            model.to(device);
            using var opt = torch.optim.SGD(model.parameters(), 0.01, momentum: 0.9);
            var schedule = BuiltInSchedules.All().Single(s => s.Name == "cosine").Create(opt, new ScheduleContext(0.01, 1, steps, ParameterBag.Empty));
            var sw = Stopwatch.StartNew();
            new Trainer(model, device).Fit(new BatchLoader(data, batch, shuffle: true, seed: 1, mean, std), _ => null, recipe, opt, schedule);
            return sw.Elapsed.TotalSeconds / steps;
        }

        Console.WriteLine($"engine vs bare TorchSharp loop: {variant} {channels}x{size}x{size}, batch {batch}, {precision.Name()}, {steps} steps per round, {rounds} rounds, on {device}, {torch.get_num_threads()} threads");
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

    /// <summary>
    /// zoo bench engine --worker: the cost of training each run in a worker process (run-suite --isolate) against the
    /// same run in this process. Both train the same one-model suite (the built-in data, the given model and batch,
    /// <paramref name="epochs"/> epochs) through the suite runner, interleaved round by round, the order swapped each
    /// round. Per-step time is the parent's clock between the step events it receives in an epoch (from its first
    /// step's event to its last), so it includes whatever the worker's message stream costs; it is printed for every
    /// epoch, because a fresh process runs its first epochs on code the JIT has not optimised yet (tiered
    /// compilation: .NET recompiles hot methods in the background after about 30 calls), and the per-step cost is the
    /// last epoch's. What the worker costs once per run is reported apart: its start-up (from handing the run over
    /// to its first step's event: starting the process, loading the plugins, opening the data, building the model)
    /// and the whole run's extra wall time, warm-up included.
    /// </summary>
    public static int WorkerCost(IServiceProvider services, IReadOnlyList<string> pluginFolders, string variant, int size, int channels, int batch, int steps, int rounds, int epochs)
    {
        var catalog = services.GetRequiredService<PluginCatalog>();
        if (catalog.FindVariant(variant) is null) throw new ZooConfigException("--arch", $"'{variant}' is not a variant this zoo knows (see `zoo list`)");
        if (epochs < 2) throw new ZooConfigException("--epochs", "must be at least 2: the last epoch is the steady state, the first ones the warm-up");
        var dir = Path.Combine(Path.GetTempPath(), $"zoo-bench-worker-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        var suitePath = Path.Combine(dir, "bench-worker.json");
        File.WriteAllText(suitePath, string.Create(CultureInfo.InvariantCulture, $$"""
            { "name": "bench-worker",
              "dataset": { "name": "shapes", "channels": {{channels}}, "size": {{size}}, "seed": 7, "train": {{batch * steps}}, "val": {{batch}}, "test": {{batch}} },
              "models": [ {{System.Text.Json.JsonSerializer.Serialize(variant)}} ],
              "recipe": { "epochs": {{epochs}}, "batch_size": {{batch}}, "seed": 42, "optimizer": { "name": "sgd", "lr": 0.01, "momentum": 0.9 } } }
            """));
        var suite = Zoo.Engine.Suites.SuiteParser.Load(suitePath);
        var worker = Worker.Executor(pluginFolders);

        Measured Once(bool inWorker, int round)
        {
            var clock = Stopwatch.StartNew();
            double handedOver = 0, firstStep = -1, ended = 0;
            var stepTimes = new SortedDictionary<int, List<(int Step, double Time)>>();   // epoch → its step events' steps and receipt times
            var runner = new Zoo.Engine.Suites.SuiteRunner(catalog)
            {
                Executor = new TimedExecutor(inWorker ? worker : Zoo.Engine.Suites.InProcessExecutor.Instance,
                    () => handedOver = clock.Elapsed.TotalSeconds, () => ended = clock.Elapsed.TotalSeconds),
            };
            var result = runner.Run(suite, Path.Combine(dir, $"{round}-{(inWorker ? "worker" : "in-process")}"), default,
                new Zoo.Engine.Results.SyncProgress<Zoo.Engine.Results.SuiteEvent>(e =>
                {
                    if (e is not Zoo.Engine.Results.StepProgress s) return;
                    double t = clock.Elapsed.TotalSeconds;
                    if (firstStep < 0) firstStep = t;
                    if (!stepTimes.TryGetValue(s.Epoch, out var list)) stepTimes[s.Epoch] = list = new List<(int, double)>();
                    list.Add((s.Step, t));
                }));
            if (result.Runs[0].Status != Zoo.Engine.Results.RunStatus.Finished)
                throw new InvalidOperationException($"the {(inWorker ? "worker" : "in-process")} run ended {result.Runs[0].Status}: {result.Runs[0].Error}");
            // A worker sends step events at most every WorkerExecutor.StepInterval, but always an epoch's first and last.
            var perEpoch = stepTimes.Values.Select(l => (l[^1].Time - l[0].Time) / (l[^1].Step - l[0].Step)).ToList();
            return new Measured(perEpoch, firstStep - handedOver, ended - handedOver);
        }

        Console.WriteLine($"worker process vs in process: {variant} {channels}x{size}x{size}, batch {batch}, {steps} steps x {epochs} epochs per run, {rounds} rounds (order swapped each round), " +
            $"{torch.get_num_threads()} threads here, {Environment.ProcessorCount} cores");
        var inProcess = new List<Measured>();
        var inWorkers = new List<Measured>();
        string Epochs(Measured m) => string.Join(" ", m.PerEpoch.Select(x => (x * 1000).ToString("F2", CultureInfo.InvariantCulture)));
        try
        {
            Once(false, -1);   // warm-up: this process's JIT and oneDNN caches, the data set's first generation
            for (int r = 0; r < rounds; r++)
            {
                bool workerFirst = r % 2 == 1;
                if (workerFirst) inWorkers.Add(Once(true, r));
                inProcess.Add(Once(false, r));
                if (!workerFirst) inWorkers.Add(Once(true, r));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"round {r + 1}: ms/step per epoch in process {Epochs(inProcess[^1])}, worker {Epochs(inWorkers[^1])}; " +
                    $"start-up in process {inProcess[^1].Startup:F2} s, worker {inWorkers[^1].Startup:F2} s; run {inProcess[^1].Run:F2} s, {inWorkers[^1].Run:F2} s"));
            }
        }
        finally { Directory.Delete(dir, true); }
        double M(List<Measured> l, Func<Measured, double> f) => Median(l.Select(f).ToList());
        double pStep = M(inProcess, x => x.PerEpoch[^1]), wStep = M(inWorkers, x => x.PerEpoch[^1]);
        double pStart = M(inProcess, x => x.Startup), wStart = M(inWorkers, x => x.Startup);
        double pRun = M(inProcess, x => x.Run), wRun = M(inWorkers, x => x.Run);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"in process  {pStep * 1000:F2} ms/step in the last epoch, start-up to the first step {pStart:F2} s, whole run {pRun:F2} s (medians of {rounds})"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"worker      {wStep * 1000:F2} ms/step in the last epoch, start-up to the first step {wStart:F2} s, whole run {wRun:F2} s"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"per-step cost of the worker: {(wStep / pStep - 1) * 100:+0.0;-0.0} %; once per run: {wStart - pStart:F2} s more start-up, {wRun - pRun:F2} s more in all (start-up and the fresh process's warm-up)"));
        return 0;
    }

    sealed record Measured(List<double> PerEpoch, double Startup, double Run);

    /// <summary>Notes when the runner hands a run to its executor, for <see cref="WorkerCost"/>'s start-up figure.</summary>
    sealed class TimedExecutor(Zoo.Engine.Suites.IRunExecutor inner, Action handedOver, Action ended) : Zoo.Engine.Suites.IRunExecutor
    {
        public Zoo.Engine.Results.RunResult Execute(Zoo.Engine.Suites.SuiteRunner runner, Zoo.Engine.Suites.RunJob job)
        {
            handedOver();
            try { return inner.Execute(runner, job); }
            finally { ended(); }
        }
    }

    internal static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}
