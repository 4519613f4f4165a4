using TorchSharp;
using Zoo.Layers;

namespace Zoo.Modern.Tests;

/// <summary>The shared blocks in Zoo.Layers that the families rely on.</summary>
public sealed class LayersTests
{
    [Fact]
    public void Truncated_normal_has_the_asked_spread_and_stays_inside_the_bounds()
    {
        torch.manual_seed(0);
        using var w = torch.empty(200_000);
        Init.TruncNormal_(w, std: 0.02);
        Assert.InRange(w.mean().item<float>(), -0.0005, 0.0005);
        Assert.InRange(w.std().item<float>(), 0.0195, 0.0205);

        // Truncated at ±1σ the standard deviation shrinks to 0.5376σ (the truncated normal's formula).
        Init.TruncNormal_(w, mean: 0, std: 1, a: -1, b: 1);
        Assert.InRange(w.min().item<float>(), -1f, -0.99f);
        Assert.InRange(w.max().item<float>(), 0.99f, 1f);
        Assert.InRange(w.std().item<float>(), 0.530, 0.545);
    }

    [Theory]
    [InlineData(32.0, 32)]
    [InlineData(1280 * 0.75, 960)]
    [InlineData(16 * 0.5, 8)]
    [InlineData(96 * 0.35, 32)]
    [InlineData(112 * 0.75, 88)]
    [InlineData(44.0, 48)]
    [InlineData(10.0, 16)]       // 8 would be more than 10 % below 10, so one step up
    public void Channel_rounding_matches_torchvision(double value, int expected) =>
        Assert.Equal(expected, Nn.MakeDivisible(value));

    [Fact]
    public void Stochastic_depth_drops_whole_samples_in_training_and_is_the_identity_in_eval()
    {
        torch.manual_seed(1);
        using var sd = new StochasticDepth(0.5);
        using var x = torch.ones(4000, 3, 2, 2);
        sd.train();
        using var y = sd.call(x);
        var perSample = y.reshape(4000, -1);
        // Every sample is either dropped (all zeros) or kept and scaled by 1/(1-p) = 2.
        Assert.True((perSample.eq(0).all(1) | perSample.eq(2).all(1)).all().item<bool>());
        Assert.InRange(perSample.eq(0).all(1).to(torch.float32).mean().item<float>(), 0.45f, 0.55f);
        sd.eval();
        using var z = sd.call(x);
        Assert.True(z.eq(x).all().item<bool>());
    }

    [Fact]
    public void LayerNorm2d_normalises_over_channels_at_every_position()
    {
        torch.manual_seed(2);
        using var ln = new LayerNorm2d(8);
        using var x = torch.randn(2, 8, 5, 3) * 3 + 1;
        using var y = ln.call(x);
        Assert.True(y.mean(new long[] { 1 }).abs().max().item<float>() < 1e-5);
        Assert.True((y.var(1, unbiased: false) - 1).abs().max().item<float>() < 1e-3);
    }
}

/// <summary>The guard around LibTorch 2.10's faulty 24→24 3×3 oneDNN convolution.</summary>
public sealed class OneDnnGuardTests
{
    [Fact]
    public void The_guarded_24_channel_convolution_never_returns_NaN_and_equals_the_float64_result()
    {
        torch.manual_seed(5);
        Assert.True(OneDnnGuard.Affects(24, 96, 3, 1));
        Assert.False(OneDnnGuard.Affects(24, 96, 1, 1));
        Assert.False(OneDnnGuard.Affects(32, 32, 3, 1));
        using var block = ConvNormAct.Create(24, 24, 3, norm: false, act: Act.None);
        Assert.IsType<GuardedConv2d>(block.named_children().First().module);
        var weight = block.parameters().First();
        for (int i = 0; i < 60; i++)
        {
            using var scope = torch.NewDisposeScope();
            torch.full(new long[] { 2, 32, 66, 66 }, float.NaN).Dispose();   // freed memory full of NaN, as the fault needs
            var x = torch.randn(2, 24, 64, 64);
            using var noGrad = torch.no_grad();
            var y = block.call(x);
            Assert.False(y.isnan().any().item<bool>(), $"NaN on call {i}");
            var reference = torch.nn.functional.conv2d(x.to(torch.float64), weight.to(torch.float64), block.parameters().Skip(1).FirstOrDefault()?.to(torch.float64),
                padding: new long[] { 1, 1 }).to(torch.float32);
            Assert.True(y.allclose(reference, rtol: 1e-4, atol: 1e-5));
        }
        Assert.Equal(new[] { "0.weight", "0.bias" }, block.state_dict().Keys);
    }
}
