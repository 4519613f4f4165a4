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
using Zoo.Reports.Export;
using Zoo.Reports.Model;
using Zoo.Tui;

// The run pane's log is Terminal.Gui's TextView, obsolete in 2.5 (see ZooUi).
#pragma warning disable CS0618

namespace Zoo.Host.Tests;

/// <summary>
/// The terminal UI as a workbench, headless on Terminal.Gui's ANSI driver (a virtual screen, keys injected): live curves
/// of a run, a run's own results, the catalogue's sort and the plugins view.
/// </summary>
public sealed class UiWorkbenchTests
{
    static IEnumerable<T> All<T>(View root) where T : View =>
        root.SubViews.OfType<T>().Concat(root.SubViews.SelectMany(All<T>));

    /// <summary>The main window on a virtual 200x50 screen, drawn once.</summary>
    static (IApplication App, Window Window, ZooUi Ui) Drawn(PluginCatalog catalog, string outRoot)
    {
        var services = new ServiceCollection().AddSingleton(catalog).AddSingleton(new SuiteRunner(catalog)).BuildServiceProvider();
        var ui = new ZooUi(services, null, outRoot);
        var app = UiTests.VirtualScreen(200, 50);
        var window = ui.Build(app);
        app.Begin(window);
        app.LayoutAndDraw(true);
        return (app, window, ui);
    }

    const string TwoModels = """
        {
          "name": "curves",
          "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 1, "train": 160, "val": 64, "test": 64 },
          "models": [
            { "variant": "lenet5", "label": "lenet-tanh" },
            { "variant": "lenet5", "label": "lenet-relu", "options": { "activation": "relu", "pool": "max" } }
          ],
          "recipe": { "epochs": 3, "batch_size": 32, "seed": 42, "optimizer": { "name": "adamw", "lr": 0.003 } }
        }
        """;

    /// <summary>A real two-model run of three epochs on the built-in data: its events and its result.</summary>
    static (Suite Suite, List<SuiteEvent> Events, SuiteResult Result) TwoModelRun(PluginCatalog catalog, string dir)
    {
        var path = Path.Combine(dir, "curves.json");
        File.WriteAllText(path, TwoModels);
        var model = new UiModel(catalog, new SuiteRunner(catalog));
        var suite = model.Load(path);
        var events = new List<SuiteEvent>();
        var result = model.Run(suite, Path.Combine(dir, "results", "curves"), new SyncProgress<SuiteEvent>(events.Add), CancellationToken.None);
        return (suite, events, result);
    }

