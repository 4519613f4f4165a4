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

    internal static double Median(List<double> v)
    {
        var s = v.OrderBy(x => x).ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }
}

/// <summary>zoo bench loader: images per second the loader delivers for each data set format.</summary>
public static class LoaderBench
{
    public static int Run(IServiceProvider services, string? keep, int folderImages, int epochs)
    {
        if (keep is not null) PathChecks.OutputFolder("--keep", keep);
        var catalog = services.GetRequiredService<PluginCatalog>();
        var root = keep ?? Path.Combine(Path.GetTempPath(), $"zoo-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        Console.WriteLine($"loader benchmark in {root} ({Environment.ProcessorCount} cores; batches prepared ahead on a background thread)");
        Console.WriteLine("set                          images  open s  images/s per epoch (median of " + epochs + ")");
        try
        {
            // 1. The built-in set in memory.
            var shapes = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames), 60000, 1, 0, 0.06);
            Report("shapes 1x28x28 (built in)", shapes, 0, null, epochs);

            // 2. MNIST-format IDX files (gzipped), 60 000 train images, written from the built-in set.
            var mnistDir = Path.Combine(root, "mnist");
            if (!IdxDatasetProvider.Recognises(mnistDir)) WriteIdx(mnistDir, shapes, 10000);
            var sw = Stopwatch.StartNew();
            var mnist = IdxDatasetProvider.Mnist().Open(new DatasetRequest { Path = mnistDir });
            Report("MNIST IDX .gz 1x28x28", mnist.Train, sw.Elapsed.TotalSeconds, null, epochs);

            // 3. CIFAR-10 binary batches, 50 000 train images.
            var cifarDir = Path.Combine(root, "cifar-10-batches-bin");
            var rgb = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 3, 32, 32, ShapesDatasetProvider.ClassNames), 60000, 2, 0, 0.06);
            if (!CifarDatasetProvider.IsCifar10(cifarDir)) WriteCifar(cifarDir, rgb);
            sw.Restart();
            var cifar = CifarDatasetProvider.Cifar10().Open(new DatasetRequest { Path = cifarDir });
            Report("CIFAR-10 binary 3x32x32", cifar.Train, sw.Elapsed.TotalSeconds, null, epochs);
            var cifarAug = new Compose(new[] { Aug(catalog, "random_crop", ("padding", "4")), Aug(catalog, "hflip") });
            Report("  + crop 4 + flip", cifar.Train, 0, cifarAug, epochs);

            // 4. An image folder of JPEGs at 224x224: decode once into the cache, then flip + resized crop + colour jitter.
            var folder = Path.Combine(root, "jpegs");
            if (!ImageFolderProvider.Recognises(folder)) WriteJpegs(folder, folderImages);
            var provider = new ImageFolderProvider();
            var cacheRoot = Path.Combine(root, "data-cache");
            if (Directory.Exists(cacheRoot)) Directory.Delete(cacheRoot, true);   // the first open must decode
            sw.Restart();
            var jpegs = provider.Open(new DatasetRequest { Path = folder, Size = 224, Channels = 3, CacheDirectory = cacheRoot });
            double decode = sw.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"ImageFolder JPEG decode+resize",-28} {jpegs.Train.Count,7}  {decode,6:F1}  {jpegs.Train.Count / decode,8:F0} (first open: decode into the cache)"));
            sw.Restart();
            jpegs = provider.Open(new DatasetRequest { Path = folder, Size = 224, Channels = 3, CacheDirectory = cacheRoot });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"ImageFolder reopen (cache)",-28} {jpegs.Train.Count,7}  {sw.Elapsed.TotalSeconds,6:F2}"));
            var folderAug = new Compose(new[] { Aug(catalog, "hflip"), Aug(catalog, "random_resized_crop"), Aug(catalog, "color_jitter", ("brightness", "0.4"), ("contrast", "0.4"), ("saturation", "0.4")) });
            Report("ImageFolder 224 no aug", jpegs.Train, 0, null, epochs);
            Report("  + flip+rrc+jitter", jpegs.Train, 0, folderAug, epochs);
        }
        finally
        {
            if (keep is null) Directory.Delete(root, true);
        }
        return 0;
    }

    static IAugmentation Aug(PluginCatalog catalog, string name, params (string K, string V)[] kv) =>
        catalog.Augmentations.First(a => a.Name == name).Create(new ParameterBag(kv.ToDictionary(x => x.K, x => x.V), name));

    static void Report(string name, IImageSet set, double open, IAugmentation? augment, int epochs)
    {
        var (mean, std) = Splits.ChannelStats(set, 500);
        var loader = new BatchLoader(set, 64, shuffle: true, seed: 1, mean, std, augment);
        var rates = new List<double>();
        for (int e = 1; e <= epochs; e++)
        {
            var sw = Stopwatch.StartNew();
            long n = 0;
            foreach (var b in loader.Epoch(e)) n += b.Count;
            rates.Add(n / sw.Elapsed.TotalSeconds);
        }
        rates.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-28} {set.Count,7}  {(open > 0 ? open.ToString("F2", CultureInfo.InvariantCulture) : ""),6}  {rates[rates.Count / 2],8:F0}"));
    }

    static void WriteIdx(string dir, IImageSet set, int test)
    {
        Directory.CreateDirectory(dir);
        void Write(string name, int from, int count)
        {
            int len = set.Info.ImageLength;
            var px = new byte[count * len];
            var labels = new byte[count];
            var buf = new float[len];
            for (int i = 0; i < count; i++)
            {
                set.Read(from + i, buf);
                for (int k = 0; k < len; k++) px[i * len + k] = (byte)Math.Round(buf[k] * 255);
                labels[i] = (byte)set.GetLabel(from + i);
            }
            void Idx(string file, byte[] data, int[] dims)
            {
                using var f = File.Create(Path.Combine(dir, file + ".gz"));
                using var gz = new System.IO.Compression.GZipStream(f, System.IO.Compression.CompressionLevel.Fastest);
                gz.Write(new byte[] { 0, 0, 8, (byte)dims.Length });
                foreach (var d in dims) gz.Write(new[] { (byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d });
                gz.Write(data);
            }
            Idx($"{name}-images-idx3-ubyte", px, new[] { count, set.Info.Height, set.Info.Width });
            Idx($"{name}-labels-idx1-ubyte", labels, new[] { count });
        }
        Write("train", 0, set.Count - test);
        Write("t10k", set.Count - test, test);
    }

    static void WriteCifar(string dir, IImageSet set)
    {
        Directory.CreateDirectory(dir);
        var buf = new float[3072];
        for (int b = 0; b < 6; b++)
        {
            var bytes = new byte[10000 * 3073];
            for (int i = 0; i < 10000; i++)
            {
                int idx = b * 10000 + i;
                set.Read(idx, buf);
                bytes[i * 3073] = (byte)set.GetLabel(idx);
                for (int k = 0; k < 3072; k++) bytes[i * 3073 + 1 + k] = (byte)Math.Round(buf[k] * 255);
            }
            File.WriteAllBytes(Path.Combine(dir, b < 5 ? $"data_batch_{b + 1}.bin" : "test_batch.bin"), bytes);
        }
    }

    /// <summary>JPEG photos-to-be: 320x240 (some portrait) with shapes, noise and gradients, quality 90.</summary>
    static void WriteJpegs(string dir, int count)
    {
        var shapes = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 3, 96, 96, ShapesDatasetProvider.ClassNames), count, 3, 0, 0.1);
        Parallel.For(0, count, i =>
        {
            int label = shapes.GetLabel(i);
            var cls = Path.Combine(dir, ShapesDatasetProvider.ClassNames[label]);
            Directory.CreateDirectory(cls);
            var buf = new float[3 * 96 * 96];
            shapes.Read(i, buf);
            bool portrait = i % 4 == 0;
            using var small = new SkiaSharp.SKBitmap(96, 96);
            for (int y = 0; y < 96; y++)
                for (int x = 0; x < 96; x++)
                    small.SetPixel(x, y, new SkiaSharp.SKColor((byte)(buf[y * 96 + x] * 255), (byte)(buf[9216 + y * 96 + x] * 255), (byte)(buf[18432 + y * 96 + x] * 255)));
            using var big = small.Resize(new SkiaSharp.SKImageInfo(portrait ? 240 : 320, portrait ? 320 : 240), new SkiaSharp.SKSamplingOptions(SkiaSharp.SKFilterMode.Linear, SkiaSharp.SKMipmapMode.Linear));
            using var data = big.Encode(SkiaSharp.SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(Path.Combine(cls, $"{i:D5}.jpg"), data.ToArray());
        });
    }
}
