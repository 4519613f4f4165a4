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
    internal static IReadOnlyList<string> Wrap(string text, float width, SKFont font)
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

    /// <summary>
    /// "Where each model looks" (issue 30): a row per explained test image, its first tile the image with its true class,
    /// then a tile per run (those that explained the same images as the first that did) with its Grad-CAM map over the image,
    /// the run's label and its prediction, right or wrong marked as in the prediction grids. Null where no run has maps.
    /// </summary>
    public static (IReadOnlyList<GridTile> Tiles, int Columns, string Title)? WhereModelsLook(IReadOnlyList<(string Label, PredictionSample? Sample)> runs, IReadOnlyList<string> classes)
    {
        string Name(int c) => c >= 0 && c < classes.Count ? classes[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var explaining = runs.Where(r => r.Sample is { Explained.Count: > 0 } s && s.Explained.All(i => i.Heatmap is not null)).ToArray();
        if (explaining.Length == 0) return null;
        var indices = explaining[0].Sample!.Explained.Select(i => i.Index).ToArray();
        var same = explaining.Where(r => r.Sample!.Explained.Select(i => i.Index).SequenceEqual(indices)).ToArray();
        var tiles = new List<GridTile>();
        for (int row = 0; row < indices.Length; row++)
        {
            var first = same[0].Sample!.Explained[row];
            tiles.Add(new GridTile(first.Image, $"true: {Name(first.Label)}", $"test image {first.Index}"));
            foreach (var (label, sample) in same)
            {
                var p = sample!.Explained[row];
                tiles.Add(new GridTile(Overlay(p.Image, p.Heatmap!), label,
                    $"pred: {Name(p.Predicted)} {(p.Confidence * 100).ToString("F0", System.Globalization.CultureInfo.InvariantCulture)}%", p.Correct));
            }
        }
        var layers = same.Select(r => r.Sample!.ExplainedLayer).Distinct().Count();
        var left = explaining.Length - same.Length;
        var title = $"where each model looks: Grad-CAM of the predicted class on the same {indices.Length} test images (red: high; left column: the image)" +
            (left > 0 ? $"; {left} run(s) explained other images and are left out" : "");
        return (tiles, same.Length + 1, title);
    }

    /// <summary>
    /// <paramref name="heatmap"/> (one channel, 0–255) over <paramref name="image"/> in a blue–cyan–yellow–red colour map,
    /// weighted by the map itself (at most 60 %), so that where the model does not look the image shows as it is.
    /// </summary>
    public static Thumbnail Overlay(Thumbnail image, Thumbnail heatmap)
    {
        if (heatmap.Height != image.Height || heatmap.Width != image.Width || heatmap.Channels != 1)
            throw new InvalidDataException($"a heatmap of {heatmap.Channels}x{heatmap.Height}x{heatmap.Width} does not fit an image of {image.Height}x{image.Width}");
        int hw = image.Height * image.Width;
        var rgb = new byte[3 * hw];
        for (int p = 0; p < hw; p++)
        {
            double v = heatmap.Pixels[p] / 255.0;
            var (r, g, b) = Colour(v);
            double a = 0.25 + 0.35 * v;
            for (int c = 0; c < 3; c++)
            {
                double under = image.Pixels[Math.Min(c, image.Channels - 1) * hw + p];
                double over = c == 0 ? r : c == 1 ? g : b;
                rgb[c * hw + p] = (byte)Math.Clamp(Math.Round(under * (1 - a) + over * a), 0, 255);
            }
        }
        return new Thumbnail(3, image.Height, image.Width, rgb);
    }

    /// <summary>
    /// `zoo explain`'s picture: the image (C×H×W floats in [0, 1]) with <paramref name="heatmap"/> (H×W in [0, 1]) over it
    /// (<see cref="Overlay"/>), enlarged (nearest) to at least 224 px a side, as a PNG at <paramref name="path"/>.
    /// </summary>
    public static void SaveOverlay(int channels, int height, int width, float[] image, float[] heatmap, string path)
    {
        static byte Byte(float v) => (byte)Math.Clamp((int)Math.Round(v * 255), 0, 255);
        var overlay = Overlay(new Thumbnail(channels, height, width, image.Select(Byte).ToArray()), new Thumbnail(1, height, width, heatmap.Select(Byte).ToArray()));
        int zoom = Math.Max(1, (int)Math.Ceiling(224.0 / Math.Max(height, width)));
        using var bitmap = ToBitmap(overlay);
        using var surface = SKSurface.Create(new SKImageInfo(width * zoom, height * zoom, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var image1 = SKImage.FromBitmap(bitmap))
            surface.Canvas.DrawImage(image1, SKRect.Create(0, 0, width * zoom, height * zoom), new SKSamplingOptions(SKFilterMode.Nearest));
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>A jet-like colour map: 0 blue, 1/3 cyan, 2/3 yellow, 1 red (0–255 each).</summary>
    static (double R, double G, double B) Colour(double v)
    {
        v = Math.Clamp(v, 0, 1);
        if (v < 1 / 3.0) { double t = v * 3; return (0, 255 * t, 255); }
        if (v < 2 / 3.0) { double t = (v - 1 / 3.0) * 3; return (255 * t, 255, 255 * (1 - t)); }
        { double t = (v - 2 / 3.0) * 3; return (255, 255 * (1 - t), 0); }
    }

    /// <summary>The thumbnail as an opaque RGBA bitmap (one channel is shown grey; more than three: the first three).</summary>
    internal static SKBitmap ToBitmap(Thumbnail img)
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
