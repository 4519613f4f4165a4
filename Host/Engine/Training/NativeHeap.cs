using System.Runtime.InteropServices;

namespace Zoo.Engine.Training;

/// <summary>
/// The C heap LibTorch allocates its CPU tensors from. glibc keeps freed memory in its arenas (one per thread that
/// allocated, up to 8 × cores) instead of returning it, so a process whose tensors come and go every step keeps
/// the high-water mark of every arena as resident memory; <see cref="Trim"/> hands the free pages back.
/// </summary>
public static partial class NativeHeap
{
    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 MallInfo();

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

    /// <summary>glibc's own account of the C heap, summed over its arenas (mallinfo2), in bytes.</summary>
    /// <param name="InUse">Bytes handed out by malloc and not yet freed: live tensors and LibTorch's caches.</param>
    /// <param name="FreeHeld">Bytes freed back to the arenas but kept by glibc (resident until trimmed or reused).</param>
    /// <param name="Mapped">Of <paramref name="InUse"/>, bytes in chunks of their own mmap (returned on free).</param>
    public readonly record struct Stats(long InUse, long FreeHeld, long Mapped);

    /// <summary>The C heap's figures, or null where there is no glibc 2.33+.</summary>
    public static Stats? Read()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return null;
        try
        {
            var m = MallInfo();
            return new Stats((long)(m.UordBlks + m.HBlkHd), (long)m.FordBlks, (long)m.HBlkHd);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    static bool _unavailable;

    /// <summary>
    /// At an epoch's end: collects the epoch's managed garbage (finalising any tensor left to the GC, which frees its
    /// native memory), then hands the C heap's free pages back (<see cref="Trim"/>). Measured (issue 13): what glibc
    /// keeps is one step's working set, which the next step takes again, so without this the resident set at an
    /// epoch's end wanders by that much plus the managed garbage; with it, it is the live memory. It costs one full
    /// collection and the page faults of the next step's first allocations, once per epoch.
    /// </summary>
    public static void ReleaseFreed()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Trim();
        LastReleaseSeconds = clock.Elapsed.TotalSeconds;
    }

    /// <summary>How long the last <see cref="ReleaseFreed"/> took (for bench memory).</summary>
    public static double LastReleaseSeconds { get; private set; }

    /// <summary>Returns the C heap's free memory to the system (glibc's malloc_trim(0)); false where there is no glibc (macOS, Windows, musl).</summary>
    public static bool Trim()
    {
        if (_unavailable || !OperatingSystem.IsLinux()) return false;
        try { MallocTrim(0); return true; }   // its result only says whether anything was released
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _unavailable = true;
            return false;
        }
    }
}
