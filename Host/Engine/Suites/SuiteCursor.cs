using System.Globalization;
using System.Text.Json;
using Zoo.Abstractions;
using Zoo.Engine.Training;

namespace Zoo.Engine.Suites;

// The parser's reading of JSON: typed fields with ranges, each error naming the file and the field's path.
public static partial class SuiteParser
{
    /// <summary>Field-path bookkeeping for messages: "suite.json: recipe.optimizer.lr".</summary>
    sealed record Cursor(string File, string Path)
    {
        public Cursor In(string child) => this with { Path = Path.Length == 0 ? child : child.StartsWith('[') ? Path + child : $"{Path}.{child}" };
        public string Field(string name) => $"{File}: {(Path.Length == 0 ? name : $"{Path}.{name}")}";
        string Here => Path.Length == 0 ? File : $"{File}: {Path}";

        public void Expect(JsonElement el, JsonValueKind kind, string? what = null)
        {
            if (el.ValueKind != kind)
                throw new ZooConfigException(Here, $"expected {what ?? Article(kind)}, found {Article(el.ValueKind)}");
        }

        static string Article(JsonValueKind k) => k switch
        {
            JsonValueKind.Object => "an object", JsonValueKind.Array => "an array", JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number", JsonValueKind.True or JsonValueKind.False => "true or false", _ => "null",
        };

        public void OnlyFields(JsonElement el, IReadOnlyCollection<string> allowed)
        {
            foreach (var p in el.EnumerateObject())
                if (!allowed.Contains(p.Name))
                    throw new ZooConfigException(Field(p.Name), $"unknown field; {(NearestNames.DidYouMean(p.Name, allowed) is { } near ? near + " " : "")}allowed here: {string.Join(", ", allowed)}");
        }

        public JsonElement Required(JsonElement el, string name, JsonValueKind kind)
        {
            if (!el.TryGetProperty(name, out var v)) throw new ZooConfigException(Field(name), "required field is missing");
            In(name).Expect(v, kind);
            return v;
        }

        public string? Str(JsonElement el, string name)
        {
            if (!el.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.String) throw new ZooConfigException(Field(name), $"expected a string, found {Article(v.ValueKind)}");
            return v.GetString();
        }

        public double? Num(JsonElement el, string name, double min, double max)
        {
            if (!el.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number) throw new ZooConfigException(Field(name), $"expected a number, found {Article(v.ValueKind)}");
            var d = v.GetDouble();
            if (d < min || d > max)
                throw new ZooConfigException(Field(name), $"{d.ToString(CultureInfo.InvariantCulture)} is out of range; allowed {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");
            return d;
        }

        /// <summary>
        /// Whether a learning rate is the word "find" (a range test per model, issue 29); any other word is refused here,
        /// naming the field, so "fast" is not reported as merely "expected a number".
        /// </summary>
        public bool FindsLearningRate(JsonElement el, string name)
        {
            if (!el.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String) return false;
            if (v.GetString() == "find") return true;
            throw new ZooConfigException(Field(name), $"'{v.GetString()}' is not allowed; give a number more than 0, up to {OptimizerSpec.MaxLearningRate.ToString(CultureInfo.InvariantCulture)} (e.g. 0.001), " +
                "or \"find\" for a learning-rate range test per model (see docs/comparisons.md)");
        }

        /// <summary>A learning rate: more than 0 (0 would train nothing), at most 100.</summary>
        public double? LearningRate(JsonElement el, string name)
        {
            var lr = Num(el, name, 0, OptimizerSpec.MaxLearningRate);
            if (lr is not null && lr <= 0) throw new ZooConfigException(Field(name), OptimizerSpec.NotPositive(lr.Value));
            return lr;
        }

        /// <summary>The key a declared field has in its JSON object ("lr" of "optimizer.lr").</summary>
        static string Key(ParameterInfo field) => field.Name[(field.Name.LastIndexOf('.') + 1)..];

        /// <summary>A declared whole number (<see cref="SuiteFields"/>), or null where the file gives none.</summary>
        public int? IntOrNull(JsonElement el, Param<int> field) => DeclaredInt(el, field.Info);

