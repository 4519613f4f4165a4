using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Engine.Results;

namespace Zoo.Engine.Suites;

/// <summary>
/// A run's events as one JSON line each (<c>{"type":"epoch_ended","event":{…}}</c>, ZooJson's snake_case), the message
/// stream a run in another process (a worker, a shard) sends its parent: the parent reads back the same typed
/// <see cref="SuiteEvent"/>s the run reported, so its console, UI and results see what they would see in process.
/// Suite-level events (<see cref="SuiteStarted"/>, <see cref="SuiteEnded"/>) stay with the parent and are not carried.
/// </summary>
public static class WorkerMessages
{
    static readonly Dictionary<string, Type> Types = new[]
    {
        typeof(DatasetOpened), typeof(DatasetMessage), typeof(RunStarted), typeof(RunSkipped), typeof(RunInputsChanged), typeof(WeightsLoaded),
        typeof(RunResumed), typeof(LearningRateFound), typeof(AnalysisEnded), typeof(RunWarning), typeof(RunNotLearning), typeof(StepProgress), typeof(EpochEnded), typeof(TargetReached),
        typeof(StoppedEarly), typeof(RunEnded),
    }.ToDictionary(t => JsonNamingPolicy.SnakeCaseLower.ConvertName(t.Name), StringComparer.Ordinal);

    /// <summary>Whether <paramref name="e"/> can be carried (every run and data set event).</summary>
    public static bool Carries(SuiteEvent e) => Types.ContainsKey(Name(e.GetType()));

    static string Name(Type t) => JsonNamingPolicy.SnakeCaseLower.ConvertName(t.Name);

    /// <summary>The event as one line of JSON (no line breaks inside).</summary>
    public static string Write(SuiteEvent e)
    {
        var name = Name(e.GetType());
        if (!Types.ContainsKey(name)) throw new ArgumentException($"{e.GetType().Name} stays with the parent and is not carried", nameof(e));
        var node = JsonSerializer.SerializeToNode(e, e.GetType(), ZooJson.Compact);
        var message = new JsonObject { ["type"] = name, ["event"] = node };
        // RunResult.Reused is not stored in results files, but the console hides a reused run's end by it.
        if (e is RunEnded { Result.Reused: true }) message["reused"] = true;
        return message.ToJsonString(ZooJson.Compact);
    }

    /// <summary>The event a line of <see cref="Write"/> holds; a line that is not one is a <see cref="FormatException"/> quoting it.</summary>
    public static SuiteEvent Read(string line)
    {
        try
        {
            var o = JsonNode.Parse(line)?.AsObject() ?? throw new FormatException("empty");
            var name = o["type"]?.GetValue<string>() ?? throw new FormatException("no \"type\"");
            if (!Types.TryGetValue(name, out var type)) throw new FormatException($"unknown type '{name}'");
            var e = (SuiteEvent)(o["event"].Deserialize(type, ZooJson.Compact) ?? throw new FormatException("no \"event\""));
            return e is RunEnded ended && o["reused"]?.GetValue<bool>() == true ? ended with { Result = ended.Result with { Reused = true } } : e;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NotSupportedException)
        {
            throw new FormatException($"not a worker message ({e.Message}): {(line.Length > 200 ? line[..200] + "…" : line)}", e);
        }
    }
}
