using TorchSharp;
using static TorchSharp.torch;

namespace Zoo.Engine.Analysis;

/// <summary>Settings of <see cref="Tsne.Embed"/>; the defaults are scikit-learn's (1.2+).</summary>
public sealed record TsneOptions
{
    /// <summary>The effective number of neighbours each point's Gaussian covers (5–50 is usual).</summary>
    public double Perplexity { get; init; } = 30;
    public int Iterations { get; init; } = 1000;
    public double EarlyExaggeration { get; init; } = 12;
    public int ExaggerationIterations { get; init; } = 250;
    /// <summary>Null: scikit-learn's "auto", max(n / early exaggeration / 4, 50).</summary>
    public double? LearningRate { get; init; }
    /// <summary>"pca" (deterministic, keeps more global structure) or "random" (Gaussian, std 1e-4, from <see cref="Seed"/>).</summary>
    public string Init { get; init; } = "pca";
    public int Seed { get; init; }
}

/// <summary>A 2-D embedding and the Kullback–Leibler divergence it ended at.</summary>
public sealed record TsneResult(float[] X, float[] Y, double KlDivergence);

/// <summary>
/// t-SNE (van der Maaten &amp; Hinton, 2008) to two dimensions. The embedding's gradient is exact over every pair,
/// as n×n tensors, so time and memory grow with n² (n = 2 000: 16 MB per matrix, about a minute on 2 busy cores;
/// `zoo bench analysis`); the input affinities use each point's ⌊3·perplexity⌋ nearest neighbours. The optimiser is the paper's and scikit-learn's: early exaggeration, momentum 0.5 then 0.8,
/// and per-coordinate gains (delta-bar-delta). The same input and options give the same embedding.
/// </summary>
public static class Tsne
{
    /// <summary>Embeds the rows of <paramref name="points"/> (n×d, n ≥ 3) in 2-D.</summary>
    /// <exception cref="ArgumentException">Fewer than 3 points. A perplexity over (n − 1) / 3 is lowered to that.</exception>
    public static TsneResult Embed(Tensor points, TsneOptions? options = null)
    {
        var o = options ?? new TsneOptions();
        using var scope = NewDisposeScope();
        var x = points.to_type(ScalarType.Float32).cpu();
        int n = (int)x.shape[0];
        if (n < 3) throw new ArgumentException($"t-SNE needs at least 3 points; got {n}");
        double perplexity = Math.Min(o.Perplexity, (n - 1) / 3.0);   // scikit-learn requires perplexity < n; a third keeps the search well posed
        var p = JointProbabilities(Clustering.SquaredDistances(x, x), perplexity).to_type(ScalarType.Float32);
        var y = Initial(x, o).to_type(ScalarType.Float32);
        var update = zeros_like(y);
        var gains = ones_like(y);
        double rate = o.LearningRate ?? Math.Max(n / o.EarlyExaggeration / 4, 50);
        var eye = torch.eye(n, dtype: ScalarType.Bool);
        var exaggerated = p * o.EarlyExaggeration;
        // Two n×n buffers reused every iteration, and as few passes over them as the maths allows: at n = 2 000
        // a fresh 16 MB tensor per operation cost more in page faults than the arithmetic (measured: 4x slower on 2 cores).
        var num = empty(n, n);
        var w = empty(n, n);
        var ones = torch.ones(n, 1);
        for (int it = 0; it < o.Iterations; it++)
        {
            using var step = NewDisposeScope();
            bool early = it < o.ExaggerationIterations;
            // 1 + |yi − yj|² as one n×4 by 4×n product: [−2y, |y|² + 1, 1] · [y, 1, |y|²]ᵀ.
            var norms = y.pow(2).sum(1, keepdim: true);
            num.addmm_(cat(new[] { -2 * y, norms + 1, ones }, 1), cat(new[] { y, ones, norms }, 1).t(), beta: 0, alpha: 1).reciprocal_();
            // The diagonal is 1 here (a point's distance to itself); it leaves Σ num as n and, since yi − yi = 0, no gradient.
            double total = num.sum().item<float>() - n;
            // w = (P − q) ∘ num with q = num / Σ num;  gradient_i = 4 Σj wij (yi − yj) = 4 (rowsum(w) yi − (w y)i).
            w.copy_(num).mul_(-1 / total).add_(early ? exaggerated : p).mul_(num);
            var wy = w.matmul(cat(new[] { y, ones }, 1));
            var grad = 4 * (wy[.., 2..] * y - wy[.., ..2]);
            var sameSign = (grad > 0) == (update > 0);
            gains.copy_(where(sameSign, gains * 0.8, gains + 0.2).clamp_min(0.01));
            update.mul_(early ? 0.5 : 0.8).sub_(rate * gains * grad);
            y.add_(update);
            y.sub_(y.mean(new long[] { 0 }, keepdim: true));
        }
        double kl;
        using (NewDisposeScope())
        {
            var last = (1 + Clustering.SquaredDistances(y, y)).reciprocal().masked_fill(eye, 0);
            var q = (last / last.sum()).clamp_min(1e-12);
            kl = (p * (p.clamp_min(1e-12) / q).log()).sum().item<float>();
        }
        return new TsneResult(y[.., 0].data<float>().ToArray(), y[.., 1].data<float>().ToArray(), kl);
    }

