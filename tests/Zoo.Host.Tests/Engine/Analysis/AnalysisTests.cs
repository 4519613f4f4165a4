using TorchSharp;
using Zoo.Engine.Analysis;

namespace Zoo.Host.Tests;

/// <summary>The feature analysis's maths on data whose answer is known (seeds/002 §4.3).</summary>
public sealed class AnalysisTests
{
    // Expected values: scikit-learn's documented examples of adjusted_rand_score (its user guide and docstring),
    // checked by hand from Hubert & Arabie's formula, ARI = (Σij C(nij,2) − E) / (½(Σi C(ai,2) + Σj C(bj,2)) − E),
    // E = Σi C(ai,2) · Σj C(bj,2) / C(n,2). E.g. [0,0,1,1] vs [0,0,1,2]: index 1, a = 2, b = 1, E = 2/6,
    // max = 3/2, so (1 − 1/3) / (3/2 − 1/3) = 4/7 = 0.5714285714285715.
    [Theory]
    [InlineData(new[] { 0, 0, 1, 1 }, new[] { 0, 0, 1, 1 }, 1.0)]
    [InlineData(new[] { 0, 0, 1, 1 }, new[] { 1, 1, 0, 0 }, 1.0)]
    [InlineData(new[] { 0, 0, 1, 1 }, new[] { 0, 0, 1, 2 }, 0.5714285714285715)]
    [InlineData(new[] { 0, 0, 1, 2 }, new[] { 0, 0, 1, 1 }, 0.5714285714285715)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 0, 1, 2, 3 }, 0.0)]
    [InlineData(new[] { 0, 0, 1, 1 }, new[] { 0, 1, 0, 1 }, -0.5)]
    [InlineData(new[] { 0, 0, 0, 0 }, new[] { 5, 5, 5, 5 }, 1.0)]
    public void The_adjusted_Rand_index_equals_the_published_values(int[] truth, int[] predicted, double expected) =>
        Assert.Equal(expected, Clustering.AdjustedRandIndex(truth, predicted), 12);

    [Fact]
    public void The_adjusted_Rand_index_counts_noise_as_a_label_and_refuses_unequal_lengths()
    {
        // [0,0,0,1,1,1] vs [0,0,-1,1,1,-1]: cells (0,0)=2 (0,-1)=1 (1,1)=2 (1,-1)=1 → index 2; a = 3+3 = 6, b = 1+1+1 = 3;
        // E = 6·3/15 = 1.2; max = 4.5; ARI = 0.8 / 3.3 = 0.24242424…
        Assert.Equal(0.8 / 3.3, Clustering.AdjustedRandIndex(new[] { 0, 0, 0, 1, 1, 1 }, new[] { 0, 0, -1, 1, 1, -1 }), 12);
        Assert.Throws<ArgumentException>(() => Clustering.AdjustedRandIndex(new[] { 0, 1 }, new[] { 0 }));
    }

    /// <summary>Gaussian blobs (std 1) around centres 20 apart on the axes of a d-dimensional space, seeded.</summary>
    static (float[,] Points, int[] Labels) Blobs(int perBlob, int blobs, int dims, int seed, double spread = 1, double distance = 20)
    {
        var rng = new Random(seed);
        var points = new float[perBlob * blobs, dims];
        var labels = new int[perBlob * blobs];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = i % blobs;
            for (int j = 0; j < dims; j++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                points[i, j] = (float)((j == labels[i] % dims ? distance * (1 + labels[i] / dims) : 0) + spread * g);
            }
        }
        return (points, labels);
    }

    [Fact]
    public void K_means_recovers_well_separated_blobs_and_repeats_with_its_seed()
    {
        var (points, labels) = Blobs(40, 5, 8, seed: 1);
        using var x = torch.tensor(points);
        var first = Clustering.KMeans(x, 5, seed: 3);
        Assert.Equal(1.0, Clustering.AdjustedRandIndex(labels, first.Labels), 9);
        Assert.Equal(first.Labels, Clustering.KMeans(x, 5, seed: 3).Labels);
    }

    [Fact]
    public void DBSCAN_recovers_blobs_and_marks_planted_outliers_as_noise()
    {
        var (blobPoints, blobLabels) = Blobs(40, 4, 2, seed: 2, spread: 0.5);
        // Four outliers far from every blob and from each other.
        var outliers = new[] { (-30f, -30f), (60f, -30f), (-30f, 60f), (60f, 60f) };
        int n = blobLabels.Length + outliers.Length;
        var points = new float[n, 2];
        var truth = new int[n];
        for (int i = 0; i < blobLabels.Length; i++) { points[i, 0] = blobPoints[i, 0]; points[i, 1] = blobPoints[i, 1]; truth[i] = blobLabels[i]; }
        for (int o = 0; o < outliers.Length; o++) { points[blobLabels.Length + o, 0] = outliers[o].Item1; points[blobLabels.Length + o, 1] = outliers[o].Item2; truth[blobLabels.Length + o] = -1; }
        using var x = torch.tensor(points);
        var (labels, best, trials, curve) = Clustering.DbscanSearch(x, truth);
        Assert.Equal(1.0, best.Ari, 9);
        Assert.All(Enumerable.Range(blobLabels.Length, outliers.Length), i => Assert.Equal(-1, labels[i]));
        Assert.Equal(4, best.Clusters);
        Assert.Equal(Clustering.EpsFactors.Length * Clustering.MinPointsGrid.Count(m => m <= n / 2), trials.Count);
        // The curve is sorted and its elbow sits between the blobs' small distances and the outliers' large ones.
        Assert.True(curve.Distances.Zip(curve.Distances.Skip(1)).All(p => p.First <= p.Second));
        Assert.InRange(curve.ElbowDistance, 0.05, 10);
    }

    [Fact]
    public void DBSCAN_with_a_fixed_eps_labels_noise_and_clusters_in_order()
    {
        using var x = torch.tensor(new float[,] { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 10, 10 }, { 10, 11 }, { 11, 10 }, { 50, 50 } });
        using var d = Clustering.Distances(x);
        Assert.Equal(new[] { 0, 0, 0, 1, 1, 1, -1 }, Clustering.Dbscan(d, eps: 1.5, minPoints: 3));
        Assert.Equal(new[] { -1, -1, -1, -1, -1, -1, -1 }, Clustering.Dbscan(d, eps: 1.5, minPoints: 4));
    }

    [Fact]
    public void T_SNE_keeps_separated_clusters_separated_and_repeats()
    {
        var (points, labels) = Blobs(30, 4, 20, seed: 4);
        using var x = torch.tensor(points);
        var options = new TsneOptions { Perplexity = 10, Iterations = 400 };
        var e = Tsne.Embed(x, options);
        Assert.Equal(labels.Length, e.X.Length);
        Assert.True(KnnAgreement(e.X, e.Y, labels, 5) >= 0.95, $"5-NN agreement {KnnAgreement(e.X, e.Y, labels, 5)}");
        Assert.True(double.IsFinite(e.KlDivergence) && e.KlDivergence >= 0);
        Assert.Equal(e.X, Tsne.Embed(x, options).X);
    }

    [Fact]
    public void T_SNE_joint_probabilities_are_symmetric_and_sum_to_one()
    {
        var (points, _) = Blobs(20, 3, 5, seed: 5);
        using var x = torch.tensor(points).to_type(torch.ScalarType.Float64);
        using var p = Tsne.JointProbabilities(Clustering.SquaredDistances(x, x), 8);
        // Joint probabilities are symmetric and sum to 1.
        Assert.Equal(1.0, p.sum().item<double>(), 6);
        Assert.True(p.allclose(p.t()));
    }

    /// <summary>The share of points whose k nearest neighbours in 2-D mostly have their label.</summary>
    static double KnnAgreement(float[] xs, float[] ys, int[] labels, int k)
    {
        int n = labels.Length, agree = 0;
        for (int i = 0; i < n; i++)
        {
            var near = Enumerable.Range(0, n).Where(j => j != i)
                .OrderBy(j => (xs[i] - xs[j]) * (xs[i] - xs[j]) + (ys[i] - ys[j]) * (ys[i] - ys[j])).Take(k);
            if (near.Count(j => labels[j] == labels[i]) * 2 > k) agree++;
        }
        return agree / (double)n;
    }
}
