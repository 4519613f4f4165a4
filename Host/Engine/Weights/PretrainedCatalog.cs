using System.Reflection;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Zoo.Abstractions;
using Zoo.Engine.Data;
using Zoo.Engine.Plugins;

namespace Zoo.Engine.Weights;

/// <summary>One catalogue entry: published weights and the variant (and plugin) that declares them.</summary>
public sealed record PretrainedEntry(PretrainedWeights Weights, VariantEntry Variant)
{
    /// <summary>The file's name as published, e.g. resnet50-0676ba61.pth.</summary>
    public string FileName => PretrainedCatalog.FileName(Weights.Url);

    /// <summary>The SHA-256 prefix the file name carries (torchvision's convention), or null where it has none.</summary>
    public string? Sha256Prefix => PretrainedCatalog.HashPrefix(Weights.Url);

    /// <summary>The weights cache, <see cref="ZooPaths.Weights"/> unless set otherwise.</summary>
    public string CacheRoot { get; init; } = ZooPaths.Weights;

    /// <summary>Where <c>zoo weights pull</c> puts the file: &lt;cache&gt;/&lt;variant&gt;/&lt;file name as published&gt;.</summary>
    public string CachePath => Path.Combine(CacheRoot, Weights.Variant, FileName);

    /// <summary>"resnet50:IMAGENET1K_V2".</summary>
    public string Id => $"{Weights.Variant}:{Weights.Name}";
}

/// <summary>Download progress: bytes so far and the total where the server said it.</summary>
public readonly record struct PullProgress(string Url, long Done, long? Total);

/// <summary>
/// The weights catalogue: every <see cref="PretrainedWeights"/> the loaded plugins declare (architectures that
/// implement <see cref="IPretrainedWeights"/>), found by variant and name, pulled into <see cref="ZooPaths.Weights"/>
/// with the hash in the file name checked.
/// </summary>
public sealed class PretrainedCatalog
{
    readonly PluginCatalog _plugins;

    public PretrainedCatalog(PluginCatalog plugins) => _plugins = plugins;

    /// <summary>Every entry, in the catalogue's variant order, each variant's recommended weights first.</summary>
    public IReadOnlyList<PretrainedEntry> All =>
        _plugins.Variants.SelectMany(v => Declared(v).Select(w => new PretrainedEntry(w, v))).ToList();

    static IEnumerable<PretrainedWeights> Declared(VariantEntry v)
    {
        if (v.Architecture is not IPretrainedWeights p) return Array.Empty<PretrainedWeights>();
        try { return p.Pretrained.Where(w => w.Variant == v.Variant.Name).ToList(); }
        catch (Exception) { return Array.Empty<PretrainedWeights>(); }   // a plugin's broken catalogue is not the host's fault; its variant just has none
    }

    /// <summary>The entries of one variant (empty when it has none); an unknown variant is an error.</summary>
    public IReadOnlyList<PretrainedEntry> For(string variant)
    {
        var v = _plugins.FindVariant(variant) ?? throw new ZooConfigException(variant,
            $"is not a model this zoo knows; {(NearestNames.DidYouMean(variant, _plugins.Variants.Select(v => v.Variant.Name), 3) is { } near ? near + " " : "")}(`zoo list` for all)");
        return Declared(v).Select(w => new PretrainedEntry(w, v)).ToList();
    }

    /// <summary>
    /// The entry a name asks for: null, "imagenet", "default" or "torchvision" (the variant's recommended weights),
    /// "IMAGENET1K_V2" or "torchvision:IMAGENET1K_V2". <paramref name="where"/> names the field or option in errors.
    /// </summary>
    public PretrainedEntry Resolve(string variant, string? name, string where)
    {
        var entries = For(variant);
        if (entries.Count == 0)
            throw new ZooConfigException(where, $"{variant} has no published weights in the catalogue (`zoo weights list` shows which variants do)");
        var key = name?.Trim() ?? "";
        if (key.StartsWith("torchvision:", StringComparison.OrdinalIgnoreCase)) key = key["torchvision:".Length..];
        if (key.Length == 0 || key.Equals("imagenet", StringComparison.OrdinalIgnoreCase) || key.Equals("default", StringComparison.OrdinalIgnoreCase)
            || key.Equals("torchvision", StringComparison.OrdinalIgnoreCase))
            return entries[0];
        return entries.FirstOrDefault(e => e.Weights.Name.Equals(key, StringComparison.OrdinalIgnoreCase))
               ?? throw new ZooConfigException(where, $"{variant} has no weights '{name}'; it has {string.Join(", ", entries.Select(e => e.Weights.Name))} (or \"imagenet\" for the first)");
    }

