using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>
/// "shapes": Zoo's built-in data set, generated procedurally so that it needs no download. Ten classes of
/// shape (disc, ring, square, frame, triangle, plus, x-cross, horizontal stripes, vertical stripes,
/// checkerboard), each drawn at a random position, size and rotation in a random foreground colour on a
/// random background colour, with Gaussian noise. Foreground and background colours are drawn from the
/// same distribution for every class, so mean colour says nothing about the class: telling them apart
/// takes a model that sees shape. Deterministic from the seed; any size from 16 to 256 px; grey or RGB.
/// </summary>
public sealed class ShapesDatasetProvider : IDatasetProvider
{
    public static readonly string[] ClassNames =
    {
        "disc", "ring", "square", "frame", "triangle", "plus", "x-cross", "h-stripes", "v-stripes", "checker",
    };

    /// <summary>
    /// The generator's version, recorded with every run on this set: bump it whenever a change here draws
    /// other images for the same seed and options, so a rerun trains again instead of reusing old results.
    /// </summary>
    public const int GeneratorVersion = 1;

    public string Name => "shapes";

    public string Description =>
        "Built-in, generated, no download: 10 shape classes in random colours, positions, sizes and rotations with noise; " +
        "deterministic from the seed; grey or RGB, 16-256 px.";

    static readonly GeneratedSet.Options Options = new(5000, 1000, 1000);

    public IReadOnlyList<ParameterInfo> Parameters => Options.Parameters;

    public DatasetSplits Open(DatasetRequest request) =>
        GeneratedSet.Open(request, Options, Name, ClassNames, GeneratorVersion, Generate);

    /// <summary>Generates <paramref name="count"/> images of split <paramref name="split"/>; classes are balanced.</summary>
    public static InMemoryImageSet Generate(DatasetInfo info, int count, int seed, int split, double noise)
    {
        var pixels = new byte[(long)count * info.ImageLength];
        var labels = new int[count];
        Parallel.For(0, count, i =>
        {
            int label = i % ClassNames.Length;
            labels[i] = label;
            var rng = new Random(Seeds.Mix(seed, split, i, 0x5A0E));
            Render(label, info.Channels, info.Height, rng, noise, pixels.AsSpan(i * info.ImageLength, info.ImageLength));
        });
        return new InMemoryImageSet(info, pixels, labels);
    }

