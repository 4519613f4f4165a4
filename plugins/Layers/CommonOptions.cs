using Zoo.Abstractions;

namespace Zoo.Layers;

/// <summary>
/// Options more than one architecture takes (a suite model entry's "options"), declared once: each architecture
/// lists the declaration (<see cref="IArchitectureOptions"/>) and reads its value with it.
/// </summary>
public static class CommonOptions
{
    /// <summary>MobileNet's width multiplier α (Howard et al. 2017): every layer's channels scaled, then rounded to a multiple of 8.</summary>
    public static readonly Param<double> WidthMult = Param.Number("width_mult", 1.0, 0.1, 4.0, "width multiplier α: every layer's channels scaled by it (rounded to a multiple of 8)");

    /// <summary>The auxiliary classifiers of GoogLeNet and Inception v3, used only in training.</summary>
    public static readonly Param<bool> AuxLogits = Param.Flag("aux_logits", true, "train the auxiliary classifiers too (their loss is added in training; evaluation reads the main head only)");
}
