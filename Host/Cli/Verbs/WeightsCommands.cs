using System.Diagnostics;
using System.Globalization;
using Zoo.Engine.Weights;

namespace Zoo.Cli;

/// <summary>The <c>zoo weights</c> verbs: thin wrappers over <see cref="WeightFile"/> that print what was done.</summary>
public static class WeightsCommands
{
    /// <summary>zoo weights convert IN.pth OUT.safetensors.</summary>
    public static int Convert(string input, string output, WeightSelection selection)
    {
        PathChecks.OutputFile("output", output);
        var clock = Stopwatch.StartNew();
        var (tensors, bytes) = WeightFile.ConvertToSafetensors(input, output, selection);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{output}: {tensors} tensors, {bytes / 1e6:F1} MB, from {input} in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }
}
