namespace Zoo.Engine.Results;

/// <summary>How a <see cref="FilterGrid"/> shows a filter's input channels.</summary>
public enum FilterDisplay
{
    /// <summary>One input channel, shown grey.</summary>
    Grey,
    /// <summary>Three input channels, shown as red, green and blue.</summary>
    Rgb,
    /// <summary>Another channel count: the mean over the input channels, shown grey.</summary>
    MeanOfChannels,
}

/// <summary>
/// A model's first convolution's filters as images (Krizhevsky et al. 2012, Fig. 3; Zeiler and Fergus 2014, Fig. 6):
/// the first <see cref="Images"/>.Count of its <see cref="Filters"/> output channels, each kernel (KernelHeight×KernelWidth)
/// scaled on its own to 0–255 by (w − min)/(max − min) over all its values (all its channels together, so an RGB filter
/// keeps its colour balance; mid-grey where it is constant).
/// </summary>
public sealed record FilterGrid(string Layer, int Filters, int InputChannels, int KernelHeight, int KernelWidth, FilterDisplay Display, IReadOnlyList<Thumbnail> Images);

/// <summary>
/// One image's feature map at the end of one stage: the stage's output (<see cref="Layer"/>, Channels×Height×Width) and
/// its channels of highest mean activation over the map, most active first (<see cref="Top"/>, their means in
/// <see cref="Means"/>), each map scaled on its own to 0–255 by (a − min)/(max − min) (<see cref="Maps"/>, shrunk as a
/// <see cref="Thumbnail"/> where a side is above 64).
/// </summary>
public sealed record StageMaps(string Layer, int Channels, int Height, int Width, IReadOnlyList<int> Top, IReadOnlyList<double> Means, IReadOnlyList<Thumbnail> Maps)
{
    /// <summary>Whether the stage is a transformer's tokens laid on the patch grid rather than a convolution's map.</summary>
    public bool Tokens { get; init; }
}

/// <summary>
/// What a run's model shows of itself (issue 30): its first convolution's filters, and one test image's feature maps
/// through each stage (<see cref="Analysis.FeatureMaps"/> says how the stages are found). The image is the first of the
/// suite's explained images (<see cref="PredictionSample.ExplainedIndices"/>), the same for every run.
/// </summary>
public sealed record FiltersAndMaps(int Index, Thumbnail Image, FilterGrid? Filters, IReadOnlyList<StageMaps> Stages)
{
    /// <summary>Seconds the probe pass and the pictures took.</summary>
    public double Seconds { get; init; }
}
