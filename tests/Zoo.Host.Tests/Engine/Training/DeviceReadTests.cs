using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using Zoo.Engine.Training;

namespace Zoo.Host.Tests;

/// <summary>
/// The trainer's device-side sums: reading the loss and correct counts once per interval (what a GPU does)
/// gives exactly the numbers of reading them every step (what the CPU does), and progress arrives at the
/// reads. Run on the CPU, forcing the GPU's way.
/// </summary>
public sealed class DeviceReadTests
{
    [Fact]
    public void Reading_the_sums_once_per_interval_gives_the_numbers_of_reading_every_step()
    {
        var data = ShapesDatasetProvider.Generate(new DatasetInfo("shapes", 1, 28, 28, ShapesDatasetProvider.ClassNames), 23 * 8, 7, 0, 0.06);
        var (mean, std) = Splits.ChannelStats(data);
        (IReadOnlyList<EpochRecord> Records, float[] Weights, List<TrainingStep> Steps) Train(bool everyStep)
        {
            torch.manual_seed(3);
            using var catalog = TestEnvironment.Catalog();
            using var model = catalog.FindVariant("lenet5")!.Architecture.Build(new ModelSpec("lenet5", 1, 10, 28, 28));
            using var opt = torch.optim.SGD(model.parameters(), 0.05, momentum: 0.9);
            var schedule = BuiltInSchedules.All().Single(s => s.Name == "constant").Create(opt, new ScheduleContext(0.05, 2, 23, ParameterBag.Empty));
            var steps = new List<TrainingStep>();
            var records = new Trainer(model, torch.CPU) { ReadLossEveryStep = everyStep, Step = steps.Add }
                .Fit(new BatchLoader(data, 8, shuffle: true, 1, mean, std), _ => null, new Recipe { Epochs = 2, BatchSize = 8 }, opt, schedule);
            return (records, model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray(), steps);
        }
        var eager = Train(everyStep: true);
        var deferred = Train(everyStep: false);
        Assert.Equal(eager.Weights, deferred.Weights);
        Assert.Equal(eager.Records.Select(r => (r.TrainLoss, r.TrainTop1)), deferred.Records.Select(r => (r.TrainLoss, r.TrainTop1)));
        Assert.All(eager.Records, r => Assert.InRange(r.TrainTop1, 0.0, 1.0));
        // Every step reports on the CPU; the interval's way at steps 10, 20 and the epoch's last (23), with the same means.
        Assert.Equal(46, eager.Steps.Count);
        Assert.Equal(new[] { 10, 20, 23, 10, 20, 23 }, deferred.Steps.Select(s => s.Step));
        foreach (var s in deferred.Steps)
            Assert.Equal(eager.Steps.Single(e => e.Epoch == s.Epoch && e.Step == s.Step).MeanLoss, s.MeanLoss);
    }

    [Fact]
    public void Each_epoch_has_its_own_cuda_seed_fixed_by_the_recipe_seed()
    {
        var seeds = Enumerable.Range(1, 50).Select(e => Trainer.CudaEpochSeed(7, e)).ToArray();
        Assert.Equal(seeds.Length, seeds.Distinct().Count());
        Assert.Equal(seeds, Enumerable.Range(1, 50).Select(e => Trainer.CudaEpochSeed(7, e)));
        Assert.NotEqual(Trainer.CudaEpochSeed(7, 3), Trainer.CudaEpochSeed(8, 3));
    }
}
