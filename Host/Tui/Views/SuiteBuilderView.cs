using Terminal.Gui.App;
using Terminal.Gui.Input;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Suites;

namespace Zoo.Tui;

/// <summary>
/// The suite builder (F4): the suite and its data set (left; the data set also a choice among the known sets, each with
/// its download state) and the recipe (right) as fields, then a row per model (the catalogue's marked variants, an
/// opened file's entries, or variants added by name below them) with its label, options and recipe overrides, and
/// buttons to copy or remove it. Open reads an existing suite file into the form; Check runs the suite parser and
/// validator and puts their message beside the field it names; Save writes the suite file into the results root; Run
/// saves it and starts it. The form is taller (and wider) than small screens: it scrolls, and the focused field is
/// always brought into view. The form itself is <see cref="SuiteDraft"/>.
/// </summary>
public sealed class SuiteBuilderView : Window
{
    const int LabelWidth = 16, InputWidth = 20;
    const int ModelsX = 1, LabelX = 23, OptionsX = 39, DropoutX = 70, EpochsX = 79, LrX = 88, CopyX = 99, RemoveX = 105, ModelNoteX = 113;
    /// <summary>Narrower screens scroll sideways rather than put the recipe over the data set's hints.</summary>
    const int MinWidth = 160;

    SuiteDraft _draft;
    readonly SuiteRunner _runner;
    readonly string _root;
    readonly Dictionary<string, TextField> _inputs = new();
    readonly Dictionary<string, Label> _notes = new();
    readonly Dictionary<string, string> _hints = new();
    readonly List<View> _modelViews = new();
    readonly TextField _open, _add;
    readonly Label _modelsTitle, _info, _status, _addLabel, _addNote;
    readonly Button _check, _save, _run;
    readonly OptionSelector _sets;
    readonly IReadOnlyList<string> _variants, _setNames;
    readonly int _modelsY;
    string _from = "the catalogue's marked variants";
    int _height;
    bool _settingSet;

    /// <summary>The suite to run once the window closes (Run pressed and the suite valid), else null.</summary>
    public Suite? ToRun { get; private set; }

    /// <summary>Where Save and Run write the suite file.</summary>
    public string SuitePath => Path.Combine(_root, $"{SafeName(_draft["name"])}.json");

    /// <summary>Asks for a folder of images (an OpenDialog for directories); null when cancelled. Tests replace it.</summary>
    public Func<string?> PickFolder { get; set; }

    /// <summary>Asks for a suite file to open (an OpenDialog for files); null when cancelled. Tests replace it.</summary>
    public Func<string?> PickFile { get; set; }

