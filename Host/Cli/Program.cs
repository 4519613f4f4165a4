using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Cli;
using Zoo.Tui;
using Zoo.Engine;
using Zoo.Engine.Plugins;
using Zoo.Engine.Suites;

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

// zoo list
var jsonOption = new Option<bool>("--json") { Description = "Print machine-readable JSON." };
var list = new Command("list", "List every architecture variant with its family, plugin and parameter count at its reference configuration.");
list.Options.Add(jsonOption);
list.SetAction(pr => Run(pr, services => Commands.List(services, pr.GetValue(jsonOption))));
root.Subcommands.Add(list);

// zoo run-suite FILE
var suiteArgument = new Argument<string>("suite") { Description = "A suite JSON file: models x data set x recipe." };
var outOption = new Option<string?>("--out") { Description = "Results folder (default: results/<suite name>)." };
var deviceOption = new Option<string?>("--device") { Description = "cpu, cuda or cuda:N; overrides the suite's \"device\"." };
var runSuite = new Command("run-suite", "Train and compare the suite's models; writes results.json, per-epoch CSVs and comparison.md. Exit 0 only if every run finished.");
runSuite.Arguments.Add(suiteArgument);
runSuite.Options.Add(outOption);
runSuite.Options.Add(deviceOption);
var resumeOption = new Option<bool>("--resume") { Description = "Continue the suite in its results folder (the default when the folder has results): finished runs are skipped, an interrupted one resumes from its last epoch's checkpoint. Fails if there is nothing to resume." };
var restartOption = new Option<bool>("--restart") { Description = "Discard the results folder's earlier runs and checkpoints and train everything again." };
runSuite.Options.Add(resumeOption);
runSuite.Options.Add(restartOption);
runSuite.SetAction(pr => Run(pr, services => Commands.RunSuite(services, pr.GetValue(suiteArgument)!, pr.GetValue(outOption), pr.GetValue(deviceOption),
    pr.GetValue(resumeOption), pr.GetValue(restartOption))));
root.Subcommands.Add(runSuite);

// zoo watch
var secondsOption = new Option<double?>("--seconds") { Description = "Stop after this many seconds (default: until Ctrl+C)." };
var watch = new Command("watch", "Print the catalogue, then again each time a plugin is added, rebuilt or removed.");
watch.Options.Add(secondsOption);
watch.SetAction(pr => Run(pr, services => Commands.Watch(services, pr.GetValue(secondsOption))));
root.Subcommands.Add(watch);

// zoo describe NAME
var variantArgument = new Argument<string>("variant") { Description = "A variant name from `zoo list`." };
var sizeOption = new Option<int?>("--size") { Description = "Square input size (default: the variant's own, 224 for ImageNet models)." };
var channelsOption = new Option<int?>("--channels") { Description = "Input channels (default: the variant's own)." };
var classesOption = new Option<int?>("--classes") { Description = "Class count (default: the variant's own, 1000 for ImageNet models)." };
var describe = new Command("describe", "A torchsummary-style table of a variant: layers, output shapes, parameters, sizes in MB, and GMACs at the input size.");
describe.Arguments.Add(variantArgument);
describe.Options.Add(sizeOption);
describe.Options.Add(channelsOption);
describe.Options.Add(classesOption);
describe.Options.Add(jsonOption);
describe.SetAction(pr => Run(pr, services => Commands.Describe(services, pr.GetValue(variantArgument)!, pr.GetValue(sizeOption), pr.GetValue(channelsOption), pr.GetValue(classesOption), pr.GetValue(jsonOption))));
root.Subcommands.Add(describe);

// zoo predict --arch NAME --weights FILE IMAGE...
var archOption = new Option<string>("--arch") { Description = "The variant the weights are for.", Required = true };
var weightsOption = new Option<string>("--weights") { Description = "A .safetensors file with the variant's state dict (torchvision key names).", Required = true };
var labelsOption = new Option<string?>("--labels") { Description = "A text file with one class name per line (default: class indices)." };
var imagesArgument = new Argument<string[]>("images") { Description = "Image files (JPEG, PNG, WebP, BMP, GIF).", Arity = ArgumentArity.OneOrMore };
var predict = new Command("predict", "Top-5 classes per image with the given weights, after ImageNet-style resize, centre crop and normalisation.");
predict.Options.Add(archOption);
predict.Options.Add(weightsOption);
predict.Options.Add(labelsOption);
predict.Options.Add(classesOption);
predict.Options.Add(sizeOption);
predict.Arguments.Add(imagesArgument);
predict.SetAction(pr => Run(pr, services => Commands.Predict(services, pr.GetValue(archOption)!, pr.GetValue(weightsOption)!, pr.GetValue(labelsOption),
    pr.GetValue(classesOption), pr.GetValue(sizeOption), pr.GetValue(imagesArgument)!)));
