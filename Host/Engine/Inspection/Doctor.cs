using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using TorchSharp;
using Zoo.Engine.Data;
using Zoo.Engine.Training;

namespace Zoo.Engine.Inspection;

/// <summary>A folder Zoo uses, whether it exists yet, and the free space of the file system it is (or will be) on.</summary>
public sealed record FolderFacts(string Role, string Path, bool Exists, long? FreeBytes);

/// <summary>One CUDA device: its index and, where nvidia-smi answers, its name and memory.</summary>
public sealed record CudaDeviceFacts(int Index, string? Name, long? MemoryMb)
{
    /// <summary>major.minor, from nvidia-smi's compute_cap (null where it did not say).</summary>
    [JsonPropertyName("compute_capability")] public string? ComputeCapability { get; init; }
    /// <summary>fp16 tensor cores (compute capability 7.0 and later).</summary>
    public FormatSupport? Fp16 { get; init; }
    /// <summary>bf16 tensor cores (8.0 and later).</summary>
    public FormatSupport? Bf16 { get; init; }
}

/// <summary>
/// What `zoo doctor` reports: the TorchSharp and LibTorch builds, the CPU, threads, CUDA, whether the
/// build's GLIBCXX patch (build/LibTorchSharpGlibcxx.targets) is in the loaded libLibTorchSharp.so, and
/// Zoo's folders with their free space. Facts only: the front-end decides how to print them.
/// </summary>
public sealed record DoctorReport
{
    [JsonPropertyName("torchsharp_version")]
    public required string TorchSharpVersion { get; init; }
    /// <summary>The natives package the build referenced (libtorch-cpu-linux-x64, TorchSharp-cuda-linux…) and its version, from the deps file.</summary>
    [JsonPropertyName("libtorch_packages")]
    public required IReadOnlyList<string> LibTorchPackages { get; init; }
    [JsonPropertyName("libtorch_library")]
    public required string? LibTorchLibrary { get; init; }
    public required string Os { get; init; }
    public required string? CpuModel { get; init; }
    /// <summary>The SIMD instruction sets the CPU reports that matter to LibTorch's kernels (SSE4.2 … AVX-512, AMX).</summary>
    public required IReadOnlyList<string> InstructionSets { get; init; }
    [JsonPropertyName("onednn_max_cpu_isa")]
    public required string? OneDnnMaxCpuIsa { get; init; }
    /// <summary>Whether LibTorch's NNPACK convolutions initialise on this CPU, and whether the zoo switched them off (<see cref="LibTorchRuntime"/>).</summary>
    public required NnpackState Nnpack { get; init; }
    /// <summary>Whether the CPU computes bf16 and fp16 natively, and whether mixed precision can be switched on (<see cref="Autocast"/>).</summary>
    [JsonPropertyName("mixed_precision")]
    public required PrecisionSupport MixedPrecision { get; init; }
    public required int LogicalCores { get; init; }
    public required int TorchThreads { get; init; }
    public required int TorchInteropThreads { get; init; }
    public required bool CudaAvailable { get; init; }
    public required string? CudaUnavailableReason { get; init; }
    public required IReadOnlyList<CudaDeviceFacts> CudaDevices { get; init; }
    public required bool CudnnAvailable { get; init; }
    /// <summary>The libLibTorchSharp.so this process loaded.</summary>
    [JsonPropertyName("libtorchsharp_library")]
    public required string? LibTorchSharpLibrary { get; init; }
    /// <summary>"weak" (the build's patch is in), "required" (not patched), "absent" (the library does not ask for it) or "unknown".</summary>
    [JsonPropertyName("glibcxx_3_4_32")]
    public required string Glibcxx332Need { get; init; }
    /// <summary>Whether the system's libstdc++ provides GLIBCXX_3.4.32 (then the patch is not needed).</summary>
    [JsonPropertyName("system_has_glibcxx_3_4_32")]
    public required bool? SystemHasGlibcxx332 { get; init; }
    public required IReadOnlyList<FolderFacts> Folders { get; init; }

