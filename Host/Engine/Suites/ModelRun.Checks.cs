using System.Diagnostics;
using System.Globalization;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Suites;

// A run's checks on itself, each said once as a warning or typed event: mixed precision that this CPU would emulate,
// BatchNorm statistics that lag the weights, and a run that does not learn (LearningCheck). The run's flow is in ModelRun.cs.
internal sealed partial class ModelRun
{
    /// <summary>
    /// Mixed precision on a CPU without the format's instructions is emulated by oneDNN and runs slower than fp32: the
    /// run goes on as asked (its numbers are still right), with a warning that says what to write instead.
    /// </summary>
    void WarnIfPrecisionIsEmulated()
    {
        if (_recipe.Precision == Precision.Fp32 || _device.type != DeviceType.CPU) return;
        if (!Autocast.Available) throw new NotSupportedException($"\"precision\": \"{_recipe.Precision.Name()}\" needs LibTorch's autocast: {Autocast.Unavailable}");
        var cpu = PrecisionSupport.OfThisCpu();
        var format = _recipe.Precision == Precision.Bf16 ? cpu.CpuBf16 : cpu.CpuFp16;
        if (!format.Native)
            Warn($"\"precision\": \"{_recipe.Precision.Name()}\" on this CPU: {format.Why}; \"fp32\" will most likely train faster here (`zoo doctor` says what the CPU has)");
    }

    /// <summary>How far (absolute) the epoch's train top-1 may exceed validation top-1 before a BatchNorm model is warned about.</summary>
    const double EvalGap = 0.25;

    /// <summary>
    /// Once per run: a model with BatchNorm whose eval-mode validation is far below its train-mode accuracy, or that
    /// predicts one class for every validation image while it learns, most likely evaluates with running statistics
    /// that lag the weights (issue 16: MobileNet V2 and MNASNet at exactly 10 % top-1 and 50 % top-5 after 56 AdamW steps,
    /// back to their train-mode accuracy with recomputed statistics). The warning names the recipe option that fixes it.
    /// A gap of 25 points is beyond what the short runs this happens in overfit by; the one-class test catches collapse
    /// while train accuracy is still low.
    /// </summary>
    void WarnIfEvalModeDisagrees(EpochRecord rec)
    {
        if (_warnedStatistics || _recipe.PreciseBatchNorm is not null) return;
        if (EvalModeDisagreement(rec, _lastValidation, () => PreciseBatchNorm.Layers(_model!).Count > 0) is not { } text) return;
        _warnedStatistics = true;
        Warn(text);
    }

    /// <summary>The warning for an epoch whose eval-mode validation disagrees with its train accuracy, or null (see <see cref="WarnIfEvalModeDisagrees"/>).</summary>
    internal static string? EvalModeDisagreement(EpochRecord rec, EvalResult? validation, Func<bool> hasBatchNorm)
    {
        if (rec.ValTop1 is not { } val) return null;
        bool oneClass = validation is { Count: > 1 } v && v.Confusion.Length > 1
            && Enumerable.Range(0, v.Confusion.Length).Count(p => v.Confusion.Any(row => row[p] > 0)) == 1;
        double gap = rec.TrainTop1 - val;
        if (!(gap >= EvalGap || (oneClass && gap > 0.02)) || !hasBatchNorm()) return null;
        return string.Format(CultureInfo.InvariantCulture,
            "epoch {0}: validation top-1 {1:0.0} % (eval mode{2}) is far below train top-1 {3:0.0} %; BatchNorm's running statistics " +
            "probably lag the weights (few steps, fast-moving weights); add \"precise_bn\": 50 to the recipe to recompute them on training batches before each evaluation",
            rec.Epoch, val * 100, oneClass ? ", one class predicted for every image" : "", rec.TrainTop1 * 100);
    }

    /// <summary>What the learning check needs to know of this run for the cause and fix it names.</summary>
    LearningContext LearningContext() =>
        new(_data.Classes.Count, _recipe.Epochs, _recipe.Optimizer.LearningRate, _recipe.Schedule.WarmupEpochs, _found.Architecture.Name,
            _hasBatchNorm ??= _model is not null && PreciseBatchNorm.Layers(_model).Count > 0)
        {
            RateIsNoise = _rate?.Curve?.Doubt() is not null,
        };

    bool? _hasBatchNorm;   // asked of the model once, for the learning check's wording

    /// <summary>Once per run: the epoch at which the run is seen not to learn (<see cref="LearningCheck.AtEpoch"/>), as a typed event.</summary>
    void WarnIfNotLearning()
    {
        if (_notLearning is not null || LearningCheck.AtEpoch(_epochs, _lastValidation, LearningContext()) is not { } failure) return;
        _notLearning = failure;
        _report.Report(new RunNotLearning(_run, failure));
    }
}
