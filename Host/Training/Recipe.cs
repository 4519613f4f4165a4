using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;

namespace Zoo.Host.Training;

/// <summary>An optimiser as a suite names it, with its parameters.</summary>
public sealed record OptimizerSpec(string Name, double LearningRate, ParameterBag Parameters)
{
    public static readonly string[] Names = { "sgd", "adam", "adamw" };

    /// <summary>The parameters each optimiser takes (besides "name" and "lr").</summary>
    public static IReadOnlyList<ParameterInfo> ParametersOf(string name) => name switch
    {
        "sgd" => new ParameterInfo[]
        {
            new("momentum", "number", "0.9", "momentum"), new("nesterov", "bool", "false", "Nesterov momentum"),
            new("weight_decay", "number", "0", "L2 weight decay"), new("dampening", "number", "0", "momentum dampening"),
        },
        "adam" or "adamw" => new ParameterInfo[]
        {
            new("beta1", "number", "0.9", "first-moment decay"), new("beta2", "number", "0.999", "second-moment decay"),
            new("eps", "number", "1e-8", "denominator epsilon"),
            new("weight_decay", "number", name == "adamw" ? "0.01" : "0", name == "adamw" ? "decoupled weight decay" : "L2 weight decay"),
        },
        _ => Array.Empty<ParameterInfo>(),
    };

    /// <summary>Creates the optimiser over the parameters.</summary>
    public torch.optim.Optimizer Create(IEnumerable<Parameter> parameters)
    {
        var p = Parameters;
        p.EnsureOnly(ParametersOf(Name));
        return Name switch
        {
            "sgd" => torch.optim.SGD(parameters, LearningRate, momentum: p.GetDouble("momentum", 0.9, 0, 1),
                dampening: p.GetDouble("dampening", 0, 0, 1), weight_decay: p.GetDouble("weight_decay", 0, 0, 1),
                nesterov: p.GetBool("nesterov", false)),
            "adam" => torch.optim.Adam(parameters, LearningRate, beta1: p.GetDouble("beta1", 0.9, 0, 1), beta2: p.GetDouble("beta2", 0.999, 0, 1),
                eps: p.GetDouble("eps", 1e-8, 0, 1), weight_decay: p.GetDouble("weight_decay", 0, 0, 1)),
            "adamw" => torch.optim.AdamW(parameters, LearningRate, beta1: p.GetDouble("beta1", 0.9, 0, 1), beta2: p.GetDouble("beta2", 0.999, 0, 1),
                eps: p.GetDouble("eps", 1e-8, 0, 1), weight_decay: p.GetDouble("weight_decay", 0.01, 0, 1)),
            _ => throw new ZooConfigException($"{p.Where}.name", $"'{Name}' is not an optimiser; allowed: {string.Join(", ", Names)}"),
        };
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
}
