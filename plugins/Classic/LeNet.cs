using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Zoo.Plugins.Classic;

/// <summary>
/// LeNet-5 (LeCun, Bottou, Bengio, Haffner, "Gradient-Based Learning Applied to Document Recognition", 1998).
/// C1 6@5×5 → S2 pool → C3 16@5×5 → S4 pool → F5 120 → F6 84 → output. As the paper: squashing (tanh)
/// activations and average-pool subsampling; options "activation": "relu" and "pool": "max" give the
/// modern variant. Changed from the paper: C3 connects to all six S2 maps (the paper's partial table
/// is an artefact of 1998 compute), and the output is a linear layer, not RBF units. 28×28 inputs get
/// padding 2 on C1 (the usual MNIST reading of the 32×32 design); any other size is pooled to 5×5
/// before F5, so F5 keeps the paper's 400 inputs.
/// Reference parameter count: 61,706 at 1×32×32 with 10 classes (the figure of this fully connected
/// reading: 156 + 2,416 + 48,120 + 10,164 + 850).
/// </summary>
public sealed class LeNet5 : IArchitecture, IArchitectureOptions
{
    public string Name => "LeNet-5";
    public string Family => "Classic";
    public string Paper => "LeCun et al., Gradient-Based Learning Applied to Document Recognition";
    public int Year => 1998;
    public string Description =>
        "Two conv–squash–subsample stages and three fully connected layers (tanh and average pooling as the paper; " +
        "options activation=relu, pool=max). C3 fully connected to S2. 28x28 inputs pad C1 by 2; other sizes pool to 5x5 before F5. " +
        "Reference 61,706 parameters at 1x32x32, 10 classes (own count of this fully connected reading).";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("lenet5", "LeNet-5, 61.7 K parameters")
        {
            DefaultInput = new InputShape(1, 32, 32), DefaultClasses = 10,
            ReferenceParameters = 61_706, ReferenceSource = "own count: LeNet-5 with C3 fully connected, linear output (LeCun et al. 1998 layout)",
        },
    };

    static readonly Param<string> Activation = Param.Choice("activation", "tanh", new[] { "tanh", "relu" }, "tanh as in the paper, or relu (seeds/002's LeNet-5)");
    static readonly Param<string> Pooling = Param.Choice("pool", "avg", new[] { "avg", "max" }, "subsampling by average (the paper's, without its trainable scale) or max pooling");

    public IReadOnlyList<ParameterInfo> Options { get; } = new ParameterInfo[] { Activation, Pooling };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        if (spec.Variant != "lenet5") throw new ZooConfigException("variant", $"LeNet-5 has no variant '{spec.Variant}'; allowed: lenet5");
        spec.Options.EnsureOnly(Options);
        var act = Activation.Read(spec.Options);
        var pool = Pooling.Read(spec.Options);
        if (Math.Min(spec.Height, spec.Width) < 16)
            throw new ZooConfigException("input", $"LeNet-5 needs images of at least 16x16 (two 5x5 convolutions and two 2x subsamplings); got {spec.Height}x{spec.Width}");
        return new LeNet5Model(spec.Channels, spec.Classes, spec.Height, spec.Width, act == "relu", pool == "max");
    }
}

/// <summary>The LeNet-5 module: features (C1, S2, C3, S4), then classifier (F5, F6, output).</summary>
public sealed class LeNet5Model : Module<Tensor, Tensor>
{
    readonly Sequential features;
    readonly Module<Tensor, Tensor> pool;
    readonly Sequential classifier;

    public LeNet5Model(int channels, int classes, int height, int width, bool relu, bool maxPool) : base("LeNet5")
    {
        // 28x28 (MNIST) is read as the paper's 32x32 with 2 pixels of padding.
        int pad = height == 28 && width == 28 ? 2 : 0;
        Module<Tensor, Tensor> Act() => relu ? ReLU(inplace: true) : Tanh();
        Module<Tensor, Tensor> Sub() => maxPool ? MaxPool2d(2, 2) : AvgPool2d(2, 2);
        features = Nn.Seq(
            Conv2d(channels, 6, 5, padding: pad), Act(), Sub(),   // C1, S2
            Conv2d(6, 16, 5), Act(), Sub());                        // C3, S4
        pool = AdaptiveAvgPool2d(new long[] { 5, 5 });
        classifier = Nn.Seq(
            Linear(16 * 5 * 5, 120), Act(),                         // F5
            Linear(120, 84), Act(),                                 // F6
            Linear(84, classes));                                   // output
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var f = features.call(x);
        using var p = pool.call(f);
        using var flat = p.flatten(1);
        return classifier.call(flat);
    }
}
