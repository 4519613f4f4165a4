using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>A named factory over a function from parameters to a <typeparamref name="T"/>; validates parameter names first.</summary>
abstract class NamedFactory<T>
{
    readonly Func<ParameterBag, T> _create;

    protected NamedFactory(string name, string description, IReadOnlyList<ParameterInfo> parameters, Func<ParameterBag, T> create)
    {
        Name = name; Description = description; Parameters = parameters; _create = create;
    }

    public string Name { get; }
    public string Description { get; }
    public IReadOnlyList<ParameterInfo> Parameters { get; }

    public T Create(ParameterBag parameters)
    {
        parameters.EnsureOnly(Parameters);
        return _create(parameters);
    }
}

sealed class AugmentationFactory(string name, string description, IReadOnlyList<ParameterInfo> parameters, Func<ParameterBag, IAugmentation> create)
    : NamedFactory<IAugmentation>(name, description, parameters, create), IAugmentationFactory;

sealed class BatchAugmentationFactory(string name, string description, IReadOnlyList<ParameterInfo> parameters, Func<ParameterBag, IBatchAugmentation> create)
    : NamedFactory<IBatchAugmentation>(name, description, parameters, create), IBatchAugmentationFactory;

/// <summary>An augmentation from a function (stateless, so thread-safe).</summary>
sealed class LambdaAugmentation : IAugmentation
{
    readonly Func<ImageData, Random, ImageData> _apply;
    public LambdaAugmentation(Func<ImageData, Random, ImageData> apply) => _apply = apply;
    public ImageData Apply(ImageData image, Random rng) => _apply(image, rng);
}

sealed class LambdaBatchAugmentation : IBatchAugmentation
{
    readonly Action<BatchData, Random> _apply;
    public LambdaBatchAugmentation(Action<BatchData, Random> apply) => _apply = apply;
    public void Apply(BatchData batch, Random rng) => _apply(batch, rng);
}

