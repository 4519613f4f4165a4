using System.Globalization;
using Zoo.Engine.Results;

namespace Zoo.Engine.Training;

/// <summary>What the learning check knows of a run besides its numbers: for the likely cause and the fix it names.</summary>
/// <param name="Classes">The data set's classes (chance is at least 1/classes).</param>
/// <param name="Epochs">The recipe's epochs (the last one always gets a verdict).</param>
/// <param name="LearningRate">The optimiser's learning rate.</param>
/// <param name="WarmupEpochs">The schedule's warm-up, in epochs (0: none).</param>
/// <param name="Architecture">The architecture's name ("SqueezeNet"), for failures known of one family.</param>
/// <param name="HasBatchNorm">Whether the model keeps BatchNorm running statistics (then eval mode can disagree with training).</param>
public sealed record LearningContext(int Classes, int Epochs, double LearningRate, double WarmupEpochs, string Architecture, bool HasBatchNorm = true)
{
    /// <summary>
    /// The rate came from a learning-rate range test that never saw the loss fall (<see cref="LearningRateCurve.Doubt"/>): it
    /// was not chosen, so "lower it" or "try ten times more" is no fix; "lr" a number is.
    /// </summary>
    public bool RateIsNoise { get; init; }
}

/// <summary>
/// Tells a run that is not learning from one that is learning slowly (issue 26). SqueezeNet 1.1 from scratch on shapes
/// at 28 px (600 images, 2 epochs, AdamW 1e-3) ended "finished" with validation loss 2.3026 = ln 10 in both epochs and
/// 193 of 200 validation images in one class; with 3 000 images, AdamW 2e-3 and a 1-epoch warm-up its gradient norm
/// was 0 from epoch 4 on (its last ReLU had died). Both were ranked among real results.
/// <para>
/// An epoch is <em>at chance</em> when validation top-1 and train top-1 are both within three standard errors of
/// chance (sqrt(p(1-p)/n) over the n validation images, and at least a tenth of chance), where chance is the share of
/// the largest validation class: 1/classes on a balanced set, and what predicting one class scores on another. Three
/// standard errors keep a small validation set's noise from passing for learning, and LeNet-5 on the same 600 images
/// (19.5 % after one epoch, 20.5 % after two; the margin at 200 images is 6.4 points) from passing for chance. Train
/// top-1 must be at chance too: a model whose train accuracy rises while validation stays at chance is the BatchNorm
/// evaluation gap of issue 16, which <c>ModelRun.EvalModeDisagreement</c> warns about with its own fix.
/// </para>
/// <para>
/// A slow model can sit at chance for an epoch or two before it learns (LeNet-5's first epoch above: train loss
/// 2.3079, 0.005 from ln 10), so an epoch at chance alone is not a verdict. The check warns when the run is at chance
/// for three epochs in a row, or two where the outputs are dead as well (one class for at least 90 % of validation
/// images, or validation loss within 0.1 % of ln(classes), which only outputs that ignore the image give), or at the
/// recipe's last epoch; and at once when the gradient is zero or not finite, after which no weight can change.
/// The run's result is marked (<see cref="Outcome"/>) only when its best weights are at chance on validation.
/// </para>
/// Thread safety: stateless; every method is a function of its arguments.
/// </summary>
public static class LearningCheck
{
    /// <summary>Share of the validation images in one predicted class from which the predictions count as collapsed.</summary>
    public const double CollapsedShare = 0.9;
    /// <summary>Standard errors above chance that still count as chance.</summary>
    public const double StandardErrors = 3;
    /// <summary>Relative distance of the validation loss from ln(classes) that counts as outputs that ignore the image.</summary>
    public const double UniformLossTolerance = 1e-3;
    /// <summary>Epochs in a row at chance before a warning (with dead outputs: <see cref="EpochsWithDeadOutputs"/>).</summary>
    public const int EpochsAtChance = 3;
    public const int EpochsWithDeadOutputs = 2;

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Whether the latest of <paramref name="epochs"/> (in order, the resumed ones included) shows a run that is not
    /// learning, given that epoch's <paramref name="validation"/> (null: no validation split, and only the gradient is
    /// judged). Returns the failure to warn about, or null.
    /// </summary>
    public static LearningFailure? AtEpoch(IReadOnlyList<EpochRecord> epochs, EvalResult? validation, LearningContext context)
    {
        if (epochs.Count == 0 || context.Classes < 2) return null;
        var last = epochs[^1];
        var signs = Signs.Of(last, validation, context.Classes);
        if (signs.DeadGradient) return Failure(last.Epoch, last.Epoch, signs, context, "validation");
        if (signs.Chance is not { } chance || signs.Margin is not { } margin) return null;
        bool AtChance(EpochRecord e) => e.ValTop1 is { } v && v <= chance + margin && e.TrainTop1 <= chance + margin;
        int streak = 0;
        for (int i = epochs.Count - 1; i >= 0 && AtChance(epochs[i]); i--) streak++;
        if (streak == 0) return null;
        bool enough = last.Epoch >= context.Epochs || streak >= (signs.DeadOutputs ? EpochsWithDeadOutputs : EpochsAtChance);
        return enough ? Failure(epochs[^streak].Epoch, last.Epoch, signs, context, "validation") : null;
    }

