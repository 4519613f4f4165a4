using System.Diagnostics;
using TorchSharp;
using Zoo.Engine.Results;
using static TorchSharp.torch;

namespace Zoo.Engine.Analysis;

/// <summary>What the feature analysis does: how many test images, t-SNE's perplexity, the seed, and what to cluster.</summary>
public sealed record AnalysisOptions
{
    public int MaxImages { get; init; } = 2000;
    public double Perplexity { get; init; } = 30;
    public int Seed { get; init; }
    public int TsneIterations { get; init; } = 1000;
    /// <summary>Cluster the 2-D t-SNE embedding (the seed's figures) rather than the features themselves.</summary>
    public bool ClusterOnEmbedding { get; init; } = true;
}

/// <summary>seeds/002 §4.3 on a set of features: t-SNE, K-means, DBSCAN with its grid search, and the ARI of both.</summary>
public static class FeatureAnalysis
{
    /// <summary>Points kept of the k-distance curve in the result (evenly by rank, the last always).</summary>
    public const int CurvePoints = 200;

    /// <summary>Runs the analysis on <paramref name="set"/>; deterministic for the same features and options.</summary>
    /// <exception cref="ArgumentException">Fewer than 3 points.</exception>
    public static AnalysisResult Run(FeatureSet set, int classes, AnalysisOptions options)
    {
        using var scope = NewDisposeScope();
        var features = tensor(set.Features);
        var clock = Stopwatch.StartNew();
        var embedding = Tsne.Embed(features, new TsneOptions { Perplexity = options.Perplexity, Iterations = options.TsneIterations, Seed = options.Seed });
        double tsneSeconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var points = options.ClusterOnEmbedding ? stack(new[] { tensor(embedding.X), tensor(embedding.Y) }, 1) : features;
        var kmeans = Clustering.KMeans(points, Math.Clamp(classes, 1, set.Count), options.Seed);
        var (dbscan, best, trials, curve) = Clustering.DbscanSearch(points, set.Labels);
        double clusteringSeconds = clock.Elapsed.TotalSeconds;
        int n = curve.Distances.Length;
        var ranks = Enumerable.Range(0, Math.Min(CurvePoints, n)).Select(i => (int)Math.Round(i * (n - 1) / (double)Math.Max(1, Math.Min(CurvePoints, n) - 1))).Distinct().ToArray();
        return new AnalysisResult
        {
            Images = set.Count, MaxImages = options.MaxImages, Seed = options.Seed, FeatureWidth = set.Width, FeatureSource = set.Source,
            ClusteredOn = options.ClusterOnEmbedding ? "tsne" : "features", Perplexity = options.Perplexity, TsneKlDivergence = embedding.KlDivergence,
            KmeansAri = Clustering.AdjustedRandIndex(set.Labels, kmeans.Labels), KmeansClusters = kmeans.Labels.Distinct().Count(),
            DbscanAri = best.Ari, DbscanEps = best.Eps, DbscanMinPts = best.MinPoints, DbscanClusters = best.Clusters, DbscanNoise = best.Noise,
            DbscanGrid = trials.Select(t => new DbscanTrialResult(t.Eps, t.MinPoints, t.Ari, t.Clusters, t.Noise)).ToArray(),
            KDistanceK = curve.K, KDistance = ranks.Select(r => curve.Distances[r]).ToArray(), KDistanceRank = ranks,
            ElbowRank = curve.ElbowIndex, ElbowEps = curve.ElbowDistance,
            TsneX = embedding.X, TsneY = embedding.Y, Labels = set.Labels, KmeansLabels = kmeans.Labels, DbscanLabels = dbscan,
            TsneSeconds = tsneSeconds, ClusteringSeconds = clusteringSeconds,
        };
    }
}
