using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Engine.Results;
using Zoo.Engine.Suites;
using Zoo.Reports.Figures;
using Zoo.Reports.Model;

namespace Zoo.Reports.Html;

/// <summary>
/// report.html: one self-contained page (figures embedded as base64 PNG at their own size, CSS inline, no
/// script; the only links outside the page are each figure's caption to its own file in figures/) rendered from a <see cref="ReportModel"/> and the figures drawn
/// from it. The comparison table is <see cref="ResultWriter.Markdown"/> of the same model, so its
/// numbers are comparison.md's.
/// </summary>
public static class HtmlReport
{
    public const string AnalysisSection = Figures.FigureExporter.Analysis;

    static string H(string? s) => WebUtility.HtmlEncode(s ?? "");

    /// <summary>Markdown's **bold** (the engine's "**x did not learn**") as HTML, in text already escaped.</summary>
    static string Strong(string escaped) => System.Text.RegularExpressions.Regex.Replace(escaped, @"\*\*(.+?)\*\*", "<strong>$1</strong>");

    public static string Render(ReportModel model, IReadOnlyList<FigureInfo> figures, IReadOnlyList<string>? warnings = null)
    {
        var sb = new StringBuilder();
        var d = model.Dataset;
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.Append($"<title>{H(model.Title)} · Zoo report</title>\n<style>{Css}</style></head><body>\n");
        sb.Append($"<h1>{H(model.Title)}</h1>\n");
        sb.Append($"<p class=\"sub\">{H(DataLine(d))}<br>{string.Join("<br>", model.Suites.Select(s => $"{(model.Suites.Count > 1 ? H(s.Name) + ": " : "")}recipe {H(s.RecipeText)}; device {H(s.Result.Suite.Device)}"))}</p>\n");
        sb.Append("<nav>");
        var looks = figures.Where(f => f.Section == FigureExporter.Looks).ToArray();
        foreach (var (id, text) in new[] { ("comparison", "Comparison"), ("status", "Run status"), ("looks", "Where each model looks"), ("figures", "Figures across runs"), ("runs", "Each run"), ("data", "Data"), ("recipe", "Recipe") })
            if (id != "looks" || looks.Length > 0) sb.Append($"<a href=\"#{id}\">{text}</a> ");
        if (HasAnalysis(model, figures)) sb.Append("<a href=\"#analysis\">Feature analysis</a>");
        sb.Append("</nav>\n");

        var allWarnings = model.Warnings.Concat(warnings ?? Array.Empty<string>()).ToArray();
        if (allWarnings.Length > 0)
        {
            sb.Append("<div class=\"warn\"><b>Warnings</b><ul>");
            foreach (var w in allWarnings) sb.Append($"<li>{H(w)}</li>");
            sb.Append("</ul></div>\n");
        }

        sb.Append("<h2 id=\"comparison\">Comparison</h2>\n");
        sb.Append(MarkdownToHtml(ResultWriter.Markdown(model.Comparison)));

        sb.Append("<h2 id=\"status\">Run status</h2>\n<table><tr><th>Model</th><th>Suite</th><th>Variant</th><th>Status</th><th class=\"n\">Epochs</th><th>Details</th></tr>\n");
        foreach (var r in model.Runs)
        {
            var run = r.Run;
            var css = run.Status switch { RunStatus.Finished when run.DidNotLearn is null => "ok", RunStatus.Finished or RunStatus.Interrupted => "mid", _ => "bad" };
            var details = new List<string>();
            if (run.DivergedAtEpoch is { } de) details.Add($"loss not finite at epoch {de}");
            if (run.DidNotLearn is { } dnl) details.Add($"did not learn (since epoch {dnl.Epoch}): {ProgressText.NotLearning(dnl)}");
            if (run.StoppedEarly is not null) details.Add($"stopped early: {run.StoppedEarly}");
            if (run.ResumedFromEpoch is { } re) details.Add($"resumed after epoch {re}");
            if (run.OwnRecipe is not null) details.Add($"own recipe: {run.OwnRecipe}");
            sb.Append($"<tr><td>{H(r.Label)}</td><td>{H(r.Suite.Name)}</td><td>{H(run.Variant)}</td><td class=\"{css}\">{H(run.Status.ToString().ToLowerInvariant() + (run.DidNotLearn is null ? "" : ", did not learn"))}</td><td class=\"n\">{run.Epochs.Count}</td><td>{H(string.Join("; ", details))}");
            if (run.Error is not null) sb.Append($"<pre>{H(run.Error)}</pre>");
            sb.Append("</td></tr>\n");
        }
        sb.Append("</table>\n");

        // The side-by-side Grad-CAM figure is the comparison the numbers cannot make: its own section, before the bar charts
        // that repeat the table (at the end of those, in the quick start's report it was the twelfth figure down).
        if (looks.Length > 0)
        {
            sb.Append("<h2 id=\"looks\">Where each model looks</h2>\n<p>Grad-CAM (Selvaraju et al. 2017) of each model's predicted class on the same test images, "
                + "over the image (blue: low, red: high); a wrong prediction is framed in red. Each run's section in <a href=\"#runs\">Each run</a> "
                + "shows the run's first convolution's filters and one of these images' feature maps through each stage.</p>\n");
            Gallery(sb, looks);
        }

        sb.Append("<h2 id=\"figures\">Figures across runs</h2>\n");
        Gallery(sb, figures.Where(f => f.Section == FigureExporter.Comparison));

        sb.Append("<h2 id=\"runs\">Each run</h2>\n");
        foreach (var r in model.Runs)
        {
            sb.Append($"<h3 id=\"run-{H(ResultWriter.SafeName(r.Label))}\">{H(r.Label)} <small>{H(r.Run.Variant)}{(r.Run.Family is null ? "" : " · " + H(r.Run.Family))} · {H(r.Run.Status.ToString().ToLowerInvariant() + (r.Run.DidNotLearn is null ? "" : ", did not learn"))}</small></h3>\n");
            var own = figures.Where(f => f.Section == FigureExporter.Runs && f.Run == r.Label).ToArray();
            if (own.Length == 0) sb.Append("<p>No figures: the run has no finished epoch and no test evaluation.</p>\n");
            Gallery(sb, own);
            if (r.Layers is { } layers)
                sb.Append($"<details><summary>Layer by layer at the suite's input, as <code>zoo describe</code> prints it (runs/{H(ResultWriter.SafeName(r.Run.Label))}.layers.txt)</summary><pre>{H(layers)}</pre></details>\n");
        }

        sb.Append("<h2 id=\"data\">Data</h2>\n");
        sb.Append(DataTable(model));
        Gallery(sb, figures.Where(f => f.Section == FigureExporter.Data));
        foreach (var s in model.Suites.Where(s => s.Dataset.Skipped.Count > 0))
        {
            sb.Append($"<p>{s.Dataset.Skipped.Count} unreadable image(s) skipped{(model.Suites.Count > 1 ? " in " + H(s.Name) : "")}:</p><ul class=\"files\">");
            foreach (var f in s.Dataset.Skipped.Take(200)) sb.Append($"<li>{H(f)}</li>");
            if (s.Dataset.Skipped.Count > 200) sb.Append($"<li>… and {s.Dataset.Skipped.Count - 200} more (results.json, dataset.skipped)</li>");
            sb.Append("</ul>\n");
        }

        sb.Append("<h2 id=\"recipe\">Recipe</h2>\n<table><tr><th>Suite</th><th>Suite file</th><th>Recipe</th><th>Device</th><th>Results folder</th></tr>\n");
        foreach (var s in model.Suites)
            sb.Append($"<tr><td>{H(s.Name)}</td><td>{H(s.Result.Suite.SourcePath)}</td><td>{H(s.RecipeText)}</td><td>{H(s.Result.Suite.Device)}</td><td>{H(s.Directory)}</td></tr>\n");
        sb.Append("</table>\n");
        foreach (var r in model.Runs.Where(r => r.Run.OwnRecipe is not null))
            sb.Append($"<p>{H(r.Label)}: own recipe: {H(r.Run.OwnRecipe)}</p>\n");

        if (HasAnalysis(model, figures)) Analysis(sb, model, figures);

        sb.Append($"<footer>Written by Zoo from {H(string.Join(", ", model.Suites.Select(s => Path.Combine(s.Directory, "results.json"))))}.</footer>\n</body></html>\n");
        return sb.ToString();
    }