    /// <param name="openPath">A suite file to put in the Open field (the one `zoo ui SUITE.json` was given), or null.</param>
    /// <param name="variants">The catalogue's variant names, to add models by (none: models come from marks and files only).</param>
    /// <param name="datasets">The data sets' names the engine knows (its providers'); null: the built-in ones.</param>
    public SuiteBuilderView(SuiteDraft draft, SuiteRunner runner, string root, string? openPath = null,
        IReadOnlyList<string>? variants = null, IEnumerable<string>? datasets = null)
    {
        _draft = draft;
        _runner = runner;
        _root = root;
        _variants = variants ?? Array.Empty<string>();
        // The image-folder providers ("folder", and "auto" which detects one) are the last choice, "folder…", with its dialog.
        _setNames = (datasets ?? SuiteDraft.BuiltInSets).Where(n => n is not ("folder" or "auto")).Distinct().ToList();
        PickFolder = () => Pick(OpenMode.Directory, "Image folder: one sub-folder of images per class (or train/, val/, test/)");
        PickFile = () => Pick(OpenMode.File, "Open a suite file");
        Title = "Suite builder — Tab moves between fields (the form scrolls with them; PageUp/PageDown too); Open, Check, Save, Run; Esc closes";

        var openLabel = Plain(new Label { X = 1, Y = 0, Text = "Open suite file:" });
        _open = new TextField { X = LabelWidth + 2, Y = 0, Width = 60, Text = openPath ?? "" };
        var open = new Button { X = Pos.Right(_open) + 1, Y = 0, Text = "_Open" };
        var browse = new Button { X = Pos.Right(open) + 1, Y = 0, Text = "_Browse…" };
        open.Accepting += (_, e) => { e.Handled = true; Open(_open.Text); };
        _open.Accepting += (_, e) => { e.Handled = true; Open(_open.Text); };   // Enter in the field opens it too
        browse.Accepting += (_, e) =>
        {
            e.Handled = true;
            if (PickFile() is { } file) { _open.Text = file; Open(file); }
        };
        Add(openLabel, _open, open, browse);

        int top = 2;
        Add(Plain(new Label { X = 1, Y = top, Text = "Suite and data set" }), Plain(new Label { X = Pos.Percent(50) + 1, Y = top, Text = "Recipe" }));
        var y = new[] { top + 1, top + 1 };
        foreach (var f in SuiteDraft.Fields)
        {
            Pos x = f.Column == 0 ? 0 : Pos.Percent(50);
            var input = new TextField { X = x + LabelWidth + 2, Y = y[f.Column], Width = InputWidth, Text = draft[f.Field] };
            var note = Plain(new Label { X = x + LabelWidth + InputWidth + 3, Y = y[f.Column], Width = f.Column == 0 ? Dim.Percent(50) - (LabelWidth + InputWidth + 4) : Dim.Fill(1), Height = 1, Text = f.Hint });
            var field = f.Field;
            input.TextChanged += (_, _) =>
            {
                _draft[field] = input.Text;
                if (field is "dataset.name" or "dataset.path") ShowDataState();
            };
            Add(Plain(new Label { X = x + 1, Y = y[f.Column], Text = f.Label }), input, note);
            _inputs[field] = input;
            _notes[field] = note;
            _hints[field] = f.Hint;
            y[f.Column]++;
        }
        // Below the data set's fields: the known sets to choose from, each with its download state, and the image-folder dialog.
        // One set a line: in one row, seven sets ran on into the recipe's column and wrote over its labels.
        var labels = _setNames.Select(n => SuiteDraft.SetState(n)).Append("folder…").ToList();
        _sets = new OptionSelector
        {
            X = 1, Y = y[0] + 1, Orientation = Orientation.Vertical, HotKeySpecifier = Widgets.NoHotKey, Labels = labels,
        };
        _sets.ValueChanged += (_, _) => ChooseSet();
        int below = y[0] + 1 + labels.Count;
        var legend = Plain(new Label { X = 1, Y = below, Width = Dim.Percent(50) - 2, Height = 1, Text = $"✓ in {Home(Downloads.DataRoot)} · ↓ the first run downloads it" });
        var folder = new Button { X = 1, Y = below + 2, Text = "Choose an _image folder…" };
        folder.Accepting += (_, e) => { e.Handled = true; ChooseFolder(); };
        Add(_sets, legend, folder);

        _modelsY = Math.Max(below + 4, y[1] + 1);
        _modelsTitle = Plain(new Label { X = ModelsX, Y = _modelsY, Width = Dim.Fill(1) });
        var header = new Label
        {
            X = ModelsX, Y = _modelsY + 1, Width = Dim.Fill(1),
            Text = $"{"Model",-(LabelX - ModelsX)}{"Label",-(OptionsX - LabelX)}{"Options (key=value …)",-(DropoutX - OptionsX)}{"Dropout",-(EpochsX - DropoutX)}{"Epochs",-(LrX - EpochsX)}{"LR",-(ModelNoteX - LrX)}empty: the variant's and the suite's",
        };
        _addLabel = Plain(new Label { X = ModelsX, Text = "Add model:" });
        _add = new TextField { X = LabelX, Width = 15 + 1 + 30 };
        _addNote = Plain(new Label { X = DropoutX, Width = Dim.Fill(1), Height = 1 });
        _add.TextChanged += (_, _) => ShowMatches();
        _add.Accepting += (_, e) => { e.Handled = true; AddTyped(); };
        _check = new Button { X = 1, Text = "_Check" };
        _save = new Button { X = Pos.Right(_check) + 2, Text = "_Save" };
        _run = new Button { X = Pos.Right(_save) + 2, Text = "_Run" };
        _info = Plain(new Label { X = 1, Width = Dim.Fill(1), Height = 3, Text = "" });
        _status = Plain(new Label { X = 1, Width = Dim.Fill(1), Height = 2, Text = "" });
        _check.Accepting += (_, e) => { e.Handled = true; Check(); };
        _save.Accepting += (_, e) => { e.Handled = true; Save(); };
        _run.Accepting += (_, e) => { e.Handled = true; if (Save() is { } suite) { ToRun = suite; App?.RequestStop(); } };
        Add(_modelsTitle, header, _addLabel, _add, _addNote, _check, _save, _run, _info, _status);
        ShowModels();
        ShowDataState();
        ShowMatches();

        // Scrolling: the content is the whole form; the focused field is scrolled into view (Tab walks the form).
        ViewportSettings |= ViewportSettingsFlags.HasVerticalScrollBar | ViewportSettingsFlags.HasHorizontalScrollBar;
        ViewportChanged += (_, _) => FitContent();
        FocusedChanged += (_, e) => { if (e.NewFocused is { } f) ScrollTo(f); };
        KeyDown += (_, key) =>
        {
            if (key == Key.PageDown || key == Key.PageUp)
            {
                ScrollVertical(key == Key.PageDown ? Math.Max(1, Viewport.Height - 2) : -Math.Max(1, Viewport.Height - 2));
                key.Handled = true;
            }
        };
    }