    /// <summary>Whether a suite's "weights" value names catalogue weights rather than a file.</summary>
    public static bool IsCatalogueName(string value) =>
        value.Equals("imagenet", StringComparison.OrdinalIgnoreCase) || value.StartsWith("torchvision:", StringComparison.OrdinalIgnoreCase);

    /// <summary>The last segment of a URL's path.</summary>
    public static string FileName(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? Path.GetFileName(u.LocalPath) : Path.GetFileName(url);

    static readonly Regex HashInName = new(@"-([0-9a-f]{8,64})\.(pth|pt|safetensors|bin)$", RegexOptions.CultureInvariant);

    /// <summary>The hex SHA-256 prefix after the last '-' of the file name (resnet50-0676ba61.pth → 0676ba61), or null.</summary>
    public static string? HashPrefix(string url) => HashInName.Match(FileName(url)) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>ImageNet-1K's 1000 class names, in the heads' output order (one list for every entry).</summary>
    public static IReadOnlyList<string> ImageNetClasses => LazyClasses.Value;

    static readonly Lazy<IReadOnlyList<string>> LazyClasses = new(() =>
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream("Zoo.Engine.Weights.imagenet-1k-classes.txt")
                      ?? throw new InvalidOperationException("the ImageNet class list is not embedded in Zoo.Engine");
        using var r = new StreamReader(s);
        return r.ReadToEnd().Split('\n').Where(l => l.Length > 0).ToArray();
    });

    /// <summary>The class names of an entry's head, or null when its list is not one the host holds.</summary>
    public static IReadOnlyList<string>? Classes(PretrainedWeights w) => w.Categories == "imagenet-1k" ? ImageNetClasses : null;

    /// <summary>
    /// The entry's file in the cache, downloaded first if it is not there: into a .part file beside it, the SHA-256
    /// checked against the prefix in the file name, then renamed into place (so the cache never holds a partial
    /// or wrong file). http(s) and file URLs are taken. Offline or refused: a <see cref="ZooConfigException"/> that
    /// names the URL and where to put the file by hand.
    /// </summary>
    public static string Pull(PretrainedEntry entry, IProgress<PullProgress>? progress = null, CancellationToken cancel = default, HttpClient? http = null)
    {
        var path = entry.CachePath;
        if (File.Exists(path)) return path;
        var url = entry.Weights.Url;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var part = path + ".part";
        try
        {
            using (var output = File.Create(part))
            {
                try { Download(url, output, progress, cancel, http); }
                catch (Exception e) when (e is HttpRequestException or IOException or UnauthorizedAccessException or TaskCanceledException && !cancel.IsCancellationRequested)
                {
                    throw new ZooConfigException(entry.Id, $"could not download {url} ({e.Message}). Offline? Download it elsewhere and put it at {path}");
                }
            }
            if (entry.Sha256Prefix is { } want)
            {
                var have = Sha256(part);
                if (!have.StartsWith(want, StringComparison.OrdinalIgnoreCase))
                    throw new ZooConfigException(entry.Id, $"the file downloaded from {url} has SHA-256 {have}, which does not start with {want} (the hash in its name): damaged or not the published file; it was not kept");
            }
            File.Move(part, path, overwrite: true);
            return path;
        }
        finally
        {
            if (File.Exists(part)) File.Delete(part);
        }
    }

    static void Download(string url, Stream output, IProgress<PullProgress>? progress, CancellationToken cancel, HttpClient? http)
    {
        var uri = new Uri(url);
        Stream input;
        long? total;
        HttpResponseMessage? response = null;
        if (uri.IsFile)
        {
            input = File.OpenRead(uri.LocalPath);
            total = input.Length;
        }
        else
        {
            var client = http ?? Shared.Value;
            response = client.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancel).GetAwaiter().GetResult();
            response.EnsureSuccessStatusCode();
            total = response.Content.Headers.ContentLength;
            input = response.Content.ReadAsStream(cancel);
        }
        using (response)
        using (input)
        {
            var buffer = new byte[1 << 20];
            long done = 0;
            int n;
            while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                cancel.ThrowIfCancellationRequested();
                output.Write(buffer, 0, n);
                done += n;
                progress?.Report(new PullProgress(url, done, total));
            }
            if (total is { } t && done != t) throw new IOException($"the download ended after {done} of {t} bytes");
        }
    }

    static readonly Lazy<HttpClient> Shared = new(() => new HttpClient { Timeout = TimeSpan.FromMinutes(30) });

    /// <summary>The lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}