/// <summary>
/// The host's built-in augmentations: every transform the seeds use, each with its probability and
/// strengths as parameters and the name a suite file gives it. Per-image ones work on [0, 1] pixels
/// before normalisation; Mixup and CutMix mix whole batches and their soft targets.
/// </summary>
public static class BuiltInAugmentations
{
    // Each parameter is declared once (Param): the factory lists the declaration and its create function reads with it.
    static Param<double> P(double @default) => Param.Number("p", @default, 0, 1, "probability of applying it");
    static readonly Param<double> Half = P(0.5), Always = P(1);
    static readonly Param<double> Seldom = P(0.1), Quarter = P(0.25);
    static readonly Param<int> Padding = Param.Integer("padding", 4, 0, 256, "pixels of padding on each side");
    static readonly Param<double> CropScaleMin = Param.Number("scale_min", 0.08, 0.001, 1, "smallest area share");
    static readonly Param<double> CropScaleMax = Param.Number("scale_max", 1, 0.001, 1, "largest area share (at least scale_min)");
    static readonly Param<double> CropRatioMin = Param.Number("ratio_min", 0.75, 0.05, 20, "smallest aspect ratio w/h");
    static readonly Param<double> CropRatioMax = Param.Number("ratio_max", 4.0 / 3, 0.05, 20, "largest aspect ratio w/h (at least ratio_min)");
    static readonly Param<double> Degrees = Param.Number("degrees", 15, 0, 180, "largest rotation");
    static readonly Param<double> Translate = Param.Number("translate", 0.1, 0, 1, "largest shift as a share of the size");
    static readonly Param<double> AffineScaleMin = Param.Number("scale_min", 0.9, 0.05, 10, "smallest scale");
    static readonly Param<double> AffineScaleMax = Param.Number("scale_max", 1.1, 0.05, 10, "largest scale (at least scale_min)");
    static readonly Param<double> Shear = Param.Number("shear", 0, 0, 80, "largest shear in degrees (x and y)");
    static readonly Param<double> ElasticAlpha = Param.Number("alpha", 50, 0, 1000, "displacement strength");
    static readonly Param<double> ElasticSigma = Param.Number("sigma", 5, 0.1, 100, "smoothness in pixels");
    static readonly Param<double> Brightness = Param.Number("brightness", 0.4, 0, 10, "strength");
    static readonly Param<double> Contrast = Param.Number("contrast", 0.4, 0, 10, "strength");
    static readonly Param<double> Saturation = Param.Number("saturation", 0.4, 0, 10, "strength");
    static readonly Param<double> Hue = Param.Number("hue", 0, 0, 0.5, "largest hue shift in turns");
    static readonly Param<double> SigmaMin = Param.Number("sigma_min", 0.1, 0, 50, "smallest σ");
    static readonly Param<double> SigmaMax = Param.Number("sigma_max", 2, 0, 50, "largest σ (at least sigma_min)");
    static readonly Param<double> AmountMin = Param.Number("amount_min", 0.5, 0, 20, "least extra sharpness");
    static readonly Param<double> AmountMax = Param.Number("amount_max", 1.5, 0, 20, "most extra sharpness (at least amount_min)");
    static readonly Param<double> NoiseStd = Param.Number("std", 0.05, 0, 1, "noise standard deviation");
    static readonly Param<double> DropRate = Param.Number("rate", 0.01, 0, 1, "share of pixels dropped");
    static readonly Param<int> Holes = Param.Integer("holes", 4, 1, 100, "most rectangles");
    static readonly Param<double> HoleSize = Param.Number("size", 0.2, 0.01, 1, "largest side as a share of the image side");
    static readonly Param<int> RandN = Param.Integer("n", 2, 0, 15, "operations per image");
    static readonly Param<double> RandM = Param.Number("m", 9, 0, 10, "magnitude");
    static readonly Param<double> RandMStd = Param.Number("mstd", 0.5, 0, 10, "standard deviation of the magnitude");
    static readonly Param<double> RandOpP = Param.Number("op_p", 0.5, 0, 1, "probability of each chosen operation");
    static readonly Param<double> EraseScaleMin = Param.Number("scale_min", 0.02, 0.0001, 1, "smallest area share");
    static readonly Param<double> EraseScaleMax = Param.Number("scale_max", 1.0 / 3, 0.0001, 1, "largest area share (at least scale_min)");
    static readonly Param<double> EraseRatioMin = Param.Number("ratio_min", 0.3, 0.01, 100, "smallest aspect h/w");
    static readonly Param<double> EraseRatioMax = Param.Number("ratio_max", 3.3, 0.01, 100, "largest aspect h/w (at least ratio_min)");
    static readonly Param<string> EraseMode = Param.Choice("mode", "random", new[] { "random", "zero" }, "random (per-pixel uniform, timm's 'pixel') or zero");
    static readonly Param<double> MixupAlpha = Param.Number("alpha", 0.8, 0.01, 100, "Beta distribution parameter");
    static readonly Param<double> CutMixAlpha = Param.Number("alpha", 1, 0.01, 100, "Beta distribution parameter");
    static readonly Param<double> BothMixupAlpha = Param.Number("mixup_alpha", 0.8, 0.01, 100, "Mixup's Beta parameter");
    static readonly Param<double> BothCutMixAlpha = Param.Number("cutmix_alpha", 1, 0.01, 100, "CutMix's Beta parameter");
    static readonly Param<double> SwitchProb = Param.Number("switch_prob", 0.5, 0, 1, "probability of CutMix rather than Mixup");


    static LambdaAugmentation Maybe(double p, Func<ImageData, Random, ImageData> apply) =>
        new((img, rng) => rng.NextDouble() < p ? apply(img, rng) : img);

    static double Uniform(Random rng, double lo, double hi) => lo + (hi - lo) * rng.NextDouble();

    /// <summary>
    /// Every per-image augmentation, in the order the catalogue lists them: one place that registers them all,
    /// a group at a time (Mixup and CutMix, which work on batches, are <see cref="Batch"/>).
    /// </summary>
    public static IEnumerable<IAugmentationFactory> All() => [.. Geometric(), .. Photometric(), .. NoiseAndDropout(), .. Policies()];

