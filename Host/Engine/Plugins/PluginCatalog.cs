using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;

namespace Zoo.Engine.Plugins;

/// <summary>
/// The catalogue: finds plugin assemblies in plugin directories (<see cref="PluginFolders"/>), decides what becomes of
/// each (disabled, superseded, loaded), loads each into its own unloadable load context (<see cref="PluginAssemblies"/>),
/// answers what the loaded plugins provide, and keeps itself in step with the directories: a new plugin is added, a rebuilt one replaced and a
/// deleted one removed while the host runs (<see cref="StartWatching"/>). A plugin that fails is recorded
/// with its path and reason; the others load regardless.
///
/// Layout: each sub-folder of a plugin directory is one plugin (its main assembly is the one with a
/// .deps.json beside it, or the one named like the folder, or the only .dll); a .dll directly in a plugin
/// directory is a plugin of its own.
/// </summary>
public sealed class PluginCatalog : IDisposable
{
    readonly IReadOnlyList<string> _directories;
    readonly LoadedPlugin[] _builtIns;
    readonly object _gate = new();
    readonly PluginSettings? _settings;
    readonly Dictionary<string, Entry> _byPath = new();
    Timer? _timer;
    Dictionary<string, string>? _pending;
    bool _disposed;

    /// <summary>
    /// One plugin found in a directory: the fingerprint of its files and of the decision taken on it, what was
    /// read before loading (manifest, name, contract version), and the outcome.
    /// </summary>
    sealed record Entry(string Fingerprint, string Name, PluginManifest? Manifest, string? ContractVersion,
                        LoadedPlugin? Plugin, PluginFailure? Failure, PluginState State, string? Reason);

    /// <summary>
    /// Creates the catalogue over the given directories (made absolute) and the host's built-in contributions;
    /// with <paramref name="settings"/>, the plugins it disables are found but not loaded.
    /// </summary>
    public PluginCatalog(IEnumerable<string> directories, IEnumerable<IZooPlugin> builtIns, PluginSettings? settings = null)
    {
        _settings = settings;
        _directories = directories.Select(System.IO.Path.GetFullPath).Distinct().ToArray();
        _builtIns = builtIns.Select(p =>
        {
            var services = new ServiceCollection();
            p.ConfigureServices(services);
            return new LoadedPlugin(p.Name, "(built-in)", null, services.BuildServiceProvider());
        }).ToArray();
    }

    /// <summary>Raised (on a timer thread) after the catalogue changed; the argument says what changed.</summary>
    public event Action<string>? Changed;

    /// <summary>The directories searched.</summary>
    public IReadOnlyList<string> Directories => _directories;

    /// <summary>The plugins loaded now, built-ins first.</summary>
    public IReadOnlyList<LoadedPlugin> Plugins
    {
        get { lock (_gate) return _builtIns.Concat(_byPath.Values.Where(v => v.Plugin is not null).Select(v => v.Plugin!).OrderBy(p => p.Path, StringComparer.Ordinal)).ToArray(); }
    }

    /// <summary>The plugins that failed, with reasons.</summary>
    public IReadOnlyList<PluginFailure> Failures
    {
        get { lock (_gate) return _byPath.Values.Where(v => v.Failure is not null).Select(v => v.Failure!).OrderBy(f => f.Path, StringComparer.Ordinal).ToArray(); }
    }

    /// <summary>Every variant, first provider wins; later duplicates are reported in <see cref="Conflicts"/>.</summary>
    public IReadOnlyList<VariantEntry> Variants => Resolve().Entries;

    /// <summary>Variant names provided by more than one plugin (the later one is ignored).</summary>
    public IReadOnlyList<string> Conflicts => Resolve().Conflicts;

    /// <summary>The settings that disable plugins, if the catalogue was given any.</summary>
    public PluginSettings? Settings => _settings;

    /// <summary>
    /// Every plugin the catalogue knows, built-ins first, then by path: loaded, conflicting (loaded, some variant
    /// names taken by another plugin), failed, disabled or superseded, each with its reason.
    /// </summary>
    public IReadOnlyList<PluginStatus> Statuses
    {
        get
        {
            var (_, _, byPlugin) = Resolve();
            var contract = typeof(IZooPlugin).Assembly.GetName().Version!;
            IReadOnlyList<string> VariantsOf(LoadedPlugin p) => p.Architectures.SelectMany(a => a.Variants).Select(v => v.Name).ToArray();
            PluginStatus Loaded(LoadedPlugin p, string name, PluginManifest? manifest, string? contractVersion) =>
                byPlugin.TryGetValue(p, out var lost)
                    ? new PluginStatus(name, p.Path, PluginState.Conflicting, string.Join("; ", lost), manifest, contractVersion, VariantsOf(p))
                    : new PluginStatus(name, p.Path, PluginState.Loaded, null, manifest, contractVersion, VariantsOf(p));
            List<(string Path, Entry Entry)> entries;
            lock (_gate) entries = _byPath.Select(kv => (kv.Key, kv.Value)).OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
            return _builtIns.Select(p => Loaded(p, p.Name, null, $"{contract.Major}.{contract.Minor}"))
                .Concat(entries.Select(e => e.Entry.Plugin is { } p
                    ? Loaded(p, e.Entry.Name, e.Entry.Manifest, e.Entry.ContractVersion)
                    : new PluginStatus(e.Entry.Name, e.Path, e.Entry.State, e.Entry.Reason, e.Entry.Manifest, e.Entry.ContractVersion, Array.Empty<string>())))
                .ToArray();
        }
    }

