using Terminal.Gui.Drawing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace Zoo.Tui;

// Terminal.Gui 2.5 marks TextView obsolete in favour of a separate editor package that is not on our feed;
// a read-only, scrolling text pane is all the UI needs, and TextView still is that.
#pragma warning disable CS0618

/// <summary>The small view settings every screen of the UI shares.</summary>
static class Widgets
{
    /// <summary>
    /// For labels that show names (squeezenet1_1, paths): Terminal.Gui takes the first '_' of a label's text as the hot-key
    /// marker and drops it, so "squeezenet1_1" read "squeezenet11".
    /// </summary>
    internal static readonly System.Text.Rune NoHotKey = (System.Text.Rune)0xffff;

    /// <summary>
    /// A frame that Tab enters and leaves like any other stop: a FrameView is a TabGroup by default, which only
    /// F6 / Shift+F6 reach, so Tab never left the catalogue.
    /// </summary>
    public static FrameView Pane(string title, Pos x, Pos y, Dim width, Dim height) =>
        new() { Title = title, X = x, Y = y, Width = width, Height = height, TabStop = TabBehavior.TabStop };

    /// <summary>
    /// A read-only, word-wrapping text pane that Tab leaves (TabKeyAddsTab off) and that draws its text in the
    /// scheme's Normal attribute. Terminal.Gui derives the ReadOnly role from Editable by dimming the foreground
    /// against the background; with the default theme (terminal default colours, Color.None) both resolve to
    /// Gray, so every cell was grey on grey.
    /// </summary>
    public static TextView ReadOnlyText(int y)
    {
        var text = new TextView { X = 0, Y = y, Width = Dim.Fill(), Height = Dim.Fill(), ReadOnly = true, WordWrap = true, TabKeyAddsTab = false };
        text.GettingAttributeForRole += (_, e) =>
        {
            if (e.Role != VisualRole.ReadOnly) return;
            e.Result = text.GetAttributeForRole(VisualRole.Normal);
            e.Handled = true;
        };
        return text;
    }
}
