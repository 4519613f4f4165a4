using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Training;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Inspection;

/// <summary>What to predict with: a weights file and, for a file without a model card, the model to build.</summary>
/// <param name="Weights">A .safetensors file or a PyTorch checkpoint: one a Zoo run wrote (it carries a <see cref="ModelCard"/>) or a foreign one (torchvision's keys).</param>
public sealed record PredictRequest(string Weights)
{
    /// <summary>The variant; required for a foreign file, and must match a Zoo file's card when given.</summary>
    public string? Variant { get; init; }
    /// <summary>Input channels, class count and square input size: defaults for a foreign file, checks for a Zoo file.</summary>
    public int? Channels { get; init; }
    public int? Classes { get; init; }
    public int? Size { get; init; }
    /// <summary>Architecture options (key → value as text): a foreign file's model options; must match a Zoo file's.</summary>
    public IReadOnlyDictionary<string, string> Options { get; init; } = new Dictionary<string, string>();
    /// <summary>Class names overriding the card's (a foreign file has none of its own).</summary>
    public IReadOnlyList<string>? Labels { get; init; }
    /// <summary>For a PyTorch checkpoint, which state dict (entry) and a key prefix to strip.</summary>
    public WeightSelection Selection { get; init; } = WeightSelection.None;
    /// <summary>A foreign file's evaluation resize (shorter side, before the centre crop to <see cref="Size"/>); default size/0.875. Catalogue weights give their own.</summary>
    public int? ResizeSize { get; init; }
    /// <summary>How many classes to report per image.</summary>
    public int Top { get; init; } = 5;
    /// <summary>cpu, cuda or cuda:N; an unavailable device is refused before the model is built.</summary>
    public string? Device { get; init; }
    /// <summary>The forward pass's number format (fp32, or bf16/fp16 under LibTorch's autocast).</summary>
    public Precision Precision { get; init; } = Precision.Fp32;
}

/// <summary>One class of a prediction: its index, its name if known, and its softmax probability.</summary>
public sealed record ClassScore(int Index, string? Label, float Probability);

/// <summary>The top classes for one image, most probable first.</summary>
public sealed record Prediction(string Image, IReadOnlyList<ClassScore> Top);