    /// <summary>Flips, crops and affine warps: where the pixels go, not what they are.</summary>
    static IAugmentationFactory[] Geometric() =>
    [
        new AugmentationFactory("hflip", "Mirrors the image left-right with probability p.", new ParameterInfo[] { Half }, bag =>
        {
            double p = Half.Read(bag);
            return Maybe(p, (img, _) => Flip(img, horizontal: true));
        }),
        new AugmentationFactory("vflip", "Mirrors the image top-bottom with probability p.", new ParameterInfo[] { Half }, bag =>
        {
            double p = Half.Read(bag);
            return Maybe(p, (img, _) => Flip(img, horizontal: false));
        }),
        new AugmentationFactory("random_crop", "Pads by `padding` pixels (zeros) and crops back to the original size at a random place (CIFAR's crop with padding).",
            new ParameterInfo[] { Padding }, bag =>
        {
            int pad = Padding.Read(bag);
            return new LambdaAugmentation((img, rng) => Shift(img, rng.Next(-pad, pad + 1), rng.Next(-pad, pad + 1)));
        }),
        new AugmentationFactory("random_resized_crop",
            "Crops a random area (scale of the image, aspect ratio in ratio) and resizes it back to the image size (Inception-style; torchvision's RandomResizedCrop).",
            new ParameterInfo[] { CropScaleMin, CropScaleMax, CropRatioMin, CropRatioMax }, bag =>
        {
            double s0 = CropScaleMin.Read(bag), s1 = CropScaleMax.ReadWithin(bag, s0, 1);
            double r0 = CropRatioMin.Read(bag), r1 = CropRatioMax.ReadWithin(bag, r0, 20);
            return new LambdaAugmentation((img, rng) =>
            {
                double area = img.Height * img.Width;
                for (int attempt = 0; attempt < 10; attempt++)
                {
                    double target = area * Uniform(rng, s0, s1);
                    double ratio = Math.Exp(Uniform(rng, Math.Log(r0), Math.Log(r1)));
                    double w = Math.Sqrt(target * ratio), h = Math.Sqrt(target / ratio);
                    if (w <= img.Width && h <= img.Height)
                        return Transforms.ResizedCrop(img, rng.NextDouble() * (img.Height - h), rng.NextDouble() * (img.Width - w), h, w);
                }
                return img;   // torchvision falls back to a centre crop of the clamped ratio; the whole image is that crop here
            });
        }),
        new AugmentationFactory("affine", "Random affine about the centre: rotation ±degrees, translation ±translate of the size, scale in [scale_min, scale_max], shear ±shear degrees; zero fill.",
            new ParameterInfo[] { Always, Degrees, Translate, AffineScaleMin, AffineScaleMax, Shear }, bag =>
        {
            double p = Always.Read(bag), deg = Degrees.Read(bag), tr = Translate.Read(bag);
            double sc0 = AffineScaleMin.Read(bag), sc1 = AffineScaleMax.ReadWithin(bag, sc0, 10), sh = Shear.Read(bag);
            return Maybe(p, (img, rng) => Transforms.Affine(img, Uniform(rng, -deg, deg), Uniform(rng, sc0, sc1), Uniform(rng, -sh, sh), Uniform(rng, -sh, sh),
                Uniform(rng, -tr, tr) * img.Height, Uniform(rng, -tr, tr) * img.Width));
        }),
        new AugmentationFactory("elastic", "Elastic distortion (Simard et al. 2003; torchvision's ElasticTransform): a random displacement field smoothed by σ and scaled by α.",
            new ParameterInfo[] { Half, ElasticAlpha, ElasticSigma }, bag =>
        {
            double p = Half.Read(bag), alpha = ElasticAlpha.Read(bag), sigma = ElasticSigma.Read(bag);
            return Maybe(p, (img, rng) =>
            {
                int h = img.Height, w = img.Width;
                ImageData Field()
                {
                    var f = new ImageData(1, h, w);
                    for (int i = 0; i < f.Pixels.Length; i++) f.Pixels[i] = (float)(rng.NextDouble() * 2 - 1);
                    return Transforms.GaussianBlur(f, sigma);
                }
                var dy = Field();
                var dx = Field();
                // torchvision scales the field by alpha / size in [-1, 1] grid units: alpha / 2 pixels here.
                return Transforms.Warp(img, (y, x) => (y + dy.At(0, (int)y, (int)x) * alpha / 2 * h / Math.Max(h, w), x + dx.At(0, (int)y, (int)x) * alpha / 2 * w / Math.Max(h, w)));
            });
        }),
    ];

