using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;
using Zoo.Engine.Results;
using Zoo.Engine.Weights;

namespace Zoo.Cli;

/// <summary>The <c>zoo weights</c> verbs: thin wrappers over <see cref="WeightFile"/> and <see cref="PretrainedCatalog"/> that print what was done.</summary>
public static class WeightsCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>zoo weights convert IN.pth OUT.safetensors.</summary>
    public static int Convert(string input, string output, WeightSelection selection)
    {
        PathChecks.OutputFile("output", output);
        var clock = Stopwatch.StartNew();
        var (tensors, bytes) = WeightFile.ConvertToSafetensors(input, output, selection);
        Console.WriteLine(string.Create(Inv, $"{output}: {tensors} tensors, {bytes / 1e6:F1} MB, from {input} in {clock.Elapsed.TotalSeconds:F1} s"));
        return 0;
    }

    /// <summary>zoo weights list [VARIANT]: the catalogue with published accuracies and preprocessing, and whether each file is in the cache.</summary>
    public static int List(IServiceProvider services, string? variant, bool json)
    {
        var catalogue = new PretrainedCatalog(services.GetRequiredService<PluginCatalog>());
        var entries = variant is null ? catalogue.All : catalogue.For(variant);
        // What "imagenet" (and "default", "torchvision") takes for each variant, asked of the catalogue that resolves it.
        var recommended = entries.Select(e => e.Weights.Variant).Distinct().Select(v => catalogue.Resolve(v, "imagenet", v).Id).ToHashSet();
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(entries.Select(e => new
            {
                e.Weights.Variant, e.Weights.Name, e.Weights.Url, Sha256Prefix = e.Sha256Prefix, e.Weights.Dataset, e.Weights.Top1, e.Weights.Top5,
                e.Weights.ResizeSize, e.Weights.CropSize, e.Weights.Interpolation, e.Weights.Categories, e.Weights.Recipe,
                Plugin = e.Variant.Plugin.Name, Cached = File.Exists(e.CachePath) ? e.CachePath : null, Imagenet = recommended.Contains(e.Id),
            }), ZooJson.Options));
            return 0;
        }
        if (entries.Count == 0)
        {
            Console.WriteLine(variant is null ? "no loaded plugin declares published weights" : $"{variant} has no published weights in the catalogue");
            return 0;
        }
        Console.WriteLine($"  {"weights",-40} {"top-1",7} {"top-5",7}  {"eval preprocessing",-30} file");
        foreach (var e in entries)
        {
            var pre = $"resize {e.Weights.ResizeSize}, crop {e.Weights.CropSize}, {e.Weights.Interpolation}";
            var top = (double? v) => v is { } x ? x.ToString("F2", Inv) : "-";
            Console.WriteLine($"{(recommended.Contains(e.Id) ? "* " : "  ")}{e.Id,-40} {top(e.Weights.Top1),7} {top(e.Weights.Top5),7}  {pre,-30} {(File.Exists(e.CachePath) ? e.CachePath : e.Weights.Url)}");
        }
        Console.WriteLine($"{Numbers.Count(entries.Count, "published weight")} ({Numbers.Count(entries.Select(e => e.Weights.Variant).Distinct().Count(), "variant")}; accuracies are the publishers' own, {entries[0].Weights.Dataset} validation); * = what \"imagenet\" takes; cache: {ZooPaths.Weights}");
        return 0;
    }

    /// <summary>zoo weights pull VARIANT[:NAME]: downloads into the cache with a progress line and the hash checked.</summary>
    public static int Pull(IServiceProvider services, string spec)
    {
        var colon = spec.IndexOf(':');
        var (variant, name) = colon < 0 ? (spec, null) : (spec[..colon], spec[(colon + 1)..]);
        var entry = new PretrainedCatalog(services.GetRequiredService<PluginCatalog>()).Resolve(variant, name, spec);
        if (File.Exists(entry.CachePath))
        {
            Console.WriteLine($"{entry.Id}: already in the cache: {entry.CachePath}");
            return 0;
        }
        Console.Error.WriteLine($"{entry.Id}: downloading {entry.Weights.Url}");
        var bar = new ProgressBar(Console.Error, !Console.IsErrorRedirected);
        var clock = Stopwatch.StartNew();
        var path = PretrainedCatalog.Pull(entry, new SyncProgress<PullProgress>(bar.Report));
        bar.Done();
        Console.WriteLine(string.Create(Inv, $"{entry.Id}: {path} ({new FileInfo(path).Length / 1e6:F1} MB in {clock.Elapsed.TotalSeconds:F1} s{(entry.Sha256Prefix is { } h ? $", SHA-256 starts with {h} as its name says" : ", no hash in its name to check")})"));
        return 0;
    }

    /// <summary>A download's progress: one line redrawn in place on a terminal, a line per 10 % into a file or pipe.</summary>
    sealed class ProgressBar(TextWriter output, bool terminal)
    {
        DateTime _last = DateTime.MinValue;
        int _lastTenth = -1;

        public void Report(PullProgress p)
        {
            var mb = string.Create(Inv, $"{p.Done / 1e6:F1}{(p.Total is { } t ? $" / {t / 1e6:F1}" : "")} MB");
            if (terminal)
            {
                if (DateTime.UtcNow - _last < TimeSpan.FromMilliseconds(200)) return;
                _last = DateTime.UtcNow;
                var bar = p.Total is { } total and > 0 ? new string('#', (int)(30 * p.Done / total)).PadRight(30, '.') : "";
                output.Write($"\r  [{bar}] {mb}   ");
            }
            else if (p.Total is { } total and > 0 && (int)(10 * p.Done / total) is var tenth && tenth != _lastTenth)
            {
                _lastTenth = tenth;
                output.WriteLine($"  {tenth * 10} %  {mb}");
            }
        }

        public void Done()
        {
            if (terminal) output.WriteLine();
        }
    }
}
