using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Zoo.Plugins.Classic;

/// <summary>
/// GoogLeNet (Szegedy, Liu, Jia, Sermanet, Reed, Anguelov, Erhan, Vanhoucke, Rabinovich, "Going Deeper with
/// Convolutions", 2015), Inception v1 as torchvision builds it. Departs from the paper where torchvision does,
/// so its weights load: BatchNorm after every convolution (<see cref="BasicConv2d"/>) and no local response
/// normalisation, a 3×3 convolution in the branch the paper gives 5×5, the auxiliary heads' pool adaptive to 4×4,
/// and dropout 0.2 before the classifier (the paper's 0.4). The two auxiliary classifiers (after inception4a and
/// inception4d, dropout 0.7, loss weight 0.3 each, as the paper) run only in training; option "aux_logits": false
/// leaves them out. Small inputs (shorter side below 96) get conv1 3×3 stride 1 and no maxpool1/maxpool2, as
/// seeds/003's CIFAR GoogLeNet does, so a 32×32 image reaches inception5b as 8×8.
/// </summary>
public sealed class GoogLeNet : IArchitecture, IPretrainedWeights, IArchitectureOptions
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "GoogLeNet";
    public string Family => "Classic";
    public string Paper => "Szegedy et al., Going Deeper with Convolutions";
    public int Year => 2015;
    public string Description =>
        "Nine Inception modules (1x1, 3x3, 'five-by-five' (3x3 as torchvision), pool branches) with BatchNorm and two auxiliary heads (weight 0.3) that run only in training. " +
        "Inputs under 96 px skip the stem's downsampling. Option aux_logits (default true).";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("googlenet", "GoogLeNet (Inception v1) with auxiliary heads")
        {
            ReferenceParameters = 13_004_888, ReferenceSource = "torchvision googlenet(aux_logits=True); 6,624,904 without the heads", DefaultDropout = 0.2,
        },
    };

    public IReadOnlyList<ParameterInfo> Options { get; } = new ParameterInfo[] { CommonOptions.AuxLogits };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        spec.Options.EnsureOnly(Options);
        bool aux = CommonOptions.AuxLogits.Read(spec.Options);
        if (spec.Variant != "googlenet") throw new ZooConfigException("variant", $"GoogLeNet has no variant '{spec.Variant}'; allowed: googlenet");
        return new GoogLeNetModel(spec.Channels, spec.Classes, aux, spec.Dropout ?? 0.2, Nn.IsSmallInput(spec.Height, spec.Width));
    }
}

/// <summary>GoogLeNet's Inception module: 1×1, 1×1→3×3, 1×1→3×3, pool→1×1 branches, concatenated.</summary>
public sealed class InceptionModule : Module<Tensor, Tensor>
{
    readonly BasicConv2d branch1;
    readonly Sequential branch2, branch3, branch4;

