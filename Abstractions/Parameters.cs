using System.Globalization;

namespace Zoo.Abstractions;

/// <summary>Describes one parameter a factory accepts, for listings and error messages.</summary>
/// <param name="Name">The key used in a suite file, e.g. "p" or "warmup_epochs".</param>
/// <param name="Type">"number", "integer", "bool", "string" or "list".</param>
/// <param name="Default">The default value as text.</param>
/// <param name="Description">What it does.</param>
public sealed record ParameterInfo(string Name, string Type, string Default, string Description);

/// <summary>
/// Named parameters as given in a suite file (values as invariant-culture text), with typed accessors
/// whose errors name the field. <see cref="Where"/> is the field path used in messages.
/// </summary>
public sealed class ParameterBag
{
    readonly IReadOnlyDictionary<string, string> _values;

    /// <summary>An empty bag.</summary>
    public static ParameterBag Empty { get; } = new(new Dictionary<string, string>(), "");

    /// <summary>Creates a bag over the given values; <paramref name="where"/> prefixes error messages.</summary>
    public ParameterBag(IReadOnlyDictionary<string, string> values, string where)
    {
        _values = values;
        Where = where;
    }

    /// <summary>The field path of this bag, e.g. "suite.json: recipe.schedule".</summary>
    public string Where { get; }

    /// <summary>The keys present.</summary>
    public IEnumerable<string> Keys => _values.Keys;

    /// <summary>Whether a key is present.</summary>
    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The raw text of a key, or null.</summary>
    public string? Raw(string name) => _values.TryGetValue(name, out var v) ? v : null;

    /// <summary>A string value or the default.</summary>
    public string GetString(string name, string @default) => Raw(name) ?? @default;

    /// <summary>A number or the default; a value that is not a number is an error naming the field.</summary>
    public double GetDouble(string name, double @default)
    {
        var raw = Raw(name);
        if (raw is null) return @default;
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return d;
        throw new ZooConfigException(Field(name), $"'{raw}' is not a number");
    }

    /// <summary>A number within [min, max] or the default.</summary>
    public double GetDouble(string name, double @default, double min, double max)
    {
        var d = GetDouble(name, @default);
        if (d < min || d > max)
            throw new ZooConfigException(Field(name), $"{d.ToString(CultureInfo.InvariantCulture)} is out of range; allowed {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
        return d;
    }

    /// <summary>A whole number within [min, max] or the default.</summary>
    public int GetInt(string name, int @default, int min = int.MinValue, int max = int.MaxValue)
    {
        var raw = Raw(name);
        if (raw is null) return @default;
        if (!int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
            throw new ZooConfigException(Field(name), $"'{raw}' is not a whole number");
        if (i < min || i > max)
            throw new ZooConfigException(Field(name), $"{i} is out of range; allowed {min} to {max}");
        return i;
    }

    /// <summary>true/false or the default.</summary>
    public bool GetBool(string name, bool @default)
    {
        var raw = Raw(name);
        if (raw is null) return @default;
        if (bool.TryParse(raw, out var b)) return b;
        throw new ZooConfigException(Field(name), $"'{raw}' is not true or false");
    }

    /// <summary>A list of numbers (written as a JSON array or comma-separated) or the default.</summary>
    public IReadOnlyList<double> GetDoubleList(string name, IReadOnlyList<double> @default)
    {
        var raw = Raw(name);
        if (raw is null) return @default;
        var parts = raw.Trim('[', ']', ' ').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var list = new List<double>();
        foreach (var p in parts)
        {
            if (!double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                throw new ZooConfigException(Field(name), $"'{p}' in '{raw}' is not a number");
            list.Add(d);
        }
        return list;
    }

    /// <summary>Throws if a key is present that is not among <paramref name="allowed"/>, listing what is allowed.</summary>
    public void EnsureOnly(IEnumerable<string> allowed)
    {
        var set = new HashSet<string>(allowed, StringComparer.Ordinal);
        foreach (var k in _values.Keys)
            if (!set.Contains(k))
                throw new ZooConfigException(Field(k), $"unknown parameter; {(NearestNames.DidYouMean(k, set) is { } near ? near + " " : "")}allowed: {(set.Count == 0 ? "none" : string.Join(", ", set.OrderBy(s => s)))}");
    }

    /// <summary>Throws if a key is present that no <see cref="ParameterInfo"/> describes.</summary>
    public void EnsureOnly(IEnumerable<ParameterInfo> allowed) => EnsureOnly(allowed.Select(p => p.Name));

    string Field(string name) => string.IsNullOrEmpty(Where) ? name : $"{Where}.{name}";
}
