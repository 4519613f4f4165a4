using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Engine.Analysis;

/// <summary>Which module's output Grad-CAM reads, how it is laid out, and which of its calls in one forward pass (0 = first).</summary>
public sealed record GradCamLayer(string Path, FeatureMapLayout Layout, int Call)
{
    /// <summary>"layer4 (ChannelsFirst)", for messages and figure captions.</summary>
    public override string ToString() => Call == 0 ? $"{Path} ({Layout})" : $"{Path} ({Layout}, call {Call + 1})";
}

/// <summary>One image's Grad-CAM: the class explained, the model's probabilities, and the map (H×W, row-major, in [0, 1]) at the input's size.</summary>
public sealed record ClassActivation(int Class, float[] Probabilities, float[] Heatmap, int Height, int Width)
{
    public int Predicted => Array.IndexOf(Probabilities, Probabilities.Max());
    /// <summary>The row and column of the map's highest value (the first in row-major order on a tie).</summary>
    public (int Y, int X) Peak
    {
        get
        {
            int best = 0;
            for (int i = 1; i < Heatmap.Length; i++) if (Heatmap[i] > Heatmap[best]) best = i;
            return (best / Width, best % Width);
        }
    }
}

/// <summary>
/// Grad-CAM (Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization",
/// ICCV 2017) for any architecture. With A the target layer's map (N×C×h×w) and y_c the logit of the explained class
/// (before softmax): the channel weights are the spatial mean of ∂y_c/∂A, the map is ReLU(Σ_k w_k·A_k), upsampled
/// bilinearly (align_corners = false) to the input's size, then scaled per image to [0, 1] by (m − min)/(max − min)
/// (all zeros where the map is constant). tests/Zoo.Host.Tests/Fixtures/gradcam makes the same computation in PyTorch.
/// <para>
/// The target layer is the model's own (<see cref="IGradCamTarget"/>), else the last module to run whose output is
/// 4-D with H and W above 1: the last spatial map before global pooling (ResNet's layer4, VGG's features, Swin's final
/// permute). Found with forward hooks on a probe pass of one image, as <see cref="FeatureExtractor"/> finds features;
/// "last to run" because registration order need not be execution order. The Grad-CAM pass cuts the graph at the
/// target (its output is replaced by a leaf that requires a gradient), so only the layers after it are differentiated
/// and no parameter's .grad is touched. The model runs in eval mode (BatchNorm statistics are not updated, so the
/// weights and buffers are unchanged) and its train/eval mode is restored. Not thread-safe for one model.
/// </para>
/// </summary>
public static class GradCam
{
    /// <summary>
    /// The layer Grad-CAM reads for input <paramref name="x"/> (N×C×H×W; the first image is probed): the module at
    /// <paramref name="path"/> where given (layout from <see cref="IGradCamTarget"/> when it names the same path, else
    /// channels first for a 4-D output and tokens with a class token for a 3-D one), else the model's own, else found.
    /// </summary>
    /// <exception cref="ZooConfigException"><paramref name="path"/> names no module, or one that does not run or has no map.</exception>
    /// <exception cref="InvalidOperationException">No module outputs a spatial map (and the model does not implement <see cref="IGradCamTarget"/>).</exception>
    public static GradCamLayer FindLayer(Module<Tensor, Tensor> model, Tensor x, string? path = null)
    {
        if (path is null && model is IGradCamTarget own) return new GradCamLayer(own.GradCamLayer, own.GradCamLayout, 0);
        var calls = Probe(model, x[..1], path);
        if (path is not null)
        {
            if (calls.Count == 0) throw new ZooConfigException("--layer", $"'{path}' is not a module of the model that runs in its forward pass; `zoo describe` lists the layers");
            var (_, rank, shape) = calls[^1];
            var layout = model is IGradCamTarget named && named.GradCamLayer == path ? named.GradCamLayout
                : rank switch
                {
                    4 => FeatureMapLayout.ChannelsFirst,
                    3 => FeatureMapLayout.TokensWithClassToken,
                    _ => throw new ZooConfigException("--layer", $"'{path}' outputs {string.Join("x", shape)}, not a feature map (N×C×H×W) or tokens (N×T×C)"),
                };
            return new GradCamLayer(path, layout, calls.Count - 1);
        }
        var last = calls.LastOrDefault(c => c.Rank == 4 && c.Shape[2] > 1 && c.Shape[3] > 1);
        if (last.Path is null)
            throw new InvalidOperationException("no module of the model outputs a feature map larger than 1x1; implement IGradCamTarget to name the layer Grad-CAM reads");
        int call = calls.Take(calls.IndexOf(last) + 1).Count(c => c.Path == last.Path) - 1;
        return new GradCamLayer(last.Path, FeatureMapLayout.ChannelsFirst, call);
    }

