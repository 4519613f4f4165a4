using Zoo.Abstractions;

namespace Zoo.Engine.Results;

/// <summary>
/// One test image as a run's reported (best-on-validation) weights classified it, with an 8-bit thumbnail
/// (C×H×W, at most <see cref="PredictionSample.MaxSide"/> pixels a side) so a report or the terminal UI can show it
/// without the data set. <see cref="Pixels"/> is base64 in JSON.
/// </summary>
public sealed record PredictedImage(int Index, int Label, int Predicted, double Confidence, int Channels, int Height, int Width, byte[] Pixels)
{
    public bool Correct => Label == Predicted;
}

/// <summary>
/// The prediction grid of seeds/004: a seeded sample of test images with their true and predicted class.
/// Up to a third of the sample are mistakes (where the model made any), so a model at 99 % still shows what it gets
/// wrong; the rest are drawn from the images it got right. Written as runs/&lt;label&gt;.predictions.json.
/// </summary>
public sealed record PredictionSample(IReadOnlyList<PredictedImage> Images)
{
    public const int MaxSide = 64;

    /// <summary>
    /// Draws <paramref name="count"/> images of <paramref name="set"/> using the per-image predictions of
    /// <paramref name="evaluation"/> (which must have been taken over the same set, in its order).
    /// </summary>
    public static PredictionSample Take(EvalResult evaluation, IImageSet set, int count, int seed)
    {
        if (evaluation.Predicted is not { } predicted || evaluation.Confidence is not { } confidence || predicted.Length != set.Count)
            throw new ArgumentException("the evaluation has no per-image predictions for this set", nameof(evaluation));
        var rng = new Random(seed);
        var wrong = Enumerable.Range(0, set.Count).Where(i => predicted[i] != set.GetLabel(i)).ToArray();
        var right = Enumerable.Range(0, set.Count).Where(i => predicted[i] == set.GetLabel(i)).ToArray();
        rng.Shuffle(wrong);
        rng.Shuffle(right);
        int mistakes = Math.Min(wrong.Length, Math.Max(count / 3, count - right.Length));
        var chosen = wrong.Take(mistakes).Concat(right.Take(count - mistakes)).Order().ToArray();
        var info = set.Info;
        var buffer = new float[info.ImageLength];
        var images = chosen.Select(i =>
        {
            set.Read(i, buffer);
            var (h, w, pixels) = Thumbnail(buffer, info.Channels, info.Height, info.Width);
            return new PredictedImage(i, set.GetLabel(i), predicted[i], confidence[i], info.Channels, h, w, pixels);
        }).ToArray();
        return new PredictionSample(images);
    }

    /// <summary>Shrinks by a whole factor (mean of each factor×factor block) until both sides are at most <see cref="MaxSide"/>.</summary>
    static (int H, int W, byte[] Pixels) Thumbnail(float[] image, int channels, int height, int width)
    {
        int f = (int)Math.Ceiling(Math.Max(height, width) / (double)MaxSide);
        int h = height / f, w = width / f;
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
        return (h, w, pixels);
    }
}
