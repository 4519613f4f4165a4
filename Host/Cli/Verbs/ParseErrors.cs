using System.CommandLine;
using System.CommandLine.Parsing;
using Zoo.Abstractions;

namespace Zoo.Cli;

/// <summary>
/// A command line System.CommandLine could not parse, as one line and exit 2, like any other mistake a user can fix
/// (<see cref="VerbBoundary"/>): left to System.CommandLine, `zoo run-suite S --epochs 3` printed the whole help and
/// exited 1, which docs/command-line.md keeps for a run that failed. The line names the word it could not place and the nearest
/// valid one (<see cref="NearestNames"/>), else the valid ones.
/// </summary>
public static class ParseErrors
{
    /// <summary>Writes the line for <paramref name="result"/>'s first error to <paramref name="error"/> and returns 2.</summary>
    public static int Report(ParseResult result, TextWriter error)
    {
        error.WriteLine($"error: {Describe(result)}");
        return 2;
    }

    /// <summary>"zoo run-suite: unknown option '--devcie'; did you mean '--device'? (zoo run-suite --help)".</summary>
    public static string Describe(ParseResult result)
    {
        var chain = new List<Command>();
        for (SymbolResult? r = result.CommandResult; r is not null; r = r.Parent)
            if (r is CommandResult c) chain.Insert(0, c.Command);
        var command = chain[^1];
        var path = string.Join(" ", chain.Select((c, i) => i == 0 ? "zoo" : c.Name));
        var help = $"(`{path} --help` for more)";
        var unmatched = result.UnmatchedTokens;
        if (unmatched.FirstOrDefault(t => t.StartsWith('-') && t.Length > 1) is { } word)
        {
            var name = word.Split('=', ':')[0];
            // The command's own options and the ones its parents pass down (--plugins, --help).
            var options = command.Options.Concat(chain[..^1].SelectMany(c => c.Options.Where(o => o.Recursive)))
                .Where(o => !o.Hidden).ToList();
            var names = options.Select(o => o.Name).Where(n => n.StartsWith("--", StringComparison.Ordinal)).Distinct().ToList();
            var near = NearestNames.DidYouMean(name, options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith('-')), 1)
                       ?? $"its options are {string.Join(", ", names)}";
            return $"{path}: unknown option '{name}'; {near} {help}";
        }
        if (unmatched.Count > 0)
        {
            var commands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
            if (commands.Count > 0)
                return $"{path}: unknown command '{unmatched[0]}'; {NearestNames.DidYouMean(unmatched[0], commands, 1) ?? $"the commands are {string.Join(", ", commands)}"} {help}";
            return $"{path}: unexpected argument '{unmatched[0]}' {help}";
        }
        return $"{path}: {result.Errors[0].Message.TrimEnd('.')} {help}";
    }
}