    /// <summary>Gathers the facts. Touches LibTorch (to load it) but builds no model; never throws for a missing fact.</summary>
    public static DoctorReport Gather(string? resultsDirectory = null)
    {
        using (torch.zeros(1)) { }   // loads the natives, so /proc/self/maps names them
        var natives = Devices.LoadedNatives();
        var libTorchSharp = natives.FirstOrDefault(p => System.IO.Path.GetFileName(p) == "libLibTorchSharp.so");
        bool cuda = Devices.CudaAvailable();
        var cpuinfo = ReadText("/proc/cpuinfo");
        var flags = PrecisionSupport.CpuFlags(cpuinfo);
        var folders = new List<FolderFacts>
        {
            Folder("cache", ZooPaths.Cache),
            Folder("data", ZooPaths.Data),
            Folder("temp", System.IO.Path.GetTempPath()),
        };
        if (resultsDirectory is not null) folders.Add(Folder("results", resultsDirectory));
        return new DoctorReport
        {
            TorchSharpVersion = typeof(torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
                                ?? typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            LibTorchPackages = NativePackages(),
            LibTorchLibrary = natives.FirstOrDefault(p => System.IO.Path.GetFileName(p).StartsWith("libtorch_cpu", StringComparison.Ordinal)),
            Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
            CpuModel = (cpuinfo ?? "").Split('\n').FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim(),
            InstructionSets = InterestingFlags.Where(f => flags.Contains(f.Flag)).Select(f => f.Name).ToArray(),
            OneDnnMaxCpuIsa = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA"),
            Nnpack = LibTorchRuntime.Nnpack,
            MixedPrecision = PrecisionSupport.FromFlags(flags, Autocast.Available),
            LogicalCores = Environment.ProcessorCount,
            TorchThreads = torch.get_num_threads(),
            TorchInteropThreads = torch.get_num_interop_threads(),
            CudaAvailable = cuda,
            CudaUnavailableReason = cuda ? null : Devices.CudaUnavailableReason(),
            CudaDevices = cuda ? ListCudaDevices(torch.cuda.device_count()) : Array.Empty<CudaDeviceFacts>(),
            CudnnAvailable = cuda && Try(() => torch.cuda.is_cudnn_available()),
            LibTorchSharpLibrary = libTorchSharp,
            Glibcxx332Need = libTorchSharp is null ? "unknown" : Try(() => ElfVersionNeeds.Flag(libTorchSharp, "GLIBCXX_3.4.32"), "unknown"),
            SystemHasGlibcxx332 = natives.FirstOrDefault(p => System.IO.Path.GetFileName(p).StartsWith("libstdc++.so", StringComparison.Ordinal)) is { } std
                ? Try<bool?>(() => ElfVersionNeeds.Defines(std, "GLIBCXX_3.4.32"), null) : null,
            Folders = folders,
        };
    }

    static readonly (string Flag, string Name)[] InterestingFlags =
    {
        ("sse4_2", "SSE4.2"), ("avx", "AVX"), ("avx2", "AVX2"), ("fma", "FMA"), ("f16c", "F16C"),
        ("avx512f", "AVX-512F"), ("avx512bw", "AVX-512BW"), ("avx512vl", "AVX-512VL"), ("avx512_vnni", "AVX-512 VNNI"),
        ("avx512_bf16", "AVX-512 BF16"), ("avx512_fp16", "AVX-512 FP16"), ("avx_vnni", "AVX-VNNI"),
        ("amx_tile", "AMX-TILE"), ("amx_bf16", "AMX-BF16"), ("amx_int8", "AMX-INT8"),
    };

    /// <summary>The LibTorch natives packages of this process's deps file(s): libtorch-*, TorchSharp-cuda-*.</summary>
    static IReadOnlyList<string> NativePackages()
    {
        var found = new SortedSet<string>(StringComparer.Ordinal);
        var files = (AppContext.GetData("APP_CONTEXT_DEPS_FILES") as string ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries);
        foreach (var file in files)
        {
            try
            {
                if (JsonNode.Parse(File.ReadAllText(file))?["libraries"] is not JsonObject libs) continue;
                foreach (var (key, _) in libs)
                    if (key.StartsWith("libtorch-", StringComparison.OrdinalIgnoreCase) || key.StartsWith("TorchSharp-cuda", StringComparison.OrdinalIgnoreCase))
                        found.Add(key);
            }
            catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException) { }
        }
        return found.ToArray();
    }