    /// <summary>
    /// Every module call of one forward pass in the order the calls end, with its output's rank and shape
    /// (only <paramref name="only"/>'s calls where given). Eval mode, no gradient.
    /// </summary>
    static List<(string Path, long Rank, long[] Shape)> Probe(Module<Tensor, Tensor> model, Tensor x, string? only)
    {
        var calls = new List<(string Path, long Rank, long[] Shape)>();
        ForwardProbe.Run(model, x, (name, _, output) => calls.Add((name, output.dim(), output.shape)), only is null ? null : name => name == only);
        return calls;
    }

    /// <summary>
    /// Grad-CAM maps of the batch <paramref name="x"/> (N×C×H×W, normalised as the model was trained), N×H×W in [0, 1],
    /// float32, on x's device, in the caller's dispose scope. <paramref name="classes"/> (N) are the classes explained;
    /// null explains each image's predicted class. <paramref name="logits"/> is the model's output (N×classes), also in the
    /// caller's scope.
    /// </summary>
    public static Tensor Maps(Module<Tensor, Tensor> model, Tensor x, GradCamLayer layer, long[]? classes, out Tensor logits)
    {
        bool wasTraining = model.training;
        model.eval();
        Tensor? keep = null;
        var module = model.named_modules().FirstOrDefault(m => m.name == layer.Path).module as Module<Tensor, Tensor>
            ?? throw new ZooConfigException("--layer", $"'{layer.Path}' is not a module of the model");
        int calls = 0;
        var hook = module.register_forward_hook((m, input, output) =>
        {
            if (calls++ != layer.Call) return output;
            // A leaf out of every dispose scope (the forward's own scopes end before the gradient is taken): the graph is
            // cut here, so autograd differentiates only what follows. A clone goes on, so an in-place op after it is allowed.
            keep = output.detach().DetachFromDisposeScope();
            keep.requires_grad_(true);
            return keep.clone();
        });
        try
        {
            using var outer = NewDisposeScope();
            using var grad = enable_grad();
            var y = model.call(x);
            if (keep is null) throw new InvalidOperationException($"the layer {layer} did not run in the forward pass");
            var target = classes is null ? y.argmax(1) : tensor(classes, device: y.device);
            var score = y.gather(1, target.unsqueeze(1)).sum();
            var g = torch.autograd.grad(new[] { score }, new[] { keep })[0];
            var a = ChannelsFirst(keep.detach(), layer.Layout, x.shape[2], x.shape[3]).to_type(ScalarType.Float32);
            g = ChannelsFirst(g, layer.Layout, x.shape[2], x.shape[3]).to_type(ScalarType.Float32);
            var weights = g.mean(new long[] { 2, 3 }, keepdim: true);
            var cam = (weights * a).sum(1, keepdim: true).relu();
            var up = nn.functional.interpolate(cam, new[] { x.shape[2], x.shape[3] }, mode: InterpolationMode.Bilinear, align_corners: false).squeeze(1);
            var low = up.amin(new long[] { 1, 2 }, keepdim: true);
            var range = up.amax(new long[] { 1, 2 }, keepdim: true) - low;
            var maps = where(range > 0, (up - low) / range.clamp_min(1e-30), zeros_like(up));
            logits = y.detach().to_type(ScalarType.Float32).MoveToOuterDisposeScope();
            return maps.MoveToOuterDisposeScope();
        }
        finally
        {
            hook.remove();
            keep?.Dispose();
            if (wasTraining) model.train();
        }
    }

