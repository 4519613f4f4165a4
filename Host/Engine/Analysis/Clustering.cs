using TorchSharp;
using static TorchSharp.torch;

namespace Zoo.Engine.Analysis;

/// <summary>One K-means fit: a cluster id per point, the sum of squared distances to the centres, and how many Lloyd steps it took.</summary>
public sealed record KMeansResult(int[] Labels, double Inertia, int Iterations);

/// <summary>One DBSCAN setting and how well its clusters matched the true labels.</summary>
public sealed record DbscanTrial(double Eps, int MinPoints, double Ari, int Clusters, int Noise);

/// <summary>
/// The k-distance curve (each point's distance to its k-th nearest other point, sorted ascending) and
/// its elbow, the usual starting eps for DBSCAN (Ester et al., 1996, §4.2).
/// </summary>
public sealed record KDistanceCurve(int K, double[] Distances, int ElbowIndex)
{
    public double ElbowDistance => Distances[ElbowIndex];
}

/// <summary>
/// Clustering and its evaluation for the feature analysis (seeds/002 §4.3): the adjusted Rand index,
/// K-means with k-means++ seeding, DBSCAN, the k-distance curve and the seed's grid search of DBSCAN's
/// eps and MinPts around the curve's elbow. Points are an n×d float tensor on the CPU; distances are
/// computed as one n×n matrix, so memory is 4n² bytes (16 MB at n = 2 000). Pure functions, thread-safe.
/// </summary>
public static class Clustering
{
    /// <summary>
    /// The adjusted Rand index of two labelings of the same points (Hubert &amp; Arabie, 1985): 1 for identical
    /// partitions up to renaming, about 0 for chance agreement, negative below chance. Any int is a label,
    /// DBSCAN's noise (-1) included, as scikit-learn counts it. Two partitions that are both a single
    /// cluster (or both all singletons) agree perfectly: 1, as scikit-learn returns.
    /// </summary>
    /// <exception cref="ArgumentException">The labelings differ in length.</exception>
    public static double AdjustedRandIndex(IReadOnlyList<int> truth, IReadOnlyList<int> predicted)
    {
        if (truth.Count != predicted.Count) throw new ArgumentException($"labelings differ in length: {truth.Count} and {predicted.Count}");
        int n = truth.Count;
        if (n < 2) return 1;
        var cells = new Dictionary<(int, int), long>();
        var rows = new Dictionary<int, long>();
        var columns = new Dictionary<int, long>();
        for (int i = 0; i < n; i++)
        {
            var key = (truth[i], predicted[i]);
            cells[key] = cells.GetValueOrDefault(key) + 1;
            rows[truth[i]] = rows.GetValueOrDefault(truth[i]) + 1;
            columns[predicted[i]] = columns.GetValueOrDefault(predicted[i]) + 1;
        }
        static double Pairs(long m) => m * (m - 1) / 2.0;
        double index = cells.Values.Sum(Pairs);
        double a = rows.Values.Sum(Pairs), b = columns.Values.Sum(Pairs);
        double expected = a * b / Pairs(n);
        double max = (a + b) / 2;
        if (max == expected) return 1;   // both partitions trivial in the same way: nothing to adjust for
        return (index - expected) / (max - expected);
    }

