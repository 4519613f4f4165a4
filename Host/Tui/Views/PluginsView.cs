using Terminal.Gui.App;
using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Engine.Plugins;
using Attribute = Terminal.Gui.Drawing.Attribute;
using Color = Terminal.Gui.Drawing.Color;

namespace Zoo.Tui;

/// <summary>
/// The plugins (F2): every plugin the catalogue knows with its state, version, contract version, variants, path and
/// reason (<see cref="PluginTable"/>, the same statuses `zoo plugins` prints), failed ones in red. The catalogue's
/// hot-reload watcher (started by `zoo ui`) reports each change; the table refreshes and the change is shown below it.
/// </summary>
public sealed class PluginsView : Window
{
    readonly PluginCatalog _catalog;
    readonly IApplication _app;
    readonly TableView _table;
    readonly Label _status;
    IReadOnlyList<PluginStatus> _statuses = Array.Empty<PluginStatus>();

    public PluginsView(PluginCatalog catalog, IApplication app)
    {
        _catalog = catalog;
        _app = app;
        HotKeySpecifier = Widgets.NoHotKey;   // a path's '_' is no hot key
        Title = $"Plugins in {string.Join(", ", catalog.Directories)} — live: add, rebuild or remove a plugin folder and it shows here; Esc: close";
        _table = new TableView { X = 0, Y = 0, Width = Dim.Fill(), Height = Dim.Fill(2), FullRowSelect = true };
        _table.Style.RowColorGetter = a => a.RowIndex < _statuses.Count && PluginTable.Failed(_statuses[a.RowIndex])
            ? new Scheme(new Attribute(Color.BrightRed, Color.None)) : null;
        _status = new Label { X = 0, Y = Pos.AnchorEnd(2), Width = Dim.Fill(), Height = 2, Text = "", HotKeySpecifier = Widgets.NoHotKey };
        Add(_table, _status);
        Refresh();
        _catalog.Changed += OnChanged;
    }

    /// <summary>The statuses shown now.</summary>
    public IReadOnlyList<PluginStatus> Statuses => _statuses;
    public TableView Table => _table;
    public string LastChange => _status.Text;

    /// <summary>Raised on the watcher's timer thread: the table is refreshed on the UI thread.</summary>
    void OnChanged(string change) => _app.Invoke(() =>
    {
        Refresh();
        _status.Text = $"[{DateTime.Now:HH:mm:ss}] {change.Replace(Environment.NewLine, "; ")}";
    });

    public void Refresh()
    {
        _statuses = _catalog.Statuses;
        _table.Table = new TextTable(PluginTable.Headers, PluginTable.Rows(_statuses));
        _table.Update();
        if (_status.Text.Length == 0)
            _status.Text = $"{_statuses.Count} plugin(s), {_statuses.Count(s => s.Reason is not null)} not simply loaded; `zoo plugins` prints the same";
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _catalog.Changed -= OnChanged;
        base.Dispose(disposing);
    }
}
