using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Engine.Suites;

namespace Zoo.Tui;

/// <summary>
/// The suite builder (F4): the data set and the recipe as fields, the catalogue's marked variants as the models. Check
/// runs the suite parser and validator and puts their message beside the field it names; Save writes the suite file
/// into the results root; Run saves it and starts it. The form itself is <see cref="SuiteDraft"/>.
/// </summary>
public sealed class SuiteBuilderView : Window
{
    readonly SuiteDraft _draft;
    readonly SuiteRunner _runner;
    readonly string _root;
    readonly Dictionary<string, TextField> _inputs = new();
    readonly Dictionary<string, Label> _notes = new();
    readonly Label _status;

    /// <summary>The suite to run once the window closes (Run pressed and the suite valid), else null.</summary>
    public Suite? ToRun { get; private set; }

    /// <summary>Where Save and Run write the suite file.</summary>
    public string SuitePath => Path.Combine(_root, $"{SafeName(_draft["name"])}.json");

    public SuiteBuilderView(SuiteDraft draft, SuiteRunner runner, string root)
    {
        _draft = draft;
        _runner = runner;
        _root = root;
        Title = "New suite — Tab moves between fields; Check, Save, Run below; Esc closes";
        int y = 0;
        var models = new Label { X = 1, Y = y++, Width = Dim.Fill(1), Text = draft.Models.Count == 0
            ? "Models: none marked — close (Esc), mark variants in the catalogue with Space, and press F4 again"
            : $"Models: {string.Join(", ", draft.Models)}" };
        Add(models);
        y++;
        foreach (var (field, label, _, hint) in SuiteDraft.Fields)
        {
            var input = new TextField { X = 20, Y = y, Width = 32, Text = draft[field] };
            var note = new Label { X = 54, Y = y, Width = Dim.Fill(1), Text = hint };
            input.TextChanged += (_, _) => draft[field] = input.Text;
            Add(new Label { X = 1, Y = y, Text = label }, input, note);
            _inputs[field] = input;
            _notes[field] = note;
            y++;
        }
        y++;
        var check = new Button { X = 1, Y = y, Text = "_Check" };
        var save = new Button { X = Pos.Right(check) + 2, Y = y, Text = "_Save" };
        var run = new Button { X = Pos.Right(save) + 2, Y = y, Text = "_Run" };
        _status = new Label { X = 1, Y = y + 2, Width = Dim.Fill(1), Height = 2, Text = "" };
        check.Accepting += (_, e) => { e.Handled = true; Check(); };
        save.Accepting += (_, e) => { e.Handled = true; Save(); };
        run.Accepting += (_, e) => { e.Handled = true; if (Save() is { } suite) { ToRun = suite; App?.RequestStop(); } };
        Add(check, save, run, _status);
    }

    /// <summary>The field's text box (for tests and focus).</summary>
    public TextField Input(string field) => _inputs[field];

    /// <summary>What is shown beside a field: its hint, or the error about it.</summary>
    public string Note(string field) => _notes[field].Text;

    public string Status => _status.Text;

    /// <summary>Runs the parser and validator; puts an error beside its field (or in the status line). Returns the suite when valid.</summary>
    public Suite? Check()
    {
        foreach (var (field, _, _, hint) in SuiteDraft.Fields) _notes[field].Text = hint;
        var (suite, field2, error) = _draft.Check(_runner, SuitePath);
        if (suite is not null) { _status.Text = $"valid: {suite.Models.Count} model(s) × {suite.Dataset.Name}, {suite.Recipe.Epochs} epochs"; return suite; }
        if (field2 is not null && _notes.TryGetValue(field2, out var note))
        {
            note.Text = "✗ " + error;
        }
        _status.Text = error ?? "";
        return null;
    }

    /// <summary>Checks, then writes the suite file; returns the suite as read back from it, or null when it is not valid.</summary>
    public Suite? Save()
    {
        if (Check() is null) return null;
        Directory.CreateDirectory(_root);
        File.WriteAllText(SuitePath, _draft.ToJson());
        var suite = SuiteParser.Load(SuitePath);
        _status.Text = $"saved {SuitePath} (`zoo run-suite {SuitePath}` runs it headless)";
        return suite;
    }

    static string SafeName(string name)
    {
        var chars = name.Trim().Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        return chars.Length == 0 ? "suite" : new string(chars);
    }
}
