using System.Diagnostics;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Results;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Engine.Analysis;

/// <summary>
/// What a model's layers show of one image (issue 30, after Krizhevsky et al. 2012, Fig. 3, and Zeiler and Fergus 2014):
/// its first convolution's filters, and the image's feature maps at the end of each stage, the
/// <see cref="ChannelsPerStage"/> channels of highest mean activation. One probe pass (<see cref="ForwardProbe"/>, as
/// <see cref="GradCam"/> finds its layer), eval mode, no gradient, float32 (outside any autocast), any architecture.
/// <para>
/// The first convolution is the first Conv2d to run (ViT's and Swin's patch embedding). A stage is the output of the
/// outermost module that ends last at each spatial size: of every call whose output is a map of the input's aspect
/// (N×C×h×w, or N×h×w×C as Swin's and ConvNeXt's channels-last modules give, told apart by which reading has the input's
/// aspect and sides no larger than its own; channels first where both do) with h and w above 1, the one with the fewest
/// dots in its path, the last of those to end: ResNet's layer1…layer4, VGG's ReLU before each pooling, Swin's stages and
/// its final permute. A module inside the next stage that runs at the earlier size (MobileNet's expansion convolution
/// before a strided depthwise one) is deeper than the stage before it and loses to it; a map larger than one seen before
/// it (a reduction block's branch that runs after its strided branch, AlexNet's adaptive pooling from 2×2 up to 6×6 at
/// 28 px) is no stage.
/// A transformer that names a token layer for Grad-CAM (<see cref="IGradCamTarget"/>, <see cref="FeatureMapLayout.TokensWithClassToken"/>)
/// has no map after its patch embedding: its stages after that are the outputs of <see cref="TokenStages"/> of the
/// blocks beside the named layer's block (ViT's encoder.layers.encoder_layer_2, 5, 8 and 11 of 12), evenly spaced and
/// ending with the last, their patch tokens laid on the patch grid without the class token, as Grad-CAM lays them.
/// </para>
/// </summary>
public static class FeatureMaps
{
    public const int ChannelsPerStage = 8, MaxFilters = 64, TokenStages = 4, MaxStages = 8;