    (List<VariantEntry> Entries, List<string> Conflicts, Dictionary<LoadedPlugin, List<string>> ByPlugin) Resolve()
    {
        var entries = new List<VariantEntry>();
        var conflicts = new List<string>();
        var byPlugin = new Dictionary<LoadedPlugin, List<string>>();
        var seen = new Dictionary<string, VariantEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in Plugins)
            foreach (var a in p.Architectures)
                foreach (var v in a.Variants)
                {
                    if (seen.TryGetValue(v.Name, out var first))
                    {
                        conflicts.Add($"variant '{v.Name}' of {p.Path} is ignored: {first.Plugin.Path} already provides it");
                        if (!byPlugin.TryGetValue(p, out var lost)) byPlugin[p] = lost = new List<string>();
                        lost.Add($"variant '{v.Name}' is ignored: {first.Plugin.Path} already provides it; rename it in this plugin");
                        continue;
                    }
                    var e = new VariantEntry(v, a, p);
                    seen[v.Name] = e;
                    entries.Add(e);
                }
        return (entries, conflicts, byPlugin);
    }

    /// <summary>Finds a variant by name (case-insensitive), or null.</summary>
    public VariantEntry? FindVariant(string name) =>
        Variants.FirstOrDefault(e => string.Equals(e.Variant.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>All dataset providers, by name.</summary>
    public IReadOnlyList<IDatasetProvider> Datasets => Plugins.SelectMany(p => p.Datasets).ToArray();
    /// <summary>All schedule factories.</summary>
    public IReadOnlyList<IScheduleFactory> Schedules => Plugins.SelectMany(p => p.Schedules).ToArray();
    public IReadOnlyList<IOptimizerFactory> Optimizers => Plugins.SelectMany(p => p.Optimizers).ToArray();
    /// <summary>All per-image augmentation factories.</summary>
    public IReadOnlyList<IAugmentationFactory> Augmentations => Plugins.SelectMany(p => p.Augmentations).ToArray();
    /// <summary>All batch augmentation factories.</summary>
    public IReadOnlyList<IBatchAugmentationFactory> BatchAugmentations => Plugins.SelectMany(p => p.BatchAugmentations).ToArray();

    /// <summary>
    /// Brings the catalogue in step with the directories now: loads new plugins, reloads changed ones,
    /// unloads removed ones. Returns a description of each change (empty when nothing changed).
    /// </summary>
    public IReadOnlyList<string> Refresh()
    {
        var found = PluginFolders.Discover(_directories);
        return Apply(found);
    }

    IReadOnlyList<string> Apply(Dictionary<string, string> files)
    {
        var changes = new List<string>();
        lock (_gate)
        {
            if (_disposed) return changes;
            var plan = Plan(files);
            var found = plan.ToDictionary(kv => kv.Key, kv => kv.Value.Fingerprint, StringComparer.Ordinal);
            foreach (var path in _byPath.Keys.Except(found.Keys).ToList())
            {
                Unload(path);
                changes.Add($"removed {path}");
            }
            foreach (var (path, fingerprint) in found)
            {
                if (_byPath.TryGetValue(path, out var current))
                {
                    if (current.Fingerprint == fingerprint) continue;
                    Unload(path);
                    changes.Add(Describe("reloaded", path, Settle(path, plan[path])));
                }
                else
                    changes.Add(Describe("loaded", path, Settle(path, plan[path])));
            }
        }
        return changes;
    }

    /// <summary>
    /// Polls the directories every <paramref name="interval"/> and applies a change once it has been stable
    /// for one interval (so a half-copied assembly is never loaded), raising <see cref="Changed"/>.
    /// </summary>
    public void StartWatching(TimeSpan interval)
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = new Timer(_ => Poll(), null, interval, interval);
        }
    }

    void Poll()
    {
        try
        {
            var files = PluginFolders.Discover(_directories);
            Dictionary<string, string> found;
            lock (_gate) found = Plan(files).ToDictionary(kv => kv.Key, kv => kv.Value.Fingerprint, StringComparer.Ordinal);
            Dictionary<string, string> current;
            lock (_gate) current = _byPath.ToDictionary(kv => kv.Key, kv => kv.Value.Fingerprint);
            if (SameSet(found, current)) { _pending = null; return; }
            // Wait until two polls agree, so files still being written are not loaded.
            if (_pending is null || !SameSet(found, _pending)) { _pending = found; return; }
            _pending = null;
            var changes = Apply(files);
            if (changes.Count > 0) Changed?.Invoke(string.Join(Environment.NewLine, changes));
        }
        catch (Exception e)
        {
            Changed?.Invoke($"plugin scan failed: {e.Message}");
        }
    }

    static string Describe(string verb, string path, Entry e) => e.State switch
    {
        PluginState.Loaded => $"{verb} {path}",
        PluginState.Failed => $"failed {path}: {e.Reason}",
        _ => $"{e.State.ToString().ToLowerInvariant()} {path}: {e.Reason}",
    };

    /// <summary>
    /// Decides, before loading anything, what becomes of each plugin found: its manifest and contract version are
    /// read from disk; a disabled name is not loaded; of several plugins with one name only the newest version
    /// (the first by path among equals) is. The decision is part of the fingerprint, so a change of settings or a
    /// newer copy dropped elsewhere reloads the ones it affects.
    /// </summary>
    Dictionary<string, Entry> Plan(Dictionary<string, string> files)
    {
        var disabled = _settings?.Disabled() ?? new HashSet<string>();
        var pre = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (path, fingerprint) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            PluginManifest? manifest = null;
            string? manifestError = null;
            try { manifest = PluginManifest.ReadBeside(path); }
            catch (PluginLoadException e) { manifestError = e.Message; }
            catch (IOException e) { manifestError = e.Message; }
            var name = manifest?.Name ?? System.IO.Path.GetFileNameWithoutExtension(path);
            var contract = PluginAssemblies.ReferencedContract(path);
            var contractText = contract is null ? null : $"{contract.Major}.{contract.Minor}";
            pre[path] = manifestError is not null
                ? new Entry(fingerprint, name, null, contractText, null, null, PluginState.Failed, manifestError)
                : disabled.Contains(name)
                    ? new Entry(fingerprint, name, manifest, contractText, null, null, PluginState.Disabled,
                                $"disabled in {_settings!.Path}; `zoo plugins enable {name}` loads it again")
                    : new Entry(fingerprint, name, manifest, contractText, null, null, PluginState.Loaded, null);
        }
        foreach (var group in pre.Where(kv => kv.Value.State == PluginState.Loaded).GroupBy(kv => kv.Value.Name, StringComparer.OrdinalIgnoreCase))
        {
            if (group.Count() < 2) continue;
            var newest = group.OrderByDescending(kv => kv.Value.Manifest?.Version, Comparer<string?>.Create(PluginManifest.CompareVersions)).ThenBy(kv => kv.Key, StringComparer.Ordinal).First();
            foreach (var (path, e) in group.Where(kv => kv.Key != newest.Key).ToList())
            {
                var v = e.Manifest?.Version ?? "(no version)";
                var reason = PluginManifest.CompareVersions(e.Manifest?.Version, newest.Value.Manifest?.Version) < 0
                    ? $"version {v} is superseded by version {newest.Value.Manifest?.Version ?? "(no version)"} of {e.Name} at {newest.Key}; delete this copy"
                    : $"{newest.Key} is the same plugin ({e.Name} {v}) and was found first; delete one of the two copies";
                pre[path] = e with { State = PluginState.Superseded, Reason = reason };
            }
        }
        // A plugin to load keeps its file fingerprint; one not loaded records why, so that a change of decision counts as a change.
        return pre.ToDictionary(kv => kv.Key, kv => kv.Value.State == PluginState.Loaded
            ? kv.Value
            : kv.Value with { Fingerprint = $"{kv.Value.Fingerprint}|{kv.Value.State}|{kv.Value.Reason}" }, StringComparer.Ordinal);
    }

    /// <summary>Loads a plugin the plan lets load, or records the plan's decision; returns the entry now kept.</summary>
    Entry Settle(string path, Entry planned)
    {
        if (planned.State != PluginState.Loaded)
        {
            var failure = planned.State == PluginState.Failed ? new PluginFailure(path, planned.Reason!) : null;
            return _byPath[path] = planned with { Failure = failure };
        }
        var (plugin, fail) = PluginAssemblies.Load(path, _directories);
        return _byPath[path] = plugin is not null
            ? planned with { Plugin = plugin }
            : planned with { Failure = fail, State = PluginState.Failed, Reason = fail!.Reason };
    }

    static bool SameSet(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    void Unload(string path)
    {
        if (_byPath.Remove(path, out var entry)) entry.Plugin?.Unload();
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _timer?.Dispose();
            foreach (var path in _byPath.Keys.ToList()) Unload(path);
            foreach (var b in _builtIns) b.Services.Dispose();
        }
    }
}
