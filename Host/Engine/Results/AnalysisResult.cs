namespace Zoo.Engine.Results;

/// <summary>
/// The feature analysis of one run (seeds/002 §4.3, Fig. 45–48), as results.json's "analysis" node: the
/// penultimate features of a seeded sample of the test set, embedded in 2-D by t-SNE and clustered by K-means
/// (k = classes) and DBSCAN (eps and MinPts from the k-distance elbow and a grid search maximising ARI), with
/// each clustering's adjusted Rand index against the true labels. The arrays are parallel, one entry per image,
/// so a report draws the three panels (true labels, K-means, DBSCAN) from <see cref="TsneX"/>/<see cref="TsneY"/>
/// and the label arrays, and the k-distance curve from <see cref="KDistance"/> over <see cref="KDistanceRank"/>.
/// </summary>
public sealed record AnalysisResult
{
    /// <summary>Images analysed (the test set, or a seeded sample of <see cref="MaxImages"/> of it).</summary>
    public int Images { get; init; }
    public int MaxImages { get; init; }
    public int Seed { get; init; }
    /// <summary>The width of the features: the final classifier's input width.</summary>
    public int FeatureWidth { get; init; }
    /// <summary>Where the features were taken, e.g. "input of fc (Linear)" or "IFeatureExtractor".</summary>
    public string FeatureSource { get; init; } = "";
    /// <summary>What K-means and DBSCAN clustered: "tsne" (the 2-D embedding, as the seed's figures show) or "features".</summary>
    public string ClusteredOn { get; init; } = "tsne";
    public double Perplexity { get; init; }
    public double TsneKlDivergence { get; init; }

    public double KmeansAri { get; init; }
    public int KmeansClusters { get; init; }
    public double DbscanAri { get; init; }
    public double DbscanEps { get; init; }
    public int DbscanMinPts { get; init; }
    public int DbscanClusters { get; init; }
    /// <summary>Points DBSCAN left as noise (cluster id -1).</summary>
    public int DbscanNoise { get; init; }
    /// <summary>Every (eps, MinPts) setting tried and its ARI.</summary>
    public IReadOnlyList<DbscanTrialResult> DbscanGrid { get; init; } = Array.Empty<DbscanTrialResult>();

    /// <summary>k of the k-distance curve (distance to the k-th nearest other point).</summary>
    public int KDistanceK { get; init; }
    /// <summary>The sorted k-distance curve, downsampled: the values and each value's rank among all points.</summary>
    public IReadOnlyList<double> KDistance { get; init; } = Array.Empty<double>();
    public IReadOnlyList<int> KDistanceRank { get; init; } = Array.Empty<int>();
    /// <summary>The elbow: its rank among all points and its distance, the base eps of the grid search.</summary>
    public int ElbowRank { get; init; }
    public double ElbowEps { get; init; }

    public IReadOnlyList<float> TsneX { get; init; } = Array.Empty<float>();
    public IReadOnlyList<float> TsneY { get; init; } = Array.Empty<float>();
    /// <summary>True class index of each point.</summary>
    public IReadOnlyList<int> Labels { get; init; } = Array.Empty<int>();
    public IReadOnlyList<int> KmeansLabels { get; init; } = Array.Empty<int>();
    /// <summary>DBSCAN's cluster of each point; -1 is noise.</summary>
    public IReadOnlyList<int> DbscanLabels { get; init; } = Array.Empty<int>();

    public double TsneSeconds { get; init; }
    public double ClusteringSeconds { get; init; }
}

/// <summary>One DBSCAN setting of the grid search.</summary>
public sealed record DbscanTrialResult(double Eps, int MinPts, double Ari, int Clusters, int Noise);
