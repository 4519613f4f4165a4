using System.Text.Json.Nodes;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>The feature analysis as a suite option, in results.json, and afterwards from a results folder (`zoo analyze`).</summary>
public sealed class AnalysisSuiteTests
{
    static string Suite(string analysis) => $$"""
        {
          "name": "analysis",
          "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 3, "train": 160, "val": 40, "test": 60 },
          "models": [ "lenet5" ],
          "recipe": { "epochs": 1, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } }{{analysis}}
        }
        """;

    static string Error(string json) => Assert.Throws<ZooConfigException>(() => SuiteParser.Parse(json, "/x/suite.json")).Message;

    [Fact]
    public void The_analysis_option_reads_its_fields_and_names_a_wrong_one()
    {
        Assert.Null(SuiteParser.Parse(Suite(""), "/x/suite.json").Analysis);
        Assert.Null(SuiteParser.Parse(Suite(""", "analysis": { "features": false }"""), "/x/suite.json").Analysis);
        var on = SuiteParser.Parse(Suite(""", "analysis": { "features": true, "max_images": 500, "perplexity": 20, "cluster_on": "features" }"""), "/x/suite.json").Analysis!;
        Assert.Equal((500, 20.0, false), (on.MaxImages, on.Perplexity, on.ClusterOnEmbedding));
        Assert.Equal(2000, SuiteParser.Parse(Suite(""", "analysis": true"""), "/x/suite.json").Analysis!.MaxImages);
        Assert.Contains("suite.json: analysis.max_image: unknown field", Error(Suite(""", "analysis": { "max_image": 10 }""")));
        Assert.Contains("suite.json: analysis.perplexity: 0 is out of range", Error(Suite(""", "analysis": { "perplexity": 0 }""")));
        Assert.Contains("suite.json: analysis.cluster_on: 'pixels' is not allowed", Error(Suite(""", "analysis": { "cluster_on": "pixels" }""")));
        Assert.Contains("suite.json: analysis.perplexity", Error(Suite(""", "analysis": { "max_images": 30, "perplexity": 30 }""")));
    }

    [Fact]
    public void Zoo_analyze_redraws_the_folders_report_with_the_t_SNE_figures()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            var runner = new SuiteRunner(catalog);
            File.WriteAllText(Path.Combine(dir, "suite.json"), Suite(""));
            runner.Run(SuiteParser.Load(Path.Combine(dir, "suite.json")), dir);
            var html = Path.Combine(dir, "report.html");
            Zoo.Reports.Export.ReportWriter.Write(Zoo.Reports.Model.ReportModel.Load(new[] { dir }), dir);   // as run-suite leaves it
            Assert.DoesNotContain("id=\"analysis\"", File.ReadAllText(html));

            Assert.Equal(0, Zoo.Cli.Analyze.Run(runner, dir, maxImages: 40, perplexity: 8));
            var after = File.ReadAllText(html);
            Assert.Contains("id=\"analysis\"", after);
            Assert.Contains("figures/lenet5-tsne-dbscan.png", after);
            Assert.True(File.Exists(Path.Combine(dir, "figures", "lenet5-tsne-classes.png")));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public void A_suite_with_analysis_stores_it_per_run_and_zoo_analyze_redoes_it_from_the_best_weights()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            var runner = new SuiteRunner(catalog);
            var json = Suite(""", "analysis": { "features": true, "max_images": 50, "perplexity": 5, "iterations": 250 }""");
            File.WriteAllText(Path.Combine(dir, "suite.json"), json);
            var events = new List<SuiteEvent>();
            var run = runner.Run(SuiteParser.Load(Path.Combine(dir, "suite.json")), dir, default, new SyncProgress<SuiteEvent>(events.Add)).Runs[0];
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Same(run.Analysis, events.OfType<AnalysisEnded>().Single().Analysis);
            Assert.StartsWith("    feature analysis: 50 test images, 84 features; ARI K-means ", ProgressText.Line(events.OfType<AnalysisEnded>().Single()));
            var a = run.Analysis!;
            Assert.Equal((50, 84, "input of classifier.4 (Linear)"), (a.Images, a.FeatureWidth, a.FeatureSource));
            Assert.All(new[] { a.TsneX.Count, a.TsneY.Count, a.Labels.Count, a.KmeansLabels.Count, a.DbscanLabels.Count }, c => Assert.Equal(50, c));
            Assert.InRange(a.KmeansAri, -1, 1);
            Assert.InRange(a.DbscanAri, -1, 1);
            Assert.Equal(a.DbscanGrid.Max(t => t.Ari), a.DbscanAri);
            Assert.Equal(10, a.KmeansClusters);
            Assert.True(a.KDistance.Count <= 50 && a.KDistance.Zip(a.KDistance.Skip(1)).All(p => p.First <= p.Second));

            var node = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!["runs"]![0]!["analysis"]!;
            Assert.Equal(a.KmeansAri, node["kmeans_ari"]!.GetValue<double>());
            Assert.Equal(50, node["tsne_x"]!.AsArray().Count);
            Assert.Equal(50, node["dbscan_labels"]!.AsArray().Count);

            // Afterwards, with another perplexity: same features (same best weights, same sample), a new embedding, written back.
            var lines = new SuiteAnalyzer(runner).AnalyzeResults(dir, maxImages: 40, perplexity: 8);
            var again = Assert.Single(lines).Analysis!;
            Assert.Equal((40, 8.0), (again.Images, again.Perplexity));
            var stored = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!["runs"]![0]!["analysis"]!;
            Assert.Equal(8.0, stored["perplexity"]!.GetValue<double>());

            // A rerun of the suite reuses the run and keeps the stored analysis.
            var rerun = runner.Run(SuiteParser.Load(Path.Combine(dir, "suite.json")), dir).Runs[0];
            Assert.True(rerun.Reused);
            Assert.Equal(40, rerun.Analysis!.Images);

            Assert.Contains("no results.json", Assert.Throws<ZooConfigException>(() => new SuiteAnalyzer(runner).AnalyzeResults(Path.Combine(dir, "runs"))).Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Turning_the_analysis_on_for_a_finished_suite_adds_it_to_the_reused_runs_without_training_again()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = TestEnvironment.Catalog();
            var runner = new SuiteRunner(catalog);
            var first = runner.Run(SuiteParser.Parse(Suite(""), Path.Combine(dir, "suite.json")), dir).Runs[0];
            Assert.Null(first.Analysis);
            var json = Suite(""", "analysis": { "max_images": 30, "perplexity": 5, "iterations": 100 }""");
            var second = runner.Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), dir).Runs[0];
            Assert.True(second.Reused);
            Assert.Equal(first.Epochs.Select(e => e.TrainLoss), second.Epochs.Select(e => e.TrainLoss));
            Assert.Equal(30, second.Analysis!.Images);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
