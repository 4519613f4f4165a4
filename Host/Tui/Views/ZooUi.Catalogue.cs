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

#pragma warning disable CS0618   // TextView (see ZooUi.cs)

// The catalogue pane: its rows, filter, order and marks, the GMACs column as figures arrive, and the details of the
// selected variant. The window's shell, the run pane and the runs are in ZooUi.cs.
public sealed partial class ZooUi
{
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

    static (FrameView, TextField, ListView) CataloguePane(ObservableCollection<string> lines)
    {
        var catalogue = Widgets.Pane(CatalogueTitle(new CatalogueSort()), 0, 0, Dim.Percent(40), Dim.Fill(1));
        // Ctrl+F reaches the filter (Tab keeps moving between panes; a printable key in the list jumps to a name, as
        // ListView does); it keeps the rows whose name, family or plugin contains the text.
        var label = new Label { X = 0, Y = 0, Text = "Filter (Ctrl+F):" };
        var filter = new TextField { X = Pos.Right(label) + 1, Y = 0, Width = Dim.Fill(), Text = "", TabStop = TabBehavior.NoStop };
        // The column heads, past the list's mark column.
        var header = new Label { X = 2, Y = 1, Width = Dim.Fill(), Height = 1, Text = UiModel.Header, HotKeySpecifier = Widgets.NoHotKey };
        var list = new ListView { X = 0, Y = 2, Width = Dim.Fill(), Height = Dim.Fill(), ShowMarks = true, MarkMultiple = true };
        list.SetSource(lines);
        catalogue.Add(label, filter, header, list);
        return (catalogue, filter, list);
    }

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
}
