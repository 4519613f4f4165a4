namespace Zoo.Engine.Plugins;

/// <summary>Where a plugin stands in the catalogue.</summary>
public enum PluginState
{
    /// <summary>Loaded; all its variants are in the catalogue.</summary>
    Loaded,
    /// <summary>Loaded, but some of its variant names were already taken by another plugin (those are ignored).</summary>
    Conflicting,
    /// <summary>Not loaded: it failed (the reason says why and what to do).</summary>
    Failed,
    /// <summary>Not loaded: the user disabled it (`zoo plugins disable`).</summary>
    Disabled,
    /// <summary>Not loaded: another folder holds a newer version of the same plugin (or the same version, found first).</summary>
    Superseded,
}

/// <summary>
/// One plugin as `zoo plugins`, `zoo list --json` and the terminal UI show it: its name (the manifest's, else
/// the assembly's file name), state, the reason when it is not simply loaded, what its manifest says, the contract
/// version it was compiled against (from its assembly's metadata, read without loading it) and, once loaded,
/// its variants.
/// </summary>
public sealed record PluginStatus(
    string Name,
    string Path,
    PluginState State,
    string? Reason,
    PluginManifest? Manifest,
    string? ContractVersion,
    IReadOnlyList<string> Variants)
{
    /// <summary>The manifest's version, else null.</summary>
    public string? Version => Manifest?.Version;
}
