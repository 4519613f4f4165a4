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
