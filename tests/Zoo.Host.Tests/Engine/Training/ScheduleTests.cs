using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Training;

namespace Zoo.Host.Tests;

public sealed class ScheduleTests : IDisposable
{
    readonly TorchSharp.Modules.Parameter _p = new(torch.zeros(1));
    readonly torch.optim.Optimizer _opt;

    public ScheduleTests() => _opt = torch.optim.SGD(new[] { _p }, 0.1);

    public void Dispose() { _opt.Dispose(); _p.Dispose(); }

    static ParameterBag Bag(params (string K, string V)[] kv) => new(kv.ToDictionary(x => x.K, x => x.V), "recipe.schedule");

    ILearningRateSchedule Make(string name, int epochs, int steps, ParameterBag? bag = null) =>
        BuiltInSchedules.All().Single(f => f.Name == name).Create(_opt, new ScheduleContext(0.1, epochs, steps, bag ?? ParameterBag.Empty));

    double OptimizerRate => _opt.ParamGroups.First().LearningRate;

    static readonly Dictionary<string, double> NoMetrics = new();

    [Fact]
    public void Cosine_falls_from_the_rate_to_the_floor_over_all_steps()
    {
        var s = Make("cosine", epochs: 2, steps: 50, Bag(("min_lr", "0.001")));
        Assert.Equal(0.1, s.CurrentLearningRate, 12);
        for (int i = 0; i < 50; i++) s.BatchEnd();
        Assert.Equal(0.001 + 0.099 * 0.5, s.CurrentLearningRate, 12);     // half way: the mean of rate and floor
        for (int i = 0; i < 25; i++) s.BatchEnd();
        Assert.Equal(0.001 + 0.099 * 0.5 * (1 + Math.Cos(Math.PI * 0.75)), s.CurrentLearningRate, 12);
        for (int i = 0; i < 25; i++) s.BatchEnd();
        Assert.Equal(0.001, s.CurrentLearningRate, 12);
        Assert.Equal(s.CurrentLearningRate, OptimizerRate, 12);
    }

    [Fact]
    public void One_cycle_rises_to_the_rate_at_pct_start_then_falls_to_rate_over_div_times_final_div()
    {
        // 100 steps, peak at step 29 (pct_start 0.3), start 0.1/25 = 0.004, end 0.004/1e4.
        var s = Make("onecycle", epochs: 2, steps: 50, Bag(("pct_start", "0.3")));
        var rates = new List<double> { s.CurrentLearningRate };
        for (int i = 0; i < 99; i++) { s.BatchEnd(); rates.Add(s.CurrentLearningRate); }
        Assert.Equal(0.004, rates[0], 12);
        Assert.Equal(0.1, rates[29], 12);
        Assert.Equal(0.1 + (0.004 - 0.1) / 2 * (1 + Math.Cos(Math.PI * 14 / 29.0)), rates[14], 12);      // on the way up
        Assert.Equal(0.004 / 1e4 + (0.1 - 0.004 / 1e4) * 0.5 * (1 + Math.Cos(Math.PI * 35 / 70.0)), rates[64], 12);   // half-way down
        Assert.Equal(0.004 / 1e4, rates[99], 12);
        Assert.Equal(rates.Max(), rates[29]);
        Assert.Equal(s.CurrentLearningRate, OptimizerRate, 12);
    }

    [Fact]
    public void Poly_decays_as_a_power_of_the_remaining_share_and_respects_its_floor()
    {
        var s = Make("poly", epochs: 1, steps: 10, Bag(("power", "2"), ("min_lr", "0.002")));
        Assert.Equal(0.1, s.CurrentLearningRate, 12);
        for (int i = 0; i < 5; i++) s.BatchEnd();
        Assert.Equal(0.1 * 0.25, s.CurrentLearningRate, 12);
        for (int i = 0; i < 4; i++) s.BatchEnd();
        Assert.Equal(0.002, s.CurrentLearningRate, 12);   // 0.1 * 0.01 = 0.001 is under the floor
    }

