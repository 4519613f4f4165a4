using System.Text.RegularExpressions;

namespace Zoo.Tui;

/// <summary>
/// Which native lines (fd 2 of the UI's process, its workers' standard error) the UI's log shows: each distinct message
/// once, with its count kept, so that a warning a native library repeats on every call (LibTorch's c10 warnings carry a
/// fresh timestamp each time) cannot bury the run's own lines. The log file keeps every line. Thread-safe.
/// </summary>
public sealed partial class NativeLines
{
    readonly Dictionary<string, int> _seen = new(StringComparer.Ordinal);

    // c10's prefix: severity letter, MMDD, time with fraction, then "file.cpp:line]".
    [GeneratedRegex(@"^\[([WEIF])\d{4} \d\d:\d\d:\d\d\.\d+ ")]
    private static partial Regex C10Stamp();

    /// <summary>The message without what changes from one repeat to the next (c10's timestamp).</summary>
    public static string Message(string line) => C10Stamp().Replace(line, "[$1 ");

    /// <summary>The line to show, or null where the same message was shown already (it is counted).</summary>
    public string? Admit(string line)
    {
        var key = Message(line);
        lock (_seen)
        {
            _seen[key] = _seen.GetValueOrDefault(key) + 1;
            return _seen[key] == 1 ? line : null;
        }
    }

    /// <summary>How often a message came (0: never).</summary>
    public int Count(string line) { lock (_seen) return _seen.GetValueOrDefault(Message(line)); }
}
