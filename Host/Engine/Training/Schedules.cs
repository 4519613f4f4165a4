using TorchSharp;
using Zoo.Abstractions;

namespace Zoo.Engine.Training;

/// <summary>
/// Writes a schedule's rate into every parameter group, each at its own multiple of it: a group created at another
/// rate than the recipe's (a fine-tuning head's "head_lr") keeps that ratio through warm-up, decay and restarts.
/// </summary>
static class GroupRates
{
    /// <summary>Each group's rate over <paramref name="rate"/> (1 where <paramref name="rate"/> is not positive).</summary>
    public static double[] Ratios(torch.optim.Optimizer optimizer, double rate) =>
        optimizer.ParamGroups.Select(g => rate > 0 ? g.LearningRate / rate : 1).ToArray();

    public static void Set(torch.optim.Optimizer optimizer, double rate, double[] ratios)
    {
        int i = 0;
        foreach (var g in optimizer.ParamGroups) g.LearningRate = rate * (i < ratios.Length ? ratios[i++] : 1);
    }
}

/// <summary>A schedule that writes its rate into every parameter group of the optimiser (each at its own ratio to the base rate).</summary>
public abstract class ScheduleBase : ILearningRateSchedule
{
    readonly torch.optim.Optimizer _optimizer;
    readonly double[] _ratios;

    protected ScheduleBase(torch.optim.Optimizer optimizer, ScheduleContext context)
    {
        _optimizer = optimizer;
        Context = context;
        _ratios = GroupRates.Ratios(optimizer, context.BaseLearningRate);
    }

    protected ScheduleContext Context { get; }
    /// <summary>Optimiser steps taken.</summary>
    protected long Steps { get; set; }
    /// <summary>Epochs completed.</summary>
    protected int Epochs { get; set; }

    public abstract ScheduleUnit Unit { get; }
    public double CurrentLearningRate { get; private set; }

    /// <summary>The rate after <see cref="Steps"/> steps and <see cref="Epochs"/> epochs.</summary>
    protected abstract double Rate();

    protected void Apply() => Apply(Rate());

    protected void Apply(double lr)
    {
        CurrentLearningRate = lr;
        GroupRates.Set(_optimizer, lr, _ratios);
    }

    public virtual void BatchEnd()
    {
        Steps++;
        if (Unit == ScheduleUnit.Batch) Apply();
    }

    public virtual void EpochEnd(IReadOnlyDictionary<string, double> metrics)
    {
        Epochs++;
        if (Unit == ScheduleUnit.Epoch) Apply();
    }

    public virtual IReadOnlyDictionary<string, double> SaveState() =>
        new Dictionary<string, double> { ["steps"] = Steps, ["epochs"] = Epochs };

    public virtual void LoadState(IReadOnlyDictionary<string, double> state)
    {
        Steps = (long)state.GetValueOrDefault("steps");
        Epochs = (int)state.GetValueOrDefault("epochs");
        Apply();
    }
}

/// <summary>A schedule whose rate is a pure function of steps or epochs.</summary>
sealed class FunctionSchedule : ScheduleBase
{
    readonly Func<long, int, double> _rate;

    public FunctionSchedule(torch.optim.Optimizer o, ScheduleContext c, ScheduleUnit unit, Func<long, int, double> rate) : base(o, c)
    {
        Unit = unit;
        _rate = rate;
        Apply();
    }

    public override ScheduleUnit Unit { get; }
    protected override double Rate() => _rate(Steps, Epochs);
}

/// <summary>A recipe's schedule: its factory's schedule over the epochs after warm-up, behind a linear warm-up where the recipe asks for one.</summary>
public static class RecipeSchedule
{
    public static ILearningRateSchedule Create(IEnumerable<IScheduleFactory> factories, Recipe recipe, torch.optim.Optimizer optimizer, int stepsPerEpoch)
    {
        var s = recipe.Schedule;
        var factory = factories.First(f => f.Name == s.Name);
        long warmupSteps = (long)Math.Round(s.WarmupEpochs * stepsPerEpoch);
        int innerEpochs = Math.Max(1, recipe.Epochs - (int)Math.Ceiling(s.WarmupEpochs));
        var inner = factory.Create(optimizer, new ScheduleContext(recipe.Optimizer.LearningRate, innerEpochs, stepsPerEpoch, s.Parameters));
        return warmupSteps > 0
            ? new WarmupSchedule(optimizer, inner, warmupSteps, recipe.Optimizer.LearningRate, s.WarmupStartFactor)
            : inner;
    }
}

