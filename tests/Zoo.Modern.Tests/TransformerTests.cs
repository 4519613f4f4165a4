using TorchSharp;
using Zoo.Abstractions;
using Zoo.Plugins.Modern;
using static TorchSharp.torch;

namespace Zoo.Modern.Tests;

/// <summary>What the transformers do beyond the contract kit: sizes they admit, the moved position embedding, the counted attention.</summary>
public sealed class TransformerTests
{
    [Fact]
    public void ViT_interpolates_its_position_embedding_for_another_input_size()
    {
        torch.manual_seed(1);
        using var model = new VisionTransformer().Build(new ModelSpec("vit_b_32", 3, 10, 32, 32));   // 4x4 patches: an 8x8 grid
        model.eval();
        using var noGrad = torch.no_grad();
        var same = model.call(torch.randn(2, 3, 32, 32));
        var larger = model.call(torch.randn(2, 3, 48, 64));                                              // a 12x16 grid
        Assert.Equal(new long[] { 2, 10 }, larger.shape);
        Assert.True(larger.isfinite().all().item<bool>());
        Assert.Equal(65, model.state_dict()["encoder.pos_embedding"].shape[1]);                         // still built for 8x8 + class token
    }

    [Fact]
    public void ViT_refuses_sides_that_are_not_multiples_of_the_patch_and_says_what_would_work()
    {
        var e = Assert.Throws<ZooConfigException>(() => new VisionTransformer().Build(new ModelSpec("vit_b_16", 3, 10, 100, 100)));
        Assert.Contains("100x100", e.Message);
        Assert.Contains("multiples of 16", e.Message);
        Assert.Contains("use 112x112 or 96x96", e.Message);
    }

    [Fact]
    public void Attention_reports_its_products_so_describe_can_count_them()
    {
        torch.manual_seed(2);
        using var attn = new SelfAttention(64, 4, 0);
        using var noGrad = torch.no_grad();
        attn.call(torch.randn(3, 10, 64));
        // in-projection 3·10·64·192 plus Q·Kᵀ and A·V: 2·3·4·10·10·16.
        Assert.Equal(3L * 10 * 64 * 192 + 2L * 3 * 4 * 10 * 10 * 16, attn.LastForwardMacs);

        using var window = new ShiftedWindowAttention(32, 4, 2, 2, 0);
        window.call(torch.randn(1, 8, 8, 32));
        Assert.Equal(2L * 4 * 2 * 16 * 16 * 16, window.LastForwardMacs);   // 4 windows, 2 heads, 16 tokens, 16 per head
    }

    [Fact]
    public void A_shifted_window_attends_only_within_the_regions_the_shift_brought_together()
    {
        // With the shift, the last window mixes the map's bottom-right corner with wrapped-around rows and columns;
        // the mask must keep them apart: changing a token in the top-left corner cannot change the bottom-right one.
        torch.manual_seed(3);
        using var attn = new ShiftedWindowAttention(16, 4, 2, 2, 0);
        attn.eval();
        using var noGrad = torch.no_grad();
        var x = torch.randn(1, 8, 8, 16);
        var y = attn.call(x);
        var x2 = x.clone();
        x2[0, 0, 0] = torch.randn(16);
        var y2 = attn.call(x2);
        Assert.True(y[0, 7, 7].allclose(y2[0, 7, 7], rtol: 1e-5, atol: 1e-6));
        Assert.False(y[0, 0, 0].allclose(y2[0, 0, 0]));
    }
}
