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
        new SuiteRunner(catalog).Validate(suite);   // models, data set, schedules, augmentations and their parameters
        Assert.NotEmpty(suite.Models);
    }
}
