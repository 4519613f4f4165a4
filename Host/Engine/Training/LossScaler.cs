using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Zoo.Engine.Training;

/// <summary>
/// Dynamic loss scaling for fp16 mixed precision, PyTorch's <c>GradScaler</c> algorithm (Micikevicius et al. 2018,
/// "Mixed Precision Training"): the loss is multiplied by <see cref="Scale"/> before backward so that small fp16
/// gradients do not flush to zero; before the optimiser step the gradients are divided by it again (in float32, on
/// the float32 weights' gradients). Where any of them is inf or NaN the step is skipped and the scale halved; after
/// <see cref="GrowthInterval"/> clean steps in a row it is doubled. bf16 has float32's exponent range and needs none.
/// </summary>
public sealed class LossScaler
{
    /// <summary>GradScaler's defaults: 2^16 to start, ×2 after 2 000 clean steps, ×0.5 on an overflow.</summary>
    public const double InitialScale = 65536, GrowthFactor = 2, BackoffFactor = 0.5;
    public const int GrowthInterval = 2000;

    /// <summary>The current scale.</summary>
    public double Scale { get; private set; } = InitialScale;
    /// <summary>Clean steps since the scale last changed.</summary>
    public int CleanSteps { get; private set; }
    /// <summary>Steps skipped for non-finite gradients, over the scaler's life.</summary>
    public long Skipped { get; private set; }

    /// <summary>The state a checkpoint keeps, so a resumed run scales exactly as an uninterrupted one.</summary>
    public LossScalerState State => new(Scale, CleanSteps, Skipped);

    public void Restore(LossScalerState state)
    {
        Scale = state.Scale;
        CleanSteps = state.CleanSteps;
        Skipped = state.Skipped;
    }

    /// <summary>The loss to call backward on: the loss times the scale.</summary>
    public Tensor Scaled(Tensor loss) => loss * Scale;

    /// <summary>
    /// Divides every gradient by the scale and says whether they are all finite; where not, the caller skips the step
    /// and calls <see cref="Update"/> with false.
    /// </summary>
    public bool Unscale(IEnumerable<Parameter> parameters)
    {
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.grad).Where(g => g is not null).Select(g => g!).ToList();
        if (grads.Count == 0) return true;
        double inverse = 1.0 / Scale;
        using (no_grad())
            foreach (var g in grads) g.mul_(inverse);
        // One read for all gradients: each reduces to "all finite" on its device, and those to one.
        return stack(grads.Select(g => g.isfinite().all()).ToArray()).all().item<bool>();
    }

    /// <summary>After a step (or a skipped one): backs off on an overflow, grows after enough clean steps.</summary>
    public void Update(bool finite)
    {
        if (!finite)
        {
            Scale *= BackoffFactor;
            CleanSteps = 0;
            Skipped++;
            return;
        }
        if (++CleanSteps >= GrowthInterval)
        {
            Scale *= GrowthFactor;
            CleanSteps = 0;
        }
    }
}

/// <summary>A <see cref="LossScaler"/>'s state in a checkpoint.</summary>
public sealed record LossScalerState(double Scale, int CleanSteps, long Skipped);
