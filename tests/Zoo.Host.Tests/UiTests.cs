using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
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
        var model = new UiModel(catalog, new SuiteRunner(catalog, TextWriter.Null));
        var rows = model.Rows();
        Assert.Equal(catalog.Variants.Count, rows.Count);
        var resnet = rows.Single(r => r.Entry.Variant.Name == "resnet18");
        Assert.Equal(11_689_512, resnet.Parameters);
        Assert.Matches(@"^resnet18\s+Classic\s+11\.69 M$", resnet.ToString());
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
            var model = new UiModel(catalog, new SuiteRunner(catalog, TextWriter.Null));
            var suite = model.Load(path);
            Assert.Equal(new[] { "lenet5" }, suite.Models.Select(m => m.Variant));

            var lines = new List<string>();
            var result = UiModel.Run(catalog, suite, Path.Combine(dir, "out"), lines.Add, CancellationToken.None);
            Assert.True(result.AllFinished);
            Assert.Contains(lines, l => l.Contains("epoch 1/1"));
            Assert.Contains(lines, l => l.StartsWith("[1/1] lenet5: finished"));
            Assert.DoesNotContain(lines, l => l.Contains('\n'));

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
            .AddSingleton(new SuiteRunner(catalog, TextWriter.Null))
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
