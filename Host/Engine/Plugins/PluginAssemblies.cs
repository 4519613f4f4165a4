using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;
using Zoo.Abstractions;

namespace Zoo.Engine.Plugins;

/// <summary>
/// Loads one plugin assembly into its own unloadable load context (McMaster.NETCore.Plugins), sharing the contracts,
/// TorchSharp and the DI abstractions with the host, after checking from its metadata, without loading it, that it was
/// built against this host's contract major version; creates its <see cref="IZooPlugin"/>s and their services.
/// Every way this can fail becomes a <see cref="PluginFailure"/> with a reason for the plugin's author.
/// </summary>
static class PluginAssemblies
{
    static readonly Type[] SharedTypes =
    {
        typeof(IZooPlugin),          // Zoo.Abstractions
        typeof(torch),               // TorchSharp
        typeof(IServiceCollection),  // Microsoft.Extensions.DependencyInjection.Abstractions
    };

    public static (LoadedPlugin? Plugin, PluginFailure? Failure) Load(string path, IReadOnlyList<string> directories)
    {
        PluginLoader? loader = null;
        try
        {
            CheckContract(path);
            // Hashed before loading: the loader reads the files into memory, after which they may be rebuilt.
            var folder = System.IO.Path.GetDirectoryName(path)!;
            var assemblies = directories.Any(d => System.IO.Path.TrimEndingDirectorySeparator(d) == folder) ? new[] { path } : PluginFolders.SafeFiles(folder, "*.dll", SearchOption.AllDirectories);
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
    public static Version? ReferencedContract(string path)
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
}

/// <summary>Why a plugin could not be loaded, in words for its author.</summary>
public sealed class PluginLoadException : Exception
{
    public PluginLoadException(string message) : base(message) { }
}
