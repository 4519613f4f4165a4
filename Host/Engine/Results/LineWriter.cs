using System.Text;

namespace Zoo.Engine.Results;

/// <summary>
/// A <see cref="TextWriter"/> that hands over whole lines: how text written by a contract that takes a
/// writer (a data set provider's <c>DatasetRequest.Log</c>) becomes events. A carriage return starts the
/// line again (a download's progress bar), so only the line as last drawn is handed over.
/// </summary>
public sealed class LineWriter(Action<string> line) : TextWriter
{
    readonly StringBuilder _pending = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_pending)
        {
            if (value == '\n') { line(_pending.ToString()); _pending.Clear(); }
            else if (value == '\r') _pending.Clear();
            else _pending.Append(value);
        }
    }

    public override void Write(string? value)
    {
        foreach (var c in value ?? "") Write(c);
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        Write('\n');
    }
}
