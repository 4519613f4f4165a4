using Zoo.Abstractions;

namespace Zoo.Engine.Results;

/// <summary>
/// An image kept small for figures and the terminal UI: 8-bit, C×H×W, at most <see cref="MaxSide"/> pixels a side
/// (whole-factor area shrink). <see cref="Pixels"/> is base64 in JSON.
/// </summary>
public sealed record Thumbnail(int Channels, int Height, int Width, byte[] Pixels)
{
    public const int MaxSide = 64;

    /// <summary>Shrinks C×H×W floats in [0, 1] by a whole factor (mean of each factor×factor block) until both sides are at most <see cref="MaxSide"/>.</summary>
    public static Thumbnail Of(ReadOnlySpan<float> image, int channels, int height, int width)
    {
        int f = (int)Math.Ceiling(Math.Max(height, width) / (double)MaxSide);
        int h = Math.Max(1, height / f), w = Math.Max(1, width / f);
        var pixels = new byte[channels * h * w];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    double sum = 0;
                    for (int dy = 0; dy < f; dy++)
                        for (int dx = 0; dx < f; dx++)
                            sum += image[(c * height + y * f + dy) * width + x * f + dx];
                    pixels[(c * h + y) * w + x] = (byte)Math.Clamp((int)Math.Round(sum / (f * f) * 255), 0, 255);
                }
        return new Thumbnail(channels, h, w, pixels);
    }

    /// <summary>Image <paramref name="index"/> of <paramref name="set"/> as a thumbnail.</summary>
    public static Thumbnail Of(IImageSet set, int index)
    {
        var info = set.Info;
        var buffer = new float[info.ImageLength];
        set.Read(index, buffer);
        return Of(buffer, info.Channels, info.Height, info.Width);
    }
}

/// <summary>One test image as a run's reported (best-on-validation) weights classified it.</summary>
public sealed record PredictedImage(int Index, int Label, int Predicted, double Confidence, Thumbnail Image)
{
    public bool Correct => Label == Predicted;

    /// <summary>Where the model looked for its prediction (Grad-CAM in [0, 1] as 0–255, one channel, the size of <see cref="Image"/>), or null.</summary>
    public Thumbnail? Heatmap { get; init; }
}

/// <summary>
/// The prediction grids of seeds/004: a seeded sample of test images with their true and predicted class (up to a
/// third of them mistakes where the model made any, so a model at 99 % still shows what it gets wrong; the rest drawn
/// from the images it got right), and the most confident mistakes. Written as runs/&lt;label&gt;.predictions.json.
/// </summary>
public sealed record PredictionSample(IReadOnlyList<PredictedImage> Images)
{
    /// <summary>The wrong predictions with the highest probability, most confident first.</summary>
    public IReadOnlyList<PredictedImage> ConfidentMistakes { get; init; } = Array.Empty<PredictedImage>();

    /// <summary>
    /// "Where each model looks" (issue 30): the same seeded test images for every run of a suite (<see cref="ExplainedIndices"/>),
    /// each with its Grad-CAM <see cref="PredictedImage.Heatmap"/>; empty where none was computed. The report sets the runs side by side.
    /// </summary>
    public IReadOnlyList<PredictedImage> Explained { get; init; } = Array.Empty<PredictedImage>();

    /// <summary>The layer the <see cref="Explained"/> maps were read at ("layer4 (ChannelsFirst)"), or null.</summary>
    public string? ExplainedLayer { get; init; }

    /// <summary>Seconds the <see cref="Explained"/> maps took (the layer's probe pass included), or null where none were computed.</summary>
    public double? ExplainedSeconds { get; init; }

    /// <summary>The run's first convolution's filters and the first explained image's feature maps through each stage (issue 30), or null.</summary>
    public FiltersAndMaps? FiltersAndMaps { get; init; }

    /// <summary>
    /// Which <paramref name="count"/> images of a test set of <paramref name="setCount"/> every run of a suite explains:
    /// drawn from <paramref name="seed"/> (the suite's), in index order, so that the runs' figures line up.
    /// </summary>
    public static int[] ExplainedIndices(int setCount, int count, int seed)
    {
        var all = Enumerable.Range(0, setCount).ToArray();
        new Random(seed).Shuffle(all);
        return all.Take(count).Order().ToArray();
    }

    /// <summary>
    /// What the sample is against the set it was drawn from (the run's test evaluation, <paramref name="set"/>; null
    /// where the file has none): "8 wrong of 24 sampled (mistakes over-sampled: 3 % of the 900 test images are wrong)".
    /// Mistakes are over-sampled where the set has few (up to a third of the sample) and under-sampled where more
    /// than about two thirds of it is wrong, since the rest of the sample is drawn from the right ones.
    /// </summary>
    public string Describe(EvalResult? set)
    {
        int n = Images.Count, wrong = Images.Count(i => !i.Correct);
        var head = $"{wrong} wrong of {n} sampled";
        if (set is not { Count: > 0 } || n == 0) return head;
        int setWrong = set.Count - (int)Math.Round(set.Top1 * set.Count);
        if (n >= set.Count) return $"all {set.Count} test images, {wrong} wrong";
        var share = $"{(setWrong * 100.0 / set.Count).ToString(setWrong * 100 < set.Count ? "0.#" : "0", System.Globalization.CultureInfo.InvariantCulture)} % of the {set.Count} test images are wrong";
        double expected = n * (double)setWrong / set.Count;
        var how = Math.Abs(wrong - expected) < 1 ? "in proportion" : wrong > expected ? "mistakes over-sampled" : "mistakes under-sampled";
        return $"{head} ({how}: {share})";
    }

    /// <summary>
    /// Draws <paramref name="count"/> images of <paramref name="set"/> (and up to <paramref name="mistakes"/> most confident
    /// mistakes) using the per-image predictions of <paramref name="evaluation"/>, which must be of the same set, in its order.
    /// </summary>
    public static PredictionSample Take(EvalResult evaluation, IImageSet set, int count, int seed, int mistakes = 16)
    {
        if (evaluation.Predicted is not { } predicted || evaluation.Confidence is not { } confidence || predicted.Length != set.Count)
            throw new ArgumentException("the evaluation has no per-image predictions for this set", nameof(evaluation));
        var rng = new Random(seed);
        var wrong = Enumerable.Range(0, set.Count).Where(i => predicted[i] != set.GetLabel(i)).ToArray();
        var right = Enumerable.Range(0, set.Count).Where(i => predicted[i] == set.GetLabel(i)).ToArray();
        var confident = wrong.OrderByDescending(i => confidence[i]).ThenBy(i => i).Take(mistakes).ToArray();
        rng.Shuffle(wrong);
        rng.Shuffle(right);
        int wrongShown = Math.Min(wrong.Length, Math.Max(count / 3, count - right.Length));
        var chosen = wrong.Take(wrongShown).Concat(right.Take(count - wrongShown)).Order().ToArray();
        PredictedImage At(int i) => new(i, set.GetLabel(i), predicted[i], confidence[i], Thumbnail.Of(set, i));
        return new PredictionSample(chosen.Select(At).ToArray()) { ConfidentMistakes = confident.Select(At).ToArray() };
    }
}
