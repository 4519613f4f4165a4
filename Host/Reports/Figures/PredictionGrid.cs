using SkiaSharp;
using Zoo.Engine.Results;

namespace Zoo.Reports.Figures;

/// <summary>
/// seeds/004's grid of predictions: each sampled test image enlarged (nearest) to at least 96 px, under it the
/// true class and the predicted one with its probability, green when right and red when wrong. Drawn with
/// SkiaSharp (ScottPlot has no image grid) in ScottPlot's default font, so it matches the other figures.
/// </summary>
public static class PredictionGrid
{
    const int Gap = 10, Caption = 36, TitleHeight = 34, MinTile = 96;

    public static void Save(PredictionSample sample, IReadOnlyList<string> classes, string title, string path)
    {
        var images = sample.Images;
        if (images.Count == 0) throw new InvalidDataException("the sample has no images");
        int side = images.Max(i => Math.Max(i.Height, i.Width));
        int zoom = Math.Max(1, (int)Math.Ceiling(MinTile / (double)side));
        int tile = Math.Max(side * zoom, 120);   // wide enough for the captions
        int cols = Math.Min(8, images.Count), rows = (images.Count + cols - 1) / cols;
        int width = cols * (tile + Gap) + Gap, height = TitleHeight + rows * (side * zoom + Caption + Gap) + Gap;

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var typeface = ScottPlot.Fonts.GetTypeface(ScottPlot.Fonts.Default, false, false);
        using var titleFont = new SKFont(typeface, 16);
        using var font = new SKFont(typeface, 12);
        using var ink = new SKPaint { Color = SKColors.Black, IsAntialias = true };
        using var right = new SKPaint { Color = new SKColor(0, 128, 0), IsAntialias = true };
        using var wrong = new SKPaint { Color = new SKColor(200, 0, 0), IsAntialias = true };
        canvas.DrawText(title, Gap, 22, SKTextAlign.Left, titleFont, ink);

        string Name(int c) => c >= 0 && c < classes.Count ? classes[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string Fit(string text, SKFont f)
        {
            while (text.Length > 3 && f.MeasureText(text) > tile) text = text[..^4] + "…";
            return text;
        }
        for (int t = 0; t < images.Count; t++)
        {
            var img = images[t];
            int x0 = Gap + t % cols * (tile + Gap), y0 = TitleHeight + t / cols * (side * zoom + Caption + Gap);
            using var bitmap = ToBitmap(img);
            var dest = SKRect.Create(x0 + (tile - img.Width * zoom) / 2f, y0, img.Width * zoom, img.Height * zoom);
            using var image = SKImage.FromBitmap(bitmap);
            canvas.DrawImage(image, dest, new SKSamplingOptions(SKFilterMode.Nearest));
            var paint = img.Correct ? right : wrong;
            if (!img.Correct)
            {
                using var frame = new SKPaint { Color = wrong.Color, Style = SKPaintStyle.Stroke, StrokeWidth = 3 };
                canvas.DrawRect(dest, frame);
            }
            float ty = y0 + img.Height * zoom;
            canvas.DrawText(Fit($"true: {Name(img.Label)}", font), x0, ty + 14, SKTextAlign.Left, font, ink);
            canvas.DrawText(Fit($"pred: {Name(img.Predicted)} {img.Confidence * 100:F0}%", font), x0, ty + 29, SKTextAlign.Left, font, paint);
        }
        using var png = surface.Snapshot().Encode(SKEncodedImageFormat.Png, 100);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, png.ToArray());
    }

    /// <summary>The thumbnail as an opaque RGBA bitmap (one channel is shown grey; more than three: the first three).</summary>
    static SKBitmap ToBitmap(PredictedImage img)
    {
        int hw = img.Height * img.Width;
        if (img.Pixels.Length != img.Channels * hw) throw new InvalidDataException($"image {img.Index} has {img.Pixels.Length} bytes, not {img.Channels}x{img.Height}x{img.Width}");
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
