namespace Zoo.Engine.Data;

/// <summary>
/// Where Zoo keeps files that are not results, in one place so every cache follows the same rule.
/// Caches (the image-folder decode cache, the model-facts cache) hold only what Zoo can compute again:
/// deleting them costs time, never results. Downloaded data sets are not a cache (deleting them means
/// downloading again) and keep their own variable, ZOO_DATA_DIR.
/// </summary>
public static class ZooPaths
{
    /// <summary>
    /// The cache folder the user asked for: $ZOO_CACHE, else $ZOO_CACHE_DIR (its earlier name, kept working),
    /// else null.
    /// </summary>
    public static string? CacheOverride =>
        Environment.GetEnvironmentVariable("ZOO_CACHE") is { Length: > 0 } c ? Path.GetFullPath(c)
        : Environment.GetEnvironmentVariable("ZOO_CACHE_DIR") is { Length: > 0 } d ? Path.GetFullPath(d)
        : null;

    /// <summary>The user's Zoo folder under the cache home: $XDG_CACHE_HOME/zoo, else ~/.cache/zoo.</summary>
    public static string UserCache =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x
            ? x : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "zoo");

    /// <summary>The cache for work that is not part of a suite run (zoo list's model facts, augment-preview): <see cref="CacheOverride"/>, else <see cref="UserCache"/>.</summary>
    public static string Cache => CacheOverride ?? UserCache;

    /// <summary>
    /// The cache of a suite run that writes into <paramref name="resultsDirectory"/>: <see cref="CacheOverride"/>, else
    /// <c>&lt;results&gt;/.cache</c>, so a run's decoded images live (and are deleted) with its results and never fill the home folder.
    /// </summary>
    public static string CacheForRun(string resultsDirectory) => CacheOverride ?? Path.Combine(Path.GetFullPath(resultsDirectory), ".cache");

    /// <summary>Downloaded data sets: $ZOO_DATA_DIR, else <see cref="UserCache"/>/data.</summary>
    public static string Data =>
        Environment.GetEnvironmentVariable("ZOO_DATA_DIR") is { Length: > 0 } d ? d : Path.Combine(UserCache, "data");

    /// <summary>
    /// Published pretrained weights (<c>zoo weights pull</c>): <see cref="CacheOverride"/>/weights, else <see cref="UserCache"/>/weights
    /// (~/.cache/zoo/weights). A cache: each file can be downloaded again, and its hash is checked when it is.
    /// </summary>
    public static string Weights => Path.Combine(Cache, "weights");
}
