using System.Collections.ObjectModel;
using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Reports.Model;

namespace Zoo.Tui;

/// <summary>An <see cref="ITableSource"/> over rows of text.</summary>
sealed class TextTable(IReadOnlyList<string> headers, IReadOnlyList<IReadOnlyList<string>> rows) : ITableSource
{
    public object this[int row, int col] => rows[row][col];
    public string[] ColumnNames => headers.ToArray();
    public int Columns => headers.Count;
    public int Rows => rows.Count;
}

/// <summary>
/// The results browser (F7): left, every results folder under the UI's results root, newest first; right, the
/// comparison of the folder under the cursor (Enter), or of every marked folder side by side (Space marks).
/// s sorts by the column under the cursor (again: the other way round). The table is <see cref="ComparisonTable"/>,
/// the one comparison.md and report.html print. c overlays the learning curves of the marked folders' runs, one line per
/// folder and model (<see cref="ResultsBrowser.CompareCurves"/>).
/// </summary>
public sealed class ResultsView : Window
{
    readonly IReadOnlyList<ResultsFolder> _folders;
    readonly ListView _list;
    readonly TableView _table;
    readonly Label _status;
    readonly RunResultsPane _run;
    readonly CurvesView _across;
    IReadOnlyList<string> _acrossFolders = Array.Empty<string>();
    CurveMetric _acrossMetric = CurveMetric.Accuracy;
    readonly FrameView _right, _left;
    ReportModel? _report;
    ComparisonTable? _comparison;
    int _sortColumn = -1;
    bool _descending;

