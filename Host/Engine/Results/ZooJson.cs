using System.Text.Json;
using System.Text.Json.Serialization;

namespace Zoo.Engine.Results;

/// <summary>
/// The one way Zoo writes its records to disk: snake_case names, enums as snake_case strings, and
/// NaN/infinity allowed (a diverged run's loss, a plateau schedule's best before its first epoch).
/// </summary>
public static class ZooJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The same, on one line (checkpoint metadata).</summary>
    public static readonly JsonSerializerOptions Compact = new(Options) { WriteIndented = false };
}