    /// <summary>
    /// The verdict on a run that has ended: a failure when its best weights' evaluation (<paramref name="best"/>, on
    /// <paramref name="split"/>: "validation", else "test") is at chance, else null. The last epoch supplies train
    /// top-1 and the gradient; <paramref name="firstSeen"/> is the epoch an earlier warning named, if any.
    /// </summary>
    public static LearningFailure? Outcome(IReadOnlyList<EpochRecord> epochs, EvalResult? best, string split, LearningContext context, int? firstSeen = null)
    {
        if (epochs.Count == 0 || best is null || best.Count == 0 || context.Classes < 2) return null;
        var last = epochs[^1];
        var signs = Signs.Of(last, best, context.Classes) with { Top1 = best.Top1, Loss = best.Loss };
        if (best.Top1 > signs.Chance!.Value + signs.Margin!.Value) return null;
        return Failure(firstSeen ?? last.Epoch, last.Epoch, signs, context, split);
    }

    /// <summary>What one epoch (or the best weights) measured, against chance.</summary>
    sealed record Signs(double? Top1, double? Loss, double TrainTop1, double GradNorm, int Classes, double? Chance, double? Margin, double? Collapsed)
    {
        public bool DeadGradient => !double.IsFinite(GradNorm) || GradNorm < 1e-9;
        public bool UniformLoss => Loss is { } l && Math.Abs(l - Math.Log(Classes)) <= UniformLossTolerance * Math.Log(Classes);
        public bool OneClass => Collapsed >= CollapsedShare;
        public bool DeadOutputs => OneClass || UniformLoss;
        public bool TrainAtChance => Chance is { } c && Margin is { } m && TrainTop1 <= c + m;

        public static Signs Of(EpochRecord rec, EvalResult? eval, int classes)
        {
            double? chance = null, margin = null, collapsed = null;
            if (eval is { Count: > 0 } v)
            {
                var truth = v.Confusion.Select(row => row.Sum()).ToArray();
                long total = truth.Sum();
                double c = total == 0 ? 1.0 / classes : Math.Max(1.0 / classes, truth.Max() / (double)total);
                chance = c;
                margin = Math.Max(StandardErrors * Math.Sqrt(c * (1 - c) / v.Count), 0.1 * c);
                if (total > 0 && v.Confusion.Length > 0)
                    collapsed = Enumerable.Range(0, v.Confusion.Length).Max(p => v.Confusion.Sum(row => p < row.Length ? row[p] : 0)) / (double)total;
            }
            return new Signs(rec.ValTop1, rec.ValLoss, rec.TrainTop1, rec.GradNorm, classes, chance, margin, collapsed);
        }
    }

    static string P(double fraction) => (fraction * 100).ToString("0.0", Inv) + " %";

