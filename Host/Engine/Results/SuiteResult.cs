using System.Text.Json.Serialization;
using Zoo.Engine.Suites;

namespace Zoo.Engine.Results;

/// <summary>
/// Everything a suite produced: the one results model that every output reads (comparison.md,
/// results.json, the console table, the terminal UI).
/// </summary>
public sealed record SuiteResult(Suite Suite, DatasetSummary Dataset, IReadOnlyList<RunResult> Runs, string OutputDirectory)
{
    public bool AllFinished => !Interrupted && Runs.All(r => r.Status == RunStatus.Finished);

    /// <summary>The suite was stopped before its last run ended; a rerun resumes it.</summary>
    public bool Interrupted { get; init; }
}

/// <summary>The data set as a run saw it.</summary>
public sealed record DatasetSummary(string Name, int Channels, int Height, int Width, IReadOnlyList<string> Classes,
    int Train, [property: JsonPropertyName("val")] int Validation, int Test,
    [property: JsonPropertyName("val_source")] string ValidationSource,
    IReadOnlyList<float> Mean, IReadOnlyList<float> Std, IReadOnlyList<string> Skipped)
{
    /// <summary>Where <see cref="Mean"/> and <see cref="Std"/> come from: dataset (computed on train), imagenet or none.</summary>
    public string Normalization { get; init; } = "dataset";

    /// <summary>Images per class in each split ("train", "val", "test"), in class order.</summary>
    public IReadOnlyDictionary<string, int[]>? ClassCounts { get; init; }

    /// <summary>
    /// [width, height] of the original image files per split ("train", "val", "test", or "all"), up to
    /// <see cref="Data.DatasetStatistics.MaxSizeSamples"/> each (a seeded sample above that); null for sets that are not image files.
    /// </summary>
    public IReadOnlyDictionary<string, int[][]>? OriginalSizes { get; init; }

    /// <summary>The files (or generator) the set was read from, for deciding whether a finished run is still current.</summary>
    [JsonIgnore] public DataIdentity? Identity { get; init; }
}
