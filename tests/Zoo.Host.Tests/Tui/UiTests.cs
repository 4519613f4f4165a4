using System.Drawing;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Reports.Model;
using Zoo.Tui;

// The UI is built on Terminal.Gui's TextView, obsolete in 2.5 (see ZooUi); the tests find its panes by that type.
#pragma warning disable CS0618

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
        Assert.Matches($@"^resnet18\s+Classic\s+11\.69 M\s+…  {resnet.Entry.Architecture.Year}$", UiModel.Line(resnet));
        Assert.Matches($@"^resnet18\s+Classic\s+11\.69 M\s+1\.814  {resnet.Entry.Architecture.Year}$", UiModel.Line(resnet, "1.814"));
        var details = model.Details(resnet);
        Assert.Contains("Reference: 11,689,512 (torchvision resnet18) — equal", details);
        Assert.Contains("Enter: compute GMACs", details);
        Assert.Contains($"Plugin: Classic 1.0.0, contract {Zoo.Abstractions.ZooContract.Version}.{Zoo.Abstractions.ZooContract.MinorVersion}, loaded", details);
        Assert.Empty(model.PluginProblems());
        var summary = ModelSummary.Describe(resnet.Entry.Architecture, "resnet18", resnet.Entry.Variant.DefaultInput, 1000);
        Assert.Contains("1.814 GMACs", model.Details(resnet, summary));
    }

    [Fact]
    public void Marked_variants_become_a_suite_that_runs_with_its_progress_arriving_line_by_line()
    {
        using var catalog = Catalog();
        using var temp = new TempFolder();
        var dir = temp.Path;
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

        // The run board folds the same events: queued, then training part-way through the epoch, then finished.
        var board = new RunBoard(suite);
        Assert.Equal(RunState.Queued, board.Rows[0].State);
        foreach (var ev in events.TakeWhile(ev => ev != steps[steps.Count / 2])) board.Apply(ev);
        board.Apply(steps[steps.Count / 2]);
        Assert.Equal(RunState.Training, board.Rows[0].State);
        Assert.Equal((1, 1, steps.Count / 2 + 1, steps.Count), (board.Rows[0].Epoch, board.Rows[0].Epochs, board.Rows[0].Step, board.Rows[0].Steps));
        Assert.InRange(board.Fraction, 0.3, 0.7);
        Assert.NotNull(board.Rows[0].SecondsLeft);
        foreach (var ev in events.SkipWhile(ev => ev != steps[steps.Count / 2]).Skip(1)) board.Apply(ev);
        var done = board.Rows[0];
        Assert.Equal((RunState.Finished, 1.0, 1), (done.State, board.Fraction, done.History.Count));
        Assert.Equal(result.Runs[0].Test!.Top1, done.TestTop1);
        // One epoch of 6 steps leaves LeNet-5 at chance on 40 validation images, which the board says as the result does (issue 26).
        Assert.Equal(result.Runs[0].DidNotLearn is null ? "finished" : "finished, did not learn", done.Cells()[1]);

        File.WriteAllText(path, File.ReadAllText(path).Replace("\"lenet5\"", "\"lenet6\""));
        var e = Assert.Throws<ZooConfigException>(() => model.Load(path));
        Assert.Contains("Did you mean 'lenet5'?", e.Message);
    }

    [Fact]
    public void The_results_browser_lists_results_folders_newest_first_opens_and_merges_them_and_sorts_any_column()
    {
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        var older = Path.Combine(root, "older");
        var newer = Path.Combine(root, "newer");
        ReportTests.Sample(older, name: "older");
        File.SetLastWriteTimeUtc(Path.Combine(older, "results.json"), DateTime.UtcNow.AddHours(-2));
        ReportTests.Sample(newer, name: "newer");
        Directory.CreateDirectory(Path.Combine(root, "not-results"));
        var broken = Path.Combine(root, "broken");
        Directory.CreateDirectory(broken);
        File.WriteAllText(Path.Combine(broken, "results.json"), "{ not json");
        File.SetLastWriteTimeUtc(Path.Combine(broken, "results.json"), DateTime.UtcNow.AddHours(-5));

        var folders = ResultsBrowser.Folders(root);
        Assert.Equal(new[] { "newer", "older", "broken" }, folders.Select(f => f.Name));
        Assert.Equal((5, "wide", 0.7), (folders[0].Runs, folders[0].Best, folders[0].BestTop1));
        Assert.Contains("unreadable", folders[2].Line());

        using var app = UiTests.VirtualScreen(200, 40);
        using var view = new ResultsView(root);
        app.Begin(view);
        app.LayoutAndDraw(true);
        app.InjectKey(Key.Enter);   // opens "newer", under the cursor
        Assert.Equal(new[] { "wide", "good", "blown", "broken", "stopped" }, view.Shown.Select(r => r.Run.Label));   // best test top-1 first
        var table = ComparisonTable.From(ReportModel.Load(new[] { newer }).Comparison);
        int parameters = table.Columns.ToList().FindIndex(c => c.Header == "Params");
        view.SortBy(parameters);
        Assert.Equal(new[] { "wide", "blown", "stopped", "good", "broken" }, view.Shown.Select(r => r.Run.Label));   // largest first
        view.SortBy(parameters);
        Assert.Equal(new[] { "good", "stopped", "blown", "wide", "broken" }, view.Shown.Select(r => r.Run.Label));   // "broken" was never counted: last either way
        int test = table.Columns.ToList().FindIndex(c => c.Header == "Test top-1");
        view.SortBy(test);
        Assert.Equal(new[] { "wide", "good" }, view.Shown.Take(2).Select(r => r.Run.Label));   // runs without a test last
        app.LayoutAndDraw(true);
        Assert.Contains("Test top-1 ▼", ScreenText(app, view));

        // Two folders marked: one comparison of ten runs, named suite/label.
        app.InjectKey(Key.Tab.WithShift);
        app.InjectKey(Key.Space);
        app.InjectKey(Key.CursorDown);
        app.InjectKey(Key.Space);
        view.Open();
        Assert.Equal(10, view.Shown.Count);
        Assert.Contains(view.Shown, r => r.Run.Label == "older/wide");
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
        var frames = window.SubViews.OfType<Terminal.Gui.Views.FrameView>().Select(f => f.Title.Split(',')[0]).ToList();
        Assert.Equal(new[] { "Catalogue", "Details", "Run" }, frames);
        var list = window.SubViews.OfType<Terminal.Gui.Views.FrameView>().First().SubViews.OfType<Terminal.Gui.Views.ListView>().Single();
        Assert.Equal(catalog.Variants.Count, list.Source!.Count);
        Assert.Single(window.SubViews.OfType<Terminal.Gui.Views.StatusBar>());
    }

    // The window on Terminal.Gui's ANSI driver with a virtual 160x45 screen, drawn once; nothing reaches the terminal.
    static (IApplication App, Window Window, PluginCatalog Catalog) Drawn()
    {
        var catalog = Catalog();
        var services = new ServiceCollection()
            .AddSingleton(catalog)
            .AddSingleton(new SuiteRunner(catalog))
            .BuildServiceProvider();
        var ui = new ZooUi(services, null, TestEnvironment.NewTempDirectory());
        var app = UiTests.VirtualScreen(160, 45);
        var window = ui.Build(app);
        app.Begin(window);
        app.LayoutAndDraw(true);
        return (app, window, catalog);
    }

    // The catalogue's title goes on with its order ("Catalogue, by family ▲ …").
    static FrameView Pane(Window window, string title) => window.SubViews.OfType<FrameView>().Single(f => f.Title.Split(',')[0] == title);

    /// <summary>
    /// An application on Terminal.Gui's ANSI driver with a virtual screen of the given size: keys are injected, the screen
    /// is read back with <see cref="ScreenText"/>, and nothing reaches the terminal (the UI test files share it).
    /// </summary>
    internal static IApplication VirtualScreen(int width, int height)
    {
        var app = Application.Create();
        app.Init(DriverRegistry.Names.ANSI);
        app.Driver!.SetScreenSize(width, height);
        return app;
    }

    /// <summary>The cells a view occupies on the driver's screen, row by row (the UI test files share it).</summary>
    internal static IEnumerable<(string Grapheme, Terminal.Gui.Drawing.Attribute Attribute)> Cells(IApplication app, View view)
    {
        var r = view.FrameToScreen();
        var contents = app.Driver!.Contents!;
        for (var y = r.Top; y < r.Bottom; y++)
            for (var x = r.Left; x < r.Right; x++)
                yield return (contents[y, x].Grapheme, contents[y, x].Attribute!.Value);
    }

    /// <summary>The characters a view occupies on the driver's screen, a line per row (the UI test files share it).</summary>
    internal static string ScreenText(IApplication app, View view)
    {
        var r = view.FrameToScreen();
        var contents = app.Driver!.Contents!;
        var text = new StringBuilder();
        for (var y = r.Top; y < r.Bottom; y++)
        {
            for (var x = r.Left; x < r.Right; x++) text.Append(contents[y, x].Grapheme);
            text.Append('\n');
        }
        return text.ToString();
    }

    [Fact]
    public void The_details_and_run_panes_draw_their_text_in_a_foreground_that_differs_from_the_background()
    {
        var (app, window, catalog) = Drawn();
        using (catalog) using (app) using (window)
        {
            foreach (var title in new[] { "Details", "Run" })
            {
                var text = Pane(window, title).SubViews.OfType<TextView>().Single();
                var cells = Cells(app, text).Where(c => !string.IsNullOrWhiteSpace(c.Grapheme)).ToList();
                Assert.NotEmpty(cells);
                // Color.None is the terminal's own default (foreground or background), which differ; any other equal pair is unreadable.
                var unreadable = cells.Where(c => c.Attribute.Foreground == c.Attribute.Background && c.Attribute.Foreground != Terminal.Gui.Drawing.Color.None).ToList();
                Assert.True(unreadable.Count == 0,
                    $"{title}: {unreadable.Count} of {cells.Count} text cells have foreground = background ({cells[0].Attribute})");
            }
        }
    }

    [Fact]
    public void A_run_log_line_longer_than_the_pane_wraps_so_that_its_end_is_on_screen()
    {
        var (app, window, catalog) = Drawn();
        using (catalog) using (app) using (window)
        {
            var log = Pane(window, "Run").SubViews.OfType<TextView>().Single();
            var line = "    epoch 3/3  train loss 0.1234 acc 0.9876  val loss 0.2345 acc 0.9765  lr 0.001  "
                       + string.Concat(Enumerable.Repeat("12.3 s  ", 6)) + "RSS 1234 MiB";
            Assert.True(line.Length > log.Frame.Width);
            log.Text = line;
            app.LayoutAndDraw(true);
            Assert.Contains("RSS 1234 MiB", ScreenText(app, log).Replace("\n", ""));
        }
    }

    [Fact]
    public void Ctrl_F_filters_the_catalogue_as_you_type_and_marks_survive_the_filter()
    {
        var (app, window, catalog) = Drawn();
        using (catalog) using (app) using (window)
        {
            var list = Pane(window, "Catalogue").SubViews.OfType<ListView>().Single();
            var filter = Pane(window, "Catalogue").SubViews.OfType<TextField>().Single();
            int all = list.Source!.Count;
            app.InjectKey(Key.F.WithCtrl);
            Assert.Same(filter, window.MostFocused);
            foreach (var c in "mobilenet_v") app.InjectKey(new Key(c));
            var shown = Enumerable.Range(0, list.Source!.Count).Select(i => list.Source.ToList()[i]!.ToString()!).ToList();
            Assert.Equal(catalog.Variants.Count(v => v.Variant.Name.Contains("mobilenet_v")), shown.Count);
            Assert.All(shown, line => Assert.StartsWith("mobilenet_v", line));
            app.InjectKey(Key.Enter);   // back to the list
            Assert.Same(list, window.MostFocused);
            app.InjectKey(Key.Space);   // marks the first mobilenet
            Assert.True(list.Source.IsMarked(0));
            var marked = shown[0].Split(' ')[0];

            filter.Text = "";
            Assert.Equal(all, list.Source!.Count);
            var rows = Enumerable.Range(0, all).Where(i => list.Source.IsMarked(i)).Select(i => list.Source.ToList()[i]!.ToString()!.Split(' ')[0]).ToList();
            Assert.Equal(new[] { marked }, rows);
            Assert.Empty(UiModel.Filter(new UiModel(catalog, new SuiteRunner(catalog)).Rows(), "no-such-variant"));
            Assert.Contains(UiModel.Filter(new UiModel(catalog, new SuiteRunner(catalog)).Rows(), "LIGHTWEIGHT"), r => r.Name == "squeezenet1_1");
        }
    }

    [Fact]
    public void The_suite_builder_writes_a_suite_the_parser_accepts_and_shows_the_parsers_errors_beside_their_fields()
    {
        using var catalog = Catalog();
        var runner = new SuiteRunner(catalog);
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        var draft = new SuiteDraft { Variants = new[] { "lenet5", "resnet18" } };
        var path = Path.Combine(root, "x.json");
        var (suite, _, error) = draft.Check(runner, path);
        Assert.True(suite is not null, error);
        Assert.Equal(("shapes", 28, 10, "adamw", 0.001, "cosine"), (suite.Dataset.Name, suite.Dataset.Size, suite.Recipe.Epochs, suite.Recipe.Optimizer.Name, suite.Recipe.Optimizer.LearningRate, suite.Recipe.Schedule.Name));
        Assert.Equal(new[] { "lenet5", "resnet18" }, suite.Models.Select(m => m.Variant));

        // Each wrong value comes back as the parser's or validator's message, on the field it names.
        (string Field, string Value, string Expected)[] wrong =
        {
            ("recipe.optimizer.lr", "fast", "recipe.optimizer.lr"),
            ("recipe.optimizer.lr", "-1", "-1 is out of range"),
            ("recipe.epochs", "0", "recipe.epochs"),
            ("dataset.name", "shapez", "Did you mean 'shapes'?"),
            ("recipe.schedule.name", "cosinus", "Did you mean 'cosine'?"),
            ("recipe.augment", "flipp", "recipe.augment"),
            ("recipe.ema", "2", "recipe.ema"),
        };
        foreach (var (field, value, expected) in wrong)
        {
            var d = new SuiteDraft { Variants = new[] { "lenet5" } };
            d[field] = value;
            var (none, where, message) = d.Check(runner, path);
            Assert.Null(none);
            Assert.Equal(field, where);
            Assert.Contains(expected, message);
        }
        var noModels = new SuiteDraft().Check(runner, path);
        Assert.Equal((null, "models"), (noModels.Field, noModels.Error![..6]));

        // The view: an error beside its field, then a valid form saved where the results go.
        using var app = UiTests.VirtualScreen(160, 45);
        var form = new SuiteDraft { Variants = new[] { "lenet5" } };
        using var view = new SuiteBuilderView(form, runner, root);
        app.Begin(view);
        view.Input("recipe.optimizer.lr").Text = "fast";
        Assert.Null(view.Check());
        Assert.StartsWith("✗ recipe.optimizer.lr", view.Note("recipe.optimizer.lr"));
        app.LayoutAndDraw(true);
        Assert.Contains("✗ recipe.optimizer.lr", ScreenText(app, view));
        view.Input("recipe.optimizer.lr").Text = "0.002";
        view.Input("name").Text = "built here";
        view.Input("recipe.augment").Text = "flip-crop";
        var saved = view.Save();
        Assert.NotNull(saved);
        Assert.Equal(Path.Combine(root, "built_here.json"), view.SuitePath);
        var back = SuiteParser.Load(view.SuitePath);
        Assert.Equal(("built here", 0.002), (back.Name, back.Recipe.Optimizer.LearningRate));
        Assert.Equal(new[] { "hflip", "random_crop" }, back.Recipe.Augment.Select(a => a.Name));
    }

    [Fact]
    public void Tab_and_shift_tab_cycle_focus_through_the_catalogue_the_details_and_the_run_pane()
    {
        var (app, window, catalog) = Drawn();
        using (catalog) using (app) using (window)
        {
            var list = Pane(window, "Catalogue").SubViews.OfType<ListView>().Single();
            var details = Pane(window, "Details").SubViews.OfType<TextView>().Single();
            var log = Pane(window, "Run").SubViews.OfType<TextView>().Single();
            Assert.Same(list, window.MostFocused);
            foreach (var expected in new View[] { details, log, list })
            {
                app.InjectKey(Key.Tab);
                Assert.Same(expected, window.MostFocused);
            }
            foreach (var expected in new View[] { log, details, list })
            {
                app.InjectKey(Key.Tab.WithShift);
                Assert.Same(expected, window.MostFocused);
            }
        }
    }
}