    /// <summary>The form's size: as wide as the window (at least <see cref="MinWidth"/>) and as tall as its rows.</summary>
    void FitContent()
    {
        var size = new System.Drawing.Size(Math.Max(Viewport.Width, MinWidth), _height);
        if (GetContentSize() != size) SetContentSize(size);
    }

    /// <summary>Scrolls so that a field (and its row's start, where the model's name is) is on the screen.</summary>
    void ScrollTo(View field)
    {
        var f = field.Frame;
        var vp = Viewport;
        int x = f.Right <= vp.Width ? 0 : f.X < vp.X ? f.X : f.Right > vp.X + vp.Width ? f.Right - vp.Width : vp.X;
        int y = f.Y < vp.Y ? Math.Max(0, f.Y - 1) : f.Bottom > vp.Y + vp.Height ? f.Bottom - vp.Height : vp.Y;
        if (x != vp.X || y != vp.Y) Viewport = vp with { X = x, Y = y };
    }

    /// <summary>A field's text box (for tests and focus): a suite field ("recipe.epochs") or a model's ("models[0].options").</summary>
    public TextField Input(string field) => _inputs[field];

    /// <summary>What is shown beside a field: its hint, or the error about it (a model's fields share their row's note).</summary>
    public string Note(string field) => _notes[field].Text;

    public string Status => _status.Text;

    /// <summary>Add model's field (a variant's name; Enter adds it) and what is shown beside it (the names that match).</summary>
    public TextField AddField => _add;

    public string AddNote => _addNote.Text;

    /// <summary>The data set as a choice: the engine's sets with their download state, then "folder…".</summary>
    public OptionSelector DataSetChoice => _sets;

    /// <summary>What Open said: the file opened, and the fields the form keeps without showing them.</summary>
    public string Info => _info.Text;

    /// <summary>The form as it stands.</summary>
    public SuiteDraft Draft => _draft;