    /// <summary>Colour, tone and sharpness: what the pixels are, not where they go.</summary>
    static IAugmentationFactory[] Photometric() =>
    [
        new AugmentationFactory("color_jitter", "Brightness, contrast and saturation factors in [1 − x, 1 + x] and a hue shift in ±hue turns, applied in random order (torchvision's ColorJitter).",
            new ParameterInfo[] { Always, Brightness, Contrast, Saturation, Hue }, bag =>
        {
            double p = Always.Read(bag), b = Brightness.Read(bag), c = Contrast.Read(bag);
            double s = Saturation.Read(bag), hue = Hue.Read(bag);
            return Maybe(p, (img, rng) =>
            {
                var order = new[] { 0, 1, 2, 3 };
                rng.Shuffle(order);
                foreach (var k in order)
                    switch (k)
                    {
                        case 0 when b > 0: Transforms.Brightness(img, (float)Uniform(rng, Math.Max(0, 1 - b), 1 + b)); break;
                        case 1 when c > 0: Transforms.Contrast(img, (float)Uniform(rng, Math.Max(0, 1 - c), 1 + c)); break;
                        case 2 when s > 0: Transforms.Saturation(img, (float)Uniform(rng, Math.Max(0, 1 - s), 1 + s)); break;
                        case 3 when hue > 0: Transforms.Hue(img, (float)Uniform(rng, -hue, hue)); break;
                    }
                return img;
            });
        }),
        new AugmentationFactory("grayscale", "Replaces colour by luminance (kept as three channels) with probability p.", new ParameterInfo[] { Seldom }, bag =>
        {
            double p = Seldom.Read(bag);
            return Maybe(p, (img, _) => { Transforms.Grayscale(img); return img; });
        }),
        new AugmentationFactory("gaussian_blur", "Gaussian blur with σ uniform in [sigma_min, sigma_max] pixels.",
            new ParameterInfo[] { Half, SigmaMin, SigmaMax }, bag =>
        {
            double p = Half.Read(bag), s0 = SigmaMin.Read(bag), s1 = SigmaMax.ReadWithin(bag, s0, 50);
            return Maybe(p, (img, rng) =>
            {
                var o = Transforms.GaussianBlur(img, Uniform(rng, s0, s1));
                for (int i = 0; i < o.Pixels.Length; i++) o.Pixels[i] = Math.Clamp(o.Pixels[i], 0f, 1f);   // rounding can pass 1
                return o;
            });
        }),
        new AugmentationFactory("sharpen", "Sharpens with a factor uniform in [1 + amount_min, 1 + amount_max] (PIL's ImageEnhance.Sharpness).",
            new ParameterInfo[] { Half, AmountMin, AmountMax }, bag =>
        {
            double p = Half.Read(bag), a0 = AmountMin.Read(bag), a1 = AmountMax.ReadWithin(bag, a0, 20);
            return Maybe(p, (img, rng) => Transforms.Sharpness(img, (float)(1 + Uniform(rng, a0, a1))));
        }),
    ];

