using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Engine.Analysis;
using Zoo.Engine.Suites;
using Zoo.Reports.Export;
using Zoo.Reports.Model;

namespace Zoo.Cli;

/// <summary>zoo analyze and zoo bench analysis: the feature analysis of seeds/002 §4.3.</summary>
public static class Analyze
{
    /// <summary>
    /// zoo analyze DIR: analyses every finished run of a results folder, writes results.json, prints ARI per model, and
    /// redraws the folder's report.html and figures/ with the analysis (they showed none until `zoo report DIR`, and
    /// nothing said so); 0 if any run was analysed.
    /// </summary>
    public static int Run(IServiceProvider services, string directory, int? maxImages, double? perplexity, string? device = null) =>
        Run(services.GetRequiredService<SuiteRunner>(), directory, maxImages, perplexity, device);

    internal static int Run(SuiteRunner runner, string directory, int? maxImages, double? perplexity, string? device = null)
    {
        var lines = new SuiteAnalyzer(runner).AnalyzeResults(directory, maxImages, perplexity, new ConsoleProgress(Console.Error), device);
        Console.WriteLine(Table(lines));
        Console.Error.WriteLine($"written into {Path.GetFullPath(Path.Combine(directory, "results.json"))} (runs[].analysis)");
        if (!lines.Any(l => l.Analysis is not null)) return 1;
        RefreshReport(Path.GetFullPath(directory));
        return 0;
    }

    /// <summary>
    /// The folder's report redrawn from its results.json, with SVGs where the last report had them. A report that
    /// cannot be written is a warning naming the command that writes it: the analysis is already stored.
    /// </summary>
    static void RefreshReport(string directory)
    {
        try
        {
            var figures = Path.Combine(directory, "figures");
            bool svg = Directory.Exists(figures) && Directory.EnumerateFiles(figures, "*.svg").Any();
            var output = ReportWriter.Write(ReportModel.Load(new[] { directory }), directory, svg);
            foreach (var w in output.Warnings) Console.Error.WriteLine($"warning: {w}");
            Console.Error.WriteLine($"report: {output.Html} ({output.Figures.Count} figures in {output.FiguresDirectory}, the feature analysis included)");
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"warning: report not refreshed: {e.GetType().Name}: {e.Message}; `zoo report {directory}` writes it");
        }
    }

    /// <summary>The ARI table in Markdown, best DBSCAN ARI first.</summary>
    public static string Table(IReadOnlyList<RunAnalysis> lines)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| Model | Images | Features | K-means ARI | DBSCAN ARI | DBSCAN eps | MinPts | DBSCAN clusters | Noise | t-SNE s |");
        sb.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var l in lines.OrderByDescending(l => l.Analysis?.DbscanAri ?? double.NegativeInfinity))
        {
            if (l.Analysis is not { } a) { sb.AppendLine($"| {l.Label} | - | - | - | - | - | - | - | - | skipped: {l.Skipped} |"); continue; }
            sb.AppendLine(string.Create(inv, $"| {l.Label} | {a.Images} | {a.FeatureWidth} | {a.KmeansAri:F3} | {a.DbscanAri:F3} | {a.DbscanEps:G3} | {a.DbscanMinPts} | {a.DbscanClusters} | {a.DbscanNoise} | {a.TsneSeconds:F1} |"));
        }
        return sb.ToString();
    }

    /// <summary>
    /// zoo bench analysis: seconds of t-SNE, K-means and DBSCAN's grid search on <paramref name="points"/> synthetic
    /// features of <paramref name="dims"/> dimensions in <paramref name="classes"/> Gaussian clusters (seeded), as the
    /// analysis runs them per model. Prints the figures; asserts nothing.
    /// </summary>
    public static int Bench(int points, int dims, int classes, int iterations)
    {
        var rng = new Random(1);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var centres = Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, dims).Select(_ => Normal()).ToArray()).ToArray();
        var features = new float[points, dims];
        var labels = new int[points];
        for (int i = 0; i < points; i++)
        {
            labels[i] = i % classes;
            for (int j = 0; j < dims; j++) features[i, j] = (float)(centres[labels[i]][j] + Normal());
        }
        Console.WriteLine($"{points} points x {dims} features, {classes} Gaussian clusters; {torch.get_num_threads()} LibTorch threads, {Environment.ProcessorCount} cores");
        using var x = torch.tensor(features);
        var clock = Stopwatch.StartNew();
        var e = Tsne.Embed(x, new TsneOptions { Iterations = iterations });
        double tsne = clock.Elapsed.TotalSeconds;
        using var embedded = torch.stack(new[] { torch.tensor(e.X), torch.tensor(e.Y) }, 1);
        clock.Restart();
        var km2 = Clustering.KMeans(embedded, classes, 0);
        double kmeans2 = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var km = Clustering.KMeans(x, classes, 0);
        double kmeans = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var (_, best, trials, _) = Clustering.DbscanSearch(embedded, labels);
        double dbscan = clock.Elapsed.TotalSeconds;
        clock.Restart();
        var (_, bestFeatures, _, _) = Clustering.DbscanSearch(x, labels);
        double dbscanFeatures = clock.Elapsed.TotalSeconds;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"t-SNE ({iterations} iterations, perplexity 30): {tsne:F2} s (KL {e.KlDivergence:F3})"));
        Console.WriteLine(string.Create(inv, $"K-means on the 2-D embedding: {kmeans2:F2} s (ARI {Clustering.AdjustedRandIndex(labels, km2.Labels):F3}); on the {dims}-D features: {kmeans:F2} s (ARI {Clustering.AdjustedRandIndex(labels, km.Labels):F3})"));
        Console.WriteLine(string.Create(inv, $"DBSCAN grid ({trials.Count} settings) on the 2-D embedding: {dbscan:F2} s (ARI {best.Ari:F3}); on the features: {dbscanFeatures:F2} s (ARI {bestFeatures.Ari:F3})"));
        Console.WriteLine(string.Create(inv, $"total as a suite runs it (t-SNE, K-means and DBSCAN on the embedding): {tsne + kmeans2 + dbscan:F2} s"));
        return 0;
    }
}
