using Terminal.Gui.Drawing;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Attribute = Terminal.Gui.Drawing.Attribute;
using Color = Terminal.Gui.Drawing.Color;

namespace Zoo.Tui;

// The text pane is Terminal.Gui's TextView, obsolete in 2.5 (see ZooUi).
#pragma warning disable CS0618

/// <summary>
/// One run of the results browser (<see cref="RunDetails"/>): left, its curves (l: loss or accuracy) over its status,
/// figure paths and sampled mistakes; right, the confusion matrix with each class's top-1, cells coloured by their share
/// of the true class (green on the diagonal, yellow to red off it).
/// </summary>
public sealed class RunResultsPane : View
{
    readonly CurvesView _curves;
    readonly TextView _text;
    readonly TableView _confusion;
    readonly FrameView _matrix;
    CurveMetric _metric = CurveMetric.Accuracy;

    public RunDetails? Details { get; private set; }

    public RunResultsPane()
    {
        CanFocus = true;
        // Left the curves over the whole height; right the matrix (as tall as its rows), and below it the text.
        _curves = new CurvesView { X = 0, Y = 0, Width = Dim.Percent(45), Height = Dim.Fill() };
        _matrix = new FrameView { HotKeySpecifier = Widgets.NoHotKey, Title = "Confusion", X = Pos.Right(_curves) + 1, Y = 0, Width = Dim.Fill(), Height = 8 };
        _confusion = new TableView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(), FullRowSelect = false };
        _matrix.Add(_confusion);
        _text = Widgets.ReadOnlyText(0);
        _text.X = Pos.Right(_curves) + 1;
        _text.Y = Pos.Bottom(_matrix);
        _text.Width = Dim.Fill();
        Add(_curves, _matrix, _text);
        // The keys work wherever the focus is inside the pane: the table and the text would take l for themselves.
        foreach (var view in new View[] { this, _curves, _text, _confusion }) view.KeyDown += OnKey;
    }

    /// <summary>Esc or Backspace: back to where the pane was opened from.</summary>
    public event Action? Back;

    void OnKey(object? sender, Key key)
    {
        if (key == Key.Esc || key == Key.Backspace) { key.Handled = true; Back?.Invoke(); return; }
        if (key != Key.L || Details is null) return;
        key.Handled = true;
        _metric = _metric == CurveMetric.Accuracy ? CurveMetric.Loss : CurveMetric.Accuracy;
        _curves.Show(Details.Curves(_metric));
    }

    public CurvesView Curves => _curves;
    public TableView Confusion => _confusion;
    public string Summary => _text.Text;

    public void Show(RunDetails details)
    {
        Details = details;
        _curves.Show(details.Curves(_metric));
        _text.Text = details.Text();
        _matrix.Title = $"Confusion of {details.Run.Label} ({details.EvaluationName}): rows true, columns predicted";
        var headers = details.ConfusionHeaders();
        _matrix.Height = Math.Max(details.ConfusionRows().Count, 1) + 5;   // rows, header, rules, frame
        _confusion.Table = new TextTable(headers, details.ConfusionRows());
        int classes = headers.Count - 2;
        for (int c = 1; c <= classes; c++)
        {
            int column = c - 1;
            _confusion.Style.GetOrCreateColumnStyle(c).ColorGetter = a => CellScheme(details.Level(a.RowIndex, column), a.RowIndex == column);
        }
        _confusion.Update();
        SetNeedsDraw();
    }

    /// <summary>A count's colours: by its share of the true class, green shades on the diagonal, yellow then red off it.</summary>
    internal static Scheme? CellScheme(int level, bool diagonal) => (level, diagonal) switch
    {
        (0, _) => null,
        (1, true) => new Scheme(new Attribute(Color.Green, Color.None)),
        (2, true) => new Scheme(new Attribute(Color.Black, Color.Green)),
        (_, true) => new Scheme(new Attribute(Color.Black, Color.BrightGreen)),
        (1, false) => new Scheme(new Attribute(Color.Yellow, Color.None)),
        (2, false) => new Scheme(new Attribute(Color.White, Color.Red)),
        _ => new Scheme(new Attribute(Color.Black, Color.BrightRed)),
    };
}
