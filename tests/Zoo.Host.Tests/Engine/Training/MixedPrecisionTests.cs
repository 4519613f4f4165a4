using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;
using static TorchSharp.torch;

namespace Zoo.Host.Tests;

/// <summary>
/// Mixed precision (issue 28): LibTorch's autocast reached from .NET really changes the kernels' number format, the loss
/// scaler follows GradScaler's rules, and a bf16 run learns the built-in task and is recorded as bf16.
/// </summary>
public sealed class MixedPrecisionTests
{
    [Fact]
    public void Autocast_runs_a_convolution_in_bf16_inside_the_region_and_restores_the_state_after_it()
    {
        Assert.True(Autocast.Available, Autocast.Unavailable);
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var conv = nn.Conv2d(3, 8, 3);
        var x = torch.randn(2, 3, 8, 8);
        Assert.Equal(ScalarType.Float32, conv.call(x).dtype);
        Assert.False(Autocast.IsEnabled(DeviceType.CPU));
        Tensor inside, norm;
        using (Autocast.Enter(torch.CPU, Precision.Bf16))
        {
            Assert.True(Autocast.IsEnabled(DeviceType.CPU));
            Assert.Equal(ScalarType.BFloat16, Autocast.Dtype(DeviceType.CPU));
            inside = conv.call(x);
            // A loss is on LibTorch's float32 list: it widens a bf16 input again.
            norm = nn.functional.mse_loss(inside, torch.zeros_like(inside));
            using (Autocast.Enter(torch.CPU, Precision.Fp32))
                Assert.True(Autocast.IsEnabled(DeviceType.CPU));   // fp32 changes nothing, not even an enclosing region
        }
        Assert.Equal(ScalarType.BFloat16, inside.dtype);
        Assert.Equal(ScalarType.Float32, norm.dtype);
        Assert.False(Autocast.IsEnabled(DeviceType.CPU));
        Assert.Equal(ScalarType.Float32, conv.call(x).dtype);
        // The same numbers to bf16's precision (8 bits of mantissa: about 3 significant digits).
        var full = conv.call(x);
        Assert.True(full.sub(inside.to(ScalarType.Float32)).abs().max().item<float>() < 0.05f * (full.abs().max().item<float>() + 1));
        // Gradients reach the float32 weights in float32.
        using (Autocast.Enter(torch.CPU, Precision.Bf16)) inside = conv.call(x);
        inside.to(ScalarType.Float32).sum().backward();
        Assert.Equal(ScalarType.Float32, conv.weight!.grad!.dtype);
    }

    [Fact]
    public void The_loss_scaler_skips_an_overflowing_step_halves_its_scale_and_doubles_it_after_enough_clean_steps()
    {
        using var scope = NewDisposeScope();
        var p = new TorchSharp.Modules.Parameter(torch.ones(3));
        var scaler = new LossScaler();
        Assert.Equal(65536, scaler.Scale);
        scaler.Scaled((p * 2).sum()).backward();
        Assert.Equal(2 * 65536f, p.grad!.data<float>()[0]);
        Assert.True(scaler.Unscale(new[] { p }));
        Assert.Equal(new[] { 2f, 2f, 2f }, p.grad!.data<float>().ToArray());   // back to the true gradient
        scaler.Update(finite: true);
        Assert.Equal((65536d, 1), (scaler.Scale, scaler.CleanSteps));

        using (no_grad()) p.grad!.fill_(float.PositiveInfinity);
        Assert.False(scaler.Unscale(new[] { p }));
        scaler.Update(finite: false);
        Assert.Equal((32768d, 0, 1L), (scaler.Scale, scaler.CleanSteps, scaler.Skipped));

        for (int i = 0; i < LossScaler.GrowthInterval; i++) scaler.Update(finite: true);
        Assert.Equal((65536d, 0), (scaler.Scale, scaler.CleanSteps));

        var restored = new LossScaler();
        restored.Restore(scaler.State);
        Assert.Equal(scaler.State, restored.State);
    }

