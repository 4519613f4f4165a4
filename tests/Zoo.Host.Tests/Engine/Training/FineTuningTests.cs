using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>Fine-tuning recipes: the backbone frozen for the first epochs while the head trains alone.</summary>
public sealed class FineTuningTests
{
    static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    [Theory]
    [InlineData("adamw")]
    [InlineData("sgd")]
    public void The_backbone_stays_as_loaded_while_frozen_and_trains_after(string optimizerName)
    {
        using var scope = NewDisposeScope();
        using var catalog = TestEnvironment.Catalog();
        var data = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames), 64, 1, 0, 0.06);
        var (mean, std) = Splits.ChannelStats(data);
        torch.manual_seed(1);
        using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 10, 28, 28));
        var head = Trainer.LastLayer(model);
        Assert.Equal(2, head.Count);   // the last linear's weight and bias
        using var opt = new OptimizerSpec(optimizerName, 0.01, ParameterBag.Empty)
            .Create(BuiltInOptimizers.All().Single(o => o.Name == optimizerName), model.named_parameters().Select(p => (p.name, p.parameter)));
        var schedule = BuiltInSchedules.All().Single(s => s.Name == "cosine").Create(opt, new ScheduleContext(0.01, 2, 2, ParameterBag.Empty));
        var start = Snapshot(model);
        var after = new List<Dictionary<string, Tensor>>();
        new Trainer(model, torch.CPU).Fit(new BatchLoader(data, 32, true, 1, mean, std), _ => null,
            new Recipe { Epochs = 2, BatchSize = 32, FreezeBackboneEpochs = 1 }, opt, schedule,
            _ => { after.Add(Snapshot(model)); return true; });

        foreach (var (name, value) in start)
        {
            if (head.Contains(name)) Assert.False(Same(value, after[0][name]), $"{name}: the head trains in the frozen epoch");
            else Assert.True(Same(value, after[0][name]), $"{name}: the backbone moved while frozen");
            Assert.False(Same(after[0][name], after[1][name]), $"{name}: everything trains once the backbone is unfrozen");
        }
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    [Fact]
    public void A_suite_sets_the_frozen_epochs_and_a_negative_count_is_refused()
    {
        const string Suite = """{ "name": "ft", "dataset": { "name": "shapes" }, "models": [ "lenet5" ], "recipe": { "epochs": 3, "freeze_backbone_epochs": 2 } }""";
        Assert.Equal(2, SuiteParser.Parse(Suite, "/x/suite.json").Recipe.FreezeBackboneEpochs);
        Assert.Contains("recipe.freeze_backbone_epochs",
            Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(Suite.Replace("\"freeze_backbone_epochs\": 2", "\"freeze_backbone_epochs\": -1"), "/x/suite.json")).Message);
    }
}
