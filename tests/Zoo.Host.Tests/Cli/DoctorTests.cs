using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Abstractions;
using Zoo.Engine.Inspection;
using Zoo.Engine.Results;
using Zoo.Engine.Training;

namespace Zoo.Host.Tests;

/// <summary>zoo doctor's facts and JSON, and the one device check every verb goes through.</summary>
public sealed class DoctorTests
{
    [Fact]
    public void Doctor_json_names_the_build_the_cpu_cuda_the_glibcxx_patch_and_the_folders()
    {
        var (code, stdout, stderr) = TestEnvironment.RunZoo("doctor", "--json");
        Assert.True(code == 0, stderr);
        var doc = JsonNode.Parse(stdout)!.AsObject();
        foreach (var key in new[] { "torchsharp_version", "libtorch_packages", "libtorch_library", "os", "cpu_model", "instruction_sets", "onednn_max_cpu_isa",
                                    "logical_cores", "torch_threads", "torch_interop_threads", "cuda_available", "cuda_unavailable_reason", "cuda_devices",
                                    "cudnn_available", "libtorchsharp_library", "glibcxx_3_4_32", "system_has_glibcxx_3_4_32", "folders", "nnpack", "mixed_precision" })
            Assert.True(doc.ContainsKey(key), $"no \"{key}\" in {stdout}");
        Assert.StartsWith("0.107", (string)doc["torchsharp_version"]!);
        // This build is the CPU flavour: its natives package, and no CUDA.
        Assert.Contains(doc["libtorch_packages"]!.AsArray(), p => ((string)p!).StartsWith("libtorch-cpu-linux-x64/2.10", StringComparison.Ordinal));
        Assert.False((bool)doc["cuda_available"]!);
        Assert.Empty(doc["cuda_devices"]!.AsArray());
        Assert.Contains("CPU LibTorch", (string)doc["cuda_unavailable_reason"]!);
        Assert.True((int)doc["torch_threads"]! >= 1);
        Assert.EndsWith("libLibTorchSharp.so", (string)doc["libtorchsharp_library"]!);
        // The library loaded, so either the system's libstdc++ has the version or the build's patch made it weak.
        var need = (string)doc["glibcxx_3_4_32"]!;
        Assert.Contains(need, new[] { "weak", "required", "absent" });
        if (doc["system_has_glibcxx_3_4_32"]?.GetValue<bool>() == false) Assert.NotEqual("required", need);
        var folders = doc["folders"]!.AsArray().Select(f => (string)f!["role"]!).ToArray();
        Assert.Contains("cache", folders);
        Assert.Contains("data", folders);
        Assert.All(doc["folders"]!.AsArray(), f => Assert.True((long)f!["free_bytes"]! > 0));

        // NNPACK is usable, or the zoo switched it off where it cannot initialise (LibTorchRuntime).
        var nnpack = doc["nnpack"]!;
        Assert.True((bool)nnpack["usable"]! || (bool)nnpack["disabled_by_zoo"]!, nnpack.ToJsonString());

        // Mixed precision: the autocast natives are found in this LibTorch, and the CPU's bf16 is told as it is.
        var mixed = doc["mixed_precision"]!;
        Assert.True((bool)mixed["autocast"]!, mixed.ToJsonString());
        bool bf16 = doc["instruction_sets"]!.AsArray().Any(s => (string)s! is "AVX-512 BF16" or "AMX-BF16");
        Assert.Equal(bf16, (bool)mixed["cpu_bf16"]!["native"]!);

        var (textCode, text, _) = TestEnvironment.RunZoo("doctor");
        Assert.Contains("NNPACK", text);
        Assert.Contains("bf16 on the CPU", text);
        Assert.Equal(0, textCode);
        Assert.Contains("TorchSharp", text);
        Assert.Contains("CUDA                 not available", text);
        Assert.Contains("GLIBCXX_3.4.32", text);
    }

