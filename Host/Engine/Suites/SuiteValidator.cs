using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

/// <summary>
/// Checks a parsed suite against the catalogue and the disk before anything trains, so that a mistake in
/// the last model entry is not found after the first model has trained for an hour: every name (models,
/// data set, schedules, augmentations), the data set's options and every recipe's parameters, the device, the data path, and for
/// each model entry its options and input size (the model is built on the meta device, which allocates
/// nothing) and its starting weights (the file's header is read and its keys compared with the model's).
/// Errors are <see cref="ZooConfigException"/>s naming the file, the field and what is allowed.
/// </summary>
/// <remarks>
/// The suite declares the data set's channels and size only where it gives them; where it does not, a
/// model is built at its variant's own input, which any variant accepts, and the weights' keys are not
/// compared (a few architectures' keys depend on the input size). The class count is the data set's and
/// is known only once it is open; it changes no key and no option, so the variant's own is used.
/// </remarks>
public sealed class SuiteValidator
{
    readonly PluginCatalog _catalog;

    public SuiteValidator(PluginCatalog catalog) => _catalog = catalog;

    /// <summary>Throws <see cref="ZooConfigException"/> at the first thing in <paramref name="suite"/> that cannot run.</summary>
    public void Validate(Suite suite)
    {
        var file = Path.GetFileName(suite.SourcePath);
        foreach (var m in suite.Models)
            if (_catalog.FindVariant(m.Variant) is null)
                throw new ZooConfigException($"{file}: {m.Where}", Unknown("model", m.Variant, _catalog.Variants.Select(v => v.Variant.Name), "zoo list"));
        if (_catalog.Datasets.All(d => d.Name != suite.Dataset.Name))
            throw new ZooConfigException($"{file}: dataset.name", Unknown("data set", suite.Dataset.Name, _catalog.Datasets.Select(d => d.Name)));
        // Its options as well (shapes' "train", a folder's "test_fraction"…): the provider checks them only when it opens.
        var datasetParameters = _catalog.Datasets.First(d => d.Name == suite.Dataset.Name).Parameters;
        suite.Dataset.Options.EnsureOnly(datasetParameters);
        CheckTypes(suite.Dataset.Options, datasetParameters);
        ValidateRecipe(suite.Recipe, file, "recipe");
        foreach (var m in suite.Models.Where(m => m.Recipe is not null))
            ValidateRecipe(m.Recipe!, file, $"{m.Where}.recipe");
        try { _ = new Device(suite.Device); }
        catch (Exception) { throw new ZooConfigException($"{file}: device", $"'{suite.Device}' is not a device; use cpu, cuda or cuda:N"); }
        if (suite.Dataset.Path is { } data && !File.Exists(data) && !Directory.Exists(data))
            throw new ZooConfigException($"{file}: dataset.path", $"{data}: no such file or folder");
        foreach (var m in suite.Models) ValidateModel(suite, m, file);
    }

    void ValidateRecipe(Recipe recipe, string file, string where)
    {
        if (_catalog.Optimizers.FirstOrDefault(o => o.Name == recipe.Optimizer.Name) is not { } optimizer)
            throw new ZooConfigException($"{file}: {where}.optimizer.name", Unknown("optimiser", recipe.Optimizer.Name, _catalog.Optimizers.Select(o => o.Name)));
        recipe.Optimizer.Parameters.EnsureOnly(new[] { "name", "lr" }.Concat(optimizer.Parameters.Select(p => p.Name)));
        CheckTypes(recipe.Optimizer.Parameters, optimizer.Parameters);
        if (_catalog.Schedules.All(s => s.Name != recipe.Schedule.Name))
            throw new ZooConfigException($"{file}: {where}.schedule.name", Unknown("schedule", recipe.Schedule.Name, _catalog.Schedules.Select(s => s.Name)));
        for (int i = 0; i < recipe.Augment.Count; i++)
            if (_catalog.Augmentations.All(a => a.Name != recipe.Augment[i].Name))
                throw new ZooConfigException($"{file}: {where}.augment[{i}].name", Unknown("augmentation", recipe.Augment[i].Name, _catalog.Augmentations.Select(a => a.Name)));
        for (int i = 0; i < recipe.BatchAugment.Count; i++)
            if (_catalog.BatchAugmentations.All(a => a.Name != recipe.BatchAugment[i].Name))
                throw new ZooConfigException($"{file}: {where}.batch_augment[{i}].name", Unknown("batch augmentation", recipe.BatchAugment[i].Name, _catalog.BatchAugmentations.Select(a => a.Name)));
        // Parameters too, so a typo fails now rather than after the first model has trained.
        recipe.Schedule.Parameters.EnsureOnly(_catalog.Schedules.First(f => f.Name == recipe.Schedule.Name).Parameters);
        foreach (var (name, bag) in recipe.Augment) _catalog.Augmentations.First(f => f.Name == name).Create(bag);
        foreach (var (name, bag) in recipe.BatchAugment) _catalog.BatchAugmentations.First(f => f.Name == name).Create(bag);
    }

