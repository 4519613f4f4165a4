namespace Zoo.Host.Tests;

/// <summary>
/// An empty folder under the system temp folder for one test, deleted with everything in it when the test's
/// <c>using</c> ends: <c>using var temp = new TempFolder(); var dir = temp.Path;</c> instead of a try/finally per test.
/// </summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder(string prefix = "zoo-test") => Path = TestEnvironment.NewTempDirectory(prefix);

    /// <summary>The folder's full path.</summary>
    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }   // the test removed it itself
    }

    public override string ToString() => Path;
}
