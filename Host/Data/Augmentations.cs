using Zoo.Abstractions;

namespace Zoo.Host.Data;

/// <summary>A factory over a function from parameters to an augmentation; validates parameter names.</summary>
sealed class AugmentationFactory : IAugmentationFactory
{
    readonly Func<ParameterBag, IAugmentation> _create;

    public AugmentationFactory(string name, string description, IReadOnlyList<ParameterInfo> parameters, Func<ParameterBag, IAugmentation> create)
    {
        Name = name; Description = description; Parameters = parameters; _create = create;
    }

    public string Name { get; }
    public string Description { get; }
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    public IAugmentation Create(ParameterBag parameters)
    {
        parameters.EnsureOnly(Parameters);
        return _create(parameters);
    }
}

/// <summary>An augmentation from a function (stateless, so thread-safe).</summary>
sealed class LambdaAugmentation : IAugmentation
{
    readonly Func<ImageData, Random, ImageData> _apply;
    public LambdaAugmentation(Func<ImageData, Random, ImageData> apply) => _apply = apply;
    public ImageData Apply(ImageData image, Random rng) => _apply(image, rng);
}

/// <summary>The host's built-in per-image augmentations.</summary>
public static class BuiltInAugmentations
{
    static readonly ParameterInfo P = new("p", "number", "0.5", "probability of applying it");

    public static IEnumerable<IAugmentationFactory> All() => new IAugmentationFactory[]
    {
        new AugmentationFactory("hflip", "Mirrors the image left-right with probability p.", new[] { P }, bag =>
        {
            double p = bag.GetDouble("p", 0.5, 0, 1);
            return new LambdaAugmentation((img, rng) => rng.NextDouble() < p ? Flip(img, horizontal: true) : img);
        }),
        new AugmentationFactory("vflip", "Mirrors the image top-bottom with probability p.", new[] { P }, bag =>
        {
            double p = bag.GetDouble("p", 0.5, 0, 1);
            return new LambdaAugmentation((img, rng) => rng.NextDouble() < p ? Flip(img, horizontal: false) : img);
        }),
        new AugmentationFactory("random_crop", "Pads by `padding` pixels (zeros) and crops back to the original size at a random place (CIFAR's crop with padding).",
            new[] { new ParameterInfo("padding", "integer", "4", "pixels of padding on each side") }, bag =>
        {
            int pad = bag.GetInt("padding", 4, 0, 256);
            return new LambdaAugmentation((img, rng) => Shift(img, rng.Next(-pad, pad + 1), rng.Next(-pad, pad + 1)));
        }),
    };

    /// <summary>Mirrors an image in place.</summary>
    public static ImageData Flip(ImageData img, bool horizontal)
    {
        int h = img.Height, w = img.Width;
        for (int c = 0; c < img.Channels; c++)
        {
            if (horizontal)
            {
                for (int y = 0; y < h; y++) img.Pixels.AsSpan((c * h + y) * w, w).Reverse();
            }
            else
            {
                for (int y = 0; y < h / 2; y++)
                {
                    var a = img.Pixels.AsSpan((c * h + y) * w, w);
                    var b = img.Pixels.AsSpan((c * h + h - 1 - y) * w, w);
                    for (int x = 0; x < w; x++) (a[x], b[x]) = (b[x], a[x]);
                }
            }
        }
        return img;
    }

    /// <summary>
    /// The crop of a zero-padded image whose top-left is (dy, dx) from the original's: output pixel (y, x)
    /// is input (y + dy, x + dx), zero outside.
    /// </summary>
    public static ImageData Shift(ImageData img, int dy, int dx)
    {
        var o = new ImageData(img.Channels, img.Height, img.Width);
        for (int c = 0; c < img.Channels; c++)
            for (int y = 0; y < img.Height; y++)
            {
                int sy = y + dy;
                if (sy < 0 || sy >= img.Height) continue;
                for (int x = 0; x < img.Width; x++)
                {
                    int sx = x + dx;
                    if (sx >= 0 && sx < img.Width) o.At(c, y, x) = img.At(c, sy, sx);
                }
            }
        return o;
    }
}