/// <summary>The built-in schedules. Each validates its parameters and names the field on error.</summary>
public static class BuiltInSchedules
{
    // Each parameter is declared once (Param): the declaration lists it and reads it.
    static readonly Param<double> CosineMin = Param.Number("min_lr", 0, 0, double.PositiveInfinity, "the floor reached at the last step (at most the rate)");
    static readonly Param<int> StepSize = Param.Integer("step_size", 30, 1, int.MaxValue, "epochs between drops");
    static readonly Param<double> Gamma = Param.Number("gamma", 0.1, 0, 1, "factor per drop");
    static readonly Param<IReadOnlyList<double>> Milestones = Param.Numbers("milestones", Array.Empty<double>(), "epochs at which to drop");
    static readonly Param<double> EpochGamma = Param.Number("gamma", 0.95, 0, 1, "factor per epoch");
    static readonly Param<double> PctStart = Param.Number("pct_start", 0.3, 0.01, 0.99, "share of the run spent rising");
    static readonly Param<double> DivFactor = Param.Number("div_factor", 25, 1, 1e6, "initial rate = rate / div_factor");
    static readonly Param<double> FinalDivFactor = Param.Number("final_div_factor", 1e4, 1, 1e9, "final rate = initial rate / final_div_factor");
    static readonly Param<double> Power = Param.Number("power", 1, 0, 100, "1 is linear decay");
    static readonly Param<double> PolyMin = Param.Number("min_lr", 0, 0, double.PositiveInfinity, "the floor (at most the rate)");

    public static IEnumerable<IScheduleFactory> All() => new IScheduleFactory[]
    {
        new Factory("constant", "The recipe's rate throughout.", Array.Empty<ParameterInfo>(),
            (o, c) => new FunctionSchedule(o, c, ScheduleUnit.Epoch, (_, _) => c.BaseLearningRate)),

        new Factory("cosine", "Cosine annealing from the rate to min_lr over the run, per batch (Loshchilov & Hutter 2017, no restarts).",
            new ParameterInfo[] { CosineMin },
            (o, c) =>
            {
                double min = CosineMin.ReadWithin(c.Parameters, 0, c.BaseLearningRate);
                double total = Math.Max(1, c.TotalSteps);
                return new FunctionSchedule(o, c, ScheduleUnit.Batch,
                    (s, _) => min + (c.BaseLearningRate - min) * 0.5 * (1 + Math.Cos(Math.PI * Math.Min(1.0, s / total))));
            }),

        new Factory("step", "Multiplies the rate by gamma every step_size epochs.",
            new ParameterInfo[] { StepSize, Gamma },
            (o, c) =>
            {
                int size = StepSize.Read(c.Parameters);
                double gamma = Gamma.Read(c.Parameters);
                return new FunctionSchedule(o, c, ScheduleUnit.Epoch, (_, e) => c.BaseLearningRate * Math.Pow(gamma, e / size));
            }),

        new Factory("multistep", "Multiplies the rate by gamma at each listed epoch.",
            new ParameterInfo[] { Milestones, Gamma },
            (o, c) =>
            {
                var ms = Milestones.Read(c.Parameters);
                double gamma = Gamma.Read(c.Parameters);
                return new FunctionSchedule(o, c, ScheduleUnit.Epoch, (_, e) => c.BaseLearningRate * Math.Pow(gamma, ms.Count(m => e >= m)));
            }),

        new Factory("exponential", "Multiplies the rate by gamma every epoch.",
            new ParameterInfo[] { EpochGamma },
            (o, c) =>
            {
                double gamma = EpochGamma.Read(c.Parameters);
                return new FunctionSchedule(o, c, ScheduleUnit.Epoch, (_, e) => c.BaseLearningRate * Math.Pow(gamma, e));
            }),

        new Factory("onecycle", "One-cycle (Smith & Topin 2019), per batch: cosine rise from rate/div_factor to the rate over pct_start of the run, then cosine fall to rate/(div_factor·final_div_factor).",
            new ParameterInfo[] { PctStart, DivFactor, FinalDivFactor },
            (o, c) =>
            {
                double pct = PctStart.Read(c.Parameters);
                double initial = c.BaseLearningRate / DivFactor.Read(c.Parameters);
                double final = initial / FinalDivFactor.Read(c.Parameters);
                double total = Math.Max(2, c.TotalSteps);
                double peak = Math.Max(1, pct * total - 1), end = total - 1;
                static double Cos(double from, double to, double t) => to + (from - to) / 2 * (1 + Math.Cos(Math.PI * Math.Clamp(t, 0, 1)));
                return new FunctionSchedule(o, c, ScheduleUnit.Batch,
                    (s, _) => s <= peak ? Cos(initial, c.BaseLearningRate, s / peak) : Cos(c.BaseLearningRate, final, (s - peak) / Math.Max(1, end - peak)));
            }),

        new Factory("poly", "Polynomial decay, per batch: rate × (1 − step/total)^power, never below min_lr.",
            new ParameterInfo[] { Power, PolyMin },
            (o, c) =>
            {
                double power = Power.Read(c.Parameters);
                double min = PolyMin.ReadWithin(c.Parameters, 0, c.BaseLearningRate);
                double total = Math.Max(1, c.TotalSteps);
                return new FunctionSchedule(o, c, ScheduleUnit.Batch,
                    (s, _) => Math.Max(min, c.BaseLearningRate * Math.Pow(Math.Max(0, 1 - s / total), power)));
            }),

        new Factory("plateau", "Divides the rate by 1/factor when the monitored metric stops improving for patience epochs, at most max_reductions times (seeds/002: ÷10, three times).",
            PlateauSchedule.ParameterList, (o, c) => new PlateauSchedule(o, c)),
    };

