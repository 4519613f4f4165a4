using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using Zoo.Engine.Results;

namespace Zoo.Engine.Training;

/// <summary>
/// TensorBoard event files for one run (TorchSharp's SummaryWriter): loss, top-1/top-5, learning rate,
/// gradient norm and epoch time per epoch, so `tensorboard --logdir results/&lt;suite&gt;/runs` shows the
/// curves. A resumed run appends a new event file to the same folder; TensorBoard merges them.
/// </summary>
public sealed class TensorBoard
{
    readonly SummaryWriter _writer;
    readonly Action<string> _warn;
    bool _failed;

    TensorBoard(SummaryWriter writer, Action<string> warn)
    {
        _writer = writer;
        _warn = warn;
    }

    /// <summary>Opens the run's event folder, or returns null (with a warning) when it cannot be written.</summary>
    public static TensorBoard? Open(string directory, Action<string> warn)
    {
        try
        {
            Directory.CreateDirectory(directory);
            return new TensorBoard(torch.utils.tensorboard.SummaryWriter(directory, createRunName: false), warn);
        }
        catch (Exception e)
        {
            warn($"TensorBoard events are not written ({directory}: {e.Message})");
            return null;
        }
    }

    public void Epoch(EpochRecord r)
    {
        if (_failed) return;
        try
        {
            void Add(string tag, double? v)
            {
                if (v is { } x && double.IsFinite(x)) _writer.add_scalar(tag, (float)x, r.Epoch);
            }
            Add("loss/train", r.TrainLoss);
            Add("loss/val", r.ValLoss);
            Add("top1/train", r.TrainTop1);
            Add("top1/val", r.ValTop1);
            Add("top5/val", r.ValTop5);
            Add("top1/val_ema", r.EmaValTop1);
            Add("lr", r.LearningRate);
            Add("grad_norm", r.GradNorm);
            Add("seconds_per_epoch", r.Seconds);
        }
        catch (Exception e)
        {
            _failed = true;
            _warn(string.Create(CultureInfo.InvariantCulture, $"TensorBoard events stopped at epoch {r.Epoch}: {e.Message}"));
        }
    }

}