    [Fact]
    public void The_patch_flag_reads_what_the_build_wrote_into_the_test_output()
    {
        // The copy beside this test assembly is the one the build patched (or left alone where not needed).
        var lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(lib)) lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(lib), lib);
        var flag = ElfVersionNeeds.Flag(lib, "GLIBCXX_3.4.32");
        Assert.Contains(flag, new[] { "weak", "required" });   // TorchSharp 0.107's library asks for it
        Assert.Equal("absent", ElfVersionNeeds.Flag(lib, "GLIBCXX_9.9.99"));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Flag(typeof(DoctorTests).Assembly.Location, "GLIBCXX_3.4.32"));
    }

    [Theory]
    [InlineData("cuda")]
    [InlineData("cuda:1")]
    public void A_cuda_device_on_this_cpu_build_is_a_users_mistake_that_says_how_to_get_one(string device)
    {
        var e = Assert.Throws<ZooConfigException>(() => Devices.Resolve(device, "--device"));
        Assert.StartsWith("--device", e.Message);
        Assert.Contains("CUDA is not available", e.Message);
        Assert.Contains("-p:ZooTorch=cuda", e.Message);
    }

    [Fact]
    public void Cpu_is_the_default_device_and_a_non_device_is_refused()
    {
        Assert.Equal(TorchSharp.DeviceType.CPU, Devices.Resolve(null, "--device").type);
        Assert.Equal(TorchSharp.DeviceType.CPU, Devices.Resolve("cpu", "--device").type);
        Assert.Contains("is not a device", Assert.Throws<ZooConfigException>(() => Devices.Resolve("gpu0", "--device")).Message);
    }

    [Fact]
    public void Every_verb_that_computes_takes_device_and_refuses_one_it_lacks()
    {
        foreach (var args in new[]
                 {
                     new[] { "bench", "engine", "--arch", "lenet5", "--device", "cuda" },
                     new[] { "describe", "lenet5", "--device", "cuda" },
                     new[] { "predict", "--arch", "lenet5", "--weights", "unused.safetensors", "--device", "cuda", "a.png" },
                     new[] { "analyze", "unused-folder", "--device", "cuda" },
                 })
        {
            var (code, _, stderr) = TestEnvironment.RunZoo(args);
            Assert.True(code == 2, $"zoo {string.Join(' ', args)}: {code} {stderr}");
            Assert.True(stderr.Contains("error: --device") && stderr.Contains("CUDA is not available"), $"zoo {string.Join(' ', args)}: {stderr}");
        }
        var (ok, stdout, err) = TestEnvironment.RunZoo("describe", "lenet5", "--device", "cpu", "--json");
        Assert.True(ok == 0, err);
        Assert.Equal("lenet5", (string)JsonNode.Parse(stdout)!["variant"]!);
    }

    [Fact]
    public void A_convolution_writes_nothing_to_standard_error_even_where_NNPACK_cannot_initialise()
    {
        // On an AMD EPYC with AVX-512 LibTorch's NNPACK fails to initialise and, unless switched off, writes
        // "Could not initialize NNPACK! Reason: Unsupported hardware." to fd 2 on every CPU convolution (one line for
        // describe, 1 130 for a cold `list --json`). Where NNPACK works there is no warning to stop; either way nothing native shows.
        var (code, stdout, stderr) = TestEnvironment.RunZoo("describe", "lenet5", "--size", "28", "--channels", "1", "--classes", "10");
        Assert.True(code == 0, stderr);
        Assert.Contains("Conv2d", stdout);
        Assert.Equal("", stderr.Trim());

        // In this test process too (the engine's own entry point, as the UI's GMACs thread and the trainer use it).
        LibTorchRuntime.Prepare();
        var captured = new List<string>();
        using (var capture = Zoo.Tui.StderrCapture.Start(l => { lock (captured) captured.Add(l); }))
        {
            Assert.NotNull(capture);
            using var conv = TorchSharp.torch.nn.Conv2d(3, 8, 3);
            using var x = TorchSharp.torch.randn(16, 3, 12, 12);
            using var y = conv.forward(x);
        }
        lock (captured) Assert.DoesNotContain(captured, l => l.Contains("NNPACK"));
    }
}