    /// <summary>Squared Euclidean distances between the rows of <paramref name="a"/> and <paramref name="b"/> (clamped at 0).</summary>
    public static Tensor SquaredDistances(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        var d = a.pow(2).sum(1, keepdim: true) + b.pow(2).sum(1).unsqueeze(0) - 2 * a.matmul(b.t());
        return d.clamp_min(0).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// K-means (Lloyd) with k-means++ seeding (Arthur &amp; Vassilvitskii, 2007), best of
    /// <paramref name="restarts"/> seeded starts by inertia. Stops when the centres move less than
    /// <paramref name="tolerance"/> × the mean feature variance (scikit-learn's criterion) or after
    /// <paramref name="maxIterations"/>. The same seed gives the same labels.
    /// </summary>
    public static KMeansResult KMeans(Tensor points, int k, int seed, int restarts = 4, int maxIterations = 300, double tolerance = 1e-4)
    {
        using var scope = NewDisposeScope();
        var x = points.to_type(ScalarType.Float32).cpu();
        int n = (int)x.shape[0];
        if (k < 1 || k > n) throw new ArgumentException($"k = {k} needs 1..{n} points");
        double threshold = tolerance * x.var(0).mean().item<float>();
        var rng = new Random(seed);
        KMeansResult? best = null;
        for (int r = 0; r < restarts; r++)
        {
            using var inner = NewDisposeScope();
            var centres = PlusPlus(x, k, rng);
            Tensor labels = null!;
            int iterations = 0;
            for (; iterations < maxIterations; iterations++)
            {
                labels = SquaredDistances(x, centres).argmin(1);
                var sums = zeros(k, x.shape[1]).index_add_(0, labels, x, 1);
                var counts = bincount(labels, minlength: k).to_type(ScalarType.Float32).unsqueeze(1);
                // An emptied cluster keeps its centre (it may win points back); scikit-learn moves it to a far point instead.
                var moved = where(counts > 0, sums / counts.clamp_min(1), centres);
                double shift = (moved - centres).pow(2).sum().item<float>();
                centres = moved;
                if (shift <= threshold) { iterations++; break; }
            }
            var d = SquaredDistances(x, centres);
            labels = d.argmin(1);
            double inertia = d.min(1).values.sum().item<float>();
            if (best is null || inertia < best.Inertia)
                best = new KMeansResult(labels.to_type(ScalarType.Int32).data<int>().ToArray(), inertia, iterations);
        }
        return best!;
    }

    /// <summary>k-means++: the first centre uniformly, each next one with probability proportional to its squared distance to the nearest centre so far.</summary>
    static Tensor PlusPlus(Tensor x, int k, Random rng)
    {
        int n = (int)x.shape[0];
        var chosen = new List<long> { rng.Next(n) };
        var nearest = SquaredDistances(x, x[chosen[0]].unsqueeze(0)).squeeze(1);
        while (chosen.Count < k)
        {
            var weights = nearest.to_type(ScalarType.Float64).data<double>().ToArray();
            double total = weights.Sum(), target = rng.NextDouble() * total;
            int pick = n - 1;
            if (total > 0)
            {
                double run = 0;
                for (int i = 0; i < n; i++) { run += weights[i]; if (run >= target && weights[i] > 0) { pick = i; break; } }
            }
            else pick = rng.Next(n);   // all points coincide with centres: any point will do
            chosen.Add(pick);
            nearest = minimum(nearest, SquaredDistances(x, x[pick].unsqueeze(0)).squeeze(1));
        }
        return x.index(tensor(chosen.ToArray())).clone();
    }

    /// <summary>
    /// The k-distance curve: for each point the distance to its k-th nearest other point, sorted ascending, and
    /// the elbow: the point farthest below the chord from the first to the last value, on axes scaled to [0, 1]
    /// (the "kneedle" construction of Satopää et al., 2011).
    /// </summary>
    public static KDistanceCurve KDistance(Tensor distances, int k)
    {
        using var scope = NewDisposeScope();
        int n = (int)distances.shape[0];
        k = Math.Clamp(k, 1, n - 1);
        // Column 0 of each sorted row is the point itself (distance 0).
        var kth = distances.sort(1).Values.select(1, k).sort().Values.to_type(ScalarType.Float64).data<double>().ToArray();
        double lo = kth[0], span = Math.Max(kth[^1] - lo, 1e-12);
        int elbow = 0;
        double farthest = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double below = i / (double)Math.Max(1, n - 1) - (kth[i] - lo) / span;
            if (below > farthest) { farthest = below; elbow = i; }
        }
        return new KDistanceCurve(k, kth, elbow);
    }

