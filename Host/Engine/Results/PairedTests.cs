using System.Globalization;
using System.Text.Json.Serialization;
using Zoo.Engine.Analysis;

namespace Zoo.Engine.Results;

/// <summary>
/// One model against the best of the comparison on the same test images: McNemar's exact test on the images exactly
/// one of the two got right, the p-value after Holm's correction over all the models compared with the best, and a
/// paired bootstrap 95 % interval of the accuracy difference (best − this one).
/// </summary>
public sealed record PairedTest(
    string Label, string Best, int Images,
    [property: JsonPropertyName("only_best_right")] int OnlyBestRight,
    [property: JsonPropertyName("only_this_right")] int OnlyThisRight,
    [property: JsonPropertyName("p")] double P,
    [property: JsonPropertyName("p_holm")] double PHolm,
    double Difference, [property: JsonPropertyName("difference_low")] double DifferenceLow, [property: JsonPropertyName("difference_high")] double DifferenceHigh)
{
    /// <summary>The significance level the comparison uses (family-wise, after Holm).</summary>
    public const double Alpha = 0.05;

    /// <summary>Not distinguishable from the best on these images at <see cref="Alpha"/> after Holm's correction.</summary>
    public bool Tied => PHolm >= Alpha;

    /// <summary>A sentence a student can copy into a report.</summary>
    public string Sentence => Tied
        ? string.Create(CultureInfo.InvariantCulture, $"{Label} and {Best} are not distinguishable on this test set (McNemar {Numbers.PIs(PHolm)} after Holm, {Images:N0} images; accuracy difference {Difference * 100:+0.0;-0.0;0.0} points, 95 % CI {DifferenceLow * 100:+0.0;-0.0;0.0} to {DifferenceHigh * 100:+0.0;-0.0;0.0}).")
        : string.Create(CultureInfo.InvariantCulture, $"{Best} is more accurate than {Label} on this test set by {Difference * 100:0.0} points (95 % CI {DifferenceLow * 100:0.0} to {DifferenceHigh * 100:0.0}; McNemar {Numbers.PIs(PHolm)} after Holm, {Images:N0} images).");

    /// <summary>
    /// Every finished run with per-image test results against the most accurate of them (highest test top-1, a model with repeats by their mean; the first in
    /// suite order on a tie; a run that did not learn is never the best, only tested against it). Each against the best, not every pair: the question a comparison answers is which models
    /// are as good as the best, and m − 1 tests keep more power under Holm's correction than m(m − 1)/2.
    /// Runs scored on a different set of test images (another length) are left out: McNemar needs the same images.
    /// Empty with fewer than two such runs.
    /// </summary>
    /// <remarks>
    /// A model trained several times (<see cref="RunResult.RepeatOf"/>) is one contestant: an image counts as right
    /// where more than half of its repeats got it right (an exact tie counts as wrong; odd repeat counts avoid ties).
    /// The majority vote rather than a test per pair of repeats: one test per model keeps the family of comparisons,
    /// and so Holm's correction, the size of the model list, and the vote is the steadier estimate of what the model
    /// gets right on these images.
    /// </remarks>
    public static IReadOnlyList<PairedTest> AgainstBest(IReadOnlyList<RunResult> runs)
    {
        var scored = Contestants(runs);
        if (scored.Count(u => u.Learned) == 0 || scored.Count < 2) return Array.Empty<PairedTest>();
        var best = scored.Where(u => u.Learned).OrderByDescending(u => u.MeanAccuracy).First();
        var bestCorrect = best.Correct;
        var others = scored.Where(u => u.Label != best.Label && u.Correct.Length == bestCorrect.Length).ToList();
        if (others.Count == 0) return Array.Empty<PairedTest>();
        var raw = new List<(string Label, int OnlyBest, int OnlyThis, double P, (double D, double Low, double High) Ci)>();
        foreach (var (label, _, correct, _) in others)
        {
            int onlyBest = 0, onlyThis = 0;
            for (int i = 0; i < correct.Length; i++)
            {
                if (bestCorrect[i] && !correct[i]) onlyBest++;
                else if (correct[i] && !bestCorrect[i]) onlyThis++;
            }
            raw.Add((label, onlyBest, onlyThis, Statistics.McNemarExact(onlyBest, onlyThis), Statistics.BootstrapAccuracyDifference(bestCorrect, correct)));
        }
        var holm = Statistics.Holm(raw.Select(r => r.P).ToArray());
        return raw.Select((r, i) => new PairedTest(r.Label, best.Label, bestCorrect.Length, r.OnlyBest, r.OnlyThis, r.P, holm[i], r.Ci.D, r.Ci.Low, r.Ci.High)).ToArray();
    }

    /// <summary>
    /// McNemar's exact p for every pair of models on the same test images, Holm-corrected over all m(m − 1)/2 pairs (the
    /// report's matrix; the comparison's own verdicts are <see cref="AgainstBest"/>'s). The diagonal is NaN. Models as in
    /// <see cref="AgainstBest"/> (repeats by majority vote), those on another number of test images left out; null with fewer than two.
    /// </summary>
    public static (IReadOnlyList<string> Labels, double[,] PHolm)? Matrix(IReadOnlyList<RunResult> runs)
    {
        var all = Contestants(runs);
        if (all.Count < 2) return null;
        int n = all.GroupBy(u => u.Correct.Length).OrderByDescending(g => g.Count()).First().Key;
        var units = all.Where(u => u.Correct.Length == n).ToList();
        if (units.Count < 2) return null;
        var pairs = new List<(int A, int B, double P)>();
        for (int a = 0; a < units.Count; a++)
            for (int b = a + 1; b < units.Count; b++)
            {
                int onlyA = 0, onlyB = 0;
                for (int i = 0; i < n; i++)
                {
                    if (units[a].Correct[i] && !units[b].Correct[i]) onlyA++;
                    else if (units[b].Correct[i] && !units[a].Correct[i]) onlyB++;
                }
                pairs.Add((a, b, Statistics.McNemarExact(onlyA, onlyB)));
            }
        var holm = Statistics.Holm(pairs.Select(p => p.P).ToArray());
        var matrix = new double[units.Count, units.Count];
        for (int i = 0; i < units.Count; i++) matrix[i, i] = double.NaN;
        for (int k = 0; k < pairs.Count; k++) matrix[pairs[k].A, pairs[k].B] = matrix[pairs[k].B, pairs[k].A] = holm[k];
        return (units.Select(u => u.Label).ToArray(), matrix);
    }

    /// <summary>
    /// The models a paired test compares: each finished run with per-image results, a model's repeats as one (majority
    /// vote of those that learned, else of all; <c>Learned</c> false where none did: such a model is tested, never the best).
    /// </summary>
    /// <remarks><c>MeanAccuracy</c>, the mean of the counted repeats' own test top-1, picks the best, as the table ranks it;
    /// the vote of weak repeats can be less accurate than each of them.</remarks>
    static List<(string Label, bool Learned, bool[] Correct, double MeanAccuracy)> Contestants(IReadOnlyList<RunResult> runs) =>
        runs.Where(r => r.Status == RunStatus.Finished && r.TestCorrect is { Length: > 0 })
            .GroupBy(r => r.RepeatOf ?? r.Label, StringComparer.Ordinal)
            .Select(g =>
            {
                var learned = g.Where(RepeatGroup.Counts).ToList();
                var used = learned.Count > 0 ? learned : g.ToList();
                return (Label: g.Key, Learned: learned.Count > 0, Correct: Majority(used.Select(r => Bits(r.TestCorrect!)).ToList()),
                    MeanAccuracy: used.Average(r => r.TestCorrect!.Count(ch => ch == '1') / (double)r.TestCorrect!.Length));
            })
            .Where(u => u.Correct is not null).Select(u => (u.Label, u.Learned, Correct: u.Correct!, u.MeanAccuracy)).ToList();

    /// <summary>Per image, right in more than half of the repeats; null where the repeats were scored on different images.</summary>
    static bool[]? Majority(IReadOnlyList<bool[]> repeats)
    {
        if (repeats.Count == 1) return repeats[0];
        int n = repeats[0].Length;
        if (repeats.Any(r => r.Length != n)) return null;
        var vote = new bool[n];
        for (int i = 0; i < n; i++) vote[i] = repeats.Count(r => r[i]) * 2 > repeats.Count;
        return vote;
    }

    /// <summary>Per-image correctness as <see cref="RunResult.TestCorrect"/> stores it: '1' right, '0' wrong, in the test set's order.</summary>
    public static string Encode(IReadOnlyList<bool> correct) => string.Create(correct.Count, correct, (span, c) => { for (int i = 0; i < span.Length; i++) span[i] = c[i] ? '1' : '0'; });

    static bool[] Bits(string s) => s.Select(ch => ch == '1').ToArray();
}
