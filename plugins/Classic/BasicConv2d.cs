using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Zoo.Plugins.Classic;

/// <summary>Conv (no bias) → BatchNorm (eps 0.001) → ReLU; keys conv.*, bn.*.</summary>
public sealed class BasicConv2d : Module<Tensor, Tensor>
{
    readonly Conv2d conv;
    readonly BatchNorm2d bn;

    public BasicConv2d(long inC, long outC, long kernel, long stride = 1, long padding = 0) : base(nameof(BasicConv2d))
    {
        conv = Conv2d(inC, outC, kernel, stride: stride, padding: padding, bias: false);
        bn = BatchNorm2d(outC, eps: 0.001);
        RegisterComponents();
    }

    public BasicConv2d(long inC, long outC, (long, long) kernel, (long, long) padding) : base(nameof(BasicConv2d))
    {
        conv = Conv2d(inC, outC, kernel, padding: padding, bias: false);
        bn = BatchNorm2d(outC, eps: 0.001);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var c = conv.call(x);
        using var b = bn.call(c);
        return F.relu(b);
    }
}
