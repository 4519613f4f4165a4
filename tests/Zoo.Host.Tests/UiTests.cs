using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Tui;

namespace Zoo.Host.Tests;

/// <summary>The terminal UI's model (what the views show and do) and the views' construction.</summary>
public sealed class UiTests
{
    static PluginCatalog Catalog() => TestEnvironment.Catalog();

    [Fact]
    public void The_catalogue_lists_every_variant_with_its_family_and_count_and_details_name_the_reference()
    {
        using var catalog = Catalog();
        var model = new UiModel(catalog, new SuiteRunner(catalog));
        var rows = model.Rows();
        Assert.Equal(catalog.Variants.Count, rows.Count);
        var resnet = rows.Single(r => r.Entry.Variant.Name == "resnet18");
        Assert.Equal(11_689_512, resnet.Parameters);
        Assert.Matches(@"^resnet18\s+Classic\s+11\.69 M$", UiModel.Line(resnet));
        var details = model.Details(resnet);
        Assert.Contains("Reference: 11,689,512 (torchvision resnet18) — equal", details);
        Assert.Contains("Enter: compute GMACs", details);
        var summary = ModelSummary.Describe(resnet.Entry.Architecture, "resnet18", resnet.Entry.Variant.DefaultInput, 1000);
        Assert.Contains("1.814 GMACs", model.Details(resnet, summary));
    }

    [Fact]
    public void Marked_variants_become_a_suite_that_runs_with_its_progress_arriving_line_by_line()
    {
        using var catalog = Catalog();
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            Assert.Throws<ZooConfigException>(() => UiModel.SuiteFor(Array.Empty<string>()));
            var path = Path.Combine(dir, "ui.json");
            File.WriteAllText(path, UiModel.SuiteFor(new[] { "lenet5" }, epochs: 1, train: 200));
            var model = new UiModel(catalog, new SuiteRunner(catalog));
            var suite = model.Load(path);
            Assert.Equal(new[] { "lenet5" }, suite.Models.Select(m => m.Variant));

            var events = new List<SuiteEvent>();
            var result = model.Run(suite, Path.Combine(dir, "out"), new SyncProgress<SuiteEvent>(events.Add), CancellationToken.None);
            Assert.True(result.AllFinished);
            // Typed events, in order: started, data, run started, steps, the epoch, the run's end, the suite's end.
            Assert.IsType<SuiteStarted>(events[0]);
            Assert.Equal(200, Assert.IsType<DatasetOpened>(events[1]).Dataset.Train);
            Assert.Equal("lenet5", Assert.IsType<RunStarted>(events[2]).Variant);
            var steps = events.OfType<StepProgress>().ToList();
            Assert.Equal(Enumerable.Range(1, steps[0].Steps), steps.Select(s => s.Step));   // every batch of the one epoch
            Assert.Equal(steps[0].Steps * 32L, steps[^1].Images);   // batch 32, the last partial batch dropped
            Assert.True(steps[^1].ImagesPerSecond > 0);
            Assert.Equal(1, Assert.Single(events.OfType<EpochEnded>()).Record.Epoch);
            Assert.True(events.IndexOf(steps[^1]) < events.FindIndex(e => e is EpochEnded));
            Assert.Equal(RunStatus.Finished, Assert.Single(events.OfType<RunEnded>()).Result.Status);
            Assert.Same(result, Assert.IsType<SuiteEnded>(events[^1]).Result);

            File.WriteAllText(path, File.ReadAllText(path).Replace("\"lenet5\"", "\"lenet6\""));
            var e = Assert.Throws<ZooConfigException>(() => model.Load(path));
            Assert.Contains("Did you mean 'lenet5'?", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_window_builds_with_the_catalogue_details_run_pane_and_shortcuts()
    {
        using var catalog = Catalog();
        var services = new ServiceCollection()
            .AddSingleton(catalog)
            .AddSingleton(new SuiteRunner(catalog))
            .BuildServiceProvider();
        var ui = new ZooUi(services, null, TestEnvironment.NewTempDirectory());
        using var app = Terminal.Gui.App.Application.Create();
        using var window = ui.Build(app);
        var frames = window.SubViews.OfType<Terminal.Gui.Views.FrameView>().Select(f => f.Title).ToList();
        Assert.Equal(new[] { "Catalogue", "Details", "Run" }, frames);
        var list = window.SubViews.OfType<Terminal.Gui.Views.FrameView>().First().SubViews.OfType<Terminal.Gui.Views.ListView>().Single();
        Assert.Equal(catalog.Variants.Count, list.Source!.Count);
        Assert.Single(window.SubViews.OfType<Terminal.Gui.Views.StatusBar>());
    }
}
