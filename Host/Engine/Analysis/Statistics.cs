namespace Zoo.Engine.Analysis;

/// <summary>A confidence interval of a mean: the mean, the sample standard deviation, the interval and how many values.</summary>
public sealed record MeanInterval(double Mean, double StandardDeviation, double Low, double High, int Count, double Level = 0.95);

/// <summary>
/// The statistics a comparison needs to say how sure it is, written out so that each can be checked against a hand
/// computation: McNemar's exact test on paired correctness, Holm's step-down correction, Student's t interval of a mean,
/// and a paired bootstrap interval of an accuracy difference. Pure functions, no state; thread-safe.
/// </summary>
public static class Statistics
{
    /// <summary>
    /// McNemar's exact (binomial) two-sided test for two classifiers on the same images: <paramref name="onlyFirst"/>
    /// images only the first got right, <paramref name="onlySecond"/> only the second. Under "equally accurate" each
    /// discordant image is a fair coin, so p = min(1, 2·P[X ≤ min(b, c)]) with X ~ Binomial(b + c, ½). 1 when b + c = 0.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative count.</exception>
    public static double McNemarExact(int onlyFirst, int onlySecond)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(onlyFirst);
        ArgumentOutOfRangeException.ThrowIfNegative(onlySecond);
        int n = onlyFirst + onlySecond, k = Math.Min(onlyFirst, onlySecond);
        if (n == 0) return 1;
        // Σ_{i≤k} C(n, i) / 2^n, summed in logs so that n in the tens of thousands neither overflows nor underflows early.
        double logHalfN = -n * Math.Log(2), sum = 0, logC = 0;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) logC += Math.Log(n - i + 1) - Math.Log(i);
            sum += Math.Exp(logC + logHalfN);
        }
        return Math.Min(1, 2 * sum);
    }

    /// <summary>
    /// Holm's step-down adjustment of p-values for a family of tests (controls the family-wise error rate without
    /// assuming independence): sorted ascending, p₍ᵢ₎ · (m − i + 1), made monotone, capped at 1; returned in the input's order.
    /// </summary>
    public static double[] Holm(IReadOnlyList<double> pValues)
    {
        int m = pValues.Count;
        var order = Enumerable.Range(0, m).OrderBy(i => pValues[i]).ToArray();
        var adjusted = new double[m];
        double running = 0;
        for (int rank = 0; rank < m; rank++)
        {
            running = Math.Max(running, Math.Min(1, pValues[order[rank]] * (m - rank)));
            adjusted[order[rank]] = running;
        }
        return adjusted;
    }

    /// <summary>
    /// The mean of <paramref name="values"/> with Student's t interval at <paramref name="level"/> (mean ± t(level, n−1)·s/√n).
    /// One value: the interval is the value itself and the deviation 0 (nothing to estimate a spread from).
    /// </summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static MeanInterval TInterval(IReadOnlyList<double> values, double level = 0.95)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        int n = values.Count;
        double mean = values.Average();
        if (n == 1) return new MeanInterval(mean, 0, mean, mean, 1, level);
        double sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
        double half = StudentQuantile(0.5 + level / 2, n - 1) * sd / Math.Sqrt(n);
        return new MeanInterval(mean, sd, mean - half, mean + half, n, level);
    }

    /// <summary>The quantile of Student's t distribution with <paramref name="df"/> degrees of freedom (bisection on its CDF).</summary>
    public static double StudentQuantile(double probability, int df)
    {
        if (probability is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(probability));
        if (probability < 0.5) return -StudentQuantile(1 - probability, df);
        double lo = 0, hi = 1;
        while (StudentCdf(hi, df) < probability) hi *= 2;
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++)
        {
            double mid = (lo + hi) / 2;
            if (StudentCdf(mid, df) < probability) lo = mid; else hi = mid;
        }
        return (lo + hi) / 2;
    }

    /// <summary>P[T ≤ t] for Student's t with <paramref name="df"/> degrees of freedom: 1 − ½·I(df/(df+t²); df/2, ½) for t ≥ 0.</summary>
    public static double StudentCdf(double t, int df)
    {
        double tail = 0.5 * RegularizedBeta(df / (df + t * t), df / 2.0, 0.5);
        return t >= 0 ? 1 - tail : tail;
    }

    /// <summary>
    /// A paired percentile-bootstrap interval of accuracy(first) − accuracy(second) over the same images: the images are
    /// resampled with replacement <paramref name="resamples"/> times (seeded, so the interval is repeatable).
    /// </summary>
    /// <exception cref="ArgumentException">The two lists differ in length or are empty.</exception>
    public static (double Difference, double Low, double High) BootstrapAccuracyDifference(
        IReadOnlyList<bool> first, IReadOnlyList<bool> second, int resamples = 2000, double level = 0.95, int seed = 0)
    {
        if (first.Count != second.Count || first.Count == 0) throw new ArgumentException("the two classifiers must be scored on the same, non-empty set of images");
        int n = first.Count;
        // Each image adds +1 (only the first right), −1 (only the second) or 0: the difference of accuracies is their mean.
        var delta = new int[n];
        for (int i = 0; i < n; i++) delta[i] = (first[i] ? 1 : 0) - (second[i] ? 1 : 0);
        double observed = delta.Sum() / (double)n;
        var random = new Random(seed);
        var draws = new double[resamples];
        for (int r = 0; r < resamples; r++)
        {
            long sum = 0;
            for (int i = 0; i < n; i++) sum += delta[random.Next(n)];
            draws[r] = sum / (double)n;
        }
        Array.Sort(draws);
        double alpha = (1 - level) / 2;
        return (observed, Percentile(draws, alpha), Percentile(draws, 1 - alpha));
    }

    static double Percentile(double[] sorted, double q)
    {
        double at = q * (sorted.Length - 1);
        int i = (int)Math.Floor(at);
        return i + 1 >= sorted.Length ? sorted[^1] : sorted[i] + (at - i) * (sorted[i + 1] - sorted[i]);
    }

    /// <summary>The regularised incomplete beta function I_x(a, b), by its continued fraction (Lentz's method).</summary>
    static double RegularizedBeta(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        // The fraction converges fast for x < (a+1)/(a+b+2); otherwise use the symmetry I_x(a,b) = 1 − I_{1−x}(b,a).
        return x < (a + 1) / (a + b + 2)
            ? front * BetaFraction(x, a, b) / a
            : 1 - front * BetaFraction(1 - x, b, a) / b;
    }

    static double BetaFraction(double x, double a, double b)
    {
        const double tiny = 1e-300;
        double c = 1, d = 1 - (a + b) * x / (a + 1);
        d = 1 / (Math.Abs(d) < tiny ? tiny : d);
        double h = d;
        for (int m = 1; m <= 500; m++)
        {
            int m2 = 2 * m;
            double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + num * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            h *= d * c;
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + num * d; d = 1 / (Math.Abs(d) < tiny ? tiny : d);
            c = 1 + num / c; if (Math.Abs(c) < tiny) c = tiny;
            double step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < 1e-15) break;
        }
        return h;
    }

    /// <summary>ln Γ(x) for x &gt; 0 (Lanczos, g = 7, 9 terms: about 15 significant digits).</summary>
    static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Sin(Math.PI * x)) - LogGamma(1 - x);
        ReadOnlySpan<double> g =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];
        x -= 1;
        double sum = g[0];
        for (int i = 1; i < 9; i++) sum += g[i] / (x + i);
        double t = x + 7.5;
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }
}
