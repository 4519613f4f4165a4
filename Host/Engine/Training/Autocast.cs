using System.Runtime.InteropServices;
using TorchSharp;

namespace Zoo.Engine.Training;

/// <summary>The number format a run computes its forward passes in.</summary>
public enum Precision
{
    /// <summary>Everything in float32 (the default).</summary>
    Fp32,
    /// <summary>
    /// Mixed precision with bfloat16: convolutions and matrix products in bf16, the rest as LibTorch's autocast policy
    /// says; float32 weights, optimiser state and losses. Needs no loss scaling (bf16 has float32's range).
    /// </summary>
    Bf16,
    /// <summary>Mixed precision with float16, with a dynamic loss scale (<see cref="LossScaler"/>): for GPUs with fp16 tensor cores.</summary>
    Fp16,
}

/// <summary>How a precision is written in suites and on the command line, and what it means.</summary>
public static class Precisions
{
    /// <summary>The names a suite's <c>"precision"</c> and <c>--precision</c> accept, in order.</summary>
    public static readonly string[] Names = { "fp32", "bf16", "fp16" };

    public static string Name(this Precision p) => Names[(int)p];

    /// <summary>Parses "fp32", "bf16" or "fp16" (case-insensitive; "float32", "bfloat16", "float16" and "half" too); null where unknown.</summary>
    public static Precision? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "fp32" or "float32" or "float" => Precision.Fp32,
        "bf16" or "bfloat16" => Precision.Bf16,
        "fp16" or "float16" or "half" => Precision.Fp16,
        _ => null,
    };

    /// <summary>The low-precision element type of a mixed precision (float32 for <see cref="Precision.Fp32"/>).</summary>
    public static torch.ScalarType LowType(this Precision p) => p switch
    {
        Precision.Bf16 => torch.ScalarType.BFloat16,
        Precision.Fp16 => torch.ScalarType.Float16,
        _ => torch.ScalarType.Float32,
    };
}

/// <summary>
/// LibTorch's automatic mixed precision (PyTorch's <c>torch.autocast</c>) as a disposable region: inside it, on the given
/// device, the operations LibTorch lists as safe in low precision (convolutions, linear layers, matrix products,
/// attention) cast their inputs to bf16 or fp16, the ones it lists as needing float32 (losses, norms of the linalg kind,
/// softmax on a GPU…) run in float32, and everything else runs in the type it is given. Autograd records the casts, so
/// gradients reach the float32 weights in float32.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 binds none of LibTorch's autocast state (no <c>THSAmp_*</c> natives, no <c>torch.autocast</c>), so
/// <see cref="Enter"/> calls libtorch_cpu.so's own <c>at::autocast::set_autocast_enabled</c>, <c>set_autocast_dtype</c>,
/// <c>increment_nesting</c>, <c>decrement_nesting</c> and <c>clear_cache</c> by their exported (C++-mangled) names, as
/// PyTorch's <c>torch.autocast.__enter__</c>/<c>__exit__</c> do; <c>c10::DeviceType</c> and <c>c10::ScalarType</c> are
/// 8-bit enums whose values TorchSharp's <see cref="DeviceType"/> and <see cref="torch.ScalarType"/> share. The state is
/// thread-local in LibTorch, so a region covers the thread that enters it; the zoo's forward passes run on the thread
/// that trains. Where the exports are missing (another LibTorch), <see cref="Available"/> is false and a mixed-precision
/// run is refused with that reason rather than silently trained in float32.
/// </remarks>
public static unsafe class Autocast
{
    sealed class Natives
    {
        public delegate* unmanaged<sbyte, byte> IsEnabled;
        public delegate* unmanaged<sbyte, byte, void> SetEnabled;
        public delegate* unmanaged<sbyte, sbyte> GetDtype;
        public delegate* unmanaged<sbyte, sbyte, void> SetDtype;
        public delegate* unmanaged<int> IncrementNesting;
        public delegate* unmanaged<int> DecrementNesting;
        public delegate* unmanaged<void> ClearCache;
    }

