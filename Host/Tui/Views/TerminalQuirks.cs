using Terminal.Gui.App;

namespace Zoo.Tui;

/// <summary>Workarounds for what Terminal.Gui 2.5 and .NET's console leave wrong on a real terminal.</summary>
static class TerminalQuirks
{
    /// <summary>
    /// Terminal.Gui 2.5 updates the terminal cursor at the end of every main-loop iteration while the driver's
    /// "cursor needs update" flag is set, and nothing ever clears that flag once a focus change has set it: an
    /// idle screen then writes ESC[?25l ESC[1;1H about 25 times a second. Clearing it at the start of each
    /// iteration keeps every real update (a focus change, a key, a redraw sets it again before the cursor is placed).
    /// </summary>
    public static void WriteCursorOnlyWhenItChanges(IApplication app) =>
        app.Iteration += (_, _) => app.Driver?.SetCursorNeedsUpdate(false);

    /// <summary>
    /// .NET's console puts the terminal in application cursor-key and keypad mode (ESC[?1h ESC=) and Terminal.Gui
    /// does not undo it on shutdown, so after Ctrl+Q the shell's arrow keys send SS3 sequences. Reset both.
    /// </summary>
    public static void ResetKeypadModes()
    {
        if (Console.IsOutputRedirected) return;
        Console.Out.Write("\u001b[?1l\u001b>");
        Console.Out.Flush();
    }
}
