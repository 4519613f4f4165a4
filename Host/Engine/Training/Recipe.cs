using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;

namespace Zoo.Engine.Training;

/// <summary>An optimiser as a suite names it, with its parameters.</summary>
public sealed record OptimizerSpec(string Name, double LearningRate, ParameterBag Parameters)
{
    public static readonly string[] Names = { "sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta" };

    static readonly ParameterInfo NoDecay = new("no_decay_norm_bias", "bool", "false",
        "exempt normalisation weights and every bias (1-D parameters) from weight decay, as the ConvNeXt and EfficientNet recipes do");

    /// <summary>The largest learning rate a suite may give.</summary>
    public const double MaxLearningRate = 100;

    /// <summary>Why a learning rate of 0 or less is refused.</summary>
    public static string NotPositive(double lr) =>
        $"{lr.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range; a learning rate must be more than 0 (allowed: more than 0, up to {MaxLearningRate})";

    /// <summary>Every field an optimiser object of a suite may have: "name", "lr" and the optimiser's parameters.</summary>
    public static IEnumerable<string> FieldsOf(string name) => new[] { "name", "lr" }.Concat(ParametersOf(name).Select(p => p.Name));

    /// <summary>The parameters each optimiser takes (besides "name" and "lr").</summary>
    public static IReadOnlyList<ParameterInfo> ParametersOf(string name) => name switch
    {
        "sgd" => new ParameterInfo[]
        {
            new("momentum", "number", "0.9", "momentum"), new("nesterov", "bool", "false", "Nesterov momentum"),
            new("weight_decay", "number", "0", "L2 weight decay"), new("dampening", "number", "0", "momentum dampening"), NoDecay,
        },
        "adam" or "adamw" => new ParameterInfo[]
        {
            new("beta1", "number", "0.9", "first-moment decay"), new("beta2", "number", "0.999", "second-moment decay"),
            new("eps", "number", "1e-8", "denominator epsilon"),
            new("weight_decay", "number", name == "adamw" ? "0.01" : "0", name == "adamw" ? "decoupled weight decay" : "L2 weight decay"), NoDecay,
        },
        "rmsprop" => new ParameterInfo[]
        {
            new("alpha", "number", "0.99", "smoothing of the squared-gradient average"), new("eps", "number", "1e-8", "denominator epsilon"),
            new("momentum", "number", "0", "momentum"), new("centered", "bool", "false", "divide by the centred variance"),
            new("weight_decay", "number", "0", "L2 weight decay"), NoDecay,
        },
        "adagrad" => new ParameterInfo[]
        {
            new("lr_decay", "number", "0", "rate decay per step"), new("initial_accumulator_value", "number", "0", "starting sum of squares"),
            new("eps", "number", "1e-10", "denominator epsilon"), new("weight_decay", "number", "0", "L2 weight decay"), NoDecay,
        },
        "adadelta" => new ParameterInfo[]
        {
            new("rho", "number", "0.9", "smoothing of the squared averages"), new("eps", "number", "1e-6", "denominator epsilon"),
            new("weight_decay", "number", "0", "L2 weight decay"), NoDecay,
        },
        _ => Array.Empty<ParameterInfo>(),
    };

    /// <summary>Creates the optimiser over the model's parameters (two groups when norm and bias are exempt from decay).</summary>
    public torch.optim.Optimizer Create(IEnumerable<Parameter> parameters) => Create(parameters.Select((p, i) => ($"{i}", p)));

