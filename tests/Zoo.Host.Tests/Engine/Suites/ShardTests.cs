using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>
/// run-suite --shard I/N: a stable round-robin assignment of runs to shards, per-shard summaries in one shared
/// results folder, and a merge (zoo report) equal to one process running the whole suite.
/// </summary>
public sealed class ShardTests
{
    // Three LeNet-5s that differ (activation, seed of the recipe), so a run put in the wrong place would show.
    const string Suite = """
        { "name": "sharded", "dataset": { "name": "shapes", "channels": 1, "size": 16, "seed": 5, "train": 96, "val": 32, "test": 32 },
          "models": [
            { "variant": "lenet5", "label": "a", "options": { "activation": "relu", "pool": "max" } },
            { "variant": "lenet5", "label": "b", "options": { "activation": "tanh", "pool": "avg" } },
            { "variant": "lenet5", "label": "c", "options": { "activation": "relu", "pool": "avg" } } ],
          "recipe": { "epochs": 2, "batch_size": 16, "seed": 7, "optimizer": { "name": "adamw", "lr": 0.003 } } }
        """;

    /// <summary>results.json without what depends on the clock, the machine's memory or the folder: what must match.</summary>
    internal static JsonNode Numbers(JsonNode node)
    {
        var copy = node.DeepClone();
        void Strip(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var key in o.Select(p => p.Key).ToArray())
                        if (Regex.IsMatch(key, "seconds|_ms_|_ms$|millisecond|resident|per_second|path|directory|suite_file|reused|tensorboard", RegexOptions.IgnoreCase)) o.Remove(key);
                        else Strip(o[key]);
                    break;
                case JsonArray a:
                    foreach (var x in a) Strip(x);
                    break;
            }
        }
        Strip(copy);
        return copy;
    }

    [Theory]
    [InlineData("1/1", 1, 1)]
    [InlineData("2/3", 2, 3)]
    [InlineData(" 4/4 ", 4, 4)]
    public void A_shard_parses_and_names_itself(string text, int index, int count)
    {
        var s = ShardSpec.Parse(text, "--shard");
        Assert.Equal((index, count), (s.Index, s.Count));
        Assert.Equal($"shard-{index}-of-{count}", s.Key);
    }

    [Theory]
    [InlineData("0/2")]
    [InlineData("3/2")]
    [InlineData("1/0")]
    [InlineData("1-2")]
    [InlineData("a/b")]
    public void A_wrong_shard_is_a_users_mistake_naming_the_option(string text)
    {
        var e = Assert.Throws<ZooConfigException>(() => ShardSpec.Parse(text, "--shard"));
        Assert.StartsWith("--shard", e.Message);
    }

    [Fact]
    public void Every_run_belongs_to_exactly_one_shard_and_the_assignment_depends_only_on_its_place()
    {
        for (int n = 1; n <= 5; n++)
        {
            var shards = Enumerable.Range(1, n).Select(i => new ShardSpec(i, n)).ToArray();
            for (int model = 0; model < 17; model++)
            {
                Assert.Single(shards, s => s.Owns(model));
                Assert.True(shards[model % n].Owns(model));
            }
        }
    }

    [Fact]
    public void Two_shards_in_one_folder_merge_into_the_results_of_one_process_running_everything()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = TestEnvironment.Catalog();
        var suite = SuiteParser.Parse(Suite, Path.Combine(dir, "suite.json"));
        var whole = Path.Combine(dir, "whole");
        var single = new SuiteRunner(catalog).Run(suite, whole);
        Assert.True(single.AllFinished);

        // The second shard first: the merge must not depend on which shard ends first. (In one process the
        // shards take turns: LibTorch's generator is process-wide; the CLI test runs them side by side.)
        var shared = Path.Combine(dir, "shared");
        var second = new SuiteRunner(catalog).Run(suite, shared, default, null, new ShardSpec(2, 2));
        Assert.Equal(new[] { "b" }, second.Runs.Select(r => r.Label));
        Assert.False(File.Exists(Path.Combine(shared, "results.json")));   // a shard never writes the suite's summary

        // Half the shards: the merge says which are missing and does not claim the suite finished.
        var partial = ShardMerge.Merge(shared)!.Value;
        Assert.Equal(new[] { 1 }, partial.Missing);
        Assert.False((bool)partial.Results["all_finished"]!);

        var first = new SuiteRunner(catalog).Run(suite, shared, default, null, new ShardSpec(1, 2));
        Assert.Equal(new[] { "a", "c" }, first.Runs.Select(r => r.Label));
        Assert.True(File.Exists(Path.Combine(shared, "results.shard-1-of-2.json")));
        Assert.True(File.Exists(Path.Combine(shared, "results.shard-2-of-2.json")));
        foreach (var label in new[] { "a", "b", "c" })
            Assert.True(File.Exists(Path.Combine(shared, "runs", label + ".result.json")), label);

        var (merged, missing) = ShardMerge.Merge(shared)!.Value;
        Assert.Empty(missing);
        Assert.Null(merged["missing_shards"]);
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(whole, "results.json")))!;
        Assert.Equal(Numbers(expected).ToJsonString(), Numbers(merged).ToJsonString());
        Assert.Equal(merged.ToJsonString(), JsonNode.Parse(File.ReadAllText(Path.Combine(shared, "results.json")))!.ToJsonString());
        // The numbers are really there (not stripped away): three finished runs with their test accuracy.
        Assert.Equal(new[] { "a", "b", "c" }, merged["runs"]!.AsArray().Select(r => (string)r!["label"]!));
        Assert.All(merged["runs"]!.AsArray(), r => Assert.NotNull(r!["test"]?["top1"]));
        Assert.Contains("\"train_loss\"", Numbers(merged).ToJsonString());

        // A rerun of a shard reuses its runs and leaves the other shard's alone.
        var again = new SuiteRunner(catalog).Run(suite, shared, default, null, new ShardSpec(2, 2));
        Assert.True(again.Runs.Single().Reused);
    }

    [Fact]
    public async Task Two_zoo_processes_side_by_side_then_zoo_report_equal_one_zoo_process()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var suite = Path.Combine(dir, "sharded.json");
        File.WriteAllText(suite, Suite);
        var shared = Path.Combine(dir, "shared");
        var shards = new[] { "1/2", "2/2" }.Select(s => Task.Run(() => TestEnvironment.RunZoo("run-suite", suite, "--out", shared, "--shard", s))).ToArray();
        var whole = TestEnvironment.RunZoo("run-suite", suite, "--out", Path.Combine(dir, "whole"));
        var ended = await Task.WhenAll(shards);
        foreach (var (code, _, err) in ended) Assert.True(code == 0, err);
        Assert.True(whole.Code == 0, whole.Err);
        Assert.Contains("zoo report", ended[0].Err);

        var (reportCode, reportOut, reportErr) = TestEnvironment.RunZoo("report", shared);
        Assert.True(reportCode == 0, reportErr);
        Assert.Contains("merged 2 of 2 shards", reportErr);
        Assert.Contains("| a |", reportOut);
        Assert.True(File.Exists(Path.Combine(shared, "report.html")));
        Assert.True(File.Exists(Path.Combine(shared, "comparison.md")));
        var merged = JsonNode.Parse(File.ReadAllText(Path.Combine(shared, "results.json")))!;
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "whole", "results.json")))!;
        Assert.Equal(Numbers(expected).ToJsonString(), Numbers(merged).ToJsonString());
        Assert.Empty(Directory.EnumerateFiles(shared, "*.tmp", SearchOption.AllDirectories));

        var (wrong, _, wrongErr) = TestEnvironment.RunZoo("run-suite", suite, "--out", shared, "--shard", "3/2");
        Assert.Equal(2, wrong);
        Assert.Contains("--shard", wrongErr);
    }

    [Fact]
    public void Summaries_of_two_shardings_in_one_folder_are_refused()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        File.WriteAllText(Path.Combine(dir, "results.shard-1-of-2.json"), "{}");
        File.WriteAllText(Path.Combine(dir, "results.shard-1-of-3.json"), "{}");
        var e = Assert.Throws<ZooConfigException>(() => ShardMerge.Merge(dir));
        Assert.Contains("2 shards and 3 shards", e.Message);
        Assert.Null(ShardMerge.Merge(TestEnvironment.NewTempDirectory()));
    }
}
