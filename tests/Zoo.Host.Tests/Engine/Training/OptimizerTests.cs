using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>Optimisers are registered like schedules, so a plugin can add one and a suite can name it.</summary>
public sealed class OptimizerTests
{
    /// <summary>SGD whose rate is the suite's times "scale"; it records what it was created with.</summary>
    public sealed class ScaledSgd : IOptimizerFactory
    {
        public static readonly List<(double Rate, int Parameters)> Created = new();
        public string Name => "scaled_sgd";
        public string Description => "plain SGD at the suite's rate times a scale (a test plugin's optimiser)";
        public IReadOnlyList<ParameterInfo> Parameters { get; } = new[] { new ParameterInfo("scale", "number", "1", "factor on the rate") };

        public torch.optim.Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerContext context)
        {
            double rate = context.LearningRate * context.Parameters.GetDouble("scale", 1, 0, 100);
            lock (Created) Created.Add((rate, parameters.Count));
            return torch.optim.SGD(parameters.Select(p => p.Parameter), rate);
        }
    }

    sealed class OptimizerPlugin : IZooPlugin
    {
        public string Name => "Optimisers";
        public string Description => "adds scaled_sgd";
        public void ConfigureServices(IServiceCollection services) => services.AddOptimizer<ScaledSgd>();
    }

    static PluginCatalog Catalog()
    {
        var c = new PluginCatalog(new[] { TestEnvironment.PluginDrop }, new IZooPlugin[] { new BuiltInPlugin(), new OptimizerPlugin() });
        c.Refresh();
        return c;
    }

    static string Suite(string optimizer) => $$"""
        { "name": "opt", "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 128, "val": 32, "test": 32 },
          "models": [ "lenet5" ],
          "recipe": { "epochs": 1, "batch_size": 32, "optimizer": { {{optimizer}} }, "schedule": { "name": "constant" } } }
        """;

    [Fact]
    public void A_plugins_optimiser_is_listed_and_trains_a_suite_that_names_it()
    {
        using var catalog = Catalog();
        var listed = CatalogueView.Of(catalog).ToJson()["optimizers"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(new[] { "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "scaled_sgd" }, listed);

        using var temp = new TempFolder();
        var dir = temp.Path;
        lock (ScaledSgd.Created) ScaledSgd.Created.Clear();
        var suite = SuiteParser.Parse(Suite("\"name\": \"scaled_sgd\", \"lr\": 0.01, \"scale\": 3"), Path.Combine(dir, "suite.json"));
        var run = new SuiteRunner(catalog).Run(suite, dir).Runs.Single();
        Assert.True(run.Status == RunStatus.Finished, run.Error);
        var (rate, parameters) = Assert.Single(ScaledSgd.Created);
        Assert.Equal(0.03, rate, 12);
        Assert.Equal(10, parameters);   // LeNet-5: five layers, a weight and a bias each
    }

    [Fact]
    public void An_unknown_optimiser_or_field_is_refused_before_anything_trains_naming_the_field()
    {
        using var catalog = Catalog();
        var runner = new SuiteRunner(catalog);
        var e = Assert.Throws<ZooConfigException>(() => runner.Validate(SuiteParser.Parse(Suite("\"name\": \"adamw2\""), "/x/s.json")));
        Assert.Contains("s.json: recipe.optimizer.name", e.Message);
        Assert.Contains("Did you mean 'adamw' or 'adam'?", e.Message);   // the nearest names first
        e = Assert.Throws<ZooConfigException>(() => runner.Validate(SuiteParser.Parse(Suite("\"name\": \"scaled_sgd\", \"momentum\": 0.9"), "/x/s.json")));
        Assert.Contains("recipe.optimizer.momentum: unknown parameter; allowed: lr, name, scale", e.Message);
    }

    [Fact]
    public void A_head_learning_rate_makes_its_own_groups_and_schedules_keep_its_ratio_to_the_base_rate()
    {
        torch.manual_seed(1);
        using var model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.Linear(8, 3));
        var named = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        var head = Zoo.Engine.Training.Trainer.LastLayer(model);
        Assert.Equal(new[] { "2.bias", "2.weight" }, head.Order());
        var adamw = Zoo.Engine.Training.BuiltInOptimizers.All().Single(f => f.Name == "adamw");
        var spec = new Zoo.Engine.Training.OptimizerSpec("adamw", 0.001,
            new ParameterBag(new Dictionary<string, string> { ["weight_decay"] = "0.05", ["no_decay_norm_bias"] = "true" }, "recipe.optimizer"));
        using var opt = spec.Create(adamw, named, name => head.Contains(name) ? 0.01 : 0.001);
        // (base rate: decayed, exempt), then (head rate: decayed, exempt).
        var groups = opt.ParamGroups.ToList();
        Assert.Equal(new[] { 0.001, 0.001, 0.01, 0.01 }, groups.Select(g => Math.Round(g.LearningRate, 6)));

        // Warm-up then cosine: every step, the head stays at ten times the rest.
        var inner = Zoo.Engine.Training.BuiltInSchedules.All().Single(f => f.Name == "cosine").Create(opt, new ScheduleContext(0.001, 3, 5, ParameterBag.Empty));
        var schedule = new Zoo.Engine.Training.WarmupSchedule(opt, inner, 5, 0.001, 0.01);
        for (int step = 0; step < 15; step++)
        {
            var rates = opt.ParamGroups.Select(g => g.LearningRate).ToArray();
            Assert.Equal(schedule.CurrentLearningRate, rates[0], 12);
            Assert.Equal(10 * rates[0], rates[2], 12);
            schedule.BatchEnd();
            if (step % 5 == 4) schedule.EpochEnd(new Dictionary<string, double>());
        }

        // Without a head rate: one rate, as before.
        using var plain = spec.Create(adamw, named);
        Assert.All(plain.ParamGroups, g => Assert.Equal(0.001, g.LearningRate, 12));
        Assert.Equal(2, plain.ParamGroups.Count());
    }

    [Fact]
    public void A_suite_gives_the_head_its_rate_and_a_wrong_one_names_the_field()
    {
        var recipe = SuiteParser.Parse("""{ "name": "s", "dataset": { "name": "shapes" }, "models": [ "lenet5" ], "recipe": { "head_lr": 0.01, "optimizer": { "name": "sgd", "lr": 0.001 } } }""", "/x/s.json").Recipe;
        Assert.Equal(0.01, recipe.HeadLearningRate);
        var e = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse("""{ "name": "s", "dataset": { "name": "shapes" }, "models": [ "lenet5" ], "recipe": { "head_lr": 0 } }""", "/x/s.json"));
        Assert.Contains("recipe.head_lr", e.Message);
    }
}