    /// <summary>
    /// The filters and stage maps of <paramref name="x"/> (1×C×H×W, normalised as the model was trained). The model's
    /// train/eval mode is restored and its weights are untouched.
    /// </summary>
    /// <exception cref="InvalidOperationException">No module outputs a spatial map or tokens (nothing to show).</exception>
    public static (FilterGrid? Filters, IReadOnlyList<StageMaps> Stages) Of(Module<Tensor, Tensor> model, Tensor x)
    {
        if (x.dim() != 4 || x.shape[0] != 1) throw new ArgumentException($"one image, 1×C×H×W; got {string.Join("x", x.shape)}", nameof(x));
        long height = x.shape[2], width = x.shape[3];
        string? tokenBlocks = model is IGradCamTarget { GradCamLayout: FeatureMapLayout.TokensWithClassToken } named ? Container(named.GradCamLayer) : null;
        (string Path, Tensor Weight)? first = null;
        var best = new Dictionary<(long H, long W), Candidate>();
        var tokens = new List<Candidate>();
        var calls = new Dictionary<string, int>(StringComparer.Ordinal);
        int order = 0;
        (long H, long W) smallest = (long.MaxValue, long.MaxValue);
        try
        {
            using (var scope = NewDisposeScope())
            {
                x = x.to_type(ScalarType.Float32);
                ForwardProbe.Run(model, x, (path, module, output) =>
                {
                    order++;
                    int call = calls[path] = calls.GetValueOrDefault(path) + 1;
                    if (first is null && module is TorchSharp.Modules.Conv2d conv)
                        first = (path, conv.weight!.detach().to_type(ScalarType.Float32).cpu().clone().DetachFromDisposeScope());
                    if (output.shape.Length == 4 && output.shape[0] == 1)
                    {
                        var s = output.shape;
                        bool first4 = Grid(s[2], s[3], height, width), last4 = !first4 && Grid(s[1], s[2], height, width);
                        if (!first4 && !last4) return;
                        var key = first4 ? (s[2], s[3]) : (s[1], s[2]);
                        // Past the smallest map so far: a branch at the earlier size, or an adaptive pooling that enlarges (AlexNet's 6×6 after a 2×2 map).
                        if (key.Item1 > smallest.H || key.Item2 > smallest.W) return;
                        smallest = (Math.Min(smallest.H, key.Item1), Math.Min(smallest.W, key.Item2));
                        int depth = path.Count(c => c == '.');
                        if (best.TryGetValue(key, out var held) && held.Depth < depth) return;
                        var map = (first4 ? output[0] : output[0].permute(2, 0, 1)).detach().to_type(ScalarType.Float32).cpu().contiguous().clone().DetachFromDisposeScope();
                        held?.Map.Dispose();
                        best[key] = new Candidate(Label(path, call), depth, order, map, false);
                    }
                    else if (tokenBlocks is not null && output.shape.Length == 3 && output.shape[0] == 1 && path.StartsWith(tokenBlocks + ".", StringComparison.Ordinal)
                        && !path[(tokenBlocks.Length + 1)..].Contains('.'))
                    {
                        var grid = GradCam.ChannelsFirst(output.detach(), FeatureMapLayout.TokensWithClassToken, height, width)[0];
                        tokens.Add(new Candidate(Label(path, call), 0, order, grid.to_type(ScalarType.Float32).cpu().contiguous().clone().DetachFromDisposeScope(), true));
                    }
                });
            }
            var chosen = best.Values.Concat(Evenly(tokens, TokenStages)).OrderBy(c => c.Order).ToList();
            if (chosen.Count == 0) throw new InvalidOperationException("no module of the model outputs a feature map larger than 1x1 or patch tokens");
            var stages = Evenly(chosen, MaxStages).Select(c =>
            {
                var m = c.Map;
                return Stage(c.Label, m.data<float>().ToArray(), (int)m.shape[0], (int)m.shape[1], (int)m.shape[2]) with { Tokens = c.Tokens };
            }).ToArray();
            FilterGrid? filters = null;
            if (first is { } f)
            {
                var w = f.Weight;
                filters = Filters(f.Path, w.data<float>().ToArray(), (int)w.shape[0], (int)w.shape[1], (int)w.shape[2], (int)w.shape[3]);
            }
            return (filters, stages);
        }
        finally
        {
            first?.Weight.Dispose();
            foreach (var c in best.Values.Concat(tokens)) c.Map.Dispose();
        }
    }

    /// <summary>The pictures of image <paramref name="index"/> of <paramref name="set"/>, normalised with <paramref name="mean"/> and <paramref name="std"/> as in training.</summary>
    public static FiltersAndMaps Of(Module<Tensor, Tensor> model, Device device, IImageSet set, int index, float[] mean, float[] std)
    {
        var clock = Stopwatch.StartNew();
        var info = set.Info;
        var buffer = new float[info.ImageLength];
        set.Read(index, buffer);
        using var scope = NewDisposeScope();
        var x = tensor(buffer).reshape(1, info.Channels, info.Height, info.Width);
        x = ((x - tensor(mean).reshape(1, -1, 1, 1)) / tensor(std).reshape(1, -1, 1, 1)).to(device);
        var (filters, stages) = Of(model, x);
        return new FiltersAndMaps(index, Thumbnail.Of(buffer, info.Channels, info.Height, info.Width), filters, stages) { Seconds = clock.Elapsed.TotalSeconds };
    }

    sealed record Candidate(string Label, int Depth, int Order, Tensor Map, bool Tokens);

    static string Label(string path, int call) => call == 1 ? path : $"{path} (call {call})";

    /// <summary>The path two levels up ("encoder.layers" of "encoder.layers.encoder_layer_11.ln_1"): the container of the named layer's block.</summary>
    static string? Container(string path)
    {
        int last = path.LastIndexOf('.');
        if (last < 0) return null;
        int block = path.LastIndexOf('.', last - 1);
        return block < 0 ? null : path[..block];
    }

