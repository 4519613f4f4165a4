using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Plugins;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

public sealed class WeightsTests
{
    static readonly PluginCatalog Catalog = Load();

    static PluginCatalog Load()
    {
        var c = new PluginCatalog(new[] { TestEnvironment.PluginDrop }, Array.Empty<IZooPlugin>());
        c.Refresh();
        return c;
    }

    static nn.Module<Tensor, Tensor> Build(string variant, int classes = 10, int size = 32, int seed = 1)
    {
        torch.manual_seed(seed);
        return Catalog.FindVariant(variant)!.Architecture.Build(new ModelSpec(variant, 3, classes, size, size));
    }

    static string TempFile() => Path.Combine(TestEnvironment.NewTempDirectory(), "weights.safetensors");

    static Tensor Logits(nn.Module<Tensor, Tensor> model, Tensor x)
    {
        model.eval();
        using var _ = torch.no_grad();
        return model.call(x);
    }

    [Fact]
    public void Safetensors_round_trip_the_weights_and_logits_exactly()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        using var a = Build("resnet18", seed: 1);
        a.train();
        using (torch.no_grad()) a.call(torch.randn(4, 3, 32, 32));   // running statistics off their defaults
        WeightLoader.Save(a, path, new Dictionary<string, string> { ["variant"] = "resnet18" });
        using var b = Build("resnet18", seed: 2);
        var report = WeightLoader.Load(b, path);
        Assert.True(report.Exact);
        Assert.Equal(a.state_dict().Count, report.Loaded.Count);
        Safetensors.Load(path, out var meta);
        Assert.Equal("resnet18", meta["variant"]);
        var x = torch.randn(2, 3, 32, 32);
        Assert.True(Logits(a, x).eq(Logits(b, x)).all().item<bool>());
    }

    [Fact]
    public void A_file_in_torchvisions_layout_loads_every_key_into_the_ImageNet_model()
    {
        // Write, with our own writer, a state dict laid out exactly as torchvision's resnet50 (the key and
        // shape manifest written from torchvision 0.14), then load it into the zoo's resnet50.
        using var scope = NewDisposeScope();
        var manifest = Path.Combine(TestEnvironment.Root, "tests", "Zoo.Classic.Tests", "reference-state-dicts", "resnet50.txt");
        var gen = new Generator(7);
        var file = new Dictionary<string, Tensor>();
        foreach (var line in File.ReadLines(manifest).Where(l => !l.StartsWith('#')))
        {
            var parts = line.Split(' ');
            var shape = parts.Length > 1 && parts[1].Length > 0 ? parts[1].Split('x').Select(long.Parse).ToArray() : Array.Empty<long>();
            file[parts[0]] = parts[0].EndsWith("num_batches_tracked")
                ? torch.tensor(123L)
                : parts[0].EndsWith("running_var") ? torch.rand(shape, generator: gen) + 0.5 : torch.randn(shape, generator: gen) * 0.05;
        }
        var path = TempFile();
        Safetensors.Save(path, file);

        using var model = Build("resnet50", classes: 1000, size: 224);
        var report = WeightLoader.Load(model, path);
        Assert.True(report.Exact, "every key of torchvision's layout should line up");
        foreach (var (key, value) in model.state_dict())
            Assert.True(value.eq(file[key]).all().item<bool>(), $"{key} does not hold the file's values");
        using var again = Build("resnet50", classes: 1000, size: 224, seed: 9);
        WeightLoader.Load(again, path);
        var x = torch.randn(1, 3, 224, 224, generator: gen);
        Assert.True(Logits(model, x).eq(Logits(again, x)).all().item<bool>());
    }

    [Fact]
    public void Mismatches_are_named_and_a_head_of_another_class_count_is_reinitialised_on_request()
    {
        using var scope = NewDisposeScope();
        var path = TempFile();
        using (var imagenet = Build("resnet18", classes: 1000)) WeightLoader.Save(imagenet, path);

        using var deeper = Build("resnet34");
        var e = Assert.Throws<ZooConfigException>(() => WeightLoader.Load(deeper, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Contains("layer1.2.conv1.weight", e.Message);

        using var ten = Build("resnet18", classes: 10);
        var headless = Assert.Throws<ZooConfigException>(() => WeightLoader.Load(ten, path));
        Assert.Contains("fc.weight: file [1000x512], model [10x512]", headless.Message);
        Assert.Contains("\"reinit_head\": true", headless.Message);

        var fcBefore = ten.state_dict()["fc.weight"].clone();
        var report = WeightLoader.Load(ten, path, reinitialiseHead: true);
        Assert.Equal(new[] { "fc.weight [1000x512 -> 10x512]", "fc.bias [1000 -> 10]" }, report.Reinitialised);
        Assert.True(ten.state_dict()["fc.weight"].eq(fcBefore).all().item<bool>(), "the new head keeps its fresh initialisation");
        Assert.Contains("conv1.weight", report.Loaded);
    }

    [Fact]
    public void A_damaged_file_is_refused_naming_the_file_and_the_problem()
    {
        var path = TempFile();
        using (var m = Build("lenet5")) WeightLoader.Save(m, path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        using var model = Build("lenet5");
        var e = Assert.Throws<ZooConfigException>(() => WeightLoader.Load(model, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("outside the file", e.Message);

        File.WriteAllText(path, "not weights at all");
        Assert.Contains("not a safetensors file", Assert.Throws<ZooConfigException>(() => WeightLoader.Load(model, path)).Message);
    }
}