    /// <summary>Per-pixel noise and zeroed pixels or rectangles.</summary>
    static IAugmentationFactory[] NoiseAndDropout() =>
    [
        new AugmentationFactory("gaussian_noise", "Adds Gaussian noise of standard deviation std (in [0, 1] pixel units), clamped.",
            new ParameterInfo[] { Half, NoiseStd }, bag =>
        {
            double p = Half.Read(bag), std = NoiseStd.Read(bag);
            return Maybe(p, (img, rng) =>
            {
                for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = Math.Clamp(img.Pixels[i] + (float)(std * Transforms.Normal(rng)), 0f, 1f);
                return img;
            });
        }),
        new AugmentationFactory("pixel_dropout", "Sets each pixel (all channels) to zero with probability rate.",
            new ParameterInfo[] { Half, DropRate }, bag =>
        {
            double p = Half.Read(bag), rate = DropRate.Read(bag);
            return Maybe(p, (img, rng) =>
            {
                int hw = img.Height * img.Width;
                for (int i = 0; i < hw; i++)
                    if (rng.NextDouble() < rate)
                        for (int c = 0; c < img.Channels; c++) img.Pixels[c * hw + i] = 0;
                return img;
            });
        }),
        new AugmentationFactory("coarse_dropout", "Zeroes 1 to holes rectangles, each up to size (share of the side) wide and high (Cutout; albumentations' CoarseDropout).",
            new ParameterInfo[] { Half, Holes, HoleSize }, bag =>
        {
            double p = Half.Read(bag), size = HoleSize.Read(bag);
            int holes = Holes.Read(bag);
            return Maybe(p, (img, rng) =>
            {
                int n = rng.Next(1, holes + 1);
                for (int k = 0; k < n; k++)
                {
                    int hh = Math.Max(1, (int)(rng.NextDouble() * size * img.Height)), ww = Math.Max(1, (int)(rng.NextDouble() * size * img.Width));
                    Fill(img, rng.Next(0, img.Height - hh + 1), rng.Next(0, img.Width - ww + 1), hh, ww, (_, _) => 0f);
                }
                return img;
            });
        }),
    ];

    /// <summary>Recipe-level regularisers as timm's training script sets them: RandAugment's policy of random operations, and Random Erasing.</summary>
    static IAugmentationFactory[] Policies() =>
    [
        new AugmentationFactory("randaugment",
            "RandAugment (Cubuk et al. 2020, timm's rand-mM-mstdS): n operations per image drawn from 15 (auto-contrast, equalise, invert, rotate, posterise, solarise, solarise-add, colour, contrast, brightness, sharpness, shear x/y, translate x/y), each with probability 0.5 at magnitude m of 10 (jittered by mstd). seeds/000 uses m 9, mstd 0.5.",
            new ParameterInfo[] { RandN, RandM, RandMStd, RandOpP }, bag =>
        {
            int n = RandN.Read(bag);
            double m = RandM.Read(bag), mstd = RandMStd.Read(bag), opP = RandOpP.Read(bag);
            return new LambdaAugmentation((img, rng) => RandAugment(img, rng, n, m, mstd, opP));
        }),
        new AugmentationFactory("random_erasing",
            "Random Erasing (Zhong et al. 2020): with probability p, replaces a rectangle of area share in [scale_min, scale_max] and aspect in [ratio_min, ratio_max] with random values (mode random) or zeros (mode zero).",
            new ParameterInfo[] { Quarter, EraseScaleMin, EraseScaleMax, EraseRatioMin, EraseRatioMax, EraseMode }, bag =>
        {
            double p = Quarter.Read(bag), s0 = EraseScaleMin.Read(bag), s1 = EraseScaleMax.ReadWithin(bag, s0, 1);
            double r0 = EraseRatioMin.Read(bag), r1 = EraseRatioMax.ReadWithin(bag, r0, 100);
            var mode = EraseMode.Read(bag);
            return Maybe(p, (img, rng) =>
            {
                double area = img.Height * img.Width;
                for (int attempt = 0; attempt < 10; attempt++)
                {
                    double target = area * Uniform(rng, s0, s1), ratio = Math.Exp(Uniform(rng, Math.Log(r0), Math.Log(r1)));
                    int hh = (int)Math.Round(Math.Sqrt(target * ratio)), ww = (int)Math.Round(Math.Sqrt(target / ratio));
                    if (hh < 1 || ww < 1 || hh >= img.Height || ww >= img.Width) continue;
                    Fill(img, rng.Next(0, img.Height - hh + 1), rng.Next(0, img.Width - ww + 1), hh, ww, mode == "zero" ? (_, _) => 0f : (_, r) => (float)r!.NextDouble(), rng);
                    break;
                }
                return img;
            });
        }),
    ];

