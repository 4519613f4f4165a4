using Zoo.Abstractions;

namespace Zoo.Cli;

/// <summary>
/// Checks of the paths a user gives on the command line, made before a verb starts its work, so a wrong one
/// is one line naming the option and the path (<c>error: --out results/x: is a file; give a folder</c>, exit 2)
/// rather than an exception from deep inside, after minutes of training.
/// </summary>
public static class PathChecks
{
    /// <summary>A folder the verb writes into: it exists or is created now, and a file can be written in it.</summary>
    public static void OutputFolder(string option, string path)
    {
        var where = $"{option} {path}";
        if (File.Exists(path)) throw new ZooConfigException(where, "is a file; give a folder");
        FileAncestor(where, path);
        Writable(where, path, "");
    }

    /// <summary>A file the verb writes: not a folder, and its folder exists or is created now and can be written to.</summary>
    public static void OutputFile(string option, string path)
    {
        var where = $"{option} {path}";
        if (Directory.Exists(path)) throw new ZooConfigException(where, "is a folder; give a file name in it");
        FileAncestor(where, path);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Writable(where, folder, $"its folder {folder} ");
    }

    static void Writable(string where, string folder, string subject)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".zoo-write-test-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, Array.Empty<byte>());
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ZooConfigException(where, $"{subject}cannot be created or written to ({e.Message}); give a folder you can write to");
        }
    }

    /// <summary>A folder the verb reads (a plugins folder): it must exist and be a folder.</summary>
    public static void InputFolder(string option, string path, string what)
    {
        var where = $"{option} {path}";
        if (File.Exists(path)) throw new ZooConfigException(where, $"is a file; give {what}");
        if (!Directory.Exists(path)) throw new ZooConfigException(where, $"no such folder; give {what}");
    }

    /// <summary>Refuses a path under a regular file (results/x/out where results/x is a file).</summary>
    static void FileAncestor(string where, string path)
    {
        for (var dir = Path.GetDirectoryName(Path.GetFullPath(path)); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir)) throw new ZooConfigException(where, $"{dir} is a file, so nothing can be written under it; give a folder");
    }
}
