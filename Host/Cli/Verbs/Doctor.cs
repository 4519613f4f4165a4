using System.Globalization;
using System.Text;
using System.Text.Json;
using Zoo.Engine.Inspection;
using Zoo.Engine.Results;

namespace Zoo.Cli;

/// <summary>zoo doctor: what this build and machine give Zoo to train with (facts from <see cref="DoctorReport"/>).</summary>
public static class Doctor
{
    public static int Run(bool json)
    {
        var r = DoctorReport.Gather();
        Console.WriteLine(json ? JsonSerializer.Serialize(r, ZooJson.Options) : Text(r));
        return 0;
    }

    public static string Text(DoctorReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        void Line(string key, string? value) => sb.AppendLine($"{key,-20} {value ?? "unknown"}");
        Line("TorchSharp", r.TorchSharpVersion);
        Line("LibTorch package", r.LibTorchPackages.Count == 0 ? null : string.Join(", ", r.LibTorchPackages));
        Line("LibTorch library", r.LibTorchLibrary);
        Line("OS", r.Os);
        Line("CPU", r.CpuModel);
        Line("instruction sets", r.InstructionSets.Count == 0 ? null : string.Join(" ", r.InstructionSets));
        Line("ONEDNN_MAX_CPU_ISA", r.OneDnnMaxCpuIsa ?? "(not set: oneDNN picks the best the CPU has)");
        Line("NNPACK", r.Nnpack.Usable ? "usable (LibTorch may take it for some CPU convolutions)"
            : $"not usable: {r.Nnpack.Reason}{(r.Nnpack.DisabledByZoo ? "; switched off, so LibTorch takes its other kernels without a warning per convolution" : "")}");
        var mp = r.MixedPrecision;
        Line("bf16 on the CPU", mp.CpuBf16.Native ? $"native ({mp.CpuBf16.Why})" : $"emulated ({mp.CpuBf16.Why})");
        Line("fp16 on the CPU", mp.CpuFp16.Native ? $"native ({mp.CpuFp16.Why})" : "emulated (no AVX-512 FP16 / AMX-FP16): fp16 is for GPUs");
        if (!mp.Autocast) Line("mixed precision", $"not available: {Zoo.Engine.Training.Autocast.Unavailable}");
        Line("threads", string.Create(inv, $"{r.TorchThreads} intra-op, {r.TorchInteropThreads} inter-op; {r.LogicalCores} logical cores"));
        Line("CUDA", r.CudaAvailable
            ? $"available, {r.CudaDevices.Count} device(s){(r.CudnnAvailable ? ", cuDNN" : "")}"
            : $"not available: {r.CudaUnavailableReason}");
        foreach (var d in r.CudaDevices)
            Line($"  cuda:{d.Index}", $"{d.Name ?? "(name unknown: nvidia-smi not found)"}{(d.MemoryMb is { } mb ? string.Create(inv, $", {mb} MiB") : "")}"
                + (d.Fp16 is { } f && d.Bf16 is { } b ? $"; fp16 {(f.Native ? "tensor cores" : "no tensor cores")}, bf16 {(b.Native ? "tensor cores" : "no tensor cores")}{(d.ComputeCapability is { } cc ? $" (compute capability {cc})" : "")}" : ""));
        Line("libLibTorchSharp", r.LibTorchSharpLibrary);
        Line("GLIBCXX_3.4.32", r.Glibcxx332Need switch
        {
            "weak" => "marked weak: the build's patch is applied",
            "required" => r.SystemHasGlibcxx332 == true ? "required, and this libstdc++ has it (no patch needed)" : "required and NOT patched: rebuild (build/LibTorchSharpGlibcxx.targets)",
            "absent" => "not asked for by this libLibTorchSharp.so (no patch needed)",
            _ => "unknown",
        } + (r.SystemHasGlibcxx332 is { } has ? $"; system libstdc++ {(has ? "has" : "lacks")} it" : ""));
        foreach (var f in r.Folders)
            Line($"{f.Role} folder", $"{f.Path}{(f.Exists ? "" : " (not created yet)")}; {(f.FreeBytes is { } b ? string.Create(inv, $"{b / (1024.0 * 1024 * 1024):F1} GiB free") : "free space unknown")}");
        return sb.ToString().TrimEnd();
    }
}
