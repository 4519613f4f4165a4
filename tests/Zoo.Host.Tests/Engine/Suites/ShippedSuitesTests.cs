using Zoo.Engine.Suites;

namespace Zoo.Host.Tests;

/// <summary>The suite files in suites/ (the quick start and the seeds' recipes) stay valid as the zoo changes.</summary>
public sealed class ShippedSuitesTests
{
    public static TheoryData<string> Files() =>
        new(Directory.GetFiles(Path.Combine(TestEnvironment.Root, "suites"), "*.json").Select(Path.GetFileName).OfType<string>().OrderBy(f => f));

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_shipped_suite_parses_and_names_only_what_the_zoo_has(string file)
    {
        using var catalog = TestEnvironment.Catalog();
        var suite = SuiteParser.Load(Path.Combine(TestEnvironment.Root, "suites", file));
        var runner = new SuiteRunner(catalog);
        if (suite.Dataset.Path is { } data && !Directory.Exists(data))
        {
            // The photo sets are not in the repository (the files say where to get them): that is the only complaint,
            // and with a folder in its place everything else checks out.
            var e = Assert.Throws<Zoo.Abstractions.ZooConfigException>(() => runner.Validate(suite));
            Assert.Equal($"{file}: dataset.path: {data}: no such file or folder", e.Message);
            var stand = TestEnvironment.NewTempDirectory();
            try { runner.Validate(suite with { Dataset = suite.Dataset with { Path = stand } }); }
            finally { Directory.Delete(stand); }
        }
        else runner.Validate(suite);   // models (options, sizes), data set, schedules, augmentations and their parameters
        Assert.NotEmpty(suite.Models);
    }
}
