using System.Diagnostics;
using System.Text;

namespace Zoo.Host.Tests;

/// <summary>
/// Builds and runs that happen outside this repository's own build, as a plugin author's would: a `zoo` on the PATH,
/// a home of its own for the template engine, and none of the outer `dotnet test`'s MSBuild variables.
/// </summary>
static class OutsideBuild
{
    /// <summary>The test build's configuration: the packages are packed from what it compiled (`dotnet pack` alone means Release, whose output may be older).</summary>
#if DEBUG
    public const string Configuration = "Debug";
#else
    public const string Configuration = "Release";
#endif

    /// <summary>Packs the zoo's projects (paths from the repository root) into <paramref name="feed"/>, from the test build's output.</summary>
    public static void Pack(Xunit.Abstractions.ITestOutputHelper output, string dir, Dictionary<string, string?> env, string feed, params string[] projects)
    {
        foreach (var project in projects)
            Bash(output, dir, env, $"dotnet pack '{Path.Combine(TestEnvironment.Root, project)}' -c {Configuration} --no-build --no-restore -o '{feed}' -v q", TimeSpan.FromMinutes(5));
    }

    /// <summary>
    /// A nuget.config in <paramref name="dir"/>: a private packages folder (fresh Zoo packages every time: a repacked package of
    /// the same version is never served stale from a cache) that falls back on the user's cache (everything else, offline).
    /// </summary>
    public static void PrivateNuGetConfig(string dir) =>
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(dir, "nuget-packages")}" /></config>
              <fallbackPackageFolders><add key="user" value="{UserPackages()}" /></fallbackPackageFolders>
            </configuration>
            """);

    public static string UserPackages() =>
        System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>The author's environment: the packages folder, a `zoo` on the PATH, a home of its own for the template engine, the test's config and cache.</summary>
    public static Dictionary<string, string?> Environment(string dir, string feed)
    {
        var bin = Path.Combine(dir, "bin");
        Directory.CreateDirectory(bin);
        var zoo = Path.Combine(bin, "zoo");
        File.WriteAllText(zoo, $"#!/bin/sh\nexec dotnet '{TestEnvironment.ZooDll}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(zoo, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var env = new Dictionary<string, string?>
        {
            ["ZOO_PACKAGES"] = feed,
            ["PATH"] = $"{bin}:{System.Environment.GetEnvironmentVariable("PATH")}",
            ["DOTNET_CLI_HOME"] = Path.Combine(dir, "home"),
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
            ["XDG_CONFIG_HOME"] = Path.Combine(dir, "config"),
            ["ZOO_CACHE"] = TestEnvironment.CacheDirectory,
        };
        // The test host runs under dotnet test, whose MSBuild and test-platform variables would steer the inner builds.
        foreach (var name in System.Environment.GetEnvironmentVariables().Keys.Cast<string>()
                     .Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)))
            env[name] = null;
        return env;
    }

    /// <summary>Runs a shell command; returns its output, or fails the test with the output's tail.</summary>
    public static string Bash(Xunit.Abstractions.ITestOutputHelper output, string workingDirectory, Dictionary<string, string?> env, string command, TimeSpan limit)
    {
        var watch = Stopwatch.StartNew();
        var (code, log) = Run(workingDirectory, env, command, limit);
        output.WriteLine($"[{watch.Elapsed.TotalSeconds:F0} s] {command}");
        Assert.True(code == 0, $"`{command}` failed (exit {code}):\n{Tail(log)}");
        return log;
    }

    /// <summary>Runs a shell command; returns its exit code and output (stdout and stderr as they came).</summary>
    public static (int ExitCode, string Log) Run(string workingDirectory, Dictionary<string, string?> env, string command, TimeSpan limit)
    {
        var psi = new ProcessStartInfo("bash") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        foreach (var (name, value) in env)
            if (value is null) psi.Environment.Remove(name); else psi.Environment[name] = value;
        var log = new StringBuilder();
        using var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        // A guard against a hang, not a speed check.
        if (!p.WaitForExit(limit)) { p.Kill(true); Assert.Fail($"`{command}` did not finish in {limit.TotalMinutes} minutes:\n{Tail(log)}"); }
        p.WaitForExit();
        lock (log) return (p.ExitCode, log.ToString());
    }

    static string Tail(string log) => log.Length > 8000 ? log[^8000..] : log;

    static string Tail(StringBuilder log)
    {
        lock (log) return Tail(log.ToString());
    }
}
