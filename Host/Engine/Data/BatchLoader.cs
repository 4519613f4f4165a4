using System.Collections.Concurrent;
using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>One prepared batch: normalised images N×C×H×W, hard labels and soft targets N×classes.</summary>
public sealed record Batch(int Count, InputShape Shape, float[] Images, int[] Labels, float[]? SoftTargets);

/// <summary>
/// Prepares batches ahead of the training step on a background thread (the second core), so the model
/// does not wait on a set that fits in memory. Order, augmentation and mixing are seeded per epoch and
/// per image, so the same seed gives the same batches whatever the timing.
/// </summary>
public sealed class BatchLoader
{
    readonly IImageSet _set;
    readonly int _batchSize;
    readonly bool _shuffle;
    readonly bool _dropLast;
    readonly IAugmentation? _augment;
    readonly IReadOnlyList<IBatchAugmentation> _batchAugment;
    readonly float[] _mean;
    readonly float[] _std;
    readonly int _seed;

    /// <summary>How many batches are prepared ahead.</summary>
    public int Prefetch { get; init; } = 4;

    public BatchLoader(IImageSet set, int batchSize, bool shuffle, int seed, float[] mean, float[] std,
        IAugmentation? augment = null, IReadOnlyList<IBatchAugmentation>? batchAugment = null, bool dropLast = false)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize));
        _set = set;
        _batchSize = batchSize;
        _shuffle = shuffle;
        _seed = seed;
        _mean = mean;
        _std = std;
        _augment = augment;
        _batchAugment = batchAugment ?? Array.Empty<IBatchAugmentation>();
        _dropLast = dropLast && set.Count >= batchSize;
    }

    /// <summary>
    /// The same images, order and per-image augmentation, without the batch augmentations (Mixup, CutMix): what
    /// statistics of the data should see (precise BatchNorm), where blended images would describe a distribution
    /// the model never meets in evaluation.
    /// </summary>
    public BatchLoader WithoutBatchAugmentations() => _batchAugment.Count == 0 ? this
        : new BatchLoader(_set, _batchSize, _shuffle, _seed, _mean, _std, _augment, null, _dropLast) { Prefetch = Prefetch };

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => _dropLast ? _set.Count / _batchSize : (_set.Count + _batchSize - 1) / _batchSize;

    /// <summary>The images of one epoch, in batches, prepared on a background thread.</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        var order = Enumerable.Range(0, _set.Count).ToArray();
        if (_shuffle) new Random(Seeds.Mix(_seed, epoch, 0x5EED)).Shuffle(order);
        int batches = BatchesPerEpoch;

        using var queue = new BlockingCollection<Batch>(Math.Max(1, Prefetch));
        using var cts = new CancellationTokenSource();
        Exception? failure = null;
        var producer = Task.Run(() =>
        {
            try
            {
                for (int b = 0; b < batches && !cts.IsCancellationRequested; b++)
                {
                    int start = b * _batchSize, n = Math.Min(_batchSize, order.Length - start);
                    queue.Add(Make(order.AsSpan(start, n).ToArray(), epoch, b), cts.Token);
                }
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { failure = e; }
            finally { queue.CompleteAdding(); }
        });
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable())
                yield return batch;
            if (failure is not null) throw new InvalidOperationException($"preparing a batch failed: {failure.Message}", failure);
        }
        finally
        {
            cts.Cancel();
            try { producer.Wait(); } catch (AggregateException) { }
        }
    }

    /// <summary>Builds one batch synchronously (used by the background thread and by tests).</summary>
    public Batch Make(int[] indices, int epoch, int batchIndex)
    {
        int len = _set.Info.ImageLength;
        var images = new float[indices.Length * len];
        var labels = new int[indices.Length];
        // Images are independent (each draws from its own seeded generator), so a batch is prepared on every
        // core when augmenting; the order of work cannot change a single value.
        int workers = _augment is null ? 1 : Math.Max(1, Environment.ProcessorCount);
        Parallel.For(0, indices.Length, new ParallelOptions { MaxDegreeOfParallelism = workers }, () => new float[len], (i, _, buffer) =>
        {
            PrepareOne(indices[i], epoch, buffer, images.AsSpan(i * len, len), out labels[i]);
            return buffer;
        }, _ => { });
        return Finish(indices, epoch, batchIndex, images, labels);
    }

    void PrepareOne(int idx, int epoch, float[] buffer, Span<float> dst, out int label)
    {
        var info = _set.Info;
        int hw = info.Height * info.Width;
        {
            label = _set.GetLabel(idx);
            _set.Read(idx, buffer);
            float[] pixels = buffer;
            if (_augment is not null)
            {
                var rng = new Random(Seeds.Mix(_seed, epoch, idx, 0xA06));
                var img = _augment.Apply(new ImageData(info.Channels, info.Height, info.Width, (float[])buffer.Clone()), rng);
                if (img.Channels != info.Channels || img.Height != info.Height || img.Width != info.Width)
                    throw new InvalidOperationException($"an augmentation returned {img.Channels}x{img.Height}x{img.Width}; the pipeline must end at {info.Channels}x{info.Height}x{info.Width}");
                pixels = img.Pixels;
            }
            for (int c = 0; c < info.Channels; c++)
            {
                float m = _mean[c], inv = 1f / _std[c];
                for (int p = 0; p < hw; p++) dst[c * hw + p] = (pixels[c * hw + p] - m) * inv;
            }
        }
    }

    Batch Finish(int[] indices, int epoch, int batchIndex, float[] images, int[] labels)
    {
        var info = _set.Info;
        int classes = info.Classes;
        float[]? soft = null;
        if (_batchAugment.Count > 0)
        {
            soft = new float[indices.Length * classes];
            for (int i = 0; i < indices.Length; i++) soft[i * classes + labels[i]] = 1f;
            var data = new BatchData(indices.Length, new InputShape(info.Channels, info.Height, info.Width), classes, images, soft, labels);
            var rng = new Random(Seeds.Mix(_seed, epoch, batchIndex, 0xBA7C));
            foreach (var a in _batchAugment) a.Apply(data, rng);
        }
        return new Batch(indices.Length, new InputShape(info.Channels, info.Height, info.Width), images, labels, soft);
    }
}