    /// <summary>Mixup and CutMix: batch-level, with soft targets.</summary>
    public static IEnumerable<IBatchAugmentationFactory> Batch() => new IBatchAugmentationFactory[]
    {
        new BatchAugmentationFactory("mixup", "Mixup (Zhang et al. 2018): with probability p, mixes the batch with its reverse, λ ~ Beta(alpha, alpha), images and targets alike.",
            new ParameterInfo[] { Always, MixupAlpha }, bag =>
        {
            double p = Always.Read(bag), alpha = MixupAlpha.Read(bag);
            return new LambdaBatchAugmentation((b, rng) => { if (rng.NextDouble() < p) Mixup(b, Transforms.Beta(rng, alpha)); });
        }),
        new BatchAugmentationFactory("cutmix", "CutMix (Yun et al. 2019): with probability p, pastes a box of the reversed batch, area 1 − λ with λ ~ Beta(alpha, alpha); targets mixed by the pasted area.",
            new ParameterInfo[] { Always, CutMixAlpha }, bag =>
        {
            double p = Always.Read(bag), alpha = CutMixAlpha.Read(bag);
            return new LambdaBatchAugmentation((b, rng) => { if (rng.NextDouble() < p) CutMix(b, Transforms.Beta(rng, alpha), rng); });
        }),
        new BatchAugmentationFactory("mixup_cutmix",
            "timm's Mixup with both: with probability p, each batch gets CutMix (with probability switch_prob) or Mixup; seeds/000's ConvNeXt recipe is mixup_alpha 0.8, cutmix_alpha 1.0.",
            new ParameterInfo[] { Always, BothMixupAlpha, BothCutMixAlpha, SwitchProb }, bag =>
        {
            double p = Always.Read(bag), ma = BothMixupAlpha.Read(bag), ca = BothCutMixAlpha.Read(bag);
            double sw = SwitchProb.Read(bag);
            return new LambdaBatchAugmentation((b, rng) =>
            {
                if (rng.NextDouble() >= p) return;
                if (rng.NextDouble() < sw) CutMix(b, Transforms.Beta(rng, ca), rng);
                else Mixup(b, Transforms.Beta(rng, ma));
            });
        }),
    };

    /// <summary>Mixes image i with image N−1−i (timm's batch flip): λ of the first, 1 − λ of the second.</summary>
    public static void Mixup(BatchData b, double lambda)
    {
        int len = b.Shape.Channels * b.Shape.Height * b.Shape.Width, k = b.Classes, n = b.Count;
        var images = (float[])b.Images.Clone();
        var targets = (float[])b.Targets.Clone();
        float l = (float)lambda;
        for (int i = 0; i < n; i++)
        {
            int j = n - 1 - i;
            for (int t = 0; t < len; t++) b.Images[i * len + t] = l * images[i * len + t] + (1 - l) * images[j * len + t];
            for (int t = 0; t < k; t++) b.Targets[i * k + t] = l * targets[i * k + t] + (1 - l) * targets[j * k + t];
        }
    }

    /// <summary>Pastes into image i a box of image N−1−i whose area is about 1 − λ; targets mix by the exact pasted area.</summary>
    public static void CutMix(BatchData b, double lambda, Random rng)
    {
        int c = b.Shape.Channels, h = b.Shape.Height, w = b.Shape.Width, len = c * h * w, k = b.Classes, n = b.Count;
        double cut = Math.Sqrt(1 - lambda);
        int ch = (int)(h * cut), cw = (int)(w * cut);
        int cy = rng.Next(h), cx = rng.Next(w);
        int y0 = Math.Clamp(cy - ch / 2, 0, h), y1 = Math.Clamp(cy + ch / 2, 0, h), x0 = Math.Clamp(cx - cw / 2, 0, w), x1 = Math.Clamp(cx + cw / 2, 0, w);
        float kept = 1 - (y1 - y0) * (x1 - x0) / (float)(h * w);
        var images = (float[])b.Images.Clone();
        var targets = (float[])b.Targets.Clone();
        for (int i = 0; i < n; i++)
        {
            int j = n - 1 - i;
            for (int ci = 0; ci < c; ci++)
                for (int y = y0; y < y1; y++)
                    Array.Copy(images, j * len + (ci * h + y) * w + x0, b.Images, i * len + (ci * h + y) * w + x0, x1 - x0);
            for (int t = 0; t < k; t++) b.Targets[i * k + t] = kept * targets[i * k + t] + (1 - kept) * targets[j * k + t];
        }
    }

