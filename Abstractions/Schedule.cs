using TorchSharp;

namespace Zoo.Abstractions;

/// <summary>How often a schedule naturally changes the learning rate.</summary>
public enum ScheduleUnit
{
    /// <summary>After every optimiser step.</summary>
    Batch,
    /// <summary>At the end of every epoch.</summary>
    Epoch,
}

/// <summary>What a schedule is created for.</summary>
/// <param name="BaseLearningRate">The recipe's learning rate.</param>
/// <param name="Epochs">Planned epochs.</param>
/// <param name="StepsPerEpoch">Optimiser steps per epoch.</param>
/// <param name="Parameters">The schedule's own parameters from the suite file.</param>
public sealed record ScheduleContext(double BaseLearningRate, int Epochs, int StepsPerEpoch, ParameterBag Parameters)
{
    /// <summary>Planned optimiser steps in the whole run.</summary>
    public long TotalSteps => (long)Epochs * StepsPerEpoch;
}

/// <summary>
/// A learning-rate schedule over one optimiser. The trainer calls <see cref="BatchEnd"/> after every
/// optimiser step and <see cref="EpochEnd"/> after every epoch's evaluation; the schedule reacts to
/// whichever its <see cref="Unit"/> says and writes the new rate into the optimiser's parameter groups.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>Whether it changes per batch or per epoch.</summary>
    ScheduleUnit Unit { get; }

    /// <summary>The learning rate in force now.</summary>
    double CurrentLearningRate { get; }

    /// <summary>Called after each optimiser step.</summary>
    void BatchEnd();

    /// <summary>Called after each epoch with that epoch's metrics ("val_loss", "val_top1", "train_loss"…).</summary>
    void EpochEnd(IReadOnlyDictionary<string, double> metrics);

    /// <summary>The schedule's state, for checkpoints.</summary>
    IReadOnlyDictionary<string, double> SaveState();

    /// <summary>Restores a state from <see cref="SaveState"/> and re-applies the rate to the optimiser.</summary>
    void LoadState(IReadOnlyDictionary<string, double> state);
}

/// <summary>Creates a schedule by name, as suite files name it ("cosine", "step", "plateau"…).</summary>
public interface IScheduleFactory
{
    /// <summary>The name a suite file uses.</summary>
    string Name { get; }
    /// <summary>What it does.</summary>
    string Description { get; }
    /// <summary>Its parameters.</summary>
    IReadOnlyList<ParameterInfo> Parameters { get; }
    /// <summary>Creates the schedule over <paramref name="optimizer"/> and sets the first rate.</summary>
    ILearningRateSchedule Create(torch.optim.Optimizer optimizer, ScheduleContext context);
}
