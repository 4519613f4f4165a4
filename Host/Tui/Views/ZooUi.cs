using System.Collections.ObjectModel;
using Microsoft.Extensions.DependencyInjection;
using Terminal.Gui.App;
using Terminal.Gui.Drawing;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;

namespace Zoo.Tui;

// Terminal.Gui 2.5 marks TextView obsolete in favour of a separate editor package that is not on our feed;
// a read-only, scrolling text pane is all the UI needs, and TextView still is that.
#pragma warning disable CS0618

/// <summary>
/// zoo ui: the terminal UI (Terminal.Gui v2). Left, the catalogue (Space marks variants to compare); right,
/// the selected variant's details (Enter computes GMACs and sizes) and, below, the run: live progress
/// lines as a suite trains, then the comparison table. F5 compares the marked variants on the built-in
/// data set, F6 runs the suite file given on the command line, Esc stops a run after the current step,
/// Ctrl+Q quits. The same suites run headless with `zoo run-suite`.
/// </summary>
public sealed partial class ZooUi
{
    readonly IServiceProvider _services;
    readonly UiModel _model;
    readonly PluginCatalog _catalog;
    readonly string? _suitePath;
    readonly string _outRoot;
    Views? _views;   // the window's views, once Build made them
    volatile CancellationTokenSource? _running;
    Task? _task;
    volatile bool _closed;   // once the screen is gone, a still-running suite reports on stderr
    readonly bool _inProcess;   // runs train in this process: the GMACs column waits while one does (see FillMacs)
    readonly CatalogueMacs _macs;
    MacsFiller? _macsFiller;

    /// <param name="executor">How each model of a run trains: null, in this process; the CLI gives a worker process per
    /// model below normal priority, so a crash cannot take the screen down and the screen stays responsive.</param>
    /// <param name="facts">Where the catalogue's GMACs come from and go (null: the user's cache, as `zoo list --json`).</param>
    public ZooUi(IServiceProvider services, string? suitePath, string outRoot, IRunExecutor? executor = null, FactsCache? facts = null)
    {
        _inProcess = executor is null;
        _macs = new CatalogueMacs(facts ?? new FactsCache());
        _services = services;
        _catalog = services.GetRequiredService<PluginCatalog>();
        _model = new UiModel(_catalog, executor is null ? services.GetRequiredService<SuiteRunner>() : new SuiteRunner(_catalog) { Executor = executor });
        _suitePath = suitePath;
        _outRoot = outRoot;
    }

    public int Run()
    {
        if (_suitePath is not null) _model.Load(_suitePath);   // a wrong suite fails here, before the screen opens
        using (IApplication app = Application.Create().Init())
        {
            TerminalQuirks.WriteCursorOnlyWhenItChanges(app);
            var window = Build(app);
            // From here until the screen is given back, native code's fd 2 goes to the log, not over the screen.
            using var stderr = CaptureNativeOutput();
            // Plugins added, rebuilt or removed while the UI is open show in the catalogue, the log and F2.
            Action<string> changed = change => OnPluginsChanged(_views!, change);
            _catalog.Changed += changed;
            _catalog.StartWatching(TimeSpan.FromSeconds(1));
            FillMacs();
            app.Run(window);
            _catalog.Changed -= changed;
            _closed = true;
            _macsFiller?.Cancel();
            window.Dispose();
        }
        TerminalQuirks.ResetKeypadModes();
        StopMacs();   // after the terminal is given back, so a long forward pass does not hold a dead screen
        if (_task is { IsCompleted: false })
        {
            // A run still trains: stop it after its current step and let it finish writing, so that the process
            // never exits with LibTorch mid-call and the results folder resumes cleanly next time.
            _running?.Cancel();
            Console.Error.WriteLine("stopping the run after its current step…");
            _task.Wait();
        }
        return 0;
    }

    /// <summary>Starts filling in the GMACs column (zoo ui does when its window opens; see <see cref="MacsFiller"/>).</summary>
    internal Thread FillMacs()
    {
        var v = _views ?? throw new InvalidOperationException("Build the window first");
        _macsFiller = new MacsFiller(_macs, () => v.Catalogue.All, () => _inProcess && _running is not null,
            row => { if (!_closed) v.App.Invoke(() => ShowMacs(v, row)); });
        return _macsFiller.Start();
    }

    /// <summary>Stops the GMACs thread, waiting for its forward pass (said on stderr once the screen is gone).</summary>
    internal void StopMacs() => _macsFiller?.Stop(_closed ? Console.Error.WriteLine : null);

