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

    static bool _unavailable;

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
