using System.Text.RegularExpressions;

namespace Zoo.Host.Tests;

/// <summary>
/// README is a front page and the reference lives in docs/, one page a subject (issue 27). These keep the pages true to
/// the repository they describe: docs/layout.md names every top-level folder and every project (its old text in README
/// said plugins/Modern held ConvNeXt only and left out Host/Reports, Analysis/ and Launch/), docs/command-line.md has an
/// entry for every verb the command's help lists, and every relative link in README.md and docs/*.md reaches a file of
/// the repository and, where it names one, a heading of that page.
/// </summary>
public sealed class DocsTests
{
    static string Root => TestEnvironment.Root.TrimEnd(Path.DirectorySeparatorChar);

    static string Read(string relative) => File.ReadAllText(Path.Combine(Root, relative));

    /// <summary>README.md and every page in docs/, as paths relative to the root with '/' separators.</summary>
    static IReadOnlyList<string> Pages() =>
        new[] { "README.md" }
            .Concat(Directory.EnumerateFiles(Path.Combine(Root, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)))
            .ToList();

    /// <summary>
    /// The repository's files relative to the root: what git tracks, so a developer's scratch folder is not part of the
    /// layout; where git cannot answer (a source archive), the files on disk without build output and dot-folders.
    /// </summary>
    static IReadOnlyList<string> RepositoryFiles()
    {
        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Root };
            foreach (var a in new[] { "ls-files", "-z" }) psi.ArgumentList.Add(a);
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            _ = p.StandardError.ReadToEndAsync();
            p.WaitForExit();
            var files = stdout.Result.Split('\0', StringSplitOptions.RemoveEmptyEntries);
            if (p.ExitCode == 0 && files.Length > 0) return files;
        }
        catch (System.ComponentModel.Win32Exception) { }   // no git on the PATH
        string[] output = ["bin", "obj", "artifacts", "results", "TestResults"];
        return Directory.EnumerateFiles(Root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Root, f).Replace(Path.DirectorySeparatorChar, '/'))
            .Where(f => !f.Split('/')[..^1].Any(folder => folder.StartsWith('.') || output.Contains(folder)))
            .ToList();
    }

    /// <summary>Markdown with its fenced code blocks blanked: a path or link shown as code is not a link.</summary>
    static string WithoutCodeBlocks(string markdown) => Regex.Replace(markdown, @"^```.*?^```[^\n]*$", "", RegexOptions.Singleline | RegexOptions.Multiline);

    [Fact]
    public void The_layout_page_names_every_top_level_folder_and_every_project_folder()
    {
        var layout = Read("docs/layout.md");
        var files = RepositoryFiles();
        var topLevel = files.Where(f => f.Contains('/')).Select(f => f.Split('/')[0]).Where(d => !d.StartsWith('.')).Distinct().ToList();
        var projects = files.Where(f => f.EndsWith(".csproj", StringComparison.Ordinal)).Select(f => f[..(f.LastIndexOf('/') + 1)]).Distinct().ToList();
        // The lists read are the real ones: the folders and projects this page was written from.
        Assert.Contains("Host", topLevel);
        Assert.Contains("docs", topLevel);
        Assert.Contains("Host/Reports/", projects);
        Assert.Contains("plugins/Modern/", projects);
        Assert.True(projects.Count >= 15, $"only {projects.Count} projects found: {string.Join(", ", projects)}");

        var missing = topLevel.Select(d => d + "/").Concat(projects)
            .Where(folder => !Regex.IsMatch(layout, $@"`{Regex.Escape(folder)}`"))
            .ToList();
        Assert.True(missing.Count == 0, "docs/layout.md does not name these folders (as `folder/`): " + string.Join(", ", missing));
    }

    [Fact]
    public void The_engine_folders_are_each_named_in_the_layout_page()
    {
        var layout = Read("docs/layout.md");
        var folders = Directory.EnumerateDirectories(Path.Combine(Root, "Host", "Engine"))
            .Select(Path.GetFileName)
            .Where(d => d is not ("bin" or "obj"))
            .Select(d => $"Host/Engine/{d}/")
            .ToList();
        Assert.Contains("Host/Engine/Analysis/", folders);
        Assert.Contains("Host/Engine/Launch/", folders);
        var missing = folders.Where(f => !layout.Contains($"`{f}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "docs/layout.md does not name these engine folders: " + string.Join(", ", missing));
    }

    /// <summary>The command names of a help text's "Commands:" section.</summary>
    static IReadOnlyList<string> Commands(string help)
    {
        var section = Regex.Match(help, @"^Commands:\s*\n(.*?)(?:\n\s*\n|\z)", RegexOptions.Singleline | RegexOptions.Multiline);
        if (!section.Success) return [];
        return section.Groups[1].Value.Split('\n')
            .Select(line => Regex.Match(line, @"^  (\S+)"))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToList();
    }

    static IReadOnlyList<string> Verbs()
    {
        var (code, help, err) = TestEnvironment.RunZoo("--help");
        Assert.True(code == 0, $"zoo --help exited {code}: {err}");
        var verbs = new List<string>();
        foreach (var verb in Commands(help))
        {
            verbs.Add(verb);
            var (subCode, subHelp, subErr) = TestEnvironment.RunZoo(verb, "--help");
            Assert.True(subCode == 0, $"zoo {verb} --help exited {subCode}: {subErr}");
            verbs.AddRange(Commands(subHelp).Select(sub => $"{verb} {sub}"));
        }
        return verbs;
    }

    /// <summary>
    /// The code spans that start with `zoo ` in the first cell of each table row and in each heading: a verb's entry is
    /// a table row whose first cell shows it (`zoo weights pull VARIANT[:NAME]`) or a heading that does.
    /// </summary>
    static IReadOnlyList<string> Entries(string page)
    {
        var entries = new List<string>();
        foreach (var line in WithoutCodeBlocks(page).Split('\n'))
        {
            string? where = null;
            if (line.StartsWith('#')) where = line;
            else if (line.StartsWith('|'))
            {
                // The first cell ends at the first pipe that is not escaped (options are written `a\|b`).
                var end = Regex.Match(line[1..], @"(?<!\\)\|");
                where = end.Success ? line[1..(end.Index + 1)] : line;
            }
            if (where is null) continue;
            entries.AddRange(Regex.Matches(where, @"`(zoo [^`]*)`").Select(m => m.Groups[1].Value.Replace(@"\|", "|")));
        }
        return entries;
    }

    [Fact]
    public void Every_verb_zoo_help_lists_has_an_entry_in_the_command_line_page()
    {
        var verbs = Verbs();
        // What was read is the real help: its verbs and their sub-verbs.
        Assert.Contains("run-suite", verbs);
        Assert.Contains("weights pull", verbs);
        Assert.Contains("bench memory", verbs);
        Assert.DoesNotContain("worker", verbs);   // hidden: the parent's own mode, not a verb for people

        var entries = Entries(Read("docs/command-line.md"));
        var missing = verbs.Where(v => !entries.Any(e => e == $"zoo {v}" || e.StartsWith($"zoo {v} ", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0,
            "docs/command-line.md has no entry (a table row whose first cell, or a heading, shows `zoo VERB …`) for: " + string.Join(", ", missing.Select(v => "zoo " + v)));
    }

    /// <summary>GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2….</summary>
    static IReadOnlySet<string> Anchors(string page)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match heading in Regex.Matches(WithoutCodeBlocks(page), @"^#{1,6} +(.+?) *#* *$", RegexOptions.Multiline))
        {
            var slug = Regex.Replace(heading.Groups[1].Value.ToLowerInvariant(), @"[^\p{L}\p{M}\p{N}\p{Pc} -]", "").Replace(' ', '-');
            var anchor = slug;
            for (var n = 1; !anchors.Add(anchor); n++) anchor = $"{slug}-{n}";
        }
        return anchors;
    }

    [Fact]
    public void Every_relative_link_in_README_and_docs_reaches_a_file_of_the_repository_and_its_heading()
    {
        var pages = Pages();
        Assert.Contains("docs/command-line.md", pages);
        var checkedLinks = 0;
        var broken = new List<string>();
        foreach (var page in pages)
        {
            var text = Regex.Replace(WithoutCodeBlocks(Read(page)), "`[^`\n]*`", "");
            foreach (Match link in Regex.Matches(text, @"\]\(([^)\s]+)(?: +""[^""]*"")?\)"))
            {
                var target = link.Groups[1].Value;
                if (Regex.IsMatch(target, @"^[a-z][a-z0-9+.-]*:", RegexOptions.IgnoreCase)) continue;   // http:, https:, mailto:
                checkedLinks++;
                var hash = target.IndexOf('#');
                var path = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var file = path.Length == 0
                    ? Path.Combine(Root, page)
                    : Path.GetFullPath(Path.Combine(Root, Path.GetDirectoryName(page)!, Uri.UnescapeDataString(path)));
                if (!file.StartsWith(Root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    broken.Add($"{page}: {target} leaves the repository");
                else if (!File.Exists(file) && !Directory.Exists(file))
                    broken.Add($"{page}: {target} (no {Path.GetRelativePath(Root, file)})");
                else if (anchor is { Length: > 0 } && file.EndsWith(".md", StringComparison.Ordinal) && !Anchors(File.ReadAllText(file)).Contains(anchor))
                    broken.Add($"{page}: {target} (no heading #{anchor} in {Path.GetRelativePath(Root, file)})");
            }
        }
        Assert.True(checkedLinks > 20, $"only {checkedLinks} relative links found in {string.Join(", ", pages)}");
        Assert.True(broken.Count == 0, "broken links:\n" + string.Join("\n", broken));
    }

    /// <summary>
    /// docs/parameters.md is the catalogue's own listing (`zoo list --parameters`) of every declared parameter: a changed
    /// default, range or description fails here until the page is regenerated, so the page never says what the code does not do.
    /// </summary>
    [Fact]
    public void The_parameters_page_is_what_the_declarations_list()
    {
        const string Marker = "<!-- generated by `zoo list --parameters`: everything below this line -->";
        var page = Read("docs/parameters.md").ReplaceLineEndings("\n");
        var at = page.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"docs/parameters.md has lost its marker line {Marker}");
        using var catalog = TestEnvironment.Catalog();
        var expected = Zoo.Engine.Inspection.CatalogueView.Of(catalog).ParametersMarkdown();
        var actual = page[(at + Marker.Length)..].TrimStart('\n');
        Assert.True(expected == actual, "docs/parameters.md differs from `zoo list --parameters`; regenerate the part below the marker. First difference at line "
            + (expected.Split('\n').Zip(actual.Split('\n')).TakeWhile(p => p.First == p.Second).Count() + 1));
    }
}
