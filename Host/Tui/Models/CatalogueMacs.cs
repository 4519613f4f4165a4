using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Zoo.Engine.Inspection;
using Zoo.Engine.Results;

namespace Zoo.Tui;

/// <summary>
/// The catalogue's GMACs column: each variant's multiply-accumulates at its reference input, as `zoo list --json --macs`
/// gives them (<see cref="FactsCache"/>: what an earlier list or UI already computed shows at once), the rest computed
/// one variant at a time (one forward pass each) on a background thread below normal priority. A figure is "…" until
/// known and "–" where the variant cannot be built.
/// </summary>
public sealed class CatalogueMacs
{
    readonly FactsCache _cache;
    // By FactsCache.Key (plugin build, variant, reference input): a rebuilt plugin's variants are new keys. Null: cannot be built.
    readonly ConcurrentDictionary<string, double?> _gmacs = new(StringComparer.Ordinal);

    public CatalogueMacs(FactsCache cache) => _cache = cache;

    /// <summary>How many figures were computed here (not taken from the cache).</summary>
    public int Computed => _computed;
    int _computed;

    /// <summary>Known: the figure, or null for a variant that cannot be built. Not known yet: false.</summary>
    public bool TryGet(CatalogueRow row, out double? gmacs)
    {
        if (row.Error is not null) { gmacs = null; return true; }
        if (_gmacs.TryGetValue(FactsCache.Key(row.Entry), out gmacs)) return true;
        if (_cache.TryCached(row.Entry, out var macs)) { gmacs = macs / 1e9; _gmacs[FactsCache.Key(row.Entry)] = gmacs; return true; }
        return false;
    }

    /// <summary>The figure for sorting: null until known and where it cannot be computed (both sort last).</summary>
    public double? Value(CatalogueRow row) => TryGet(row, out var g) ? g : null;

    /// <summary>What the column shows: GMACs, "…" until known, "–" where the variant cannot be built.</summary>
    public string Cell(CatalogueRow row) => !TryGet(row, out var g) ? "…" : g is { } v ? Numbers.Gmacs(v) : "–";

    /// <summary>
    /// Computes the figure of the first row of <paramref name="rows"/> not known yet (one forward pass; failures are "–")
    /// and keeps it in the cache; false when every row is known.
    /// </summary>
    public bool ComputeNext(IReadOnlyList<CatalogueRow> rows, out CatalogueRow? row)
    {
        row = rows.FirstOrDefault(r => !TryGet(r, out _));
        if (row is null) return false;
        double? gmacs;
        try { gmacs = _cache.ReferenceMacs(row.Entry) / 1e9; }
        catch (Exception) { gmacs = null; }   // the details pane (Enter) says why
        _gmacs[FactsCache.Key(row.Entry)] = gmacs;
        Interlocked.Increment(ref _computed);
        return true;
    }

    /// <summary>Writes what was learnt to the cache file (the next `zoo list --json` and `zoo ui` have it at once).</summary>
    public void Save() => _cache.Save();

    /// <summary>
    /// Lowers the calling thread's priority: .NET's ThreadPriority is a request that Linux ignores, and there each thread
    /// has its own nice value, so it is set too (10, as the training workers' BelowNormal). Failures are ignored.
    /// </summary>
    public static void LowerThisThread()
    {
        try { Thread.CurrentThread.Priority = ThreadPriority.BelowNormal; } catch (Exception) { }
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            long gettid = RuntimeInformation.ProcessArchitecture switch { Architecture.X64 => 186, Architecture.Arm64 => 178, _ => -1 };
            if (gettid < 0) return;
            int tid = (int)syscall(gettid);
            int now = getpriority(0, tid);
            if (now < 10) setpriority(0, tid, 10);   // PRIO_PROCESS with a thread id: that thread only
        }
        catch (Exception) { }
    }

    [DllImport("libc", SetLastError = true)] static extern long syscall(long number);
    [DllImport("libc", SetLastError = true)] static extern int getpriority(int which, int who);
    [DllImport("libc", SetLastError = true)] static extern int setpriority(int which, int who, int prio);
}