    [Fact]
    public void F8_shows_live_curves_of_every_model_or_the_selected_one_from_the_runs_epochs_and_the_log_stays_a_key_away()
    {
        using var catalog = TestEnvironment.Catalog();
        using var temp = new TempFolder();
        var dir = temp.Path;
        var (suite, events, result) = TwoModelRun(catalog, dir);
        Assert.True(result.AllFinished);
        var (app, window, ui) = Drawn(catalog, Path.Combine(dir, "results"));
        using (app) using (window)
        {
            var curves = All<CurvesView>(window).Single();
            var log = All<TextView>(window).Single(t => t.SuperView is FrameView { Title: "Run" });
            Assert.False(curves.Visible);
            var progress = ui.Watch(suite);

            // Mid-run: the first model's first epoch is in, the second has none yet.
            int firstEpoch = events.FindIndex(e => e is EpochEnded);
            foreach (var e in events.Take(firstEpoch + 1)) progress.Report(e);
            app.InjectKey(Key.F8);
            Assert.True(curves.Visible);
            Assert.False(log.Visible);
            Assert.Same(curves, window.MostFocused);
            var plot = curves.Plot!;
            Assert.Equal("val top-1 (%), every model", plot.Title);
            Assert.Equal(new[] { "lenet-tanh", "lenet-relu" }, plot.Series.Select(s => s.Name));
            var first = ((EpochEnded)events[firstEpoch]).Record;
            Assert.Equal(new[] { (1, first.ValTop1!.Value * 100) }, plot.Series[0].Points);
            Assert.Empty(plot.Series[1].Points);
            app.LayoutAndDraw(true);
            var screen = UiTests.ScreenText(app, curves);
            Assert.Contains("val top-1 (%), every model", screen);
            Assert.Contains("lenet-tanh", screen);
            Assert.Contains("lenet-relu", screen);
            Assert.Contains("●", screen);

            // The rest of the run: every epoch of both, as the result records them.
            foreach (var e in events.Skip(firstEpoch + 1)) progress.Report(e);
            plot = curves.Plot!;
            for (int i = 0; i < 2; i++)
                Assert.Equal(result.Runs[i].Epochs.Select(r => (r.Epoch, r.ValTop1!.Value * 100)), plot.Series[i].Points);

            app.InjectKey(Key.L);   // loss instead of accuracy
            Assert.Equal("train loss, every model", curves.Plot!.Title);
            Assert.Equal(result.Runs[1].Epochs.Select(r => (r.Epoch, r.TrainLoss)), curves.Plot.Series[1].Points);
            app.InjectKey(Key.A);   // the selected model alone: the one training last (none now), else the first
            Assert.Equal("loss of lenet-tanh", curves.Plot!.Title);
            Assert.Equal(new[] { "train loss", "val loss" }, curves.Plot.Series.Select(s => s.Name));
            app.InjectKey(Key.CursorDown);   // the next model
            Assert.Equal("loss of lenet-relu", curves.Plot!.Title);
            Assert.Equal(result.Runs[1].Epochs.Select(r => (r.Epoch, r.ValLoss!.Value)), curves.Plot.Series[1].Points);
            app.InjectKey(Key.L);
            Assert.Equal("top-1 (%) of lenet-relu", curves.Plot!.Title);
            app.LayoutAndDraw(true);
            Assert.Contains("top-1 (%) of lenet-relu", UiTests.ScreenText(app, curves));

            app.InjectKey(Key.F8);   // back to the log, which kept every line
            Assert.True(log.Visible);
            Assert.False(curves.Visible);
            Assert.Contains("lenet-relu: finished", log.Text);
        }
    }

    [Fact]
    public void A_runs_details_draw_where_it_looks_in_shade_blocks_and_say_where_the_side_by_side_figure_is()
    {
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        var dir = Path.Combine(root, "sample");
        ReportTests.Sample(dir, name: "sample");
        var thumb = new Thumbnail(1, 2, 2, new byte[] { 0, 255, 255, 0 });
        new ResultWriter(dir).WritePredictions("good", new PredictionSample(new[] { new PredictedImage(3, 0, 0, 0.9, thumb) })
        {
            Explained = new[] { new PredictedImage(5, 1, 2, 0.75, thumb) { Heatmap = new Thumbnail(1, 2, 2, new byte[] { 0, 100, 180, 255 }) } },
            ExplainedLayer = "layer4 (ChannelsFirst)",
        });
        var model = ReportModel.Load(new[] { dir });
        var details = new Zoo.Tui.RunDetails(model, model.Runs.Single(r => r.Label == "good"));
        var lines = details.WhereItLooks();
        Assert.Equal("where it looks (Grad-CAM at layer4 (ChannelsFirst)), test image 5: ring, predicted square (75 %):", lines[0]);
        Assert.Equal(new[] { "  ░░", "▓▓██" }, lines.Skip(1).Take(2).Select(l => l[2..]));   // darker is lower: 0 and 100, then 180 and 255
        Assert.Contains("draws every model's maps side by side", lines[^1]);
        var none = new Zoo.Tui.RunDetails(model, model.Runs.First(r => r.Label != "good")).WhereItLooks();
        Assert.StartsWith("no Grad-CAM maps", Assert.Single(none));
    }

