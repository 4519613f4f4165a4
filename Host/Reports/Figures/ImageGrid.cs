using SkiaSharp;
using Zoo.Engine.Results;

namespace Zoo.Reports.Figures;

/// <summary>One tile of an <see cref="ImageGrid"/>: the image, up to two caption lines, and whether it is marked wrong (red frame, red second line).</summary>
public sealed record GridTile(Thumbnail Image, string Caption, string? Detail = null, bool? Correct = null);

/// <summary>
/// Grids of images with captions: seeds/004's prediction grids (true and predicted class, green when right, red
/// and framed when wrong) and the data set's samples per class. Drawn with SkiaSharp (ScottPlot has no image grid)
/// in ScottPlot's default font so they match the other figures. Small images are enlarged (nearest) to at least 96 px.
/// </summary>
public static class ImageGrid
{
    const int Gap = 10, TitleHeight = 34, MinTile = 96, MinCaptionWidth = 120, MaxCaptionWidth = 220;

    /// <summary>
    /// A tile's width: its image enlarged, widened for the longest caption up to <see cref="MaxCaptionWidth"/>
    /// (the 120 px tiles of 28 px images cut "pred: v-stripes 97%" to "pred: v-stripes …").
    /// </summary>
    static int TileWidth(IReadOnlyList<GridTile> tiles, int imageSide, SKFont font) =>
        Math.Max(imageSide, Math.Clamp((int)Math.Ceiling(tiles.SelectMany(t => new[] { t.Caption, t.Detail ?? "" }).Max(c => font.MeasureText(c))), MinCaptionWidth, MaxCaptionWidth));

    /// <summary>
    /// The caption as drawn in <paramref name="width"/> pixels: whole when it fits, else shortened before its last word
    /// (a prediction's confidence stays: "pred: American Staffor… 97%").
    /// </summary>
    static string Fit(string text, float width, SKFont font)
    {
        if (font.MeasureText(text) <= width) return text;
        int space = text.LastIndexOf(' ');
        var (head, tail) = space > 0 ? (text[..space], text[space..]) : (text, "");
        while (head.Length > 1 && font.MeasureText(head + "…" + tail) > width) head = head[..^1];
        return head + "…" + tail;
    }

    /// <summary>Every tile's caption lines as <see cref="Save"/> draws them, for checking.</summary>
    internal static IReadOnlyList<string> CaptionsAsDrawn(IReadOnlyList<GridTile> tiles)
    {
        using var typeface = ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false);
        using var font = new SKFont(typeface, CaptionSize);
        int side = tiles.Max(t => Math.Max(t.Image.Height, t.Image.Width));
        int width = TileWidth(tiles, side * Zoom(side), font);
        return tiles.SelectMany(t => t.Detail is null ? new[] { t.Caption } : new[] { t.Caption, t.Detail }).Select(c => Fit(c, width, font)).ToArray();
    }

    const float CaptionSize = 12;
    const int TitleLine = 20;

    /// <summary>The title in lines that fit <paramref name="width"/>, broken between words (a grid's caption ran past its right edge).</summary>
    static IReadOnlyList<string> Wrap(string text, float width, SKFont font)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' '))
        {
            var longer = line.Length == 0 ? word : line + " " + word;
            if (line.Length > 0 && font.MeasureText(longer) > width) { lines.Add(line); line = word; }
            else line = longer;
        }
        lines.Add(line);
        return lines;
    }
    static int Zoom(int side) => Math.Max(1, (int)Math.Ceiling(MinTile / (double)side));

    public static void Save(IReadOnlyList<GridTile> tiles, int columns, string title, string path)
    {
        if (tiles.Count == 0) throw new InvalidDataException("no images to draw");
        int side = tiles.Max(t => Math.Max(t.Image.Height, t.Image.Width));
        int zoom = Zoom(side);
        using var typeface = ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false);
        using var titleFont = new SKFont(typeface, 16);
        using var font = new SKFont(typeface, CaptionSize);
        int tile = TileWidth(tiles, side * zoom, font);
        int caption = tiles.Any(t => t.Detail is not null) ? 36 : 20;
        int cols = Math.Clamp(columns, 1, tiles.Count), rows = (tiles.Count + cols - 1) / cols;
        int width = cols * (tile + Gap) + Gap;
        var titleLines = Wrap(title, width - 2 * Gap, titleFont);
        int titleHeight = TitleHeight + (titleLines.Count - 1) * TitleLine;
        int height = titleHeight + rows * (side * zoom + caption + Gap) + Gap;

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var right = new SKPaint { Color = new SKColor(0, 128, 0), IsAntialias = true };
        using var wrong = new SKPaint { Color = new SKColor(200, 0, 0), IsAntialias = true };
        using var frame = new SKPaint { Color = wrong.Color, Style = SKPaintStyle.Stroke, StrokeWidth = 3 };
        for (int l = 0; l < titleLines.Count; l++) canvas.DrawText(titleLines[l], Gap, 22 + l * TitleLine, SKTextAlign.Left, titleFont, ink);

        for (int t = 0; t < tiles.Count; t++)
        {
            var (img, first, second, correct) = (tiles[t].Image, tiles[t].Caption, tiles[t].Detail, tiles[t].Correct);
            int x0 = Gap + t % cols * (tile + Gap), y0 = titleHeight + t / cols * (side * zoom + caption + Gap);
            using var bitmap = ToBitmap(img);
            using var image = SKImage.FromBitmap(bitmap);
            var dest = SKRect.Create(x0 + (tile - img.Width * zoom) / 2f, y0, img.Width * zoom, img.Height * zoom);
            canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Nearest));
            if (correct == false) canvas.DrawRect(dest, frame);
            float ty = y0 + img.Height * zoom;
            canvas.DrawText(Fit(first, tile, font), x0, ty + 14, SKTextAlign.Left, font, ink);
            if (second is not null) canvas.DrawText(Fit(second, tile, font), x0, ty + 29, SKTextAlign.Left, font, correct == false ? wrong : correct == true ? right : ink);
        }
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>The prediction tiles: "true: X" and "pred: Y 97%".</summary>
    public static IReadOnlyList<GridTile> Predictions(IEnumerable<PredictedImage> images, IReadOnlyList<string> classes)
    {
        string Name(int c) => c >= 0 && c < classes.Count ? classes[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return images.Select(p => new GridTile(p.Image, $"true: {Name(p.Label)}",
            $"pred: {Name(p.Predicted)} {(p.Confidence * 100).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)}%", p.Correct)).ToArray();
    }

    /// <summary>The thumbnail as an opaque RGBA bitmap (one channel is shown grey; more than three: the first three).</summary>
    static SKBitmap ToBitmap(Thumbnail img)
    {
        int hw = img.Height * img.Width;
        if (img.Pixels.Length != img.Channels * hw) throw new InvalidDataException($"a thumbnail has {img.Pixels.Length} bytes, not {img.Channels}x{img.Height}x{img.Width}");
        var bitmap = new SKBitmap(new SKImageInfo(img.Width, img.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new byte[hw * 4];
        for (int p = 0; p < hw; p++)
        {
            for (int c = 0; c < 3; c++) rgba[p * 4 + c] = img.Pixels[Math.Min(c, img.Channels - 1) * hw + p];
            rgba[p * 4 + 3] = 255;
        }
        System.Runtime.InteropServices.Marshal.Copy(rgba, 0, bitmap.GetPixels(), rgba.Length);
        return bitmap;
    }
}