    /// <summary>One row per model: its variant, then its label, options, dropout, epochs and learning rate as fields, Copy and Remove.</summary>
    void ShowModels()
    {
        foreach (var v in _modelViews) { Remove(v); v.Dispose(); }
        _modelViews.Clear();
        foreach (var key in _notes.Keys.Where(k => k.StartsWith("models[", StringComparison.Ordinal)).ToList()) { _inputs.Remove(key); _notes.Remove(key); _hints.Remove(key); }
        _modelsTitle.Text = _draft.Models.Count == 0
            ? "Models: none — add one below by name, mark variants in the catalogue (Space) and press F4 again, or open a suite file"
            : $"Models ({_draft.Models.Count}, {_from}):";
        int y = _modelsY + 2;
        for (int i = 0; i < _draft.Models.Count; i++, y++)
        {
            var model = _draft.Models[i];
            var hint = model.Unshown().ToList() is { Count: > 0 } kept ? $"also, as in the file: {string.Join(", ", kept)}" : "";
            var note = Plain(new Label { X = ModelNoteX, Y = y, Width = Dim.Fill(1), Height = 1, Text = hint });
            _modelViews.Add(Plain(new Label { X = ModelsX, Y = y, Width = LabelX - ModelsX - 1, Text = model.Variant }));
            foreach (var (field, x, width) in new[] { ("label", LabelX, 15), ("options", OptionsX, 30), ("dropout", DropoutX, 8), ("epochs", EpochsX, 8), ("lr", LrX, 10) })
            {
                var input = new TextField { X = x, Y = y, Width = width, Text = model[field] };
                input.TextChanged += (_, _) => model[field] = input.Text;
                var key = $"models[{i}].{field}";
                int row = i;
                // Leaving a model's field checks that model (one architecture asked, not the whole suite): a wrong
                // option's message, which names the accepted ones, shows on its row before Check is pressed.
                input.HasFocusChanged += (_, _) => { if (!input.HasFocus) CheckModel(row); };
                _inputs[key] = input;
                _notes[key] = note;
                _hints[key] = hint;
                _modelViews.Add(input);
            }
            int index = i;
            _modelViews.Add(RowButton(CopyX, y, "copy", () => EditModels(() => _draft.Duplicate(index), $"models[{index + 1}].label")));
            _modelViews.Add(RowButton(RemoveX, y, "remove", () =>
                EditModels(() => _draft.RemoveModel(index), index + 1 < _draft.Models.Count ? $"models[{index}].label" : null)));
            _notes[$"models[{i}]"] = note;
            _hints[$"models[{i}]"] = hint;
            _modelViews.Add(note);
        }
        foreach (var v in _modelViews) Add(v);
        // Tab follows the order of the subviews: the models' fields, then Add model, then Check, Save and Run.
        foreach (var v in new View[] { _addLabel, _add, _addNote, _check, _save, _run, _info, _status }) { Remove(v); Add(v); }
        _addLabel.Y = _add.Y = _addNote.Y = y;
        y += 2;
        _check.Y = _save.Y = _run.Y = y;
        _status.Y = y + 2;   // Check's verdict first, under the buttons; then what Open or the folder dialog said
        _info.Y = y + 4;
        _height = y + 7;
        FitContent();
    }

    /// <summary>A one-word button on a model's row, without the shadow and brackets that would take a second row.</summary>
    static Button RowButton(int x, int y, string text, Action pressed)
    {
        var b = new Button { X = x, Y = y, Text = text, NoDecorations = true, NoPadding = true, ShadowStyle = ShadowStyles.None, HotKeySpecifier = Widgets.NoHotKey };
        b.Accepting += (_, e) => { e.Handled = true; pressed(); };
        return b;
    }

    /// <summary>Adds, copies or removes a model, lays the rows out again and puts the focus on <paramref name="focus"/> (else on Add model).</summary>
    void EditModels(Action edit, string? focus)
    {
        edit();
        if (!_from.EndsWith(", edited here", StringComparison.Ordinal)) _from += ", edited here";
        ShowModels();
        Layout();
        var target = focus is not null && _inputs.TryGetValue(focus, out var input) ? input : (View)_add;
        target.SetFocus();
        ScrollTo(target);
        Check();
    }

