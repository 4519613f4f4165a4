using System.Globalization;

namespace Zoo.Engine.Results;

/// <summary>A column of the comparison: its header and whether it holds numbers (right-aligned, sorted by value).</summary>
public sealed record ComparisonColumn(string Header, bool Numeric);

/// <summary>One run's row: its cells as text and, per column, the number it sorts by (null: text, or no value).</summary>
public sealed record ComparisonRow(RunResult Run, IReadOnlyList<string> Cells, IReadOnlyList<double?> Keys);

/// <summary>
/// The comparison table of a suite, built once from the results model and read by every front-end that shows it:
/// comparison.md and report.html (through <c>ResultWriter.Markdown</c>) and the terminal UI's sortable table.
/// Rows come best test (else validation) top-1 first, a model's repeats together at their mean test top-1 in seed order,
/// and runs that did not learn (<see cref="RunResult.DidNotLearn"/>) after every run that did (their numbers are chance,
/// not a rank), then the runs without numbers.
/// </summary>
public sealed class ComparisonTable
{
    public IReadOnlyList<ComparisonColumn> Columns { get; }
    public IReadOnlyList<ComparisonRow> Rows { get; }

    ComparisonTable(IReadOnlyList<ComparisonColumn> columns, IReadOnlyList<ComparisonRow> rows)
    {
        Columns = columns;
        Rows = rows;
    }

