using System.CommandLine;
using System.Globalization;
using Zoo.Abstractions;
using Zoo.Cli;
using Zoo.Tui;
using Zoo.Engine;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

var pluginsOption = new Option<string[]>("--plugins")
{
    Description = "Another directory to load plugins from (repeatable); the built-in families' directory is always searched.",
    Recursive = true,
    AllowMultipleArgumentsPerToken = false,
};
var root = new RootCommand("Zoo: a model zoo for image classification. Loads architecture families from plugins, trains and compares them.");
root.Options.Add(pluginsOption);

root.Subcommands.Add(ListVerb());
root.Subcommands.Add(PluginsVerb());
root.Subcommands.Add(RunSuiteVerb());
root.Subcommands.Add(LrFindVerb());
root.Subcommands.Add(WorkerVerb());
root.Subcommands.Add(ReportVerb());
root.Subcommands.Add(WatchVerb());
root.Subcommands.Add(DescribeVerb());
root.Subcommands.Add(PredictVerb());
root.Subcommands.Add(ExplainVerb());
root.Subcommands.Add(UiVerb());
root.Subcommands.Add(AugmentPreviewVerb());
root.Subcommands.Add(AnalyzeVerb());
root.Subcommands.Add(BenchVerb());
root.Subcommands.Add(WeightsVerb());
root.Subcommands.Add(DoctorVerb());
root.Subcommands.Add(LaunchVerb());

var parsed = root.Parse(args);
// A word it cannot place is one line and exit 2 (ParseErrors); bare `zoo` still shows the help.
return parsed.Errors.Count > 0 && args.Length > 0 ? ParseErrors.Report(parsed, Console.Error) : parsed.Invoke();

// zoo list
Command ListVerb()
{
    var json = JsonOption();
    var parameters = new Option<bool>("--parameters") { Description = "Instead: every parameter a suite file can set (suite fields, data sets, optimisers, schedules, augmentations, architecture options) with its default and allowed values, as Markdown tables." };
    var list = new Command("list", "List every architecture variant with its family, plugin and parameter count at its reference configuration.");
    list.Options.Add(json);
    list.Options.Add(parameters);
    list.SetAction(pr => Run(pr, services => Commands.List(services, pr.GetValue(json), pr.GetValue(parameters))));
    return list;
}

// zoo plugins [--json] | zoo plugins disable NAME | zoo plugins enable NAME
Command PluginsVerb()
{
    var json = JsonOption();
    var plugins = new Command("plugins", "List every plugin found with its state (loaded, conflicting, failed, disabled, superseded), the reason, version, contract version and variants.");
    plugins.Options.Add(json);
    plugins.SetAction(pr => Run(pr, services => Commands.Plugins(services, pr.GetValue(json))));
    foreach (var enable in new[] { false, true })
    {
        var name = new Argument<string>("name") { Description = "The plugin's name as `zoo plugins` shows it." };
        var verb = enable
            ? new Command("enable", "Load a disabled plugin again (kept in $XDG_CONFIG_HOME/zoo/plugins.json, else ~/.config/zoo/plugins.json).")
            : new Command("disable", "Stop loading a plugin, whichever plugin folder it is in (kept in $XDG_CONFIG_HOME/zoo/plugins.json, else ~/.config/zoo/plugins.json).");
        verb.Arguments.Add(name);
        verb.SetAction(pr => Run(pr, services => Commands.SetPluginEnabled(services, pr.GetValue(name)!, enable)));
        plugins.Subcommands.Add(verb);
    }
    return plugins;
}

