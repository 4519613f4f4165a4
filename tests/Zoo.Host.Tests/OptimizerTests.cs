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

        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            lock (ScaledSgd.Created) ScaledSgd.Created.Clear();
            var suite = SuiteParser.Parse(Suite("\"name\": \"scaled_sgd\", \"lr\": 0.01, \"scale\": 3"), Path.Combine(dir, "suite.json"));
            var run = new SuiteRunner(catalog).Run(suite, dir).Runs.Single();
            Assert.True(run.Status == RunStatus.Finished, run.Error);
            var (rate, parameters) = Assert.Single(ScaledSgd.Created);
            Assert.Equal(0.03, rate, 12);
            Assert.Equal(10, parameters);   // LeNet-5: five layers, a weight and a bias each
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void An_unknown_optimiser_or_field_is_refused_before_anything_trains_naming_the_field()
    {
        using var catalog = Catalog();
        var runner = new SuiteRunner(catalog);
        var e = Assert.Throws<ZooConfigException>(() => runner.Validate(SuiteParser.Parse(Suite("\"name\": \"adamw2\""), "/x/s.json")));
        Assert.Contains("s.json: recipe.optimizer.name", e.Message);
        Assert.Contains("Did you mean 'adamw'?", e.Message);
        e = Assert.Throws<ZooConfigException>(() => runner.Validate(SuiteParser.Parse(Suite("\"name\": \"scaled_sgd\", \"momentum\": 0.9"), "/x/s.json")));
        Assert.Contains("recipe.optimizer.momentum: unknown parameter; allowed: lr, name, scale", e.Message);
    }
}
