using System.Globalization;

namespace Zoo.Abstractions;

/// <summary>
/// Describes one parameter a factory accepts, for listings and error messages. Declare a parameter with
/// <see cref="Param"/> rather than by hand: the declaration then both describes it (this record) and reads it
/// (<see cref="Param{T}.Read"/>), so its default and range are written once.
/// </summary>
/// <param name="Name">The key used in a suite file, e.g. "p" or "warmup_epochs".</param>
/// <param name="Type">"number", "integer", "bool", "string" or "list".</param>
/// <param name="Default">The default value as text.</param>
/// <param name="Description">What it does.</param>
public sealed record ParameterInfo(string Name, string Type, string Default, string Description)
{
    /// <summary>The smallest value a number or integer takes, where it has a bound. Contract 1.4.</summary>
    public double? Min { get; init; }

    /// <summary>The largest value a number or integer takes, where it has a bound. Contract 1.4.</summary>
    public double? Max { get; init; }

    /// <summary>The words a string takes, where it is one of a fixed set. Contract 1.4.</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>What values are allowed, in words ("0 to 1", "1 or more", "one of tanh, relu"), or "" where any value of <see cref="Type"/> is.</summary>
    public string Allowed => Choices is { Count: > 0 } choices ? "one of " + string.Join(", ", choices)
        : (Min, Max) switch
        {
            ({ } lo, { } hi) => $"{Param.Format(lo)} to {Param.Format(hi)}",
            ({ } lo, null) => $"{Param.Format(lo)} or more",
            (null, { } hi) => $"at most {Param.Format(hi)}",
            _ => "",
        };
}

/// <summary>
/// A parameter declared once, in the spirit of a signature such as torchvision's
/// <c>RandomResizedCrop(size, scale=(0.08, 1.0))</c>: its name, default, allowed values and description describe it
/// (<see cref="Info"/>, for <c>zoo list</c>, the terminal UI's hints and the docs) and the same declaration reads it from
/// a suite's <see cref="ParameterBag"/>, so the two cannot disagree. Made by <see cref="Param"/>'s factories. Contract 1.4.
/// </summary>
public sealed class Param<T>
{
    readonly Func<ParameterBag, T> _read;

    internal Param(ParameterInfo info, T @default, Func<ParameterBag, T> read) => (Info, Default, _read) = (info, @default, read);

    /// <summary>How the parameter is listed.</summary>
    public ParameterInfo Info { get; }

    /// <summary>The key in a suite file.</summary>
    public string Name => Info.Name;

    /// <summary>The value when the suite gives none.</summary>
    public T Default { get; }

    /// <summary>The suite's value, or <see cref="Default"/>; a value of the wrong type or outside the allowed ones is a <see cref="ZooConfigException"/> naming the field.</summary>
    public T Read(ParameterBag bag) => _read(bag);

    /// <summary>The listing of a declared parameter, so that declarations can stand in a list of <see cref="ParameterInfo"/>.</summary>
    public static implicit operator ParameterInfo(Param<T> p) => p.Info;
}

/// <summary>Declares parameters (<see cref="Param{T}"/>): one line each, the default and range written once. Contract 1.4.</summary>
public static class Param
{
    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>] (give <see cref="double.PositiveInfinity"/> for no upper bound).</summary>
    public static Param<double> Number(string name, double @default, double min, double max, string description)
    {
        var info = new ParameterInfo(name, "number", Format(@default), description)
        {
            Min = double.IsNegativeInfinity(min) ? null : min, Max = double.IsPositiveInfinity(max) ? null : max,
        };
        return new Param<double>(info, @default, bag => bag.GetDouble(name, @default, min, max));
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Param<int> Integer(string name, int @default, int min, int max, string description)
    {
        var info = new ParameterInfo(name, "integer", Format(@default), description)
        {
            Min = min == int.MinValue ? null : min, Max = max == int.MaxValue ? null : max,
        };
        return new Param<int>(info, @default, bag => bag.GetInt(name, @default, min, max));
    }

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>] with no default of its own (null: another part decides, e.g. the data set).</summary>
    public static Param<int?> OptionalInteger(string name, int min, int max, string description)
    {
        var info = new ParameterInfo(name, "integer", "", description) { Min = min, Max = max };
        return new Param<int?>(info, null, bag => bag.Has(name) ? bag.GetInt(name, 0, min, max) : null);
    }

    /// <summary>true or false.</summary>
    public static Param<bool> Flag(string name, bool @default, string description) =>
        new(new ParameterInfo(name, "bool", @default ? "true" : "false", description), @default, bag => bag.GetBool(name, @default));

    /// <summary>One of a fixed set of words; another word is refused with the nearest one and the list.</summary>
    public static Param<string> Choice(string name, string @default, IReadOnlyList<string> choices, string description)
    {
        if (!choices.Contains(@default)) throw new ArgumentException($"the default '{@default}' of {name} is not among its choices", nameof(@default));
        var info = new ParameterInfo(name, "string", @default, description) { Choices = choices };
        return new Param<string>(info, @default, bag =>
        {
            var value = bag.GetString(name, @default);
            if (choices.Contains(value)) return value;
            throw new ZooConfigException(bag.FieldPath(name), NotAmong(value, choices));
        });
    }

    /// <summary>The message for a word that is not among <paramref name="choices"/>: the nearest one where there is one, then the list.</summary>
    public static string NotAmong(string value, IReadOnlyList<string> choices) =>
        $"'{value}' is not allowed; {(NearestNames.DidYouMean(value, choices) is { } near ? near + " " : "")}allowed: {string.Join(", ", choices)}";

    /// <summary>Free text.</summary>
    public static Param<string> Text(string name, string @default, string description) =>
        new(new ParameterInfo(name, "string", @default, description), @default, bag => bag.GetString(name, @default));

    /// <summary>A list of numbers (a JSON array or comma-separated).</summary>
    public static Param<IReadOnlyList<double>> Numbers(string name, IReadOnlyList<double> @default, string description) =>
        new(new ParameterInfo(name, "list", "[" + string.Join(", ", @default.Select(Format)) + "]", description), @default, bag => bag.GetDoubleList(name, @default));

    /// <summary>
    /// The number read within tighter bounds than declared, where one parameter bounds another ("scale_max" is at least
    /// "scale_min", "min_lr" at most the recipe's rate).
    /// </summary>
    public static double ReadWithin(this Param<double> p, ParameterBag bag, double min, double max) =>
        bag.GetDouble(p.Name, p.Default, Math.Max(min, p.Info.Min ?? double.NegativeInfinity), Math.Min(max, p.Info.Max ?? double.PositiveInfinity));

    /// <summary>A number as a listing writes it, "0.9", "30", "1e-8", in full where that short form would not read back as the same number (4/3).</summary>
    public static string Format(double value)
    {
        var text = value != 0 && Math.Abs(value) < 1e-4
            ? value.ToString("0.###e0", CultureInfo.InvariantCulture)
            : value.ToString("0.######", CultureInfo.InvariantCulture);
        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) == value ? text : value.ToString("R", CultureInfo.InvariantCulture);
    }
}

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

    /// <summary>The field path of <paramref name="name"/> in this bag, as error messages name it. Contract 1.4.</summary>
    public string FieldPath(string name) => string.IsNullOrEmpty(Where) ? name : $"{Where}.{name}";

    string Field(string name) => FieldPath(name);
}