// zoo run-suite FILE
Command RunSuiteVerb()
{
    var suite = new Argument<string>("suite") { Description = "A suite JSON file: models x data set x recipe." };
    var output = new Option<string?>("--out") { Description = "Results folder (default: results/<suite name>)." };
    var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N; overrides the suite's \"device\"." };
    var resume = new Option<bool>("--resume") { Description = "Continue the suite in its results folder (the default when the folder has results): finished runs are skipped, an interrupted one resumes from its last epoch's checkpoint. Fails if there is nothing to resume." };
    var restart = new Option<bool>("--restart") { Description = "Discard the results folder's earlier runs and checkpoints and train everything again." };
    var shard = new Option<string?>("--shard") { Description = "I/N: train only the I-th of N shards of the suite's runs (model k goes to shard k mod N + 1), writing results.shard-I-of-N.json; N such processes may share one --out folder, and `zoo report` over it merges them." };
    // Workers are the default: on a quiet machine `zoo bench engine --worker` measured their steady per-step cost at
    // 0 % (LeNet-5) and -1 % (ResNet-18), within the noise; a run pays about 1.6 s of start-up and its JIT's warm-up once (issue 13).
    var isolate = new Option<bool>("--isolate") { Description = "Train each model in a worker process of its own (the default): a native crash or an out-of-memory kill marks that run crashed and the suite goes on, and each model starts with fresh memory." };
    var inProcess = new Option<bool>("--in-process") { Description = "Train every model in this process instead of a worker process each (no start-up per run, but a native crash ends the suite)." };
    var runSuite = new Command("run-suite", "Train and compare the suite's models; writes results.json, per-epoch CSVs and comparison.md. Exit 0 only if every run finished.");
    runSuite.Arguments.Add(suite);
    foreach (var o in new Option[] { output, device, resume, restart, shard, inProcess, isolate }) runSuite.Options.Add(o);
    runSuite.SetAction(pr => Run(pr, services =>
    {
        if (pr.GetValue(inProcess) && pr.GetValue(isolate)) throw new ZooConfigException("--in-process/--isolate", "give one of them, not both");
        return Commands.RunSuite(services, pr.GetValue(suite)!, pr.GetValue(output), pr.GetValue(device),
            pr.GetValue(resume), pr.GetValue(restart), pr.GetValue(shard),
            pr.GetValue(inProcess) ? null : Worker.Executor(pr.GetValue(pluginsOption) ?? Array.Empty<string>()));
    }));
    return runSuite;
}

// zoo lr-find SUITE
Command LrFindVerb()
{
    var suite = new Argument<string>("suite") { Description = "A suite JSON file; each model is tested with its own recipe, data and initial weights." };
    var model = new Option<string?>("--model") { Description = "Only the model with this label." };
    var defaults = new Zoo.Engine.Training.LearningRateSearch();
    string Default(string what, object value) => $" (default: the recipe's \"lr_find\" {what}, else {Convert.ToString(value, CultureInfo.InvariantCulture)})";
    var steps = new Option<int?>("--steps") { Description = "Steps of the test (fewer where the loss diverges first)" + Default("steps", defaults.Steps) + "." };
    var start = new Option<double?>("--start") { Description = "The first step's learning rate" + Default("start", defaults.Start) + "." };
    var end = new Option<double?>("--end") { Description = "The last step's learning rate" + Default("end", defaults.End) + "." };
    var json = JsonOption();
    var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N; overrides the suite's \"device\"." };
    var lrFind = new Command("lr-find", "The learning-rate range test (Smith 2015, fastai's lr_find) of each model of a suite: the loss as the rate rises exponentially, and the suggested rate (steepest descent of the smoothed loss). Trains nothing.");
    lrFind.Arguments.Add(suite);
    foreach (var o in new Option[] { model, steps, start, end, json, device }) lrFind.Options.Add(o);
    lrFind.SetAction(pr => Run(pr, services => LrFind.Run(services, pr.GetValue(suite)!, pr.GetValue(model), pr.GetValue(steps), pr.GetValue(start), pr.GetValue(end), pr.GetValue(json), pr.GetValue(device))));
    return lrFind;
}

// zoo worker: hidden; one run for a parent `zoo run-suite` or `zoo ui` (WorkerExecutor)
Command WorkerVerb()
{
    var worker = new Command("worker", "One run of a suite for a parent zoo process: a request on standard input, JSON lines on standard output.") { Hidden = true };
    worker.SetAction(pr => Run(pr, Worker.Serve));
    return worker;
}

// zoo watch
Command ReportVerb()
{
    var results = new Argument<string[]>("results") { Description = "Results folders that `zoo run-suite` wrote (each with a results.json); several are merged into one comparison.", Arity = ArgumentArity.OneOrMore };
    var output = new Option<string?>("--out") { Description = "Where report.html and figures/ go (default: the results folder, or results/report when merging)." };
    var svg = new Option<bool>("--svg") { Description = "Write each figure as SVG too (dashed lines come out solid)." };
    var report = new Command("report", "Write report.html (self-contained: comparison, status, figures, data, recipe) and figures/ (PNG, SVG) from results folders.");
    report.Arguments.Add(results);
    report.Options.Add(output);
    report.Options.Add(svg);
    report.SetAction(pr => Run(pr, _ => Commands.Report(pr.GetValue(results)!, pr.GetValue(output), pr.GetValue(svg))));
    return report;
}