    public ResultsView(string root)
    {
        HotKeySpecifier = Widgets.NoHotKey;   // a path's '_' is no hot key
        Title = $"Results in {root} — Enter: open (on a run: its curves, confusion and mistakes), Space: mark to compare side by side, c: their curves overlaid, s: sort by the column (again: reverse), Esc: back / close";
        _folders = ResultsBrowser.Folders(root);
        var left = new FrameView { Title = "Folders", X = 0, Y = 0, Width = Dim.Percent(38), Height = Dim.Fill(1), TabStop = TabBehavior.TabStop };
        _list = new ListView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(), ShowMarks = true, MarkMultiple = true };
        _list.SetSource(new ObservableCollection<string>(_folders.Count == 0
            ? new[] { $"no results.json under {root} yet: run a suite (F5, F6 or `zoo run-suite`)" }
            : _folders.Select(f => f.Line())));
        if (_folders.Count > 0) _list.SelectedItem = 0;
        left.Add(_list);
        var right = new FrameView { Title = "Comparison", X = Pos.Right(left), Y = 0, Width = Dim.Fill(), Height = Dim.Fill(1), TabStop = TabBehavior.TabStop };
        _table = new TableView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(), FullRowSelect = true };
        right.Add(_table);
        // A run's own results take the comparison's place (Enter on its row); Esc or Backspace goes back to the table.
        _run = new RunResultsPane { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(1), Visible = false };
        // The curves of several folders take the same place (c); l switches loss/accuracy, Esc or Backspace goes back.
        _across = new CurvesView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(1), Visible = false, CanFocus = true };
        _right = right;
        _left = left;
        _status = new Label { X = 0, Y = Pos.AnchorEnd(1), Width = Dim.Fill(), Height = 1, Text = "", HotKeySpecifier = Widgets.NoHotKey };
        Add(left, right, _run, _across, _status);

        _list.Accepting += (_, e) => { e.Handled = true; Open(); };
        // ListView's type-to-search would take c (and s) before the KeyDown event; folder names are few enough to arrow through.
        _list.KeystrokeNavigator = null;
        _list.KeyDown += (_, key) => { if (key == Key.C) { key.Handled = true; CompareCurves(); } };
        _across.KeyDown += (_, key) =>
        {
            if (key == Key.Esc || key == Key.Backspace) { key.Handled = true; CloseCurves(); }
            else if (key == Key.L)
            {
                key.Handled = true;
                _acrossMetric = _acrossMetric == CurveMetric.Accuracy ? CurveMetric.Loss : CurveMetric.Accuracy;
                _across.Show(ResultsBrowser.CompareCurves(_acrossFolders, _acrossMetric));
            }
        };
        _table.KeyDown += (_, key) =>
        {
            if (key == Key.C) { key.Handled = true; CompareCurves(); return; }
            if (key == Key.Enter) { key.Handled = true; OpenRun(_table.Value?.SelectedCell.Y ?? 0); return; }
            if (key != Key.S) return;
            key.Handled = true;
            SortBy(_table.Value?.SelectedCell.X ?? 0);
        };
        _run.Back += CloseRun;
        Initialized += (_, _) => _list.SetFocus();
    }

    public IReadOnlyList<ResultsFolder> Folders => _folders;

    /// <summary>The rows as shown, in their current order (for tests and the status line).</summary>
    public IReadOnlyList<ComparisonRow> Shown { get; private set; } = Array.Empty<ComparisonRow>();

    /// <summary>Loads the marked folders, or the one under the cursor, into the table.</summary>
    public void Open()
    {
        if (_folders.Count == 0) return;
        var marked = Chosen();
        try
        {
            _report = ReportModel.Load(marked);
            _comparison = ComparisonTable.From(_report.Comparison);
            CloseRun();
            _sortColumn = -1;
            Show(_comparison.Rows);
            _status.Text = $"{Shown.Count} run(s) from {string.Join(", ", marked.Select(Path.GetFileName))}; report.html and figures/ are in each folder";
            _table.SetFocus();
        }
        catch (ZooConfigException e) { _status.Text = $"cannot open: {e.Message}"; }
    }

    /// <summary>The marked folders (else the one under the cursor), as paths.</summary>
    List<string> Chosen()
    {
        var marked = _list.GetAllMarkedItems().Where(i => i < _folders.Count).Select(i => _folders[i].Path).ToList();
        if (marked.Count == 0 && _list.SelectedItem is { } i && i >= 0 && i < _folders.Count) marked.Add(_folders[i].Path);
        return marked;
    }

    /// <summary>The curves of several folders (c), for tests.</summary>
    public CurvesView AcrossCurves => _across;

    /// <summary>
    /// c: the val top-1 curves (l: train loss) of every run of the marked folders overlaid, one line per folder and model,
    /// from their results.json as written; in place of the lists until Esc.
    /// </summary>
    public void CompareCurves()
    {
        var folders = Chosen();
        if (folders.Count == 0) return;
        try
        {
            var plot = ResultsBrowser.CompareCurves(folders, _acrossMetric);
            _acrossFolders = folders;
            CloseRun();
            _across.Show(plot);
            _right.Visible = _left.Visible = false;
            _across.Visible = true;
            _across.SetFocus();
            _status.Text = $"{plot.Series.Count} run(s) from {folders.Count} folder(s){(folders.Count < 2 ? " (Space marks more in the list)" : "")}; l: loss/accuracy; Esc or Backspace: back";
        }
        catch (ZooConfigException e) { _status.Text = $"cannot open: {e.Message}"; }
    }

    void CloseCurves()
    {
        if (!_across.Visible) return;
        _across.Visible = false;
        _right.Visible = _left.Visible = true;
        _list.SetFocus();
        _status.Text = "";
    }

    /// <summary>The run pane, for tests.</summary>
    public RunResultsPane RunPane => _run;

    /// <summary>Shows the run on row <paramref name="row"/> of the table as shown: its curves, confusion matrix and mistakes.</summary>
    public void OpenRun(int row)
    {
        if (_report is null || row < 0 || row >= Shown.Count) return;
        var label = Shown[row].Run.Label;
        var run = _report.Runs.FirstOrDefault(r => r.Label == label);
        if (run is null) return;
        _run.Show(new RunDetails(_report, run));
        _right.Visible = _left.Visible = false;   // the run gets the whole width
        _run.Visible = true;
        _run.SetFocus();
        _status.Text = $"{label}: l switches loss/accuracy curves; Esc or Backspace: back to the comparison";
    }

    void CloseRun()
    {
        if (!_run.Visible) return;
        _run.Visible = false;
        _right.Visible = _left.Visible = true;
        _table.SetFocus();
    }

    /// <summary>Sorts by <paramref name="column"/>; the same column again reverses the order. Numbers start with the largest.</summary>
    public void SortBy(int column)
    {
        if (_comparison is null || column < 0 || column >= _comparison.Columns.Count) return;
        _descending = column == _sortColumn ? !_descending : _comparison.Columns[column].Numeric;
        _sortColumn = column;
        Show(_comparison.SortedBy(column, _descending));
        _status.Text = $"sorted by {_comparison.Columns[column].Header}, {(_descending ? "largest" : "smallest")} first";
    }

    void Show(IReadOnlyList<ComparisonRow> rows)
    {
        Shown = rows;
        var headers = _comparison!.Columns.Select((c, i) => i == _sortColumn ? c.Header + (_descending ? " ▼" : " ▲") : c.Header).ToArray();
        _table.Table = new TextTable(headers, rows.Select(r => r.Cells).ToArray());
        _table.Update();
    }
}
