using ScottPlot;

namespace Zoo.Reports.Figures;

/// <summary>A line of a line chart: y per x, NaN for a missing point; <paramref name="Stairs"/>: each y holds until the next x.</summary>
public sealed record Series(string Name, double[] X, double[] Y, bool Dashed = false, bool Markers = true, bool Stairs = false);

/// <summary>A horizontal or vertical reference line (a target, the best epoch, the test accuracy).</summary>
public sealed record Marker(string Name, double Value, bool Vertical, bool Dashed = true);

/// <summary>
/// The chart kinds of a report, each a function of plain arrays that returns a ScottPlot <see cref="Plot"/>
/// (save it with <see cref="FigureFiles.Save"/>). Other exporters (the feature analysis: t-SNE panels, the
/// k-distance curve, ARI bars) call these too, so every figure of a report looks alike.
/// Not thread-safe per plot; separate calls may run in parallel.
/// </summary>
public static class Charts
{
    /// <summary>The colours of the series in order (Tableau 10, colour-blind tolerant).</summary>
    public static readonly Color[] Palette = new ScottPlot.Palettes.Category10().Colors;

    static Plot New(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set("DejaVu Sans");   // Debian's default sans; Skia falls back to any font where it is missing
        plot.Title(Wrap(title), size: 15);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    /// <summary>The most characters of a title line: about what 15 px DejaVu Sans fits in an 800 px figure.</summary>
    public const int TitleLine = 88;

    /// <summary>
    /// A title on as many lines as it needs, broken at spaces: one line cut both ends of "seed002-lr-find-short · shapes
    /// 1x28x28: validation top-1 per epoch over …" off the 800 px figure.
    /// </summary>
    public static string Wrap(string title)
    {
        var lines = new List<string>();
        var line = new System.Text.StringBuilder();
        foreach (var word in title.Split(' '))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > TitleLine) { lines.Add(line.ToString()); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        lines.Add(line.ToString());
        return string.Join("\n", lines);
    }

    /// <summary>Lines over a shared x axis (epochs), with reference lines; a legend when there is more than one name.</summary>
    public static Plot Lines(string title, string xLabel, string yLabel, IReadOnlyList<Series> series, IReadOnlyList<Marker>? markers = null, bool integerX = true)
    {
        var plot = New(title, xLabel, yLabel);
        int i = 0;
        foreach (var s in series)
        {
            var keep = Enumerable.Range(0, Math.Min(s.X.Length, s.Y.Length)).Where(k => double.IsFinite(s.Y[k]) && double.IsFinite(s.X[k])).ToArray();
            if (keep.Length == 0) { i++; continue; }
            var line = plot.Add.Scatter(keep.Select(k => s.X[k]).ToArray(), keep.Select(k => s.Y[k]).ToArray(), Palette[i++ % Palette.Length]);
            // One line and no marker needs no legend: the title and the y axis name it.
            line.LegendText = series.Count + (markers?.Count ?? 0) > 1 ? s.Name : "";
            line.LineWidth = 2;
            line.MarkerSize = s.Markers ? 6 : 0;
            if (s.Dashed) line.LinePattern = LinePattern.Dashed;
            if (s.Stairs) line.ConnectStyle = ConnectStyle.StepHorizontal;
        }
        int m = 0;
        foreach (var mk in markers ?? Array.Empty<Marker>())
        {
            if (!double.IsFinite(mk.Value)) continue;
            var color = new[] { Colors.Black, Colors.Gray, Colors.DarkRed, Colors.DarkGreen }[m++ % 4];
            if (mk.Vertical)
            {
                var v = plot.Add.VerticalLine(mk.Value, 1.5f, color);
                v.LegendText = mk.Name;
                if (mk.Dashed) v.LinePattern = LinePattern.Dashed;
            }
            else
            {
                var h = plot.Add.HorizontalLine(mk.Value, 1.5f, color);
                h.LegendText = mk.Name;
                if (mk.Dashed) h.LinePattern = LinePattern.Dotted;
            }
        }
        if (integerX) plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        // Outside, below: inside it hid the late epochs (where curves end and the best epoch usually is); on the right it took a third of the width.
        if (series.Count + (markers?.Count ?? 0) > 1) plot.ShowLegend(Edge.Bottom);
        return plot;
    }

    /// <summary>
    /// Grouped bars: one group per category (a model), one bar per series in it (test top-1, top-5…),
    /// the value written above each bar with <paramref name="format"/>. NaN leaves a gap.
    /// </summary>
    public static Plot GroupedBars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, double[] Values)> series, Func<double, string>? format = null, string missing = "no value")
    {
        var plot = New(title, "", yLabel);
        format ??= v => v.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
        int n = Math.Max(1, series.Count);
        double width = 0.8 / n;
        var bars = new List<Bar>();
        for (int s = 0; s < series.Count; s++)
            for (int c = 0; c < categories.Count; c++)
            {
                double v = c < series[s].Values.Length ? series[s].Values[c] : double.NaN;
                if (!double.IsFinite(v)) continue;
                bars.Add(new Bar
                {
                    Position = c + (s - (n - 1) / 2.0) * width,
                    Value = v,
                    Size = width * 0.95,
                    FillColor = Palette[s % Palette.Length],
                    LineWidth = 0,
                    Label = format(v),
                });
            }
        var bp = plot.Add.Bars(bars);
        bp.ValueLabelStyle.FontSize = categories.Count * n > 24 ? 9 : 11;
        for (int s = 0; s < series.Count && series.Count > 1; s++)
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Name, FillColor = Palette[s % Palette.Length] });
        if (series.Count > 1) plot.ShowLegend(Edge.Bottom);
        CategoryTicks(plot, categories);
        // A category without any value (a target not reached, a run without a test) keeps its place, marked.
        for (int c = 0; c < categories.Count; c++)
            if (series.All(s => c >= s.Values.Length || !double.IsFinite(s.Values[c])))
            {
                var none = plot.Add.Text(missing, c, 0);
                none.LabelAlignment = Alignment.LowerCenter;
                none.LabelFontSize = 11;
                none.LabelFontColor = Colors.Gray;
            }
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Axes.AutoScale();
        var limits = plot.Axes.GetLimits();
        plot.Axes.SetLimitsX(-0.5, categories.Count - 0.5);
        if (limits.Top <= 0 || !double.IsFinite(limits.Top)) plot.Axes.SetLimitsY(0, 1);
        return plot;
    }

    /// <summary>
    /// Per category a bar at the mean, a black whisker over its interval (with caps) and each individual value as a dot:
    /// repeats of a model at different seeds, so the reader sees the spread and not the mean alone.
    /// </summary>
    public static Plot MeanWithIntervals(string title, string yLabel, IReadOnlyList<string> categories, double[] means, double[] lows, double[] highs,
        IReadOnlyList<double[]> points, Func<double, string> format)
    {
        var plot = New(title, "", yLabel);
        var bars = new List<Bar>();
        for (int c = 0; c < categories.Count; c++)
            bars.Add(new Bar { Position = c, Value = means[c], Size = 0.6, FillColor = Palette[0].WithAlpha(0.55), LineWidth = 0, Label = format(means[c]) });
        var bp = plot.Add.Bars(bars);
        bp.ValueLabelStyle.FontSize = 11;
        for (int c = 0; c < categories.Count; c++)
        {
            if (highs[c] > lows[c])
            {
                foreach (var (x1, y1, x2, y2) in new[] { (c, lows[c], c, highs[c]), (c - 0.08, lows[c], c + 0.08, lows[c]), (c - 0.08, highs[c], c + 0.08, highs[c]) })
                {
                    var line = plot.Add.Line(x1, y1, x2, y2);
                    line.LineColor = Colors.Black;
                    line.LineWidth = 1.5f;
                }
            }
            var ys = points[c];
            // Spread the dots a little sideways so equal values stay visible.
            var xs = ys.Select((_, i) => c + (ys.Length == 1 ? 0 : -0.15 + 0.3 * i / (ys.Length - 1))).ToArray();
            var dots = plot.Add.Markers(xs, ys);
            dots.Color = Palette[1];
            dots.MarkerSize = 7;
        }
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "mean", FillColor = Palette[0].WithAlpha(0.55) });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "95 % interval (Student's t)", LineColor = Colors.Black, LineWidth = 1.5f });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "each repeat", MarkerColor = Palette[1], MarkerShape = MarkerShape.FilledCircle, MarkerSize = 7 });
        plot.ShowLegend(Edge.Bottom);
        CategoryTicks(plot, categories);
        plot.Axes.Margins(bottom: 0, top: 0.15);
        plot.Axes.AutoScale();
        plot.Axes.SetLimitsX(-0.5, categories.Count - 0.5);
        return plot;
    }

    /// <summary>Category names under the x axis, slanted when they are long or many.</summary>
    static void CategoryTicks(Plot plot, IReadOnlyList<string> categories)
    {
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, categories.Count).Select(i => (double)i).ToArray(), categories.ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        if (categories.Count > 6 || categories.Sum(c => c.Length) > 60) Slant(plot, categories);
        plot.Grid.XAxisStyle.MajorLineStyle.Width = 0;
    }

    /// <summary>Slanted x tick labels hanging below the axis, with room for the longest.</summary>
    static void Slant(Plot plot, IReadOnlyList<string> labels)
    {
        plot.Axes.Bottom.TickLabelStyle.Rotation = 35;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.UpperLeft;
        plot.Axes.Bottom.MinimumSize = 24 + 6 * Math.Min(40, labels.Count == 0 ? 0 : labels.Max(c => c.Length));
    }

    /// <summary>
    /// Points labelled by name, with the Pareto front (no other point is both cheaper and more accurate)
    /// drawn as a step line: lower x and higher y are better. Log x axis when x spans more than 20×.
    /// </summary>
    public static Plot ParetoScatter(string title, string xLabel, string yLabel, IReadOnlyList<string> names, double[] x, double[] y)
    {
        var plot = New(title, xLabel, yLabel);
        var idx = Enumerable.Range(0, names.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i]) && x[i] > 0).ToArray();
        if (idx.Length == 0) return plot;
        bool log = idx.Max(i => x[i]) / idx.Min(i => x[i]) > 20;
        double X(int i) => log ? Math.Log10(x[i]) : x[i];
        var front = ParetoFront(idx.Select(i => x[i]).ToArray(), idx.Select(i => y[i]).ToArray()).Select(k => idx[k]).ToArray();
        if (front.Length > 1)
        {
            var line = plot.Add.Scatter(front.Select(X).ToArray(), front.Select(i => y[i]).ToArray(), Colors.Gray);
            line.ConnectStyle = ConnectStyle.StepHorizontal;
            line.LinePattern = LinePattern.Dashed;
            line.MarkerSize = 0;
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "Pareto front", LineColor = Colors.Gray, LineWidth = 1.5f });
        }
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "on the Pareto front", MarkerShape = MarkerShape.FilledCircle, MarkerFillColor = Palette[0], MarkerLineColor = Palette[0], MarkerSize = 10 });
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = "beaten by another model", MarkerShape = MarkerShape.OpenCircle, MarkerLineColor = Palette[1], MarkerSize = 10 });
        plot.ShowLegend(Edge.Bottom);
        foreach (var i in idx)
        {
            bool onFront = front.Contains(i);
            var mk = plot.Add.Marker(X(i), y[i], onFront ? MarkerShape.FilledCircle : MarkerShape.OpenCircle, 10, onFront ? Palette[0] : Palette[1]);
            var label = plot.Add.Text(names[i], X(i), y[i]);
            label.LabelFontSize = 11;
            label.LabelOffsetX = 7;
            label.LabelOffsetY = -7;
            label.LabelAlignment = Alignment.LowerLeft;
        }
        if (log)
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
            {
                LabelFormatter = v => Compact(Math.Pow(10, v)),
                IntegerTicksOnly = true,   // decades only: half-decade ticks read as 0.316, 3.162, 31.623
                MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            };
        plot.Axes.Margins(left: 0.1, right: 0.25, bottom: 0.15, top: 0.15);   // room for the names right of the points
        return plot;
    }

    /// <summary>Indices of the points no other point beats (x no larger and y no smaller, one of them strictly), by x.</summary>
    public static int[] ParetoFront(double[] x, double[] y)
    {
        var order = Enumerable.Range(0, x.Length).OrderBy(i => x[i]).ThenByDescending(i => y[i]).ToArray();
        var front = new List<int>();
        double best = double.NegativeInfinity;
        foreach (var i in order)
            if (y[i] > best) { front.Add(i); best = y[i]; }
        return front.ToArray();
    }

    /// <summary>A number in a few characters: 1.2k, 3.4M, 0.5.</summary>
    public static string Compact(double v) => Math.Abs(v) switch
    {
        >= 1e9 => (v / 1e9).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (v / 1e6).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "M",
        >= 1e3 => (v / 1e3).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "k",
        >= 1e-3 or 0 => v.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        _ => v.ToString("G2", System.Globalization.CultureInfo.InvariantCulture).ToLowerInvariant(),
    };

    /// <summary>
    /// A heatmap of <paramref name="values"/>[row][column] in [0, 1] with row names on the y axis (first
    /// at the top) and column names on the x axis; each cell written as a percentage when there are at most 20 rows.
    /// </summary>
    /// <param name="cellText">Each cell's text (default: the value as a whole percentage).</param>
    public static Plot Heatmap(string title, string xLabel, string yLabel, double[,] values, IReadOnlyList<string> rowNames, IReadOnlyList<string> columnNames, string colorbarLabel,
        Func<double, string>? cellText = null)
    {
        cellText ??= v => (v * 100).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        var plot = New(title, xLabel, yLabel);
        int rows = values.GetLength(0), cols = values.GetLength(1);
        var hm = plot.Add.Heatmap(values);
        hm.Colormap = new ScottPlot.Colormaps.Viridis();
        hm.ManualRange = new ScottPlot.Range(0, 1);
        // ScottPlot draws the first row at the top, cell (r, c) centred on x = c, y = rows - 1 - r.
        var bar = plot.Add.ColorBar(hm);
        bar.Label = colorbarLabel;
        if (rows <= 20 && cols <= 20)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                {
                    if (!double.IsFinite(values[r, c])) continue;
                    var t = plot.Add.Text(cellText(values[r, c]), c, rows - 1 - r);
                    t.LabelFontSize = rows > 12 ? 8 : 11;
                    t.LabelAlignment = Alignment.MiddleCenter;
                    t.LabelFontColor = values[r, c] > 0.6 ? Colors.Black : Colors.White;
                }
        plot.Axes.Left.SetTicks(Enumerable.Range(0, rows).Select(r => (double)(rows - 1 - r)).ToArray(), rowNames.ToArray());
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, cols).Select(c => (double)c).ToArray(), columnNames.ToArray());
        if (cols > 6 || columnNames.Sum(c => c.Length) > 60) Slant(plot, columnNames);
        plot.Axes.SetLimits(-0.5, cols - 0.5, -0.5, rows - 0.5);
        plot.Grid.IsVisible = false;
        return plot;
    }

    /// <summary>
    /// <paramref name="count"/> colours that tell groups apart, none of them grey (grey is noise's): Tableau 10 without
    /// its grey, then, one at a time, the saturated colour farthest (in RGB) from all chosen so far, from noise's grey
    /// and from the white background. 25 colours stay at least 70 apart; the cycled 10-colour palette gave clusters
    /// 0, 10 and 20 one blue and 7 and 17 noise's grey.
    /// </summary>
    public static Color[] Categorical(int count)
    {
        var chosen = Palette.Where((_, i) => i != 7).ToList();
        if (count > chosen.Count)
        {
            var candidates = (from h in Enumerable.Range(0, 36) from sat in new[] { 0.65, 0.95 } from l in new[] { 0.3, 0.45, 0.6 } select Hsl(h * 10, sat, l)).ToList();
            var avoid = new[] { Noise, Colors.White };
            double Distance(Color a, Color b) => Math.Sqrt(Math.Pow(a.R - b.R, 2) + Math.Pow(a.G - b.G, 2) + Math.Pow(a.B - b.B, 2));
            while (chosen.Count < count)
                chosen.Add(candidates.MaxBy(c => chosen.Concat(avoid).Min(o => Distance(c, o))));
        }
        return chosen.Take(count).ToArray();
    }

    /// <summary>The colour of points a clustering left out (DBSCAN's -1): light grey, unlike every <see cref="Categorical"/> colour.</summary>
    public static readonly Color Noise = new(190, 190, 190);

    static Color Hsl(double hue, double saturation, double lightness)
    {
        double c = (1 - Math.Abs(2 * lightness - 1)) * saturation, h = hue / 60.0, x = c * (1 - Math.Abs(h % 2 - 1)), m = lightness - c / 2;
        var (r, g, b) = (int)h switch { 0 => (c, x, 0.0), 1 => (x, c, 0.0), 2 => (0.0, c, x), 3 => (0.0, x, c), 4 => (x, 0.0, c), _ => (c, 0.0, x) };
        byte B(double v) => (byte)Math.Round((v + m) * 255);
        return new Color(B(r), B(g), B(b));
    }

    /// <summary>Above this many groups a legend would cover the points: each group's name is written at its median point instead.</summary>
    public const int MaxLegendGroups = 12;

    /// <summary>
    /// 2-D points coloured by an integer label (-1: noise, light grey), the names in a legend right of the plot, or
    /// for more than <see cref="MaxLegendGroups"/> groups written at each group's median point.
    /// </summary>
    public static Plot LabelledPoints(string title, string xLabel, string yLabel, double[] x, double[] y, int[] labels, IReadOnlyList<string>? labelNames = null)
    {
        var plot = New(title, xLabel, yLabel);
        var groups = Enumerable.Range(0, x.Length).GroupBy(i => labels[i]).OrderBy(g => g.Key).ToArray();
        var keys = groups.Where(g => g.Key >= 0).Select(g => g.Key).ToArray();
        var colours = Categorical(keys.Length == 0 ? 0 : keys.Max() + 1);
        bool inPlace = keys.Length > MaxLegendGroups;
        string Name(int key) => key < 0 ? "noise" : labelNames is not null && key < labelNames.Count ? labelNames[key] : key.ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var g in groups)
        {
            var pts = plot.Add.ScatterPoints(g.Select(i => x[i]).ToArray(), g.Select(i => y[i]).ToArray(), g.Key < 0 ? Noise : colours[g.Key]);
            pts.MarkerSize = g.Key < 0 ? 3 : 4;
            pts.LegendText = inPlace && g.Key >= 0 ? "" : Name(g.Key);
        }
        if (inPlace)
            foreach (var g in groups.Where(g => g.Key >= 0))
            {
                double Median(IEnumerable<double> v) { var s = v.Order().ToArray(); return s[s.Length / 2]; }
                var text = plot.Add.Text(Name(g.Key), Median(g.Select(i => x[i])), Median(g.Select(i => y[i])));
                text.LabelFontSize = 12;
                text.LabelBold = true;
                text.LabelFontColor = colours[g.Key];
                text.LabelBackgroundColor = Colors.White.WithAlpha(0.75);
                text.LabelAlignment = Alignment.MiddleCenter;
            }
        // Right of the plot, not over it: inside, 25 entries covered a third of the points.
        if (groups.Any(g => !inPlace || g.Key < 0)) plot.ShowLegend(Edge.Right);
        return plot;
    }
}
