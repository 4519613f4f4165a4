using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Layers;

/// <summary>
/// Squeeze-and-excitation (Hu et al., 2018) as torchvision writes it: global average pool, 1×1 conv
/// down to <c>squeeze</c> channels, activation, 1×1 conv back, gate. Keys fc1.*, fc2.*.
/// </summary>
public sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    readonly AdaptiveAvgPool2d avgpool;
    readonly Conv2d fc1;
    readonly Conv2d fc2;
    readonly Module<Tensor, Tensor> activation;
    readonly Module<Tensor, Tensor> scale_activation;

    /// <summary>Creates the block; MobileNet V3 uses ReLU/Hardsigmoid, EfficientNet SiLU/Sigmoid.</summary>
    public SqueezeExcitation(long channels, long squeeze, Act act = Act.ReLU, Act gate = Act.Sigmoid) : base(nameof(SqueezeExcitation))
    {
        avgpool = AdaptiveAvgPool2d(1);
        fc1 = Conv2d(channels, squeeze, 1);
        fc2 = Conv2d(squeeze, channels, 1);
        activation = Nn.Activation(act) ?? Identity();
        scale_activation = Nn.Activation(gate) ?? Identity();
        RegisterComponents();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor x)
    {
        using var scale = scale_activation.call(fc2.call(activation.call(fc1.call(avgpool.call(x)))));
        return x * scale;
    }
}