    [Fact]
    public void Step_multistep_and_exponential_change_per_epoch()
    {
        var step = Make("step", 10, 5, Bag(("step_size", "3"), ("gamma", "0.5")));
        var multi = Make("multistep", 10, 5, Bag(("milestones", "[2, 5]"), ("gamma", "0.1")));
        var exp = Make("exponential", 10, 5, Bag(("gamma", "0.9")));
        var seen = new List<(double, double, double)>();
        for (int e = 0; e < 6; e++)
        {
            seen.Add((step.CurrentLearningRate, multi.CurrentLearningRate, exp.CurrentLearningRate));
            foreach (var s in new[] { step, multi, exp }) { s.BatchEnd(); s.EpochEnd(NoMetrics); }
        }
        Assert.Equal(new[] { 0.1, 0.1, 0.1, 0.05, 0.05, 0.05 }, seen.Select(x => Math.Round(x.Item1, 10)));
        Assert.Equal(new[] { 0.1, 0.1, 0.01, 0.01, 0.01, 0.001 }, seen.Select(x => Math.Round(x.Item2, 10)));
        Assert.Equal(0.1 * Math.Pow(0.9, 5), seen[5].Item3, 12);
    }

    [Fact]
    public void Warmup_rises_linearly_then_hands_over_to_cosine_over_the_remaining_epochs()
    {
        // 1 warm-up epoch of 10 steps in front of a cosine over the other 2 epochs (20 steps).
        var inner = Make("cosine", epochs: 2, steps: 10);
        var s = new WarmupSchedule(_opt, inner, warmupSteps: 10, baseRate: 0.1, startFactor: 0.0);
        var rates = new List<double> { s.CurrentLearningRate };
        for (int i = 0; i < 30; i++)
        {
            s.BatchEnd();
            if ((i + 1) % 10 == 0) s.EpochEnd(NoMetrics);
            rates.Add(OptimizerRate);
        }
        Assert.Equal(0.0, rates[0], 12);
        Assert.Equal(0.05, rates[5], 12);
        Assert.Equal(0.1, rates[10], 12);          // warm-up done: cosine starts at the full rate
        Assert.Equal(0.05, rates[20], 12);         // half of the cosine
        Assert.Equal(0.0, rates[30], 12);
    }

    [Fact]
    public void Plateau_divides_by_ten_when_accuracy_stalls_at_most_three_times()
    {
        var s = Make("plateau", 30, 10, Bag(("patience", "1")));
        var accuracy = new[] { 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6 };
        var rates = new List<double>();
        foreach (var a in accuracy)
        {
            s.EpochEnd(new Dictionary<string, double> { ["val_top1"] = a });
            rates.Add(Math.Round(s.CurrentLearningRate, 10));
        }
        // Best at epoch 2; two epochs without improvement (patience 1) per reduction; three reductions at most.
        Assert.Equal(new[] { 0.1, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001, 0.0001 }, rates);
        Assert.Equal(3, ((PlateauSchedule)s).Reductions);
    }

    [Fact]
    public void Plateau_state_round_trips_and_unknown_parameters_are_refused()
    {
        var s = Make("plateau", 30, 10, Bag(("patience", "0")));
        s.EpochEnd(new Dictionary<string, double> { ["val_top1"] = 0.5 });
        s.EpochEnd(new Dictionary<string, double> { ["val_top1"] = 0.4 });
        var copy = Make("plateau", 30, 10, Bag(("patience", "0")));
        copy.LoadState(s.SaveState());
        Assert.Equal(s.CurrentLearningRate, copy.CurrentLearningRate);
        Assert.Equal(0.01, copy.CurrentLearningRate, 12);

        var e = Assert.Throws<ZooConfigException>(() => Make("cosine", 1, 1, Bag(("min_lrr", "0"))));
        Assert.Contains("recipe.schedule.min_lrr", e.Message);
        Assert.Contains("allowed: min_lr", e.Message);
    }
}
