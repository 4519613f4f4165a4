using TorchSharp;
using static TorchSharp.torch;

namespace Zoo.Engine.Training;

/// <summary>
/// Channels-last (NHWC) memory order for image batches. TorchSharp 0.107 has no <c>memory_format</c> argument, but a
/// tensor permuted to N×H×W×C, made contiguous and permuted back has exactly the strides PyTorch's
/// <c>x.to(memory_format=torch.channels_last)</c> gives; LibTorch reads the order from the strides, and oneDNN's
/// convolutions then keep it in their outputs.
/// </summary>
public static class MemoryOrder
{
    /// <summary>Whether a 4-D tensor's strides are channels-last (the channel dimension densest).</summary>
    public static bool IsChannelsLast(Tensor x) =>
        x.dim() == 4 && x.stride(1) == 1 && x.stride(3) == x.shape[1] && x.stride(2) == x.shape[1] * x.shape[3];

    /// <summary>The same values in channels-last order (a new tensor; the given one is disposed), or <paramref name="x"/> itself when not asked or not 4-D.</summary>
    public static Tensor Input(Tensor x, bool channelsLast)
    {
        if (!channelsLast || x.dim() != 4) return x;
        var y = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);
        x.Dispose();
        return y;
    }
}
