using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

/// <summary>Weight initialisations the families share.</summary>
public static class Init
{
    /// <summary>
    /// torchvision's usual CNN initialisation: He-normal convolutions (fan-out by default, ReLU gain) with
    /// zero bias, BatchNorm weight 1 and bias 0, and <paramref name="linear"/> for linear layers (left as
    /// constructed when null).
    /// </summary>
    public static void HeNormal(Module model, bool fanOut = true, Action<Linear>? linear = null)
    {
        var mode = fanOut ? init.FanInOut.FanOut : init.FanInOut.FanIn;
        foreach (var (_, m) in model.named_modules())
        {
            switch (m)
            {
                case Conv2d c:
                    init.kaiming_normal_(c.weight, mode: mode, nonlinearity: init.NonlinearityType.ReLU);
                    if (c.bias is not null) init.zeros_(c.bias);
                    break;
                case GuardedConv2d g:
                    init.kaiming_normal_(g.Weight, mode: mode, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm2d b:
                    init.ones_(b.weight);
                    init.zeros_(b.bias);
                    break;
                case Linear l when linear is not null:
                    linear(l);
                    break;
            }
        }
    }

    /// <summary>Linear layers as torchvision's VGG and MobileNets: N(0, 0.01²) weights, zero bias.</summary>
    public static void SmallNormal(Linear l)
    {
        init.normal_(l.weight, 0, 0.01);
        if (l.bias is not null) init.zeros_(l.bias);
    }

    /// <summary>
    /// Fills <paramref name="tensor"/> from a normal distribution N(mean, std²) truncated to [a, b], by the
    /// inverse-CDF method (uniform between the bounds' CDF values, then the normal quantile).
    /// TorchSharp 0.107's own <c>trunc_normal_</c> fills the tensor with <c>std</c> and is not used.
    /// </summary>
    public static Tensor TruncNormal_(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2)
    {
        static double NormCdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;
        using var _ = torch.no_grad();
        double l = NormCdf((a - mean) / std), u = NormCdf((b - mean) / std);
        tensor.uniform_(2 * l - 1, 2 * u - 1);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2)).add_(mean);
        tensor.clamp_(a, b);
        return tensor;
    }

    // erf by the Chebyshev fit of Numerical Recipes (erfc, fractional error below 1.2e-7).
    static double Erf(double x)
    {
        double t = 1.0 / (1.0 + 0.5 * Math.Abs(x));
        double y = 1 - t * Math.Exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 +
            t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return x >= 0 ? y : -y;
    }
}
