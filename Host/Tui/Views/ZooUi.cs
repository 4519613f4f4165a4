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
public sealed class ZooUi
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
    readonly CancellationTokenSource _macsStop = new();
    readonly AutoResetEvent _macsWake = new(false);
    Thread? _macsThread;

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
            WriteCursorOnlyWhenItChanges(app);
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
            _macsStop.Cancel();
            window.Dispose();
        }
        ResetKeypadModes();
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

    /// <summary>
    /// Terminal.Gui 2.5 updates the terminal cursor at the end of every main-loop iteration while the driver's
    /// "cursor needs update" flag is set, and nothing ever clears that flag once a focus change has set it: an
    /// idle screen then writes ESC[?25l ESC[1;1H about 25 times a second. Clearing it at the start of each
    /// iteration keeps every real update (a focus change, a key, a redraw sets it again before the cursor is placed).
    /// </summary>
    static void WriteCursorOnlyWhenItChanges(IApplication app) =>
        app.Iteration += (_, _) => app.Driver?.SetCursorNeedsUpdate(false);

    /// <summary>
    /// .NET's console puts the terminal in application cursor-key and keypad mode (ESC[?1h ESC=) and Terminal.Gui
    /// does not undo it on shutdown, so after Ctrl+Q the shell's arrow keys send SS3 sequences. Reset both.
    /// </summary>
    static void ResetKeypadModes()
    {
        if (Console.IsOutputRedirected) return;
        Console.Out.Write("\u001b[?1l\u001b>");
        Console.Out.Flush();
    }

    /// <summary>The catalogue as the list shows it: every row, the rows the filter keeps, and the marked variants (kept across filters).</summary>
    sealed class CatalogueState(IReadOnlyList<CatalogueRow> all)
    {
        public IReadOnlyList<CatalogueRow> All { get; set; } = all;
        public IReadOnlyList<CatalogueRow> Shown { get; set; } = all;
        /// <summary>The list's lines (one per shown row); a GMACs figure that arrives replaces its row's line.</summary>
        public ObservableCollection<string> Lines { get; set; } = new();
        public HashSet<string> Marked { get; } = new(StringComparer.Ordinal);
        public CatalogueSort Sort { get; set; } = new();
    }

    // The views Build makes, for its small parts to share.
    sealed record Views(IApplication App, CatalogueState Catalogue, TextField Filter, ListView List, TextView Details, Label Step, TextView Log,
        ProgressBar Bar, TableView Board, CurvesView Curves)
    {
        /// <summary>The run being shown (null before the first), and which of its curves.</summary>
        public RunBoard? RunBoard { get; set; }
        public CurveChoice Choice { get; } = new();

        public IReadOnlyList<CatalogueRow> Rows => Catalogue.Shown;
        public CatalogueRow? Selected() => List.SelectedItem is { } i && i >= 0 && i < Rows.Count ? Rows[i] : null;

        /// <summary>Takes the list's marks of the rows it shows into <see cref="CatalogueState.Marked"/>.</summary>
        public void KeepMarks()
        {
            for (int i = 0; i < Rows.Count; i++)
                if (List.Source?.IsMarked(i) == true) Catalogue.Marked.Add(Rows[i].Name); else Catalogue.Marked.Remove(Rows[i].Name);
        }
    }

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

    static (FrameView, TextField, ListView) CataloguePane(ObservableCollection<string> lines)
    {
        var catalogue = Pane(CatalogueTitle(new CatalogueSort()), 0, 0, Dim.Percent(40), Dim.Fill(1));
        // Ctrl+F reaches the filter (Tab keeps moving between panes; a printable key in the list jumps to a name, as
        // ListView does); it keeps the rows whose name, family or plugin contains the text.
        var label = new Label { X = 0, Y = 0, Text = "Filter (Ctrl+F):" };
        var filter = new TextField { X = Pos.Right(label) + 1, Y = 0, Width = Dim.Fill(), Text = "", TabStop = TabBehavior.NoStop };
        // The column heads, past the list's mark column.
        var header = new Label { X = 2, Y = 1, Width = Dim.Fill(), Height = 1, Text = UiModel.Header, HotKeySpecifier = NoHotKey };
        var list = new ListView { X = 0, Y = 2, Width = Dim.Fill(), Height = Dim.Fill(), ShowMarks = true, MarkMultiple = true };
        list.SetSource(lines);
        catalogue.Add(label, filter, header, list);
        return (catalogue, filter, list);
    }

    /// <summary>
    /// For labels that show names (squeezenet1_1, paths): Terminal.Gui takes the first '_' of a label's text as the hot-key
    /// marker and drops it, so "squeezenet1_1" read "squeezenet11".
    /// </summary>
    internal static readonly System.Text.Rune NoHotKey = (System.Text.Rune)0xffff;

    /// <summary>The catalogue's title names its order and the keys that change it.</summary>
    internal static string CatalogueTitle(CatalogueSort sort) => $"Catalogue, by {sort.Text} (F3: next column, Shift+F3: reverse)";

    /// <summary>F3 sorts by the next column, Shift+F3 reverses; the filter and the marks stay.</summary>
    void Sort(Views v, bool reverse)
    {
        v.Catalogue.Sort = reverse ? v.Catalogue.Sort.Reversed() : v.Catalogue.Sort.Next();
        ApplyFilter(v);
    }

    /// <summary>Shows the rows the filter keeps, with the marks of every variant kept across filters.</summary>
    void ApplyFilter(Views v)
    {
        v.KeepMarks();
        v.Catalogue.Shown = v.Catalogue.Sort.Apply(UiModel.Filter(v.Catalogue.All, v.Filter.Text), _macs.Value);
        if (v.List.SuperView is { } frame) frame.Title = CatalogueTitle(v.Catalogue.Sort);
        v.Catalogue.Lines = new ObservableCollection<string>(v.Rows.Select(r => UiModel.Line(r, _macs.Cell(r))));
        v.List.SetSource(v.Catalogue.Lines);
        RestoreMarks(v);
        if (v.Rows.Count > 0)
        {
            v.List.SelectedItem = 0;
            v.Details.Text = _model.Details(v.Rows[0]);
        }
        else v.Details.Text = $"No variant's name, family or plugin contains '{v.Filter.Text}'.";
    }

    static void RestoreMarks(Views v)
    {
        for (int i = 0; i < v.Rows.Count; i++)
            v.List.Source!.SetMark(i, v.Catalogue.Marked.Contains(v.Rows[i].Name));
    }

    /// <summary>
    /// Starts filling in the catalogue's GMACs column (zoo ui does when its window opens): one variant at a time, on a
    /// thread of its own below normal priority, each figure put on its line through the main loop (Invoke), never blocking
    /// it. With runs in this process it waits while one trains (a forward pass reseeds LibTorch's global generator).
    /// Once every figure is known it sleeps until plugins change.
    /// </summary>
    internal Thread FillMacs()
    {
        var v = _views ?? throw new InvalidOperationException("Build the window first");
        var token = _macsStop.Token;
        _macsThread = new Thread(() =>
        {
            CatalogueMacs.LowerThisThread();
            while (!token.IsCancellationRequested)
            {
                if (_inProcess && _running is not null) { token.WaitHandle.WaitOne(500); continue; }
                bool computed;
                CatalogueRow? row;
                try { computed = _macs.ComputeNext(v.Catalogue.All, out row); }
                catch (Exception) { computed = false; row = null; }   // nothing the column can do; it stays "…"
                if (!computed) { WaitHandle.WaitAny(new[] { _macsWake, token.WaitHandle }); continue; }
                _macs.Save();
                try { if (!token.IsCancellationRequested && !_closed) v.App.Invoke(() => ShowMacs(v, row!)); }
                catch (Exception) { }   // the UI closed between the check and the call: nothing left to show it on
            }
        }) { IsBackground = true, Name = "catalogue GMACs" };
        _macsThread.Start();
        return _macsThread;
    }

    /// <summary>
    /// Stops the GMACs thread and waits for its forward pass (the process must not exit with LibTorch mid-call), saying
    /// so when that takes a moment (a large variant at its reference input takes seconds on a small machine).
    /// </summary>
    internal void StopMacs()
    {
        _macsStop.Cancel();
        if (_macsThread is not { } thread || thread.Join(TimeSpan.FromMilliseconds(300))) return;
        if (_closed) Console.Error.WriteLine("finishing the GMACs figure being computed…");
        thread.Join(TimeSpan.FromSeconds(60));
    }

    /// <summary>A figure arrived: the lines of that variant get it (UI thread); the order changes only on F3.</summary>
    void ShowMacs(Views v, CatalogueRow row)
    {
        var key = FactsCache.Key(row.Entry);
        bool changed = false;
        for (int i = 0; i < v.Rows.Count && i < v.Catalogue.Lines.Count; i++)
        {
            if (v.Rows[i] != row && FactsCache.Key(v.Rows[i].Entry) != key) continue;
            if (!changed) v.KeepMarks();
            v.Catalogue.Lines[i] = UiModel.Line(v.Rows[i], _macs.Cell(v.Rows[i]));
            changed = true;
        }
        if (changed) { RestoreMarks(v); v.List.SetNeedsDraw(); }
    }

    static (FrameView, TextView) DetailsPane(View catalogue)
    {
        var frame = Pane("Details", Pos.Right(catalogue), 0, Dim.Fill(), Dim.Percent(45));
        var details = ReadOnlyText(0);
        frame.Add(details);
        return (frame, details);
    }

    (FrameView, Label, ProgressBar, TableView, TextView, CurvesView) RunPane(View catalogue, View detailsFrame)
    {
        var frame = Pane("Run", Pos.Right(catalogue), Pos.Bottom(detailsFrame), Dim.Fill(), Dim.Fill(1));
        var step = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 1, Text = "", HotKeySpecifier = NoHotKey };
        // The suite's progress over every model's steps, and one row per model (state, epoch, step, pace, ETA, numbers).
        var bar = new ProgressBar { X = 0, Y = 1, Width = Dim.Fill(), Height = 1, Fraction = 0, Visible = false };
        var board = new TableView { X = 0, Y = 2, Width = Dim.Fill(), Height = 0, FullRowSelect = true, CanFocus = false, Visible = false };
        var log = ReadOnlyText(0);   // wraps: an epoch line ends with the RSS, which a cut would lose
        log.Y = Pos.Bottom(board);
        log.Text = _suitePath is null
            ? "Mark variants with Space and press F5 to compare them with the quick start's data and recipe (suites/quick-start.json; a few minutes for two small models)."
            : $"F6 runs {_suitePath}; F5 compares the marked variants instead.";
        // F8 swaps the log for the curves (in the same place), and back.
        var curves = new CurvesView { X = 0, Y = Pos.Bottom(board), Width = Dim.Fill(), Height = Dim.Fill(), Visible = false, CanFocus = true };
        frame.Add(step, bar, board, log, curves);
        return (frame, step, bar, board, log, curves);
    }

    /// <summary>
    /// A frame that Tab enters and leaves like any other stop: a FrameView is a TabGroup by default, which only
    /// F6 / Shift+F6 reach, so Tab never left the catalogue.
    /// </summary>
    static FrameView Pane(string title, Pos x, Pos y, Dim width, Dim height) =>
        new() { Title = title, X = x, Y = y, Width = width, Height = height, TabStop = TabBehavior.TabStop };

    /// <summary>
    /// A read-only, word-wrapping text pane that Tab leaves (TabKeyAddsTab off) and that draws its text in the
    /// scheme's Normal attribute. Terminal.Gui derives the ReadOnly role from Editable by dimming the foreground
    /// against the background; with the default theme (terminal default colours, Color.None) both resolve to
    /// Gray, so every cell was grey on grey.
    /// </summary>
    internal static TextView ReadOnlyText(int y)
    {
        var text = new TextView { X = 0, Y = y, Width = Dim.Fill(), Height = Dim.Fill(), ReadOnly = true, WordWrap = true, TabKeyAddsTab = false };
        text.GettingAttributeForRole += (_, e) =>
        {
            if (e.Role != VisualRole.ReadOnly) return;
            e.Result = text.GetAttributeForRole(VisualRole.Normal);
            e.Handled = true;
        };
        return text;
    }

    void WireCatalogue(Views v)
    {
        v.Filter.TextChanged += (_, _) => ApplyFilter(v);
        v.Filter.Accepting += (_, e) => { e.Handled = true; v.List.SetFocus(); };
        v.List.ValueChanged += (_, _) => { if (v.Selected() is { } r) v.Details.Text = _model.Details(r); };
        v.List.Accepting += (_, e) =>
        {
            if (v.Selected() is not { } r) return;
            e.Handled = true;
            DescribeInBackground(v, r);
        };
        if (v.Rows.Count > 0)
        {
            v.List.SelectedItem = 0;
            v.Details.Text = _model.Details(v.Rows[0]);
        }
        // Plugins that did not load as they are (failed, disabled, superseded, conflicting), as `zoo plugins` says.
        if (_model.PluginProblems() is { Count: > 0 } problems) v.Log.Text = string.Join("\n", problems);
    }

    void DescribeInBackground(Views v, CatalogueRow r)
    {
        v.Details.Text = _model.Details(r) + "\n(computing…)";
        Task.Run(() =>
        {
            string text;
            try
            {
                var variant = r.Entry.Variant;
                text = _model.Details(r, ModelSummary.Describe(r.Entry.Architecture, variant.Name, variant.DefaultInput, variant.DefaultClasses));
            }
            catch (Exception ex) { text = _model.Details(r) + $"\n{ex.GetType().Name}: {ex.Message}"; }
            v.App.Invoke(() => v.Details.Text = text);
        });
    }

    StatusBar StatusBar(Views v) => new(new[]
    {
        new Shortcut(Key.F1, "Help", () => ShowHelp(v), null),
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
            _macsWake.Set();   // new or rebuilt variants get their figures
        });
        Append(v, $"plugins changed: {change.Replace(Environment.NewLine, "; ")}");
    }

    void ShowResults(Views v)
    {
        using var results = new ResultsView(_outRoot);
        v.App.Run(results);
    }

    static void ShowHelp(Views v)
    {
        using var help = new Dialog { Title = "Keys (Esc closes)", Width = Dim.Auto(), Height = Dim.Auto() };
        help.Add(new Label { X = 1, Y = 1, Text = HelpText });
        v.App.Run(help);
    }

    /// <summary>Every key the UI answers (F1).</summary>
    public const string HelpText =
        "Catalogue:  Up/Down move, Space marks a variant, Enter computes its layer summary and sizes\n" +
        "Ctrl+F      filter the catalogue by name, family or plugin (Enter: back to the list)\n" +
        "F3          sort the catalogue by the next column (family, name, parameters, GMACs,\n" +
        "            year); GMACs fill in by themselves (… until known, – cannot be built);\n" +
        "            Shift+F3 reverses; the catalogue's title says the order\n" +
        "F2          plugins: path, version, contract, state and reason of each, live as plugins\n" +
        "            are added, rebuilt or removed (Esc closes)\n" +
        "F5          compare the marked variants with the quick start's data and recipe\n" +
        "F6          run the suite file given on the command line (zoo ui SUITE.json)\n" +
        "F4          suite builder for the marked variants: data set (download state; an image\n" +
        "            folder from a dialog), recipe, per-model label, options, epochs and LR;\n" +
        "            Open reads a suite file into it; Check, Save (<out>/<name>.json), Run\n" +
        "F7          results: earlier results folders; Enter opens one, Space marks several\n" +
        "            to compare side by side, c overlays their curves (folder/model; l: loss),\n" +
        "            s sorts by the column under the cursor;\n" +
        "            Enter on a run: its curves, coloured confusion matrix, per-class top-1,\n" +
        "            figure paths and sampled mistakes (l: loss/accuracy, Esc: back)\n" +
        "F8          live curves in place of the run's log (again: the log); in the curves:\n" +
        "            l loss or accuracy, a every model or the selected one, Up/Down select\n" +
        "Esc         stop the run after its current step (a rerun resumes); in a dialog: close\n" +
        "Tab         next pane (Shift+Tab: previous); the mouse works too\n" +
        "F1          this help;  Ctrl+Q quits (a running model stops after its step first)\n" +
        "Native libraries' messages (LibTorch's warnings) go to the log, each once, never over\n" +
        "            the screen; all of them to logs/ui-stderr.log in the zoo's cache folder";

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