    /// <summary>The failure first seen at <paramref name="epoch"/>, judged after <paramref name="trained"/> epochs.</summary>
    static LearningFailure Failure(int epoch, int trained, Signs s, LearningContext context, string split)
    {
        var symptoms = new List<string>();
        if (s.Top1 is { } top1 && s.Chance is { } chance)
            symptoms.Add($"{split} top-1 {P(top1)} is at chance ({P(chance)})" + (s.TrainAtChance ? $", train top-1 {P(s.TrainTop1)}" : ""));
        if (s.OneClass) symptoms.Add(s.Collapsed >= 1 ? $"one class predicted for every {split} image" : $"one class predicted for {P(s.Collapsed!.Value)} of {split} images");
        if (s.UniformLoss) symptoms.Add(string.Create(Inv, $"{split} loss {s.Loss:0.0000} = ln {s.Classes}: the same score for every class, whatever the image"));
        if (s.DeadGradient) symptoms.Add(double.IsFinite(s.GradNorm) ? "gradient norm 0: no weight changes any more" : $"gradient norm {s.GradNorm.ToString(Inv)}");

        string lr = Numbers.Short(context.LearningRate, 4), lower = Numbers.Short(context.LearningRate / 10, 4);
        string warmup = context.WarmupEpochs > 0
            ? $"a warm-up longer than its {Numbers.Short(context.WarmupEpochs)} epoch{(context.WarmupEpochs == 1 ? "" : "s")}"
            : "warm-up (\"warmup_epochs\": 1 in the schedule)";
        bool squeezeNet = context.Architecture.Equals("SqueezeNet", StringComparison.OrdinalIgnoreCase);
        string cause, fix;
        if (!double.IsFinite(s.GradNorm))
        {
            cause = "the gradients overflowed, so the updates were skipped";
            fix = $"lower the learning rate ({lr} -> {lower}), add {warmup} or gradient clipping (\"clip_grad_norm\": 1)";
        }
        else if (s.DeadGradient || (s.DeadOutputs && s.TrainAtChance))
        {
            cause = "the outputs no longer depend on the image: the units that feed them give the same value (most likely zero: dead ReLUs) "
                + "for every image, so no gradient reaches the weights before them and they cannot recover; large early updates do this";
            if (squeezeNet)
                cause += "; this is SqueezeNet's known failure from scratch: its classifier ends in a ReLU before the average pool, so once "
                    + "that ReLU is negative for every image every logit is 0 and the loss stays at ln(classes)";
            fix = $"lower the learning rate ({lr} -> {lower}) or add {warmup}" + (squeezeNet ? ", or on 3-channel images start from pretrained weights (\"weights\": \"imagenet\")" : "");
        }
        else if (!s.TrainAtChance)
        {
            cause = $"train top-1 {P(s.TrainTop1)} is above chance but {split} is not: the model fits the training images without generalising"
                + (context.HasBatchNorm ? ", or evaluates differently from training (BatchNorm's running statistics, see the warning about them)" : "");
            fix = (context.HasBatchNorm ? "add \"precise_bn\": 50 to the recipe; else " : "") + "more training images or epochs, augmentation or regularisation";
        }
        else
        {
            cause = $"the model has not learned from the images in {Numbers.Count(trained, "epoch")}: too few steps for it, or a learning rate ({lr}) too low or too high for it";
            fix = $"train for more epochs, or try the learning rate at {Numbers.Short(context.LearningRate * 10, 4)} and at {lower}";
        }
        if (context.RateIsNoise && double.IsFinite(s.GradNorm) && s.TrainAtChance)
        {
            // SqueezeNet 1.1 at 6.4e-7 from a flat 200-step test was told to go to 6.4e-8.
            cause += $"; the learning rate {lr} was not chosen: the range test (\"lr\": \"find\") that gave it never saw the loss fall";
            fix = "give \"lr\" a number instead of \"find\" (such as 1e-3 for AdamW), or the range test more steps (\"lr_find\": {\"steps\": N})"
                + (squeezeNet ? "; on 3-channel images start from pretrained weights (\"weights\": \"imagenet\")" : "");
        }
        return new LearningFailure(epoch, symptoms, cause, fix);
    }
}
