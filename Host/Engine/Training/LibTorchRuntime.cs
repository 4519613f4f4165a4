using System.Runtime.InteropServices;
using TorchSharp;

namespace Zoo.Engine.Training;

/// <summary>Whether LibTorch's NNPACK convolutions can run here, and what the zoo did about it.</summary>
/// <param name="Usable">NNPACK initialised on this CPU (LibTorch may pick it for some CPU convolutions).</param>
/// <param name="Reason">Why not, in words ("unsupported hardware"), or "initialised"; "unknown" where the natives could not be asked.</param>
/// <param name="DisabledByZoo">The zoo switched LibTorch's NNPACK off because it cannot initialise.</param>
public sealed record NnpackState(bool Usable, string Reason, bool DisabledByZoo);

/// <summary>
/// Process-wide LibTorch settings made once, before the first forward pass (<see cref="ZooServices.Create"/> calls
/// <see cref="Prepare"/>; so does anything that runs models without it).
/// </summary>
/// <remarks>
/// NNPACK: LibTorch asks <c>at::_nnpack_available()</c> on every CPU convolution that NNPACK could take (float, 4-D,
/// kernel ≤ 16, batch ≥ 16), and where <c>nnp_initialize()</c> fails (on AMD EPYC with AVX-512: "unsupported
/// hardware") it writes "Could not initialize NNPACK! Reason: Unsupported hardware." to file descriptor 2 each time:
/// 1 130 lines for `zoo list --json`, written straight over `zoo ui`'s screen. Those convolutions already fall back to
/// LibTorch's other kernels there, so switching NNPACK off (<c>at::globalContext().setUserEnabledNNPACK(false)</c>,
/// PyTorch's <c>torch.backends.nnpack.set_flags(False)</c>) changes no result and stops the warning at its source;
/// where NNPACK initialises, nothing is changed. TorchSharp binds neither call, so both are taken from
/// libtorch_cpu.so by their exported (C++-mangled) names; a LibTorch without them leaves everything as it was.
/// .NET's <c>Environment.SetEnvironmentVariable</c> does not reach native <c>getenv</c>, so an environment switch set
/// from here would not have worked either.
/// </remarks>
public static class LibTorchRuntime
{
    static readonly Lazy<NnpackState> _nnpack = new(ConfigureNnpack, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Applies the settings (once per process; later calls cost nothing). Never throws.</summary>
    public static void Prepare() => _ = _nnpack.Value;

    /// <summary>NNPACK's state in this process (prepares first).</summary>
    public static NnpackState Nnpack => _nnpack.Value;

    // nnpack.h: enum nnp_status.
    static string NnpackStatus(int status) => status switch
    {
        0 => "initialised",
        50 => "not initialised",
        51 => "unsupported hardware",
        52 => "out of memory",
        _ => $"nnp_initialize returned status {status}",
    };

    static unsafe NnpackState ConfigureNnpack()
    {
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);   // maps libtorch_cpu.so, so the look-up below finds the loaded copy
            if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad("libtorch_cpu.so", out var lib))
                return new NnpackState(false, "unknown", false);
            if (!NativeLibrary.TryGetExport(lib, "nnp_initialize", out var init))
                return new NnpackState(false, "not in this LibTorch build", false);
            int status = ((delegate* unmanaged<int>)init)();
            if (status == 0) return new NnpackState(true, NnpackStatus(0), false);
            if (!NativeLibrary.TryGetExport(lib, "_ZN2at13globalContextEv", out var context)
                || !NativeLibrary.TryGetExport(lib, "_ZN2at7Context20setUserEnabledNNPACKEb", out var setEnabled))
                return new NnpackState(false, NnpackStatus(status), false);
            ((delegate* unmanaged<IntPtr, byte, void>)setEnabled)(((delegate* unmanaged<IntPtr>)context)(), 0);
            return new NnpackState(false, NnpackStatus(status), true);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            return new NnpackState(false, "unknown", false);
        }
    }
}