Command WatchVerb()
{
    var seconds = new Option<double?>("--seconds") { Description = "Stop after this many seconds (default: until Ctrl+C)." };
    var watch = new Command("watch", "Print the catalogue, then again each time a plugin is added, rebuilt or removed.");
    watch.Options.Add(seconds);
    watch.SetAction(pr => Run(pr, services => Commands.Watch(services, pr.GetValue(seconds))));
    return watch;
}

// zoo describe NAME
Command DescribeVerb()
{
    var variant = new Argument<string>("variant") { Description = "A variant name from `zoo list`." };
    var size = new Option<int?>("--size") { Description = "Square input size (default: the variant's own, 224 for ImageNet models)." };
    var channels = new Option<int?>("--channels") { Description = "Input channels (default: the variant's own)." };
    var classes = new Option<int?>("--classes") { Description = "Class count (default: the variant's own, 1000 for ImageNet models)." };
    var json = JsonOption();
    var device = DeviceOption();
    var describe = new Command("describe", "A torchsummary-style table of a variant: layers, output shapes, parameters, sizes in MB, and GMACs at the input size.");
    describe.Arguments.Add(variant);
    foreach (var o in new Option[] { size, channels, classes, json, device }) describe.Options.Add(o);
    describe.SetAction(pr => Run(pr, services => Commands.Describe(services, pr.GetValue(variant)!, pr.GetValue(size), pr.GetValue(channels), pr.GetValue(classes), pr.GetValue(json), pr.GetValue(device))));
    return describe;
}

// zoo predict --weights FILE [--arch NAME] IMAGE...
Command PredictVerb()
{
    var arch = new Option<string?>("--arch") { Description = "The variant the weights are for: required for a file without a Zoo model card (a torchvision export); checked against a Zoo run's file." };
    var weights = new Option<string>("--weights") { Description = "A .safetensors file (a Zoo run's says its model, options, size, normalisation and class names) or a PyTorch checkpoint (.pth/.pt), with torchvision key names.", Required = true };
    var entry = WeightsEntryOption("--weights-entry");
    var strip = StripPrefixOption();
    var labels = new Option<string?>("--labels") { Description = "A text file with one class name per line (default: the file's class names, else class indices)." };
    var channels = new Option<int?>("--channels") { Description = "Input channels of a file without a model card (default: the variant's own)." };
    var classes = new Option<int?>("--classes") { Description = "Class count of a file without a model card (default: the --labels count, else the variant's own)." };
    var size = new Option<int?>("--size") { Description = "Square input size of a file without a model card (default: the variant's own; images are resized to size/0.875 and centre-cropped)." };
    var options = new Option<string[]>("--option") { Description = "An architecture option of a file without a model card, key=value (repeatable), e.g. --option activation=relu.", AllowMultipleArgumentsPerToken = false };
    var device = DeviceOption();
    var precision = PrecisionOption("Number format of the forward pass: fp32, or bf16 / fp16 under LibTorch's autocast (faster where the CPU or GPU computes them natively; see `zoo doctor`).");
    var images = new Argument<string[]>("images") { Description = "Image files (JPEG, PNG, WebP, BMP, GIF).", Arity = ArgumentArity.OneOrMore };
    var predict = new Command("predict", "Top-5 classes per image. A Zoo run's weights rebuild their own model and preprocessing; other files get ImageNet-style resize, centre crop and normalisation.");
    foreach (var o in new Option[] { arch, weights, entry, strip, labels, channels, classes, size, options, device, precision }) predict.Options.Add(o);
    predict.Arguments.Add(images);
    predict.SetAction(pr => Run(pr, services => Commands.Predict(services, pr.GetValue(arch), pr.GetValue(weights)!, pr.GetValue(labels),
        pr.GetValue(channels), pr.GetValue(classes), pr.GetValue(size), pr.GetValue(options) ?? Array.Empty<string>(), pr.GetValue(images)!,
        new Zoo.Engine.Weights.WeightSelection(pr.GetValue(entry), pr.GetValue(strip)), pr.GetValue(device), ParsePrecision(pr.GetValue(precision)))));
    return predict;
}

