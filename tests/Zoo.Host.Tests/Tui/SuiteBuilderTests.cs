using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Terminal.Gui.App;
using Terminal.Gui.Drivers;
using Terminal.Gui.Input;
using Terminal.Gui.Testing;
using Terminal.Gui.ViewBase;
using Terminal.Gui.Views;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Suites;
using Zoo.Tui;

namespace Zoo.Host.Tests;

/// <summary>
/// The suite builder (F4): opening a suite file into the form, per-model fields, the data sets' download state, the
/// recipe's fields, and F5's quick comparison written through the same form.
/// </summary>
public sealed class SuiteBuilderTests
{
    static string Suites => Path.Combine(TestEnvironment.Root, "suites");

    static JsonNode ReadJsonc(string path) => JsonNode.Parse(File.ReadAllText(path),
        documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!;

    [Fact]
    public void Opening_a_suite_file_fills_every_field_the_form_has_and_writes_back_unchanged_what_it_does_not_show()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        var file = Path.Combine(Suites, "seed002-mnist.json");
        var draft = SuiteDraft.Open(file);
        var expected = new Dictionary<string, string>
        {
            ["name"] = "seed002-mnist", ["dataset.name"] = "mnist", ["dataset.path"] = "", ["dataset.channels"] = "1", ["dataset.size"] = "28",
            ["dataset.seed"] = "1", ["dataset.val_fraction"] = "0.1", ["dataset.train"] = "", ["recipe.epochs"] = "60", ["recipe.batch_size"] = "128",
            ["recipe.seed"] = "7", ["recipe.optimizer.name"] = "adamw", ["recipe.optimizer.lr"] = "0.001", ["recipe.optimizer.weight_decay"] = "0.0005",
            ["recipe.schedule.name"] = "plateau", ["recipe.schedule.warmup_epochs"] = "3", ["recipe.augment"] = "seed002",
            ["recipe.batch_augment.mixup"] = "", ["recipe.ema"] = "", ["recipe.early_stopping.patience"] = "8", ["recipe.target.value"] = "0.99",
        };
        Assert.Equal(expected, expected.Keys.ToDictionary(k => k, k => draft[k]));
        Assert.Equal(new[] { "lenet5", "alexnet", "vgg11_bn", "googlenet", "resnet18", "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0", "efficientnet_b0", "mnasnet1_0" },
            draft.Models.Select(m => m.Variant));
        Assert.Equal("activation=relu pool=max", draft.Models[0]["options"]);
        // What the form has no field for is named, and kept.
        Assert.Equal(new[]
        {
            "recipe.schedule.monitor", "recipe.schedule.factor", "recipe.schedule.patience", "recipe.schedule.max_reductions",
            "recipe.early_stopping.metric", "recipe.target.metric", "analysis.features", "analysis.max_images", "analysis.perplexity",
        }, draft.NotShown);
        var original = ReadJsonc(file);
        var saved = Path.Combine(root, "seed002-mnist.json");
        Assert.True(JsonNode.DeepEquals(original, JsonNode.Parse(draft.ToJson(saved))), draft.ToJson(saved));
        // The same runs: each model's fingerprint (data set, entry, recipe) is the original's, so earlier results are reused.
        Assert.Equal(SuiteParser.Load(file).Models.Select(m => m.Fingerprint), SuiteParser.Parse(draft.ToJson(saved), saved).Models.Select(m => m.Fingerprint));

        // A changed field is written; the fields around it stay; another schedule drops plateau's own fields.
        draft["recipe.epochs"] = "5";
        draft.Models[0]["options"] = "activation=tanh pool=max";
        var changed = JsonNode.Parse(draft.ToJson(saved))!;
        Assert.Equal((5, "tanh", "val_top1"), ((int)changed["recipe"]!["epochs"]!, (string)changed["models"]![0]!["options"]!["activation"]!, (string)changed["recipe"]!["schedule"]!["monitor"]!));
        draft["recipe.schedule.name"] = "cosine";
        var cosine = JsonNode.Parse(draft.ToJson(saved))!["recipe"]!["schedule"]!.AsObject();
        Assert.Equal(new[] { "name", "warmup_epochs" }, cosine.Select(p => p.Key));
        var (suite, _, error) = draft.Check(runner, saved);
        Assert.True(suite is not null, error);
        Assert.True(suite.Analysis is not null);

        // seeds/000: an image folder named relative to the suite file, Mixup/CutMix, label smoothing, EMA, the seed's augmentation.
        var folderSuite = SuiteDraft.Open(Path.Combine(Suites, "seed000-cats-vs-dogs.json"));
        Assert.Equal(("folder", "data/cats-vs-dogs", "3", "224", "0.1", "0.1"),
            (folderSuite["dataset.name"], folderSuite["dataset.path"], folderSuite["dataset.channels"], folderSuite["dataset.size"], folderSuite["dataset.val_fraction"], folderSuite["dataset.test_fraction"]));
        Assert.Equal(("seed000", "0.8", "1.0", "0.1", "0.9999", "0.05"),
            (folderSuite["recipe.augment"], folderSuite["recipe.batch_augment.mixup"], folderSuite["recipe.batch_augment.cutmix"], folderSuite["recipe.label_smoothing"], folderSuite["recipe.ema"], folderSuite["recipe.optimizer.weight_decay"]));
        Assert.Equal(new[] { "dataset.normalize", "recipe.optimizer.no_decay_norm_bias" }, folderSuite.NotShown);
        // Saved elsewhere, its relative data path becomes absolute: the parser reads it relative to the file.
        var moved = JsonNode.Parse(folderSuite.ToJson(saved))!;
        Assert.Equal(Path.Combine(Suites, "data", "cats-vs-dogs"), (string)moved["dataset"]!["path"]!);
        moved["dataset"]!["path"] = "data/cats-vs-dogs";
        Assert.True(JsonNode.DeepEquals(ReadJsonc(Path.Combine(Suites, "seed000-cats-vs-dogs.json")), moved));
        folderSuite["recipe.batch_augment.cutmix"] = "";
        Assert.Equal("""[{"name":"mixup","alpha":0.8}]""", JsonNode.Parse(folderSuite.ToJson(saved))!["recipe"]!["batch_augment"]!.ToJsonString());

        var broken = Path.Combine(root, "broken.json");
        File.WriteAllText(broken, "{ \"name\": ");
        Assert.Contains("not valid JSON", Assert.Throws<ZooConfigException>(() => SuiteDraft.Open(broken)).Message);
    }