    /// <summary>The main window (public so that a test can build it on a fake driver).</summary>
    public Window Build(IApplication app)
    {
        var rows = _model.Rows();
        var window = new Window { Title = $"Zoo — {rows.Count} variants (F1: help, Ctrl+F: filter, F3: sort, Space: mark, F4: new suite, F5: compare marked, F6: run suite, F7: results, F8: curves, F2: plugins, Ctrl+Q: quit)" };
        var state = new CatalogueState(rows) { Lines = new ObservableCollection<string>(rows.Select(r => UiModel.Line(r, _macs.Cell(r)))) };
        var (catalogue, filter, list) = CataloguePane(state.Lines);
        var (detailsFrame, details) = DetailsPane(catalogue);
        var (runFrame, step, bar, board, log, curves) = RunPane(catalogue, detailsFrame);
        var v = _views = new Views(app, state, filter, list, details, step, log, bar, board, curves);
        WireCatalogue(v);
        WireCurves(v);
        window.Initialized += (_, _) => list.SetFocus();   // keys go to the catalogue first: Space marks, Enter describes
        window.Add(catalogue, detailsFrame, runFrame, StatusBar(v));
        return window;
    }

    static (FrameView, TextView) DetailsPane(View catalogue)
    {
        var frame = Widgets.Pane("Details", Pos.Right(catalogue), 0, Dim.Fill(), Dim.Percent(45));
        var details = Widgets.ReadOnlyText(0);
        frame.Add(details);
        return (frame, details);
    }