    static readonly Lazy<(Natives? Natives, string Reason)> _natives = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether this LibTorch's autocast can be switched from here.</summary>
    public static bool Available => _natives.Value.Natives is not null;

    /// <summary>Why not, where <see cref="Available"/> is false.</summary>
    public static string Unavailable => _natives.Value.Reason;

    static (Natives?, string) Load()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS() && !OperatingSystem.IsWindows())
                return (null, "no LibTorch for this system");
            string file = OperatingSystem.IsWindows() ? "torch_cpu.dll" : OperatingSystem.IsMacOS() ? "libtorch_cpu.dylib" : "libtorch_cpu.so";
            if (!NativeLibrary.TryLoad(file, out var lib)) return (null, $"{file} could not be opened");
            IntPtr Get(string name) => NativeLibrary.TryGetExport(lib, name, out var p) ? p : IntPtr.Zero;
            var n = new Natives
            {
                IsEnabled = (delegate* unmanaged<sbyte, byte>)Get("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE"),
                SetEnabled = (delegate* unmanaged<sbyte, byte, void>)Get("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb"),
                GetDtype = (delegate* unmanaged<sbyte, sbyte>)Get("_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE"),
                SetDtype = (delegate* unmanaged<sbyte, sbyte, void>)Get("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE"),
                IncrementNesting = (delegate* unmanaged<int>)Get("_ZN2at8autocast17increment_nestingEv"),
                DecrementNesting = (delegate* unmanaged<int>)Get("_ZN2at8autocast17decrement_nestingEv"),
                ClearCache = (delegate* unmanaged<void>)Get("_ZN2at8autocast11clear_cacheEv"),
            };
            if (n.IsEnabled == null || n.SetEnabled == null || n.GetDtype == null || n.SetDtype == null
                || n.IncrementNesting == null || n.DecrementNesting == null || n.ClearCache == null)
                return (null, $"this LibTorch's {file} does not export at::autocast's state functions");
            return (n, "");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>Whether autocast is on for the device type on this thread.</summary>
    public static bool IsEnabled(DeviceType device) => _natives.Value.Natives is { } n && n.IsEnabled((sbyte)device) != 0;

    /// <summary>The low-precision type autocast casts to on the device type on this thread.</summary>
    public static torch.ScalarType Dtype(DeviceType device) =>
        _natives.Value.Natives is { } n ? (torch.ScalarType)n.GetDtype((sbyte)device) : torch.ScalarType.Float32;

    /// <summary>
    /// Enters a region where forward passes on <paramref name="device"/> run in <paramref name="precision"/>; disposing it
    /// restores the state it found. For <see cref="Precision.Fp32"/> it changes nothing (and needs no natives).
    /// </summary>
    /// <exception cref="NotSupportedException">A mixed precision where this LibTorch's autocast cannot be reached.</exception>
    public static IDisposable Enter(torch.Device device, Precision precision)
    {
        if (precision == Precision.Fp32) return Nothing.Instance;
        var n = _natives.Value.Natives ?? throw new NotSupportedException($"mixed precision ({precision.Name()}) needs LibTorch's autocast: {Unavailable}");
        var type = (sbyte)device.type;
        var region = new Region(n, type, n.IsEnabled(type) != 0, n.GetDtype(type));
        n.SetDtype(type, (sbyte)precision.LowType());
        n.SetEnabled(type, 1);
        n.IncrementNesting();
        return region;
    }

    sealed class Region(Natives n, sbyte device, bool wasEnabled, sbyte wasDtype) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            // As torch.autocast.__exit__: the weight casts cached for this region go when the outermost region ends.
            if (n.DecrementNesting() == 0) n.ClearCache();
            n.SetEnabled(device, (byte)(wasEnabled ? 1 : 0));
            n.SetDtype(device, wasDtype);
        }
    }

    sealed class Nothing : IDisposable
    {
        public static readonly Nothing Instance = new();
        public void Dispose() { }
    }
}

