using System.Globalization;
using System.Text.RegularExpressions;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>
/// Issue 27, "parameters declared once": every parameter is one <see cref="Param"/> declaration that both lists it
/// (default, range, choices) and reads it. These walk every parameter the built-in catalogue declares (data sets,
/// optimisers, schedules, augmentations, architecture options, the suite's own fields) and check that the listing and
/// the reading agree: each declared default is a value of its type inside its own range; giving every parameter its
/// declared default behaves exactly as giving none (so the read's default is the listed one); a value just outside
/// the declared range is refused with the field's name (so the read's range is the listed one); and no production
/// file reads a parameter by a literal name with a default of its own beside the declaration.
/// </summary>
public sealed class ParameterDeclarationTests
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    static IEnumerable<(string Owner, IReadOnlyList<ParameterInfo> Parameters)> Declared(PluginCatalog c) =>
        c.Datasets.Select(d => ("data set " + d.Name, d.Parameters))
            .Concat(c.Optimizers.Select(o => ("optimiser " + o.Name, o.Parameters)))
            .Concat(c.Schedules.Select(s => ("schedule " + s.Name, s.Parameters)))
            .Concat(c.Augmentations.Select(a => ("augmentation " + a.Name, a.Parameters)))
            .Concat(c.BatchAugmentations.Select(a => ("batch augmentation " + a.Name, a.Parameters)))
            .Concat(c.Variants.Select(v => v.Architecture).Distinct().OfType<IArchitectureOptions>()
                .Select(a => ("architecture " + ((IArchitecture)a).Name, a.Options)))
            .Concat(SuiteFields.All.GroupBy(f => f.Section).Select(g => ("suite " + g.Key, (IReadOnlyList<ParameterInfo>)g.Select(f => f.Field).ToList())));

    /// <summary>A bag giving every parameter its declared default, as a suite file would write it.</summary>
    static ParameterBag Defaults(IReadOnlyList<ParameterInfo> parameters, string where = "t") =>
        new(parameters.Where(p => p.Default.Length > 0).ToDictionary(p => p.Name, p => p.Default), where);

    static ParameterBag Empty(string where = "t") => new(new Dictionary<string, string>(), where);

    [Fact]
    public void Every_declared_default_is_a_value_of_its_type_within_its_own_range()
    {
        using var catalog = TestEnvironment.Catalog();
        int count = 0;
        foreach (var (owner, parameters) in Declared(catalog))
        {
            Assert.True(parameters.Select(p => p.Name).Distinct().Count() == parameters.Count, $"{owner} declares a parameter twice");
            foreach (var p in parameters)
            {
                count++;
                var what = $"{owner}: {p.Name} (default '{p.Default}')";
                Assert.False(string.IsNullOrWhiteSpace(p.Description), $"{what} has no description");
                if (p.Type is "number" or "integer" && p.Default.Length > 0)
                {
                    Assert.True(double.TryParse(p.Default, NumberStyles.Float, Inv, out var d), $"{what} is not a number");
                    if (p.Type == "integer") Assert.True(int.TryParse(p.Default, NumberStyles.Integer, Inv, out _), $"{what} is not a whole number");
                    Assert.True(p.Min is null || d >= p.Min, $"{what} is below its minimum {p.Min}");
                    Assert.True(p.Max is null || d <= p.Max, $"{what} is above its maximum {p.Max}");
                }
                if (p.Type == "bool") Assert.True(p.Default is "true" or "false", what);
                if (p.Choices is { } choices) Assert.Contains(p.Default, choices);
                Assert.True(p.Min is null || p.Max is null || p.Min <= p.Max, $"{what}: empty range");
            }
        }
        Assert.True(count > 90, $"only {count} parameters declared");   // 26 suite fields, ~80 in the catalogue
    }

    [Fact]
    public void Every_augmentation_given_its_declared_defaults_makes_the_same_images_as_given_none()
    {
        using var catalog = TestEnvironment.Catalog();
        var rng = new Random(3);
        var pixels = Enumerable.Range(0, 3 * 24 * 24).Select(_ => (float)rng.NextDouble()).ToArray();
        foreach (var factory in catalog.Augmentations)
        {
            ImageData Run(ParameterBag bag)
            {
                var augment = factory.Create(bag);
                var random = new Random(11);
                var image = new ImageData(3, 24, 24, pixels.ToArray());
                for (int i = 0; i < 5; i++) image = augment.Apply(image, random);
                return image;
            }
            Assert.True(Run(Empty()).Pixels.SequenceEqual(Run(Defaults(factory.Parameters)).Pixels), $"{factory.Name}: the declared defaults differ from the read ones");
        }
        foreach (var factory in catalog.BatchAugmentations)
        {
            float[] Run(ParameterBag bag)
            {
                var images = pixels.Concat(pixels.Reverse()).ToArray();
                var targets = new float[] { 1, 0, 0, 1 };
                var batch = new BatchData(2, new InputShape(3, 24, 24), 2, images, targets, new[] { 0, 1 });
                factory.Create(bag).Apply(batch, new Random(5));
                return batch.Images.Concat(batch.Targets).ToArray();
            }
            Assert.True(Run(Empty()).SequenceEqual(Run(Defaults(factory.Parameters))), $"{factory.Name}: the declared defaults differ from the read ones");
        }
    }

    [Fact]
    public void Every_optimiser_and_schedule_given_their_declared_defaults_train_as_given_none()
    {
        using var catalog = TestEnvironment.Catalog();
        foreach (var factory in catalog.Optimizers)
        {
            float[] Run(ParameterBag bag)
            {
                torch.manual_seed(4);
                using var model = nn.Linear(4, 3);
                using var optimizer = factory.Create(model.named_parameters().Select(p => (p.name, p.parameter)).ToList(), new OptimizerContext(0.05, bag));
                var x = torch.randn(8, 4);
                var y = torch.randint(0, 3, 8);
                for (int i = 0; i < 4; i++)
                {
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(model.forward(x), y).backward();
                    optimizer.step();
                }
                return model.weight!.data<float>().ToArray();
            }
            Assert.True(Run(Empty()).SequenceEqual(Run(Defaults(factory.Parameters))), $"{factory.Name}: the declared defaults differ from the read ones");
        }
        foreach (var factory in catalog.Schedules)
        {
            double[] Run(ParameterBag bag)
            {
                using var model = nn.Linear(2, 2);
                using var optimizer = torch.optim.SGD(model.parameters(), 0.1);
                var schedule = factory.Create(optimizer, new ScheduleContext(0.1, 12, 5, bag));
                var rates = new List<double>();
                for (int e = 0; e < 12; e++)
                {
                    for (int s = 0; s < 5; s++) { rates.Add(schedule.CurrentLearningRate); schedule.BatchEnd(); }
                    schedule.EpochEnd(new Dictionary<string, double> { ["val_top1"] = 0.5, ["val_loss"] = 1, ["train_loss"] = 1, ["train_top1"] = 0.5, ["val_top5"] = 0.9 });
                }
                return rates.ToArray();
            }
            Assert.True(Run(Empty()).SequenceEqual(Run(Defaults(factory.Parameters))), $"{factory.Name}: the declared defaults differ from the read ones");
        }
    }

    [Fact]
    public void Every_architecture_option_given_its_declared_default_builds_the_same_model_as_given_none()
    {
        using var catalog = TestEnvironment.Catalog();
        var withOptions = catalog.Variants.Where(v => v.Architecture is IArchitectureOptions).GroupBy(v => v.Architecture.Name).Select(g => g.First()).ToList();
        Assert.Contains(withOptions, v => v.Variant.Name == "lenet5");
        Assert.Contains(withOptions, v => v.Variant.Name.StartsWith("mobilenet_v2", StringComparison.Ordinal));
        foreach (var v in withOptions)
        {
            var options = ((IArchitectureOptions)v.Architecture).Options;
            float[] Run(ParameterBag bag)
            {
                torch.manual_seed(2);
                using var model = v.Architecture.Build(new ModelSpec(v.Variant.Name, 3, 4, 32, 32) { Options = bag });
                model.eval();
                using var _ = torch.no_grad();
                torch.manual_seed(9);
                return model.forward(torch.rand(1, 3, 32, 32)).data<float>().ToArray();
            }
            Assert.True(Run(Empty()).SequenceEqual(Run(Defaults(options))), $"{v.Variant.Name}: the declared defaults differ from the read ones");
        }
    }

    [Fact]
    public void A_value_just_outside_a_declared_range_or_choice_is_refused_naming_the_field()
    {
        using var catalog = TestEnvironment.Catalog();
        int checkedCount = 0;
        void Refused(string owner, ParameterInfo p, Action<ParameterBag> read)
        {
            foreach (var bad in OutOfRange(p))
            {
                var bag = new ParameterBag(new Dictionary<string, string> { [p.Name] = bad }, "where");
                var e = Assert.Throws<ZooConfigException>(() => read(bag));
                Assert.True(e.Where == $"where.{p.Name}", $"{owner}: {p.Name} = {bad} was refused as {e.Where}: {e.Message}");
                checkedCount++;
            }
        }
        foreach (var f in catalog.Augmentations) foreach (var p in f.Parameters) Refused(f.Name, p, bag => f.Create(bag));
        foreach (var f in catalog.BatchAugmentations) foreach (var p in f.Parameters) Refused(f.Name, p, bag => f.Create(bag));
        foreach (var f in catalog.Optimizers)
            foreach (var p in f.Parameters)
                Refused(f.Name, p, bag =>
                {
                    using var model = nn.Linear(2, 2);
                    f.Create(model.named_parameters().Select(x => (x.name, x.parameter)).ToList(), new OptimizerContext(0.1, bag)).Dispose();
                });
        foreach (var f in catalog.Schedules)
            foreach (var p in f.Parameters)
                Refused(f.Name, p, bag =>
                {
                    using var model = nn.Linear(2, 2);
                    using var o = torch.optim.SGD(model.parameters(), 0.1);
                    f.Create(o, new ScheduleContext(0.1, 10, 5, bag));
                });
        foreach (var v in catalog.Variants.Where(v => v.Architecture is IArchitectureOptions).GroupBy(v => v.Architecture.Name).Select(g => g.First()))
            foreach (var p in ((IArchitectureOptions)v.Architecture).Options)
                Refused(v.Variant.Name, p, bag => v.Architecture.Build(new ModelSpec(v.Variant.Name, 3, 4, 32, 32) { Options = bag }).Dispose());
        Assert.True(checkedCount > 60, $"only {checkedCount} out-of-range values tried");
    }

    /// <summary>Values just outside what the declaration allows: below its minimum, above its maximum, not among its choices.</summary>
    static IEnumerable<string> OutOfRange(ParameterInfo p)
    {
        if (p.Type is "number" or "integer")
        {
            double step = p.Type == "integer" ? 1 : 1e-3;
            if (p.Min is { } min) yield return p.Type == "integer" ? ((long)min - 1).ToString(Inv) : (min - Math.Max(step, Math.Abs(min) * 1e-3)).ToString("R", Inv);
            if (p.Max is { } max) yield return p.Type == "integer" ? ((long)max + 1).ToString(Inv) : (max + Math.Max(step, Math.Abs(max) * 1e-3)).ToString("R", Inv);
        }
        if (p.Choices is { Count: > 0 }) yield return "nonsense";
    }

    [Fact]
    public void Suite_fields_are_read_with_their_declarations()
    {
        var suite = SuiteParser.Parse("""{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": {} }""", "/tmp/fields.json");
        Assert.Equal(SuiteFields.Epochs.Default, suite.Recipe.Epochs);
        Assert.Equal(SuiteFields.BatchSize.Default, suite.Recipe.BatchSize);
        Assert.Equal(SuiteFields.Seed.Default, suite.Recipe.Seed);
        Assert.Equal(SuiteFields.ValFraction.Default, suite.Dataset.ValidationFraction);
        Assert.Equal(SuiteFields.LearningRate.Default, suite.Recipe.Optimizer.LearningRate);
        Assert.Equal(SuiteFields.Optimizer.Default, suite.Recipe.Optimizer.Name);
        Assert.Equal(SuiteFields.Schedule.Default, suite.Recipe.Schedule.Name);
        Assert.Equal(SuiteFields.Normalize.Default, suite.Dataset.Normalize);
        Assert.Equal(SuiteFields.Repeats.Default, suite.Recipe.Repeats);

        // Just past each declared bound, the parser refuses the field by its path.
        foreach (var (section, field) in SuiteFields.All.Where(f => f.Field.Max is { } m && m < int.MaxValue && !f.Field.Name.Contains('.')))
        {
            var value = field.Type == "integer" ? ((long)field.Max!.Value + 1).ToString(Inv) : (field.Max!.Value * 1.01 + 0.01).ToString("R", Inv);
            var json = section == "dataset"
                ? $$"""{ "dataset": { "name": "shapes", "{{field.Name}}": {{value}} }, "models": ["lenet5"], "recipe": {} }"""
                : $$"""{ "dataset": { "name": "shapes" }, "models": ["lenet5"], "recipe": { "{{field.Name}}": {{value}} } }""";
            var e = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(json, "/tmp/fields.json"));
            Assert.Equal($"fields.json: {section}.{field.Name}", e.Where);
        }
    }

    [Fact]
    public void No_production_file_reads_a_parameter_by_a_literal_name_with_a_default_of_its_own()
    {
        var root = TestEnvironment.Root;
        var reads = new Regex(@"\.(GetDouble|GetInt|GetBool|GetString|GetDoubleList)\(\s*""", RegexOptions.Compiled);
        var offenders = new[] { "Host", "plugins" }
            .SelectMany(d => Directory.EnumerateFiles(Path.Combine(root, d), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => reads.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(root, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "read a parameter through its Param declaration instead:\n" + string.Join("\n", offenders));
    }

    /// <summary>
    /// The suite builder's hints that name a default ("empty: 1000") name the one the suite gets: a form left empty there
    /// writes a suite whose parsed values are those the hints state, for the shapes set the form starts with.
    /// </summary>
    [Fact]
    public void The_suite_builders_hints_name_the_defaults_the_suite_gets()
    {
        var draft = new Zoo.Tui.SuiteDraft { Variants = new[] { "lenet5" } };
        var suite = SuiteParser.Parse(draft.ToJson(), "/tmp/draft.json");
        string Hinted(string field) =>
            Regex.Match(Zoo.Tui.SuiteDraft.Fields.Single(f => f.Field == field).Hint, @"empty: ([^;,\s]+)").Groups[1].Value;
        Assert.Equal(Hinted("dataset.seed"), suite.Dataset.Seed.ToString(Inv));
        Assert.Equal(Hinted("dataset.val_fraction"), suite.Dataset.ValidationFraction.ToString(Inv));
        Assert.Equal(Hinted("recipe.precision"), suite.Recipe.Precision.Name());
        using var catalog = TestEnvironment.Catalog();
        var shapes = catalog.Datasets.Single(d => d.Name == "shapes").Open(new DatasetRequest { Channels = 1, Size = 16, Seed = 0, Options = suite.Dataset.Options });
        Assert.Equal(Hinted("dataset.train"), shapes.Train.Count.ToString(Inv));
        Assert.Equal(Hinted("dataset.test"), shapes.Test!.Count.ToString(Inv));
        // The optimiser and schedule hints list names the catalogue has.
        foreach (var name in Zoo.Tui.SuiteDraft.Fields.Single(f => f.Field == "recipe.optimizer.name").Hint.Split(", ").Where(n => n != "…"))
            Assert.Contains(catalog.Optimizers, o => o.Name == name);
        foreach (var name in Zoo.Tui.SuiteDraft.Fields.Single(f => f.Field == "recipe.schedule.name").Hint.Split(", ").Where(n => n != "…"))
            Assert.Contains(catalog.Schedules, o => o.Name == name);
    }
}
