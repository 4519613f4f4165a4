using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Plugins;

namespace Zoo.Host.Tests;

public sealed class DescribeTests
{
    static VariantEntry Find(string name)
    {
        var c = new PluginCatalog(new[] { TestEnvironment.PluginDrop }, Array.Empty<IZooPlugin>());
        c.Refresh();
        return c.FindVariant(name)!;
    }

    [Theory]
    [InlineData("resnet18", 1.814)]      // torchvision's published GFLOPS (multiply-accumulates)
    [InlineData("resnet50", 4.089)]
    [InlineData("googlenet", 1.498)]
    [InlineData("densenet121", 2.834)]
    [InlineData("mobilenet_v2", 0.301)]
    [InlineData("swin_t", 4.491)]        // windowed attention: its linear layers per window and its Q·Kᵀ, A·V products
    [InlineData("vit_b_16", 17.564)]     // attention products included, as torchvision's figure has them
    public void GMACs_at_224_match_torchvisions_figures(string variant, double gmacs)
    {
        var e = Find(variant);
        var s = ModelSummary.Describe(e.Architecture, variant, InputShape.ImageNet, 1000);
        Assert.Equal(gmacs, s.GMacs, 3);
        Assert.Equal(e.Variant.ReferenceParameters, s.TotalParameters);
    }

    [Fact]
    public void The_table_lists_layers_in_order_with_shapes_parameters_and_sizes()
    {
        var e = Find("lenet5");
        var s = ModelSummary.Describe(e.Architecture, "lenet5", new InputShape(1, 32, 32), 10);
        Assert.Equal(new[] { "features.0", "features.1", "features.2", "features.3", "features.4", "features.5", "pool",
                             "classifier.0", "classifier.1", "classifier.2", "classifier.3", "classifier.4" }, s.Layers.Select(l => l.Path));
        Assert.Equal(new long[] { 1, 6, 28, 28 }, s.Layers[0].OutputShape);
        Assert.Equal(156, s.Layers[0].Parameters);
        Assert.Equal(6L * 28 * 28 * 25 + 16L * 10 * 10 * 6 * 25 + 400 * 120 + 120 * 84 + 84 * 10, s.Macs);
        var text = s.ToText();
        Assert.Contains("Total params: 61,706", text);
        Assert.Contains("Params size (MB): 0.24", text);
        Assert.Contains("features.0 (Conv2d)", text);
        Assert.Contains("GMACs: 0.00042 at 1x32x32", text);   // significant digits, not a bare 0.000
    }
}
