using System.Text.Json;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>
/// The PyTorch checkpoint reader against files PyTorch 1.13 wrote (Fixtures/pth/make_pth.py; expected.json holds
/// what PyTorch said they contain). No Python runs here.
/// </summary>
public sealed class PthReaderTests
{
    static readonly string Dir = Path.Combine(TestEnvironment.Root, "tests", "Zoo.Host.Tests", "Fixtures", "pth");
    static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Dir, "expected.json"))).RootElement;
    static readonly PluginCatalog Catalog = Load();

    static PluginCatalog Load()
    {
        var c = new PluginCatalog(new[] { TestEnvironment.PluginDrop }, Array.Empty<IZooPlugin>());
        c.Refresh();
        return c;
    }

    static string Fixture(string name) => Path.Combine(Dir, name);

    static double[] Values(JsonElement e) => e.EnumerateArray().Select(v => v.ValueKind switch
    {
        JsonValueKind.True => 1.0,
        JsonValueKind.False => 0.0,
        _ => v.GetDouble(),
    }).ToArray();

    static double[] Values(Tensor t)
    {
        using var d = t.to(ScalarType.Float64).flatten();
        return d.data<double>().ToArray();
    }

    static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt64()).ToArray();

    static Tensor Probe(long n, long c, long h, long w) =>
        torch.sin(0.37 * torch.arange(n * c * h * w, dtype: ScalarType.Float64)).to(ScalarType.Float32).reshape(n, c, h, w);

    static Tensor Logits(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        model.eval();
        using var _ = torch.no_grad();
        return model.call(x);
    }

    static nn.Module<Tensor, Tensor> Shufflenet(int seed)
    {
        torch.manual_seed(seed);
        return Catalog.FindVariant("shufflenet_v2_x0_5")!.Architecture.Build(new ModelSpec("shufflenet_v2_x0_5", 3, 10, 96, 96));
    }

    /// <summary>TorchSharp's twin of make_pth.py's small model: the same keys as PyTorch's nn.Sequential.</summary>
    static nn.Module<Tensor, Tensor> Small() =>
        nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 2));

    static void AssertSmall(IReadOnlyDictionary<string, Tensor> tensors, string which = "small")
    {
        var want = Expected.GetProperty(which);
        Assert.Equal(want.EnumerateObject().Select(p => p.Name).OrderBy(k => k), tensors.Keys.OrderBy(k => k));
        foreach (var p in want.EnumerateObject())
        {
            Assert.Equal(Longs(p.Value.GetProperty("shape")), tensors[p.Name].shape);
            Assert.Equal(Values(p.Value.GetProperty("values")), Values(tensors[p.Name]));
        }
    }

    [Fact]
    public void A_torchvision_state_dict_gives_pytorchs_logits_and_the_same_logits_once_converted_to_safetensors()
    {
        using var scope = NewDisposeScope();
        var pth = Fixture("shufflenet_v2_x0_5.pth");
        var want = Expected.GetProperty("shufflenet_v2_x0_5");
        using var fromPth = Shufflenet(seed: 1);
        var report = WeightLoader.Load(fromPth, pth);
        Assert.True(report.Exact, "every key of torchvision's shufflenet_v2_x0_5 should line up");
        Assert.Equal(want.GetProperty("keys").GetInt32(), report.Loaded.Count);

        var x = Probe(2, 3, 96, 96);
        var logits = Logits(fromPth, x);
        var pytorch = Values(want.GetProperty("logits"));
        var ours = Values(logits);
        Assert.Equal(pytorch.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++) Assert.True(Math.Abs(ours[i] - pytorch[i]) < 1e-4, $"logit {i}: {ours[i]} vs PyTorch's {pytorch[i]}");

        var safetensors = Path.Combine(TestEnvironment.NewTempDirectory(), "shufflenet.safetensors");
        var (count, bytes) = WeightFile.ConvertToSafetensors(pth, safetensors);
        Assert.Equal(report.Loaded.Count, count);
        Assert.True(bytes > 1_000_000);
        using var fromSafetensors = Shufflenet(seed: 2);
        Assert.True(WeightLoader.Load(fromSafetensors, safetensors).Exact);
        Assert.True(Logits(fromSafetensors, x).eq(logits).all().item<bool>(), "the converted file gives the very same logits");
    }

    [Fact]
    public void Every_dtype_a_checkpoint_uses_is_read_with_its_shape_and_values()
    {
        using var scope = NewDisposeScope();
        var tensors = WeightFile.Load(Fixture("dtypes.pth"), out _);
        var types = new Dictionary<string, ScalarType>
        {
            ["float32"] = ScalarType.Float32, ["float16"] = ScalarType.Float16, ["bfloat16"] = ScalarType.BFloat16, ["float64"] = ScalarType.Float64,
            ["int64"] = ScalarType.Int64, ["int32"] = ScalarType.Int32, ["uint8"] = ScalarType.Byte, ["bool"] = ScalarType.Bool,
        };
        var want = Expected.GetProperty("dtypes");
        Assert.Equal(want.EnumerateObject().Count(), tensors.Count);
        foreach (var p in want.EnumerateObject())
        {
            var t = tensors[p.Name];
            Assert.Equal(types[p.Value.GetProperty("dtype").GetString()!], t.dtype);
            Assert.Equal(Longs(p.Value.GetProperty("shape")), t.shape);
            Assert.Equal(Values(p.Value.GetProperty("values")), Values(t));
        }
    }

    [Fact]
    public void Views_keep_their_offsets_and_strides_and_tensors_that_share_a_storage_share_it_in_the_file_too()
    {
        using var scope = NewDisposeScope();
        using var pth = PthFile.Open(Fixture("views.pth"));
        var dict = pth.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value);
        var want = Expected.GetProperty("views");
        foreach (var p in want.EnumerateObject())
        {
            var view = dict[p.Name];
            Assert.Same(dict["base"].Storage, view.Storage);
            Assert.Equal(Longs(p.Value.GetProperty("stride")), view.Stride);
            Assert.Equal(p.Value.GetProperty("offset").GetInt64(), view.Offset);
            var t = pth.Read(view);
            Assert.Equal(Longs(p.Value.GetProperty("shape")), t.shape);
            Assert.True(t.is_contiguous());
            Assert.Equal(Values(p.Value.GetProperty("values")), Values(t));
        }
        Assert.Equal(1, dict["sliced"].Stride[1]);
        Assert.NotEqual(1, dict["transposed"].Stride[1]);   // the non-contiguous view really is one
    }

    [Fact]
    public void A_training_checkpoint_gives_its_one_state_dict_and_one_with_two_needs_the_entry_named()
    {
        using var scope = NewDisposeScope();
        AssertSmall(WeightFile.Load(Fixture("checkpoint.pth"), out _));
        using (var pth = PthFile.Open(Fixture("checkpoint.pth")))
        {
            var root = Assert.IsType<OrderedDictionary<object, object?>>(pth.Root);
            Assert.Equal(3L, root["epoch"]);
            Assert.Equal("small", ((OrderedDictionary<object, object?>)root["args"]!)["name"]);
            Assert.Equal("zip", pth.Format);
        }

        var two = Fixture("two_models.pth");
        var e = Assert.Throws<ZooConfigException>(() => WeightFile.Load(two, out _));
        Assert.Contains(two, e.Message);
        Assert.Contains("model, model_ema", e.Message);
        Assert.Contains("weights_entry", e.Message);
        AssertSmall(WeightFile.Load(two, out _, new WeightSelection("model_ema")), "small_ema");
        AssertSmall(WeightFile.Load(two, out _, new WeightSelection("model")));
        var missing = Assert.Throws<ZooConfigException>(() => WeightFile.Load(two, out _, new WeightSelection("ema")));
        Assert.Contains("has no entry 'ema'", missing.Message);
        Assert.Contains("model_ema", missing.Message);
        Assert.Throws<ZooConfigException>(() => WeightFile.Inspect(Fixture("views.pth"), new WeightSelection("model")));
    }

    [Fact]
    public void A_DataParallel_checkpoint_loads_once_its_module_prefix_is_stripped_on_request()
    {
        using var scope = NewDisposeScope();
        var path = Fixture("dataparallel.pth");
        var (shapes, _) = WeightFile.Inspect(path);
        Assert.All(shapes.Keys, k => Assert.StartsWith("module.", k));

        using var model = Small();
        var e = Assert.Throws<ZooConfigException>(() => WeightLoader.Load(model, path));
        Assert.Contains("\"strip_prefix\": \"module.\"", e.Message);
        Assert.True(WeightLoader.Load(model, path, select: new WeightSelection(StripPrefix: "module.")).Exact);
        AssertSmall(model.state_dict());
    }

    [Fact]
    public void The_format_before_PyTorch_1_6_is_read_too()
    {
        using var scope = NewDisposeScope();
        using var pth = PthFile.Open(Fixture("legacy.pth"));
        Assert.Equal("legacy", pth.Format);
        AssertSmall(pth.ReadStateDict());
    }

    [Fact]
    public void A_pickle_that_would_run_a_command_is_refused_naming_the_global_and_nothing_runs()
    {
        const string marker = "/tmp/zoo-pth-hostile-ran";
        File.Delete(marker);
        var path = Fixture("hostile.pth");
        var e = Assert.Throws<ZooConfigException>(() => WeightFile.Load(path, out _));
        Assert.Contains(path, e.Message);
        Assert.Contains("'posix.system'", e.Message);
        Assert.Contains("nothing ran", e.Message);
        Assert.False(File.Exists(marker));
        Assert.Throws<ZooConfigException>(() => WeightFile.ConvertToSafetensors(path, Path.Combine(TestEnvironment.NewTempDirectory(), "x.safetensors")));

        // Any global off the allow-list, however it is named (STACK_GLOBAL of protocol 4 here), and calling an allowed storage class.
        var unpickler = new Unpickler { Allowed = g => g.FullName == "torch.FloatStorage", Reduce = (g, _) => throw new PickleRefusedException(g.FullName) };
        byte[] stackGlobal = [0x80, 4, 0x8c, 8, .."builtins"u8, 0x8c, 4, .."eval"u8, 0x93, 0x8c, 1, (byte)'1', 0x85, (byte)'R', (byte)'.'];
        Assert.Contains("'builtins.eval'", Assert.Throws<PickleRefusedException>(() => unpickler.Load(stackGlobal)).Message);
    }

    [Fact]
    public void A_truncated_or_foreign_file_is_refused_naming_the_file()
    {
        var dir = TestEnvironment.NewTempDirectory();
        var bytes = File.ReadAllBytes(Fixture("shufflenet_v2_x0_5.pth"));
        foreach (var keep in new[] { bytes.Length / 2, bytes.Length - 10, 100 })
        {
            var path = Path.Combine(dir, $"cut{keep}.pth");
            File.WriteAllBytes(path, bytes.AsSpan(0, keep).ToArray());
            var e = Assert.Throws<ZooConfigException>(() => WeightFile.Load(path, out _));
            Assert.Contains(path, e.Message);
            Assert.Contains("truncated", e.Message);
        }
        var zip = Path.Combine(dir, "other.zip");
        using (var archive = System.IO.Compression.ZipFile.Open(zip, System.IO.Compression.ZipArchiveMode.Create))
            archive.CreateEntry("readme.txt");
        Assert.Contains("data.pkl", Assert.Throws<ZooConfigException>(() => WeightFile.Load(zip, out _)).Message);
    }

    [Fact]
    public void A_suite_and_predict_take_a_pth_with_its_entry_and_prefix()
    {
        using var scope = NewDisposeScope();
        var source = Path.Combine(TestEnvironment.NewTempDirectory(), "suite.json");
        string Suite(string weights, string extra = "") => $$"""
            { "name": "pth", "dataset": { "name": "shapes", "channels": 3, "size": 96 },
              "models": [ { "variant": "shufflenet_v2_x0_5", "weights": "{{weights}}", "reinit_head": true{{extra}} } ],
              "recipe": { "epochs": 1, "batch_size": 8 } }
            """;
        using var catalog = TestEnvironment.Catalog();   // with the built-in data sets
        var runner = new Zoo.Engine.Suites.SuiteRunner(catalog);
        runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite(Fixture("shufflenet_v2_x0_5.pth")), source));
        var two = Assert.Throws<ZooConfigException>(() => runner.Validate(Zoo.Engine.Suites.SuiteParser.Parse(Suite(Fixture("two_models.pth")), source)));
        Assert.Contains("suite.json: models[0].weights", two.Message);
        Assert.Contains("several state dicts (model, model_ema)", two.Message);
        var parsed = Zoo.Engine.Suites.SuiteParser.Parse(Suite(Fixture("dataparallel.pth"), ", \"weights_entry\": \"model\", \"strip_prefix\": \"module.\""), source);
        Assert.Equal(new WeightSelection("model", "module."), parsed.Models[0].WeightSelection);

        using var predictor = Zoo.Engine.Inspection.Predictor.Open(Catalog,
            new Zoo.Engine.Inspection.PredictRequest(Fixture("shufflenet_v2_x0_5.pth")) { Variant = "shufflenet_v2_x0_5", Classes = 10, Size = 96 });
        var prediction = predictor.Predict(Path.Combine(TestEnvironment.Root, "tests", "Zoo.Host.Tests", "TestImages", "cmyk.jpg"));
        Assert.Equal(5, prediction.Top.Count);
        Assert.InRange(prediction.Top.Sum(c => c.Probability), 0.01f, 1.0001f);
    }

    [Fact]
    public void Zoo_weights_convert_writes_safetensors_and_refuses_a_hostile_file()
    {
        var dir = TestEnvironment.NewTempDirectory();
        var output = Path.Combine(dir, "small.safetensors");
        var (code, stdout, stderr) = TestEnvironment.RunZoo("weights", "convert", Fixture("dataparallel.pth"), output, "--strip-prefix", "module.");
        Assert.True(code == 0, stderr);
        Assert.Contains($"{Expected.GetProperty("small").EnumerateObject().Count()} tensors", stdout);
        using (var scope = NewDisposeScope()) AssertSmall(Safetensors.Load(output, out _));

        var (refused, _, error) = TestEnvironment.RunZoo("weights", "convert", Fixture("hostile.pth"), Path.Combine(dir, "hostile.safetensors"));
        Assert.Equal(2, refused);
        Assert.Contains("'posix.system'", error);
        Assert.False(File.Exists(Path.Combine(dir, "hostile.safetensors")));
    }

    [Fact]
    public void A_safetensors_file_whose_header_length_starts_like_a_checkpoint_is_still_safetensors()
    {
        // The first bytes of a safetensors file are its header's length: 0x...80 looks like a pickle's PROTO, 0x4b50 like "PK".
        var dir = TestEnvironment.NewTempDirectory();
        foreach (var length in new[] { 0x180, 0x4b50 })
        {
            var json = System.Text.Encoding.UTF8.GetBytes("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}".PadRight(length));
            var path = Path.Combine(dir, $"h{length}.safetensors");
            File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)length), .. json, .. BitConverter.GetBytes(2.5f)]);
            Assert.False(WeightFile.IsPyTorch(path));
            using var scope = NewDisposeScope();
            Assert.Equal(2.5f, WeightFile.Load(path, out _)["x"].item<float>());
        }
    }

    [Fact]
    public void A_damaged_pickle_is_a_clear_error_or_still_reads_never_a_crash()
    {
        // Seeded byte damage in the archive's first 4 KB (its data.pkl and directory entries): each copy either still
        // reads or is refused with a ZooConfigException naming the file; nothing else escapes.
        var dir = TestEnvironment.NewTempDirectory();
        var bytes = File.ReadAllBytes(Fixture("checkpoint.pth"));
        var random = new Random(12);
        int refused = 0;
        for (int i = 0; i < 150; i++)
        {
            var copy = (byte[])bytes.Clone();
            for (int k = 0; k < 1 + i % 3; k++) copy[random.Next(0, Math.Min(4096, copy.Length))] = (byte)random.Next(256);
            var path = Path.Combine(dir, $"damaged{i}.pth");
            File.WriteAllBytes(path, copy);
            try
            {
                using var scope = NewDisposeScope();
                WeightFile.Load(path, out _);
            }
            catch (ZooConfigException e)
            {
                Assert.Contains(path, e.Message);
                refused++;
            }
        }
        Assert.True(refused > 0);
    }
}
