using Terminal.Gui.App;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;

namespace Zoo.Tui;

/// <summary>F1: every key the UI answers.</summary>
public static class UiHelp
{
    /// <summary>Shows the keys in a dialog until Esc.</summary>
    public static void Show(IApplication app)
    {
        using var help = new Dialog { Title = "Keys (Esc closes)", Width = Dim.Auto(), Height = Dim.Auto() };
        help.Add(new Label { X = 1, Y = 1, Text = Text });
        app.Run(help);
    }

    /// <summary>Every key the UI answers (F1).</summary>
    public const string Text =
        "Catalogue:  Up/Down move, Space marks a variant, Enter computes its layer summary and sizes\n" +
        "Ctrl+F      filter the catalogue by name, family or plugin (Enter: back to the list)\n" +
        "F3          sort the catalogue by the next column (family, name, parameters, GMACs,\n" +
        "            year); GMACs fill in by themselves (… until known, – cannot be built);\n" +
        "            Shift+F3 reverses; the catalogue's title says the order\n" +
        "F2          plugins: path, version, contract, state and reason of each, live as plugins\n" +
        "            are added, rebuilt or removed (Esc closes)\n" +
        "F5          compare the marked variants with the quick start's data and recipe\n" +
        "F6          run the suite file given on the command line (zoo ui SUITE.json)\n" +
        "F4          suite builder for the marked variants: data set (download state; an image\n" +
        "            folder from a dialog), recipe, per-model label, options, epochs and LR;\n" +
        "            Open reads a suite file into it; Check, Save (<out>/<name>.json), Run\n" +
        "F7          results: earlier results folders; Enter opens one, Space marks several\n" +
        "            to compare side by side, c overlays their curves (folder/model; l: loss),\n" +
        "            s sorts by the column under the cursor;\n" +
        "            Enter on a run: its curves, coloured confusion matrix, per-class top-1,\n" +
        "            figure paths and sampled mistakes (l: loss/accuracy, Esc: back)\n" +
        "F8          live curves in place of the run's log (again: the log); in the curves:\n" +
        "            l loss or accuracy, a every model or the selected one, Up/Down select\n" +
        "Esc         stop the run after its current step (a rerun resumes); in a dialog: close\n" +
        "Tab         next pane (Shift+Tab: previous); the mouse works too\n" +
        "F1          this help;  Ctrl+Q quits (a running model stops after its step first)\n" +
        "Native libraries' messages (LibTorch's warnings) go to the log, each once, never over\n" +
        "            the screen; all of them to logs/ui-stderr.log in the zoo's cache folder";
}
