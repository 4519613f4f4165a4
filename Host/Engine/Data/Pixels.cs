namespace Zoo.Engine.Data;

/// <summary>
/// Byte-image conversions between a set's own format and the one a model asks for: bilinear resize of
/// C×H×W planes (half-pixel centres, as torchvision's antialias-free resize) and channel mapping
/// (grey → RGB by repetition, RGB → grey by ITU-R 601 luminance, as PIL's "L" mode).
/// </summary>
public static class Pixels
{
    /// <summary>Converts one C×H×W byte image to <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/>.</summary>
    public static void Convert(ReadOnlySpan<byte> src, int c, int h, int w, Span<byte> dst, int channels, int height, int width)
    {
        if (c == channels && h == height && w == width) { src[..(c * h * w)].CopyTo(dst); return; }
        ReadOnlySpan<byte> planes = src;
        if (c != channels)
        {
            var mapped = new byte[channels * h * w];
            MapChannels(src, c, h * w, mapped, channels);
            planes = mapped;
        }
        if (h == height && w == width) { planes[..(channels * h * w)].CopyTo(dst); return; }
        for (int ch = 0; ch < channels; ch++)
            Resize(planes.Slice(ch * h * w, h * w), h, w, dst.Slice(ch * height * width, height * width), height, width);
    }

    static void MapChannels(ReadOnlySpan<byte> src, int c, int hw, Span<byte> dst, int channels)
    {
        if (channels == 1)
        {
            for (int i = 0; i < hw; i++)
                dst[i] = c >= 3 ? (byte)Math.Clamp((int)Math.Round(0.299 * src[i] + 0.587 * src[hw + i] + 0.114 * src[2 * hw + i]), 0, 255) : src[i];
            return;
        }
        for (int ch = 0; ch < channels; ch++)
            src.Slice((c == 1 ? 0 : Math.Min(ch, c - 1)) * hw, hw).CopyTo(dst.Slice(ch * hw, hw));
    }

    /// <summary>Bilinear resize of one plane.</summary>
    public static void Resize(ReadOnlySpan<byte> src, int h, int w, Span<byte> dst, int height, int width)
    {
        double sy = h / (double)height, sx = w / (double)width;
        for (int y = 0; y < height; y++)
        {
            double fy = Math.Clamp((y + 0.5) * sy - 0.5, 0, h - 1);
            int y0 = (int)fy, y1 = Math.Min(y0 + 1, h - 1);
            double wy = fy - y0;
            for (int x = 0; x < width; x++)
            {
                double fx = Math.Clamp((x + 0.5) * sx - 0.5, 0, w - 1);
                int x0 = (int)fx, x1 = Math.Min(x0 + 1, w - 1);
                double wx = fx - x0;
                double top = src[y0 * w + x0] * (1 - wx) + src[y0 * w + x1] * wx;
                double bottom = src[y1 * w + x0] * (1 - wx) + src[y1 * w + x1] * wx;
                dst[y * width + x] = (byte)Math.Clamp((int)Math.Round(top * (1 - wy) + bottom * wy), 0, 255);
            }
        }
    }
}
