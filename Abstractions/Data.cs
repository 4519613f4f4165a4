namespace Zoo.Abstractions;

/// <summary>A data set split's fixed facts: channel count, image size and class names.</summary>
public sealed record DatasetInfo(string Name, int Channels, int Height, int Width, IReadOnlyList<string> ClassNames)
{
    /// <summary>The number of classes.</summary>
    public int Classes => ClassNames.Count;

    /// <summary>Floats in one image, C×H×W.</summary>
    public int ImageLength => Channels * Height * Width;
}

/// <summary>
/// One split of a data set (train, validation or test): indexed images of one size with labels.
/// Reads must be safe to call from several threads at once.
/// </summary>
public interface IImageSet
{
    /// <summary>Size, channels and class names.</summary>
    DatasetInfo Info { get; }

    /// <summary>The number of images.</summary>
    int Count { get; }

    /// <summary>The class index of image <paramref name="index"/>.</summary>
    int GetLabel(int index);

    /// <summary>Writes image <paramref name="index"/> as C×H×W floats in [0, 1] into <paramref name="destination"/>.</summary>
    void Read(int index, Span<float> destination);
}

/// <summary>The splits a provider opened. <see cref="Validation"/> and <see cref="Test"/> may be missing.</summary>
public sealed record DatasetSplits(IImageSet Train, IImageSet? Validation, IImageSet? Test)
{
    /// <summary>Images that could not be read and were skipped, with the reason (path: reason).</summary>
    public IReadOnlyList<string> Skipped { get; init; } = Array.Empty<string>();

    /// <summary>
    /// The files the splits were read from (absolute paths), for a set that lives on disk. The host records
    /// their names, sizes and modification times with every run, so that a rerun on changed files trains
    /// again instead of reusing a result of other data. Empty (the default) for generated sets.
    /// </summary>
    public IReadOnlyList<string> Files { get; init; } = Array.Empty<string>();

    /// <summary>
    /// What, besides the request, decides a generated set's images, e.g. "shapes generator 1": change it
    /// whenever the generator draws different images for the same request, so earlier results are not
    /// reused. Null (the default) for sets read from <see cref="Files"/>.
    /// </summary>
    public string? ContentVersion { get; init; }
}

/// <summary>What a user asked of a data set: where it is, what size and channels the model wants, the split seed.</summary>
public sealed record DatasetRequest
{
    /// <summary>A file or folder for sets that live on disk; null for generated sets.</summary>
    public string? Path { get; init; }

    /// <summary>The channel count the model wants (1 or 3); null keeps the set's own.</summary>
    public int? Channels { get; init; }

    /// <summary>The square image size the model wants; null keeps the set's own.</summary>
    public int? Size { get; init; }

    /// <summary>Seed for generation and for seeded splits.</summary>
    public int Seed { get; init; }

    /// <summary>Fraction of train held out (stratified) for validation where a set has no validation part.</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Provider-specific options.</summary>
    public ParameterBag Options { get; init; } = ParameterBag.Empty;
    /// <summary>Where a provider reports progress (downloads, decoding, cache use); null: nowhere.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>
    /// The folder where a provider may keep files derived from the data (a decoded cache), chosen by the host:
    /// $ZOO_CACHE if set, else the suite run's results folder's .cache/, else the user's cache folder.
    /// Null: the provider's own choice. Anything kept there must be safe to delete.
    /// </summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>Opens a kind of data set (a generated set, MNIST files, an image folder…).</summary>
public interface IDatasetProvider
{
    /// <summary>The name a suite file uses, e.g. "shapes" or "mnist".</summary>
    string Name { get; }

    /// <summary>One sentence on the set and where its files come from.</summary>
    string Description { get; }

    /// <summary>The options <see cref="DatasetRequest.Options"/> may carry.</summary>
    IReadOnlyList<ParameterInfo> Parameters { get; }

    /// <summary>Opens the splits; throws <see cref="ZooConfigException"/> naming the file and the fix when it cannot.</summary>
    DatasetSplits Open(DatasetRequest request);
}