    /// <summary>Beside Add model: the catalogue's names that match what is typed.</summary>
    void ShowMatches()
    {
        if (_variants.Count == 0) { _addNote.Text = "the catalogue's names (none given here)"; return; }
        var typed = _add.Text.Trim();
        var matches = SuiteDraft.Matching(_variants, typed);
        _addNote.Text = typed.Length == 0 ? $"type a variant's name ({_variants.Count} in the catalogue), Enter adds it"
            : matches.Count == 0 ? $"✗ no variant matches '{typed}'"
            : SuiteDraft.Pick(_variants, typed) is { } pick ? $"Enter adds {pick}" + (matches.Count > 1 ? $" (also matching: {string.Join(" ", matches.Where(m => m != pick).Take(10))}{(matches.Count > 11 ? " …" : "")})" : "")
            : $"{matches.Count} match: {string.Join(" ", matches.Take(12))}{(matches.Count > 12 ? " …" : "")}";
    }

    /// <summary>Enter in Add model: adds the variant typed (any case), or the one it can only mean (<see cref="SuiteDraft.Pick"/>); else says why not.</summary>
    void AddTyped()
    {
        var typed = _add.Text.Trim();
        var matches = SuiteDraft.Matching(_variants, typed);
        var pick = SuiteDraft.Pick(_variants, typed);
        if (typed.Length == 0 || pick is null) { ShowMatches(); if (typed.Length > 0 && matches.Count > 1) _addNote.Text = "✗ " + _addNote.Text + " — type more"; return; }
        _add.Text = "";
        EditModels(() => _draft.AddModel(pick), null);
    }

    /// <summary>Beside the data set: whether its files are in the data folder already, or what the first run downloads.</summary>
    void ShowDataState()
    {
        var name = _draft["dataset.name"].Trim();
        var path = _draft["dataset.path"].Trim();
        var before = _hints["dataset.name"];
        _hints["dataset.name"] = _draft.DataState() is { } state
            ? state.Present ? $"✓ in {Home(state.Folder)}" : $"↓ not yet in {Home(state.Folder)}"
            : name switch
            {
                "shapes" => "built in, nothing to download",
                "folder" when path.Length == 0 => "your images: choose a folder below",
                "folder" => Zoo.Engine.Data.ImageFolderProvider.Recognises(Path.GetFullPath(path))
                    ? "✓ class sub-folders with images" : "✗ no class sub-folders with images there",
                _ => SuiteDraft.Fields.First(f => f.Field == "dataset.name").Hint,
            };
        if (_notes["dataset.name"].Text == before) _notes["dataset.name"].Text = _hints["dataset.name"];   // an error stays until the next Check
        // The choice follows the field (a plugin's set, typed, is none of them).
        int? index = name == "folder" ? _setNames.Count : _setNames.IndexOf(name) is >= 0 and var i ? i : null;
        if (_sets.Value != index)
        {
            _settingSet = true;
            try { _sets.Value = index; } finally { _settingSet = false; }
        }
    }

    /// <summary>A set chosen: its name in the field; "folder…" opens the folder dialog unless a folder is given already.</summary>
    void ChooseSet()
    {
        if (_settingSet || _sets.Value is not { } i) return;
        if (i < _setNames.Count) { _inputs["dataset.name"].Text = _setNames[i]; Check(); return; }
        if (_draft["dataset.path"].Trim().Length > 0 || PickFolder() is not { } folder) { _inputs["dataset.name"].Text = "folder"; return; }
        UseFolder(folder);
    }

    void ChooseFolder()
    {
        if (PickFolder() is { } folder) UseFolder(folder);
    }

