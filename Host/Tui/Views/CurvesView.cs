using System.Drawing;
using System.Globalization;
using System.Text;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Attribute = Terminal.Gui.Drawing.Attribute;
using Color = Terminal.Gui.Drawing.Color;

namespace Zoo.Tui;

/// <summary>
/// A <see cref="CurvePlot"/> on a <see cref="GraphView"/>: one colour per series, its points as a
/// <see cref="ScatterSeries"/> joined by a <see cref="PathAnnotation"/>, the plot's title on the top line and, in a
/// column of its own to the right (so no line hides under it), a legend with each series' colour and last value.
/// The scale is fitted to the graph whenever the plot or the size changes. The live run pane and the results
/// browser draw their curves with this one view. (Terminal.Gui's LegendAnnotation drew its frame but no entries.)
/// </summary>
public sealed class CurvesView : View
{
    static readonly Color[] Palette = { Color.BrightCyan, Color.BrightYellow, Color.BrightMagenta, Color.BrightGreen, Color.BrightRed, Color.BrightBlue, Color.White, Color.Cyan };
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    /// <summary>The legend's narrowest width; it widens to its longest entry (folder/model names in F7), up to half the view.</summary>
    const int LegendWidth = 34;
    int _legendWidth = LegendWidth;

    readonly GraphView _graph;
    readonly View _legend;
    readonly Label _title;

    public CurvePlot? Plot { get; private set; }

    public CurvesView()
    {
        // The title is a label over the whole width: as a TextAnnotation it was cut at the graph's narrower edge.
        _title = new Label { X = 0, Y = 0, Width = Dim.Fill(), Height = 1, Text = "", HotKeySpecifier = Widgets.NoHotKey };
        _graph = new GraphView { X = 0, Y = 1, Width = Dim.Fill(LegendWidth), Height = Dim.Fill(), CanFocus = false, MarginLeft = 8, MarginBottom = 2 };
        _graph.AxisX.Text = "epoch";
        _graph.AxisX.ShowLabelsEvery = 1;
        _graph.AxisY.ShowLabelsEvery = 1;
        _graph.AxisX.LabelGetter = v => v.Value >= 1 && Math.Abs(v.Value - Math.Round(v.Value)) < 1e-3 ? Math.Round(v.Value).ToString(Inv) : "";
        // As many decimals as the label step needs, so that neighbouring labels differ (G3 printed 10.3 twice).
        _graph.AxisY.LabelGetter = v => v.Value.ToString("F" + Math.Clamp(1 - (int)Math.Floor(Math.Log10(Math.Max(1e-9, _graph.AxisY.Increment))), 0, 6), Inv);
        _legend = new View { X = Pos.AnchorEnd(LegendWidth), Y = 1, Width = LegendWidth, Height = Dim.Fill() };
        Add(_title, _graph, _legend);
        _graph.FrameChanged += (_, _) => Fit();
    }

    /// <summary>The colour of series <paramref name="i"/> (the legend's and the line's).</summary>
    public static Color ColorOf(int i) => Palette[i % Palette.Length];

    public void Show(CurvePlot plot)
    {
        Plot = plot;
        Fit();
    }

    /// <summary>Rebuilds the series, lines, legend and scale for the graph's current viewport.</summary>
    void Fit()
    {
        _graph.Series.Clear();
        _graph.Annotations.Clear();
        if (Plot is not { } plot) return;
        var viewport = _graph.Viewport;
        int width = Math.Max(4, viewport.Width - (int)_graph.MarginLeft - 2), height = Math.Max(3, viewport.Height - (int)_graph.MarginBottom - 2);
        double span = plot.Max - plot.Min, pad = span * 0.05;
        // Epoch 1 at the left edge, the last epoch at the right; the values fill the height between a 5 % pad each side.
        float cellX = (float)(Math.Max(1, plot.LastEpoch - 1) / (double)Math.Max(1, width - 1));
        float cellY = (float)((span + 2 * pad) / Math.Max(1, height - 1));
        _graph.CellSize = new PointF(cellX, cellY);
        _graph.ScrollOffset = new PointF(1, (float)(plot.Min - pad));
        _graph.AxisX.Increment = Math.Max(1, (float)Math.Ceiling(6 * cellX));   // a label at most every 6 columns, on whole epochs
        _graph.AxisY.Increment = 2 * cellY;                                      // a label every second row
        _graph.AxisY.Text = plot.Axis;
        _graph.AxisX.Visible = _graph.AxisY.Visible = !plot.IsEmpty;   // no scale to show before the first epoch
        var background = GetAttributeForRole(VisualRole.Normal).Background;
        foreach (var old in _legend.SubViews.ToArray()) { _legend.Remove(old); old.Dispose(); }
        var legend = plot.Legend().ToArray();
        int wanted = Math.Clamp(legend.Select(l => l.Length + 3).DefaultIfEmpty(0).Max(), LegendWidth, Math.Max(LegendWidth, Viewport.Width / 2));
        if (wanted != _legendWidth)
        {
            // The graph's frame changes with it, which fits the plot again at its new width.
            _legendWidth = wanted;
            _legend.X = Pos.AnchorEnd(wanted);
            _legend.Width = wanted;
            _graph.Width = Dim.Fill(wanted);
        }
        for (int i = 0; i < plot.Series.Count; i++)
        {
            var colour = new Attribute(ColorOf(i), background);
            var points = plot.Series[i].Points.Select(p => new PointF(p.Epoch, (float)p.Value)).ToList();
            _graph.Series.Add(new ScatterSeries { Points = points, Fill = new GraphCellToRender(new Rune('●'), colour) });
            if (points.Count > 1) _graph.Annotations.Add(new PathAnnotation { Points = points, LineColor = colour, BeforeSeries = true });
            var entry = new Label { X = 0, Y = i, Width = Dim.Fill(), Height = 1, Text = "● " + legend[i], HotKeySpecifier = Widgets.NoHotKey };
            entry.SetScheme(new Scheme(colour));
            _legend.Add(entry);
        }
        _title.Text = plot.IsEmpty ? plot.Title + ": no finished epoch yet" : plot.Title;
        _graph.SetNeedsDraw();
        SetNeedsDraw();
    }
}
