using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.CompilerServices;
using Zoo.Engine.Plugins;

namespace Zoo.Host.Tests;

public sealed class PluginCatalogTests
{
    static string Family(string name) => Path.Combine(TestEnvironment.PluginDrop, name);

    static PluginCatalog Catalog(params string[] dirs)
    {
        var c = new PluginCatalog(dirs, new[] { new BuiltInPlugin() });
        c.Refresh();
        return c;
    }

    [Fact]
    public void The_three_built_in_families_load_from_separate_assemblies()
    {
        using var catalog = Catalog(TestEnvironment.PluginDrop);
        Assert.Empty(catalog.Failures);
        var names = catalog.Variants.Select(v => v.Variant.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "lenet5", "resnet18", "mobilenet_v2", "convnext_tiny" }, names);
        var assemblies = catalog.Variants.Select(v => v.Plugin.Path).Distinct().ToList();
        Assert.Equal(3, assemblies.Count);
        Assert.All(assemblies, p => Assert.StartsWith(TestEnvironment.PluginDrop, p));
        Assert.Equal("Classic", catalog.FindVariant("ResNet18")!.Architecture.Family);   // case-insensitive lookup
        Assert.Contains(catalog.Datasets, d => d.Name == "shapes");
    }

    [Fact]
    public void Broken_plugins_are_reported_with_path_and_reason_and_the_others_still_load()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            TestEnvironment.CopyDirectory(Family("Classic"), Path.Combine(dir, "Classic"));

            Directory.CreateDirectory(Path.Combine(dir, "Garbage"));
            File.WriteAllBytes(Path.Combine(dir, "Garbage", "Garbage.dll"), Enumerable.Range(0, 4096).Select(i => (byte)(i * 31)).ToArray());

            Directory.CreateDirectory(Path.Combine(dir, "NotAPlugin"));
            File.Copy(Path.Combine(Family("Classic"), "Zoo.Layers.dll"), Path.Combine(dir, "NotAPlugin", "Zoo.Layers.dll"));

            TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.Throwing"), Path.Combine(dir, "Throwing"));

            TestEnvironment.CopyDirectory(Path.Combine(TestEnvironment.Fixtures, "Zoo.Fixtures.MissingDependency"), Path.Combine(dir, "Missing"));
            File.Delete(Path.Combine(dir, "Missing", "Zoo.Fixtures.Dependency.dll"));

            TestEnvironment.CopyDirectory(Family("Lightweight"), Path.Combine(dir, "Future"));
            SetReferencedContract(Path.Combine(dir, "Future", "Zoo.Plugins.Lightweight.dll"), 2, 0);

            using var catalog = Catalog(dir);
            string Reason(string folder) => catalog.Failures.Single(f => f.Path.StartsWith(Path.Combine(dir, folder) + Path.DirectorySeparatorChar)).Reason;

            Assert.Equal(5, catalog.Failures.Count);
            Assert.Contains("not a .NET assembly", Reason("Garbage"));
            Assert.Contains("not a Zoo plugin", Reason("NotAPlugin"));
            Assert.Contains("registration exploded on purpose", Reason("Throwing"));
            Assert.Contains("ConfigureServices threw", Reason("Throwing"));
            Assert.Contains("Zoo.Fixtures.Dependency", Reason("Missing"));
            Assert.Contains("contract 2.0", Reason("Future"));
            Assert.Contains("rebuild the plugin", Reason("Future"));

            // The healthy plugin is unaffected.
            Assert.NotNull(catalog.FindVariant("resnet18"));
            Assert.Null(catalog.FindVariant("mobilenet_v2"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Watching_adds_a_dropped_plugin_replaces_a_rebuilt_one_removes_a_deleted_one_and_unloads_it()
    {
        var dir = TestEnvironment.NewTempDirectory();
        try
        {
            using var catalog = Catalog(dir);
            Assert.Empty(catalog.Variants);
            var changes = new List<string>();
            catalog.Changed += c => { lock (changes) changes.Add(c); };
            catalog.StartWatching(TimeSpan.FromMilliseconds(100));

            // Drop a plugin in.
            var folder = Path.Combine(dir, "Family");
            TestEnvironment.CopyDirectory(Family("Classic"), folder);
            WaitUntil(() => Has(catalog, "resnet18"), "the dropped plugin to appear");
            var firstContext = WeakContextOf(catalog, "resnet18");

            // "Rebuild" it: the folder's assembly now is another family.
            foreach (var f in Directory.GetFiles(folder)) File.Delete(f);
            TestEnvironment.CopyDirectory(Family("Lightweight"), folder);
            WaitUntil(() => Has(catalog, "mobilenet_v2") && !Has(catalog, "resnet18"), "the rebuilt plugin to replace the old one");
            Assert.True(Collected(firstContext), "the replaced plugin's load context was not unloaded");

            // A broken plugin dropped in is reported; the loaded one stays.
            Directory.CreateDirectory(Path.Combine(dir, "Broken"));
            File.WriteAllText(Path.Combine(dir, "Broken", "Broken.dll"), "not an assembly");
            WaitUntil(() => catalog.Failures.Count == 1, "the broken plugin to be reported");
            Assert.True(Has(catalog, "mobilenet_v2"));

            // Delete it.
            var secondContext = WeakContextOf(catalog, "mobilenet_v2");
            Directory.Delete(folder, recursive: true);
            WaitUntil(() => !Has(catalog, "mobilenet_v2"), "the deleted plugin to disappear");
            Assert.True(Collected(secondContext), "the deleted plugin's load context was not unloaded");
            lock (changes) Assert.Contains(changes, c => c.Contains("removed"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // Helpers that touch plugin objects are kept out of the test method: an unoptimised (Debug) frame keeps
    // its temporaries alive to the end, which would pin the load context the test expects to be collected.
    [MethodImpl(MethodImplOptions.NoInlining)]
    static bool Has(PluginCatalog catalog, string variant) => catalog.FindVariant(variant) is not null;

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference WeakContextOf(PluginCatalog catalog, string variant) => catalog.FindVariant(variant)!.Plugin.LoadContext!;

    static bool Collected(WeakReference context)
    {
        for (int i = 0; i < 200 && context.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Thread.Sleep(20);
        }
        return !context.IsAlive;
    }

    static void WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Rewrites the major version of the assembly's reference to Zoo.Abstractions, as if it were built against another contract.</summary>
    [Fact]
    public void A_plugin_built_against_an_older_minor_contract_still_loads()
    {
        // Contract 1.1 added IFeatureExtractor, 1.2 IPretrainedWeights, 1.3 IGradCamTarget and 1.4 Param; a plugin that references Zoo.Abstractions 1.0 must not notice.
        var dir = TestEnvironment.NewTempDirectory("zoo-older-minor");
        try
        {
            TestEnvironment.CopyDirectory(Family("Lightweight"), Path.Combine(dir, "Older"));
            SetReferencedContract(Path.Combine(dir, "Older", "Zoo.Plugins.Lightweight.dll"), 1, 0);
            using var catalog = Catalog(dir);
            Assert.Empty(catalog.Failures);
            Assert.NotNull(catalog.FindVariant("mobilenet_v2"));
            Assert.Equal(4, Zoo.Abstractions.ZooContract.MinorVersion);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static void SetReferencedContract(string path, ushort major, ushort minor)
    {
        var bytes = File.ReadAllBytes(path);
        int offset;
        using (var pe = new PEReader(new MemoryStream(bytes)))
        {
            var md = pe.GetMetadataReader();
            int tableStart = md.GetTableMetadataOffset(TableIndex.AssemblyRef);
            int rowSize = md.GetTableRowSize(TableIndex.AssemblyRef);
            int row = md.AssemblyReferences.Select((h, i) => (h, i)).Single(x => md.GetString(md.GetAssemblyReference(x.h).Name) == "Zoo.Abstractions").i;
            offset = pe.PEHeaders.MetadataStartOffset + tableStart + row * rowSize;   // MajorVersion is the row's first field
        }
        BitConverter.GetBytes(major).CopyTo(bytes, offset);
        BitConverter.GetBytes(minor).CopyTo(bytes, offset + 2);   // MinorVersion follows it
        File.WriteAllBytes(path, bytes);
    }
}