    /// <summary>Whether an h×w grid is a map of an H×W input: both sides above 1 and no larger than the input's, the input's aspect within a cell.</summary>
    static bool Grid(long h, long w, long height, long width) =>
        h > 1 && w > 1 && h <= height && w <= width && Math.Abs(h * width - w * height) <= Math.Max(height, width);

    /// <summary>At most <paramref name="count"/> of <paramref name="items"/>, evenly spaced, the last always kept.</summary>
    internal static IReadOnlyList<T> Evenly<T>(IReadOnlyList<T> items, int count)
    {
        if (items.Count <= count) return items;
        return Enumerable.Range(1, count).Select(k => items[(int)Math.Round(k * items.Count / (double)count) - 1]).ToArray();
    }

    /// <summary>
    /// The first <paramref name="max"/> filters of a convolution's weight (<paramref name="filters"/>×<paramref name="inputs"/>×
    /// <paramref name="kh"/>×<paramref name="kw"/>, row-major) as images, each scaled on its own (see <see cref="FilterGrid"/>):
    /// one input channel grey, three in colour, any other count the mean over its channels.
    /// </summary>
    public static FilterGrid Filters(string layer, float[] weight, int filters, int inputs, int kh, int kw, int max = MaxFilters)
    {
        if (weight.Length != (long)filters * inputs * kh * kw) throw new ArgumentException($"{weight.Length} values are not {filters}x{inputs}x{kh}x{kw}", nameof(weight));
        var display = inputs switch { 1 => FilterDisplay.Grey, 3 => FilterDisplay.Rgb, _ => FilterDisplay.MeanOfChannels };
        int shownChannels = display == FilterDisplay.Rgb ? 3 : 1, area = kh * kw;
        var images = new List<Thumbnail>();
        for (int o = 0; o < Math.Min(filters, max); o++)
        {
            var kernel = weight.AsSpan(o * inputs * area, inputs * area);
            var shown = new float[shownChannels * area];
            if (display == FilterDisplay.MeanOfChannels)
                for (int i = 0; i < inputs; i++)
                    for (int p = 0; p < area; p++) shown[p] += kernel[i * area + p] / inputs;
            else kernel.CopyTo(shown);
            images.Add(Thumbnail.Of(Scaled(shown), shownChannels, kh, kw));
        }
        return new FilterGrid(layer, filters, inputs, kh, kw, display, images);
    }

    /// <summary>
    /// One stage's map (<paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/>, row-major): its
    /// <paramref name="top"/> channels of highest mean activation, most active first (the lower index first on a tie), each scaled on its own.
    /// </summary>
    public static StageMaps Stage(string layer, float[] map, int channels, int height, int width, int top = ChannelsPerStage)
    {
        int area = height * width;
        if (map.Length != channels * area) throw new ArgumentException($"{map.Length} values are not {channels}x{height}x{width}", nameof(map));
        var means = Enumerable.Range(0, channels).Select(c =>
        {
            double sum = 0;
            foreach (var v in map.AsSpan(c * area, area)) sum += v;
            return sum / area;
        }).ToArray();
        var picked = Enumerable.Range(0, channels).OrderByDescending(c => means[c]).ThenBy(c => c).Take(top).ToArray();
        var maps = picked.Select(c => Thumbnail.Of(Scaled(map.AsSpan(c * area, area)), 1, height, width)).ToArray();
        return new StageMaps(layer, channels, height, width, picked, picked.Select(c => means[c]).ToArray(), maps);
    }

    /// <summary>The values scaled to [0, 1] by (v − min)/(max − min); 0.5 everywhere where they are all equal.</summary>
    static float[] Scaled(ReadOnlySpan<float> values)
    {
        float low = float.PositiveInfinity, high = float.NegativeInfinity;
        foreach (var v in values) { if (v < low) low = v; if (v > high) high = v; }
        var scaled = new float[values.Length];
        float range = high - low;
        for (int i = 0; i < values.Length; i++) scaled[i] = range > 0 && float.IsFinite(range) ? (values[i] - low) / range : 0.5f;
        return scaled;
    }
}
