using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Zoo.Tui;

/// <summary>
/// Takes file descriptor 2 away from the terminal while the UI owns the screen: native code (LibTorch's c10 warnings,
/// oneDNN, a plugin's own natives) writes to fd 2 directly, past .NET, and on a full-screen UI those bytes land on top of
/// whatever is drawn there. fd 2 becomes a pipe's write end; a reader thread hands each line to a callback (the UI's log)
/// and appends it to a log file. <see cref="Console.Error"/> is pointed at the same pipe, because .NET's console writer
/// holds a duplicate of the original fd 2 and would bypass the swap. Disposing puts both back.
/// </summary>
/// <remarks>
/// Child processes started while the capture runs inherit the pipe as their fd 2 unless they redirect it (the zoo's
/// workers do: their lines come as <c>RunOutput</c> events). The callback runs on the reader thread.
/// </remarks>
public sealed class StderrCapture : IDisposable
{
    const int StandardError = 2;
    const int CloseOnExec = 0x80000;   // O_CLOEXEC: the read end stays out of child processes

    [DllImport("libc", SetLastError = true)] static extern int dup(int fd);
    [DllImport("libc", SetLastError = true)] static extern int dup2(int fd, int target);
    [DllImport("libc", SetLastError = true)] static extern int pipe2(int[] fds, int flags);
    [DllImport("libc", SetLastError = true)] static extern int close(int fd);

    readonly int _saved;
    readonly TextWriter _previousError;
    readonly StreamWriter _error;
    readonly Thread _reader;
    readonly Action<string> _onLine;
    readonly string? _logFile;
    StreamWriter? _log;
    int _disposed;

    /// <summary>The file every captured line is appended to (created with the first line), or null.</summary>
    public string? LogFile => _logFile;

    StderrCapture(int saved, int readEnd, Action<string> onLine, string? logFile)
    {
        (_saved, _onLine, _logFile) = (saved, onLine, logFile);
        _previousError = Console.Error;
        // A duplicate of the new fd 2, owned by this writer, so that closing it cannot close fd 2 itself.
        _error = new StreamWriter(new FileStream(new SafeFileHandle(dup(StandardError), ownsHandle: true), FileAccess.Write, 1), new UTF8Encoding(false)) { AutoFlush = true };
        Console.SetError(TextWriter.Synchronized(_error));
        var input = new FileStream(new SafeFileHandle(readEnd, ownsHandle: true), FileAccess.Read, 1);
        _reader = new Thread(() => Read(input)) { IsBackground = true, Name = "zoo stderr capture" };
        _reader.Start();
    }

    /// <summary>
    /// Starts capturing fd 2, or returns null where it cannot (not Linux or macOS; no pipe), leaving fd 2 as it was.
    /// </summary>
    /// <param name="onLine">Called on the capture's own thread with each line written to fd 2 (without its newline).</param>
    /// <param name="logFile">Where to append the lines as well (its folder is created), or null.</param>
    public static StderrCapture? Start(Action<string> onLine, string? logFile = null)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return null;
        try
        {
            var fds = new int[2];
            if (pipe2(fds, CloseOnExec) != 0) return null;
            int saved = dup(StandardError);
            if (saved < 0 || dup2(fds[1], StandardError) < 0)
            {
                if (saved >= 0) close(saved);
                close(fds[0]); close(fds[1]);
                return null;
            }
            close(fds[1]);   // fd 2 is now the only write end in this process
            return new StderrCapture(saved, fds[0], onLine, logFile);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    void Read(Stream input)
    {
        using var reader = new StreamReader(input, Encoding.UTF8);
        try
        {
            while (reader.ReadLine() is { } line)
            {
                WriteLog(line);
                try { _onLine(line); }
                catch (Exception) { }   // a callback's fault must not end the capture: fd 2 would then block writers once the pipe fills
            }
        }
        catch (IOException) { }
        _log?.Dispose();
    }

    void WriteLog(string line)
    {
        if (_logFile is null) return;
        try
        {
            if (_log is null)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_logFile))!);
                _log = new StreamWriter(_logFile, append: true, new UTF8Encoding(false)) { AutoFlush = true };
                _log.WriteLine($"--- zoo ui, pid {Environment.ProcessId}, {DateTime.Now:yyyy-MM-dd HH:mm:ss}");
            }
            _log.WriteLine(line);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }   // the log is a convenience; the line still reaches the callback
    }

    /// <summary>Puts fd 2 and <see cref="Console.Error"/> back, then waits (up to a second) for the lines still in the pipe.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Console.SetError(_previousError);
        _error.Dispose();
        dup2(_saved, StandardError);
        close(_saved);
        // The reader ends at the pipe's end of file, once no process holds its write end: at once, unless a child
        // process that inherited fd 2 still runs; then it finishes in the background.
        _reader.Join(TimeSpan.FromSeconds(1));
    }
}
