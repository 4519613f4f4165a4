using System.Globalization;
using System.Security.Cryptography;
using Zoo.Abstractions;

namespace Zoo.Engine.Data;

/// <summary>A file a data set needs: its name, where it is published and its MD5 (as torchvision checks it).</summary>
public sealed record RemoteFile(string Name, string Url, string Md5);

/// <summary>
/// Where data sets live and how missing files arrive: the data folder (<see cref="ZooPaths.Data"/>:
/// $ZOO_DATA_DIR, else ~/.cache/zoo/data), downloads with a progress bar on stderr, MD5 verification, and, when offline,
/// an error that says which files to put where by hand.
/// </summary>
public static class Downloads
{
    /// <summary>The folder downloaded data sets go to.</summary>
    public static string DataRoot => ZooPaths.Data;

    /// <summary>Overrides the HTTP client (tests point it at nothing, so they can never download).</summary>
    public static HttpMessageHandler? Handler { get; set; }

    /// <summary>Files of <paramref name="files"/> missing from <paramref name="folder"/>, downloaded and verified, or an error naming what to do.</summary>
    public static void Ensure(string dataset, string folder, IReadOnlyList<RemoteFile> files, bool allowDownload, TextWriter? progress = null)
    {
        var missing = files.Where(f => !File.Exists(Path.Combine(folder, f.Name))).ToList();
        if (missing.Count == 0) return;
        string Manual() => $"put these files in {folder} by hand:\n" + string.Join("\n", missing.Select(f => $"  {f.Name}  from {f.Url}  (md5 {f.Md5})"));
        if (!allowDownload)
            throw new ZooConfigException($"{dataset}: {folder}", $"files are missing and \"download\" is false; {Manual()}");
        Directory.CreateDirectory(folder);
        using var http = Handler is null ? new HttpClient() : new HttpClient(Handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromMinutes(30);
        foreach (var f in missing)
        {
            var target = Path.Combine(folder, f.Name);
            try
            {
                Download(http, f, target, progress ?? TextWriter.Null);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or InvalidOperationException)
            {
                throw new ZooConfigException($"{dataset}: {f.Url}",
                    $"could not download ({e.Message}); if this machine is offline, {Manual()}\n(or set ZOO_DATA_DIR, or the suite's dataset \"path\", to a folder that has them)");
            }
        }
    }

    static void Download(HttpClient http, RemoteFile f, string target, TextWriter progress)
    {
        var tmp = target + ".part";
        using (var response = http.GetAsync(f.Url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult())
        {
            response.EnsureSuccessStatusCode();
            long? total = response.Content.Headers.ContentLength;
            using var src = response.Content.ReadAsStream();
            using var dst = File.Create(tmp);
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            var buffer = new byte[1 << 16];
            long done = 0;
            int lastShown = -1;
            int n;
            while ((n = src.Read(buffer)) > 0)
            {
                dst.Write(buffer, 0, n);
                md5.AppendData(buffer, 0, n);
                done += n;
                int pct = total is > 0 ? (int)(done * 100 / total.Value) : (int)(done >> 20);
                if (pct != lastShown)
                {
                    lastShown = pct;
                    progress.Write(total is > 0
                        ? $"\r  {f.Name} [{new string('#', pct / 4).PadRight(25)}] {pct,3} % of {total.Value / 1048576.0:F1} MiB"
                        : string.Create(CultureInfo.InvariantCulture, $"\r  {f.Name} {done / 1048576.0:F1} MiB"));
                }
            }
            progress.WriteLine();
            var hash = System.Convert.ToHexString(md5.GetHashAndReset()).ToLowerInvariant();
            if (hash != f.Md5)
            {
                dst.Close();
                File.Delete(tmp);
                throw new InvalidOperationException($"{f.Name} has md5 {hash}, expected {f.Md5} (a damaged or changed download)");
            }
        }
        File.Move(tmp, target, overwrite: true);
    }

    /// <summary>MD5 of a file, lower-case hex.</summary>
    public static string Md5(string path)
    {
        using var s = File.OpenRead(path);
        return System.Convert.ToHexString(MD5.HashData(s)).ToLowerInvariant();
    }
}