    /// <summary>Names and memory from nvidia-smi where it is installed; else indices only (TorchSharp has no device-name call).</summary>
    static IReadOnlyList<CudaDeviceFacts> ListCudaDevices(int count)
    {
        var rows = new List<CudaDeviceFacts>();
        string[] lines = Array.Empty<string>();
        try
        {
            var psi = new ProcessStartInfo("nvidia-smi", "--query-gpu=name,memory.total,compute_cap --format=csv,noheader,nounits") { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi);
            if (p is not null && p.WaitForExit(10_000) && p.ExitCode == 0) lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { }
        for (int i = 0; i < count; i++)
        {
            var parts = i < lines.Length ? lines[i].Split(',') : Array.Empty<string>();
            var cc = parts.Length > 2 && parts[2].Trim() is { Length: > 0 } c && c != "[N/A]" ? c : null;
            var (fp16, bf16) = PrecisionSupport.OfCuda(cc);
            rows.Add(new CudaDeviceFacts(i, parts.Length > 0 ? parts[0].Trim() : null,
                parts.Length > 1 && long.TryParse(parts[1].Trim(), out var mb) ? mb : null)
            {
                ComputeCapability = cc, Fp16 = fp16, Bf16 = bf16,
            });
        }
        return rows;
    }

    static FolderFacts Folder(string role, string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        // Free space of the file system the folder is on, or will be on: the nearest folder that exists.
        var probe = full;
        while (!Directory.Exists(probe) && System.IO.Path.GetDirectoryName(probe) is { } parent) probe = parent;
        long? free = null;
        try { free = new DriveInfo(probe).AvailableFreeSpace; }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException) { }
        return new FolderFacts(role, full, Directory.Exists(full), free);
    }

    static string? ReadText(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : null; }
        catch (IOException) { return null; }
    }

    static T Try<T>(Func<T> f, T fallback = default!)
    {
        try { return f(); }
        catch (Exception) { return fallback; }
    }
}

/// <summary>
/// Reads (never writes) the GNU version sections of a 64-bit little-endian ELF file: the flag of a version a
/// library needs (.gnu.version_r, where the build's GLIBCXX patch sets VER_FLG_WEAK) and whether a library
/// defines a version (.gnu.version_d). The layout is the one build/WeakenVersionNeeds.cs patches.
/// </summary>
public static class ElfVersionNeeds
{
    const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    /// <summary>"weak", "required" or "absent" for <paramref name="version"/> among the versions the file needs.</summary>
    public static string Flag(string path, string version)
    {
        var b = Read(path);
        foreach (var (sh, strOff) in Sections(b, ShtGnuVerneed))
        {
            int count = (int)BitConverter.ToUInt32(b, sh + 44);
            int vn = checked((int)BitConverter.ToUInt64(b, sh + 24));
            for (int n = 0; n < count; n++)
            {
                int aux = BitConverter.ToUInt16(b, vn + 2);
                int vna = vn + (int)BitConverter.ToUInt32(b, vn + 8);
                for (int a = 0; a < aux; a++)
                {
                    if (CString(b, strOff + (int)BitConverter.ToUInt32(b, vna + 8)) == version)
                        return (BitConverter.ToUInt16(b, vna + 4) & VerFlgWeak) != 0 ? "weak" : "required";
                    vna += (int)BitConverter.ToUInt32(b, vna + 12);
                }
                vn += (int)BitConverter.ToUInt32(b, vn + 12);
            }
        }
        return "absent";
    }

    /// <summary>Whether the file defines <paramref name="version"/> (libstdc++.so.6 defines GLIBCXX_3.4.N).</summary>
    public static bool Defines(string path, string version)
    {
        var b = Read(path);
        foreach (var (sh, strOff) in Sections(b, ShtGnuVerdef))
        {
            int count = (int)BitConverter.ToUInt32(b, sh + 44);
            int vd = checked((int)BitConverter.ToUInt64(b, sh + 24));
            for (int n = 0; n < count; n++)
            {
                int auxOff = vd + (int)BitConverter.ToUInt32(b, vd + 12);
                if (CString(b, strOff + (int)BitConverter.ToUInt32(b, auxOff)) == version) return true;
                int next = (int)BitConverter.ToUInt32(b, vd + 16);
                if (next == 0) break;
                vd += next;
            }
        }
        return false;
    }

    static byte[] Read(string path)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException($"{path} is not a 64-bit little-endian ELF file");
        return b;
    }

    static IEnumerable<(int Header, int StringTable)> Sections(byte[] b, uint type)
    {
        ulong shoff = BitConverter.ToUInt64(b, 0x28);
        int size = BitConverter.ToUInt16(b, 0x3A), count = BitConverter.ToUInt16(b, 0x3C);
        for (int i = 0; i < count; i++)
        {
            int sh = checked((int)shoff + i * size);
            if (BitConverter.ToUInt32(b, sh + 4) != type) continue;
            int link = (int)BitConverter.ToUInt32(b, sh + 40);
            yield return (sh, checked((int)BitConverter.ToUInt64(b, checked((int)shoff + link * size) + 24)));
        }
    }

    static string CString(byte[] b, int off)
    {
        int end = off;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, off, end - off);
    }
}