    /// <summary>
    /// The symmetric joint probabilities P = (P_j|i + P_i|j) / 2n, where row i's Gaussian bandwidth is found by
    /// bisection (all rows at once) so that its entropy is ln(perplexity).
    /// </summary>
    internal static Tensor JointProbabilities(Tensor squaredDistances, double perplexity)
    {
        using var scope = NewDisposeScope();
        int n = (int)squaredDistances.shape[0];
        // Only the ⌊3·perplexity⌋ nearest neighbours of each point get a conditional probability, as in
        // scikit-learn's Barnes-Hut variant (van der Maaten, 2014): farther ones carry under e^-4.5 of the mass.
        // It makes the bandwidth search n×k instead of n×n.
        int k = Math.Min(n - 1, (int)(3 * perplexity) + 1);
        var masked = squaredDistances.to_type(ScalarType.Float64).masked_fill(eye(n, dtype: ScalarType.Bool), double.PositiveInfinity);
        var (near, index) = masked.topk(k, 1, largest: false);
        // Shifting a row by its smallest distance changes neither P nor the entropy, and keeps exp() in range.
        var d = near - near[.., ..1];
        double target = Math.Log(perplexity);
        var beta = 1 / d.mean(new long[] { 1 }, keepdim: true).clamp_min(1e-12);
        var lo = zeros_like(beta);
        var hi = full_like(beta, double.PositiveInfinity);
        Tensor conditional = null!;
        for (int i = 0; i < 200; i++)
        {
            var e = (-d * beta).exp();
            var sum = e.sum(1, keepdim: true);
            conditional = e / sum;
            var entropy = sum.log() + beta * (d * conditional).sum(1, keepdim: true);
            var gap = entropy - target;
            if (gap.abs().max().item<double>() < 1e-5) break;
            var tooWide = gap > 0;   // entropy too high: the Gaussian is too wide, raise beta
            lo = where(tooWide, beta, lo);
            hi = where(tooWide, hi, beta);
            beta = where(hi.isinf(), beta * 2, (lo + hi) / 2);
        }
        var dense = zeros(n, n, dtype: ScalarType.Float64).scatter_(1, index, conditional);
        var joint = (dense + dense.t()) / (2.0 * n);
        return joint.MoveToOuterDisposeScope();
    }

    static Tensor Initial(Tensor x, TsneOptions o)
    {
        using var scope = NewDisposeScope();
        int n = (int)x.shape[0];
        Tensor y;
        if (o.Init == "pca" && x.shape[1] >= 2)
        {
            // The two leading principal axes, from the d×d covariance (cheaper than an SVD of the n×d data when n > d).
            var centred = (x - x.mean(new long[] { 0 }, keepdim: true)).to_type(ScalarType.Float64);
            var (_, vectors) = linalg.eigh(centred.t().matmul(centred));
            y = centred.matmul(vectors[.., ^2..].flip(1));
            // Fix each axis's sign by its largest entry, so that the result does not depend on the SVD routine's choice.
            var sign = y.gather(0, y.abs().argmax(0, keepdim: true)).sign();
            y = y * where(sign == 0, ones_like(sign), sign);
            var std = y[.., 0].std();
            y = std.item<double>() > 0 ? y / std * 1e-4 : y;
        }
        else
        {
            using var g = new Generator((ulong)o.Seed);
            y = randn(new long[] { n, 2 }, dtype: ScalarType.Float64, generator: g) * 1e-4;
        }
        return y.MoveToOuterDisposeScope();
    }
}
