using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Security.Cryptography;
using System.Text;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;

namespace Zoo.Engine.Plugins;

/// <summary>One plugin the catalogue loaded, with what it contributes.</summary>
public sealed class LoadedPlugin
{
    internal LoadedPlugin(string name, string path, PluginLoader? loader, ServiceProvider services, string? assemblyHash = null)
    {
        Name = name;
        Path = path;
        AssemblyHash = assemblyHash;
        Loader = loader;
        Services = services;
        Architectures = services.GetServices<IArchitecture>().ToArray();
        Datasets = services.GetServices<IDatasetProvider>().ToArray();
        Augmentations = services.GetServices<IAugmentationFactory>().ToArray();
        BatchAugmentations = services.GetServices<IBatchAugmentationFactory>().ToArray();
        Schedules = services.GetServices<IScheduleFactory>().ToArray();
        Optimizers = services.GetServices<IOptimizerFactory>().ToArray();
        LoadContext = loader is null ? null : new WeakReference(loader.LoadContext);
    }

    /// <summary>The plugin's name(s) as its entry points give them.</summary>
    public string Name { get; }
    /// <summary>The main assembly's absolute path ("(built-in)" for the host's own).</summary>
    public string Path { get; }
    /// <summary>
    /// SHA-256 of the plugin's assemblies as they were loaded (the main one and, for a plugin in a folder of
    /// its own, every .dll in that folder, so a rebuilt shared-layers assembly counts too); null for the
    /// host's built-in contributions. A rerun of a suite compares it to know that a model may have changed.
    /// </summary>
    public string? AssemblyHash { get; }
    internal PluginLoader? Loader { get; }
    internal ServiceProvider Services { get; }
    /// <summary>A weak reference to the plugin's load context, to check that an unload really happened.</summary>
    public WeakReference? LoadContext { get; }
    public IReadOnlyList<IArchitecture> Architectures { get; }
    public IReadOnlyList<IDatasetProvider> Datasets { get; }
    public IReadOnlyList<IAugmentationFactory> Augmentations { get; }
    public IReadOnlyList<IBatchAugmentationFactory> BatchAugmentations { get; }
    public IReadOnlyList<IScheduleFactory> Schedules { get; }
    public IReadOnlyList<IOptimizerFactory> Optimizers { get; }

    internal void Unload()
    {
        Services.Dispose();
        Loader?.Dispose();
    }
}

/// <summary>A plugin that could not be loaded: where it is and why.</summary>
public sealed record PluginFailure(string Path, string Reason);

/// <summary>A variant found in the catalogue, with the architecture and plugin that provide it.</summary>
public sealed record VariantEntry(ArchitectureVariant Variant, IArchitecture Architecture, LoadedPlugin Plugin);

