using System.Text.RegularExpressions;

namespace Zoo.Host.Tests;

/// <summary>
/// The engine stays apart from its front-ends (issue 18): Zoo.Engine references no terminal UI and no
/// argument parser and writes nothing to the console, and the host's projects keep their code in
/// folders, with only an entry point or the service registration at a project's root.
/// </summary>
public sealed class LayoutTests
{
    static string Engine => Path.Combine(TestEnvironment.Root, "Host", "Engine");

    [Fact]
    public void The_engine_project_references_neither_Terminal_Gui_nor_System_CommandLine()
    {
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(Engine, "Zoo.Engine.csproj"));
        var references = project.Descendants()
            .Where(e => e.Name.LocalName is "PackageReference" or "ProjectReference")
            .Select(e => (string?)e.Attribute("Include") ?? "")
            .ToList();
        Assert.Contains("TorchSharp", references);   // the file read is the real one
        Assert.DoesNotContain(references, r => r.Contains("Terminal.Gui", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(references, r => r.Contains("System.CommandLine", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(references, r => r.Contains("Zoo.Tui", StringComparison.Ordinal) || r.Contains("Zoo.Cli", StringComparison.Ordinal));
    }

    [Fact]
    public void No_engine_source_writes_to_the_console_or_uses_a_front_end()
    {
        var sources = Directory.EnumerateFiles(Engine, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .ToList();
        Assert.True(sources.Count > 20, $"only {sources.Count} engine sources found under {Engine}");
        var offenders = sources
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => Regex.IsMatch(l.Text, @"\bConsole\s*\.|using\s+Terminal\.Gui|using\s+System\.CommandLine|\bZoo\.(Cli|Tui)\b"))
            .Where(l => !l.Text.TrimStart().StartsWith("//", StringComparison.Ordinal) && !l.Text.TrimStart().StartsWith("///", StringComparison.Ordinal))
            .Select(l => $"{Path.GetRelativePath(TestEnvironment.Root, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "the engine must report through events or writers it is given:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void Host_projects_keep_no_loose_source_at_their_root_but_the_entry_point_and_the_service_registration()
    {
        var allowed = new[] { "Program.cs", "ZooServices.cs" };
        var projects = Directory.EnumerateFiles(Path.Combine(TestEnvironment.Root, "Host"), "*.csproj", SearchOption.AllDirectories).ToList();
        Assert.Contains(projects, p => p.EndsWith("Zoo.Engine.csproj", StringComparison.Ordinal));
        Assert.Contains(projects, p => p.EndsWith("Zoo.Cli.csproj", StringComparison.Ordinal));
        Assert.Contains(projects, p => p.EndsWith("Zoo.Tui.csproj", StringComparison.Ordinal));
        var loose = projects
            .SelectMany(p => Directory.EnumerateFiles(Path.GetDirectoryName(p)!, "*.cs", SearchOption.TopDirectoryOnly))
            .Where(f => !allowed.Contains(Path.GetFileName(f)))
            .Select(f => Path.GetRelativePath(TestEnvironment.Root, f))
            .ToList();
        Assert.True(loose.Count == 0, "move these into a folder of their project: " + string.Join(", ", loose));
        // Nothing is left in the old single-project layout either.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(TestEnvironment.Root, "Host"), "*.cs", SearchOption.TopDirectoryOnly));
    }
}