    sealed class Factory : IScheduleFactory
    {
        readonly Func<torch.optim.Optimizer, ScheduleContext, ILearningRateSchedule> _create;

        public Factory(string name, string description, IReadOnlyList<ParameterInfo> parameters,
            Func<torch.optim.Optimizer, ScheduleContext, ILearningRateSchedule> create)
        {
            Name = name; Description = description; Parameters = parameters; _create = create;
        }

        public string Name { get; }
        public string Description { get; }
        public IReadOnlyList<ParameterInfo> Parameters { get; }

        public ILearningRateSchedule Create(torch.optim.Optimizer optimizer, ScheduleContext context)
        {
            context.Parameters.EnsureOnly(Parameters);
            return _create(optimizer, context);
        }
    }
}

/// <summary>Reduce-on-plateau: the rate falls by <c>factor</c> after <c>patience</c> epochs without improvement.</summary>
public sealed class PlateauSchedule : ScheduleBase
{
    static readonly Param<string> Monitor = Param.Text("monitor", "val_top1", "metric to watch: val_top1, val_loss, train_loss…");
    static readonly Param<string> Mode = Param.Choice("mode", "auto", new[] { "auto", "max", "min" }, "auto: max for accuracies, min for losses");
    static readonly Param<double> Factor = Param.Number("factor", 0.1, 0, 1, "multiplier per reduction");
    static readonly Param<int> Patience = Param.Integer("patience", 2, 0, int.MaxValue, "epochs without improvement before a reduction");
    static readonly Param<int> MaxReductions = Param.Integer("max_reductions", 3, 0, int.MaxValue, "reductions at most");
    static readonly Param<double> Threshold = Param.Number("threshold", 1e-4, 0, double.PositiveInfinity, "the smallest change that counts as improvement");

    public static readonly ParameterInfo[] ParameterList = { Monitor, Mode, Factor, Patience, MaxReductions, Threshold };

    readonly string _monitor;
    readonly bool _max;
    readonly double _factor, _threshold;
    readonly int _patience, _maxReductions;
    double _best;
    int _bad, _reductions;

    public PlateauSchedule(torch.optim.Optimizer o, ScheduleContext c) : base(o, c)
    {
        var p = c.Parameters;
        _monitor = Monitor.Read(p);
        var mode = Mode.Read(p);
        _max = mode == "auto" ? !_monitor.Contains("loss") : mode == "max";
        _factor = Factor.Read(p);
        _patience = Patience.Read(p);
        _maxReductions = MaxReductions.Read(p);
        _threshold = Threshold.Read(p);
        _best = _max ? double.NegativeInfinity : double.PositiveInfinity;
        Apply();
    }

    public override ScheduleUnit Unit => ScheduleUnit.Epoch;

    /// <summary>Reductions made so far.</summary>
    public int Reductions => _reductions;