/// <summary>Whether a device computes a low-precision format in hardware, and how it was told.</summary>
/// <param name="Native">Dot products in that format run on the hardware's own instructions or tensor cores.</param>
/// <param name="Why">What says so ("AVX-512 BF16", "compute capability 8.0") or why not.</param>
public sealed record FormatSupport(bool Native, string Why);

/// <summary>What this machine does with bf16 and fp16 (<c>zoo doctor</c>; the warning for a bf16 suite on a CPU without it).</summary>
/// <param name="CpuBf16">The CPU: AVX-512 BF16, AMX-BF16 (x86) or the bf16 extension (Arm); otherwise oneDNN converts in software and bf16 runs slower than fp32.</param>
/// <param name="CpuFp16">The CPU: AVX-512 FP16 or AMX-FP16 (x86), FP16 arithmetic (Arm); otherwise emulated.</param>
/// <param name="Autocast">LibTorch's autocast can be switched from here (<see cref="Training.Autocast.Available"/>).</param>
public sealed record PrecisionSupport(FormatSupport CpuBf16, FormatSupport CpuFp16, bool Autocast)
{
    /// <summary>This machine's CPU, read from /proc/cpuinfo (x86 "flags", Arm "Features").</summary>
    public static PrecisionSupport OfThisCpu()
    {
        string text = "";
        try { text = File.Exists("/proc/cpuinfo") ? File.ReadAllText("/proc/cpuinfo") : ""; }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return FromFlags(CpuFlags(text), global::Zoo.Engine.Training.Autocast.Available);
    }

    /// <summary>The first CPU's feature flags in /proc/cpuinfo's text (x86 "flags", Arm "Features"); empty where there are none.</summary>
    public static IReadOnlySet<string> CpuFlags(string? cpuinfo) => (cpuinfo ?? "").Split('\n')
        .Where(l => l.StartsWith("flags", StringComparison.Ordinal) || l.StartsWith("Features", StringComparison.Ordinal))
        .Take(1).SelectMany(l => l.Split(':', 2)[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToHashSet(StringComparer.Ordinal);

    /// <summary>From a CPU's feature flags as /proc/cpuinfo spells them.</summary>
    public static PrecisionSupport FromFlags(IReadOnlySet<string> flags, bool autocast)
    {
        FormatSupport Find(string format, params (string Flag, string Name)[] native)
        {
            var found = native.Where(n => flags.Contains(n.Flag)).Select(n => n.Name).ToList();
            return found.Count > 0
                ? new FormatSupport(true, string.Join(", ", found))
                : new FormatSupport(false, $"no {format} instructions on this CPU: oneDNN converts in software, slower than fp32");
        }
        return new PrecisionSupport(
            Find("bf16", ("avx512_bf16", "AVX-512 BF16"), ("amx_bf16", "AMX-BF16"), ("bf16", "Arm BF16")),
            Find("fp16", ("avx512_fp16", "AVX-512 FP16"), ("amx_fp16", "AMX-FP16"), ("fphp", "Arm FP16")),
            autocast);
    }

    /// <summary>
    /// A CUDA device's tensor cores by compute capability (major.minor, as nvidia-smi's compute_cap gives it): fp16 from
    /// Volta (7.0), bf16 from Ampere (8.0).
    /// </summary>
    public static (FormatSupport Fp16, FormatSupport Bf16) OfCuda(string? computeCapability)
    {
        if (computeCapability is null || !double.TryParse(computeCapability, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var cc))
            return (new FormatSupport(false, "compute capability unknown (nvidia-smi did not say)"), new FormatSupport(false, "compute capability unknown (nvidia-smi did not say)"));
        string at = $"compute capability {computeCapability}";
        return (new FormatSupport(cc >= 7.0, cc >= 7.0 ? $"tensor cores ({at})" : $"no fp16 tensor cores ({at}, from 7.0)"),
                new FormatSupport(cc >= 8.0, cc >= 8.0 ? $"tensor cores ({at})" : $"no bf16 tensor cores ({at}, from 8.0); use fp16"));
    }
}
