using TorchSharp;
using TorchSharp.Modules;
using Zoo.Abstractions;
using Zoo.Layers;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using F = TorchSharp.torch.nn.functional;

namespace Zoo.Plugins.Classic;

/// <summary>
/// Inception v3 (Szegedy, Vanhoucke, Ioffe, Shlens, Wojna, "Rethinking the Inception Architecture for Computer
/// Vision", 2016) as torchvision builds it: factorised 7×7 and asymmetric 1×n/n×1 convolutions (Inception A–E),
/// grid reductions, BatchNorm after every convolution (<see cref="BasicConv2d"/>), 299×299 input. Departs from the
/// paper's Table 1 where torchvision follows the released model, so its weights load: the stem is 3×3/2, 3×3, 3×3,
/// max-pool, 1×1 to 80, 3×3 to 192, max-pool. One auxiliary classifier on the 17×17 grid (loss weight 0.4) runs
/// only in training; option "aux_logits": false leaves it out. Small inputs (shorter side below 96) run the stem at
/// stride 1 with its 3×3 convolutions padded and without its max-pools, so a 32×32 image reaches Mixed_7c as 7×7
/// and the auxiliary head pools adaptively to 5×5.
/// </summary>
public sealed class InceptionV3 : IArchitecture, IPretrainedWeights, IArchitectureOptions
{
    /// <summary>torchvision's published weights of these variants (TorchvisionWeights.g.cs, generated).</summary>
    public IReadOnlyList<PretrainedWeights> Pretrained => TorchvisionWeights.For(Variants);

    public string Name => "Inception v3";
    public string Family => "Classic";
    public string Paper => "Szegedy et al., Rethinking the Inception Architecture for Computer Vision";
    public int Year => 2016;
    public string Description =>
        "Factorised Inception A-E modules, one auxiliary head (weight 0.4) that runs only in training, 299x299 default input. " +
        "Inputs under 96 px skip the stem's downsampling. Option aux_logits (default true).";

    public IReadOnlyList<ArchitectureVariant> Variants { get; } = new[]
    {
        new ArchitectureVariant("inception_v3", "Inception v3 with auxiliary head")
        {
            DefaultInput = new InputShape(3, 299, 299),
            ReferenceParameters = 27_161_264, ReferenceSource = "torchvision inception_v3(aux_logits=True)", DefaultDropout = 0.5,
        },
    };

    public IReadOnlyList<ParameterInfo> Options { get; } = new ParameterInfo[] { CommonOptions.AuxLogits };

    public Module<Tensor, Tensor> Build(ModelSpec spec)
    {
        spec.Options.EnsureOnly(Options);
        bool aux = CommonOptions.AuxLogits.Read(spec.Options);
        bool small = Nn.IsSmallInput(spec.Height, spec.Width);
        if (spec.Variant != "inception_v3") throw new ZooConfigException("variant", $"Inception v3 has no variant '{spec.Variant}'; allowed: inception_v3");
        if (!small && Math.Min(spec.Height, spec.Width) < 75) throw new ZooConfigException("input", "Inception v3 needs at least 75x75 on its ImageNet stem");
        return new InceptionV3Model(spec.Channels, spec.Classes, aux, spec.Dropout ?? 0.5, small);
    }
}

/// <summary>Inception v3's 35×35 module (Figure 5): 1×1, 5×5, double 3×3 and pool branches.</summary>
public sealed class InceptionA : Module<Tensor, Tensor>
{
    readonly BasicConv2d branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;