    /// <summary>The map as N×C×h×w. Tokens: the class token dropped, the rest laid on the patch grid of an H×W input's aspect.</summary>
    internal static Tensor ChannelsFirst(Tensor map, FeatureMapLayout layout, long height, long width)
    {
        switch (layout)
        {
            case FeatureMapLayout.ChannelsFirst: return map;
            case FeatureMapLayout.ChannelsLast: return map.permute(0, 3, 1, 2);
            default:
                long n = map.shape[0], tokens = map.shape[1] - 1, c = map.shape[2];
                long gh = Math.Max(1, (long)Math.Round(Math.Sqrt(tokens * (double)height / width))), gw = tokens / gh;
                if (gh * gw != tokens) throw new InvalidOperationException($"{tokens} patch tokens do not make a grid of a {height}x{width} image's aspect");
                return map[.., 1.., ..].reshape(n, gh, gw, c).permute(0, 3, 1, 2);
        }
    }

    /// <summary>
    /// Grad-CAM of each image of <paramref name="x"/> as arrays (see <see cref="Maps"/>), explaining
    /// <paramref name="classes"/> or each image's predicted class.
    /// </summary>
    public static IReadOnlyList<ClassActivation> Explain(Module<Tensor, Tensor> model, Tensor x, GradCamLayer layer, long[]? classes = null)
    {
        using var scope = NewDisposeScope();
        var maps = Maps(model, x, layer, classes, out var logits);
        var p = logits.softmax(1).cpu();
        var m = maps.cpu();
        int n = (int)x.shape[0], h = (int)x.shape[2], w = (int)x.shape[3], k = (int)p.shape[1];
        var probabilities = p.data<float>().ToArray();
        var heat = m.data<float>().ToArray();
        return Enumerable.Range(0, n).Select(i =>
        {
            var pi = probabilities.AsSpan(i * k, k).ToArray();
            int c = classes is null ? Array.IndexOf(pi, pi.Max()) : (int)classes[i];
            return new ClassActivation(c, pi, heat.AsSpan(i * h * w, h * w).ToArray(), h, w);
        }).ToArray();
    }

    /// <summary>
    /// Grad-CAM of images <paramref name="indices"/> of <paramref name="set"/>, normalised with <paramref name="mean"/> and
    /// <paramref name="std"/> as in training, each explaining its predicted class; in batches of <paramref name="batchSize"/>.
    /// </summary>
    public static IReadOnlyList<ClassActivation> Explain(Module<Tensor, Tensor> model, Device device, IImageSet set, IReadOnlyList<int> indices,
        float[] mean, float[] std, out GradCamLayer layer, int batchSize = 16)
    {
        var info = set.Info;
        var results = new List<ClassActivation>();
        layer = null!;
        for (int start = 0; start < indices.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            int count = Math.Min(batchSize, indices.Count - start);
            var buffer = new float[count * info.ImageLength];
            for (int i = 0; i < count; i++) set.Read(indices[start + i], buffer.AsSpan(i * info.ImageLength, info.ImageLength));
            var x = tensor(buffer).reshape(count, info.Channels, info.Height, info.Width);
            var m = tensor(mean).reshape(1, -1, 1, 1);
            var s = tensor(std).reshape(1, -1, 1, 1);
            x = ((x - m) / s).to(device);
            layer ??= FindLayer(model, x);
            results.AddRange(Explain(model, x, layer));
        }
        return results;
    }
}