/// <summary>
/// Classifies image files with a weights file. A file a Zoo run wrote carries its <see cref="ModelCard"/>: the
/// model is rebuilt from it (variant, options, input shape, class count), images get that run's resize and
/// normalisation at its size, and classes its names; a request that contradicts the card is refused naming
/// both. A foreign file (a torchvision export) is built from the request and the variant's defaults with
/// ImageNet's preprocessing: shorter side to size/0.875, centre crop, ImageNet mean and standard deviation.
/// Not thread-safe: one image at a time.
/// </summary>
public sealed class Predictor : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly int _top;
    int _resizeTo;
    Precision _precision;
    readonly Device _device;

    Predictor(ModelCard card, bool fromFile, IReadOnlyList<string>? labels, nn.Module<Tensor, Tensor> model, int top, IReadOnlyList<string> notes, Device device)
    {
        Card = card;
        FromFile = fromFile;
        Labels = labels;
        _model = model;
        _device = device;
        _top = Math.Min(top, card.Classes);
        Notes = notes;
    }

    /// <summary>What the model was built from: the file's card, or for a foreign file the request and the variant's defaults.</summary>
    public ModelCard Card { get; }

    /// <summary>Whether <see cref="Card"/> came from the weights file (a Zoo run's) rather than from the request.</summary>
    public bool FromFile { get; }

    /// <summary>The class names used (the request's, else the card's), or null when none are known.</summary>
    public IReadOnlyList<string>? Labels { get; }

    /// <summary>Things worth telling the user that are not errors (another plugin version built the model).</summary>
    public IReadOnlyList<string> Notes { get; }

    /// <summary>
    /// Reads the file's card, checks the request against it, builds the model and loads the weights. Throws
    /// <see cref="ZooConfigException"/> for a missing or damaged file, an unknown variant, a request that
    /// contradicts the card, or weights that do not fit the model.
    /// </summary>
    public static Predictor Open(PluginCatalog catalog, PredictRequest request)
    {
        var path = request.Weights;
        var device = Devices.Resolve(request.Device, "--device");
        foreach (var (option, value) in new[] { ("--channels", request.Channels), ("--classes", request.Classes), ("--size", request.Size) })
            if (value is < 1) throw new ZooConfigException(option, $"{value} is out of range; give 1 or more");
        var metadata = WeightFile.Inspect(path, request.Selection).Metadata;
        var card = ModelCard.FromMetadata(metadata, path);
        bool fromFile = card is not null;
        var notes = new List<string>();
        if (card is not null) Check(card, request, path);
        else card = Foreign(catalog, request, path, metadata.GetValueOrDefault("variant"));

        var entry = catalog.FindVariant(card.Variant)
                    ?? throw new ZooConfigException(path, $"holds {card.Variant} weights{(card.Plugin is null ? "" : $" (built by plugin {card.Plugin} {card.PluginVersion})")}, and no loaded plugin has '{card.Variant}'; see `zoo list`");
        if (fromFile && card.Plugin is not null && (entry.Plugin.Name != card.Plugin || ModelCard.AssemblyVersion(entry.Architecture.GetType().Assembly) != card.PluginVersion))
            notes.Add($"{path} was written with plugin {card.Plugin} {card.PluginVersion}; {card.Variant} now comes from {entry.Plugin.Name} {ModelCard.AssemblyVersion(entry.Architecture.GetType().Assembly)}");

        var labels = request.Labels ?? (card.ClassNames.Count > 0 ? card.ClassNames : null);
        if (fromFile && request.Labels is { } given && given.Count != card.Classes)
            throw new ZooConfigException("--labels", $"{given.Count} names for a {card.Classes}-class model ({path}); give one name per class, in class order");

        var model = entry.Architecture.Build(card.ToSpec(fromFile ? $"{path}: options" : "--option"));
        try
        {
            WeightLoader.Load(model, path, select: request.Selection);
            model.to(device);
            model.eval();
            return new Predictor(card, fromFile, labels, model, request.Top, notes, device) { _resizeTo = request.ResizeSize ?? (int)Math.Round(card.Height / 0.875), _precision = request.Precision };
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Refuses a request that contradicts the card, naming both.</summary>
    static void Check(ModelCard card, PredictRequest request, string path)
    {
        void Same<T>(string option, T? asked, T had, string what) where T : struct
        {
            if (asked is { } a && !a.Equals(had))
                throw new ZooConfigException(option, $"{a} does not match {path}, which holds {card.Variant} weights for {what} {had}; leave {option} out (the file says it) or give {had}");
        }
        if (request.Variant is { } v && v != card.Variant)
            throw new ZooConfigException("--arch", $"'{v}' does not match {path}, which holds {card.Variant} weights; leave --arch out (the file says it) or give {card.Variant}");
        Same("--channels", request.Channels, card.Channels, "channels");
        Same("--classes", request.Classes, card.Classes, "classes");
        if (request.Size is { } size && (size != card.Height || size != card.Width))
            throw new ZooConfigException("--size", $"{size} does not match {path}, which holds {card.Variant} weights trained at {card.Height}x{card.Width}; leave --size out (images are resized to the training size)");
        foreach (var (key, value) in request.Options)
        {
            if (!card.Options.TryGetValue(key, out var had))
                throw new ZooConfigException($"--option {key}={value}", $"does not match {path}: {card.Variant} was trained without '{key}' (its options: {Describe(card.Options)})");
            if (had != value)
                throw new ZooConfigException($"--option {key}={value}", $"does not match {path}: {card.Variant} was trained with {key}={had}");
        }
    }

    static string Describe(IReadOnlyDictionary<string, string> options) =>
        options.Count == 0 ? "none" : string.Join(", ", options.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>A foreign file's card: the request over the variant's defaults, with ImageNet's preprocessing.</summary>
    static ModelCard Foreign(PluginCatalog catalog, PredictRequest request, string path, string? fileVariant)
    {
        // Weights Zoo wrote before model cards name their variant and nothing else.
        if (request.Variant is { } v && fileVariant is not null && v != fileVariant)
            throw new ZooConfigException("--arch", $"'{v}' does not match {path}, which holds {fileVariant} weights");
        var variant = request.Variant ?? fileVariant
                      ?? throw new ZooConfigException("--arch", $"required: {path} does not say which model it holds (it has no Zoo model card); give the variant, e.g. --arch resnet50");
        var entry = catalog.FindVariant(variant) ?? throw new ZooConfigException("--arch", $"'{variant}' is not in the zoo; see `zoo list`");
        var d = entry.Variant.DefaultInput;
        int channels = request.Channels ?? d.Channels;
        int size = request.Size ?? d.Height;
        var (mean, std) = channels switch
        {
            3 => (ImageFiles.ImageNetMean, ImageFiles.ImageNetStd),
            // ImageNet's statistics of the luminance, for grey models.
            _ => (Enumerable.Repeat(0.449f, channels).ToArray(), Enumerable.Repeat(0.226f, channels).ToArray()),
        };
        return new ModelCard(entry.Variant.Name, channels, request.Classes ?? request.Labels?.Count ?? entry.Variant.DefaultClasses, size, size)
        {
            Options = request.Options, Mean = mean, Std = std, Normalization = "imagenet", Resize = ImageNetResize,
        };
    }

    /// <summary>A foreign file's resize: shorter side to size/0.875, then the centre crop (torchvision's evaluation transform).</summary>
    const string ImageNetResize = "imagenet";

    /// <summary>
    /// An image file as the model's input, C×H×W, normalised. A Zoo run's model gets exactly what an image
    /// folder gave it in training: <see cref="ImageFolderProvider.Decode"/>'s resize at the training size,
    /// to bytes and back, so a file of the training size gives the very floats the run evaluated.
    /// </summary>
    public ImageData Preprocess(string image)
    {
        ImageData img;
        if (Card.Resize == ImageNetResize)
        {
            using var bitmap = ImageFiles.Decode(image);
            img = ImageFiles.ResizeCenterCrop(bitmap, Card.Channels, _resizeTo, Card.Height);
        }
        else
        {
            img = new ImageData(Card.Channels, Card.Height, Card.Height);
            var bytes = new byte[img.Pixels.Length];
            ImageFolderProvider.Decode(image, Card.Channels, Card.Height, Card.Resize, bytes);
            for (int i = 0; i < bytes.Length; i++) img.Pixels[i] = bytes[i] * (1f / 255f);   // as MappedImageSet.Read
        }
        ImageFiles.Normalize(img, Card.Mean, Card.Std);
        return img;
    }

    /// <summary>The top classes of one image file; an unreadable image is a <see cref="ZooConfigException"/> naming it.</summary>
    public Prediction Predict(string image)
    {
        var img = Preprocess(image);
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var x = torch.tensor(img.Pixels).reshape(1, img.Channels, img.Height, img.Width).to(_device);
        Tensor logits;
        using (Autocast.Enter(_device, _precision)) logits = Trainer.Full(_model.call(x));
        var p = nn.functional.softmax(logits, 1).cpu();
        var (values, indexes) = p.topk(_top, 1);
        var v = values.data<float>().ToArray();
        var ix = indexes.data<long>().ToArray();
        return new Prediction(image, v.Select((prob, i) => new ClassScore((int)ix[i], Labels is not null && ix[i] < Labels.Count ? Labels[(int)ix[i]] : null, prob)).ToArray());
    }

    /// <summary>
    /// The top classes of one image file and the Grad-CAM map (<see cref="Analysis.GradCam"/>) of class
    /// <paramref name="explainClass"/> (null: the top class) at <paramref name="layer"/> (null: the model's own or the last
    /// spatial map), with the image as the model saw it (C×H×W in [0, 1], before normalisation) for drawing the map over.
    /// </summary>
    /// <exception cref="ZooConfigException">The image cannot be read, the class is out of range, or the layer is not the model's.</exception>
    public (Prediction Prediction, Analysis.ClassActivation Map, Analysis.GradCamLayer Layer, ImageData Image) Explain(string image, int? explainClass = null, string? layer = null)
    {
        if (explainClass is < 0 || explainClass >= Card.Classes)
            throw new ZooConfigException("--class", $"{explainClass} is out of range for a {Card.Classes}-class model");
        var img = Preprocess(image);
        using var scope = torch.NewDisposeScope();
        var x = torch.tensor(img.Pixels).reshape(1, img.Channels, img.Height, img.Width).to(_device);
        var found = Analysis.GradCam.FindLayer(_model, x, layer);
        var map = Analysis.GradCam.Explain(_model, x, found, explainClass is { } wanted ? new long[] { wanted } : null)[0];
        var top = map.Probabilities.Select((p, i) => (p, i)).OrderByDescending(t => t.p).ThenBy(t => t.i).Take(_top)
            .Select(t => new ClassScore(t.i, Labels is not null && t.i < Labels.Count ? Labels[t.i] : null, t.p)).ToArray();
        int plane = img.Height * img.Width;
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            int c = i / plane;
            float mean = c < Card.Mean.Count ? Card.Mean[c] : 0, std = c < Card.Std.Count ? Card.Std[c] : 1;
            img.Pixels[i] = Math.Clamp(img.Pixels[i] * std + mean, 0f, 1f);
        }
        return (new Prediction(image, top), map, found, img);
    }

    /// <summary>One line on what the model is: variant, input, classes, options and where the settings came from.</summary>
    public string Describe() =>
        $"{Card.Variant} {Card.Channels}x{Card.Height}x{Card.Width}, {Card.Classes} classes, options: {Describe(Card.Options)}; " +
        (FromFile ? $"as trained (model card: {Card.Normalization} normalisation, {Card.Resize} resize)" : $"no model card in the file: ImageNet preprocessing (resize {_resizeTo}, crop {Card.Height})");

    public void Dispose() => _model.Dispose();
}
