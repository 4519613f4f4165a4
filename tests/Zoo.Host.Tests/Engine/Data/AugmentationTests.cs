using SkiaSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;

namespace Zoo.Host.Tests;

public sealed class AugmentationTests
{
    static IAugmentation Make(string name, params (string K, string V)[] kv) =>
        BuiltInAugmentations.All().Single(f => f.Name == name).Create(new ParameterBag(kv.ToDictionary(x => x.K, x => x.V), $"recipe.augment[{name}]"));

    static IBatchAugmentation MakeBatch(string name, params (string K, string V)[] kv) =>
        BuiltInAugmentations.Batch().Single(f => f.Name == name).Create(new ParameterBag(kv.ToDictionary(x => x.K, x => x.V), $"recipe.batch_augment[{name}]"));

    /// <summary>A 3×24×24 test card: a gradient, a bright square top-left and a coloured stripe.</summary>
    static ImageData Card()
    {
        var img = new ImageData(3, 24, 24);
        for (int y = 0; y < 24; y++)
            for (int x = 0; x < 24; x++)
            {
                img.At(0, y, x) = x / 23f;
                img.At(1, y, x) = y / 23f;
                img.At(2, y, x) = y < 6 && x < 6 ? 1f : 0.3f;
            }
        return img;
    }