    /// <summary>Draws one image of class <paramref name="label"/> into <paramref name="dest"/> (C×S×S bytes).</summary>
    public static void Render(int label, int channels, int size, Random rng, double noise, Span<byte> dest)
    {
        // Colours: background and foreground from the same distribution, at least 0.3 apart in brightness.
        var bg = new double[channels];
        var fg = new double[channels];
        do
        {
            for (int c = 0; c < channels; c++) { bg[c] = rng.NextDouble(); fg[c] = rng.NextDouble(); }
        } while (Math.Abs(bg.Average() - fg.Average()) < 0.3);

        double r = size * (0.24 + 0.12 * rng.NextDouble());       // shape radius in pixels
        double cx = size / 2.0 + (rng.NextDouble() - 0.5) * (size - 2 * r) * 0.8;
        double cy = size / 2.0 + (rng.NextDouble() - 0.5) * (size - 2 * r) * 0.8;
        double angle = (rng.NextDouble() - 0.5) * (30 * Math.PI / 180);  // ±15°
        double cos = Math.Cos(angle), sin = Math.Sin(angle);

        const int ss = 3;                                           // 3×3 supersampling for smooth edges
        int plane = size * size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int hits = 0;
                for (int sy = 0; sy < ss; sy++)
                    for (int sx = 0; sx < ss; sx++)
                    {
                        double px = x + (sx + 0.5) / ss - cx, py = y + (sy + 0.5) / ss - cy;
                        double u = (cos * px + sin * py) / r, v = (-sin * px + cos * py) / r;
                        if (Inside(label, u, v)) hits++;
                    }
                double cover = hits / (double)(ss * ss);
                for (int c = 0; c < channels; c++)
                {
                    double value = bg[c] + (fg[c] - bg[c]) * cover + noise * Gaussian(rng);
                    dest[c * plane + y * size + x] = (byte)Math.Clamp(Math.Round(value * 255), 0, 255);
                }
            }
    }

    /// <summary>Whether local point (u, v) (unit = shape radius) is inside the shape of class <paramref name="label"/>.</summary>
    static bool Inside(int label, double u, double v)
    {
        double au = Math.Abs(u), av = Math.Abs(v), len = Math.Sqrt(u * u + v * v);
        return label switch
        {
            0 => len <= 1.0,                                                         // disc
            1 => len <= 1.0 && len >= 0.55,                                          // ring
            2 => au <= 0.82 && av <= 0.82,                                           // square
            3 => au <= 0.88 && av <= 0.88 && (au >= 0.52 || av >= 0.52),            // frame
            4 => v <= 0.6 && v >= -1.0 + au * (1.6 / 0.95),                          // triangle: apex (0, -1), base v = 0.6
            5 => (au <= 1.0 && av <= 0.27) || (av <= 1.0 && au <= 0.27),             // plus
            6 => Cross(u, v),                                                        // x-cross
            7 => au <= 0.9 && av <= 0.9 && Frac((v + 0.9) * 1.65) < 0.5,     // horizontal stripes
            8 => au <= 0.9 && av <= 0.9 && Frac((u + 0.9) * 1.65) < 0.5,     // vertical stripes
            9 => au <= 0.9 && av <= 0.9 && ((int)Math.Floor((u + 0.9) * 1.67) + (int)Math.Floor((v + 0.9) * 1.67)) % 2 == 0, // checker
            _ => false,
        };
    }

    static bool Cross(double u, double v)
    {
        const double k = 0.70710678;
        double a = Math.Abs(k * (u + v)), b = Math.Abs(k * (u - v));
        return (a <= 1.0 && b <= 0.27) || (b <= 1.0 && a <= 0.27);
    }

    static double Frac(double x) => x - Math.Floor(x);

    static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>
/// What the built-in generated sets (shapes, shapes-patch) share: their options (split sizes and noise), their checks
/// (1 or 3 channels, 16–256 px) and three splits drawn from one seed, each split from its own stream.
/// </summary>
static class GeneratedSet
{
    /// <summary>A generated set's options, declared once with its own split sizes as defaults.</summary>
    public sealed class Options(int train, int val, int test)
    {
        public Param<int> Train { get; } = Param.Integer("train", train, 10, 1_000_000, "training images");
        public Param<int> Val { get; } = Param.Integer("val", val, 0, 1_000_000, "validation images");
        public Param<int> Test { get; } = Param.Integer("test", test, 0, 1_000_000, "test images");
        public Param<double> Noise { get; } = Param.Number("noise", 0.06, 0, 1, "standard deviation of the Gaussian pixel noise");
        public IReadOnlyList<ParameterInfo> Parameters => new ParameterInfo[] { Train, Val, Test, Noise };
    }

    public static DatasetSplits Open(DatasetRequest request, Options options, string name, string[] classNames,
        int generatorVersion, Func<DatasetInfo, int, int, int, double, InMemoryImageSet> generate)
    {
        var o = request.Options;
        o.EnsureOnly(options.Parameters);
        int channels = request.Channels ?? 1;
        int size = request.Size ?? 28;
        if (channels is not (1 or 3))
            throw new ZooConfigException($"{o.Where}.channels", $"{name} is generated in 1 (grey) or 3 (RGB) channels, not {channels}");
        if (size is < 16 or > 256)
            throw new ZooConfigException($"{o.Where}.size", $"{name} is generated at 16 to 256 px, not {size}");
        int train = options.Train.Read(o), val = options.Val.Read(o), test = options.Test.Read(o);
        double noise = options.Noise.Read(o);
        var info = new DatasetInfo(name, channels, size, size, classNames);
        return new DatasetSplits(
            generate(info, train, request.Seed, 0, noise),
            val > 0 ? generate(info, val, request.Seed, 1, noise) : null,
            test > 0 ? generate(info, test, request.Seed, 2, noise) : null)
        {
            ContentVersion = $"{name} generator {generatorVersion}",
        };
    }
}