// zoo explain --weights FILE [--arch NAME] [--class NAME] [--layer NAME] [--out DIR] IMAGE...
Command ExplainVerb()
{
    var arch = new Option<string?>("--arch") { Description = "The variant the weights are for: required for a file without a Zoo model card; checked against a Zoo run's file." };
    var weights = new Option<string>("--weights") { Description = "A .safetensors file (a Zoo run's says its model and preprocessing) or a PyTorch checkpoint (.pth/.pt), with torchvision key names.", Required = true };
    var labels = new Option<string?>("--labels") { Description = "A text file with one class name per line (default: the file's class names, else class indices)." };
    var size = new Option<int?>("--size") { Description = "Square input size of a file without a model card (default: the variant's own)." };
    var cls = new Option<string?>("--class") { Description = "The class whose evidence is shown, by name or index (default: each image's top class)." };
    var layer = new Option<string?>("--layer") { Description = "The module whose output Grad-CAM reads, as `zoo describe` names it (default: the model's own, else the last spatial map before pooling)." };
    var output = new Option<string>("--out") { Description = "Where the overlay PNGs go (IMAGE-gradcam.png).", DefaultValueFactory = _ => "explain" };
    var device = DeviceOption();
    var images = new Argument<string[]>("images") { Description = "Image files (JPEG, PNG, WebP, BMP, GIF).", Arity = ArgumentArity.OneOrMore };
    var explain = new Command("explain", "Where the model looks: Grad-CAM of each image's top (or the --class) class drawn over it as a PNG, and the top-5 classes, with the preprocessing `predict` uses.");
    foreach (var o in new Option[] { arch, weights, labels, size, cls, layer, output, device }) explain.Options.Add(o);
    explain.Arguments.Add(images);
    explain.SetAction(pr => Run(pr, services => Commands.Explain(services, pr.GetValue(arch), pr.GetValue(weights)!, pr.GetValue(labels), pr.GetValue(size),
        pr.GetValue(cls), pr.GetValue(layer), pr.GetValue(output)!, pr.GetValue(images)!, pr.GetValue(device))));
    return explain;
}

// zoo ui [SUITE]
Command UiVerb()
{
    var suite = new Argument<string?>("suite") { Description = "A suite file that F6 runs inside the UI (optional).", Arity = ArgumentArity.ZeroOrOne };
    var output = new Option<string>("--out") { Description = "Where the UI's runs write their results.", DefaultValueFactory = _ => "results" };
    var inProcess = new Option<bool>("--in-process") { Description = "Train in the UI's own process instead of a worker process per model (below normal priority, so the screen stays responsive and a crash marks the run crashed)." };
    var ui = new Command("ui", "The terminal UI: browse the zoo, mark variants and compare them, or run a suite, watching it live; then read the comparison.");
    ui.Arguments.Add(suite);
    ui.Options.Add(output);
    ui.Options.Add(inProcess);
    ui.SetAction(pr => Run(pr, services => new ZooUi(services, pr.GetValue(suite), pr.GetValue(output)!,
        pr.GetValue(inProcess) ? null : Worker.Executor(pr.GetValue(pluginsOption) ?? Array.Empty<string>(), System.Diagnostics.ProcessPriorityClass.BelowNormal)).Run()));
    return ui;
}

// zoo augment-preview [SUITE]
Command AugmentPreviewVerb()
{
    var suite = new Argument<string?>("suite") { Description = "A suite file whose recipe's augment and batch_augment are shown (optional with --augment).", Arity = ArgumentArity.ZeroOrOne };
    var augment = new Option<string?>("--augment") { Description = "Instead of a suite: the augment list as JSON, e.g. '[\"hflip\", {\"name\": \"randaugment\", \"m\": 9}]'." };
    var batch = new Option<string?>("--batch-augment") { Description = "With --augment: the batch_augment list as JSON, e.g. '[\"mixup_cutmix\"]'." };
    var image = new Option<string?>("--image") { Description = "Show this image file instead of one of the data set's." };
    var model = new Option<string?>("--model") { Description = "Use this model label's own recipe from the suite." };
    var index = new Option<int>("--index") { Description = "Which training image to show.", DefaultValueFactory = _ => 0 };
    var count = new Option<int>("--count") { Description = "Tiles in the grid (the first is the image as it is).", DefaultValueFactory = _ => 16 };
    var size = new Option<int>("--size") { Description = "With --augment: image size of the built-in set.", DefaultValueFactory = _ => 64 };
    var output = new Option<string>("--out") { Description = "The PNG to write.", DefaultValueFactory = _ => "augment-preview.png" };
    var preview = new Command("augment-preview", "Writes a PNG grid of one image through an augmentation pipeline, so you see what the model will see.");
    preview.Arguments.Add(suite);
    foreach (var o in new Option[] { augment, batch, image, model, index, count, size, output }) preview.Options.Add(o);
    preview.SetAction(pr => Run(pr, services =>
    {
        if (pr.GetValue(suite) is null && pr.GetValue(augment) is null)
            throw new ZooConfigException("augment-preview", "give a suite file or --augment '[...]'");
        return Preview.Run(services, pr.GetValue(suite), pr.GetValue(augment), pr.GetValue(batch), pr.GetValue(image), pr.GetValue(model),
            pr.GetValue(index), Math.Clamp(pr.GetValue(count), 1, 400), pr.GetValue(size), pr.GetValue(output)!);
    }));
    return preview;
}