root.Subcommands.Add(predict);

// zoo ui [SUITE]
var uiSuite = new Argument<string?>("suite") { Description = "A suite file that F6 runs inside the UI (optional).", Arity = ArgumentArity.ZeroOrOne };
var uiOut = new Option<string>("--out") { Description = "Where the UI's runs write their results.", DefaultValueFactory = _ => "results" };
var ui = new Command("ui", "The terminal UI: browse the zoo, mark variants and compare them, or run a suite, watching it live; then read the comparison.");
ui.Arguments.Add(uiSuite);
ui.Options.Add(uiOut);
ui.SetAction(pr => Run(pr, services => new ZooUi(services, pr.GetValue(uiSuite), pr.GetValue(uiOut)!).Run()));
root.Subcommands.Add(ui);

// zoo augment-preview
var previewSuite = new Argument<string?>("suite") { Description = "A suite file whose recipe's augment and batch_augment are shown (optional with --augment).", Arity = ArgumentArity.ZeroOrOne };
var previewAugment = new Option<string?>("--augment") { Description = "Instead of a suite: the augment list as JSON, e.g. '[\"hflip\", {\"name\": \"randaugment\", \"m\": 9}]'." };
var previewBatch = new Option<string?>("--batch-augment") { Description = "With --augment: the batch_augment list as JSON, e.g. '[\"mixup_cutmix\"]'." };
var previewImage = new Option<string?>("--image") { Description = "Show this image file instead of one of the data set's." };
var previewModel = new Option<string?>("--model") { Description = "Use this model label's own recipe from the suite." };
var previewIndex = new Option<int>("--index") { Description = "Which training image to show.", DefaultValueFactory = _ => 0 };
var previewCount = new Option<int>("--count") { Description = "Tiles in the grid (the first is the image as it is).", DefaultValueFactory = _ => 16 };
var previewSize = new Option<int>("--size") { Description = "With --augment: image size of the built-in set.", DefaultValueFactory = _ => 64 };
var previewOut = new Option<string>("--out") { Description = "The PNG to write.", DefaultValueFactory = _ => "augment-preview.png" };
var preview = new Command("augment-preview", "Writes a PNG grid of one image through an augmentation pipeline, so you see what the model will see.");
preview.Arguments.Add(previewSuite);
foreach (var o in new Option[] { previewAugment, previewBatch, previewImage, previewModel, previewIndex, previewCount, previewSize, previewOut }) preview.Options.Add(o);
preview.SetAction(pr => Run(pr, services =>
{
    if (pr.GetValue(previewSuite) is null && pr.GetValue(previewAugment) is null)
        throw new ZooConfigException("augment-preview", "give a suite file or --augment '[...]'");
    return Preview.Run(services, pr.GetValue(previewSuite), pr.GetValue(previewAugment), pr.GetValue(previewBatch), pr.GetValue(previewImage), pr.GetValue(previewModel),
        pr.GetValue(previewIndex), Math.Clamp(pr.GetValue(previewCount), 1, 400), pr.GetValue(previewSize), pr.GetValue(previewOut)!);
}));
root.Subcommands.Add(preview);

// zoo analyze DIR
var analyzeDir = new Argument<string>("results") { Description = "A results folder that `zoo run-suite` wrote (results/<suite>)." };
var analyzeMax = new Option<int?>("--max-images") { Description = "Test images per model (a seeded sample; default: the suite's analysis.max_images, else 2000)." };
var analyzePerplexity = new Option<double?>("--perplexity") { Description = "t-SNE perplexity (default: the suite's analysis.perplexity, else 30)." };
var analyze = new Command("analyze", "Feature analysis of each finished run's best weights on the test set: t-SNE, K-means, DBSCAN and their ARI, written into results.json.");
analyze.Arguments.Add(analyzeDir);
analyze.Options.Add(analyzeMax);
analyze.Options.Add(analyzePerplexity);
analyze.SetAction(pr => Run(pr, services => Analyze.Run(services, pr.GetValue(analyzeDir)!, pr.GetValue(analyzeMax), pr.GetValue(analyzePerplexity))));
root.Subcommands.Add(analyze);