    static string DataLine(DatasetSummary d) => string.Create(CultureInfo.InvariantCulture,
        $"Data: {d.Name} {d.Channels}x{d.Height}x{d.Width}, {d.Classes.Count} classes; {d.Train} train / {d.Validation} val ({d.ValidationSource}) / {d.Test} test.");

    static string DataTable(ReportModel model)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder("<table><tr><th>Suite</th><th>Data set</th><th>Input</th><th class=\"n\">Train</th><th class=\"n\">Val</th><th>Val from</th><th class=\"n\">Test</th><th>Normalisation</th><th>Classes</th></tr>\n");
        foreach (var s in model.Suites)
        {
            var d = s.Dataset;
            string F(IReadOnlyList<float> v) => string.Join(", ", v.Select(x => x.ToString("F3", inv)));
            sb.Append($"<tr><td>{H(s.Name)}</td><td>{H(d.Name)}</td><td>{d.Channels}x{d.Height}x{d.Width}</td><td class=\"n\">{d.Train}</td><td class=\"n\">{d.Validation}</td><td>{H(d.ValidationSource)}</td><td class=\"n\">{d.Test}</td>"
                + $"<td>{H(d.Normalization)}{(d.Mean.Count > 0 ? $": mean {F(d.Mean)}, std {F(d.Std)}" : "")}</td><td>{H(string.Join(", ", d.Classes))}</td></tr>\n");
        }
        return sb.Append("</table>\n").ToString();
    }

    static bool HasAnalysis(ReportModel model, IReadOnlyList<FigureInfo> figures) =>
        model.Runs.Any(r => r.Run.Analysis is not null) || figures.Any(f => f.Section == AnalysisSection);

    /// <summary>The feature analysis of each run that has one (<see cref="AnalysisResult"/>): a table of the ARIs and DBSCAN's settings, then its figures.</summary>
    static void Analysis(StringBuilder sb, ReportModel model, IReadOnlyList<FigureInfo> figures)
    {
        sb.Append("<h2 id=\"analysis\">Feature analysis</h2>\n");
        var analysed = model.Runs.Where(r => r.Run.Analysis is not null).ToArray();
        if (analysed.Length > 0)
        {
            sb.Append("<p>Penultimate features of a seeded sample of the test set, embedded by t-SNE; K-means (k = classes) and DBSCAN "
                + "(eps from the k-distance elbow, then the grid setting with the best ARI, as seeds/002 does: an optimistic figure) "
                + "scored by the adjusted Rand index against the true classes.</p>\n");
            sb.Append("<table><tr><th>Model</th><th>images</th><th>features</th><th>clustered on</th><th>K-means ARI</th><th>DBSCAN ARI</th><th>eps</th><th>MinPts</th><th>DBSCAN clusters</th><th>noise</th><th>seconds</th></tr>\n");
            foreach (var r in analysed)
            {
                var a = r.Run.Analysis!;
                sb.Append(string.Create(CultureInfo.InvariantCulture,
                    $"<tr><td>{H(r.Label)}</td><td class=\"n\">{a.Images}</td><td class=\"n\">{a.FeatureWidth}</td><td>{H(a.ClusteredOn)}</td><td class=\"n\">{a.KmeansAri:F3}</td><td class=\"n\">{a.DbscanAri:F3}</td><td class=\"n\">{Numbers.Short(a.DbscanEps)}</td><td class=\"n\">{a.DbscanMinPts}</td><td class=\"n\">{a.DbscanClusters}</td><td class=\"n\">{a.DbscanNoise}</td><td class=\"n\">{a.TsneSeconds + a.ClusteringSeconds:F1}</td></tr>\n"));
            }
            sb.Append("</table>\n");
        }
        Gallery(sb, figures.Where(f => f.Section == AnalysisSection));
    }

    static void Gallery(StringBuilder sb, IEnumerable<FigureInfo> figures)
    {
        sb.Append("<div class=\"gallery\">\n");
        foreach (var f in figures)
        {
            if (!File.Exists(f.Png)) continue;
            var png = File.ReadAllBytes(f.Png);
            var file = "figures/" + Uri.EscapeDataString(Path.GetFileName(f.Png));
            sb.Append($"<figure{(f.Wide ? " class=\"wide\"" : "")}><img alt=\"{H(f.Title)}\"{Size(png)} src=\"data:image/png;base64,{Convert.ToBase64String(png)}\">"
                + $"<figcaption>{H(f.Title)} <a href=\"{H(file)}\">figures/{H(Path.GetFileName(f.Png))}</a></figcaption></figure>\n");
        }
        sb.Append("</div>\n");
    }

    /// <summary>
    /// The PNG's own width and height (from its header) as the image's size on the page: shown at 540 px, the 800 px
    /// figures' tick and legend text was about 7 px high. A narrow window still scales them down (max-width in the CSS).
    /// </summary>
    static string Size(byte[] png) =>
        png.Length >= 24 && png[12] == 'I' && png[13] == 'H' && png[14] == 'D' && png[15] == 'R'
            ? $" width=\"{System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16))}\" height=\"{System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20))}\""
            : "";

    /// <summary>The engine's Markdown (a title, paragraphs, pipe tables and "- " lists) as HTML; the title is dropped, the page has its own.</summary>
    public static string MarkdownToHtml(string markdown)
    {
        var sb = new StringBuilder();
        var lines = markdown.Replace("\r", "").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.StartsWith("# ", StringComparison.Ordinal) || line.Trim().Length == 0) continue;
            if (line.StartsWith('|'))
            {
                var header = Cells(line);
                var align = i + 1 < lines.Length && lines[i + 1].StartsWith("|-", StringComparison.Ordinal) ? Cells(lines[++i]).Select(a => a.EndsWith(':')).ToArray() : new bool[header.Length];
                sb.Append("<table class=\"cmp\"><tr>");
                for (int c = 0; c < header.Length; c++) sb.Append($"<th{(c < align.Length && align[c] ? " class=\"n\"" : "")}>{H(header[c])}</th>");
                sb.Append("</tr>\n");
                while (i + 1 < lines.Length && lines[i + 1].StartsWith('|'))
                {
                    var cells = Cells(lines[++i]);
                    sb.Append("<tr>");
                    for (int c = 0; c < cells.Length; c++) sb.Append($"<td{(c < align.Length && align[c] ? " class=\"n\"" : "")}>{H(cells[c])}</td>");
                    sb.Append("</tr>\n");
                }
                sb.Append("</table>\n");
                continue;
            }
            if (line.StartsWith("- ", StringComparison.Ordinal))
            {
                sb.Append("<ul>");
                sb.Append($"<li>{H(line[2..])}</li>");
                while (i + 1 < lines.Length && lines[i + 1].StartsWith("- ", StringComparison.Ordinal)) sb.Append($"<li>{H(lines[++i][2..])}</li>");
                sb.Append("</ul>\n");
                continue;
            }
            sb.Append($"<p>{Strong(H(line.Replace("\\*", "*")))}</p>\n");
        }
        return sb.ToString();
    }

    static string[] Cells(string row) => row.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray();

    const string Css = """
        body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1700px;padding:0 20px;color:#222;background:#fff}
        h1{margin:0 0 4px}h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}h3 small{color:#666;font-weight:normal}
        .sub{color:#555;margin-top:0}nav a{margin-right:14px}
        table{border-collapse:collapse;margin:10px 0;font-size:14px}th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}
        th{background:#f2f2f2}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
        tr:nth-child(even) td{background:#fafafa}
        .ok{color:#176117;font-weight:bold}.bad{color:#a11;font-weight:bold}.mid{color:#a60;font-weight:bold}
        pre{white-space:pre-wrap;max-width:900px;font-size:12px;background:#f7f7f7;padding:6px;margin:4px 0}
        details pre{white-space:pre;overflow-x:auto;max-width:1200px}
        details{margin:6px 0 16px}
        .warn{background:#fff6e0;border:1px solid #e0b050;padding:6px 12px;margin:12px 0}
        .gallery{display:flex;flex-wrap:wrap;gap:12px}
        figure{margin:0;border:1px solid #ddd;padding:4px;background:#fff;max-width:100%;box-sizing:border-box}figure img{max-width:100%;height:auto;display:block}
        figcaption{font-size:13px;color:#444;padding:2px 4px;max-width:800px}figure.wide figcaption{max-width:none}figcaption a{color:#669;float:right;margin-left:8px}
        ul.files{font-family:monospace;font-size:12px;max-height:240px;overflow:auto}
        footer{margin-top:40px;color:#888;font-size:12px}
        """;
}
