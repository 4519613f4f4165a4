using SkiaSharp;
using Zoo.Abstractions;
using Zoo.Engine.Results;

namespace Zoo.Engine.Data;

/// <summary>
/// What seeds/004 shows of a data set before any training: images per class in each split, and the sizes of
/// the original image files (before Zoo resizes them), so a user sees imbalance and odd sizes at a glance.
/// </summary>
public static class DatasetStatistics
{
    /// <summary>Original sizes read per split at most (file headers only; a seeded sample above that).</summary>
    public const int MaxSizeSamples = 1000;

    /// <summary>Images per class of a split, in class order.</summary>
    public static int[] ClassCounts(IImageSet set)
    {
        var counts = new int[set.Info.Classes];
        for (int i = 0; i < set.Count; i++)
        {
            int label = set.GetLabel(i);
            if (label >= 0 && label < counts.Length) counts[label]++;
        }
        return counts;
    }

    /// <summary>
    /// <see cref="OriginalSizes(IReadOnlyList{string}, string?, int)"/> of the files <paramref name="splits"/> kept:
    /// a file it skipped (<see cref="DatasetSplits.Skipped"/>, "path: reason") is not in the set, though its
    /// header may read well, as a truncated image's does.
    /// </summary>
    public static IReadOnlyDictionary<string, int[][]> OriginalSizes(DatasetSplits splits, string? root, int seed)
    {
        var files = splits.Files.ToHashSet(StringComparer.Ordinal);
        var skipped = new HashSet<string>(StringComparer.Ordinal);
        // The path ends at the ": " that makes it one of the files (a path may hold ": " itself).
        foreach (var entry in splits.Skipped)
            for (int at = entry.IndexOf(": ", StringComparison.Ordinal); at > 0; at = entry.IndexOf(": ", at + 1, StringComparison.Ordinal))
                if (files.Contains(Path.GetFullPath(entry[..at]))) { skipped.Add(Path.GetFullPath(entry[..at])); break; }
        return OriginalSizes(splits.Files.Where(f => !skipped.Contains(f)).ToArray(), root, seed);
    }

    /// <summary>
    /// Width and height of up to <see cref="MaxSizeSamples"/> image files per split (train/, val/, test/ under
    /// <paramref name="root"/>, else "all"), read from the file headers without decoding the pixels. Files that
    /// are not images, or whose header cannot be read, are left out. Empty when the set has no image files.
    /// </summary>
    public static IReadOnlyDictionary<string, int[][]> OriginalSizes(IReadOnlyList<string> files, string? root, int seed)
    {
        var bySplit = files.Where(ImageFolderProvider.IsImage).GroupBy(f => SplitOf(f, root)).OrderBy(g => g.Key, StringComparer.Ordinal);
        var result = new Dictionary<string, int[][]>();
        foreach (var split in bySplit)
        {
            var chosen = split.OrderBy(f => f, StringComparer.Ordinal).ToArray();
            if (chosen.Length > MaxSizeSamples)
            {
                new Random(seed).Shuffle(chosen);
                chosen = chosen[..MaxSizeSamples];
            }
            var sizes = new List<int[]>();
            foreach (var f in chosen)
            {
                try
                {
                    using var codec = SKCodec.Create(f);
                    // As the image is shown: an EXIF orientation of 5-8 turns it a quarter (decoding does the same).
                    if (codec is not null)
                        sizes.Add(codec.EncodedOrigin >= SKEncodedOrigin.LeftTop
                            ? new[] { codec.Info.Height, codec.Info.Width }
                            : new[] { codec.Info.Width, codec.Info.Height });
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { }
            }
            if (sizes.Count > 0) result[split.Key] = sizes.ToArray();
        }
        return result;
    }

    /// <summary>
    /// A seeded sample of <paramref name="perClass"/> training images of each of the first <paramref name="maxClasses"/>
    /// classes, as thumbnails: the data set's sample grid (seeds/004). Classes without images are left out.
    /// </summary>
    public static IReadOnlyList<ClassSamples> SamplesPerClass(IImageSet set, int perClass, int seed, int maxClasses = 20)
    {
        var names = set.Info.ClassNames;
        var byClass = Enumerable.Range(0, set.Count).GroupBy(set.GetLabel).Where(g => g.Key >= 0 && g.Key < Math.Min(maxClasses, names.Count))
            .OrderBy(g => g.Key);
        var result = new List<ClassSamples>();
        foreach (var g in byClass)
        {
            var indices = g.ToArray();
            new Random(Seeds.Mix(seed, g.Key, 0xC1A55)).Shuffle(indices);
            result.Add(new ClassSamples(names[g.Key], indices.Take(perClass).Order().Select(i => Thumbnail.Of(set, i)).ToArray()));
        }
        return result;
    }

    static string SplitOf(string file, string? root)
    {
        if (root is null) return "all";
        var relative = Path.GetRelativePath(Path.GetFullPath(root), Path.GetFullPath(file)).Replace('\\', '/');
        var first = relative.Split('/')[0];
        return first is "train" or "val" or "test" ? first : "all";
    }
}

/// <summary>Sample training images of one class (<see cref="DatasetStatistics.SamplesPerClass"/>).</summary>
public sealed record ClassSamples(string Class, IReadOnlyList<Thumbnail> Images);
