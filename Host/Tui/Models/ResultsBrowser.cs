using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Reports.Model;

namespace Zoo.Tui;

/// <summary>A results folder as the results browser lists it: where, when, how many runs, and the best test top-1; or why it cannot be read.</summary>
public sealed record ResultsFolder(string Path, string Name, DateTime Written, int Runs, string? Best, double? BestTop1, string? Error)
{
    public string Line() => Error is not null
        ? $"{Name,-24} (unreadable: {Error})"
        : $"{Name,-24} {Written.ToLocalTime():yyyy-MM-dd HH:mm}  {Runs,2} run(s)  best {Best ?? "-"} {Numbers.Percent(BestTop1)}";
}

/// <summary>
/// The results folders under a root (what `zoo run-suite` and the UI write: results/&lt;suite&gt;/results.json), newest
/// first, and the comparison of one or several of them side by side: the same <see cref="ReportModel"/> and
/// <see cref="ComparisonTable"/> that comparison.md and report.html are made from.
/// </summary>
public static class ResultsBrowser
{
    public static IReadOnlyList<ResultsFolder> Folders(string root)
    {
        if (!Directory.Exists(root)) return Array.Empty<ResultsFolder>();
        var dirs = Directory.EnumerateDirectories(root).Prepend(root).Where(d => File.Exists(Path.Combine(d, "results.json")));
        return dirs.Select(Read).OrderByDescending(f => f.Written).ThenBy(f => f.Name, StringComparer.Ordinal).ToArray();
    }

    static ResultsFolder Read(string dir)
    {
        var written = File.GetLastWriteTimeUtc(Path.Combine(dir, "results.json"));
        try
        {
            var model = ReportModel.Load(new[] { dir });
            var best = model.Runs.Where(r => r.Run.Test is not null).MaxBy(r => r.Run.Test!.Top1);
            return new ResultsFolder(dir, model.Title, written, model.Runs.Count, best?.Label, best?.Run.Test!.Top1, null);
        }
        catch (Exception e) when (e is ZooConfigException or IOException)
        {
            return new ResultsFolder(dir, Path.GetFileName(dir), written, 0, null, null, e.Message);
        }
    }

    /// <summary>The comparison of <paramref name="folders"/> (several are merged, their runs named suite/label).</summary>
    public static ComparisonTable Compare(IEnumerable<string> folders) => ComparisonTable.From(ReportModel.Load(folders).Comparison);

    /// <summary>
    /// The learning curves of every run of <paramref name="folders"/> on one plot (F7, c): validation top-1 or training loss, one
    /// series per folder and model, named "folder/model", from each results.json's epoch records as written (nothing recomputed).
    /// </summary>
    public static CurvePlot CompareCurves(IReadOnlyList<string> folders, CurveMetric metric)
    {
        var report = ReportModel.Load(folders);
        var runs = report.Runs.Select(r => ($"{FolderName(r.Suite.Directory)}/{r.Run.Label}", r.Run.Epochs));
        var plot = CurvePlot.Of(runs, metric, null);
        var what = metric == CurveMetric.Accuracy ? "val top-1 (%)" : "train loss";
        return plot with { Title = $"{what}, {string.Join(" vs ", folders.Select(FolderName))}" };
    }

    static string FolderName(string dir) => Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
}