    (FrameView, Label, ProgressBar, TableView, TextView, CurvesView) RunPane(View catalogue, View detailsFrame)
    {
        var frame = Widgets.Pane("Run", Pos.Right(catalogue), Pos.Bottom(detailsFrame), Dim.Fill(), Dim.Fill(1));
        var step = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 1, Text = "", HotKeySpecifier = Widgets.NoHotKey };
        // The suite's progress over every model's steps, and one row per model (state, epoch, step, pace, ETA, numbers).
        var bar = new ProgressBar { X = 0, Y = 1, Width = Dim.Fill(), Height = 1, Fraction = 0, Visible = false };
        var board = new TableView { X = 0, Y = 2, Width = Dim.Fill(), Height = 0, FullRowSelect = true, CanFocus = false, Visible = false };
        var log = Widgets.ReadOnlyText(0);   // wraps: an epoch line ends with the RSS, which a cut would lose
        log.Y = Pos.Bottom(board);
        log.Text = _suitePath is null
            ? "Mark variants with Space and press F5 to compare them with the quick start's data and recipe (suites/quick-start.json; a few minutes for two small models)."
            : $"F6 runs {_suitePath}; F5 compares the marked variants instead.";
        // F8 swaps the log for the curves (in the same place), and back.
        var curves = new CurvesView { X = 0, Y = Pos.Bottom(board), Width = Dim.Fill(), Height = Dim.Fill(), Visible = false, CanFocus = true };
        frame.Add(step, bar, board, log, curves);
        return (frame, step, bar, board, log, curves);
    }

    StatusBar StatusBar(Views v) => new(new[]
    {
        new Shortcut(Key.F1, "Help", () => UiHelp.Show(v.App), null),
        new Shortcut(Key.F2, "Plugins", () => ShowPlugins(v), null),
        new Shortcut(Key.F.WithCtrl, "Filter", () => v.Filter.SetFocus(), null),
        new Shortcut(Key.F3, "Sort", () => Sort(v, false), null),
        new Shortcut(Key.F3.WithShift, "Reverse", () => Sort(v, true), null),
        new Shortcut(Key.F5, "Compare marked", () => CompareMarked(v), null),
        new Shortcut(Key.F6, "Run suite", () => RunSuiteFile(v), null),
        new Shortcut(Key.F4, "New suite", () => ShowBuilder(v), null),
        new Shortcut(Key.F7, "Results", () => ShowResults(v), null),
        new Shortcut(Key.F8, "Curves/log", () => ToggleCurves(v), null),
        new Shortcut(Key.Esc, "Stop run", () => { _running?.Cancel(); Append(v, "stopping after the current step…"); }, null),
        new Shortcut(Key.Q.WithCtrl, "Quit", () => v.App.RequestStop(), null),
    });

    /// <summary>Where native lines written while the UI runs are kept, all of them (the log pane shows each message once).</summary>
    public string NativeLogFile { get; init; } = Path.Combine(Zoo.Engine.Data.ZooPaths.Cache, "logs", "ui-stderr.log");

    readonly NativeLines _native = new();

    /// <summary>fd 2 into the log pane and <see cref="NativeLogFile"/> (null where the platform has no fd 2 to take).</summary>
    internal StderrCapture? CaptureNativeOutput()
    {
        var v = _views ?? throw new InvalidOperationException("Build the window first");
        return StderrCapture.Start(line => Native(v, line), NativeLogFile);
    }

    /// <summary>A native line in the log, once per message; never to the console, which is the capture's own pipe while it runs.</summary>
    void Native(Views v, string line)
    {
        if (_closed || _native.Admit(line) is not { } shown) return;   // the log file has it
        v.App.Invoke(() => AppendNow(v, $"[native] {shown}  (all native output: {NativeLogFile})"));
    }

    void Append(Views v, string line)
    {
        if (_closed) { Console.Error.WriteLine(line); return; }
        v.App.Invoke(() => AppendNow(v, line));
    }

    static void AppendNow(Views v, string line)
    {
        v.Log.Text = v.Log.Text.Length > 200_000 ? v.Log.Text[^100_000..] + "\n" + line : v.Log.Text + "\n" + line;
        v.Log.MoveEnd();
    }

    void Start(Views v, Suite suite, string outDir)
    {
        if (_running is not null) { Append(v, "a run is already going; Esc stops it"); return; }
        _running = new CancellationTokenSource();
        var token = _running.Token;
        v.Log.Text = $"running {suite.Name}: {suite.Models.Count} model(s) into {outDir}";
        var progress = Progress(v, new RunBoard(suite));
        _task = Task.Run(() =>
        {
            try
            {
                var result = _model.Run(suite, outDir, progress, token);
                Append(v, "");
                Append(v, ResultWriter.Markdown(result));
                if (result.Interrupted) Append(v, $"stopped; a rerun resumes from the last finished epoch ({outDir})");
                WriteReport(v, result);
            }
            catch (OperationCanceledException) { Append(v, $"stopped; a rerun resumes from the last finished epoch ({outDir})"); }
            catch (ZooConfigException ex) { Append(v, $"error: {ex.Message}"); }
            catch (Exception ex) { Append(v, $"failed: {ex.GetType().Name}: {ex.Message}"); }
            finally { _running = null; }
        });
    }

    /// <summary>report.html and figures/ for a run just ended, as `zoo run-suite` writes them (F7 then lists each run's PNGs); a failure is a log line.</summary>
    void WriteReport(Views v, SuiteResult result)
    {
        try
        {
            var output = Zoo.Reports.Export.ReportWriter.Write(Zoo.Reports.Model.ReportModel.Load(new[] { result.OutputDirectory }), result.OutputDirectory);
            foreach (var w in output.Warnings) Append(v, $"warning: {w}");
            Append(v, $"report: {output.Html} ({output.Figures.Count} figures in {output.FiguresDirectory}; F7 opens the results)");
        }
        catch (Exception e) { Append(v, $"report not written: {e.GetType().Name}: {e.Message}"); }
    }

    /// <summary>
    /// Every event updates the run board; steps also the one-line step label, at most four times a second (every step
    /// arrives; four redraws a second are plenty, and the screen stays free for keys); every other event is a log line.
    /// </summary>
    SyncProgress<SuiteEvent> Progress(Views v, RunBoard board)
    {
        var steps = new StepThrottle(TimeSpan.FromMilliseconds(250), keepEpochEdges: true);
        v.RunBoard = board;
        ShowBoard(v, board);
        ShowCurves(v);
        return new SyncProgress<SuiteEvent>(e =>
        {
            bool changed = board.Apply(e);
            if (e is StepProgress s)
            {
                if (!steps.Admit(s)) return;
                var text = ProgressText.StepLine(s);
                if (!_closed) v.App.Invoke(() => { v.Step.Text = text; ShowBoard(v, board); });
                return;
            }
            if (changed && !_closed) v.App.Invoke(() => { ShowBoard(v, board); if (e is EpochEnded or RunEnded or RunStarted) ShowCurves(v); });
            if (e is RunOutput o) { if (_native.Admit(o.Line) is null) return; }   // a worker's native line, once per message as the UI's own
            if (ProgressText.Line(e) is { } line) Append(v, line);
        });
    }

    /// <summary>
    /// The curves' own keys (they have the focus while shown): l loss or accuracy, a every model or the selected one,
    /// Up/Down pick the selected model (and show it alone). GraphView's own arrow keys would scroll the plot away.
    /// </summary>
    static void WireCurves(Views v)
    {
        v.Curves.KeyDown += (_, key) =>
        {
            if (key == Key.L) v.Choice.ToggleMetric();
            else if (key == Key.A) v.Choice.ToggleAll();
            else if (key == Key.CursorDown || key == Key.CursorUp) { if (v.RunBoard is { } b) v.Choice.Next(b, key == Key.CursorDown ? 1 : -1); }
            else return;
            key.Handled = true;
            ShowCurves(v);
        };
    }

    /// <summary>F8: the curves in place of the log, with the focus (their keys work at once), or the log again.</summary>
    static void ToggleCurves(Views v)
    {
        bool curves = !v.Curves.Visible;
        v.Curves.Visible = curves;
        v.Log.Visible = !curves;
        if (curves) { ShowCurves(v); v.Curves.SetFocus(); }
        else
        {
            v.Log.SetFocus();
            v.Log.MoveEnd();   // lines that came while it was hidden did not scroll it
        }
    }

    /// <summary>Redraws the curves from the board's finished epochs (UI thread); nothing while they are hidden.</summary>
    static void ShowCurves(Views v)
    {
        if (!v.Curves.Visible) return;
        v.Curves.Show(v.RunBoard is { } board ? v.Choice.Plot(board) : CurvePlot.Of(Array.Empty<(string, IReadOnlyList<EpochRecord>)>(), v.Choice.Metric, null));
    }

    /// <summary>The observer a run of <paramref name="suite"/> reports to (for the tests: events fed on the UI thread show at once).</summary>
    internal IProgress<SuiteEvent> Watch(Suite suite) =>
        Progress(_views ?? throw new InvalidOperationException("Build the window first"), new RunBoard(suite));

    /// <summary>Lays the board's rows into the run pane's table and its suite fraction into the bar (UI thread).</summary>
    static void ShowBoard(Views v, RunBoard board)
    {
        v.Board.Table = new TextTable(BoardRow.Headers, board.Rows.Select(r => r.Cells()).ToArray());
        // Height and visibility only when they change: setting them lays the whole window out again, and this runs four
        // times a second while a model trains, when a key should not wait behind a layout.
        int height = Math.Min(board.Rows.Count, 8) + 3;   // header, its rule and the top line
        if (v.Board.Frame.Height != height || !v.Board.Visible) v.Board.Height = height;
        if (!v.Board.Visible) v.Board.Visible = true;
        if (!v.Bar.Visible) v.Bar.Visible = true;
        v.Bar.Fraction = (float)board.Fraction;
        v.Bar.Text = $"{board.Fraction * 100:F0} %";
        v.Board.Update();
    }

    /// <summary>The suite builder over the marked variants; Run there starts the suite here.</summary>
    void ShowBuilder(Views v)
    {
        v.KeepMarks();
        var draft = new SuiteDraft { Variants = v.Catalogue.All.Where(r => v.Catalogue.Marked.Contains(r.Name)).Select(r => r.Entry.Variant.Name).ToList() };
        using var builder = new SuiteBuilderView(draft, _model.Runner, _outRoot, _suitePath,
            _catalog.Variants.Select(e => e.Variant.Name).ToList(), _catalog.Datasets.Select(d => d.Name));
        v.App.Run(builder);
        if (builder.ToRun is { } suite) Start(v, suite, Path.Combine(_outRoot, suite.Name));
    }

    void ShowPlugins(Views v)
    {
        using var plugins = new PluginsView(_catalog, v.App);
        v.App.Run(plugins);
    }

    /// <summary>
    /// A plugin added, rebuilt or removed while the UI runs (the watcher `zoo ui` starts): the catalogue's rows are read
    /// again (filter, order and marks kept) and the change goes into the log.
    /// </summary>
    void OnPluginsChanged(Views v, string change)
    {
        if (_closed) return;
        v.App.Invoke(() =>
        {
            v.KeepMarks();
            v.Catalogue.All = _model.Rows();
            ApplyFilter(v);
            _macsFiller?.Wake();   // new or rebuilt variants get their figures
        });
        Append(v, $"plugins changed: {change.Replace(Environment.NewLine, "; ")}");
    }

    void ShowResults(Views v)
    {
        using var results = new ResultsView(_outRoot);
        v.App.Run(results);
    }

    void CompareMarked(Views v)
    {
        v.KeepMarks();
        var marked = v.Catalogue.All.Where(r => v.Catalogue.Marked.Contains(r.Name)).Select(r => r.Entry.Variant.Name).ToList();
        if (marked.Count == 0 && v.Selected() is { } r) marked.Add(r.Entry.Variant.Name);
        try
        {
            var path = Path.Combine(_outRoot, "ui-comparison.json");
            Directory.CreateDirectory(_outRoot);
            File.WriteAllText(path, UiModel.SuiteFor(marked));
            var suite = _model.Load(path);
            Start(v, suite, Path.Combine(_outRoot, "ui-comparison"));
            Append(v, UiModel.QuickComparisonText(suite));
            Append(v, $"(the suite is saved as {path}: `zoo run-suite {path}` runs it headless)");
        }
        catch (ZooConfigException ex) { Append(v, $"error: {ex.Message}"); }
    }

    void RunSuiteFile(Views v)
    {
        if (_suitePath is null) { Append(v, "no suite file: start `zoo ui SUITE.json` to run one here, or mark variants and press F5"); return; }
        try
        {
            var suite = _model.Load(_suitePath);
            Start(v, suite, Path.Combine(_outRoot, suite.Name));
        }
        catch (ZooConfigException ex) { Append(v, $"error: {ex.Message}"); }
    }
}
