using SkiaSharp;
using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>Decodes image files with SkiaSharp (JPEG, PNG, WebP, BMP, GIF) into the zoo's C×H×W floats.</summary>
public static class ImageFiles
{
    /// <summary>ImageNet's per-channel mean (RGB).</summary>
    public static readonly float[] ImageNetMean = { 0.485f, 0.456f, 0.406f };
    /// <summary>ImageNet's per-channel standard deviation (RGB).</summary>
    public static readonly float[] ImageNetStd = { 0.229f, 0.224f, 0.225f };

    /// <summary>
    /// Decodes a file upright (EXIF orientation applied) as 8-bit RGBA with opaque alpha. Every reader of image
    /// files (folder data sets, predict, previews) comes through here. Throws <see cref="ZooConfigException"/>
    /// naming the file for a missing file, one SkiaSharp cannot read, and one that ends before its image does.
    /// </summary>
    public static SKBitmap Decode(string path)
    {
        if (!File.Exists(path)) throw new ZooConfigException(path, "no such image file");
        using var codec = SKCodec.Create(path) ?? throw new ZooConfigException(path, "not an image SkiaSharp can read (JPEG, PNG, WebP, BMP, GIF) or the file is damaged");
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var raw = new SKBitmap(info);
        var result = codec.GetPixels(info, raw.GetPixels());
        // IncompleteInput is a file cut short: Skia fills the missing rows (grey or the last row) and calls it
        // partly decoded. Training on it taught the model a half-blank image without a word (issue 26);
        // torchvision's PIL loader refuses the same file ("image file is truncated"), so Zoo does too.
        if (result != SKCodecResult.Success)
        {
            raw.Dispose();
            throw new ZooConfigException(path, result == SKCodecResult.IncompleteInput
                ? "truncated: the file ends before its image does (SkiaSharp: IncompleteInput)"
                : $"could not be decoded: {result}");
        }
        // Alpha is dropped, not composited, as PIL's convert("RGB") in torchvision's loaders does: a fully
        // transparent pixel keeps its stored colour. Done before any resize, which would premultiply it away.
        var px = raw.GetPixelSpan();
        unsafe
        {
            byte* p = (byte*)raw.GetPixels();
            for (int i = 3; i < px.Length; i += 4) p[i] = 255;
        }
        return Orient(raw, codec.EncodedOrigin);
    }

    static SKBitmap Orient(SKBitmap src, SKEncodedOrigin origin)
    {
        if (origin is SKEncodedOrigin.TopLeft or SKEncodedOrigin.Default) return src;
        bool swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var dst = new SKBitmap(new SKImageInfo(swap ? src.Height : src.Width, swap ? src.Width : src.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(dst))
        {
            float w = src.Width, h = src.Height;
            var m = origin switch
            {
                SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
                SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
                SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
                SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
                SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
                SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
                SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
                _ => SKMatrix.Identity,
            };
            canvas.SetMatrix(m);
            canvas.DrawBitmap(src, 0, 0);
        }
        src.Dispose();
        return dst;
    }

    /// <summary>
    /// ImageNet-style evaluation transform: resize the shorter side to <paramref name="resize"/> (bilinear,
    /// high quality), centre-crop <paramref name="crop"/>×<paramref name="crop"/>, to [0, 1] floats C×H×W
    /// (grey as luminance when <paramref name="channels"/> is 1; alpha already dropped by <see cref="Decode"/>).
    /// </summary>
    public static ImageData ResizeCenterCrop(SKBitmap bitmap, int channels, int resize, int crop)
    {
        var img = new ImageData(channels, crop, crop);
        ResizeCrop(bitmap, channels, resize, crop, squash: false, img.Pixels);
        return img;
    }

    /// <summary>
    /// Resizes (the shorter side to <paramref name="resize"/>, or both sides to <paramref name="crop"/> when
    /// <paramref name="squash"/>), centre-crops <paramref name="crop"/>×<paramref name="crop"/> and writes
    /// C×H×W floats in [0, 1] (grey as ITU-R 601 luminance) into <paramref name="destination"/>.
    /// </summary>
    public static void ResizeCrop(SKBitmap bitmap, int channels, int resize, int crop, bool squash, Span<float> destination)
    {
        int w, h;
        if (squash) (w, h) = (crop, crop);
        else
        {
            double scale = resize / (double)Math.Min(bitmap.Width, bitmap.Height);
            (w, h) = (Math.Max(crop, (int)Math.Round(bitmap.Width * scale)), Math.Max(crop, (int)Math.Round(bitmap.Height * scale)));
        }
        using var resized = bitmap.Resize(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKCubicResampler.Mitchell))
                            ?? throw new InvalidOperationException("resize failed");
        int x0 = (w - crop) / 2, y0 = (h - crop) / 2, hw = crop * crop;
        var pixels = resized.GetPixelSpan();
        for (int y = 0; y < crop; y++)
            for (int x = 0; x < crop; x++)
            {
                int o = ((y + y0) * w + (x + x0)) * 4, at = y * crop + x;
                float r = pixels[o] / 255f, g = pixels[o + 1] / 255f, b = pixels[o + 2] / 255f;
                if (channels == 1) destination[at] = 0.299f * r + 0.587f * g + 0.114f * b;
                else { destination[at] = r; destination[hw + at] = g; destination[2 * hw + at] = b; }
            }
    }

    /// <summary>Normalises in place per channel.</summary>
    public static void Normalize(ImageData img, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        int hw = img.Height * img.Width;
        for (int c = 0; c < img.Channels; c++)
            for (int i = 0; i < hw; i++) img.Pixels[c * hw + i] = (img.Pixels[c * hw + i] - mean[c % mean.Count]) / std[c % std.Count];
    }
}
