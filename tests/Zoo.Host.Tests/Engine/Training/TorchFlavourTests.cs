using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Zoo.Host.Tests;

/// <summary>
/// The ZooTorch build switch (build/Zoo.Torch.props), checked by evaluating the projects: the CUDA packages
/// are never restored here (the feed does not serve them), so the test reads what MSBuild would reference.
/// </summary>
public sealed class TorchFlavourTests
{
    static (int Code, string Out) MsBuild(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestEnvironment.Root };
        psi.ArgumentList.Add("msbuild");
        psi.ArgumentList.Add("-nologo");
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(10))) { p.Kill(true); throw new TimeoutException($"dotnet msbuild {string.Join(' ', args)} hung"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    static Dictionary<string, string?> References(string project, string? flavour)
    {
        var args = new List<string> { Path.IsPathRooted(project) ? project : Path.Combine(TestEnvironment.Root, project), "-getItem:PackageReference" };
        if (flavour is not null) args.Add($"-p:ZooTorch={flavour}");
        var (code, output) = MsBuild(args.ToArray());
        Assert.True(code == 0, output);
        var items = JsonNode.Parse(output)!["Items"]!["PackageReference"]!.AsArray();
        return items.ToDictionary(i => (string)i!["Identity"]!, i => (string?)i!["Version"]);
    }

    [Theory]
    [InlineData("Host/Engine/Zoo.Engine.csproj")]
    [InlineData("tests/Zoo.Host.Tests/Zoo.Host.Tests.csproj")]
    public void Cpu_is_the_default_and_cuda_swaps_the_natives_for_the_same_TorchSharp_release(string project)
    {
        var cpu = References(project, null);
        Assert.Contains("libtorch-cpu-linux-x64", cpu.Keys);
        Assert.DoesNotContain("TorchSharp-cuda-linux", cpu.Keys);
        Assert.Equal(cpu.Keys.OrderBy(k => k), References(project, "cpu").Keys.OrderBy(k => k));

        var cuda = References(project, "cuda");
        Assert.Contains("TorchSharp-cuda-linux", cuda.Keys);
        Assert.DoesNotContain(cuda.Keys, k => k.StartsWith("libtorch-cpu", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("TorchSharp", cuda.Keys);
        // Everything else stays as it is.
        Assert.Equal(cpu.Keys.Where(k => k != "libtorch-cpu-linux-x64").OrderBy(k => k), cuda.Keys.Where(k => k != "TorchSharp-cuda-linux").OrderBy(k => k));

        // Central versions: TorchSharp-cuda-linux is versioned like TorchSharp (one release, one version).
        var (code, output) = MsBuild(Path.Combine(TestEnvironment.Root, project), "-getItem:PackageVersion", "-p:ZooTorch=cuda");
        Assert.True(code == 0, output);
        var versions = JsonNode.Parse(output)!["Items"]!["PackageVersion"]!.AsArray().ToDictionary(i => (string)i!["Identity"]!, i => (string)i!["Version"]!);
        Assert.Equal(versions["TorchSharp"], versions["TorchSharp-cuda-linux"]);
    }

    [Fact]
    public void A_plugin_test_project_outside_the_repository_gets_the_same_switch_with_versions()
    {
        using var temp = new TempFolder();
        var dir = temp.Path;
        var project = Path.Combine(dir, "Outside.Tests.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <Import Project="{Path.Combine(TestEnvironment.Root, "build", "Zoo.PluginTests.props")}" />
            </Project>
            """);
        var cpu = References(project, null);
        Assert.Equal("2.10.0", cpu["libtorch-cpu-linux-x64"]);
        var cuda = References(project, "cuda");
        Assert.Equal(cpu["TorchSharp"], cuda["TorchSharp-cuda-linux"]);
        Assert.DoesNotContain("libtorch-cpu-linux-x64", cuda.Keys);
    }

    [Fact]
    public void An_unknown_flavour_is_an_error_that_names_the_choices()
    {
        var (code, output) = MsBuild(Path.Combine(TestEnvironment.Root, "Host/Engine/Zoo.Engine.csproj"), "-t:ZooCheckTorchFlavour", "-p:ZooTorch=rocm");
        Assert.NotEqual(0, code);
        Assert.Contains("ZOO001", output);
        Assert.Contains("ZooTorch='rocm'", output);
        Assert.Contains("-p:ZooTorch=cuda", output);
    }
}
