using System.Text.Json;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;

namespace Zoo.Host.Tests;

/// <summary>
/// The manifest and status of each plugin (issue 14): read before loading, disabled by name, superseded by a newer
/// copy, conflicting variant names, failures with path and reason; and `zoo plugins` over the same.
/// </summary>
public sealed class PluginStatusTests
{
    static string Fixture(string name) => Path.Combine(TestEnvironment.Fixtures, name);

    static void SetManifest(string folder, string field, string value)
    {
        var file = Path.Combine(folder, PluginManifest.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(file))!;
        json[field] = value;
        File.WriteAllText(file, json.ToJsonString());
    }

    static PluginStatus Status(PluginCatalog c, string folder) =>
        c.Statuses.Single(s => s.Path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    [Fact]
    public void The_build_writes_a_manifest_that_the_catalogue_reports_with_the_variants_after_loading()
    {
        using var temp = new TempFolder("zoo-status");
        var dir = temp.Path;
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "TinyNet"));
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.Throwing"), Path.Combine(dir, "Throwing"));
        using var c = new PluginCatalog(new[] { dir }, Array.Empty<Zoo.Abstractions.IZooPlugin>());
        c.Refresh();

        var tiny = Status(c, Path.Combine(dir, "TinyNet"));
        Assert.Equal(PluginState.Loaded, tiny.State);
        Assert.Equal("Zoo.Fixtures.TinyNet", tiny.Name);
        Assert.Equal("1.0.0", tiny.Version);
        Assert.Equal($"{Zoo.Abstractions.ZooContract.Version}.{Zoo.Abstractions.ZooContract.MinorVersion}", tiny.Manifest!.ContractVersion);
        Assert.Equal(tiny.Manifest.ContractVersion, tiny.ContractVersion);
        Assert.Equal("Zoo.Fixtures.TinyNet.dll", tiny.Manifest.Assembly);
        Assert.Equal(new[] { "tinynet" }, tiny.Variants);

        var throwing = Status(c, Path.Combine(dir, "Throwing"));
        Assert.Equal(PluginState.Failed, throwing.State);
        Assert.Contains("ConfigureServices threw", throwing.Reason);
        Assert.EndsWith("Zoo.Fixtures.Throwing.dll", throwing.Path);