    public InceptionModule(long inC, long ch1x1, long ch3x3red, long ch3x3, long ch5x5red, long ch5x5, long poolProj) : base("Inception")
    {
        branch1 = new BasicConv2d(inC, ch1x1, 1);
        branch2 = Nn.Seq(new BasicConv2d(inC, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, padding: 1));
        // torchvision uses 3×3 here where the paper has 5×5; kept so its weights load.
        branch3 = Nn.Seq(new BasicConv2d(inC, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, padding: 1));
        branch4 = Nn.Seq(MaxPool2d(3, 1, 1, ceil_mode: true), new BasicConv2d(inC, poolProj, 1));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return torch.cat(new[] { branch1.call(x), branch2.call(x), branch3.call(x), branch4.call(x) }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>GoogLeNet's auxiliary classifier: 4×4 average pool, 1×1 conv to 128, FC 1024, dropout 0.7, FC.</summary>
public sealed class InceptionAux : Module<Tensor, Tensor>
{
    readonly BasicConv2d conv;
    readonly Linear fc1, fc2;

    public InceptionAux(long inC, long classes) : base(nameof(InceptionAux))
    {
        conv = new BasicConv2d(inC, 128, 1);
        fc1 = Linear(2048, 1024);
        fc2 = Linear(1024, classes);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = conv.call(F.adaptive_avg_pool2d(x, new long[] { 4, 4 })).flatten(1);
        o = F.dropout(F.relu(fc1.call(o)), 0.7, training);
        return fc2.call(o).MoveToOuterDisposeScope();
    }
}

/// <summary>GoogLeNet with torchvision's names (conv1…conv3, inception3a…5b, aux1, aux2, fc).</summary>
public sealed class GoogLeNetModel : AuxiliaryModel
{
    readonly BasicConv2d conv1, conv2, conv3;
    readonly Module<Tensor, Tensor> maxpool1, maxpool2, maxpool3, maxpool4;
    readonly InceptionModule inception3a, inception3b, inception4a, inception4b, inception4c, inception4d, inception4e, inception5a, inception5b;
    readonly InceptionAux? aux1, aux2;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Dropout dropout;
    readonly Linear fc;

    public GoogLeNetModel(int channels, int classes, bool auxLogits, double dropoutRate, bool small) : base("GoogLeNet")
    {
        conv1 = small ? new BasicConv2d(channels, 64, 3, padding: 1) : new BasicConv2d(channels, 64, 7, stride: 2, padding: 3);
        maxpool1 = small ? Identity() : MaxPool2d(3, 2, ceil_mode: true);
        conv2 = new BasicConv2d(64, 64, 1);
        conv3 = new BasicConv2d(64, 192, 3, padding: 1);
        maxpool2 = small ? Identity() : MaxPool2d(3, 2, ceil_mode: true);
        inception3a = new InceptionModule(192, 64, 96, 128, 16, 32, 32);
        inception3b = new InceptionModule(256, 128, 128, 192, 32, 96, 64);
        maxpool3 = MaxPool2d(3, 2, ceil_mode: true);
        inception4a = new InceptionModule(480, 192, 96, 208, 16, 48, 64);
        inception4b = new InceptionModule(512, 160, 112, 224, 24, 64, 64);
        inception4c = new InceptionModule(512, 128, 128, 256, 24, 64, 64);
        inception4d = new InceptionModule(512, 112, 144, 288, 32, 64, 64);
        inception4e = new InceptionModule(528, 256, 160, 320, 32, 128, 128);
        maxpool4 = MaxPool2d(2, 2, ceil_mode: true);
        inception5a = new InceptionModule(832, 256, 160, 320, 32, 128, 128);
        inception5b = new InceptionModule(832, 384, 192, 384, 48, 128, 128);
        if (auxLogits)
        {
            aux1 = new InceptionAux(512, classes);
            aux2 = new InceptionAux(528, classes);
        }
        avgpool = AdaptiveAvgPool2d(1);
        dropout = Dropout(dropoutRate);
        fc = Linear(1024, classes);
        RegisterComponents();

        // torchvision: truncated normal (std 0.01, bounds ±2) for convolutions and linear layers.
        foreach (var (_, m) in named_modules())
        {
            switch (m)
            {
                case Conv2d c: Init.TruncNormal_(c.weight, std: 0.01); break;
                case Linear l: Init.TruncNormal_(l.weight, std: 0.01); break;
                case BatchNorm2d b: init.ones_(b.weight); init.zeros_(b.bias); break;
            }
        }
    }

    public override Tensor forward(Tensor x)
    {
        Reset();
        using var scope = NewDisposeScope();
        var o = maxpool2.call(conv3.call(conv2.call(maxpool1.call(conv1.call(x)))));
        o = maxpool3.call(inception3b.call(inception3a.call(o)));
        o = inception4a.call(o);
        if (training && aux1 is not null) Keep("aux1", aux1.call(o).MoveToOuterDisposeScope(), 0.3);
        o = inception4d.call(inception4c.call(inception4b.call(o)));
        if (training && aux2 is not null) Keep("aux2", aux2.call(o).MoveToOuterDisposeScope(), 0.3);
        o = maxpool4.call(inception4e.call(o));
        o = inception5b.call(inception5a.call(o));
        o = dropout.call(avgpool.call(o).flatten(1));
        return fc.call(o).MoveToOuterDisposeScope();
    }
}
