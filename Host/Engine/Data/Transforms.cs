using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>
/// The pixel operations behind the augmentations, on C×H×W floats in [0, 1]. Geometric ones map each
/// output pixel back to the input (bilinear, zero outside), as torchvision's functional transforms do.
/// </summary>
public static class Transforms
{
    /// <summary>Resamples: output (y, x) takes the input at <paramref name="source"/>(y, x) (fractional pixel coordinates).</summary>
    public static ImageData Warp(ImageData img, Func<double, double, (double Y, double X)> source, float fill = 0f)
    {
        int h = img.Height, w = img.Width;
        var o = new ImageData(img.Channels, h, w);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var (sy, sx) = source(y, x);
                for (int c = 0; c < img.Channels; c++) o.At(c, y, x) = Sample(img, c, sy, sx, fill);
            }
        return o;
    }

    /// <summary>Bilinear sample at a fractional position (pixel centres at integers); <paramref name="fill"/> outside.</summary>
    public static float Sample(ImageData img, int c, double y, double x, float fill = 0f)
    {
        if (y < -1 || x < -1 || y > img.Height || x > img.Width) return fill;
        int y0 = (int)Math.Floor(y), x0 = (int)Math.Floor(x);
        double fy = y - y0, fx = x - x0;
        float V(int yy, int xx) => yy < 0 || xx < 0 || yy >= img.Height || xx >= img.Width ? fill : img.At(c, yy, xx);
        return (float)((V(y0, x0) * (1 - fx) + V(y0, x0 + 1) * fx) * (1 - fy) + (V(y0 + 1, x0) * (1 - fx) + V(y0 + 1, x0 + 1) * fx) * fy);
    }

    /// <summary>
    /// Resamples through a linear map: output (y, x) takes the input at (a·y + b·x + c, d·y + e·x + f), bilinear,
    /// zero outside. The loop that every crop, rotation, shear and shift runs through, without a call per pixel.
    /// </summary>
    public static ImageData WarpAffine(ImageData img, double a, double b, double c, double d, double e, double f)
    {
        int h = img.Height, w = img.Width, hw = h * w, ch = img.Channels;
        var o = new ImageData(ch, h, w);
        var src = img.Pixels;
        var dst = o.Pixels;
        for (int y = 0; y < h; y++)
        {
            double sy = a * y + c, sx = d * y + f;
            for (int x = 0; x < w; x++, sy += b, sx += e)
            {
                if (sy <= -1 || sx <= -1 || sy >= h || sx >= w) continue;
                int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx);
                float fy = (float)(sy - y0), fx = (float)(sx - x0);
                bool inside = y0 >= 0 && x0 >= 0 && y0 + 1 < h && x0 + 1 < w;
                for (int k = 0; k < ch; k++)
                {
                    int plane = k * hw;
                    float v00, v01, v10, v11;
                    if (inside)
                    {
                        int i = plane + y0 * w + x0;
                        v00 = src[i]; v01 = src[i + 1]; v10 = src[i + w]; v11 = src[i + w + 1];
                    }
                    else
                    {
                        v00 = At(y0, x0); v01 = At(y0, x0 + 1); v10 = At(y0 + 1, x0); v11 = At(y0 + 1, x0 + 1);
                        float At(int yy, int xx) => yy < 0 || xx < 0 || yy >= h || xx >= w ? 0f : src[plane + yy * w + xx];
                    }
                    dst[plane + y * w + x] = (v00 + (v01 - v00) * fx) * (1 - fy) + (v10 + (v11 - v10) * fx) * fy;
                }
            }
        }
        return o;
    }

    /// <summary>
    /// Affine about the centre: rotate by <paramref name="degrees"/> (anticlockwise), scale, shear (x and y, degrees), then
    /// translate by (<paramref name="ty"/>, <paramref name="tx"/>) pixels.
    /// </summary>
    public static ImageData Affine(ImageData img, double degrees, double scale, double shearX, double shearY, double ty, double tx)
    {
        double cy = (img.Height - 1) / 2.0, cx = (img.Width - 1) / 2.0;
        double a = -degrees * Math.PI / 180,   // positive degrees turn anticlockwise on screen, as torchvision's rotate
                sx = Math.Tan(shearX * Math.PI / 180), sy = Math.Tan(shearY * Math.PI / 180);
        // Forward: p' = T + C + R·Sh·S·(p − C). Inverse applied per output pixel.
        double cos = Math.Cos(a), sin = Math.Sin(a);
        // M = R · Sh · S, with Sh = [[1, sx], [sy, 1]]
        double m00 = (cos * 1 - sin * sy) * scale, m01 = (cos * sx - sin * 1) * scale;
        double m10 = (sin * 1 + cos * sy) * scale, m11 = (sin * sx + cos * 1) * scale;
        double det = m00 * m11 - m01 * m10;
        if (Math.Abs(det) < 1e-9) return img;
        double i00 = m11 / det, i01 = -m01 / det, i10 = -m10 / det, i11 = m00 / det;
        // source y = cy + i10·(x − cx − tx) + i11·(y − cy − ty); source x = cx + i00·(x − cx − tx) + i01·(y − cy − ty)
        return WarpAffine(img, i11, i10, cy - i10 * (cx + tx) - i11 * (cy + ty), i01, i00, cx - i00 * (cx + tx) - i01 * (cy + ty));
    }

    /// <summary>The crop (top, left, height, width) resized to the image's size.</summary>
    public static ImageData ResizedCrop(ImageData img, double top, double left, double height, double width)
    {
        double ry = height / img.Height, rx = width / img.Width;
        return WarpAffine(img, ry, 0, top + 0.5 * ry - 0.5, 0, rx, left + 0.5 * rx - 0.5);
    }

    /// <summary>Luminance (ITU-R 601) of pixel i of a 3-channel image.</summary>
    static float Luma(ImageData img, int i, int hw) => 0.299f * img.Pixels[i] + 0.587f * img.Pixels[hw + i] + 0.114f * img.Pixels[2 * hw + i];

    /// <summary>PIL's ImageEnhance.Brightness: blend with black, clamped.</summary>
    public static void Brightness(ImageData img, float factor)
    {
        var p = img.Pixels;
        for (int i = 0; i < p.Length; i++) p[i] = Math.Min(1f, Math.Max(0f, p[i] * factor));
    }

    /// <summary>PIL's ImageEnhance.Contrast: blend with the mean luminance, clamped.</summary>
    public static void Contrast(ImageData img, float factor)
    {
        int hw = img.Height * img.Width;
        var p = img.Pixels;
        double mean = 0;
        if (img.Channels >= 3) for (int i = 0; i < hw; i++) mean += 0.299f * p[i] + 0.587f * p[hw + i] + 0.114f * p[2 * hw + i];
        else for (int i = 0; i < hw; i++) mean += p[i];
        float m = (float)(mean / hw) * (1 - factor);
        for (int i = 0; i < p.Length; i++) p[i] = Math.Min(1f, Math.Max(0f, p[i] * factor + m));
    }

    /// <summary>Blends with a per-pixel other image (same layout): factor·img + (1 − factor)·other, clamped.</summary>
    static void Blend(ImageData img, float[] other, float factor)
    {
        var p = img.Pixels;
        for (int i = 0; i < p.Length; i++) p[i] = Math.Min(1f, Math.Max(0f, factor * p[i] + (1 - factor) * other[i]));
    }

    public static void Saturation(ImageData img, float factor)
    {
        if (img.Channels < 3) return;
        int hw = img.Height * img.Width;
        var p = img.Pixels;
        float g = 1 - factor;
        for (int i = 0; i < hw; i++)
        {
            float l = g * (0.299f * p[i] + 0.587f * p[hw + i] + 0.114f * p[2 * hw + i]);
            for (int c = 0; c < 3; c++) p[c * hw + i] = Math.Min(1f, Math.Max(0f, factor * p[c * hw + i] + l));
        }
    }

    /// <summary>Rotates hue by <paramref name="shift"/> turns (−0.5…0.5) in HSV.</summary>
    public static void Hue(ImageData img, float shift)
    {
        if (img.Channels < 3 || shift == 0) return;
        int hw = img.Height * img.Width;
        var p = img.Pixels;
        for (int i = 0; i < hw; i++)
        {
            float r = p[i], g = p[hw + i], b = p[2 * hw + i];
            float max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), d = max - min;
            if (d <= 0) continue;
            float hh = max == r ? (g - b) / d : max == g ? 2 + (b - r) / d : 4 + (r - g) / d;
            hh = hh / 6f + shift;
            hh -= MathF.Floor(hh);
            float s = d / max, v = max;
            float f = hh * 6, k = MathF.Floor(f), fr = f - k;
            float pp = v * (1 - s), q = v * (1 - s * fr), t = v * (1 - s * (1 - fr));
            (r, g, b) = ((int)k % 6) switch { 0 => (v, t, pp), 1 => (q, v, pp), 2 => (pp, v, t), 3 => (pp, q, v), 4 => (t, pp, v), _ => (v, pp, q) };
            p[i] = r; p[hw + i] = g; p[2 * hw + i] = b;
        }
    }

    public static void Grayscale(ImageData img)
    {
        if (img.Channels < 3) return;
        int hw = img.Height * img.Width;
        for (int i = 0; i < hw; i++)
        {
            float l = Luma(img, i, hw);
            for (int c = 0; c < img.Channels; c++) img.Pixels[c * hw + i] = l;
        }
    }

    /// <summary>Separable Gaussian blur (kernel radius ⌈3σ⌉, edges clamped).</summary>
    public static ImageData GaussianBlur(ImageData img, double sigma)
    {
        if (sigma <= 0) return img;
        int r = Math.Max(1, (int)Math.Ceiling(3 * sigma));
        var k = Enumerable.Range(-r, 2 * r + 1).Select(i => Math.Exp(-i * i / (2 * sigma * sigma))).ToArray();
        double sum = k.Sum();
        var kf = k.Select(v => (float)(v / sum)).ToArray();
        int h = img.Height, w = img.Width;
        var tmp = new ImageData(img.Channels, h, w);
        var o = new ImageData(img.Channels, h, w);
        for (int c = 0; c < img.Channels; c++)
        {
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float acc = 0;
                    for (int j = -r; j <= r; j++) acc += kf[j + r] * img.At(c, y, Math.Clamp(x + j, 0, w - 1));
                    tmp.At(c, y, x) = acc;
                }
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    float acc = 0;
                    for (int j = -r; j <= r; j++) acc += kf[j + r] * tmp.At(c, Math.Clamp(y + j, 0, h - 1), x);
                    o.At(c, y, x) = acc;
                }
        }
        return o;
    }

    /// <summary>PIL's ImageEnhance.Sharpness: factor 1 is the image, above 1 sharper, below 1 smoother.</summary>
    public static ImageData Sharpness(ImageData img, float factor)
    {
        // PIL's ImageEnhance.Sharpness blends with the SMOOTH-filtered image (kernel 1 1 1 / 1 5 1 / 1 1 1, /13),
        // so factor > 1 sharpens and factor < 1 blurs; border pixels stay as they are.
        int h = img.Height, w = img.Width;
        var smooth = img.Clone();
        for (int c = 0; c < img.Channels; c++)
            for (int y = 1; y < h - 1; y++)
                for (int x = 1; x < w - 1; x++)
                {
                    float acc = 4 * img.At(c, y, x);
                    for (int dy = -1; dy <= 1; dy++)
                        for (int dx = -1; dx <= 1; dx++) acc += img.At(c, y + dy, x + dx);
                    smooth.At(c, y, x) = acc / 13f;
                }
        var o = img.Clone();
        Blend(o, smooth.Pixels, factor);
        return o;
    }

    public static void Solarize(ImageData img, float threshold)
    {
        for (int i = 0; i < img.Pixels.Length; i++) if (img.Pixels[i] >= threshold) img.Pixels[i] = 1 - img.Pixels[i];
    }

    public static void Posterize(ImageData img, int bits)
    {
        int levels = 1 << Math.Clamp(bits, 1, 8);
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            int v = (int)(img.Pixels[i] * 255 + 0.5f);
            v &= ~((256 / levels) - 1);
            img.Pixels[i] = v / 255f;
        }
    }

    /// <summary>Stretches each channel to the full range (PIL's autocontrast).</summary>
    public static void AutoContrast(ImageData img)
    {
        int hw = img.Height * img.Width;
        for (int c = 0; c < img.Channels; c++)
        {
            var s = img.Pixels.AsSpan(c * hw, hw);
            float lo = float.MaxValue, hi = float.MinValue;
            foreach (var v in s) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            if (hi - lo < 1e-6f) continue;
            for (int i = 0; i < hw; i++) s[i] = (s[i] - lo) / (hi - lo);
        }
    }

    /// <summary>Histogram equalisation per channel on 256 levels (PIL's equalize).</summary>
    public static void Equalize(ImageData img)
    {
        int hw = img.Height * img.Width;
        for (int c = 0; c < img.Channels; c++)
        {
            var s = img.Pixels.AsSpan(c * hw, hw);
            var hist = new int[256];
            foreach (var v in s) hist[Math.Clamp((int)(v * 255 + 0.5f), 0, 255)]++;
            var cdf = new int[256];
            int run = 0;
            for (int i = 0; i < 256; i++) { run += hist[i]; cdf[i] = run; }
            int cdfMin = cdf.First(v => v > 0);
            if (hw - cdfMin == 0) continue;
            for (int i = 0; i < hw; i++)
            {
                int v = Math.Clamp((int)(s[i] * 255 + 0.5f), 0, 255);
                s[i] = (float)(cdf[v] - cdfMin) / (hw - cdfMin);
            }
        }
    }

    /// <summary>A standard normal sample (Box–Muller).</summary>
    public static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A Gamma(shape, 1) sample (Marsaglia–Tsang), for Beta draws.</summary>
    public static double Gamma(Random rng, double shape)
    {
        if (shape < 1) return Gamma(rng, shape + 1) * Math.Pow(rng.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do { x = Normal(rng); v = 1 + c * x; } while (v <= 0);
            v = v * v * v;
            double u = rng.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x || Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    /// <summary>A Beta(a, a) sample.</summary>
    public static double Beta(Random rng, double a)
    {
        double x = Gamma(rng, a), y = Gamma(rng, a);
        return x / (x + y);
    }
}
