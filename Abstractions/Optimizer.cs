using TorchSharp;
using TorchSharp.Modules;

namespace Zoo.Abstractions;

/// <summary>What an optimiser is created for.</summary>
/// <param name="LearningRate">The recipe's learning rate (more than 0).</param>
/// <param name="Parameters">The optimiser's own parameters from the suite file ("momentum", "weight_decay"…).</param>
public sealed record OptimizerContext(double LearningRate, ParameterBag Parameters)
{
    /// <summary>
    /// The learning rate of a parameter, by its state-dict name, where the recipe trains some parameters at another
    /// rate than <see cref="LearningRate"/> (a fine-tuning recipe's "head_lr"); null: every parameter at
    /// <see cref="LearningRate"/>. An optimiser that does not read it trains everything at <see cref="LearningRate"/>.
    /// Schedules keep each parameter group's ratio to the base rate. Added in contract 1.2.
    /// </summary>
    public Func<string, double>? LearningRateOf { get; init; }
}

/// <summary>
/// Creates an optimiser by name, as suite files name it ("sgd", "adamw"…), over a model's named
/// parameters. Registered like a schedule (<see cref="ZooServiceCollectionExtensions.AddOptimizer{T}"/>),
/// so a plugin can add one; the host's built-in ones are SGD, Adam, AdamW, RMSprop, Adagrad and Adadelta.
/// </summary>
public interface IOptimizerFactory
{
    /// <summary>The name a suite file uses.</summary>
    string Name { get; }
    /// <summary>What it does.</summary>
    string Description { get; }
    /// <summary>Its parameters besides "name" and "lr".</summary>
    IReadOnlyList<ParameterInfo> Parameters { get; }
    /// <summary>
    /// Creates the optimiser over the trainable ones of <paramref name="parameters"/> (names as the state dict has
    /// them, so an optimiser can treat biases or norms apart). Throws <see cref="ZooConfigException"/> for a bad value.
    /// </summary>
    torch.optim.Optimizer Create(IReadOnlyList<(string Name, Parameter Parameter)> parameters, OptimizerContext context);
}