    public static ComparisonTable From(SuiteResult r)
    {
        var d = r.Dataset;
        var inv = CultureInfo.InvariantCulture;
        // How sure the comparison is (docs/comparisons.md): a model's test top-1 over its repeats, and its paired test
        // against the best; each column only where the suite has something to put in it.
        var groups = RepeatGroup.From(r.Runs).ToDictionary(g => g.Label, StringComparer.Ordinal);
        var paired = PairedTest.AgainstBest(r.Runs);
        var best = paired.Count > 0 ? paired[0].Best : null;
        var columns = new List<ComparisonColumn>
        {
            new("Model", false), new("Family", false), new("Params", true), new("Size MB", true),
            new($"GMACs at {d.Channels}x{d.Height}x{d.Width}", true), new("Best val top-1 (epoch)", true), new("Test top-1", true),
        };
        // The number format, where any run trained in mixed precision (its time and accuracy are not fp32's).
        bool mixed = r.Runs.Any(x => x.Precision is not null and not "fp32");
        if (mixed) columns.Insert(2, new("Precision", false));
        if (groups.Count > 0) columns.Add(new("Test top-1 over seeds (95 % CI)", true));
        if (paired.Count > 0) columns.Add(new("Against the best (McNemar, Holm)", false));
        // "lr": "find" (issue 29): each model trained at its own rate, so the table says which.
        bool foundRates = r.Runs.Any(x => x.LearningRateFind is not null);
        if (foundRates) columns.Add(new("Learning rate", true));
        columns.AddRange(new ComparisonColumn[]
        {
            new("Test top-5", true), new("Test loss", true), new("s/epoch", true), new("Total s", true), new("Infer ms/img", true), new("Status", false),
        });
        // A model's repeats that learned stand together, at their mean: sorted by each run's own top-1, three models' repeats
        // interleaved (lenet5-r2, lenet5-r3, lenet5, mobilenet_v2-r2, shufflenet_v2_x1_0-r3, mobilenet_v2-r3, …) and the
        // rows no longer read as a ranking of models.
        double Rank(RunResult x) => x.RepeatOf is { } of && RepeatGroup.Counts(x) && groups.TryGetValue(of, out var g) && g.Metrics.TryGetValue("test_top1", out var m)
            ? m.Mean : x.Test?.Top1 ?? x.BestValTop1 ?? -1;
        var rows = r.Runs.OrderBy(x => x.Test is null && x.BestValTop1 is null ? 2 : x.DidNotLearn is not null ? 1 : 0).ThenByDescending(Rank)
            .ThenBy(x => RepeatGroup.Counts(x) ? x.RepeatOf : null, StringComparer.Ordinal).ThenBy(x => x.Repeat ?? 0).ThenByDescending(x => x.Test?.Top1 ?? x.BestValTop1 ?? -1).Select(run =>
        {
            string P(double? v) => Numbers.Percent(v);
            bool counted = run.Parameters > 0;   // 0: a run that ended before its model was built; no model has no parameters
            var status = (run.Status switch
            {
                RunStatus.Finished when run.StoppedEarly is not null => $"finished at epoch {run.Epochs.Count} ({run.StoppedEarly.Split(':')[0]})",
                RunStatus.Finished => "finished",
                RunStatus.Diverged => $"diverged (epoch {run.DivergedAtEpoch})",
                RunStatus.Interrupted => $"interrupted after {Numbers.Count(run.Epochs.Count, "epoch")}, resumable",
                RunStatus.Crashed => "crashed: " + (run.Error ?? "").Split('\n')[0],
                _ => "failed: " + (run.Error ?? "").Split('\n')[0],
            }) + (run.DidNotLearn is null ? "" : ", did not learn");
            var cells = new List<string>
            {
                run.Label + (run.OwnRecipe is null ? "" : " *"), run.Family ?? "", counted ? run.Parameters.ToString("N0", inv) : "-", counted ? run.SizeMb.ToString("F2", inv) : "-",
                run.Gmacs is { } g ? Numbers.Gmacs(g) : "-", P(run.BestValTop1) + (run.BestEpoch is null ? "" : $" ({run.BestEpoch})"), P(run.Test?.Top1),
            };
            var keys = new List<double?> { null, null, counted ? run.Parameters : null, counted ? run.SizeMb : null, run.Gmacs, run.BestValTop1, run.Test?.Top1 };
            if (mixed) { cells.Insert(2, run.Precision ?? "fp32"); keys.Insert(2, null); }
            var group = run.RepeatOf is { } of && groups.TryGetValue(of, out var found) && found.Metrics.TryGetValue("test_top1", out var top1) ? top1 : null;
            if (groups.Count > 0)
            {
                cells.Add(group is null ? "-" : RepeatGroup.Format(group, percent: true));
                keys.Add(group?.Mean);
            }
            if (paired.Count > 0)
            {
                var name = run.RepeatOf ?? run.Label;
                var test = paired.FirstOrDefault(t => t.Label == name);
                cells.Add(run.Status != RunStatus.Finished ? "-" : name == best ? "best" : test is null ? "-"
                    : $"{(test.Tied ? "tied" : "worse")}, p {Numbers.PValue(test.PHolm)}");
                keys.Add(null);
            }
            if (foundRates)
            {
                cells.Add(run.LearningRate is not { } lr ? "-" : Numbers.Short(lr, 3) + (run.LearningRateFind is null ? " (given)"
                    : run.LearningRateFind.Doubt() is null ? " (found)" : " (found; flat test: noise)"));
                keys.Add(run.LearningRate);
            }
            cells.AddRange(new[]
            {
                P(run.Test?.Top5), run.Test is null ? "-" : run.Test.Loss.ToString("F4", inv),
                run.MeanEpochSeconds.ToString("F1", inv), run.TotalSeconds.ToString("F1", inv),
                run.Test is null ? "-" : run.Test.MillisecondsPerImage.ToString("F3", inv), status,
            });
            keys.AddRange(new double?[] { run.Test?.Top5, run.Test?.Loss, run.MeanEpochSeconds, run.TotalSeconds, run.Test?.MillisecondsPerImage, null });
            return new ComparisonRow(run, cells, keys);
        }).ToArray();
        return new ComparisonTable(columns, rows);
    }

    /// <summary>
    /// The rows ordered by <paramref name="column"/>: numbers by value (runs without one last), text by ordinal
    /// comparison; ties keep the table's order.
    /// </summary>
    public IReadOnlyList<ComparisonRow> SortedBy(int column, bool descending)
    {
        if (column < 0 || column >= Columns.Count) throw new ArgumentOutOfRangeException(nameof(column));
        var indexed = Rows.Select((row, i) => (row, i)).ToList();
        int Compare((ComparisonRow row, int i) a, (ComparisonRow row, int i) b)
        {
            int c;
            if (Columns[column].Numeric)
            {
                var (x, y) = (a.row.Keys[column], b.row.Keys[column]);
                if (x is null || y is null) c = x is null && y is null ? 0 : x is null ? 1 : -1;   // missing values last, either way
                else c = descending ? y.Value.CompareTo(x.Value) : x.Value.CompareTo(y.Value);
            }
            else
            {
                c = string.CompareOrdinal(a.row.Cells[column], b.row.Cells[column]);
                if (descending) c = -c;
            }
            return c != 0 ? c : a.i.CompareTo(b.i);
        }
        indexed.Sort(Compare);
        return indexed.Select(x => x.row).ToArray();
    }
}
