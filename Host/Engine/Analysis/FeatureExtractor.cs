using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Engine.Analysis;

/// <summary>A sample's penultimate features, their true labels, and where the features were taken.</summary>
public sealed record FeatureSet(float[,] Features, int[] Labels, string Source)
{
    public int Count => Labels.Length;
    public int Width => Features.GetLength(1);
}

/// <summary>
/// The penultimate representation of a model: <see cref="IFeatureExtractor.Features"/> where the model
/// implements it, else the input of the last layer with a 2-D (linear) or 4-D (convolution) weight that runs in
/// the forward pass, global-average-pooled when it is a feature map (SqueezeNet's 1×1-convolution classifier).
/// "Last to run" rather than "last registered": registration order need not be execution order, and
/// auxiliary heads (GoogLeNet, Inception v3) do not run in eval mode. Not thread-safe for one model.
/// </summary>
public static class FeatureExtractor
{
    /// <summary>
    /// Features of the batch <paramref name="x"/> (N×C×H×W), N×F, with the model in eval mode and no gradient;
    /// the model's train/eval mode is restored. <paramref name="source"/> names what was read, e.g. "input of fc (Linear)".
    /// </summary>
    /// <exception cref="InvalidOperationException">The model has no weighted layer that runs and does not implement <see cref="IFeatureExtractor"/>.</exception>
    public static Tensor Features(Module<Tensor, Tensor> model, Tensor x, out string source)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using var _ = no_grad();
            if (model is IFeatureExtractor own)
            {
                source = "IFeatureExtractor";
                return own.Features(x);
            }
            Tensor? captured = null;
            string? capturedFrom = null;
            var removers = new List<Action>();
            var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
            foreach (var (path, module) in model.named_modules())
            {
                if (!seen.Add(module) || module is not Module<Tensor, Tensor> layer || module is TorchSharp.Modules.Embedding) continue;
                var weight = module.named_parameters(recurse: false).FirstOrDefault(p => p.name == "weight").parameter;
                if (weight is null || weight.dim() is not (2 or 4)) continue;
                var name = $"input of {(path.Length == 0 ? "the model" : path)} ({module.GetType().Name})";
                var hook = layer.register_forward_hook((m, input, output) =>
                {
                    captured?.Dispose();
                    // Out of every dispose scope: the forward's own scopes end before the caller reads it.
                    captured = (input.dim() switch
                    {
                        2 => input.detach().clone(),
                        4 => input.detach().mean(new long[] { 2, 3 }),
                        _ => input.detach().flatten(1).clone(),
                    }).DetachFromDisposeScope();
                    capturedFrom = name;
                    return output;
                });
                removers.Add(hook.remove);
            }
            try
            {
                using (NewDisposeScope()) model.call(x);
            }
            finally
            {
                foreach (var remove in removers) remove();
            }
            source = capturedFrom ?? throw new InvalidOperationException(
                "the model has no linear or convolution layer that runs in its forward pass; implement IFeatureExtractor to give its features");
            var features = captured!.clone();   // in the caller's scope
            captured.Dispose();
            return features;
        }
        finally
        {
            if (wasTraining) model.train();
        }
    }

    /// <summary>
    /// The features of at most <paramref name="maxImages"/> images of <paramref name="set"/> (a seeded random sample,
    /// in index order, when the set is larger), normalised with <paramref name="mean"/> and <paramref name="std"/> as in training.
    /// </summary>
    public static FeatureSet Collect(Module<Tensor, Tensor> model, Device device, IImageSet set, float[] mean, float[] std,
        int maxImages, int seed, int batchSize = 128)
    {
        IImageSet sample = set;
        if (set.Count > maxImages)
        {
            var rng = new Random(seed);
            var picked = Enumerable.Range(0, set.Count).OrderBy(_ => rng.Next()).Take(maxImages).Order().ToArray();
            sample = new SubsetImageSet(set, picked);
        }
        var loader = new BatchLoader(sample, batchSize, shuffle: false, seed: 0, mean, std) { Prefetch = 2 };
        var rows = new List<float[]>();
        var labels = new List<int>();
        string source = "";
        int width = 0;
        foreach (var batch in loader.Epoch(0))
        {
            using var scope = NewDisposeScope();
            var s = batch.Shape;
            var x = tensor(batch.Images).reshape(batch.Count, s.Channels, s.Height, s.Width).to(device);
            var f = Features(model, x, out source).to_type(ScalarType.Float32).cpu().reshape(batch.Count, -1);
            width = (int)f.shape[1];
            var data = f.data<float>().ToArray();
            for (int i = 0; i < batch.Count; i++) rows.Add(data.AsSpan(i * width, width).ToArray());
            labels.AddRange(batch.Labels.Take(batch.Count));
        }
        var matrix = new float[rows.Count, width];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < width; j++) matrix[i, j] = rows[i][j];
        return new FeatureSet(matrix, labels.ToArray(), source);
    }
}