    public static TheoryData<string> Names() => new(BuiltInAugmentations.All().Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Names))]
    public void Every_augmentation_is_seeded_keeps_the_shape_and_stays_in_range(string name)
    {
        var factory = BuiltInAugmentations.All().Single(f => f.Name == name);
        Assert.False(string.IsNullOrWhiteSpace(factory.Description));
        var aug = factory.Create(new ParameterBag(new Dictionary<string, string>(), "augment"));
        var changed = 0;
        for (int seed = 0; seed < 40; seed++)
        {
            var a = aug.Apply(Card(), new Random(seed));
            var b = aug.Apply(Card(), new Random(seed));
            Assert.Equal(a.Pixels, b.Pixels);                                   // same seed, same picture
            Assert.Equal((3, 24, 24), (a.Channels, a.Height, a.Width));
            Assert.All(a.Pixels, v => Assert.InRange(v, 0f, 1f));
            if (!a.Pixels.SequenceEqual(Card().Pixels)) changed++;
        }
        Assert.True(changed > 0, $"{name} never changed the image in 40 draws at its defaults");
        // A probability of zero is the identity, where the augmentation has one.
        if (factory.Parameters.Any(p => p.Name == "p"))
        {
            var off = factory.Create(new ParameterBag(new Dictionary<string, string> { ["p"] = "0" }, "augment"));
            Assert.Equal(Card().Pixels, off.Apply(Card(), new Random(1)).Pixels);
        }
    }

    [Fact]
    public void Unknown_parameters_and_bad_values_name_the_field()
    {
        var e = Assert.Throws<ZooConfigException>(() => Make("color_jitter", ("brightnes", "0.2")));
        Assert.Contains("brightnes", e.Message);
        e = Assert.Throws<ZooConfigException>(() => Make("random_erasing", ("mode", "blur")));
        Assert.Contains("recipe.augment[random_erasing].mode", e.Message);
        Assert.Contains("allowed: random, zero", e.Message);
    }

    [Fact]
    public void Geometric_transforms_move_pixels_where_they_should()
    {
        var card = Card();
        // Rotating by 90° about the centre sends the bright top-left corner to the bottom-left (y down, anticlockwise on screen).
        var rot = Transforms.Affine(card.Clone(), 90, 1, 0, 0, 0, 0);
        Assert.Equal(1f, rot.At(2, 21, 2), 3);
        Assert.Equal(0.3f, rot.At(2, 2, 2), 3);
        // Translation by whole pixels is an exact shift.
        var moved = Transforms.Affine(card.Clone(), 0, 1, 0, 0, 3, 5);
        Assert.Equal(card.At(0, 10, 10), moved.At(0, 13, 15), 5);
        // A resized crop of the whole image is the image.
        Assert.Equal(card.Pixels, Transforms.ResizedCrop(card.Clone(), 0, 0, 24, 24).Pixels);
        // Its crop of the top-left quarter doubles the bright square.
        var quarter = Transforms.ResizedCrop(card.Clone(), 0, 0, 12, 12);
        Assert.Equal(1f, quarter.At(2, 10, 10), 3);
        Assert.Equal(0.3f, quarter.At(2, 13, 13), 3);
        // Flipping twice is the identity; elastic with no strength is too.
        var twice = BuiltInAugmentations.Flip(BuiltInAugmentations.Flip(card.Clone(), true), true);
        Assert.Equal(card.Pixels, twice.Pixels);
        Assert.Equal(card.Pixels, Make("elastic", ("p", "1"), ("alpha", "0")).Apply(card.Clone(), new Random(1)).Pixels);
        Assert.Equal(card.Pixels, Make("random_resized_crop", ("scale_min", "1"), ("ratio_min", "1"), ("ratio_max", "1")).Apply(card.Clone(), new Random(3)).Pixels);
    }

    [Fact]
    public void Photometric_transforms_do_what_their_names_say()
    {
        var img = Card();
        Transforms.Brightness(img, 0.5f);
        Assert.Equal(Card().At(0, 5, 20) * 0.5f, img.At(0, 5, 20), 5);

        var grey = Card();
        Transforms.Grayscale(grey);
        Assert.Equal(grey.At(0, 7, 9), grey.At(2, 7, 9));
        Assert.Equal(0.299f * Card().At(0, 7, 9) + 0.587f * Card().At(1, 7, 9) + 0.114f * Card().At(2, 7, 9), grey.At(1, 7, 9), 5);

        var flat = new ImageData(1, 16, 16);
        Array.Fill(flat.Pixels, 0.4f);
        Assert.All(Transforms.GaussianBlur(flat, 2).Pixels, v => Assert.Equal(0.4f, v, 5));   // blur keeps a flat image
        var blurred = Transforms.GaussianBlur(Card(), 1.5);
        Assert.True(Variance(blurred.Pixels) < Variance(Card().Pixels));
        Assert.True(Variance(Transforms.Sharpness(Card(), 3).Pixels) > Variance(Card().Pixels));

        var hue = Card();
        Transforms.Hue(hue, 0.5f);   // half a turn: the complementary colour, same value and saturation
        int hw = 24 * 24, i = 10 * 24 + 20;
        float[] Rgb(ImageData m) => new[] { m.Pixels[i], m.Pixels[hw + i], m.Pixels[2 * hw + i] };
        Assert.Equal(Rgb(Card()).Max(), Rgb(hue).Max(), 4);
        Assert.Equal(Rgb(Card()).Min(), Rgb(hue).Min(), 4);
        Transforms.Hue(hue, 0.5f);
        Assert.Equal(Rgb(Card()), Rgb(hue), (a, b) => Math.Abs(a - b) < 1e-4);

        var dropped = Make("pixel_dropout", ("p", "1"), ("rate", "1")).Apply(Card(), new Random(1));
        Assert.All(dropped.Pixels, v => Assert.Equal(0f, v));
        var erased = Make("random_erasing", ("p", "1"), ("mode", "zero")).Apply(Card(), new Random(4));
        int zeros = erased.Pixels.Count(v => v == 0f) - Card().Pixels.Count(v => v == 0f);
        Assert.InRange(zeros, 3 * (int)(0.02 * hw) - 3, 3 * hw / 3 + 3 * 24);
    }

    static double Variance(float[] v)
    {
        double m = v.Average();
        return v.Sum(x => (x - m) * (x - m)) / v.Length;
    }

    [Fact]
    public void RandAugment_with_no_operations_is_the_identity_and_with_some_changes_the_image()
    {
        Assert.Equal(Card().Pixels, Make("randaugment", ("n", "0")).Apply(Card(), new Random(2)).Pixels);
        int changed = Enumerable.Range(0, 10).Count(s => !Make("randaugment", ("n", "2"), ("m", "9"), ("op_p", "1")).Apply(Card(), new Random(s)).Pixels.SequenceEqual(Card().Pixels));
        Assert.True(changed >= 8, $"{changed} of 10");
    }

    static BatchData Batch(int n, int classes)
    {
        var shape = new InputShape(1, 8, 8);
        var images = new float[n * 64];
        var targets = new float[n * classes];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            Array.Fill(images, i, i * 64, 64);
            labels[i] = i % classes;
            targets[i * classes + labels[i]] = 1;
        }
        return new BatchData(n, shape, classes, images, targets, labels);
    }

    [Fact]
    public void Mixup_mixes_images_and_targets_by_the_same_lambda()
    {
        var b = Batch(4, 4);
        BuiltInAugmentations.Mixup(b, 0.7);
        // Image 0 (all 0) with image 3 (all 3): 0.7·0 + 0.3·3.
        Assert.All(b.Images[..64], v => Assert.Equal(0.9f, v, 5));
        Assert.Equal(new[] { 0.7f, 0, 0, 0.3f }, b.Targets[..4], (x, y) => Math.Abs(x - y) < 1e-6);
        for (int i = 0; i < 4; i++) Assert.Equal(1f, b.Targets.Skip(i * 4).Take(4).Sum(), 5);
    }

    [Fact]
    public void CutMix_targets_follow_the_pasted_area_exactly()
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var b = Batch(2, 2);
            BuiltInAugmentations.CutMix(b, 0.6, new Random(seed));
            float pasted = b.Images[..64].Count(v => v == 1f) / 64f;   // image 0 is 0, image 1 is 1
            Assert.Equal(1 - pasted, b.Targets[0], 5);
            Assert.Equal(pasted, b.Targets[1], 5);
        }
        var mc = MakeBatch("mixup_cutmix");
        var batch = Batch(6, 3);
        mc.Apply(batch, new Random(1));
        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(1f, batch.Targets.Skip(i * 3).Take(3).Sum(), 4));
    }

    [Fact]
    public void The_beta_sampler_has_the_right_mean_and_spread()
    {
        var rng = new Random(5);
        var xs = Enumerable.Range(0, 20000).Select(_ => Transforms.Beta(rng, 0.8)).ToArray();
        Assert.Equal(0.5, xs.Average(), 2);
        // Var of Beta(a, a) = 1 / (4 (2a + 1)) = 0.0962 for a = 0.8.
        Assert.Equal(1 / (4 * 2.6), xs.Select(x => (x - 0.5) * (x - 0.5)).Average(), 2);
    }

    [Fact]
    public void Augment_preview_writes_a_png_grid()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var png = Path.Combine(dir, "grid.png");
        var (code, stdout, stderr) = TestEnvironment.RunZoo("augment-preview", "--augment", "[\"hflip\", {\"name\": \"randaugment\", \"m\": 9}]",
            "--batch-augment", "[\"mixup_cutmix\"]", "--count", "6", "--size", "32", "--out", png);
        Assert.True(code == 0, stderr);
        Assert.Contains("6 tiles of 3x32x32", stdout);
        using var bmp = SKBitmap.Decode(png);
        Assert.Equal(3 * (96 + 4) + 4, bmp.Width);    // 3 columns of 32 px enlarged 3x, 4 px gaps
        Assert.Equal(2 * (96 + 4) + 4, bmp.Height);

        var bad = TestEnvironment.RunZoo("augment-preview", "--augment", "[\"hflipp\"]", "--out", png);
        Assert.Equal(2, bad.Code);
        Assert.Contains("'hflipp' is not an augmentation this zoo knows. Did you mean 'hflip' or 'vflip'?", bad.Err);
    }
}