/// <summary>
/// Finds plugin assemblies in plugin directories, loads each into its own unloadable load context
/// (McMaster.NETCore.Plugins, sharing the contracts, TorchSharp and DI abstractions with the host), and
/// keeps the catalogue in step with the directories: a new plugin is added, a rebuilt one replaced and a
/// deleted one removed while the host runs (<see cref="StartWatching"/>). A plugin that fails is recorded
/// with its path and reason; the others load regardless.
///
/// Layout: each sub-folder of a plugin directory is one plugin (its main assembly is the one with a
/// .deps.json beside it, or the one named like the folder, or the only .dll); a .dll directly in a plugin
/// directory is a plugin of its own.
/// </summary>
public sealed class PluginCatalog : IDisposable
{
    static readonly Type[] SharedTypes =
    {
        typeof(IZooPlugin),          // Zoo.Abstractions
        typeof(torch),               // TorchSharp
        typeof(IServiceCollection),  // Microsoft.Extensions.DependencyInjection.Abstractions
    };

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
        var found = Discover();
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
            var files = Discover();
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
            var contract = ReferencedContract(path);
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
        var (plugin, fail) = Load(path);
        return _byPath[path] = plugin is not null
            ? planned with { Plugin = plugin }
            : planned with { Failure = fail, State = PluginState.Failed, Reason = fail!.Reason };
    }

    static bool SameSet(Dictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>Main assembly path → fingerprint of the files that make up that plugin.</summary>
    Dictionary<string, string> Discover()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in _directories)
        {
            if (!Directory.Exists(dir)) continue;
            foreach (var dll in SafeFiles(dir, "*.dll"))
                result[dll] = Fingerprint(new[] { dll, System.IO.Path.ChangeExtension(dll, ".deps.json") });
            foreach (var sub in SafeDirectories(dir))
            {
                var main = MainAssembly(sub);
                if (main is null) continue;
                result[main] = Fingerprint(SafeFiles(sub, "*", SearchOption.AllDirectories));
            }
        }
        return result;
    }

    static string? MainAssembly(string folder)
    {
        var dlls = SafeFiles(folder, "*.dll");
        if (dlls.Length == 0) return null;
        // The manifest names the main assembly when there is one (a bad manifest is reported when the plugin is planned).
        try
        {
            if (PluginManifest.ReadIn(folder) is { Assembly: { } a } && File.Exists(System.IO.Path.Combine(folder, a))) return System.IO.Path.Combine(folder, a);
        }
        catch (Exception e) when (e is PluginLoadException or IOException) { }
        var withDeps = dlls.Where(d => File.Exists(System.IO.Path.ChangeExtension(d, ".deps.json"))).ToArray();
        if (withDeps.Length == 1) return withDeps[0];
        var named = System.IO.Path.Combine(folder, System.IO.Path.GetFileName(folder) + ".dll");
        if (File.Exists(named)) return named;
        if (dlls.Length == 1) return dlls[0];
        return withDeps.FirstOrDefault() ?? dlls.OrderBy(d => d, StringComparer.Ordinal).First();
    }

    static string[] SafeFiles(string dir, string pattern, SearchOption option = SearchOption.TopDirectoryOnly)
    {
        try { return Directory.GetFiles(dir, pattern, option).OrderBy(f => f, StringComparer.Ordinal).ToArray(); }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    static string[] SafeDirectories(string dir)
    {
        try { return Directory.GetDirectories(dir).OrderBy(f => f, StringComparer.Ordinal).ToArray(); }
        catch (IOException) { return Array.Empty<string>(); }
        catch (UnauthorizedAccessException) { return Array.Empty<string>(); }
    }

    static string Fingerprint(IEnumerable<string> files)
    {
        var sb = new StringBuilder();
        foreach (var f in files)
        {
            try
            {
                var info = new FileInfo(f);
                if (info.Exists) sb.Append(f).Append('|').Append(info.Length).Append('|').Append(info.LastWriteTimeUtc.Ticks).Append('\n');
            }
            catch (IOException) { }
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    (LoadedPlugin? Plugin, PluginFailure? Failure) Load(string path)
    {
        PluginLoader? loader = null;
        try
        {
            CheckContract(path);
            // Hashed before loading: the loader reads the files into memory, after which they may be rebuilt.
            var folder = System.IO.Path.GetDirectoryName(path)!;
            var assemblies = _directories.Any(d => System.IO.Path.TrimEndingDirectorySeparator(d) == folder) ? new[] { path } : SafeFiles(folder, "*.dll", SearchOption.AllDirectories);
            var assemblyHash = Suites.PluginIdentity.HashFiles(folder, assemblies);
            loader = PluginLoader.CreateFromAssemblyFile(path, isUnloadable: true, SharedTypes, config =>
            {
                config.PreferSharedTypes = true;
                config.LoadInMemory = true;   // the file stays free to be rebuilt or deleted
            });
            var assembly = loader.LoadDefaultAssembly();
            Type[] types;
            try { types = assembly.GetExportedTypes(); }
            catch (ReflectionTypeLoadException e)
            {
                var missing = e.LoaderExceptions.Where(x => x is not null).Select(x => x!.Message).Distinct();
                throw new PluginLoadException($"a dependency is missing or does not load: {string.Join("; ", missing)}");
            }
            catch (FileNotFoundException e)
            {
                throw new PluginLoadException($"a dependency is missing: {e.FileName ?? e.Message}");
            }
            var entryTypes = types.Where(t => typeof(IZooPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }
                                              && t.GetConstructor(Type.EmptyTypes) is not null).ToArray();
            if (entryTypes.Length == 0)
                throw new PluginLoadException("not a Zoo plugin: no public class implements IZooPlugin with a parameterless constructor");

            var services = new ServiceCollection();
            var names = new List<string>();
            foreach (var t in entryTypes)
            {
                IZooPlugin entry;
                try { entry = (IZooPlugin)Activator.CreateInstance(t)!; }
                catch (TargetInvocationException e) { throw new PluginLoadException($"{t.FullName} threw in its constructor: {e.InnerException?.Message}"); }
                try { entry.ConfigureServices(services); }
                catch (Exception e) { throw new PluginLoadException($"{t.FullName}.ConfigureServices threw: {e.GetType().Name}: {e.Message}"); }
                names.Add(entry.Name);
            }
            LoadedPlugin plugin;
            try { plugin = new LoadedPlugin(string.Join("+", names), path, loader, services.BuildServiceProvider(), assemblyHash); }
            catch (Exception e) { throw new PluginLoadException($"its services could not be created: {e.GetType().Name}: {e.Message}"); }
            return (plugin, null);
        }
        catch (Exception e)
        {
            try { loader?.Dispose(); } catch { /* the failure below is what matters */ }
            var reason = e switch
            {
                PluginLoadException p => p.Message,
                BadImageFormatException => "not a .NET assembly",
                FileNotFoundException f => $"a dependency is missing: {f.FileName ?? f.Message}",
                FileLoadException f => $"could not be loaded: {f.Message}",
                _ => $"{e.GetType().Name}: {e.Message}",
            };
            return (null, new PluginFailure(path, reason));
        }
    }

    /// <summary>The Zoo.Abstractions version the assembly references, read from its metadata without loading it; null when there is none to read.</summary>
    static Version? ReferencedContract(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var pe = new PEReader(stream);
            if (!pe.HasMetadata) return null;
            var md = pe.GetMetadataReader();
            var contractName = typeof(IZooPlugin).Assembly.GetName().Name;
            foreach (var h in md.AssemblyReferences)
            {
                var r = md.GetAssemblyReference(h);
                if (md.GetString(r.Name) == contractName) return r.Version;
            }
            return null;
        }
        catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Refuses a plugin compiled against another contract version, before loading any of it.</summary>
    static void CheckContract(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        if (!pe.HasMetadata) throw new PluginLoadException("not a .NET assembly");
        var md = pe.GetMetadataReader();
        var contractName = typeof(IZooPlugin).Assembly.GetName();
        foreach (var h in md.AssemblyReferences)
        {
            var r = md.GetAssemblyReference(h);
            if (md.GetString(r.Name) != contractName.Name) continue;
            if (r.Version.Major != contractName.Version!.Major)
                throw new PluginLoadException(
                    $"built against the Zoo contract {r.Version.Major}.{r.Version.Minor} (Zoo.Abstractions {r.Version}); this host provides {contractName.Version.Major}.{contractName.Version.Minor}: rebuild the plugin against this host's Zoo.Abstractions");
            return;
        }
        throw new PluginLoadException("not a Zoo plugin: it does not reference Zoo.Abstractions");
    }

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

/// <summary>Why a plugin could not be loaded, in words for its author.</summary>
public sealed class PluginLoadException : Exception
{
    public PluginLoadException(string message) : base(message) { }
}
