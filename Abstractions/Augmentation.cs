namespace Zoo.Abstractions;

/// <summary>One image as C×H×W floats in [0, 1]. Augmentations may change it in place or return a new one.</summary>
public sealed class ImageData
{
    /// <summary>Wraps existing pixels (length must be C×H×W).</summary>
    public ImageData(int channels, int height, int width, float[] pixels)
    {
        if (pixels.Length != channels * height * width)
            throw new ArgumentException($"pixels has {pixels.Length} values; {channels}x{height}x{width} needs {channels * height * width}");
        Channels = channels; Height = height; Width = width; Pixels = pixels;
    }

    /// <summary>A black image.</summary>
    public ImageData(int channels, int height, int width) : this(channels, height, width, new float[channels * height * width]) { }

    /// <summary>Channel count.</summary>
    public int Channels { get; }
    /// <summary>Height in pixels.</summary>
    public int Height { get; }
    /// <summary>Width in pixels.</summary>
    public int Width { get; }
    /// <summary>The pixels, channel-major (C×H×W).</summary>
    public float[] Pixels { get; }

    /// <summary>The value at channel c, row y, column x.</summary>
    public ref float At(int c, int y, int x) => ref Pixels[(c * Height + y) * Width + x];

    /// <summary>A deep copy.</summary>
    public ImageData Clone() => new(Channels, Height, Width, (float[])Pixels.Clone());
}

/// <summary>
/// A per-image augmentation. It draws all randomness from the <see cref="Random"/> it is given so that pipelines are
/// seeded and repeatable, and must be safe to call from several threads (keep no mutable state).
/// </summary>
public interface IAugmentation
{
    /// <summary>Augments one image; may modify <paramref name="image"/> and return it, or return a new image.</summary>
    ImageData Apply(ImageData image, Random rng);
}

/// <summary>A batch being prepared: images N×C×H×W and soft targets N×classes (one-hot before batch augmentations).</summary>
public sealed class BatchData
{
    /// <summary>Creates a batch over existing arrays.</summary>
    public BatchData(int count, InputShape shape, int classes, float[] images, float[] targets, int[] labels)
    {
        Count = count; Shape = shape; Classes = classes; Images = images; Targets = targets; Labels = labels;
    }
    /// <summary>Images in the batch.</summary>
    public int Count { get; }
    /// <summary>Shape of one image.</summary>
    public InputShape Shape { get; }
    /// <summary>Number of classes.</summary>
    public int Classes { get; }
    /// <summary>N×C×H×W floats.</summary>
    public float[] Images { get; }
    /// <summary>N×classes soft targets; each row sums to 1.</summary>
    public float[] Targets { get; }
    /// <summary>The original hard labels.</summary>
    public int[] Labels { get; }
}

/// <summary>A batch-level augmentation (Mixup, CutMix) that mixes images and their soft targets.</summary>
public interface IBatchAugmentation
{
    /// <summary>Augments the batch in place.</summary>
    void Apply(BatchData batch, Random rng);
}

/// <summary>Creates per-image augmentations by name, as suite files name them.</summary>
public interface IAugmentationFactory
{
    /// <summary>The name a suite file uses, e.g. "hflip".</summary>
    string Name { get; }
    /// <summary>What it does.</summary>
    string Description { get; }
    /// <summary>Its parameters (probability "p" and strengths).</summary>
    IReadOnlyList<ParameterInfo> Parameters { get; }
    /// <summary>Creates it; throws <see cref="ZooConfigException"/> for a bad parameter.</summary>
    IAugmentation Create(ParameterBag parameters);
}

/// <summary>Creates batch-level augmentations by name.</summary>
public interface IBatchAugmentationFactory
{
    /// <summary>The name a suite file uses, e.g. "mixup".</summary>
    string Name { get; }
    /// <summary>What it does.</summary>
    string Description { get; }
    /// <summary>Its parameters.</summary>
    IReadOnlyList<ParameterInfo> Parameters { get; }
    /// <summary>Creates it; throws <see cref="ZooConfigException"/> for a bad parameter.</summary>
    IBatchAugmentation Create(ParameterBag parameters);
}

/// <summary>Applies augmentations one after another.</summary>
public sealed class Compose : IAugmentation
{
    /// <summary>Composes the given stages in order.</summary>
    public Compose(IEnumerable<IAugmentation> stages) => Stages = stages.ToArray();
    /// <summary>The stages in order.</summary>
    public IReadOnlyList<IAugmentation> Stages { get; }
    /// <inheritdoc />
    public ImageData Apply(ImageData image, Random rng)
    {
        foreach (var s in Stages) image = s.Apply(image, rng);
        return image;
    }
}