    [Fact]
    public void Enter_on_a_run_in_the_results_browser_shows_its_curves_coloured_confusion_per_class_top1_figures_and_mistakes()
    {
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        var dir = Path.Combine(root, "sample");
        ReportTests.Sample(dir, name: "sample");
        var thumb = new Thumbnail(1, 2, 2, new byte[] { 0, 255, 255, 0 });
        new ResultWriter(dir).WritePredictions("good", new PredictionSample(new[]
        {
            new PredictedImage(3, 0, 0, 0.9, thumb), new PredictedImage(7, 1, 2, 0.6, thumb), new PredictedImage(11, 2, 1, 0.55, thumb),
        }) { ConfidentMistakes = new[] { new PredictedImage(7, 1, 2, 0.6, thumb) } });
        var model = ReportModel.Load(new[] { dir });
        var good = model.Runs.Single(r => r.Label == "good");

        using var app = UiTests.VirtualScreen(200, 50);
        using var view = new ResultsView(root);
        app.Begin(view);
        app.LayoutAndDraw(true);
        app.InjectKey(Key.Enter);   // opens the folder; the table has the focus
        int row = view.Shown.ToList().FindIndex(r => r.Run.Label == "good");
        for (int i = 0; i < row; i++) app.InjectKey(Key.CursorDown);
        app.InjectKey(Key.Enter);
        var pane = view.RunPane;
        Assert.True(pane.Visible);
        Assert.Equal("good", pane.Details!.Run.Label);

        // The matrix is the test evaluation's, as results.json has it, with the engine's per-class top-1 at the end.
        var test = good.Run.Test!;
        var table = pane.Confusion.Table!;
        Assert.Equal(test.Confusion.Length, table.Rows);
        Assert.Equal(new[] { "true \\ predicted", "disc", "ring", "square", "top-1" }, table.ColumnNames);
        for (int i = 0; i < table.Rows; i++)
        {
            Assert.Equal(test.Confusion[i].Select(c => c.ToString()), Enumerable.Range(1, test.Confusion.Length).Select(c => (string)table[i, c]));
            Assert.Equal(Numbers.Percent(test.PerClassTop1[i]), table[i, table.Columns - 1]);
        }
        // Cells coloured by their share of the true class: the diagonal green, the rest yellow to red.
        Assert.Equal(3, pane.Details.Level(0, 0));
        Assert.Equal(0, pane.Details.Level(5, 5));   // outside the matrix
        app.LayoutAndDraw(true);
        var backgrounds = UiTests.Cells(app, pane.Confusion).Select(c => c.Attribute.Background).ToHashSet();
        Assert.Contains(Terminal.Gui.Drawing.Color.BrightGreen, backgrounds);
        Assert.Contains(Terminal.Gui.Drawing.Color.Red, backgrounds);

        // Curves of the run's own epochs; l switches to loss.
        Assert.Equal(good.Run.Epochs.Select(e => (e.Epoch, e.ValTop1!.Value * 100)), pane.Curves.Plot!.Series[1].Points);
        app.InjectKey(Key.L);
        Assert.Equal(good.Run.Epochs.Select(e => (e.Epoch, e.TrainLoss)), pane.Curves.Plot!.Series[0].Points);

        // No figures drawn yet: the text says how; the sampled mistakes are listed from predictions.json.
        Assert.Contains($"`zoo report {dir}` draws them", pane.Summary);
        Assert.Contains("2 wrong of 3 sampled (in proportion: 40 % of the 30 test images are wrong)", pane.Summary);
        Assert.Contains("test image     7: ring taken for square (60 %)", pane.Summary);
        var screen = UiTests.ScreenText(app, view);
        Assert.Contains("Confusion of good", screen);
        Assert.Contains("ring taken for square", screen);

        // Esc: back to the comparison, the browser still open.
        app.InjectKey(Key.Esc);
        Assert.False(pane.Visible);
        Assert.Same(view, app.TopRunnableView);

        // With the report drawn, the run lists its PNG figures instead.
        ReportWriter.Write(model, dir);
        app.InjectKey(Key.Enter);
        Assert.True(pane.Visible);
        Assert.Contains($"in {Path.Combine(dir, "figures")}:", pane.Summary);
        Assert.All(new[] { "good-predictions.png", "good-confident-mistakes.png", "good-confusion.png", "good-per-class.png" },
            name => { Assert.True(File.Exists(Path.Combine(dir, "figures", name))); Assert.Contains(name, pane.Summary); });
        Assert.DoesNotContain("draws them", pane.Summary);
    }