    static void Fill(ImageData img, int top, int left, int height, int width, Func<int, Random?, float> value, Random? rng = null)
    {
        for (int c = 0; c < img.Channels; c++)
            for (int y = top; y < top + height; y++)
                for (int x = left; x < left + width; x++) img.At(c, y, x) = value(c, rng);
    }

    /// <summary>timm's RandAugment operation set, magnitude m of 10 with Gaussian jitter mstd.</summary>
    static ImageData RandAugment(ImageData img, Random rng, int n, double m, double mstd, double opP)
    {
        for (int k = 0; k < n; k++)
        {
            int op = rng.Next(15);
            if (rng.NextDouble() >= opP) continue;
            double mag = Math.Clamp(mstd > 0 ? m + mstd * Transforms.Normal(rng) : m, 0, 10) / 10;
            double sign = rng.NextDouble() < 0.5 ? -1 : 1;
            switch (op)
            {
                case 0: Transforms.AutoContrast(img); break;
                case 1: Transforms.Equalize(img); break;
                case 2: for (int i = 0; i < img.Pixels.Length; i++) img.Pixels[i] = 1 - img.Pixels[i]; break;
                case 3: img = Transforms.Affine(img, sign * 30 * mag, 1, 0, 0, 0, 0); break;
                case 4: Transforms.Posterize(img, 4 + (int)(4 * (1 - mag))); break;
                case 5: Transforms.Solarize(img, (float)(1 - mag)); break;
                case 6:
                    float add = (float)(110 / 255.0 * mag);
                    for (int i = 0; i < img.Pixels.Length; i++) if (img.Pixels[i] < 0.5f) img.Pixels[i] = Math.Min(1f, img.Pixels[i] + add);
                    break;
                case 7: Transforms.Saturation(img, (float)(1 + sign * 0.9 * mag)); break;
                case 8: Transforms.Contrast(img, (float)(1 + sign * 0.9 * mag)); break;
                case 9: Transforms.Brightness(img, (float)(1 + sign * 0.9 * mag)); break;
                case 10: img = Transforms.Sharpness(img, (float)(1 + sign * 0.9 * mag)); break;
                case 11: img = Transforms.Affine(img, 0, 1, Math.Atan(sign * 0.3 * mag) * 180 / Math.PI, 0, 0, 0); break;
                case 12: img = Transforms.Affine(img, 0, 1, 0, Math.Atan(sign * 0.3 * mag) * 180 / Math.PI, 0, 0); break;
                case 13: img = Transforms.Affine(img, 0, 1, 0, 0, 0, sign * 0.45 * mag * img.Width); break;
                default: img = Transforms.Affine(img, 0, 1, 0, 0, sign * 0.45 * mag * img.Height, 0); break;
            }
        }
        return img;
    }

    /// <summary>Mirrors an image in place.</summary>
    public static ImageData Flip(ImageData img, bool horizontal)
    {
        int h = img.Height, w = img.Width;
        for (int c = 0; c < img.Channels; c++)
        {
            if (horizontal)
            {
                for (int y = 0; y < h; y++) img.Pixels.AsSpan((c * h + y) * w, w).Reverse();
            }
            else
            {
                for (int y = 0; y < h / 2; y++)
                {
                    var a = img.Pixels.AsSpan((c * h + y) * w, w);
                    var b = img.Pixels.AsSpan((c * h + h - 1 - y) * w, w);
                    for (int x = 0; x < w; x++) (a[x], b[x]) = (b[x], a[x]);
                }
            }
        }
        return img;
    }

    /// <summary>
    /// The crop of a zero-padded image whose top-left is (dy, dx) from the original's: output pixel (y, x)
    /// is input (y + dy, x + dx), zero outside.
    /// </summary>
    public static ImageData Shift(ImageData img, int dy, int dx)
    {
        var o = new ImageData(img.Channels, img.Height, img.Width);
        for (int c = 0; c < img.Channels; c++)
            for (int y = 0; y < img.Height; y++)
            {
                int sy = y + dy;
                if (sy < 0 || sy >= img.Height) continue;
                for (int x = 0; x < img.Width; x++)
                {
                    int sx = x + dx;
                    if (sx >= 0 && sx < img.Width) o.At(c, y, x) = img.At(c, sy, sx);
                }
            }
        return o;
    }
}
