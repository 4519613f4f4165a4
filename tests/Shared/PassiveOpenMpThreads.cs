using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Zoo.Tests;

/// <summary>
/// Compiled into every test assembly. `dotnet test Zoo.sln` runs the test assemblies side by side, each process with
/// LibTorch's OpenMP pool of one thread per core, beside builds and other work on a shared machine. libgomp's threads
/// spin at every barrier by default (OMP_WAIT_POLICY unset), so a thread whose partner has been descheduled burns its
/// core waiting. On this project's 2-core machine at load 7–10 (docs/performance.md): ResNet-18 at 28 px, 40 range-test
/// steps at batch 8 took 75.6 CPU s with spinning threads and 14.6 with passive ones (13.6 on one thread); LeNet-5's
/// training step at batch 32 took 94–154 ms against 10–12. The test processes therefore ask for passive waiting before
/// LibTorch (and libgomp, which reads the variable once when it loads) starts; results do not change, only how the
/// threads wait. A value already set is kept. The product itself leaves the choice to the user.
/// </summary>
static class PassiveOpenMpThreads
{
    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [ModuleInitializer]
    internal static void Apply()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        SetEnv("OMP_WAIT_POLICY", "PASSIVE", overwrite: 0);
        // Child processes (zoo, worker processes) get .NET's copy of the environment, which setenv does not reach.
        Environment.SetEnvironmentVariable("OMP_WAIT_POLICY", Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "PASSIVE");
    }
}