        /// <summary>A declared whole number without a default of its own, or null.</summary>
        public int? IntOrNull(JsonElement el, Param<int?> field) => DeclaredInt(el, field.Info);

        int? DeclaredInt(JsonElement el, ParameterInfo field) =>
            Int(el, Key(field), (int)(field.Min ?? int.MinValue), (int)(field.Max ?? int.MaxValue));

        /// <summary>A declared whole number, or its default.</summary>
        public int Int(JsonElement el, Param<int> field) => IntOrNull(el, field) ?? field.Default;

        /// <summary>A declared number, or null where the file gives none.</summary>
        public double? NumOrNull(JsonElement el, Param<double> field) =>
            Num(el, Key(field.Info), field.Info.Min ?? double.NegativeInfinity, field.Info.Max ?? double.PositiveInfinity);

        /// <summary>A declared number, or its default.</summary>
        public double Num(JsonElement el, Param<double> field) => NumOrNull(el, field) ?? field.Default;

        /// <summary>A declared true/false, or its default.</summary>
        public bool Flag(JsonElement el, Param<bool> field)
        {
            var key = Key(field.Info);
            if (!el.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null) return field.Default;
            if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new ZooConfigException(Field(key), "expected true or false");
            return v.ValueKind == JsonValueKind.True;
        }

        /// <summary>A declared word among its choices, or its default; another word is refused with the nearest one and the list.</summary>
        public string Choice(JsonElement el, Param<string> field)
        {
            var key = Key(field.Info);
            var text = Str(el, key);
            if (text is null) return field.Default;
            var choices = field.Info.Choices ?? Array.Empty<string>();
            if (choices.Count == 0 || choices.Contains(text)) return text;
            throw new ZooConfigException(Field(key), Param.NotAmong(text, choices));
        }

        public int? Int(JsonElement el, string name, int min, int max)
        {
            if (!el.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var i))
                throw new ZooConfigException(Field(name), $"expected a whole number, found {(v.ValueKind == JsonValueKind.Number ? v.GetRawText() : Article(v.ValueKind))}");
            if (i < min || i > max) throw new ZooConfigException(Field(name), $"{i} is out of range; allowed {min} to {max}");
            return i;
        }

        /// <summary>Every field but the named ones, as a parameter bag (its Where is this object's path).</summary>
        public ParameterBag Rest(JsonElement el, IReadOnlyCollection<string> except)
        {
            var dict = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in el.EnumerateObject())
                if (!except.Contains(p.Name) && p.Value.ValueKind != JsonValueKind.Null)
                    dict[p.Name] = Text(p.Value, p.Name);
            return new ParameterBag(dict, Here);
        }

        public ParameterBag Bag(JsonElement el)
        {
            Expect(el, JsonValueKind.Object);
            return Rest(el, Array.Empty<string>());
        }

        string Text(JsonElement v, string name) => v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Array => v.GetRawText(),
            _ => throw new ZooConfigException(Field(name), $"expected a number, string, true/false or a list, found {Article(v.ValueKind)}"),
        };

        /// <summary>A list of {"name": …, parameters…} objects (or bare names).</summary>
        public IReadOnlyList<(string Name, ParameterBag Parameters)> NamedList(JsonElement el, string name)
        {
            if (!el.TryGetProperty(name, out var list) || list.ValueKind == JsonValueKind.Null) return Array.Empty<(string, ParameterBag)>();
            var at = In(name);
            at.Expect(list, JsonValueKind.Array);
            var result = new List<(string, ParameterBag)>();
            int i = 0;
            foreach (var item in list.EnumerateArray())
            {
                var iAt = at.In($"[{i++}]");
                if (item.ValueKind == JsonValueKind.String)
                {
                    result.Add((item.GetString()!, new ParameterBag(new Dictionary<string, string>(), iAt.Here)));
                    continue;
                }
                iAt.Expect(item, JsonValueKind.Object, "a name or an object with \"name\"");
                var n = iAt.Str(item, "name") ?? throw new ZooConfigException(iAt.Field("name"), "required");
                result.Add((n.ToLowerInvariant(), iAt.Rest(item, new[] { "name" })));
            }
            return result;
        }
    }
}
