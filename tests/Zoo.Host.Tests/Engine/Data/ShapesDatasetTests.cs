using Zoo.Abstractions;
using Zoo.Engine.Data;

namespace Zoo.Host.Tests;

public sealed class ShapesDatasetTests
{
    static DatasetSplits Open(int channels, int size, int seed, int train = 400) =>
        new ShapesDatasetProvider().Open(new DatasetRequest
        {
            Channels = channels, Size = size, Seed = seed,
            Options = new ParameterBag(new Dictionary<string, string> { ["train"] = $"{train}", ["val"] = "50", ["test"] = "60" }, "dataset"),
        });

    static float[] Image(IImageSet set, int i)
    {
        var buf = new float[set.Info.ImageLength];
        set.Read(i, buf);
        return buf;
    }

    [Fact]
    public void The_same_seed_gives_the_same_images_and_another_seed_other_images()
    {
        var a = Open(3, 32, seed: 11);
        var b = Open(3, 32, seed: 11);
        var c = Open(3, 32, seed: 12);
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(Image(a.Train, i), Image(b.Train, i));
            Assert.Equal(a.Train.GetLabel(i), b.Train.GetLabel(i));
        }
        Assert.NotEqual(Image(a.Train, 0), Image(c.Train, 0));
        Assert.NotEqual(Image(a.Train, 0), Image(a.Test!, 0));   // splits are drawn from different streams
    }

    [Theory]
    [InlineData(1, 28)]
    [InlineData(3, 32)]
    [InlineData(3, 64)]
    public void Splits_have_the_asked_sizes_balanced_classes_and_pixels_in_range(int channels, int size)
    {
        var d = Open(channels, size, seed: 1, train: 200);
        Assert.Equal((channels, size, size), (d.Train.Info.Channels, d.Train.Info.Height, d.Train.Info.Width));
        Assert.Equal(10, d.Train.Info.Classes);
        Assert.Equal((200, 50, 60), (d.Train.Count, d.Validation!.Count, d.Test!.Count));
        var counts = Enumerable.Range(0, d.Train.Count).GroupBy(d.Train.GetLabel).Select(g => g.Count()).ToList();
        Assert.All(counts, c => Assert.Equal(20, c));
        Assert.All(Image(d.Train, 3), v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void Mean_colour_says_nothing_about_the_class()
    {
        // A nearest-class-mean classifier on each image's mean colour stays near chance (10 %).
        var d = Open(3, 32, seed: 3, train: 2000);
        double[] Feature(IImageSet s, int i)
        {
            var img = Image(s, i);
            int plane = 32 * 32;
            return Enumerable.Range(0, 3).Select(c => img.Skip(c * plane).Take(plane).Average(v => (double)v)).ToArray();
        }
        var centroids = Enumerable.Range(0, d.Train.Count).GroupBy(d.Train.GetLabel)
            .ToDictionary(g => g.Key, g => Enumerable.Range(0, 3).Select(c => g.Average(i => Feature(d.Train, i)[c])).ToArray());
        int correct = 0;
        for (int i = 0; i < d.Test!.Count; i++)
        {
            var f = Feature(d.Test, i);
            int guess = centroids.OrderBy(kv => kv.Value.Select((m, c) => (m - f[c]) * (m - f[c])).Sum()).First().Key;
            if (guess == d.Test.GetLabel(i)) correct++;
        }
        Assert.InRange(correct / (double)d.Test.Count, 0.0, 0.25);
    }

    [Fact]
    public void Bad_options_name_the_field()
    {
        var provider = new ShapesDatasetProvider();
        var e = Assert.Throws<ZooConfigException>(() => provider.Open(new DatasetRequest
        {
            Options = new ParameterBag(new Dictionary<string, string> { ["trian"] = "10" }, "suite.json: dataset"),
        }));
        Assert.Contains("suite.json: dataset.trian", e.Message);
        Assert.Contains("allowed: noise, test, train, val", e.Message);
        Assert.Throws<ZooConfigException>(() => provider.Open(new DatasetRequest { Channels = 2 }));
        Assert.Throws<ZooConfigException>(() => provider.Open(new DatasetRequest { Size = 8 }));
    }

    [Fact]
    public void Stratified_split_keeps_class_proportions_and_is_seeded()
    {
        var d = Open(1, 28, seed: 5, train: 1000);
        var (keep, held) = Splits.Stratified(d.Train, 0.2, seed: 9);
        Assert.Equal(1000, keep.Length + held.Length);
        Assert.Empty(keep.Intersect(held));
        Assert.All(held.GroupBy(d.Train.GetLabel), g => Assert.Equal(20, g.Count()));
        Assert.Equal(held, Splits.Stratified(d.Train, 0.2, seed: 9).Held);
        Assert.NotEqual(held, Splits.Stratified(d.Train, 0.2, seed: 10).Held);
    }
}