    [Fact]
    public void The_seeds_augmentation_presets_are_the_seeds_suite_files_own()
    {
        foreach (var (preset, file) in new[] { ("seed000", "seed000-cats-vs-dogs.json"), ("seed002", "seed002-mnist.json"), ("seed004", "seed004-monkeys.json") })
            Assert.True(JsonNode.DeepEquals(ReadJsonc(Path.Combine(Suites, file))["recipe"]!["augment"], SuiteDraft.Presets[preset]), preset);
    }

    [Fact]
    public void Each_model_has_its_label_options_and_recipe_overrides_with_errors_on_the_models_own_fields()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        var path = Path.Combine(Path.GetTempPath(), "builder-models.json");
        // The same variant twice needs distinct labels: the parser's message, on the second one's label.
        var draft = new SuiteDraft { Variants = new[] { "lenet5", "lenet5", "resnet18" } };
        var (none, field, error) = draft.Check(runner, path);
        Assert.Null(none);
        Assert.Equal("models[1].label", field);
        Assert.Contains("'lenet5' appears 2 times", error);

        draft.Models[1]["label"] = "lenet5-relu";
        draft.Models[1]["options"] = "activation=relu pool=max";
        draft.Models[1]["epochs"] = "2";
        draft.Models[1]["lr"] = "0.01";
        draft.Models[2]["dropout"] = "0.2";
        var (suite, _, message) = draft.Check(runner, path);
        Assert.True(suite is not null, message);
        Assert.Equal(new[] { "lenet5", "lenet5-relu", "resnet18" }, suite.Models.Select(m => m.Label));
        Assert.Equal(("relu", "max"), (suite.Models[1].Options.Raw("activation"), suite.Models[1].Options.Raw("pool")));
        Assert.Equal((2, 0.01, "adamw"), (suite.Models[1].Recipe!.Epochs, suite.Models[1].Recipe!.Optimizer.LearningRate, suite.Models[1].Recipe!.Optimizer.Name));
        Assert.Null(suite.Models[0].Recipe);
        Assert.Equal(0.2, suite.Models[2].Dropout);
        var models = JsonNode.Parse(draft.ToJson())!["models"]!.AsArray();
        Assert.Equal("\"lenet5\"", models[0]!.ToJsonString());   // a model with nothing of its own stays a bare name

