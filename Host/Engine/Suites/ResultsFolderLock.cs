using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Results;

namespace Zoo.Engine.Suites;

/// <summary>
/// One process at a time per results folder: a lock file (<c>.zoo-lock</c>, or <c>.zoo-lock.&lt;key&gt;</c> for processes
/// that share a folder by agreement, one key each, such as the shards of one suite) created exclusively and holding
/// the owner's pid, host and start time. A second owner is refused with a message naming the first; a lock whose
/// process is gone (same host, no such pid, or a pid reused by a later process) is stale and taken over.
/// Disposing releases it.
/// </summary>
public sealed class ResultsFolderLock : IDisposable
{
    /// <summary>What the lock file holds.</summary>
    public sealed record Owner(int Pid, string Host, DateTime StartedUtc, DateTime ProcessStartUtc, string Command);

    readonly string _path;
    bool _released;

    ResultsFolderLock(string path, Owner owner) => (_path, Holder) = (path, owner);

    /// <summary>The lock file.</summary>
    public string Path => _path;

    public Owner Holder { get; }

    /// <summary>The lock file's name for <paramref name="key"/>: letters, digits, '-', '_' and '.' only.</summary>
    public static string FileName(string? key)
    {
        if (key is null) return ".zoo-lock";
        if (key.Length == 0 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"lock key '{key}' may hold only ASCII letters, digits, '-', '_' and '.'", nameof(key));
        return ".zoo-lock." + key;
    }

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> (created if missing) for this process, or throws
    /// <see cref="ZooConfigException"/> naming the process that holds it.
    /// </summary>
    public static ResultsFolderLock Acquire(string folder, string? key = null, string command = "")
    {
        Directory.CreateDirectory(folder);
        var path = System.IO.Path.Combine(System.IO.Path.GetFullPath(folder), FileName(key));
        using var self = Process.GetCurrentProcess();
        var owner = new Owner(Environment.ProcessId, Environment.MachineName, DateTime.UtcNow, self.StartTime.ToUniversalTime(), command);
        // Two tries: the second after removing a stale lock (another process may take it in between; then it is refused).
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using (var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read))
                    JsonSerializer.Serialize(f, owner, ZooJson.Options);
                return new ResultsFolderLock(path, owner);
            }
            catch (IOException) when (File.Exists(path))
            {
                var holder = Read(path);
                if (holder is not null && !IsStale(holder))
                    throw new ZooConfigException(System.IO.Path.GetFullPath(folder), $"this results folder is in use by {Describe(holder)} ({path}); " +
                        "wait for it to end, or give another folder with --out; if that process is gone, delete the lock file");
                if (holder is null && DateTime.UtcNow - File.GetLastWriteTimeUtc(path) < TimeSpan.FromSeconds(10))
                    throw new ZooConfigException(System.IO.Path.GetFullPath(folder), $"this results folder is being locked by another process ({path}); try again in a moment");
                File.Delete(path);   // stale (or unreadable and old): its owner is gone
            }
        }
        throw new ZooConfigException(System.IO.Path.GetFullPath(folder), $"another process took the lock {path} at the same moment; try again");
    }

    /// <summary>The owner written in a lock file, or null when it is missing or unreadable.</summary>
    public static Owner? Read(string path)
    {
        try { return JsonSerializer.Deserialize<Owner>(File.ReadAllText(path), ZooJson.Options); }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>A lock of this host whose process has ended, or whose pid now belongs to a process started later.</summary>
    public static bool IsStale(Owner holder)
    {
        if (!string.Equals(holder.Host, Environment.MachineName, StringComparison.OrdinalIgnoreCase)) return false;   // cannot tell: trust it
        try
        {
            using var p = Process.GetProcessById(holder.Pid);
            if (p.HasExited) return true;
            // Start times read back from /proc are exact to the clock tick; a second of slack covers the rounding.
            return Math.Abs((p.StartTime.ToUniversalTime() - holder.ProcessStartUtc).TotalSeconds) > 1;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return true;   // no such process
        }
    }

    static string Describe(Owner o) => string.Create(CultureInfo.InvariantCulture,
        $"process {o.Pid} on {o.Host}{(o.Command.Length > 0 ? $" ({o.Command})" : "")}, started {o.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC");

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        // Only our own lock is removed: a stale-lock takeover by another process must not be undone.
        if (Read(_path) is { } o && o.Pid == Holder.Pid && o.StartedUtc == Holder.StartedUtc) File.Delete(_path);
    }
}
