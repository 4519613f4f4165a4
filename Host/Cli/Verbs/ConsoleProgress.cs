using Zoo.Engine.Results;

namespace Zoo.Cli;

/// <summary>
/// Prints a suite's events on the console (stderr): one line per event as <see cref="ProgressText"/>
/// words it, and progress inside an epoch as one line redrawn in place on a terminal (at most four times
/// a second), or, when stderr is a file or a pipe, a plain line every <see cref="PipeInterval"/>.
/// </summary>
public sealed class ConsoleProgress : IProgress<SuiteEvent>
{
    readonly TextWriter _out;
    readonly bool _terminal;
    readonly object _gate = new();
    StepThrottle? _steps;
    int _drawn;   // characters of the in-place step line now on screen

    public ConsoleProgress(TextWriter output, bool? terminal = null)
    {
        _out = output;
        _terminal = terminal ?? !Console.IsErrorRedirected;
    }

    /// <summary>How often a step line is printed when the output is not a terminal.</summary>
    public TimeSpan PipeInterval { get; init; } = TimeSpan.FromSeconds(10);

    public void Report(SuiteEvent e)
    {
        lock (_gate)
        {
            if (e is StepProgress s) { Step(s); return; }
            if (ProgressText.Line(e) is not { } line) return;
            Clear();
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    void Step(StepProgress s)
    {
        _steps ??= new StepThrottle(_terminal ? TimeSpan.FromMilliseconds(250) : PipeInterval, keepEpochEdges: false);
        if (!_steps.Admit(s)) return;
        var text = ProgressText.StepLine(s);
        if (_terminal)
        {
            int width = Math.Max(20, SafeWidth() - 1);
            if (text.Length > width) text = text[..width];
            _out.Write("\r" + text.PadRight(_drawn));
            _drawn = text.Length;
        }
        else _out.WriteLine(text);
        _out.Flush();
    }

    /// <summary>Wipes the in-place step line so that the next line starts clean.</summary>
    void Clear()
    {
        if (_drawn == 0) return;
        _out.Write("\r" + new string(' ', _drawn) + "\r");
        _drawn = 0;
    }

    static int SafeWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }
}