    /// <summary>Creates the optimiser over named parameters.</summary>
    public torch.optim.Optimizer Create(IEnumerable<(string Name, Parameter Parameter)> named)
    {
        var p = Parameters;
        p.EnsureOnly(FieldsOf(Name));
        // A rate of 0 leaves every weight where it started: the run would "finish" having learnt nothing.
        if (!(LearningRate > 0)) throw new ZooConfigException(string.IsNullOrEmpty(p.Where) ? "lr" : $"{p.Where}.lr", NotPositive(LearningRate));
        var all = named.Where(x => x.Parameter.requires_grad).Select(x => x.Parameter).ToList();
        double wd = p.GetDouble("weight_decay", Name == "adamw" ? 0.01 : 0, 0, 1);
        bool split = p.GetBool("no_decay_norm_bias", false) && wd > 0;
        // 1-D parameters are the biases and the normalisation scales/shifts (BatchNorm, LayerNorm, layer scale).
        var decay = split ? all.Where(x => x.dim() > 1).ToList() : all;
        var exempt = split ? all.Where(x => x.dim() <= 1).ToList() : new List<Parameter>();
        double lr = LearningRate;
        switch (Name)
        {
            case "sgd":
            {
                double m = p.GetDouble("momentum", 0.9, 0, 1), damp = p.GetDouble("dampening", 0, 0, 1);
                bool nesterov = p.GetBool("nesterov", false);
                if (nesterov && (m <= 0 || damp != 0))
                    throw new ZooConfigException($"{p.Where}.nesterov", "Nesterov momentum needs momentum > 0 and dampening 0");
                return torch.optim.SGD(Groups(decay, exempt, list => new SGD.ParamGroup(list, lr, m, damp, list == exempt ? 0 : wd, nesterov, false)),
                    lr, m, damp, wd, nesterov);
            }
            case "adam" or "adamw":
            {
                double b1 = p.GetDouble("beta1", 0.9, 0, 1), b2 = p.GetDouble("beta2", 0.999, 0, 1), eps = p.GetDouble("eps", 1e-8, 0, 1);
                return Name == "adam"
                    ? torch.optim.Adam(Groups(decay, exempt, list => new Adam.ParamGroup(list, lr, b1, b2, eps, list == exempt ? 0 : wd, false, false)), lr, b1, b2, eps, wd)
                    : torch.optim.AdamW(Groups(decay, exempt, list => new AdamW.ParamGroup(list, lr, b1, b2, eps, list == exempt ? 0 : wd, false, false)), lr, b1, b2, eps, wd);
            }
            case "rmsprop":
            {
                double alpha = p.GetDouble("alpha", 0.99, 0, 1), eps = p.GetDouble("eps", 1e-8, 0, 1), m = p.GetDouble("momentum", 0, 0, 1);
                bool centered = p.GetBool("centered", false);
                return torch.optim.RMSProp(Groups(decay, exempt, list => new RMSProp.ParamGroup(list, lr: lr, eps: eps, alpha: alpha, weight_decay: list == exempt ? 0 : wd, momentum: m, centered: centered)),
                    lr, alpha, eps, wd, m, centered);
            }
            case "adagrad":
            {
                double lrDecay = p.GetDouble("lr_decay", 0, 0, 1), init = p.GetDouble("initial_accumulator_value", 0, 0, 1e6), eps = p.GetDouble("eps", 1e-10, 0, 1);
                return torch.optim.Adagrad(Groups(decay, exempt, list => new Adagrad.ParamGroup(list, lr: lr, lr_decay: lrDecay, weight_decay: list == exempt ? 0 : wd, initial_accumulator_value: init, eps: eps)),
                    lr, lrDecay, wd, init, eps);
            }
            case "adadelta":
            {
                double rho = p.GetDouble("rho", 0.9, 0, 1), eps = p.GetDouble("eps", 1e-6, 0, 1);
                return torch.optim.Adadelta(Groups(decay, exempt, list => new Adadelta.ParamGroup(list, lr: lr, rho: rho, eps: eps, weight_decay: list == exempt ? 0 : wd, maximize: false)),
                    lr, rho, eps, wd);
            }
            default:
                throw new ZooConfigException($"{p.Where}.name", $"'{Name}' is not an optimiser; allowed: {string.Join(", ", Names)}");
        }
    }

    static IEnumerable<T> Groups<T>(List<Parameter> decay, List<Parameter> exempt, Func<List<Parameter>, T> group)
    {
        if (decay.Count > 0) yield return group(decay);
        if (exempt.Count > 0) yield return group(exempt);
    }
}

/// <summary>A schedule as a suite names it, with an optional linear warm-up in front.</summary>
public sealed record ScheduleSpec(string Name, ParameterBag Parameters, double WarmupEpochs = 0, double WarmupStartFactor = 0.01);

/// <summary>How to train: epochs, batch size, optimiser, schedule, augmentation and regularisation.</summary>
public sealed record Recipe
{
    public int Epochs { get; init; } = 10;
    public int BatchSize { get; init; } = 64;
    public int Seed { get; init; } = 1;
    public OptimizerSpec Optimizer { get; init; } = new("adamw", 1e-3, ParameterBag.Empty);
    public ScheduleSpec Schedule { get; init; } = new("cosine", ParameterBag.Empty);
    public double LabelSmoothing { get; init; }
    public double? Dropout { get; init; }
    public double? StochasticDepth { get; init; }
    /// <summary>Per-image augmentations (train only), in order.</summary>
    public IReadOnlyList<(string Name, ParameterBag Parameters)> Augment { get; init; } = Array.Empty<(string, ParameterBag)>();
    /// <summary>Batch augmentations (Mixup, CutMix), in order.</summary>
    public IReadOnlyList<(string Name, ParameterBag Parameters)> BatchAugment { get; init; } = Array.Empty<(string, ParameterBag)>();
    /// <summary>Decay of an exponential moving average of the weights, evaluated and saved alongside (null: none).</summary>
    public double? Ema { get; init; }
    /// <summary>Rescale the gradients so their global L2 norm is at most this (null: no clipping).</summary>
    public double? ClipGradNorm { get; init; }
    /// <summary>Clamp every gradient element to ±this (null: no clipping).</summary>
    public double? ClipGradValue { get; init; }
    /// <summary>Batches whose gradients are summed before one optimiser step.</summary>
    public int AccumulateSteps { get; init; } = 1;
    /// <summary>Stop when the metric has not improved for the patience (null: never).</summary>
    public EarlyStopping? EarlyStopping { get; init; }
    /// <summary>Record when the metric first reaches a value, and optionally stop there (seeds/002's "time to 99 %").</summary>
    public TargetSpec? Target { get; init; }
}

/// <summary>Early stopping: <see cref="Patience"/> epochs without an improvement of at least <see cref="MinDelta"/>.</summary>
public sealed record EarlyStopping(string Metric, int Patience, double MinDelta)
{
    /// <summary>Losses are minimised, everything else maximised.</summary>
    public bool Maximise => !Metric.Contains("loss", StringComparison.Ordinal);
}

/// <summary>A target: the first epoch at which <see cref="Metric"/> reaches <see cref="Value"/>.</summary>
public sealed record TargetSpec(string Metric, double Value, bool Stop)
{
    public bool Maximise => !Metric.Contains("loss", StringComparison.Ordinal);
    public bool ReachedBy(double value) => Maximise ? value >= Value : value <= Value;
}
