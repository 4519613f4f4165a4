using System.Globalization;

namespace Zoo.Engine.Results;

/// <summary>
/// How Zoo prints numbers, in every output: invariant culture, lower-case exponents (2e-05, not 2E-05),
/// and significant digits where a fixed number of decimals would print a small value as zero.
/// </summary>
public static class Numbers
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Three (or <paramref name="digits"/>) significant digits: learning rates, decays, thresholds (0.1, 0.002, 2e-05).</summary>
    public static string Short(double value, int digits = 3) => LowerExponent(value.ToString("G" + digits.ToString(Inv), Inv));

    /// <summary>Round-trippable, for machine-readable files (CSV).</summary>
    public static string Exact(double value) => LowerExponent(value.ToString("R", Inv));

    /// <summary>GMACs: three decimals from 0.001 up (1.814), significant digits below (0.00068), never a bare 0.000.</summary>
    public static string Gmacs(double value) => value == 0 || Math.Abs(value) >= 0.001 ? value.ToString("F3", Inv) : LowerExponent(value.ToString("G2", Inv));

    /// <summary>"p = 0.31", or "p &lt; 0.001" below that, for a sentence.</summary>
    public static string PIs(double p) => p < 0.001 ? "p < 0.001" : "p = " + PValue(p);

    /// <summary>A p-value: "&lt; 0.001", three decimals below 0.01 (0.004), else two significant digits (0.039, 0.31, 1).</summary>
    public static string PValue(double p) => p < 0.001 ? "< 0.001" : LowerExponent(p.ToString(p < 0.01 ? "F3" : "G2", Inv));

    /// <summary>A fraction as a percentage with two decimals ("98.67 %"), or "-".</summary>
    public static string Percent(double? fraction) => fraction is null ? "-" : (fraction.Value * 100).ToString("F2", Inv) + " %";

    /// <summary>"1 epoch", "3 epochs".</summary>
    public static string Count(long n, string singular, string? plural = null) =>
        n.ToString(Inv) + " " + (n == 1 ? singular : plural ?? singular + "s");

    static string LowerExponent(string s) => s.Replace("E", "e", StringComparison.Ordinal);
}