    /// <summary>
    /// The declared types of the values a bag has ("weight_decay": "lots", "train": "many"): optimisers and data sets
    /// read them only once a model is built or the data opens. Ranges stay theirs to check.
    /// </summary>
    static void CheckTypes(ParameterBag bag, IEnumerable<ParameterInfo> parameters)
    {
        foreach (var p in parameters.Where(p => bag.Has(p.Name)))
            _ = p.Type switch
            {
                "number" => bag.GetDouble(p.Name, 0),
                "integer" => bag.GetInt(p.Name, 0),
                "bool" => bag.GetBool(p.Name, false) ? 1 : 0,
                _ => 0,
            };
    }

    void ValidateModel(Suite suite, ModelEntry entry, string file)
    {
        var found = _catalog.FindVariant(entry.Variant)!;
        var recipe = suite.RecipeFor(entry);
        var own = found.Variant.DefaultInput;
        var spec = new ModelSpec(found.Variant.Name, suite.Dataset.Channels ?? own.Channels, found.Variant.DefaultClasses,
            suite.Dataset.Size ?? own.Height, suite.Dataset.Size ?? own.Width)
        {
            Dropout = entry.Dropout ?? recipe.Dropout,
            StochasticDepth = entry.StochasticDepth ?? recipe.StochasticDepth,
            LayerScale = entry.LayerScale,
            Options = entry.Options,
        };
        // What the variant declares it does not take (contract 1.2), said before any model is built.
        if (found.Variant.Unsupported(spec.Input) is { } unsupported)
            throw new ZooConfigException($"{file}: {entry.Where}", $"{unsupported}; change dataset.size or dataset.channels, or choose another model");
        IReadOnlyDictionary<string, long[]>? keys = null;
        try
        {
            keys = found.Architecture.StateShapes(spec);
        }
        catch (ZooConfigException e) when (!e.Where.StartsWith(file, StringComparison.Ordinal))
        {
            // An architecture names the constraint ("input: needs at least 16x16") but not the suite's entry.
            throw new ZooConfigException($"{file}: {entry.Where}", $"{found.Variant.Name}: {e.Message}");
        }
        catch (Exception e) when (e is not ZooConfigException)
        {
            // Not a user's mistake the validator can name: the run itself reports it (as a failed run) and the suite goes on.
        }

        var where = $"{file}: {entry.Where}.weights";
        if (entry.Pretrained is { } name && entry.Weights is null)
        {
            // Catalogue weights: the name must resolve now; the file is pulled (and its keys checked) just before training.
            new PretrainedCatalog(_catalog).Resolve(found.Variant.Name, name, where);
            return;
        }
        if (entry.Weights is not { } weights) return;
        IReadOnlyDictionary<string, long[]> fileShapes;
        try { fileShapes = WeightFile.Inspect(weights, entry.WeightSelection).Shapes; }
        catch (ZooConfigException e) { throw new ZooConfigException(where, e.Message); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ZooConfigException(where, $"{weights}: cannot be read: {e.Message}"); }
        if (keys is not null && suite.Dataset.Size is not null && WeightLoader.KeyMismatch(keys.Keys, fileShapes.Keys) is { } mismatch)
            throw new ZooConfigException(where, $"{weights} does not fit {found.Variant.Name}: {mismatch}. Check that the file is for this architecture and variant.");
    }

    /// <summary>
    /// "'x' is not a model this zoo knows. Did you mean 'y'? Known: …": the nearest three names (<see cref="NearestNames"/>),
    /// then every name where they are few, else where to see them all (<paramref name="seeAll"/>).
    /// </summary>
    static string Unknown(string what, string name, IEnumerable<string> known, string? seeAll = null)
    {
        var list = known.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var hint = NearestNames.DidYouMean(name, list, 3) is { } near ? $" D{near[1..]}" : "";
        var rest = seeAll is not null && list.Count > 12 ? $" `{seeAll}` lists all {list.Count}."
            : $" Known: {(list.Count == 0 ? "none" : string.Join(", ", list))}";
        return $"'{name}' is not {("aeiou".Contains(what[0]) ? "an" : "a")} {what} this zoo knows.{hint}{rest}";
    }
}
