namespace Zoo.Abstractions;

/// <summary>
/// A configuration error a user can fix: a wrong suite field, an unknown parameter, a size an
/// architecture cannot take. The message names where (file and field), what is wrong and what is allowed.
/// </summary>
public class ZooConfigException : Exception
{
    /// <summary>Creates the error; <paramref name="where"/> is a field path such as "suite.json: models[2].name".</summary>
    public ZooConfigException(string where, string message) : base(string.IsNullOrEmpty(where) ? message : $"{where}: {message}")
    {
        Where = where;
    }

    /// <summary>The file and field the error is about (may be empty).</summary>
    public string Where { get; }
}

/// <summary>
/// The names nearest a misspelt one, by edit distance: the one helper behind every "did you mean" (command-line
/// options and verbs, model variants, suite fields, parameters), so they all suggest alike. Thread-safe.
/// </summary>
public static class NearestNames
{
    /// <summary>
    /// Up to <paramref name="count"/> of <paramref name="known"/> within a few edits of <paramref name="name"/>
    /// (case-insensitive; at most a third of its length, and never fewer than 2), nearest first, then the closest
    /// in length, then in ordinal order. Empty when none is near.
    /// </summary>
    public static IReadOnlyList<string> Of(string name, IEnumerable<string> known, int count = 3)
    {
        var lower = name.ToLowerInvariant();
        int limit = Math.Max(2, name.Length / 3);
        return known.Distinct(StringComparer.Ordinal)
            .Select(k => (Name: k, Distance: Distance(k.ToLowerInvariant(), lower)))
            .Where(k => k.Distance <= limit)
            .OrderBy(k => k.Distance).ThenBy(k => Math.Abs(k.Name.Length - name.Length)).ThenBy(k => k.Name, StringComparer.Ordinal)
            .Take(count).Select(k => k.Name).ToArray();
    }

    /// <summary>"did you mean 'a'?" or "did you mean 'a', 'b' or 'c'?" for up to <paramref name="count"/> near names, or null when none is near.</summary>
    public static string? DidYouMean(string name, IEnumerable<string> known, int count = 1)
    {
        var near = Of(name, known, count).Select(n => $"'{n}'").ToArray();
        return near.Length switch
        {
            0 => null,
            1 => $"did you mean {near[0]}?",
            _ => $"did you mean {string.Join(", ", near[..^1])} or {near[^1]}?",
        };
    }

    /// <summary>Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) d[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            int prev = d[0];
            d[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int tmp = d[j];
                d[j] = Math.Min(Math.Min(d[j] + 1, d[j - 1] + 1), prev + (a[i - 1] == b[j - 1] ? 0 : 1));
                prev = tmp;
            }
        }
        return d[b.Length];
    }
}
