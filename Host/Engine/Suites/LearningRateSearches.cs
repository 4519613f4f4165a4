using TorchSharp;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;

namespace Zoo.Engine.Suites;

/// <summary>One model entry's range test (<c>zoo lr-find</c>).</summary>
public sealed record ModelLearningRate(string Label, string Variant, LearningRateCurve Curve);

/// <summary>
/// <c>zoo lr-find</c>: the learning-rate range test (<see cref="LearningRateFinder"/>) of a suite's models, each on the
/// model, training batches and optimiser a run of the suite builds (<see cref="ModelRun"/>'s), training nothing and writing
/// no results. A run with "lr": "find" makes the same test itself; this shows it without training.
/// </summary>
public static class LearningRateSearches
{
    /// <summary>
    /// Tests every model entry of <paramref name="suite"/>, or only the one labelled <paramref name="label"/> (its repeats
    /// share its test: repeats after the first are left out), each with its recipe's range ("lr_find") where it gives one, else
    /// the defaults, as its run would; <paramref name="change"/> may change that range (the command line's options).
    /// <paramref name="resultsDirectory"/> is where the data set's
    /// cache goes, as for a run. Throws <see cref="Zoo.Abstractions.ZooConfigException"/> for a suite that cannot run or an
    /// unknown label.
    /// </summary>
    public static IReadOnlyList<ModelLearningRate> Run(SuiteRunner runner, Suite suite, string? label, Func<LearningRateSearch, LearningRateSearch>? change, string resultsDirectory,
        IProgress<SuiteEvent>? progress = null, CancellationToken cancel = default)
    {
        var report = progress ?? new SyncProgress<SuiteEvent>(_ => { });
        var entries = suite.Models.Where(m => m.Repeat == 1).ToList();
        if (label is not null)
        {
            entries = entries.Where(m => string.Equals(m.Label, label, StringComparison.OrdinalIgnoreCase)).ToList();
            if (entries.Count == 0)
                throw new Zoo.Abstractions.ZooConfigException("--model", $"'{label}' is not a model label of {System.IO.Path.GetFileName(suite.SourcePath)}; its labels: {string.Join(", ", suite.Models.Where(m => m.Repeat == 1).Select(m => m.Label))}");
        }
        runner.Validate(suite);
        suite = runner.PullPretrained(suite, report, cancel);
        var device = Devices.Resolve(suite.Device, $"{System.IO.Path.GetFileName(suite.SourcePath)}: device");
        var (splits, data) = runner.OpenDataset(suite, resultsDirectory, report);
        report.Report(new DatasetOpened(data));
        var (mean, std) = (data.Mean.ToArray(), data.Std.ToArray());
        var found = new List<ModelLearningRate>();
        foreach (var entry in entries)
        {
            cancel.ThrowIfCancellationRequested();
            var pulled = suite.Models.First(m => m.Label == entry.Label);
            var recipe = suite.RecipeFor(pulled);
            var variant = runner.Catalog.FindVariant(pulled.Variant)!;
            torch.manual_seed(recipe.Seed);   // the same initial weights as the run's
            using var model = variant.Architecture.Build(ModelRun.Spec(variant, data, pulled, recipe));
            IReadOnlySet<string>? head = null;
            if (pulled.Weights is not null)
            {
                var loaded = WeightLoader.Load(model, pulled.Weights, pulled.ReinitialiseHead, pulled.WeightSelection);
                if (loaded.Reinitialised.Count > 0) head = loaded.Reinitialised.Select(r => r.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
            }
            model.to(device);
            var loader = ModelRun.TrainLoader(runner.Catalog, recipe, splits.Train, mean, std);
            using var optimizer = ModelRun.CreateOptimizer(runner.Catalog, recipe, model, head);
            var search = recipe.Optimizer.Find ?? new LearningRateSearch();
            if (change is not null) search = change(search).Checked("--start/--end/--steps");
            var curve = LearningRateFinder.Find(model, device, loader, recipe, optimizer, search, cancel: cancel);
            report.Report(new LearningRateFound(new RunRef(found.Count + 1, entries.Count, pulled.Label), curve, Kept: false));
            found.Add(new ModelLearningRate(pulled.Label, variant.Variant.Name, curve));
        }
        return found;
    }
}
