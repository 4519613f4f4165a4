using Zoo.Engine.Suites;
using Zoo.Reports.Figures;
using Zoo.Reports.Html;
using Zoo.Reports.Model;

namespace Zoo.Reports.Export;

/// <summary>What a report wrote, and what went wrong without stopping it.</summary>
public sealed record ReportOutput(string Html, string FiguresDirectory, IReadOnlyList<FigureInfo> Figures, IReadOnlyList<string> Warnings);

/// <summary>
/// Writes a report folder from one <see cref="ReportModel"/>: figures/ (PNG and SVG), report.html, and,
/// when the model merges several results folders, their merged comparison.md (a single folder already has its own).
/// A figure that cannot be drawn becomes a warning; only an unwritable folder throws.
/// </summary>
public static class ReportWriter
{
    public static ReportOutput Write(ReportModel model, string directory, bool svg = false)
    {
        directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(directory);
        var figuresDir = Path.Combine(directory, "figures");
        var figures = FigureExporter.Write(model, figuresDir, svg);
        var warnings = figures.Warnings.ToList();
        var all = figures.Figures.ToList();
        if (model.Suites.Count > 1 || model.Suites[0].Directory != directory)
            ResultWriter.WriteAtomic(Path.Combine(directory, "comparison.md"), ResultWriter.Markdown(model.Comparison));
        var html = Path.Combine(directory, "report.html");
        ResultWriter.WriteAtomic(html, HtmlReport.Render(model, all, warnings));
        return new ReportOutput(html, figuresDir, all, warnings);
    }
}