    [Fact]
    public void C_in_the_results_browser_overlays_the_curves_of_the_marked_folders_one_line_per_folder_and_model()
    {
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        // Two earlier results folders, written by the engine's own ResultWriter (runs with epochs, a diverged one, a failed one).
        var first = Path.Combine(root, "first");
        var second = Path.Combine(root, "second");
        ReportTests.Sample(first, name: "first");
        File.SetLastWriteTimeUtc(Path.Combine(first, "results.json"), DateTime.UtcNow.AddHours(-1));
        ReportTests.Sample(second, name: "second", labelPrefix: "b-", lr: 0.02);
        var written = new[] { first, second }.SelectMany(d => ReportModel.Load(new[] { d }).Runs.Select(r => ($"{Path.GetFileName(d)}/{r.Run.Label}", r.Run.Epochs))).ToList();

        using var app = UiTests.VirtualScreen(200, 50);
        using var view = new ResultsView(root);
        app.Begin(view);
        app.LayoutAndDraw(true);
        Assert.Equal(new[] { "second", "first" }, view.Folders.Select(f => f.Name));
        app.InjectKey(Key.Space);   // mark both folders in the list
        app.InjectKey(Key.CursorDown);
        app.InjectKey(Key.Space);
        app.InjectKey(Key.C);
        var curves = view.AcrossCurves;
        Assert.True(curves.Visible);
        Assert.Same(curves, view.MostFocused);
        var plot = curves.Plot!;
        Assert.Equal("val top-1 (%), second vs first", plot.Title);
        Assert.Equal(written.Select(w => w.Item1).OrderBy(n => n, StringComparer.Ordinal), plot.Series.Select(x => x.Name).OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(10, plot.Series.Count);
        foreach (var (name, epochs) in written)
            Assert.Equal(epochs.Where(e => e.ValTop1 is not null).Select(e => (e.Epoch, e.ValTop1!.Value * 100)), plot.Series.Single(x => x.Name == name).Points);
        Assert.Empty(plot.Series.Single(x => x.Name == "first/broken").Points);   // failed before its first epoch
        app.LayoutAndDraw(true);
        var screen = UiTests.ScreenText(app, view);
        Assert.Contains("val top-1 (%), second vs first", screen);
        Assert.Contains("first/good", screen);
        Assert.Contains("second/b-wide", screen);

        app.InjectKey(Key.L);   // train loss instead; the diverged run's NaN epoch is left out
        plot = curves.Plot!;
        Assert.Equal("train loss, second vs first", plot.Title);
        foreach (var (name, epochs) in written)
            Assert.Equal(epochs.Where(e => double.IsFinite(e.TrainLoss)).Select(e => (e.Epoch, e.TrainLoss)), plot.Series.Single(x => x.Name == name).Points);

        app.InjectKey(Key.Esc);   // back to the folders, the browser still open
        Assert.False(curves.Visible);
        Assert.Same(view, app.TopRunnableView);
    }

    [Fact]
    public void F3_sorts_the_catalogue_by_each_column_in_turn_Shift_F3_reverses_the_title_says_how_and_marks_stay()
    {
        using var catalog = TestEnvironment.Catalog();
        var (app, window, _) = Drawn(catalog, TestEnvironment.NewTempDirectory());
        using (app) using (window)
        {
            var frame = window.SubViews.OfType<FrameView>().First();
            var list = frame.SubViews.OfType<ListView>().Single();
            string Name(int i) => list.Source!.ToList()[i]!.ToString()!.Split(' ')[0];
            var rows = new UiModel(catalog, new SuiteRunner(catalog)).Rows();
            var byName = rows.ToDictionary(r => r.Name);
            IEnumerable<CatalogueRow> Shown() => Enumerable.Range(0, list.Source!.Count).Select(i => byName[Name(i)]);
            Assert.StartsWith("Catalogue, by family ▲", frame.Title);
            app.InjectKey(Key.Space);   // mark the first variant
            var marked = Name(0);

            app.InjectKey(Key.F3);
            Assert.StartsWith("Catalogue, by name ▲", frame.Title);
            Assert.Equal(rows.Select(r => r.Name).Order(StringComparer.Ordinal), Shown().Select(r => r.Name));
            app.InjectKey(Key.F3);
            Assert.StartsWith("Catalogue, by parameters ▼", frame.Title);
            var counts = Shown().Select(r => r.Parameters).ToList();
            Assert.Equal(counts.Where(c => c is not null).OrderDescending(), counts.TakeWhile(c => c is not null));   // largest first, unbuildable last
            app.InjectKey(Key.F3.WithShift);
            Assert.StartsWith("Catalogue, by parameters ▲", frame.Title);
            Assert.Equal(counts.Where(c => c is not null).Order(), Shown().Select(r => r.Parameters).TakeWhile(c => c is not null));
            app.InjectKey(Key.F3);
            Assert.StartsWith("Catalogue, by GMACs ▼", frame.Title);   // its order: the GMACs test below
            app.InjectKey(Key.F3);
            Assert.StartsWith("Catalogue, by year ▼", frame.Title);
            Assert.Equal(rows.Select(r => r.Entry.Architecture.Year).OrderDescending(), Shown().Select(r => r.Entry.Architecture.Year));
            app.LayoutAndDraw(true);
            Assert.Contains("by year ▼ (F3: next column, Shift+F3: reverse)", UiTests.ScreenText(app, window));
            int at = Enumerable.Range(0, list.Source!.Count).Single(i => Name(i) == marked);
            Assert.True(list.Source.IsMarked(at));
            Assert.Equal(1, Enumerable.Range(0, list.Source.Count).Count(i => list.Source.IsMarked(i)));
            app.InjectKey(Key.F3);
            Assert.Equal(rows.Select(r => r.Name), Shown().Select(r => r.Name));   // family again: the zoo's own order
        }
    }

    /// <summary>A small catalogue for the GMACs column: two variants that build and run, one whose forward fails, one that cannot be built.</summary>
    sealed class ProbePlugin : IZooPlugin
    {
        public string Name => "Probe";
        public string Description => "variants for the catalogue's GMACs column";
        public void ConfigureServices(IServiceCollection services) => services.AddArchitecture<Probe>();
    }

    sealed class Probe : IArchitecture
    {
        public string Name => "Probe";
        public string Family => "Probes";
        public string Paper => "none";
        public int Year => 2026;
        public string Description => "a convolution, global pooling and a linear head";
        public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[] { "probe_small", "probe_wide", "probe_noforward", "probe_unbuildable" }
            .Select(n => new ArchitectureVariant(n, n) { DefaultInput = new InputShape(1, 16, 16), DefaultClasses = 3 }).ToArray();

        public TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Build(ModelSpec spec)
        {
            if (spec.Variant == "probe_unbuildable") throw new ZooConfigException("variant", "probe_unbuildable never builds");
            if (spec.Variant == "probe_noforward") return new NoForward();
            int width = spec.Variant == "probe_wide" ? 32 : 4;
            return TorchSharp.torch.nn.Sequential(
                ("conv", TorchSharp.torch.nn.Conv2d(spec.Channels, width, 3, padding: 1)), ("gap", TorchSharp.torch.nn.AdaptiveAvgPool2d(1)),
                ("flatten", TorchSharp.torch.nn.Flatten()), ("fc", TorchSharp.torch.nn.Linear(width, spec.Classes)));
        }
    }

    sealed class NoForward : TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>
    {
        readonly TorchSharp.Modules.Linear fc = TorchSharp.torch.nn.Linear(4, 3);
        public NoForward() : base(nameof(NoForward)) => RegisterComponents();
        public override TorchSharp.torch.Tensor forward(TorchSharp.torch.Tensor x) => throw new InvalidOperationException("no forward");
    }

    [Fact]
    public void The_catalogue_shows_GMACs_on_every_line_cached_ones_at_once_the_rest_filled_in_the_background_and_F3_sorts_by_them()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = new PluginCatalog(Array.Empty<string>(), new IZooPlugin[] { new BuiltInPlugin(), new ProbePlugin() });
        catalog.Refresh();
        VariantEntry Entry(string name) => catalog.Variants.Single(e => e.Variant.Name == name);
        // `zoo list --json` (the same cache) already computed probe_wide.
        var cacheDir = Path.Combine(dir, "cache");
        var earlier = new FactsCache(cacheDir);
        long wideMacs = earlier.ReferenceMacs(Entry("probe_wide"));
        earlier.Save();

        var services = new ServiceCollection().AddSingleton(catalog).AddSingleton(new SuiteRunner(catalog)).BuildServiceProvider();
        var ui = new ZooUi(services, null, Path.Combine(dir, "results"), facts: new FactsCache(cacheDir));
        using var app = UiTests.VirtualScreen(200, 50);
        using var window = ui.Build(app);
        app.Begin(window);
        app.LayoutAndDraw(true);
        var list = All<ListView>(window).First();
        string LineOf(string name) => list.Source!.ToList().Cast<string>().Single(l => l.Split(' ')[0] == name);
        string Cell(string name) => LineOf(name).Split(' ', StringSplitOptions.RemoveEmptyEntries)[^2];   // the GMACs column, before the year
        Assert.Equal(Numbers.Gmacs(wideMacs / 1e9), Cell("probe_wide"));   // cached: at once
        Assert.Equal("…", Cell("probe_small"));
        Assert.Equal("…", Cell("probe_noforward"));
        Assert.Equal("–", Cell("probe_unbuildable"));   // its parameters could not be counted either
        Assert.Contains("GMACs", UiTests.ScreenText(app, window));
        app.InjectKey(Key.Space);   // a mark survives the figures arriving
        var marked = list.Source!.ToList().Cast<string>().First().Split(' ')[0];

        // The background thread computes the rest, one forward pass each; the lines change through the main loop.
        var thread = ui.FillMacs();
        Assert.NotEqual(Environment.CurrentManagedThreadId, thread.ManagedThreadId);
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (list.Source!.ToList().Cast<string>().Any(l => l.Contains('…')) && DateTime.UtcNow < deadline)
        {
            app.TimedEvents!.RunTimers();
            Thread.Sleep(20);
        }
        long smallMacs = ModelSummary.Describe(new Probe(), "probe_small", new InputShape(1, 16, 16), 3).Macs;
        Assert.Equal(Numbers.Gmacs(smallMacs / 1e9), Cell("probe_small"));
        Assert.Equal("–", Cell("probe_noforward"));   // its forward fails
        Assert.True(new FactsCache(cacheDir).TryCached(Entry("probe_small"), out var stored));   // kept for the next list or UI
        Assert.Equal(smallMacs, stored);
        int at = list.Source!.ToList().Cast<string>().ToList().FindIndex(l => l.Split(' ')[0] == marked);
        Assert.True(list.Source.IsMarked(at));
        app.LayoutAndDraw(true);
        Assert.Contains(LineOf("probe_small"), UiTests.ScreenText(app, window));

        // F3 to GMACs: the largest first, those without a figure last (in the zoo's order); Shift+F3 reverses the known ones.
        string[] Order() => list.Source!.ToList().Cast<string>().Select(l => l.Split(' ')[0]).ToArray();
        for (int i = 0; i < 3; i++) app.InjectKey(Key.F3);
        Assert.StartsWith("Catalogue, by GMACs ▼", list.SuperView!.Title);
        Assert.Equal(new[] { "probe_wide", "probe_small", "probe_noforward", "probe_unbuildable" }, Order());
        app.InjectKey(Key.F3.WithShift);
        Assert.Equal(new[] { "probe_small", "probe_wide", "probe_noforward", "probe_unbuildable" }, Order());
        ui.StopMacs();
        Assert.False(thread.IsAlive);
    }