    /// <summary>Euclidean distance matrix of the rows of <paramref name="points"/>.</summary>
    public static Tensor Distances(Tensor points)
    {
        using var scope = NewDisposeScope();
        var x = points.to_type(ScalarType.Float32).cpu();
        var d = SquaredDistances(x, x).sqrt_().masked_fill(eye(x.shape[0], dtype: ScalarType.Bool), 0);
        return d.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// DBSCAN (Ester et al., 1996) on a precomputed distance matrix: a point with at least
    /// <paramref name="minPoints"/> points within <paramref name="eps"/> (itself included, as scikit-learn counts)
    /// is a core point; clusters are the core points connected through such neighbourhoods plus the border
    /// points they reach; the rest is noise, labelled -1. Clusters are numbered 0, 1, … in the order of their first point.
    /// </summary>
    public static int[] Dbscan(Tensor distances, double eps, int minPoints) => Dbscan(Neighbours.Within(distances, eps), minPoints);

    /// <summary>Each point's neighbours within one eps (itself included), in compressed rows: those of i are Columns[Start[i]..Start[i+1]].</summary>
    internal sealed record Neighbours(int[] Start, int[] Columns)
    {
        public static Neighbours Within(Tensor distances, double eps)
        {
            using var scope = NewDisposeScope();
            int n = (int)distances.shape[0];
            var pairs = (distances <= eps).nonzero().to_type(ScalarType.Int32).data<int>().ToArray();   // row-major: (i, j) sorted by i
            var start = new int[n + 1];
            var columns = new int[pairs.Length / 2];
            for (int e = 0; e < columns.Length; e++) { start[pairs[2 * e] + 1]++; columns[e] = pairs[2 * e + 1]; }
            for (int i = 0; i < n; i++) start[i + 1] += start[i];
            return new Neighbours(start, columns);
        }
    }

    static int[] Dbscan(Neighbours near, int minPoints)
    {
        var (start, columns) = (near.Start, near.Columns);
        int n = start.Length - 1;
        var core = new bool[n];
        for (int i = 0; i < n; i++) core[i] = start[i + 1] - start[i] >= minPoints;
        var labels = Enumerable.Repeat(-1, n).ToArray();
        var stack = new Stack<int>();
        int cluster = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i] != -1 || !core[i]) continue;
            labels[i] = cluster;
            stack.Push(i);
            while (stack.Count > 0)
            {
                int p = stack.Pop();
                for (int e = start[p]; e < start[p + 1]; e++)
                {
                    int q = columns[e];
                    if (labels[q] != -1) continue;
                    labels[q] = cluster;
                    if (core[q]) stack.Push(q);
                }
            }
            cluster++;
        }
        return labels;
    }

    /// <summary>The eps multiples of the elbow that <see cref="DbscanSearch"/> tries.</summary>
    public static readonly double[] EpsFactors = { 0.5, 0.625, 0.75, 0.875, 1, 1.25, 1.5, 1.75, 2 };

    /// <summary>The MinPts values that <see cref="DbscanSearch"/> tries (those under n/2).</summary>
    public static readonly int[] MinPointsGrid = { 3, 4, 5, 8, 12, 16, 24, 32 };

    /// <summary>
    /// seeds/002 §4.3: eps from the elbow of the k-distance curve, then a grid of eps around it and of MinPts,
    /// keeping the setting with the highest ARI against <paramref name="truth"/>. This tunes DBSCAN on the labels it
    /// is scored against, as the seed does: the ARI says how well the features <em>can</em> be clustered by density.
    /// Returns the best labels, every trial, and the curve (k = <paramref name="curveK"/>).
    /// </summary>
    public static (int[] Labels, DbscanTrial Best, IReadOnlyList<DbscanTrial> Trials, KDistanceCurve Curve) DbscanSearch(Tensor points, IReadOnlyList<int> truth, int curveK = 4)
    {
        using var scope = NewDisposeScope();
        var distances = Distances(points);
        int n = (int)distances.shape[0];
        var curve = KDistance(distances, curveK);
        double elbow = curve.ElbowDistance > 0 ? curve.ElbowDistance : curve.Distances.FirstOrDefault(d => d > 0, 1e-6);
        var trials = new List<DbscanTrial>();
        int[]? bestLabels = null;
        DbscanTrial? best = null;
        foreach (var factor in EpsFactors)
        {
            var near = Neighbours.Within(distances, elbow * factor);
            foreach (var minPoints in MinPointsGrid.Where(m => m <= Math.Max(3, n / 2)))
            {
                var labels = Dbscan(near, minPoints);
                var trial = new DbscanTrial(elbow * factor, minPoints, AdjustedRandIndex(truth, labels), labels.Max() + 1, labels.Count(l => l < 0));
                trials.Add(trial);
                if (best is null || trial.Ari > best.Ari) (best, bestLabels) = (trial, labels);
            }
        }
        return (bestLabels!, best!, trials, curve);
    }
}