    protected override double Rate() => Context.BaseLearningRate * Math.Pow(_factor, _reductions);

    public override void EpochEnd(IReadOnlyDictionary<string, double> metrics)
    {
        if (!metrics.TryGetValue(_monitor, out var value))
            throw new ZooConfigException($"{Context.Parameters.Where}.monitor", $"metric '{_monitor}' is not recorded; recorded: {string.Join(", ", metrics.Keys)}");
        bool better = _max ? value > _best + _threshold : value < _best - _threshold;
        if (better) { _best = value; _bad = 0; }
        else if (++_bad > _patience && _reductions < _maxReductions) { _reductions++; _bad = 0; }
        base.EpochEnd(metrics);
    }

    public override IReadOnlyDictionary<string, double> SaveState() => new Dictionary<string, double>(base.SaveState())
    {
        ["best"] = _best, ["bad"] = _bad, ["reductions"] = _reductions,
    };

    public override void LoadState(IReadOnlyDictionary<string, double> state)
    {
        _best = state.GetValueOrDefault("best", _max ? double.NegativeInfinity : double.PositiveInfinity);
        _bad = (int)state.GetValueOrDefault("bad");
        _reductions = (int)state.GetValueOrDefault("reductions");
        base.LoadState(state);
    }
}

/// <summary>
/// A linear warm-up in front of any schedule: the rate rises from start_factor × rate to the rate over
/// the first <c>warmup</c> steps; the inner schedule then runs over the remaining epochs as if they were
/// the whole run (its clock starts after the warm-up).
/// </summary>
public sealed class WarmupSchedule : ILearningRateSchedule
{
    readonly ILearningRateSchedule _inner;
    readonly torch.optim.Optimizer _optimizer;
    readonly double[] _ratios;
    readonly long _warmupSteps;
    readonly double _base, _start;
    long _steps;          // every optimiser step, warm-up included
    long _epochStart;     // _steps when the current epoch began

    public WarmupSchedule(torch.optim.Optimizer optimizer, ILearningRateSchedule inner, long warmupSteps, double baseRate, double startFactor)
    {
        _optimizer = optimizer;
        _inner = inner;
        _warmupSteps = warmupSteps;
        _base = baseRate;
        _start = startFactor;
        _ratios = GroupRates.Ratios(optimizer, inner.CurrentLearningRate);   // the inner schedule has set each group at its ratio
        ApplyWarm();
    }

    public ScheduleUnit Unit => _inner.Unit;
    public double CurrentLearningRate { get; private set; }
    bool Warming => _steps < _warmupSteps;

    void ApplyWarm()
    {
        if (!Warming) { CurrentLearningRate = _inner.CurrentLearningRate; return; }
        double lr = _base * (_start + (1 - _start) * _steps / (double)_warmupSteps);
        CurrentLearningRate = lr;
        GroupRates.Set(_optimizer, lr, _ratios);
    }

    public void BatchEnd()
    {
        if (Warming)
        {
            _steps++;
            if (!Warming) _inner.LoadState(_inner.SaveState());   // hand the optimiser back to the inner schedule's rate
            ApplyWarm();
            return;
        }
        _steps++;
        _inner.BatchEnd();
        CurrentLearningRate = _inner.CurrentLearningRate;
    }

    public void EpochEnd(IReadOnlyDictionary<string, double> metrics)
    {
        // An epoch that began inside the warm-up belongs to the warm-up, not to the inner schedule's clock.
        bool warmupEpoch = _epochStart < _warmupSteps;
        _epochStart = _steps;
        if (warmupEpoch) return;
        _inner.EpochEnd(metrics);
        CurrentLearningRate = _inner.CurrentLearningRate;
    }

    public IReadOnlyDictionary<string, double> SaveState()
    {
        var s = _inner.SaveState().ToDictionary(kv => "inner." + kv.Key, kv => kv.Value);
        s["warmup.steps"] = _steps;
        s["warmup.epoch_start"] = _epochStart;
        return s;
    }

    public void LoadState(IReadOnlyDictionary<string, double> state)
    {
        _steps = (long)state.GetValueOrDefault("warmup.steps");
        _epochStart = (long)state.GetValueOrDefault("warmup.epoch_start");
        _inner.LoadState(state.Where(kv => kv.Key.StartsWith("inner.", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key["inner.".Length..], kv => kv.Value));
        ApplyWarm();
    }
}
