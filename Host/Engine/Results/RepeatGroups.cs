using System.Globalization;
using Zoo.Engine.Analysis;

namespace Zoo.Engine.Results;

/// <summary>
/// A model trained several times at different seeds ("repeats" in the recipe): its metrics over the repeats that finished
/// and learned, each as a mean, a standard deviation and a 95 % Student's t interval, cut at the metric's bounds (0 and 100 %
/// for accuracies, 0 for losses and times). The interval assumes the seeds' results are independent draws of one
/// distribution, as repeats of one recipe are; it says nothing about other data.
/// </summary>
/// <param name="Label">The model entry's label (each repeat's <see cref="RunResult.RepeatOf"/>).</param>
/// <param name="Runs">The labels of the repeats the metrics are over.</param>
/// <param name="Repeats">How many repeats there are, finished or not.</param>
/// <param name="Metrics">By metric name (<see cref="MetricNames"/>), for those that have a value in every run counted.</param>
public sealed record RepeatGroup(string Label, IReadOnlyList<string> Runs, int Repeats, IReadOnlyDictionary<string, MeanInterval> Metrics)
{
    /// <summary>The metrics a group summarises, in the comparison's order, with the headers comparison.md gives them.</summary>
    public static readonly IReadOnlyList<(string Name, string Header, bool Percent)> MetricNames =
    [
        ("test_top1", "Test top-1", true), ("test_top5", "Test top-5", true), ("best_val_top1", "Best val top-1", true),
        ("test_loss", "Test loss", false), ("seconds_per_epoch", "s/epoch", false), ("target_seconds", "s to target", false),
    ];

    static double? Value(RunResult r, string metric) => metric switch
    {
        "test_top1" => r.Test?.Top1, "test_top5" => r.Test?.Top5, "best_val_top1" => r.BestValTop1,
        "test_loss" => r.Test?.Loss, "seconds_per_epoch" => r.Epochs.Count == 0 ? null : r.MeanEpochSeconds,
        "target_seconds" => r.TargetSeconds,
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "not a repeat metric"),
    };

    /// <summary>The groups of the runs that are repeats, in the order of their first run; runs trained once are not in any.</summary>
    public static IReadOnlyList<RepeatGroup> From(IReadOnlyList<RunResult> runs) =>
        runs.Where(r => r.RepeatOf is not null).GroupBy(r => r.RepeatOf!, StringComparer.Ordinal).Select(g =>
        {
            var counted = g.Where(Counts).ToList();
            var metrics = new Dictionary<string, MeanInterval>(StringComparer.Ordinal);
            foreach (var (name, _, percent) in MetricNames)
            {
                var values = counted.Select(r => Value(r, name)).ToList();
                if (values.Count == 0 || values.Any(v => v is null)) continue;
                // Student's t knows no bounds: two ShuffleNet V2 repeats at 62.0 and 78.8 % gave 70.4 ± 11.9 % (-36.5–177.4). A
                // fraction stays within 0 and 1 and a loss or a time above 0, so the interval stops there (and says nothing past it).
                var t = Statistics.TInterval(values.Select(v => v!.Value).ToArray());
                metrics[name] = t with { Low = Math.Max(t.Low, 0), High = percent ? Math.Min(t.High, 1) : t.High };
            }
            return new RepeatGroup(g.Key, counted.Select(r => r.Label).ToArray(), g.Count(), metrics);
        }).ToArray();

    /// <summary>Whether a run's numbers count: it finished and learned (a run at chance is a failure to report, not a sample).</summary>
    public static bool Counts(RunResult r) => r.Status == RunStatus.Finished && r.DidNotLearn is null;

    /// <summary>"98.20 ± 0.15 % (97.83–98.57)" for a fraction, "0.0612 ± 0.0040 (0.0562–0.0662)" otherwise; one run: the value alone.</summary>
    public static string Format(MeanInterval m, bool percent)
    {
        var inv = CultureInfo.InvariantCulture;
        double k = percent ? 100 : 1;
        string f = percent ? "F2" : m.Mean >= 10 ? "F1" : "F4";
        string unit = percent ? " %" : "";
        if (m.Count == 1) return (m.Mean * k).ToString(f, inv) + unit + " (1 run)";
        return $"{(m.Mean * k).ToString(f, inv)} ± {(m.StandardDeviation * k).ToString(f, inv)}{unit} ({(m.Low * k).ToString(f, inv)}–{(m.High * k).ToString(f, inv)})";
    }
}