    public InceptionA(long inC, long poolFeatures) : base(nameof(InceptionA))
    {
        branch1x1 = new BasicConv2d(inC, 64, 1);
        branch5x5_1 = new BasicConv2d(inC, 48, 1);
        branch5x5_2 = new BasicConv2d(48, 64, 5, padding: 2);
        branch3x3dbl_1 = new BasicConv2d(inC, 64, 1);
        branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
        branch3x3dbl_3 = new BasicConv2d(96, 96, 3, padding: 1);
        branch_pool = new BasicConv2d(inC, poolFeatures, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b1 = branch1x1.call(x);
        var b5 = branch5x5_2.call(branch5x5_1.call(x));
        var b3 = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
        var bp = branch_pool.call(F.avg_pool2d(x, 3, 1, 1));
        return torch.cat(new[] { b1, b5, b3, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Inception v3's grid reduction 35→17: strided 3×3, strided double 3×3, max-pool.</summary>
public sealed class InceptionB : Module<Tensor, Tensor>
{
    readonly BasicConv2d branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;

    public InceptionB(long inC) : base(nameof(InceptionB))
    {
        branch3x3 = new BasicConv2d(inC, 384, 3, stride: 2);
        branch3x3dbl_1 = new BasicConv2d(inC, 64, 1);
        branch3x3dbl_2 = new BasicConv2d(64, 96, 3, padding: 1);
        branch3x3dbl_3 = new BasicConv2d(96, 96, 3, stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b3 = branch3x3.call(x);
        var bd = branch3x3dbl_3.call(branch3x3dbl_2.call(branch3x3dbl_1.call(x)));
        var bp = F.max_pool2d(x, 3, 2);
        return torch.cat(new[] { b3, bd, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Inception v3's 17×17 module (Figure 6): 7×7 factorised into 1×7 and 7×1.</summary>
public sealed class InceptionC : Module<Tensor, Tensor>
{
    readonly BasicConv2d branch1x1, branch7x7_1, branch7x7_2, branch7x7_3;
    readonly BasicConv2d branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3, branch7x7dbl_4, branch7x7dbl_5, branch_pool;

    public InceptionC(long inC, long c7) : base(nameof(InceptionC))
    {
        branch1x1 = new BasicConv2d(inC, 192, 1);
        branch7x7_1 = new BasicConv2d(inC, c7, 1);
        branch7x7_2 = new BasicConv2d(c7, c7, (1, 7), (0, 3));
        branch7x7_3 = new BasicConv2d(c7, 192, (7, 1), (3, 0));
        branch7x7dbl_1 = new BasicConv2d(inC, c7, 1);
        branch7x7dbl_2 = new BasicConv2d(c7, c7, (7, 1), (3, 0));
        branch7x7dbl_3 = new BasicConv2d(c7, c7, (1, 7), (0, 3));
        branch7x7dbl_4 = new BasicConv2d(c7, c7, (7, 1), (3, 0));
        branch7x7dbl_5 = new BasicConv2d(c7, 192, (1, 7), (0, 3));
        branch_pool = new BasicConv2d(inC, 192, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b1 = branch1x1.call(x);
        var b7 = branch7x7_3.call(branch7x7_2.call(branch7x7_1.call(x)));
        var bd = branch7x7dbl_5.call(branch7x7dbl_4.call(branch7x7dbl_3.call(branch7x7dbl_2.call(branch7x7dbl_1.call(x)))));
        var bp = branch_pool.call(F.avg_pool2d(x, 3, 1, 1));
        return torch.cat(new[] { b1, b7, bd, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Inception v3's grid reduction 17→8.</summary>
public sealed class InceptionD : Module<Tensor, Tensor>
{
    readonly BasicConv2d branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;

    public InceptionD(long inC) : base(nameof(InceptionD))
    {
        branch3x3_1 = new BasicConv2d(inC, 192, 1);
        branch3x3_2 = new BasicConv2d(192, 320, 3, stride: 2);
        branch7x7x3_1 = new BasicConv2d(inC, 192, 1);
        branch7x7x3_2 = new BasicConv2d(192, 192, (1, 7), (0, 3));
        branch7x7x3_3 = new BasicConv2d(192, 192, (7, 1), (3, 0));
        branch7x7x3_4 = new BasicConv2d(192, 192, 3, stride: 2);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b3 = branch3x3_2.call(branch3x3_1.call(x));
        var b7 = branch7x7x3_4.call(branch7x7x3_3.call(branch7x7x3_2.call(branch7x7x3_1.call(x))));
        var bp = F.max_pool2d(x, 3, 2);
        return torch.cat(new[] { b3, b7, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Inception v3's 8×8 module (Figure 7): expanded filter banks with 1×3 and 3×1 splits.</summary>
public sealed class InceptionE : Module<Tensor, Tensor>
{
    readonly BasicConv2d branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a, branch3x3dbl_3b, branch_pool;

    public InceptionE(long inC) : base(nameof(InceptionE))
    {
        branch1x1 = new BasicConv2d(inC, 320, 1);
        branch3x3_1 = new BasicConv2d(inC, 384, 1);
        branch3x3_2a = new BasicConv2d(384, 384, (1, 3), (0, 1));
        branch3x3_2b = new BasicConv2d(384, 384, (3, 1), (1, 0));
        branch3x3dbl_1 = new BasicConv2d(inC, 448, 1);
        branch3x3dbl_2 = new BasicConv2d(448, 384, 3, padding: 1);
        branch3x3dbl_3a = new BasicConv2d(384, 384, (1, 3), (0, 1));
        branch3x3dbl_3b = new BasicConv2d(384, 384, (3, 1), (1, 0));
        branch_pool = new BasicConv2d(inC, 192, 1);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var b1 = branch1x1.call(x);
        var b3 = branch3x3_1.call(x);
        b3 = torch.cat(new[] { branch3x3_2a.call(b3), branch3x3_2b.call(b3) }, 1);
        var bd = branch3x3dbl_2.call(branch3x3dbl_1.call(x));
        bd = torch.cat(new[] { branch3x3dbl_3a.call(bd), branch3x3dbl_3b.call(bd) }, 1);
        var bp = branch_pool.call(F.avg_pool2d(x, 3, 1, 1));
        return torch.cat(new[] { b1, b3, bd, bp }, 1).MoveToOuterDisposeScope();
    }
}

/// <summary>Inception v3's auxiliary classifier on the 17×17 grid: 5×5/3 average pool, 1×1 to 128, 5×5 to 768, FC.</summary>
public sealed class InceptionV3Aux : Module<Tensor, Tensor>
{
    readonly BasicConv2d conv0, conv1;
    readonly Linear fc;
    readonly bool _small;

    public InceptionV3Aux(long inC, long classes, bool small) : base("InceptionAux")
    {
        conv0 = new BasicConv2d(inC, 128, 1);
        conv1 = new BasicConv2d(128, 768, 5);
        fc = Linear(768, classes);
        _small = small;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var o = _small ? F.adaptive_avg_pool2d(x, new long[] { 5, 5 }) : F.avg_pool2d(x, 5, 3);
        o = conv1.call(conv0.call(o));
        o = F.adaptive_avg_pool2d(o, 1).flatten(1);
        return fc.call(o).MoveToOuterDisposeScope();
    }
}

/// <summary>Inception v3 with torchvision's names (Conv2d_1a_3x3 … Mixed_7c, AuxLogits, fc).</summary>
public sealed class InceptionV3Model : AuxiliaryModel
{
    readonly BasicConv2d Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, Conv2d_3b_1x1, Conv2d_4a_3x3;
    readonly Module<Tensor, Tensor> maxpool1, maxpool2;
    readonly InceptionA Mixed_5b, Mixed_5c, Mixed_5d;
    readonly InceptionB Mixed_6a;
    readonly InceptionC Mixed_6b, Mixed_6c, Mixed_6d, Mixed_6e;
    readonly InceptionV3Aux? AuxLogits;
    readonly InceptionD Mixed_7a;
    readonly InceptionE Mixed_7b, Mixed_7c;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Dropout dropout;
    readonly Linear fc;

    public InceptionV3Model(int channels, int classes, bool auxLogits, double dropoutRate, bool small) : base("Inception3")
    {
        Conv2d_1a_3x3 = small ? new BasicConv2d(channels, 32, 3, padding: 1) : new BasicConv2d(channels, 32, 3, stride: 2);
        Conv2d_2a_3x3 = new BasicConv2d(32, 32, 3, padding: small ? 1 : 0);
        Conv2d_2b_3x3 = new BasicConv2d(32, 64, 3, padding: 1);
        maxpool1 = small ? Identity() : MaxPool2d(3, 2);
        Conv2d_3b_1x1 = new BasicConv2d(64, 80, 1);
        Conv2d_4a_3x3 = new BasicConv2d(80, 192, 3, padding: small ? 1 : 0);
        maxpool2 = small ? Identity() : MaxPool2d(3, 2);
        Mixed_5b = new InceptionA(192, 32);
        Mixed_5c = new InceptionA(256, 64);
        Mixed_5d = new InceptionA(288, 64);
        Mixed_6a = new InceptionB(288);
        Mixed_6b = new InceptionC(768, 128);
        Mixed_6c = new InceptionC(768, 160);
        Mixed_6d = new InceptionC(768, 160);
        Mixed_6e = new InceptionC(768, 192);
        if (auxLogits) AuxLogits = new InceptionV3Aux(768, classes, small);
        Mixed_7a = new InceptionD(768);
        Mixed_7b = new InceptionE(1280);
        Mixed_7c = new InceptionE(2048);
        avgpool = AdaptiveAvgPool2d(1);
        dropout = Dropout(dropoutRate);
        fc = Linear(2048, classes);
        RegisterComponents();

        // torchvision: truncated normal std 0.1 (0.01 for the aux 5×5 conv, 0.001 for the aux FC), BatchNorm 1/0.
        foreach (var (name, m) in named_modules())
        {
            double std = name == "AuxLogits.conv1.conv" ? 0.01 : name == "AuxLogits.fc" ? 0.001 : 0.1;
            switch (m)
            {
                case Conv2d c: Init.TruncNormal_(c.weight, std: std); break;
                case Linear l: Init.TruncNormal_(l.weight, std: std); break;
                case BatchNorm2d b: init.ones_(b.weight); init.zeros_(b.bias); break;
            }
        }
    }

    public override Tensor forward(Tensor x)
    {
        Reset();
        using var scope = NewDisposeScope();
        var o = Conv2d_2b_3x3.call(Conv2d_2a_3x3.call(Conv2d_1a_3x3.call(x)));
        o = maxpool2.call(Conv2d_4a_3x3.call(Conv2d_3b_1x1.call(maxpool1.call(o))));
        o = Mixed_5d.call(Mixed_5c.call(Mixed_5b.call(o)));
        o = Mixed_6e.call(Mixed_6d.call(Mixed_6c.call(Mixed_6b.call(Mixed_6a.call(o)))));
        if (training && AuxLogits is not null) Keep("aux", AuxLogits.call(o).MoveToOuterDisposeScope(), 0.4);
        o = Mixed_7c.call(Mixed_7b.call(Mixed_7a.call(o)));
        o = dropout.call(avgpool.call(o).flatten(1));
        return fc.call(o).MoveToOuterDisposeScope();
    }
}
