using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>
/// Images held in memory as bytes (0–255, C×H×W each), with labels. Compact (a quarter of floats) and
/// safe to read from several threads.
/// </summary>
public sealed class InMemoryImageSet : IImageSet
{
    readonly byte[] _pixels;
    readonly int[] _labels;

    public InMemoryImageSet(DatasetInfo info, byte[] pixels, int[] labels)
    {
        if (pixels.Length != (long)labels.Length * info.ImageLength)
            throw new ArgumentException($"{pixels.Length} bytes do not hold {labels.Length} images of {info.Channels}x{info.Height}x{info.Width}");
        Info = info;
        _pixels = pixels;
        _labels = labels;
    }

    public DatasetInfo Info { get; }
    public int Count => _labels.Length;
    public int GetLabel(int index) => _labels[index];

    public void Read(int index, Span<float> destination)
    {
        int n = Info.ImageLength;
        var src = _pixels.AsSpan(index * n, n);
        for (int i = 0; i < n; i++) destination[i] = src[i] * (1f / 255f);
    }

    /// <summary>A subset of this set by indices (shares no storage with it).</summary>
    public InMemoryImageSet Subset(IReadOnlyList<int> indices)
    {
        int n = Info.ImageLength;
        var pixels = new byte[indices.Count * n];
        var labels = new int[indices.Count];
        for (int i = 0; i < indices.Count; i++)
        {
            Array.Copy(_pixels, indices[i] * n, pixels, i * n, n);
            labels[i] = _labels[indices[i]];
        }
        return new InMemoryImageSet(Info, pixels, labels);
    }
}

/// <summary>Seeded, stratified splitting and per-channel statistics over image sets.</summary>
public static class Splits
{
    /// <summary>
    /// Splits indices 0..count-1 by label so that each class gives <paramref name="fraction"/> of its images
    /// (rounded, at least one where a class has two or more) to the second part. Seeded and repeatable.
    /// </summary>
    public static (int[] Keep, int[] Held) Stratified(IImageSet set, double fraction, int seed)
    {
        var rng = new Random(seed);
        var keep = new List<int>();
        var held = new List<int>();
        foreach (var group in Enumerable.Range(0, set.Count).GroupBy(set.GetLabel).OrderBy(g => g.Key))
        {
            var idx = group.ToArray();
            rng.Shuffle(idx);
            int h = (int)Math.Round(idx.Length * fraction);
            if (h == 0 && fraction > 0 && idx.Length >= 2) h = 1;
            held.AddRange(idx.Take(h));
            keep.AddRange(idx.Skip(h));
        }
        keep.Sort();
        held.Sort();
        return (keep.ToArray(), held.ToArray());
    }

    /// <summary>Per-channel mean and standard deviation over up to <paramref name="maxImages"/> images.</summary>
    public static (float[] Mean, float[] Std) ChannelStats(IImageSet set, int maxImages = 5000)
    {
        int c = set.Info.Channels, hw = set.Info.Height * set.Info.Width;
        var sum = new double[c];
        var sq = new double[c];
        var buf = new float[set.Info.ImageLength];
        int count = Math.Min(set.Count, maxImages);
        int step = Math.Max(1, set.Count / Math.Max(1, count));
        int used = 0;
        for (int i = 0; i < set.Count && used < count; i += step, used++)
        {
            set.Read(i, buf);
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++)
                {
                    double v = buf[ch * hw + p];
                    sum[ch] += v;
                    sq[ch] += v * v;
                }
        }
        var mean = new float[c];
        var std = new float[c];
        double n = Math.Max(1.0, (double)used * hw);
        for (int ch = 0; ch < c; ch++)
        {
            mean[ch] = (float)(sum[ch] / n);
            std[ch] = (float)Math.Sqrt(Math.Max(1e-12, sq[ch] / n - mean[ch] * (double)mean[ch]));
        }
        return (mean, std);
    }
}