    void UseFolder(string folder)
    {
        _inputs["dataset.name"].Text = "folder";
        _inputs["dataset.path"].Text = folder;
        if (_draft["dataset.channels"].Trim() == "1") _inputs["dataset.channels"].Text = "3";   // the grey default is shapes'; photos are RGB
        _info.Text = $"image folder {folder}: check channels and size, and the val/test fractions (val/ and test/ sub-folders are splits of their own)";
        Check();
    }

    string? Pick(OpenMode mode, string title)
    {
        using var dialog = new OpenDialog { Title = title, OpenMode = mode };
        App?.Run(dialog);
        return dialog.Canceled || string.IsNullOrWhiteSpace(dialog.Path) ? null : dialog.Path;
    }

    /// <summary>Reads a suite file into the form: every field the form has, its models, and what it keeps without showing.</summary>
    public bool Open(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) { _info.Text = "type the path of a suite file in the Open field (or Browse…)"; return false; }
        try { _draft = SuiteDraft.Open(path.Trim()); }
        catch (ZooConfigException e) { _info.Text = $"✗ {e.Message}"; return false; }
        foreach (var f in SuiteDraft.Fields) _inputs[f.Field].Text = _draft[f.Field];
        _from = $"from {Path.GetFileName(_draft.SourcePath)}";
        ShowModels();
        ShowDataState();
        _info.Text = $"opened {_draft.SourcePath} (left as it is); Save writes {SuitePath}, without the file's comments\n"
                     + (_draft.NotShown.Count == 0 ? "the form shows every field of the file"
                         : $"kept as in the file, not shown here: {string.Join(", ", _draft.NotShown)}");
        Check();
        return true;
    }

    void CheckModel(int index)
    {
        if (index >= _draft.Models.Count || !_notes.TryGetValue($"models[{index}]", out var note)) return;
        var (field, error) = _draft.CheckModel(_runner, SuitePath, index);
        // Fine alone: the row's own earlier error goes; one about the suite (a label used twice) stays until Check.
        if (field is not null) note.Text = "✗ " + error;
        else if (note.Text.StartsWith($"✗ models[{index}]", StringComparison.Ordinal)) note.Text = _hints[$"models[{index}]"];
    }

    /// <summary>Runs the parser and validator; puts an error beside its field (or in the status line). Returns the suite when valid.</summary>
    public Suite? Check()
    {
        foreach (var (key, label) in _notes) label.Text = _hints[key];
        var (suite, where, error) = _draft.Check(_runner, SuitePath);
        if (suite is not null) { _status.Text = $"valid: {suite.Models.Count} model(s) × {suite.Dataset.Name}, {suite.Recipe.Epochs} epochs"; return suite; }
        if (where is not null && _notes.TryGetValue(where, out var note)) note.Text = "✗ " + error;
        _status.Text = error ?? "";
        return null;
    }

    /// <summary>Checks, then writes the suite file; returns the suite as read back from it, or null when it is not valid.</summary>
    public Suite? Save()
    {
        if (Check() is null) return null;
        Directory.CreateDirectory(_root);
        File.WriteAllText(SuitePath, _draft.ToJson(SuitePath));
        var suite = SuiteParser.Load(SuitePath);
        _status.Text = $"saved {SuitePath} (`zoo run-suite {SuitePath}` runs it headless)";
        return suite;
    }

    /// <summary>A label that shows its text as it is: variant names and field paths have '_', which would otherwise mark a hot key.</summary>
    static Label Plain(Label label)
    {
        label.HotKeySpecifier = Widgets.NoHotKey;
        return label;
    }

    /// <summary>A folder with the home folder as ~, to fit beside a field.</summary>
    static string Home(string path)
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return home.Length > 1 && path.StartsWith(home + "/", StringComparison.Ordinal) ? "~" + path[home.Length..] : path;
    }

    static string SafeName(string name)
    {
        var chars = name.Trim().Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray();
        return chars.Length == 0 ? "suite" : new string(chars);
    }
}