// zoo bench engine | loader | analysis | models | memory
Command BenchVerb()
{
    var bench = new Command("bench", "Benchmarks that print their figures (speed depends on the machine; nothing is asserted).");
    var arch = new Option<string>("--arch") { Description = "Variant to train.", DefaultValueFactory = _ => "resnet18" };
    var size = new Option<int>("--size") { Description = "Square input size.", DefaultValueFactory = _ => 32 };
    var channels = new Option<int>("--channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
    var batch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
    var steps = new Option<int>("--steps") { Description = "Steps per round.", DefaultValueFactory = _ => 30 };
    var rounds = new Option<int>("--rounds") { Description = "Rounds (the median is reported).", DefaultValueFactory = _ => 3 };
    var device = DeviceOption();
    var viaWorker = new Option<bool>("--worker") { Description = "Instead: per-step time of a run in a worker process (run-suite --isolate) against the same run in process, interleaved, per epoch, and each one's start-up to its first step." };
    var workerEpochs = new Option<int>("--epochs") { Description = "With --worker: epochs per run (the last is the steady state).", DefaultValueFactory = _ => 3 };
    var enginePrecision = PrecisionOption("Number format of both loops' forward passes: fp32, or mixed precision bf16 / fp16.");
    var engine = new Command("engine", "Step time of the training engine against a bare TorchSharp loop on the same model and batch, as a ratio; with --worker, the worker process's cost.");
    foreach (var o in new Option[] { arch, size, channels, batch, steps, rounds, device, enginePrecision, viaWorker, workerEpochs }) engine.Options.Add(o);
    engine.SetAction(pr => Run(pr, services => pr.GetValue(viaWorker)
        ? Bench.WorkerCost(services, pr.GetValue(pluginsOption) ?? Array.Empty<string>(), pr.GetValue(arch)!, pr.GetValue(size), pr.GetValue(channels),
            pr.GetValue(batch), pr.GetValue(steps), pr.GetValue(rounds), pr.GetValue(workerEpochs))
        : Bench.Engine(services, pr.GetValue(arch)!, pr.GetValue(size), pr.GetValue(channels),
            pr.GetValue(batch), pr.GetValue(steps), pr.GetValue(rounds), pr.GetValue(device), ParsePrecision(pr.GetValue(enginePrecision)))));
    bench.Subcommands.Add(engine);

    var keep = new Option<string?>("--keep") { Description = "Write the generated files here and keep them (to run bench/torchvision_loader.py on the same files)." };
    var images = new Option<int>("--images") { Description = "JPEGs in the image-folder set.", DefaultValueFactory = _ => 2000 };
    var epochs = new Option<int>("--epochs") { Description = "Epochs per set (the median is reported).", DefaultValueFactory = _ => 3 };
    var loader = new Command("loader", "Images per second the loader delivers: built-in set, MNIST IDX files, CIFAR binaries, and an image folder of JPEGs at 224 with flip + resized crop + colour jitter.");
    foreach (var o in new Option[] { keep, images, epochs }) loader.Options.Add(o);
    loader.SetAction(pr => Run(pr, services => LoaderBench.Run(services, pr.GetValue(keep), pr.GetValue(images), pr.GetValue(epochs))));
    bench.Subcommands.Add(loader);

    var points = new Option<int>("--points") { Description = "Points (images) to analyse.", DefaultValueFactory = _ => 2000 };
    var dims = new Option<int>("--dims") { Description = "Features per point.", DefaultValueFactory = _ => 512 };
    var classes = new Option<int>("--classes") { Description = "Clusters (classes).", DefaultValueFactory = _ => 10 };
    var iterations = new Option<int>("--iterations") { Description = "t-SNE iterations.", DefaultValueFactory = _ => 1000 };
    var analysis = new Command("analysis", "Seconds of the feature analysis (t-SNE, K-means, DBSCAN grid) on synthetic features, 2 000 x 512 by default.");
    foreach (var o in new Option[] { points, dims, classes, iterations }) analysis.Options.Add(o);
    analysis.SetAction(pr => Run(pr, _ => Analyze.Bench(pr.GetValue(points), pr.GetValue(dims), pr.GetValue(classes), pr.GetValue(iterations))));
    bench.Subcommands.Add(analysis);

    var models = new Option<string?>("--models") { Description = "Comma-separated variants (default: the ten of seeds/002)." };
    var modelSize = new Option<int>("--size") { Description = "Square input size (28 uses the small-input stems).", DefaultValueFactory = _ => 112 };
    var modelChannels = new Option<int>("--channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
    var modelBatch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 16 };
    var modelSteps = new Option<int>("--steps") { Description = "Timed steps per measurement (the median is reported).", DefaultValueFactory = _ => 10 };
    var jsonOut = new Option<string?>("--json") { Description = "Also write the rows to this JSON file (bench/compare_step.sh reads it)." };
    var modelPrecision = PrecisionOption("Number format of the forward passes: fp32, or mixed precision bf16 / fp16 (LibTorch's autocast; float32 weights).");
    var channelsLast = new Option<bool>("--channels-last") { Description = "Give the model its input in channels-last (NHWC) memory order, so oneDNN's convolutions keep that order." };
    var modelsBench = new Command("models", "Training-step and inference ms/step, images/s, batch-1 latency and peak resident memory per model; bench/torchvision_step.py measures the same in PyTorch.");
    foreach (var o in new Option[] { models, modelSize, modelChannels, modelBatch, modelSteps, modelPrecision, channelsLast, jsonOut }) modelsBench.Options.Add(o);
    modelsBench.SetAction(pr => Run(pr, services => ModelsBench.Run(services,
        pr.GetValue(models)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? ModelsBench.SeedModels,
        pr.GetValue(modelSize), pr.GetValue(modelChannels), pr.GetValue(modelBatch), pr.GetValue(modelSteps), pr.GetValue(jsonOut),
        ParsePrecision(pr.GetValue(modelPrecision)), pr.GetValue(channelsLast))));
    bench.Subcommands.Add(modelsBench);

    var memArch = new Option<string>("--arch") { Description = "Variant to train.", DefaultValueFactory = _ => "mobilenet_v2" };
    var memEpochs = new Option<int>("--epochs") { Description = "Epochs to train.", DefaultValueFactory = _ => 12 };
    var memSize = new Option<int>("--size") { Description = "Square input size.", DefaultValueFactory = _ => 28 };
    var memChannels = new Option<int>("--channels") { Description = "Input channels.", DefaultValueFactory = _ => 1 };
    var memBatch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 32 };
    var memTrain = new Option<int>("--train") { Description = "Training images (a fifth as many each for validation and test).", DefaultValueFactory = _ => 1500 };
    var trim = new Option<bool>("--trim") { Description = "Hand the C heap's free pages back after each epoch (glibc malloc_trim) and print both figures." };
    var memory = new Command("memory", "Resident memory after each epoch of one model on the built-in data (the quick start's 28 px, batch 32 by default).");
    foreach (var o in new Option[] { memArch, memEpochs, memSize, memChannels, memBatch, memTrain, trim }) memory.Options.Add(o);
    memory.SetAction(pr => Run(pr, services => BenchMemory.Memory(services, pr.GetValue(memArch)!, pr.GetValue(memEpochs), pr.GetValue(memSize),
        pr.GetValue(memChannels), pr.GetValue(memBatch), pr.GetValue(memTrain), pr.GetValue(trim))));
    bench.Subcommands.Add(memory);
    return bench;
}

