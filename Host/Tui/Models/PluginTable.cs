using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;

namespace Zoo.Tui;

/// <summary>
/// The plugins view's table (F2): one row per plugin the catalogue knows, as `zoo plugins` lists them (the engine's
/// <see cref="PluginStatus"/>: name, state, version, contract version, variants, path, and the reason when it is not
/// simply loaded). No Terminal.Gui here.
/// </summary>
public static class PluginTable
{
    public static readonly IReadOnlyList<string> Headers = new[] { "Plugin", "State", "Version", "Contract", "Variants", "Path", "Reason" };

    public static IReadOnlyList<IReadOnlyList<string>> Rows(IReadOnlyList<PluginStatus> statuses) =>
        statuses.Select(s => (IReadOnlyList<string>)new[]
        {
            s.Name, PluginStatusView.State(s.State), s.Version ?? "-", s.ContractVersion ?? "-", s.Variants.Count.ToString(), s.Path,
            (s.Reason ?? "").Replace('\n', ' '),
        }).ToArray();

    /// <summary>Whether a row's plugin did not load (failed), to draw it apart.</summary>
    public static bool Failed(PluginStatus status) => status.State == PluginState.Failed;
}
