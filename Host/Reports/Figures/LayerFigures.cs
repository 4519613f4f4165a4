using System.Globalization;
using SkiaSharp;
using Zoo.Engine.Results;

namespace Zoo.Reports.Figures;

/// <summary>
/// A run's <see cref="FiltersAndMaps"/> as two figures (issue 30): its first convolution's filters as a grid of small
/// images (Krizhevsky et al. 2012, Fig. 3), and one test image's feature maps, a row per stage with its most active
/// channels (Zeiler and Fergus 2014). Drawn with SkiaSharp, in ScottPlot's default font, as <see cref="ImageGrid"/> draws
/// its grids; every image enlarged with nearest-neighbour sampling, so a 3×3 kernel shows its nine weights.
/// </summary>
public static class LayerFigures
{
    const int Gap = 10, FilterGap = 4, MinFilterTile = 40, MinFewFilterTile = 80, MapTile = 88, MapGap = 8, MinWidth = 640, TitleLine = 20, CaptionSize = 12;
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// Columns and tile side of a filter grid: up to 16 filters a row (8 for up to 32), each kernel enlarged to at least
    /// 40 px, or 80 px where all fit in one row (LeNet-5's six 5×5 kernels were 40 px specks at the left of the figure).
    /// </summary>
    internal static (int Columns, int Tile) FilterLayout(int count, int kernelHeight, int kernelWidth)
    {
        int side = Math.Max(kernelHeight, kernelWidth);
        int columns = Math.Clamp(count <= 8 ? count : count <= 32 ? 8 : 16, 1, 16);
        int least = count <= 8 ? MinFewFilterTile : MinFilterTile;
        return (columns, side * Math.Max(1, (int)Math.Ceiling(least / (double)side)));
    }

    /// <summary>"3×3 over 1 channel, grey", for titles.</summary>
    public static string Describe(FilterGrid g) =>
        $"{g.KernelHeight}×{g.KernelWidth} over {g.InputChannels} channel{(g.InputChannels == 1 ? "" : "s")}, " + g.Display switch
        {
            FilterDisplay.Rgb => "as RGB colour",
            FilterDisplay.Grey => "grey",
            _ => $"the mean of the {g.InputChannels} channels in grey",
        };