        // zoo list --json carries the same statuses.
        var json = CatalogueView.Of(c).ToJson().ToJsonString();
        using var doc = JsonDocument.Parse(json);
        var states = doc.RootElement.GetProperty("plugin_status").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p);
        Assert.Equal("loaded", states["Zoo.Fixtures.TinyNet"].GetProperty("state").GetString());
        Assert.Equal("1.0.0", states["Zoo.Fixtures.TinyNet"].GetProperty("manifest").GetProperty("version").GetString());
        Assert.Equal("failed", states["Zoo.Fixtures.Throwing"].GetProperty("state").GetString());
        Assert.Contains("registration exploded on purpose", states["Zoo.Fixtures.Throwing"].GetProperty("reason").GetString());

        // The terminal UI shows the same: the failed plugin in its run pane, the plugin's state in a variant's details.
        var ui = new Zoo.Tui.UiModel(c, new Zoo.Engine.Suites.SuiteRunner(c));
        Assert.Contains(ui.PluginProblems(), l => l.StartsWith("plugin Zoo.Fixtures.Throwing (failed): ", StringComparison.Ordinal) && l.Contains("registration exploded on purpose"));
        Assert.Contains("Plugin: Zoo.Fixtures.TinyNet 1.0.0", ui.Details(ui.Rows().Single(r => r.Name == "tinynet")));
    }

    [Fact]
    public void A_disabled_plugin_is_found_but_not_loaded_until_it_is_enabled_again()
    {
        using var temp = new TempFolder("zoo-status");
        var dir = temp.Path;
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "plugins", "TinyNet"));
        var settings = new PluginSettings(Path.Combine(dir, "config", "plugins.json"));
        Assert.True(settings.SetDisabled("zoo.fixtures.tinynet", true));   // names match whatever their case
        Assert.False(settings.SetDisabled("Zoo.Fixtures.TinyNet", true));
        using var c = new PluginCatalog(new[] { Path.Combine(dir, "plugins") }, Array.Empty<Zoo.Abstractions.IZooPlugin>(), settings);
        c.Refresh();
        var s = Status(c, Path.Combine(dir, "plugins", "TinyNet"));
        Assert.Equal(PluginState.Disabled, s.State);
        Assert.Contains("zoo plugins enable Zoo.Fixtures.TinyNet", s.Reason);
        Assert.Equal("1.0.0", s.Version);   // the manifest was read without loading the plugin
        Assert.Null(c.FindVariant("tinynet"));

        Assert.True(settings.SetDisabled("Zoo.Fixtures.TinyNet", false));
        Assert.Contains(c.Refresh(), change => change.StartsWith("reloaded", StringComparison.Ordinal));
        Assert.Equal(PluginState.Loaded, Status(c, Path.Combine(dir, "plugins", "TinyNet")).State);
        Assert.NotNull(c.FindVariant("tinynet"));
    }

    [Fact]
    public void Of_two_copies_of_one_plugin_the_newer_loads_and_the_older_is_superseded()
    {
        using var temp = new TempFolder("zoo-status");
        var dir = temp.Path;
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "A"));
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "B"));
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "C"));
        SetManifest(Path.Combine(dir, "B"), "version", "1.10.0");
        SetManifest(Path.Combine(dir, "C"), "version", "1.10.0-beta");
        using var c = new PluginCatalog(new[] { dir }, Array.Empty<Zoo.Abstractions.IZooPlugin>());
        c.Refresh();
        Assert.Equal(PluginState.Loaded, Status(c, Path.Combine(dir, "B")).State);
        var a = Status(c, Path.Combine(dir, "A"));
        Assert.Equal(PluginState.Superseded, a.State);
        Assert.Contains("version 1.0.0 is superseded by version 1.10.0", a.Reason);
        Assert.Contains(Path.Combine(dir, "B"), a.Reason);
        Assert.Equal(PluginState.Superseded, Status(c, Path.Combine(dir, "C")).State);   // a pre-release is older than its release
        Assert.Empty(c.Conflicts);
        Assert.Empty(c.Failures);
    }

    [Fact]
    public void Two_plugins_with_one_variant_name_the_second_is_conflicting_and_a_broken_manifest_fails_naming_the_file()
    {
        using var temp = new TempFolder("zoo-status");
        var dir = temp.Path;
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "A"));
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "B"));
        SetManifest(Path.Combine(dir, "B"), "name", "OtherNets");
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "Broken"));
        File.WriteAllText(Path.Combine(dir, "Broken", PluginManifest.FileName), "{ \"name\": ");
        using var c = new PluginCatalog(new[] { dir }, Array.Empty<Zoo.Abstractions.IZooPlugin>());
        c.Refresh();
        Assert.Equal(PluginState.Loaded, Status(c, Path.Combine(dir, "A")).State);
        var b = Status(c, Path.Combine(dir, "B"));
        Assert.Equal(PluginState.Conflicting, b.State);
        Assert.Equal("OtherNets", b.Name);
        Assert.Contains("variant 'tinynet' is ignored", b.Reason);
        Assert.Contains("rename it", b.Reason);
        var broken = Status(c, Path.Combine(dir, "Broken"));
        Assert.Equal(PluginState.Failed, broken.State);
        Assert.Contains(Path.Combine(dir, "Broken", PluginManifest.FileName), broken.Reason);
        Assert.Contains("not valid JSON", broken.Reason);
    }

    [Fact]
    public void Zoo_plugins_lists_states_and_disable_and_enable_persist_between_commands()
    {
        using var temp = new TempFolder("zoo-status");
        var dir = temp.Path;
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.TinyNet"), Path.Combine(dir, "plugins", "TinyNet"));
        TestEnvironment.CopyDirectory(Fixture("Zoo.Fixtures.Throwing"), Path.Combine(dir, "plugins", "Throwing"));
        var env = new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = Path.Combine(dir, "config") };
        var plugins = Path.Combine(dir, "plugins");
        string State(string name)
        {
            var (code, stdout, stderr) = TestEnvironment.RunZoo(env, "--plugins", plugins, "plugins", "--json");
            Assert.True(code == 0, stderr);
            using var doc = JsonDocument.Parse(stdout);
            return doc.RootElement.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == name).GetProperty("state").GetString()!;
        }
        Assert.Equal("loaded", State("Zoo.Fixtures.TinyNet"));
        Assert.Equal("failed", State("Zoo.Fixtures.Throwing"));

        var disable = TestEnvironment.RunZoo(env, "--plugins", plugins, "plugins", "disable", "zoo.fixtures.tinynet");
        Assert.True(disable.Code == 0, disable.Err);
        Assert.True(File.Exists(Path.Combine(dir, "config", "zoo", "plugins.json")));
        Assert.Equal("disabled", State("Zoo.Fixtures.TinyNet"));
        var text = TestEnvironment.RunZoo(env, "--plugins", plugins, "plugins");
        Assert.Matches(@"Zoo\.Fixtures\.TinyNet\s+disabled\s+1\.0\.0", text.Out);
        Assert.Contains("Zoo.Fixtures.Throwing (failed): ", text.Out);

        var typo = TestEnvironment.RunZoo(env, "--plugins", plugins, "plugins", "disable", "TinyNett");
        Assert.Equal(2, typo.Code);
        Assert.Contains("no plugin named 'TinyNett'", typo.Err);
        Assert.Contains("Zoo.Fixtures.TinyNet", typo.Err);

        var enable = TestEnvironment.RunZoo(env, "--plugins", plugins, "plugins", "enable", "Zoo.Fixtures.TinyNet");
        Assert.True(enable.Code == 0, enable.Err);
        Assert.Equal("loaded", State("Zoo.Fixtures.TinyNet"));
    }
}
