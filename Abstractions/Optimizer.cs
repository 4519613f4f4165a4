using TorchSharp;
using TorchSharp.Modules;

namespace Zoo.Abstractions;

/// <summary>What an optimiser is created for.</summary>
/// <param name="LearningRate">The recipe's learning rate (more than 0).</param>
/// <param name="Parameters">The optimiser's own parameters from the suite file ("momentum", "weight_decay"…).</param>
public sealed record OptimizerContext(double LearningRate, ParameterBag Parameters);

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
