using System.Reflection;
using Zoo.Abstractions;

namespace Zoo.Cli;

/// <summary>
/// Where every verb runs: what escapes a verb becomes one line on standard error and an exit code, never a
/// .NET stack trace unless asked for. A user's mistake (<see cref="ZooConfigException"/>: a wrong field, a
/// missing file) and a file or folder that cannot be read or written (<see cref="IOException"/>,
/// <see cref="UnauthorizedAccessException"/>, whose messages name the path) exit 2; an interruption exits 130;
/// anything else is a fault in zoo or a plugin: <c>error: internal error: …</c>, a hint, and exit 1.
/// </summary>
public static class VerbBoundary
{
    /// <summary>Runs <paramref name="verb"/>; with <paramref name="debug"/> (ZOO_DEBUG=1) a fault's stack trace follows its line.</summary>
    public static int Run(Func<int> verb, TextWriter error, bool debug)
    {
        try
        {
            return verb();
        }
        catch (Exception e)
        {
            var inner = Unwrap(e);
            switch (inner)
            {
                case ZooConfigException:
                    error.WriteLine($"error: {inner.Message}");
                    return 2;
                case IOException or UnauthorizedAccessException:
                    error.WriteLine($"error: {FirstLine(inner.Message)}");
                    if (debug) error.WriteLine(e);
                    return 2;
                case OperationCanceledException:
                    error.WriteLine("interrupted");
                    return 130;
                default:
                    error.WriteLine($"error: internal error: {inner.GetType().Name}: {FirstLine(inner.Message)}");
                    error.WriteLine(debug ? e.ToString()
                        : "  (a fault in zoo or a plugin, not in what you asked for; run again with ZOO_DEBUG=1 for the stack trace, and please report it)");
                    return 1;
            }
        }
    }

    /// <summary>The exception a reflection call or a single-task wait wrapped.</summary>
    static Exception Unwrap(Exception e) => e switch
    {
        TargetInvocationException { InnerException: { } inner } => Unwrap(inner),
        AggregateException { InnerExceptions.Count: 1 } a => Unwrap(a.InnerExceptions[0]),
        _ => e,
    };

    static string FirstLine(string message) => message.Split('\n')[0].TrimEnd();
}