Command AnalyzeVerb()
{
    var results = new Argument<string>("results") { Description = "A results folder that `zoo run-suite` wrote (results/<suite>)." };
    var maxImages = new Option<int?>("--max-images") { Description = "Test images per model (a seeded sample; default: the suite's analysis.max_images, else 2000)." };
    var perplexity = new Option<double?>("--perplexity") { Description = "t-SNE perplexity (default: the suite's analysis.perplexity, else 30)." };
    var device = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N (default: the suite's device where this machine has it, else cpu)." };
    var analyze = new Command("analyze", "Feature analysis of each finished run's best weights on the test set: t-SNE, K-means, DBSCAN and their ARI, written into results.json.");
    analyze.Arguments.Add(results);
    analyze.Options.Add(maxImages);
    analyze.Options.Add(perplexity);
    analyze.Options.Add(device);
    analyze.SetAction(pr => Run(pr, services => Analyze.Run(services, pr.GetValue(results)!, pr.GetValue(maxImages), pr.GetValue(perplexity), pr.GetValue(device))));
    return analyze;
}

// zoo weights convert
Command WeightsVerb()
{
    var weights = new Command("weights", "Pretrained weights: the catalogue of published weights per variant, downloading them, and converting PyTorch checkpoints.");
    var variant = new Argument<string?>("variant") { Description = "Only this variant's weights.", Arity = ArgumentArity.ZeroOrOne };
    var json = JsonOption();
    var list = new Command("list", "The published weights the plugins declare: name, top-1/top-5 as published, evaluation preprocessing, and the URL or the cached file.");
    list.Arguments.Add(variant);
    list.Options.Add(json);
    list.SetAction(pr => Run(pr, services => WeightsCommands.List(services, pr.GetValue(variant), pr.GetValue(json))));
    weights.Subcommands.Add(list);
    var spec = new Argument<string>("weights") { Description = "VARIANT or VARIANT:NAME, e.g. resnet50 (its recommended weights) or resnet50:IMAGENET1K_V1." };
    var pull = new Command("pull", "Download published weights into the cache (~/.cache/zoo/weights, or $ZOO_CACHE/weights), checking the SHA-256 prefix in the file name.");
    pull.Arguments.Add(spec);
    pull.SetAction(pr => Run(pr, services => WeightsCommands.Pull(services, pr.GetValue(spec)!)));
    weights.Subcommands.Add(pull);
    var input = new Argument<string>("input") { Description = "A PyTorch checkpoint (.pth/.pt, written by torch.save)." };
    var output = new Argument<string>("output") { Description = "The .safetensors file to write." };
    var entry = WeightsEntryOption("--entry");
    var strip = StripPrefixOption();
    var convert = new Command("convert", "Write a PyTorch checkpoint's state dict as safetensors, without Python and without running anything from the file.");
    convert.Arguments.Add(input);
    convert.Arguments.Add(output);
    convert.Options.Add(entry);
    convert.Options.Add(strip);
    convert.SetAction(pr => Run(pr, _ => WeightsCommands.Convert(pr.GetValue(input)!, pr.GetValue(output)!, new Zoo.Engine.Weights.WeightSelection(pr.GetValue(entry), pr.GetValue(strip)))));
    weights.Subcommands.Add(convert);
    return weights;
}

static Option<string?> WeightsEntryOption(string name) => new(name)
{
    Description = "For a PyTorch training checkpoint that holds several state dicts: the entry to take, e.g. model_ema (a path like model/state_dict goes deeper).",
};

static Option<string?> StripPrefixOption() => new("--strip-prefix") { Description = "Remove this prefix from the keys that have it, e.g. module. of a DataParallel checkpoint." };

// zoo doctor
Command DoctorVerb()
{
    var json = JsonOption();
    var doctor = new Command("doctor", "What this build and machine give Zoo: TorchSharp and LibTorch, CPU and its instruction sets, threads, CUDA and its devices, the GLIBCXX patch, folders and free space.");
    doctor.Options.Add(json);
    doctor.SetAction(pr => VerbBoundary.Run(() => Doctor.Run(pr.GetValue(json)), Console.Error, debug: Environment.GetEnvironmentVariable("ZOO_DEBUG") == "1"));
    return doctor;
}

// zoo launch slurm|kubernetes SUITE
Command LaunchVerb()
{
    var launch = new Command("launch", "Write the job that runs a suite's shards on a scheduler you have (Slurm, Kubernetes); you submit it, then `zoo report` merges the results.");
    (Argument<string> Suite, Option[] Options, Func<ParseResult, Launch.Common> Read) CommonOptions(string resultsHelp)
    {
        var suite = new Argument<string>("suite") { Description = "The suite file." };
        var shards = new Option<int?>("--shards") { Description = "Shards, one job task each (default: one per model of the suite)." };
        var gpus = new Option<int>("--gpus") { Description = "GPUs per shard; more than 0 runs the shards with --device cuda (a -p:ZooTorch=cuda build).", DefaultValueFactory = _ => 0 };
        var cpus = new Option<int>("--cpus") { Description = "CPU cores per shard (also LibTorch's threads).", DefaultValueFactory = _ => 2 };
        var mem = new Option<string?>("--mem") { Description = "Memory per shard in the scheduler's notation (Slurm 16G, Kubernetes 16Gi)." };
        var results = new Option<string?>("--out") { Description = resultsHelp };
        var zoo = new Option<string>("--zoo") { Description = "How the jobs start zoo.", DefaultValueFactory = _ => "zoo" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the job here (default: standard output)." };
        return (suite, new Option[] { shards, gpus, cpus, mem, results, zoo, output },
            pr => new Launch.Common(pr.GetValue(suite)!, pr.GetValue(shards), pr.GetValue(gpus), pr.GetValue(cpus), pr.GetValue(mem), pr.GetValue(results), pr.GetValue(zoo)!, pr.GetValue(output)));
    }

    var (slurmSuite, slurmCommon, slurmRead) = CommonOptions("Results folder on the shared file system (default: results/<suite name> here, made absolute).");
    var time = new Option<string?>("--time") { Description = "Time limit per task (Slurm: minutes, hh:mm:ss or d-hh:mm:ss)." };
    var partition = new Option<string?>("--partition") { Description = "Slurm partition." };
    var logs = new Option<string?>("--logs") { Description = "Folder for one log per task (default: <results>/logs; created now)." };
    var slurm = new Command("slurm", "An sbatch job-array script: one array task per shard running `zoo run-suite SUITE --shard $((SLURM_ARRAY_TASK_ID+1))/N`, a log per task.");
    slurm.Arguments.Add(slurmSuite);
    foreach (var o in slurmCommon.Concat(new Option[] { time, partition, logs })) slurm.Options.Add(o);
    slurm.SetAction(pr => VerbBoundary.Run(() => Launch.Slurm(slurmRead(pr), pr.GetValue(time), pr.GetValue(partition), pr.GetValue(logs)), Console.Error, debug: Environment.GetEnvironmentVariable("ZOO_DEBUG") == "1"));
    launch.Subcommands.Add(slurm);

    var (k8sSuite, k8sCommon, k8sRead) = CommonOptions("Results folder inside the pods (default: <mount>/results/<suite name>).");
    var image = new Option<string>("--image") { Description = "Container image with zoo on its PATH.", Required = true };
    var claim = new Option<string>("--volume-claim") { Description = "PersistentVolumeClaim for suites, data and results (ReadWriteMany across nodes).", DefaultValueFactory = _ => "zoo-work" };
    var mount = new Option<string>("--mount") { Description = "Where the volume is mounted in the pods; the suite is read from <mount>/suites/.", DefaultValueFactory = _ => "/zoo" };
    var kubernetes = new Command("kubernetes", "A Kubernetes Indexed Job manifest: one pod per shard (JOB_COMPLETION_INDEX + 1 of N), a shared volume for data and results.");
    kubernetes.Arguments.Add(k8sSuite);
    foreach (var o in k8sCommon.Concat(new Option[] { image, claim, mount })) kubernetes.Options.Add(o);
    kubernetes.SetAction(pr => VerbBoundary.Run(() => Launch.Kubernetes(k8sRead(pr), pr.GetValue(image)!, pr.GetValue(claim)!, pr.GetValue(mount)!), Console.Error, debug: Environment.GetEnvironmentVariable("ZOO_DEBUG") == "1"));
    launch.Subcommands.Add(kubernetes);
    return launch;
}

static Option<bool> JsonOption() => new("--json") { Description = "Print machine-readable JSON." };

static Option<string?> PrecisionOption(string description) => new("--precision") { Description = description + " Default fp32." };

static Zoo.Engine.Training.Precision ParsePrecision(string? text) => text is null ? Zoo.Engine.Training.Precision.Fp32
    : Zoo.Engine.Training.Precisions.Parse(text) ?? throw new Zoo.Abstractions.ZooConfigException("--precision",
        $"'{text}' is not a precision; use one of {string.Join(", ", Zoo.Engine.Training.Precisions.Names)}");

static Option<string?> DeviceOption() => new("--device") { Description = "cpu (default), cuda or cuda:N; a device this build or machine lacks is refused (see `zoo doctor`)." };

// Every verb runs here: a user's mistake is one line and exit 2, a fault one line and exit 1 (VerbBoundary).
int Run(ParseResult pr, Func<IServiceProvider, int> action) => VerbBoundary.Run(() =>
{
    var given = pr.GetValue(pluginsOption) ?? Array.Empty<string>();
    foreach (var dir in given) PathChecks.InputFolder("--plugins", dir, "a folder of plugin folders (each with its assembly)");
    using var services = ZooServices.Create(given.Prepend(Path.Combine(AppContext.BaseDirectory, "plugins")));
    return action(services);
}, Console.Error, debug: Environment.GetEnvironmentVariable("ZOO_DEBUG") == "1");
