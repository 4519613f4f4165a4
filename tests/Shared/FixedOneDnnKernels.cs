using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Zoo.Tests;

/// <summary>
/// Compiled into every test assembly. Several tests assert exact equality (a seeded run twice, a resumed run
/// against an uninterrupted one). LibTorch 2.10's oneDNN chooses its convolution kernels by the CPU's
/// instruction set, and some of its AVX-512 kernels read uninitialised memory (see docs/troubleshooting.md: "LibTorch 2.10 and
/// oneDNN's uninitialised reads"); on CI machines we cannot see, that made a repeat-run test fail once. The
/// test processes therefore cap oneDNN at AVX2 (kernels that showed no fault here) before LibTorch starts, so
/// the exact-equality checks test Zoo's determinism, not the CPU's kernel selection. The product itself runs
/// the native kernels (a user can set ONEDNN_MAX_CPU_ISA too). ZOO_TEST_ONEDNN_ISA=native keeps them for a test
/// run; any other value is used as the cap.
/// </summary>
static class FixedOneDnnKernels
{
    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [ModuleInitializer]
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        var wanted = Environment.GetEnvironmentVariable("ZOO_TEST_ONEDNN_ISA") is { Length: > 0 } w ? w : "AVX2";
        if (wanted.Equals("native", StringComparison.OrdinalIgnoreCase)) return;
        // oneDNN reads the variable from the C environment when it first picks a kernel, so it must be set there.
        SetEnv("ONEDNN_MAX_CPU_ISA", wanted, overwrite: 0);
        Environment.SetEnvironmentVariable("ONEDNN_MAX_CPU_ISA", Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? wanted);
    }
}
