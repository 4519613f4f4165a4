namespace Zoo.Engine.Suites;

/// <summary>
/// A checkpoint, weights or results file that could not be written because the disk is full. The write went to a
/// file beside the one it replaces, so what was written before stays whole and readable; the suite stops (the next
/// run would fail the same way) and the message says how to go on.
/// </summary>
public sealed class DiskFullException(string path, IOException inner)
    : IOException($"{path}: no space left on the device while writing it; the files written before are kept and readable; free some space and run the same command again to resume", inner)
{
    public string Path { get; } = path;

    // ENOSPC (28) on Linux and macOS, where .NET puts the errno in HResult; ERROR_HANDLE_DISK_FULL (39) and ERROR_DISK_FULL (112) on Windows.
    public static bool Is(Exception e) =>
        e is DiskFullException || (e is IOException io && (io.HResult is 28 || (io.HResult & 0xFFFF) is 39 or 112));
}