// zoo bench engine
var bench = new Command("bench", "Benchmarks that print their figures (speed depends on the machine; nothing is asserted).");
var benchArch = new Option<string>("--arch") { Description = "Variant to train.", DefaultValueFactory = _ => "resnet18" };
var benchSize = new Option<int>("--size") { Description = "Square input size.", DefaultValueFactory = _ => 32 };
var benchChannels = new Option<int>("--channels") { Description = "Input channels.", DefaultValueFactory = _ => 3 };
var benchBatch = new Option<int>("--batch") { Description = "Batch size.", DefaultValueFactory = _ => 64 };
var benchSteps = new Option<int>("--steps") { Description = "Steps per round.", DefaultValueFactory = _ => 30 };
var benchRounds = new Option<int>("--rounds") { Description = "Rounds (the median is reported).", DefaultValueFactory = _ => 3 };
var benchEngine = new Command("engine", "Step time of the training engine against a bare TorchSharp loop on the same model and batch, as a ratio.");
foreach (var o in new Option[] { benchArch, benchSize, benchChannels, benchBatch, benchSteps, benchRounds }) benchEngine.Options.Add(o);
benchEngine.SetAction(pr => Run(pr, services => Bench.Engine(services, pr.GetValue(benchArch)!, pr.GetValue(benchSize), pr.GetValue(benchChannels),
    pr.GetValue(benchBatch), pr.GetValue(benchSteps), pr.GetValue(benchRounds))));
bench.Subcommands.Add(benchEngine);
var benchKeep = new Option<string?>("--keep") { Description = "Write the generated files here and keep them (to run bench/torchvision_loader.py on the same files)." };
var benchImages = new Option<int>("--images") { Description = "JPEGs in the image-folder set.", DefaultValueFactory = _ => 2000 };
var benchEpochs = new Option<int>("--epochs") { Description = "Epochs per set (the median is reported).", DefaultValueFactory = _ => 3 };
var benchLoader = new Command("loader", "Images per second the loader delivers: built-in set, MNIST IDX files, CIFAR binaries, and an image folder of JPEGs at 224 with flip + resized crop + colour jitter.");
foreach (var o in new Option[] { benchKeep, benchImages, benchEpochs }) benchLoader.Options.Add(o);
benchLoader.SetAction(pr => Run(pr, services => LoaderBench.Run(services, pr.GetValue(benchKeep), pr.GetValue(benchImages), pr.GetValue(benchEpochs))));
bench.Subcommands.Add(benchLoader);
var benchPoints = new Option<int>("--points") { Description = "Points (images) to analyse.", DefaultValueFactory = _ => 2000 };
var benchDims = new Option<int>("--dims") { Description = "Features per point.", DefaultValueFactory = _ => 512 };
var benchClasses = new Option<int>("--classes") { Description = "Clusters (classes).", DefaultValueFactory = _ => 10 };
var benchIterations = new Option<int>("--iterations") { Description = "t-SNE iterations.", DefaultValueFactory = _ => 1000 };
var benchAnalysis = new Command("analysis", "Seconds of the feature analysis (t-SNE, K-means, DBSCAN grid) on synthetic features, 2 000 x 512 by default.");
foreach (var o in new Option[] { benchPoints, benchDims, benchClasses, benchIterations }) benchAnalysis.Options.Add(o);
benchAnalysis.SetAction(pr => Run(pr, _ => Analyze.Bench(pr.GetValue(benchPoints), pr.GetValue(benchDims), pr.GetValue(benchClasses), pr.GetValue(benchIterations))));
bench.Subcommands.Add(benchAnalysis);
root.Subcommands.Add(bench);

return root.Parse(args).Invoke();

int Run(ParseResult pr, Func<IServiceProvider, int> action)
{
    var dirs = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
    dirs.AddRange(pr.GetValue(pluginsOption) ?? Array.Empty<string>());
    using var services = ZooServices.Create(dirs);
    try
    {
        return action(services);
    }
    catch (ZooConfigException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
}
