using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Engine.Training;

namespace Zoo.Cli;

/// <summary>
/// zoo lr-find SUITE: the learning-rate range test of each of the suite's models (<see cref="LearningRateSearches"/>),
/// printed as a short table of the curve and the suggested rate, or as JSON. Trains nothing and writes no results.
/// </summary>
public static class LrFind
{
    /// <summary>Rows of the curve printed per model (the suggestion and the lowest smoothed loss always among them).</summary>
    const int Rows = 12;

    public static int Run(IServiceProvider services, string file, string? model, int? steps, double? start, double? end, bool json, string? device)
    {
        // Each option replaces that part of the model's own range (its recipe's "lr_find", else the defaults).
        Func<LearningRateSearch, LearningRateSearch>? change = steps is null && start is null && end is null ? null
            : s => new LearningRateSearch(start ?? s.Start, end ?? s.End, steps ?? s.Steps);
        var suite = SuiteParser.Load(file);
        if (device is not null) suite = suite with { Device = device };
        var runner = new SuiteRunner(services.GetRequiredService<PluginCatalog>());
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); Console.Error.WriteLine("stopping after the current step…"); };
        var found = LearningRateSearches.Run(runner, suite, model, change, Path.Combine("results", suite.Name), new ConsoleProgress(Console.Error), cts.Token);
        if (json) Console.WriteLine(JsonSerializer.Serialize(found, ZooJson.Options));
        else
        {
            foreach (var m in found) Console.Write(Text(m));
            Console.WriteLine($"rule: {LearningRateFinder.SuggestionRule}");
        }
        return 0;
    }

    /// <summary>A model's curve as a table of about <see cref="Rows"/> steps, then its suggestion and the rule.</summary>
    public static string Text(ModelLearningRate m)
    {
        var c = m.Curve;
        var inv = CultureInfo.InvariantCulture;
        int n = c.Rates.Count;
        int lowest = LearningRateFinder.LowestStep(c.Smoothed);   // the minimum the suggestion looked up to
        var steps = Enumerable.Range(0, Rows).Select(k => (int)Math.Round(k * (n - 1) / (double)(Rows - 1)))
            .Append(c.SuggestedStep).Append(lowest).Where(i => i >= 0 && i < n).Distinct().Order().ToList();
        var sb = new StringBuilder();
        sb.AppendLine($"{m.Label} ({m.Variant}): {Numbers.Count(n, "step")}, {c.StoppedBecause}");
        sb.AppendLine("| step | lr | loss | smoothed loss | |");
        sb.AppendLine("|---:|---:|---:|---:|---|");
        foreach (var i in steps)
            sb.AppendLine(string.Create(inv, $"| {i + 1} | {c.Rates[i]:0.00e+0} | {c.Losses[i]:F4} | {c.Smoothed[i]:F4} | {(i == c.SuggestedStep ? "suggested" : i == lowest ? "lowest" : "")} |"));
        sb.AppendLine(string.Create(inv, $"suggested learning rate for {m.Label}: {Numbers.Short(c.Suggested, 3)}"));
        sb.AppendLine();
        return sb.ToString();
    }
}