    [Fact]
    public void A_bf16_run_learns_the_built_in_task_and_the_comparison_says_which_runs_were_bf16()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        using var catalog = TestEnvironment.Catalog();
        var json = """
            {
              "name": "mixed",
              "dataset": { "name": "shapes", "channels": 1, "size": 28, "seed": 3, "train": 480, "val": 96, "test": 160 },
              "models": [ { "variant": "lenet5", "label": "lenet5-fp32", "options": { "activation": "relu", "pool": "max" } },
                          { "variant": "lenet5", "label": "lenet5-bf16", "options": { "activation": "relu", "pool": "max" }, "recipe": { "precision": "bf16" } } ],
              "recipe": { "epochs": 6, "batch_size": 32, "seed": 5, "optimizer": { "name": "adamw", "lr": 0.003 } }
            }
            """;
        var result = new SuiteRunner(catalog).Run(SuiteParser.Parse(json, Path.Combine(dir, "suite.json")), dir);
        var fp32 = result.Runs.Single(r => r.Label == "lenet5-fp32");
        var bf16 = result.Runs.Single(r => r.Label == "lenet5-bf16");
        Assert.Equal(("fp32", "bf16"), (fp32.Precision, bf16.Precision));
        Assert.Equal(RunStatus.Finished, bf16.Status);
        Assert.Null(bf16.DidNotLearn);
        // Ten shapes: chance is 10 %. Both learn, and bf16 ends close to fp32 (its rounding is a small noise in training).
        Assert.True(bf16.Test!.Top1 > 0.5, $"bf16 test top-1 {bf16.Test.Top1}, fp32 {fp32.Test!.Top1}");
        Assert.True(Math.Abs(bf16.Test.Top1 - fp32.Test!.Top1) < 0.15, $"bf16 {bf16.Test.Top1} against fp32 {fp32.Test.Top1}");
        // Epoch by epoch the bf16 loss curve follows the fp32 one (same seed, same batches): bf16 rounds each product to
        // 8 mantissa bits, which moves the loss a little, not the course of training.
        Assert.Equal(fp32.Epochs.Count, bf16.Epochs.Count);
        var gaps = fp32.Epochs.Zip(bf16.Epochs, (a, b) => Math.Abs(a.TrainLoss - b.TrainLoss) / a.TrainLoss).ToList();
        Assert.True(gaps.Max() < 0.1, "train loss fp32 " + string.Join(" ", fp32.Epochs.Select(e => e.TrainLoss.ToString("F4")))
            + ", bf16 " + string.Join(" ", bf16.Epochs.Select(e => e.TrainLoss.ToString("F4"))));
        var table = ComparisonTable.From(result);
        int column = table.Columns.ToList().FindIndex(c => c.Header == "Precision");
        Assert.True(column >= 0);
        Assert.Equal("bf16", table.Rows.Single(r => r.Run.Label == "lenet5-bf16").Cells[column]);
        var json2 = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "results.json")))!;
        Assert.Contains(json2["runs"]!.AsArray(), r => r!["precision"]?.GetValue<string>() == "bf16");
    }

    [Fact]
    public void The_cpu_flags_say_whether_bf16_and_fp16_are_native_and_a_gpu_s_compute_capability_says_which_tensor_cores_it_has()
    {
        var epyc = PrecisionSupport.FromFlags(new HashSet<string> { "avx2", "avx512f", "avx512_bf16" }, autocast: true);
        Assert.True(epyc.CpuBf16.Native);
        Assert.Contains("AVX-512 BF16", epyc.CpuBf16.Why);
        Assert.False(epyc.CpuFp16.Native);
        var sapphire = PrecisionSupport.FromFlags(new HashSet<string> { "avx512f", "amx_bf16", "amx_tile", "avx512_fp16" }, autocast: true);
        Assert.True(sapphire.CpuBf16.Native && sapphire.CpuFp16.Native);
        var older = PrecisionSupport.FromFlags(new HashSet<string> { "avx2", "fma" }, autocast: true);
        Assert.False(older.CpuBf16.Native);
        Assert.Contains("slower than fp32", older.CpuBf16.Why);
        Assert.True(PrecisionSupport.FromFlags(new HashSet<string> { "asimd", "bf16" }, autocast: true).CpuBf16.Native);   // Arm Neoverse V1/V2

        Assert.Equal((true, true), (PrecisionSupport.OfCuda("8.0").Fp16.Native, PrecisionSupport.OfCuda("8.0").Bf16.Native));   // A100
        Assert.Equal((true, false), (PrecisionSupport.OfCuda("7.5").Fp16.Native, PrecisionSupport.OfCuda("7.5").Bf16.Native));  // T4
        Assert.Equal((false, false), (PrecisionSupport.OfCuda("6.1").Fp16.Native, PrecisionSupport.OfCuda("6.1").Bf16.Native));
        Assert.False(PrecisionSupport.OfCuda(null).Bf16.Native);
    }

    [Fact]
    public void An_unknown_precision_is_refused_with_the_field_and_the_choices()
    {
        var e = Assert.Throws<ZooConfigException>(() => SuiteParser.Parse("""
            { "name": "x", "dataset": { "name": "shapes" }, "models": [ "lenet5" ], "recipe": { "precision": "bf61" } }
            """, "suite.json"));
        Assert.Contains("recipe.precision", e.Message);
        Assert.Contains("bf16", e.Message);
        Assert.Equal(Precision.Bf16, SuiteParser.Parse("""
            { "name": "x", "dataset": { "name": "shapes" }, "models": [ "lenet5" ], "recipe": { "precision": "BF16" } }
            """, "suite.json").Recipe.Precision);
    }
}
