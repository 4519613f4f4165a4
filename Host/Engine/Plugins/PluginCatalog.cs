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
    readonly Dictionary<string, (string Fingerprint, LoadedPlugin? Plugin, PluginFailure? Failure)> _byPath = new();
    Timer? _timer;
    Dictionary<string, string>? _pending;
    bool _disposed;

    /// <summary>Creates the catalogue over the given directories (made absolute) and the host's built-in contributions.</summary>
    public PluginCatalog(IEnumerable<string> directories, IEnumerable<IZooPlugin> builtIns)
    {
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

    (List<VariantEntry> Entries, List<string> Conflicts) Resolve()
    {
        var entries = new List<VariantEntry>();
        var conflicts = new List<string>();
        var seen = new Dictionary<string, VariantEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in Plugins)
            foreach (var a in p.Architectures)
                foreach (var v in a.Variants)
                {
                    if (seen.TryGetValue(v.Name, out var first))
                    {
                        conflicts.Add($"variant '{v.Name}' of {p.Path} is ignored: {first.Plugin.Path} already provides it");
                        continue;
                    }
                    var e = new VariantEntry(v, a, p);
                    seen[v.Name] = e;
                    entries.Add(e);
                }
        return (entries, conflicts);
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

    IReadOnlyList<string> Apply(Dictionary<string, string> found)
    {
        var changes = new List<string>();
        lock (_gate)
        {
            if (_disposed) return changes;
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
                    var reloaded = Load(path, fingerprint);
                    changes.Add(reloaded.Failure is null ? $"reloaded {path}" : $"failed {path}: {reloaded.Failure.Reason}");
                }
                else
                {
                    var loaded = Load(path, fingerprint);
                    changes.Add(loaded.Failure is null ? $"loaded {path}" : $"failed {path}: {loaded.Failure.Reason}");
                }
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
            var found = Discover();
            Dictionary<string, string> current;
            lock (_gate) current = _byPath.ToDictionary(kv => kv.Key, kv => kv.Value.Fingerprint);
            if (SameSet(found, current)) { _pending = null; return; }
            // Wait until two polls agree, so files still being written are not loaded.
            if (_pending is null || !SameSet(found, _pending)) { _pending = found; return; }
            _pending = null;
            var changes = Apply(found);
            if (changes.Count > 0) Changed?.Invoke(string.Join(Environment.NewLine, changes));
        }
        catch (Exception e)
        {
            Changed?.Invoke($"plugin scan failed: {e.Message}");
        }
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

    (LoadedPlugin? Plugin, PluginFailure? Failure) Load(string path, string fingerprint)
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
            _byPath[path] = (fingerprint, plugin, null);
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
            var failure = new PluginFailure(path, reason);
            _byPath[path] = (fingerprint, null, failure);
            return (null, failure);
        }
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