    [Fact]
    public void The_plugins_view_lists_each_plugins_state_and_reason_and_follows_the_watcher_live()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.TinyNet"), Path.Combine(dir, "TinyNet"));
        using var catalog = new PluginCatalog(new[] { dir }, new[] { new BuiltInPlugin() });
        catalog.Refresh();
        using var app = UiTests.VirtualScreen(200, 50);
        using var view = new PluginsView(catalog, app);
        app.Begin(view);
        app.LayoutAndDraw(true);
        Assert.Equal(catalog.Statuses.Select(s => s.Name), view.Statuses.Select(s => s.Name));
        var tiny = view.Statuses.ToList().FindIndex(s => s.Path.Contains("TinyNet"));
        Assert.Equal("loaded", view.Table.Table![tiny, 1]);
        Assert.Equal(catalog.Statuses[tiny].ContractVersion, view.Table.Table[tiny, 3]);
        Assert.Contains("Zoo.Fixtures.TinyNet.dll", UiTests.ScreenText(app, view));

        // A broken plugin dropped in while the view is open: the watcher reports it, the table shows it failed with the reason.
        var changes = 0;
        catalog.Changed += _ => Interlocked.Increment(ref changes);
        catalog.StartWatching(TimeSpan.FromMilliseconds(100));
        Directory.CreateDirectory(Path.Combine(dir, "Broken"));
        File.WriteAllText(Path.Combine(dir, "Broken", "Broken.dll"), "not an assembly");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Volatile.Read(ref changes) == 0 && DateTime.UtcNow < deadline) Thread.Sleep(50);
        Assert.True(changes > 0, "the watcher reported no change");
        app.TimedEvents!.RunTimers();   // what the main loop does next: the view's refresh, queued from the watcher's thread
        var broken = view.Statuses.ToList().FindIndex(s => s.Path.Contains("Broken"));
        Assert.True(broken >= 0);
        Assert.Equal("failed", view.Table.Table![broken, 1]);
        Assert.Contains("not a .NET assembly", (string)view.Table.Table[broken, 6]);
        Assert.Contains("Broken", view.LastChange);
        app.LayoutAndDraw(true);
        Assert.Contains("not a .NET assembly", UiTests.ScreenText(app, view));
    }

    [Fact]
    public void F1_help_names_every_key_of_the_status_bar()
    {
        using var catalog = TestEnvironment.Catalog();
        var (app, window, _) = Drawn(catalog, TestEnvironment.NewTempDirectory());
        using (app) using (window)
        {
            var keys = All<Shortcut>(window).Select(s => s.Key.ToString()).ToList();
            Assert.Contains("F8", keys);
            Assert.All(keys, k => Assert.Contains(k, UiHelp.Text));
        }
    }

    [Fact]
    public void Curve_plots_take_the_epochs_as_recorded_and_skip_values_that_are_not_finite()
    {
        EpochRecord E(int epoch, double loss, double? val) => new(epoch, 0.01, loss, 0.5, loss, val, null, 1, 100);
        var runs = new (string, IReadOnlyList<EpochRecord>)[]
        {
            ("a", new[] { E(1, 2.0, 0.25), E(2, 1.0, 0.5) }),
            ("blown", new[] { E(1, 3.0, 0.1), E(2, double.NaN, null) }),
            ("queued", Array.Empty<EpochRecord>()),
        };
        var all = CurvePlot.Of(runs, CurveMetric.Loss, null);
        Assert.Equal(new[] { (1, 2.0), (2, 1.0) }, all.Series[0].Points);
        Assert.Equal(new[] { (1, 3.0) }, all.Series[1].Points);   // the NaN epoch is left out
        Assert.Empty(all.Series[2].Points);
        Assert.Equal((2, 1.0, 3.0), (all.LastEpoch, all.Min, all.Max));
        var acc = CurvePlot.Of(runs, CurveMetric.Accuracy, "a");
        Assert.Equal(new[] { (1, 25.0), (2, 50.0) }, acc.Series[1].Points);
        Assert.Contains("val top-1: 50 at epoch 2", acc.Legend());
        Assert.True(CurvePlot.Of(runs, CurveMetric.Accuracy, "queued").IsEmpty);
    }
}
