using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>
/// "shapes-patch": a variant of the built-in shapes (<see cref="ShapesDatasetProvider"/>) whose class is decided only
/// by one small patch at a random position: a plus, an x, a frame or a checkerboard, about a fifth of the image a side,
/// brighter than a noisy background of random brightness. A model that classifies it must look at the patch, so where
/// Grad-CAM says it looks can be checked against where the patch is (<see cref="Generate"/> returns the patches'
/// places): the held-out check of issue 30. No distractor: a solid square shares the frame's and the checkerboard's
/// edges, so a model may rightly look at it too (LeNet-5 put the peak in the patch for 55 % of its right answers with one).
/// Deterministic from the seed; 16 to 256 px; grey or RGB (the same value in every channel).
/// </summary>
public sealed class PatchShapesDatasetProvider : IDatasetProvider
{
    public static readonly string[] ClassNames = { "plus", "x-cross", "frame", "checker" };

    /// <summary>Bump when the same seed and options draw other images (see <see cref="ShapesDatasetProvider.GeneratorVersion"/>).</summary>
    public const int GeneratorVersion = 1;

    public string Name => "shapes-patch";

    public string Description =>
        "Built-in, generated, no download: 4 classes told apart only by a small patch (plus, x, frame, checker) at a random place " +
        "on a noisy background; for checking where models look (Grad-CAM); grey or RGB, 16-256 px.";

    static readonly GeneratedSet.Options Options = new(4000, 500, 500);

    public IReadOnlyList<ParameterInfo> Parameters => Options.Parameters;

    public DatasetSplits Open(DatasetRequest request) =>
        GeneratedSet.Open(request, Options, Name, ClassNames, GeneratorVersion,
            (info, count, seed, split, noise) => Generate(info, count, seed, split, noise).Images);

    /// <summary>The side of the deciding patch in an image of <paramref name="size"/> pixels: 6 at 28.</summary>
    public static int PatchSide(int size) => Math.Max(5, (int)Math.Round(size * 0.22));

    /// <summary>
    /// <paramref name="count"/> images of split <paramref name="split"/> (classes balanced) and, per image, the patch's
    /// top-left corner and side in pixels.
    /// </summary>
    public static (InMemoryImageSet Images, (int X, int Y, int Side)[] Patches) Generate(DatasetInfo info, int count, int seed, int split, double noise)
    {
        var pixels = new byte[(long)count * info.ImageLength];
        var labels = new int[count];
        var patches = new (int X, int Y, int Side)[count];
        Parallel.For(0, count, i =>
        {
            int label = i % ClassNames.Length;
            labels[i] = label;
            var rng = new Random(Seeds.Mix(seed, split, i, 0x9A7C));
            patches[i] = Render(label, info.Channels, info.Height, rng, noise, pixels.AsSpan(i * info.ImageLength, info.ImageLength));
        });
        return (new InMemoryImageSet(info, pixels, labels), patches);
    }

    static (int X, int Y, int Side) Render(int label, int channels, int size, Random rng, double noise, Span<byte> dest)
    {
        int p = PatchSide(size);
        double bg = 0.5 * rng.NextDouble(), fg = bg + 0.35 + 0.15 * rng.NextDouble();
        int px = rng.Next(size - p + 1), py = rng.Next(size - p + 1);
        int plane = size * size;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                bool on = x >= px && x < px + p && y >= py && y < py + p && Inside(label, x - px, y - py, p);
                double value = (on ? fg : bg) + noise * Gaussian(rng);
                byte b = (byte)Math.Clamp(Math.Round(value * 255), 0, 255);
                for (int c = 0; c < channels; c++) dest[c * plane + y * size + x] = b;
            }
        return (px, py, p);
    }

    /// <summary>Whether pixel (u, v) of a <paramref name="p"/>-pixel patch is drawn for class <paramref name="label"/>.</summary>
    static bool Inside(int label, int u, int v, int p)
    {
        bool Middle(int t) => p % 2 == 1 ? t == p / 2 : t == p / 2 - 1 || t == p / 2;
        int block = Math.Max(1, p / 3);
        return label switch
        {
            0 => Middle(u) || Middle(v),                                           // plus
            1 => u == v || u == p - 1 - v,                                         // x
            2 => u == 0 || v == 0 || u == p - 1 || v == p - 1,                     // frame
            3 => (u / block + v / block) % 2 == 0,                                 // checker
            _ => false,
        };
    }

    static double Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