    /// <summary>Writes the filter grid as a PNG at <paramref name="path"/>: the title, then the kernels, each on its own scale.</summary>
    public static void SaveFilters(FilterGrid filters, string title, string path)
    {
        if (filters.Images.Count == 0) throw new InvalidDataException("no filters to draw");
        var (columns, tile) = FilterLayout(filters.Images.Count, filters.KernelHeight, filters.KernelWidth);
        int rows = (filters.Images.Count + columns - 1) / columns;
        int width = Math.Max(MinWidth, 2 * Gap + columns * (tile + FilterGap) - FilterGap);
        using var fonts = new Fonts();
        var titleLines = ImageGrid.Wrap(title, width - 2 * Gap, fonts.Title);
        int top = Gap + titleLines.Count * TitleLine + Gap;
        int height = top + rows * (tile + FilterGap) - FilterGap + Gap;
        Draw(width, height, path, canvas =>
        {
            DrawTitle(canvas, titleLines, fonts);
            using var border = new SKPaint { Color = new SKColor(200, 200, 200), Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
            for (int i = 0; i < filters.Images.Count; i++)
            {
                var dest = SKRect.Create(Gap + i % columns * (tile + FilterGap), top + i / columns * (tile + FilterGap), tile, tile);
                DrawImage(canvas, filters.Images[i], dest);
                canvas.DrawRect(dest, border);
            }
        });
    }

    /// <summary>
    /// Writes the feature maps as a PNG at <paramref name="path"/>: the title, the input image, then a row per stage
    /// headed by the stage's layer and shape, each map captioned with its channel and mean activation.
    /// </summary>
    public static void SaveFeatureMaps(FiltersAndMaps features, string title, string inputCaption, string path)
    {
        if (features.Stages.Count == 0) throw new InvalidDataException("no stages to draw");
        int columns = Math.Max(1, features.Stages.Max(s => s.Maps.Count));
        int width = Math.Max(MinWidth, 2 * Gap + columns * (MapTile + MapGap) - MapGap);
        using var fonts = new Fonts();
        var titleLines = ImageGrid.Wrap(title, width - 2 * Gap, fonts.Title);
        const int head = 18, caption = 16;
        int row = head + MapTile + caption + MapGap;
        int top = Gap + titleLines.Count * TitleLine + Gap / 2;
        int height = top + (1 + features.Stages.Count) * row + Gap;
        Draw(width, height, path, canvas =>
        {
            DrawTitle(canvas, titleLines, fonts);
            using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
            using var grey = new SKPaint { Color = new SKColor(90, 90, 90), IsAntialias = true };
            canvas.DrawText(Fit(inputCaption, width - 2 * Gap, fonts.Head), Gap, top + 13, SKTextAlign.Left, fonts.Head, ink);
            DrawImage(canvas, features.Image, SKRect.Create(Gap, top + head, MapTile, MapTile));
            for (int s = 0; s < features.Stages.Count; s++)
            {
                var stage = features.Stages[s];
                float y0 = top + (s + 1) * row;
                var shape = stage.Tokens
                    ? $"{stage.Channels} channels of {stage.Height}×{stage.Width} patch tokens"
                    : $"{stage.Channels}×{stage.Height}×{stage.Width}";
                canvas.DrawText(Fit($"stage {s + 1}: {stage.Layer}, {shape}", width - 2 * Gap, fonts.Head), Gap, y0 + 13, SKTextAlign.Left, fonts.Head, ink);
                for (int c = 0; c < stage.Maps.Count; c++)
                {
                    float x0 = Gap + c * (MapTile + MapGap);
                    DrawImage(canvas, stage.Maps[c], SKRect.Create(x0, y0 + head, MapTile, MapTile));
                    canvas.DrawText(Fit($"ch {stage.Top[c]}: {Mean(stage.Means[c])}", MapTile + MapGap - 2, fonts.Caption),
                        x0, y0 + head + MapTile + 13, SKTextAlign.Left, fonts.Caption, grey);
                }
            }
        });
    }

    static string Mean(double v) => Math.Abs(v) >= 100 || (v != 0 && Math.Abs(v) < 0.01) ? v.ToString("0.0e0", Inv) : v.ToString("0.00", Inv);

    /// <summary>The image scaled to fit <paramref name="dest"/> (its aspect kept, centred), nearest-neighbour.</summary>
    static void DrawImage(SKCanvas canvas, Thumbnail image, SKRect dest)
    {
        using var bitmap = ImageGrid.ToBitmap(image);
        using var sk = SKImage.FromBitmap(bitmap);
        float scale = Math.Min(dest.Width / image.Width, dest.Height / image.Height);
        float w = image.Width * scale, h = image.Height * scale;
        canvas.DrawImage(sk, SKRect.Create(dest.Left + (dest.Width - w) / 2, dest.Top + (dest.Height - h) / 2, w, h), new SKSamplingOptions(SKFilterMode.Nearest));
    }

    static string Fit(string text, float width, SKFont font)
    {
        if (font.MeasureText(text) <= width) return text;
        while (text.Length > 1 && font.MeasureText(text + "…") > width) text = text[..^1];
        return text + "…";
    }

    static void DrawTitle(SKCanvas canvas, IReadOnlyList<string> lines, Fonts fonts)
    {
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        for (int l = 0; l < lines.Count; l++) canvas.DrawText(lines[l], Gap, 22 + l * TitleLine, SKTextAlign.Left, fonts.Title, ink);
    }

    static void Draw(int width, int height, string path, Action<SKCanvas> draw)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        draw(surface.Canvas);
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>ScottPlot's default typeface at the title, stage-heading and caption sizes.</summary>
    sealed class Fonts : IDisposable
    {
        readonly SKTypeface _typeface = ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false);
        public readonly SKFont Title, Head, Caption;
        public Fonts()
        {
            Title = new SKFont(_typeface, 16);
            Head = new SKFont(_typeface, 13);
            Caption = new SKFont(_typeface, CaptionSize);
        }
        public void Dispose() { Title.Dispose(); Head.Dispose(); Caption.Dispose(); _typeface.Dispose(); }
    }
}
