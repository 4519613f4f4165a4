using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Zoo.Tui;

/// <summary>How the suite builder reads and writes a suite document: values as the form shows them, dotted paths, typed text.</summary>
static class DraftJson
{
    /// <summary>A value as the form shows it: a string as it is, anything else as its JSON.</summary>
    public static string Text(JsonNode? node) =>
        node is null ? "" : node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node.ToJsonString();

    public static JsonNode? At(JsonObject doc, string path)
    {
        JsonNode? node = doc;
        foreach (var part in path.Split('.'))
            node = node is JsonObject o ? o[part] : null;
        return node;
    }

    /// <summary>Sets (or, for null, removes) the value at a dotted path, making the objects on the way.</summary>
    public static void Set(JsonObject doc, string path, JsonNode? value)
    {
        var parts = path.Split('.');
        var o = doc;
        foreach (var part in parts[..^1])
        {
            if (o[part] is not JsonObject child)
            {
                if (value is null) return;
                o[part] = child = new JsonObject();
            }
            o = child;
        }
        if (value is null) o.Remove(parts[^1]);
        else o[parts[^1]] = value;
    }

    /// <summary>A number, true/false, a JSON list, or else the text itself (so that the parser names what it expected).</summary>
    public static JsonNode? Parse(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)) return i;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return d;
        if (text is "true" or "false") return text == "true";
        if (text.StartsWith('['))
            try { return JsonNode.Parse(text); } catch (JsonException) { }
        return text;
    }
}