        // The parser's and the architectures' own messages, each on the model's field it names.
        (int Model, string Field, string Value, string Expected)[] wrong =
        {
            (1, "options", "activation=sigmoid", "'sigmoid' is not allowed; allowed: tanh, relu"),
            (1, "options", "relu", "'relu' is not key=value"),
            (2, "options", "width=2", "unknown parameter; allowed: none"),
            (1, "epochs", "0", "0 is out of range"),
            (1, "lr", "fast", "give a number more than 0"),
            (2, "dropout", "1.5", "1.5 is out of range"),
        };
        foreach (var (model, f, value, expected) in wrong)
        {
            var d = new SuiteDraft { Variants = new[] { "lenet5", "lenet5", "resnet18" } };
            d.Models[1]["label"] = "second";
            d.Models[model][f] = value;
            var (bad, where, text) = d.Check(runner, path);
            Assert.Null(bad);
            Assert.Equal($"models[{model}].{f}", where);
            Assert.Contains(expected, text);
        }
    }

    [Fact]
    public void The_recipe_fields_write_what_the_parser_reads_and_its_errors_land_beside_them()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        var path = Path.Combine(Path.GetTempPath(), "builder-recipe.json");
        var draft = new SuiteDraft { Variants = new[] { "resnet18" } };
        foreach (var (f, v) in new[]
        {
            ("dataset.channels", "3"), ("dataset.size", "32"), ("dataset.train", "300"), ("dataset.val", "50"), ("dataset.test", "60"),
            ("recipe.label_smoothing", "0.1"), ("recipe.batch_augment.mixup", "0.8"), ("recipe.batch_augment.cutmix", "1.0"), ("recipe.augment", "seed000"),
            ("recipe.ema", "0.999"), ("recipe.precise_bn", "20"), ("recipe.early_stopping.patience", "4"), ("recipe.target.value", "0.9"),
            ("recipe.optimizer.weight_decay", "0.05"),
        })
            draft[f] = v;
        var (suite, _, error) = draft.Check(runner, path);
        Assert.True(suite is not null, error);
        var r = suite.Recipe;
        Assert.Equal((0.1, 0.999, 20, 4, 0.9), (r.LabelSmoothing, r.Ema, r.PreciseBatchNorm, r.EarlyStopping!.Patience, r.Target!.Value));
        Assert.Equal(("mixup_cutmix", "0.8", "1"), (r.BatchAugment[0].Name, r.BatchAugment[0].Parameters.Raw("mixup_alpha"), r.BatchAugment[0].Parameters.Raw("cutmix_alpha")));
        Assert.Equal(new[] { "random_resized_crop", "hflip", "randaugment", "random_erasing" }, r.Augment.Select(a => a.Name));
        Assert.Equal("0.05", r.Optimizer.Parameters.Raw("weight_decay"));
        Assert.Equal(("300", "50", "60"), (suite.Dataset.Options.Raw("train"), suite.Dataset.Options.Raw("val"), suite.Dataset.Options.Raw("test")));

        (string Field, string Value, string Expected)[] wrong =
        {
            ("recipe.label_smoothing", "1", "recipe.label_smoothing: 1 is out of range"),
            ("recipe.batch_augment.cutmix", "0", "recipe.batch_augment[0].cutmix_alpha"),
            ("recipe.batch_augment.mixup", "much", "recipe.batch_augment[0].mixup_alpha"),
            ("recipe.precise_bn", "0", "recipe.precise_bn: 0 is out of range"),
            ("recipe.early_stopping.patience", "soon", "expected a whole number"),
            ("recipe.target.value", "high", "expected a number"),
            ("recipe.optimizer.weight_decay", "lots", "recipe.optimizer.weight_decay"),
            ("dataset.train", "many", "dataset.train: 'many' is not a whole number"),
            ("dataset.test_fraction", "0.2", "dataset.test_fraction: unknown parameter"),   // a folder's option, not shapes'
        };
        foreach (var (f, v, expected) in wrong)
        {
            var d = new SuiteDraft { Variants = new[] { "resnet18" } };
            d["recipe.batch_augment.mixup"] = "0.8";
            d["recipe.batch_augment.cutmix"] = "1.0";
            d[f] = v;
            var (bad, where, text) = d.Check(runner, path);
            Assert.Null(bad);
            Assert.Equal(f, where);
            Assert.Contains(expected, text);
        }
    }

    [Fact]
    public void The_data_sets_download_state_comes_from_the_engines_own_file_names()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var mnist = LocalData.Of("mnist", dir)!;
        Assert.False(mnist.Present);
        Assert.Equal(new[] { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" }, mnist.Missing);
        foreach (var f in mnist.Missing.Take(3)) File.WriteAllBytes(Path.Combine(dir, f), new byte[] { 1 });
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte"), new byte[] { 1 });   // unpacked works too
        Assert.True(LocalData.Of("mnist", dir)!.Present);
        Assert.Equal(new[] { "cifar-10-binary.tar.gz" }, LocalData.Of("cifar10", dir)!.Missing);
        Directory.CreateDirectory(Path.Combine(dir, "cifar-10-batches-bin"));
        File.WriteAllBytes(Path.Combine(dir, "cifar-10-batches-bin", "data_batch_1.bin"), new byte[] { 1 });
        Assert.True(LocalData.Of("cifar10", dir)!.Present);
        Assert.False(LocalData.Of("cifar100", dir)!.Present);
        Assert.Null(LocalData.Of("shapes"));
        Assert.Equal(Path.Combine(Downloads.DataRoot, "fashion-mnist"), LocalData.Of("fashion-mnist")!.Folder);

        var draft = new SuiteDraft { Variants = new[] { "lenet5" } };
        draft["dataset.name"] = "mnist";
        draft["dataset.path"] = dir;
        Assert.True(draft.DataState()!.Present);
        Assert.Equal(LocalData.Of("mnist")!.Present ? "mnist ✓" : "mnist ↓", SuiteDraft.SetState("mnist"));
        Assert.Equal("shapes", SuiteDraft.SetState("shapes"));
    }

    [Fact]
    public void F5_compares_on_the_quick_starts_data_and_recipe_with_its_lenet_entry_and_the_run_pane_says_so()
    {
        // Three epochs of LeNet-5's default on 2 000 images gave 16 % test top-1; the quick start's entry reaches 98 % (issue 26).
        var quick = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.Root, "suites", "quick-start.json")),
            documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        var text = UiModel.SuiteFor(new[] { "lenet5", "mobilenet_v3_small" });
        var f5 = JsonNode.Parse(text)!.AsObject();
        Assert.True(JsonNode.DeepEquals(quick["dataset"], f5["dataset"]), f5["dataset"]!.ToJsonString());
        var recipe = f5["recipe"]!.AsObject();
        Assert.Equal(50, (int)recipe["precise_bn"]!);   // any marked BatchNorm model trains briefly here
        recipe.Remove("precise_bn");
        Assert.True(JsonNode.DeepEquals(quick["recipe"], recipe), recipe.ToJsonString());
        var lenet = quick["models"]!.AsArray().First(m => m is JsonObject o && (string?)o["variant"] == "lenet5");
        Assert.True(JsonNode.DeepEquals(lenet, f5["models"]![0]), f5["models"]![0]!.ToJsonString());
        Assert.Equal("mobilenet_v3_small", (string?)f5["models"]![1]);

        var suite = SuiteParser.Parse(text, "/x/ui-comparison.json");
        Assert.Equal("F5 compares on the quick start's data and recipe (suites/quick-start.json): shapes 1x28x28, "
            + "3 epochs, batch 32, adamw lr 0.002, 0.5-epoch warm-up then cosine, seed 42; own entries: lenet5-relu 15 epochs (activation relu, pool max); "
            + "BatchNorm statistics re-estimated on 50 batches before each evaluation.", UiModel.QuickComparisonText(suite));
        Assert.Throws<ZooConfigException>(() => UiModel.SuiteFor(Array.Empty<string>()));
    }

    [Fact]
    public void The_builder_opens_a_suite_file_shows_each_models_fields_and_picks_an_image_folder_in_a_dialog()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        using var app = UiTests.VirtualScreen(160, 45);
        using var view = new SuiteBuilderView(new SuiteDraft { Variants = new[] { "lenet5", "resnet18" } }, runner, root);
        app.Begin(view);
        app.LayoutAndDraw(true);
        var screen = UiTests.ScreenText(app, view);
        Assert.Contains("Models (2, the catalogue's marked variants):", screen);
        Assert.True(screen.Contains("built in, nothing to download"), screen);

        // Tab runs through the models' fields and their copy and remove buttons, then Add model, then Check.
        view.Input("models[0].options").SetFocus();
        app.InjectKey(Key.Tab);
        Assert.Same(view.Input("models[0].dropout"), view.MostFocused);
        view.Input("models[1].lr").SetFocus();
        app.InjectKey(Key.Tab);
        Assert.Equal("copy", Assert.IsType<Button>(view.MostFocused).Text);
        app.InjectKey(Key.Tab);
        Assert.Equal("remove", Assert.IsType<Button>(view.MostFocused).Text);
        app.InjectKey(Key.Tab);
        Assert.Same(view.AddField, view.MostFocused);
        app.InjectKey(Key.Tab);
        Assert.Equal("_Check", Assert.IsType<Button>(view.MostFocused).Text);

        // A model's option, typed: the architecture's message beside that model's row.
        view.Input("models[0].options").SetFocus();
        foreach (var c in "activation=sigmoid") app.InjectKey(new Key(c));
        Assert.Equal("activation=sigmoid", view.Draft.Models[0]["options"]);
        Assert.Null(view.Check());
        Assert.StartsWith("✗ models[0].options.activation: 'sigmoid' is not allowed", view.Note("models[0].options"));
        app.LayoutAndDraw(true);
        Assert.Contains("✗ models[0].options.activation", UiTests.ScreenText(app, view));
        view.Input("models[0].options").Text = "activation=relu";
        view.Input("models[1].label").Text = "resnet";
        view.Input("models[1].epochs").Text = "2";

        // The image folder from the dialog (replaced here: a test cannot answer a modal dialog).
        var images = Path.Combine(root, "images");
        foreach (var c in new[] { "cat", "dog" }) Directory.CreateDirectory(Path.Combine(images, c));
        view.PickFolder = () => images;
        var choose = view.SubViews.OfType<Button>().Single(b => b.Text.Contains("image folder"));
        choose.InvokeCommand(Command.Accept);
        Assert.Equal(("folder", images, "3"), (view.Input("dataset.name").Text, view.Input("dataset.path").Text, view.Input("dataset.channels").Text));
        Assert.Equal("✗ no class sub-folders with images there", view.Note("dataset.name"));   // empty class folders
        foreach (var c in new[] { "cat", "dog" }) File.WriteAllBytes(Path.Combine(images, c, "1.png"), new byte[] { 1 });
        view.Input("dataset.path").Text = images + "/";   // typed again: the note looks again
        Assert.Equal("✓ class sub-folders with images", view.Note("dataset.name"));
        view.Input("dataset.size").Text = "32";
        view.Input("dataset.test_fraction").Text = "0.2";
        view.Input("dataset.train").Text = "100";   // shapes' option: the validator's message beside it
        Assert.Null(view.Check());
        Assert.StartsWith("✗ dataset.train: unknown parameter; allowed: cache, resize, test_fraction", view.Note("dataset.train"));
        view.Input("dataset.train").Text = "";
        view.Input("name").Text = "pets";
        var saved = view.Save();
        Assert.True(saved is not null, view.Status);
        Assert.Equal((images, "0.2", "relu", "resnet", 2), (saved.Dataset.Path!.TrimEnd('/'), saved.Dataset.Options.Raw("test_fraction"), saved.Models[0].Options.Raw("activation"), saved.Models[1].Label, saved.Models[1].Recipe!.Epochs));

        // Open: the seed suite's fields and models fill the form; the rest is named, and saved as it was.
        Assert.True(view.Open(Path.Combine(Suites, "seed002-mnist.json")));
        Assert.Equal(("mnist", "60", "seed002"), (view.Input("dataset.name").Text, view.Input("recipe.epochs").Text, view.Input("recipe.augment").Text));
        Assert.Equal("activation=relu pool=max", view.Input("models[0].options").Text);
        Assert.Contains("kept as in the file, not shown here: recipe.schedule.monitor", view.Info);
        Assert.StartsWith(LocalData.Of("mnist")!.Present ? "✓ in" : "↓ not yet in", view.Note("dataset.name"));
        app.LayoutAndDraw(true);
        screen = UiTests.ScreenText(app, view);
        Assert.Contains("Models (10, from seed002-mnist.json):", screen);
        Assert.True(screen.Contains("mnasnet1_0"), screen);
        Assert.NotNull(view.Save());
        Assert.True(JsonNode.DeepEquals(ReadJsonc(Path.Combine(Suites, "seed002-mnist.json")), JsonNode.Parse(File.ReadAllText(Path.Combine(root, "seed002-mnist.json")))));
        Assert.False(view.Open(Path.Combine(root, "no-such.json")));
        Assert.Contains("no such file", view.Info);
    }

    [Fact]
    public void Models_are_added_by_name_copied_under_a_fresh_label_and_removed()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        var path = Path.Combine(Path.GetTempPath(), "builder-rows.json");
        var draft = new SuiteDraft { Variants = new[] { "lenet5" } };
        draft.Models[0]["options"] = "activation=relu pool=max";
        var copy = draft.Duplicate(0);
        Assert.Equal(("lenet5", "lenet5-2", "activation=relu pool=max"), (copy.Variant, copy.Label, copy["options"]));
        copy["options"] = "activation=tanh pool=max";   // with and without: the copy's own options
        Assert.Equal("", draft.AddModel("resnet18")["label"]);   // a name not taken yet needs no label
        Assert.Equal("lenet5-3", draft.AddModel("lenet5").Label);
        Assert.Equal("lenet5-4", draft.Duplicate(1).Label);   // a copy of lenet5-2: the stem's next free number
        var (suite, _, error) = draft.Check(runner, path);
        Assert.True(suite is not null, error);
        Assert.Equal(new[] { "lenet5", "lenet5-2", "lenet5-4", "resnet18", "lenet5-3" }, suite.Models.Select(m => m.Label));
        Assert.Equal(new[] { "relu", "tanh", "tanh", null, null }, suite.Models.Select(m => m.Options.Raw("activation")));
        draft.RemoveModel(2);
        Assert.Equal(new[] { "lenet5", "lenet5-2", "resnet18", "lenet5-3" }, draft.Models.Select(m => m.Label));

        // A label typed twice (case does not matter to the parser): its message on the second one's label.
        draft.Models[3]["label"] = "LENET5-2";
        var (none, field, message) = draft.Check(runner, path);
        Assert.Null(none);
        Assert.Equal("models[3].label", field);
        Assert.Contains("'lenet5-2' appears 2 times", message);

        // A copy of an opened file's entry keeps what the form does not show, under its new label.
        var opened = SuiteDraft.Open(Path.Combine(Suites, "seed002-mnist.json"));
        opened.Duplicate(0);
        var models = JsonNode.Parse(opened.ToJson(path))!["models"]!.AsArray();
        var second = models[1]!.DeepClone().AsObject();
        Assert.Equal("lenet5-2", (string)second["label"]!);
        second.Remove("label");
        Assert.True(JsonNode.DeepEquals(models[0], second), second.ToJsonString());
        Assert.Equal(11, models.Count);

        // Picking a variant by name: the name in any case (and - for _) first, then names that start with it, then those that contain it.
        var names = new[] { "resnet18", "resnet34", "squeezenet1_1", "mobilenet_v2" };
        Assert.Equal(new[] { "resnet18", "resnet34" }, SuiteDraft.Matching(names, "ResNet"));
        Assert.Equal(new[] { "mobilenet_v2" }, SuiteDraft.Matching(names, "mobilenet-v2"));
        Assert.Equal(new[] { "squeezenet1_1" }, SuiteDraft.Matching(names, "net1_"));
        Assert.Equal(names, SuiteDraft.Matching(names, ""));
        // The one it can only mean: the name, else the only one starting with it ("lenet": lenet5, though googlenet contains it), else the only match.
        var zoo = new[] { "lenet5", "googlenet", "mobilenet_v2", "resnet18", "resnet34" };
        Assert.Equal("lenet5", SuiteDraft.Pick(zoo, "lenet"));
        Assert.Equal("resnet18", SuiteDraft.Pick(zoo, "RESNET18"));
        Assert.Null(SuiteDraft.Pick(zoo, "resnet"));
        Assert.Equal("mobilenet_v2", SuiteDraft.Pick(zoo, "bilenet"));
        Assert.Null(SuiteDraft.Pick(zoo, "net"));
        Assert.Null(SuiteDraft.Pick(zoo, ""));
    }

    [Fact]
    public void The_builder_scrolls_to_the_focused_field_of_a_long_suite_on_a_small_screen()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        var names = catalog.Variants.Select(e => e.Variant.Name).Distinct().Take(20).ToArray();
        Assert.Equal(20, names.Length);
        using var app = UiTests.VirtualScreen(80, 25);
        using var view = new SuiteBuilderView(new SuiteDraft { Variants = names }, runner, root, variants: names);
        app.Begin(view);
        app.LayoutAndDraw(true);
        var screen = UiTests.ScreenText(app, view);
        Assert.DoesNotContain(names[^1], screen);   // below the window at first
        Assert.True(view.GetContentSize().Height > view.Viewport.Height);

        // Tab, as a user would, from the top to the last model's label: each field is brought on screen as it gets the focus.
        view.Input("name").SetFocus();
        for (int i = 0; i < 400 && view.MostFocused != view.Input($"models[{names.Length - 1}].label"); i++)
        {
            app.InjectKey(Key.Tab);
            app.LayoutAndDraw(true);
            if (view.MostFocused is TextField f)
            {
                var r = f.FrameToScreen();
                Assert.True(view.FrameToScreen().Contains(r), $"{f.Text}: {r} is off the window {view.FrameToScreen()}");
            }
        }
        Assert.Same(view.Input($"models[{names.Length - 1}].label"), view.MostFocused);
        screen = UiTests.ScreenText(app, view);
        Assert.True(screen.Contains(names[^1]), screen);
        Assert.True(view.Viewport.Y > 0);

        // PageUp scrolls back towards the top.
        var y = view.Viewport.Y;
        app.InjectKey(Key.PageUp);
        Assert.True(view.Viewport.Y < y);
    }

    [Fact]
    public void The_builder_adds_copies_and_removes_model_rows_and_chooses_the_data_set_among_the_known_ones()
    {
        using var catalog = TestEnvironment.Catalog();
        var runner = new SuiteRunner(catalog);
        using var rootFolder = new TempFolder();
        var root = rootFolder.Path;
        using var app = UiTests.VirtualScreen(160, 45);
        var names = catalog.Variants.Select(e => e.Variant.Name).ToList();
        using var view = new SuiteBuilderView(new SuiteDraft { Variants = new[] { "lenet5" } }, runner, root,
            variants: names, datasets: catalog.Datasets.Select(d => d.Name));
        app.Begin(view);
        app.LayoutAndDraw(true);

        // Add model: the names that match as one types; Enter adds the one named.
        view.AddField.SetFocus();
        foreach (var c in "resnet") app.InjectKey(new Key(c));
        Assert.Contains("resnet18", view.AddNote);
        app.InjectKey(Key.Enter);   // several match: nothing added
        Assert.Single(view.Draft.Models);
        Assert.Contains("type more", view.AddNote);
        foreach (var c in "18") app.InjectKey(new Key(c));
        app.InjectKey(Key.Enter);
        Assert.Equal(new[] { "lenet5", "resnet18" }, view.Draft.Models.Select(m => m.Variant));
        Assert.Equal("", view.AddField.Text);
        foreach (var c in "no-such-net") app.InjectKey(new Key(c));
        Assert.StartsWith("✗ no variant matches", view.AddNote);
        view.AddField.Text = "";
        app.LayoutAndDraw(true);
        Assert.Contains("Models (2, the catalogue's marked variants, edited here):", UiTests.ScreenText(app, view));

        // Copy a row: same variant and options, a fresh label, the focus on it; then its own options.
        view.Input("models[0].options").Text = "activation=relu pool=max";
        Button RowButton(int row, string text) => view.SubViews.OfType<Button>().Where(b => b.Text == text).ElementAt(row);
        RowButton(0, "copy").InvokeCommand(Command.Accept);
        Assert.Equal(new[] { "lenet5", "lenet5-2", "resnet18" }, view.Draft.Models.Select(m => m.Label));
        Assert.Equal(("lenet5-2", "activation=relu pool=max"), (view.Input("models[1].label").Text, view.Input("models[1].options").Text));
        Assert.Same(view.Input("models[1].label"), view.MostFocused);
        view.Input("models[1].options").Text = "activation=tanh pool=max";
        Assert.NotNull(view.Check());

        // Two rows with one label: the parser's message on the second row.
        view.Input("models[1].label").Text = "lenet5";
        Assert.Null(view.Check());
        Assert.StartsWith("✗ models: 'lenet5' appears 2 times", view.Note("models[1].label"));
        app.LayoutAndDraw(true);
        Assert.Contains("✗ models: 'lenet5' appears 2 times", UiTests.ScreenText(app, view));

        // Leaving a model's options checks that model: the architecture's message, with the options it accepts, on the row.
        view.Input("models[0].options").SetFocus();
        view.Input("models[0].options").Text = "activation=sigmoid";
        app.InjectKey(Key.Tab);
        Assert.StartsWith("✗ models[0].options.activation: 'sigmoid' is not allowed; allowed: tanh, relu", view.Note("models[0].options"));
        Assert.StartsWith("✗ models: 'lenet5' appears 2 times", view.Note("models[1].label"));   // the suite's error on the other row stays
        view.Input("models[0].options").SetFocus();
        view.Input("models[0].options").Text = "activation=relu pool=max";
        app.InjectKey(Key.Tab);
        Assert.Equal("", view.Note("models[0].options"));

        // Remove it: the rows close up, the focus goes to the next row.
        RowButton(1, "remove").InvokeCommand(Command.Accept);
        Assert.Equal(new[] { "lenet5", "resnet18" }, view.Draft.Models.Select(m => m.Label));
        Assert.Equal("resnet18", view.Draft.Models[1].Variant);
        Assert.Same(view.Input("models[1].label"), view.MostFocused);
        Assert.NotNull(view.Check());

        // The data set: a choice among the engine's sets, each with its download state (the tests' data folder is empty).
        var sets = view.DataSetChoice;
        Assert.Equal(new[] { "shapes", "shapes-patch", "mnist ↓", "fashion-mnist ↓", "cifar10 ↓", "cifar100 ↓", "folder…" }, sets.Labels);
        Assert.Equal(0, sets.Value);
        app.LayoutAndDraw(true);
        Assert.Contains("cifar10 ↓", UiTests.ScreenText(app, view));
        sets.Value = 2;
        Assert.Equal("mnist", view.Input("dataset.name").Text);
        Assert.StartsWith("↓ not yet in", view.Note("dataset.name"));
        view.Input("dataset.name").Text = "cifar100";   // typed: the choice follows
        Assert.Equal(5, sets.Value);
        view.Input("dataset.name").Text = "a-plugins-set";
        Assert.Null(sets.Value);
        var images = Path.Combine(root, "images");
        view.PickFolder = () => images;
        sets.Value = 6;   // folder…: the folder dialog
        Assert.Equal(("folder", images), (view.Input("dataset.name").Text, view.Input("dataset.path").Text));
    }
}
