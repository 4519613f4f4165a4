using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

/// <summary>Small helpers shared by every family.</summary>
public static class Nn
{
    /// <summary>Creates the activation module for <paramref name="act"/> (null for <see cref="Act.None"/>).</summary>
    public static Module<Tensor, Tensor>? Activation(Act act) => act switch
    {
        Act.None => null,
        Act.ReLU => ReLU(inplace: true),
        Act.ReLU6 => ReLU6(inplace: true),
        Act.Hardswish => Hardswish(inplace: true),
        Act.Hardsigmoid => Hardsigmoid(inplace: true),
        Act.SiLU => SiLU(inplace: true),
        Act.Sigmoid => Sigmoid(),
        Act.GELU => GELU(),
        _ => throw new ArgumentOutOfRangeException(nameof(act)),
    };

    /// <summary>
    /// torchvision's <c>_make_divisible</c>: rounds channels to a multiple of <paramref name="divisor"/>
    /// without going more than 10% below <paramref name="value"/> (MobileNet V2/V3, EfficientNet, MNASNet).
    /// </summary>
    public static int MakeDivisible(double value, int divisor = 8, int? minValue = null)
    {
        int min = minValue ?? divisor;
        int v = Math.Max(min, (int)(value + divisor / 2.0) / divisor * divisor);
        if (v < 0.9 * value) v += divisor;
        return v;
    }

    /// <summary>
    /// Whether an input is small enough to need the small-input stem (CIFAR/MNIST-sized): the shorter
    /// side below 96 px. ImageNet stems downsample 4× before the first stage, which would leave a
    /// 28×28 image with a 1×1 map before the last stage.
    /// </summary>
    public static bool IsSmallInput(int height, int width) => Math.Min(height, width) < 96;

    /// <summary>Counts the elements of all parameters of a module.</summary>
    public static long CountParameters(Module module) => module.parameters().Sum(p => p.numel());

    /// <summary>A Sequential whose children are named "0", "1", … in order, as PyTorch names them; nulls are skipped but keep their index.</summary>
    public static Sequential Seq(params Module<Tensor, Tensor>?[] modules)
    {
        var named = new List<(string, Module<Tensor, Tensor>)>();
        for (int i = 0; i < modules.Length; i++)
            if (modules[i] is { } m) named.Add((i.ToString(), m));
        return Sequential(named);
    }
}
