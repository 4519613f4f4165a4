using System.Collections.ObjectModel;
using Microsoft.Extensions.DependencyInjection;
using Terminal.Gui.App;
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
    CancellationTokenSource? _running;
    Task? _task;
    volatile bool _closed;   // once the screen is gone, a still-running suite reports on stderr

    public ZooUi(IServiceProvider services, string? suitePath, string outRoot)
    {
        _services = services;
        _catalog = services.GetRequiredService<PluginCatalog>();
        _model = new UiModel(_catalog, services.GetRequiredService<SuiteRunner>());
        _suitePath = suitePath;
        _outRoot = outRoot;
    }

    public int Run()
    {
        if (_suitePath is not null) _model.Load(_suitePath);   // a wrong suite fails here, before the screen opens
        using IApplication app = Application.Create().Init();
        var window = Build(app);
        app.Run(window);
        _closed = true;
        window.Dispose();
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

    /// <summary>The main window (public so that a test can build it on a fake driver).</summary>
    public Window Build(IApplication app)
    {
        var rows = _model.Rows();
        var window = new Window { Title = $"Zoo — {rows.Count} variants (Space: mark, Enter: GMACs, F5: compare marked, F6: run suite, Esc: stop run, Ctrl+Q: quit)" };

        var catalogue = new FrameView { Title = "Catalogue", X = 0, Y = 0, Width = Dim.Percent(40), Height = Dim.Fill(1) };
        var list = new ListView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(), ShowMarks = true, MarkMultiple = true };
        list.SetSource(new ObservableCollection<string>(rows.Select(UiModel.Line)));
        catalogue.Add(list);

        var detailsFrame = new FrameView { Title = "Details", X = Pos.Right(catalogue), Y = 0, Width = Dim.Fill(), Height = Dim.Percent(45) };
        var details = new TextView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(), ReadOnly = true, WordWrap = true };
        detailsFrame.Add(details);

        var runFrame = new FrameView { Title = "Run", X = Pos.Right(catalogue), Y = Pos.Bottom(detailsFrame), Width = Dim.Fill(), Height = Dim.Fill(1) };
        var step = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 1, Text = "" };
        var log = new TextView { X = 0, Y = 1, Width = Dim.Fill(), Height = Dim.Fill(), ReadOnly = true, WordWrap = false };
        log.Text = _suitePath is null
            ? "Mark variants with Space and press F5 to compare them on the built-in data set (3 epochs, 1x28x28)."
            : $"F6 runs {_suitePath}; F5 compares the marked variants instead.";
        runFrame.Add(step, log);

        CatalogueRow? Selected() => list.SelectedItem is { } i && i >= 0 && i < rows.Count ? rows[i] : null;
        list.ValueChanged += (_, _) => { if (Selected() is { } r) details.Text = _model.Details(r); };
        list.Accepting += (_, e) =>
        {
            if (Selected() is not { } r) return;
            e.Handled = true;
            details.Text = _model.Details(r) + "\n(computing…)";
            Task.Run(() =>
            {
                string text;
                try
                {
                    var v = r.Entry.Variant;
                    text = _model.Details(r, ModelSummary.Describe(r.Entry.Architecture, v.Name, v.DefaultInput, v.DefaultClasses));
                }
                catch (Exception ex) { text = _model.Details(r) + $"\n{ex.GetType().Name}: {ex.Message}"; }
                app.Invoke(() => details.Text = text);
            });
        };
        if (rows.Count > 0)
        {
            list.SelectedItem = 0;
            details.Text = _model.Details(rows[0]);
        }
        window.Initialized += (_, _) => list.SetFocus();   // keys go to the catalogue first: Space marks, Enter describes

        void Append(string line)
        {
            if (_closed) { Console.Error.WriteLine(line); return; }
            app.Invoke(() =>
            {
                log.Text = log.Text.Length > 200_000 ? log.Text[^100_000..] + "\n" + line : log.Text + "\n" + line;
                log.MoveEnd();
            });
        }

        void Start(Suite suite, string outDir)
        {
            if (_running is not null) { Append("a run is already going; Esc stops it"); return; }
            _running = new CancellationTokenSource();
            var token = _running.Token;
            log.Text = $"running {suite.Name}: {suite.Models.Count} model(s) into {outDir}";
            var lastStep = DateTime.MinValue;
            var progress = new SyncProgress<SuiteEvent>(e =>
            {
                if (e is StepProgress s)
                {
                    // Every step arrives; four redraws a second are plenty.
                    if (s.Step != s.Steps && (DateTime.UtcNow - lastStep).TotalMilliseconds < 250) return;
                    lastStep = DateTime.UtcNow;
                    var text = $"[{s.Index}/{s.Count}] {s.Label}" + ProgressText.Step(s)[3..];
                    if (!_closed) app.Invoke(() => step.Text = text);
                }
                else if (ProgressText.Line(e) is { } line) Append(line);
            });
            _task = Task.Run(() =>
            {
                try
                {
                    var result = _model.Run(suite, outDir, progress, token);
                    Append("");
                    Append(ResultWriter.Markdown(result));
                    if (result.Interrupted) Append($"stopped; a rerun resumes from the last finished epoch ({outDir})");
                }
                catch (OperationCanceledException) { Append($"stopped; a rerun resumes from the last finished epoch ({outDir})"); }
                catch (ZooConfigException ex) { Append($"error: {ex.Message}"); }
                catch (Exception ex) { Append($"failed: {ex.GetType().Name}: {ex.Message}"); }
                finally { _running = null; }
            });
        }

        void CompareMarked()
        {
            var marked = list.GetAllMarkedItems().Select(i => rows[i].Entry.Variant.Name).ToList();
            if (marked.Count == 0 && Selected() is { } r) marked.Add(r.Entry.Variant.Name);
            try
            {
                var path = Path.Combine(_outRoot, "ui-comparison.json");
                Directory.CreateDirectory(_outRoot);
                File.WriteAllText(path, UiModel.SuiteFor(marked));
                Start(_model.Load(path), Path.Combine(_outRoot, "ui-comparison"));
                Append($"(the suite is saved as {path}: `zoo run-suite {path}` runs it headless)");
            }
            catch (ZooConfigException ex) { Append($"error: {ex.Message}"); }
        }

        void RunSuiteFile()
        {
            if (_suitePath is null) { Append("no suite file: start `zoo ui SUITE.json` to run one here, or mark variants and press F5"); return; }
            try
            {
                var suite = _model.Load(_suitePath);
                Start(suite, Path.Combine(_outRoot, suite.Name));
            }
            catch (ZooConfigException ex) { Append($"error: {ex.Message}"); }
        }

        var status = new StatusBar(new[]
        {
            new Shortcut(Key.F5, "Compare marked", CompareMarked, null),
            new Shortcut(Key.F6, "Run suite", RunSuiteFile, null),
            new Shortcut(Key.Esc, "Stop run", () => { _running?.Cancel(); Append("stopping after the current step…"); }, null),
            new Shortcut(Key.Q.WithCtrl, "Quit", () => app.RequestStop(), null),
        });
        window.Add(catalogue, detailsFrame, runFrame, status);
        return window;
    }
}
