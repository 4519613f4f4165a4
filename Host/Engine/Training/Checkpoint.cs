using System.Text.Json;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Results;
using Zoo.Engine.Weights;
using static TorchSharp.torch;

namespace Zoo.Engine.Training;

/// <summary>What a checkpoint holds besides tensors: where the run is and what it has measured.</summary>
public sealed record CheckpointState
{
    public int Version { get; init; } = 1;
    /// <summary>The run's fingerprint (<see cref="Suites.RunIdentity.Hash"/>); a checkpoint of other inputs is not resumed.</summary>
    public string Fingerprint { get; init; } = "";
    /// <summary>The inputs behind <see cref="Fingerprint"/>, so a rerun can say what changed.</summary>
    public Suites.RunIdentity? Identity { get; init; }
    public int EpochsDone { get; init; }
    public double ElapsedSeconds { get; init; }
    public IReadOnlyList<EpochRecord> Epochs { get; init; } = Array.Empty<EpochRecord>();
    public Dictionary<string, double> Schedule { get; init; } = new();
    public long EmaUpdates { get; init; }
    /// <summary>The fp16 loss scaler's state (null: not fp16).</summary>
    public LossScalerState? LossScaler { get; init; }
    /// <summary>Epoch and elapsed seconds at which the recipe's target was first reached.</summary>
    public int? TargetEpoch { get; init; }
    public double? TargetSeconds { get; init; }
}

/// <summary>
/// A per-epoch checkpoint in one .safetensors file: the model ("model.*"), the weights' moving average
/// ("ema.*"), the optimiser's state and the CPU random generator's state (as byte tensors), and a JSON
/// <see cref="CheckpointState"/> in the metadata, with a SHA-256 of all of it (<see cref="Safetensors.ChecksumKey"/>).
/// Written beside, flushed to the disk and read back against its checksum; only then does the old one become
/// the previous checkpoint (<see cref="PreviousPath"/>) and the new one take its name. So a kill at any moment
/// leaves a complete checkpoint, and one damaged later (truncated, a flipped bit) still has its predecessor.
/// </summary>
public static class Checkpoint
{
    // Schedules keep infinities (plateau's best before the first epoch), which plain JSON numbers cannot hold.
    static readonly JsonSerializerOptions Json = new() { WriteIndented = false, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public static void Save(string path, nn.Module<Tensor, Tensor> model, torch.optim.Optimizer optimizer, WeightAverage? ema, CheckpointState state)
    {
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (k, v) in model.state_dict()) tensors["model." + k] = v;
        if (ema is not null)
            foreach (var (k, v) in ema.Model.state_dict()) tensors["ema." + k] = v;
        using (var ms = new MemoryStream())
        {
            using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) ((TorchSharp.Modules.OptimizerHelper)optimizer).save_state_dict(w);
            tensors["optimizer"] = torch.tensor(ms.ToArray(), dtype: ScalarType.Byte);
        }
        tensors["rng"] = torch.random.get_rng_state();
        var tmp = path + ".tmp";
        Safetensors.Write(tmp, tensors, new Dictionary<string, string>
        {
            ["format"] = "zoo-checkpoint",
            ["state"] = JsonSerializer.Serialize(state, Json),
        }, durable: true, checksum: true);
        if (Safetensors.Damage(tmp) is { } damage)
        {
            File.Delete(tmp);
            throw new IOException($"{path}: the checkpoint just written does not read back ({damage}); the previous one is kept");
        }
        if (File.Exists(path)) File.Move(path, PreviousPath(path), overwrite: true);
        File.Move(tmp, path);
    }

    /// <summary>Where the checkpoint before the one at <paramref name="path"/> is kept: x.checkpoint.safetensors → x.checkpoint.previous.safetensors.</summary>
    public static string PreviousPath(string path) =>
        path.EndsWith(".safetensors", StringComparison.Ordinal) ? path[..^".safetensors".Length] + ".previous.safetensors" : path + ".previous";

    /// <summary>Why the checkpoint cannot be trusted (truncated, a checksum that does not match), or null when it is sound (<see cref="Safetensors.Damage"/>).</summary>
    public static string? Damage(string path) => Safetensors.Damage(path);

    /// <summary>Removes a run's checkpoint and the one before it (the run is over).</summary>
    public static void Delete(string path)
    {
        File.Delete(path);
        File.Delete(PreviousPath(path));
    }

    /// <summary>Reads only the state (no tensors), or null when the file is missing or not a checkpoint.</summary>
    public static CheckpointState? PeekState(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var meta = Safetensors.ReadMetadata(path);
            return meta.TryGetValue("state", out var s) ? JsonSerializer.Deserialize<CheckpointState>(s, Json) : null;
        }
        catch (Exception e) when (e is IOException or JsonException or ZooConfigException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Restores model, moving average, optimiser and random state; returns the state.</summary>
    public static CheckpointState Load(string path, nn.Module<Tensor, Tensor> model, torch.optim.Optimizer optimizer, WeightAverage? ema)
    {
        var tensors = Safetensors.Load(path, out var meta);
        try
        {
            if (!meta.TryGetValue("state", out var s))
                throw new ZooConfigException(path, "not a zoo checkpoint (no \"state\" metadata); delete it to start the run afresh");
            var state = JsonSerializer.Deserialize<CheckpointState>(s, Json)!;
            // Every tensor is looked for before any is copied, so a checkpoint that does not fit leaves the model as it was.
            Check(model, tensors, "model.", path);
            if (ema is not null) Check(ema.Model, tensors, "ema.", path);
            foreach (var key in new[] { "optimizer", "rng" })
                if (!tensors.ContainsKey(key)) throw new ZooConfigException(path, $"checkpoint lacks '{key}'; delete it to start afresh");
            Restore(model, tensors, "model.", path);
            if (ema is not null) Restore(ema.Model, tensors, "ema.", path);
            if (ema is not null) ema.Updates = state.EmaUpdates;
            var bytes = tensors["optimizer"].data<byte>().ToArray();
            using (var r = new BinaryReader(new MemoryStream(bytes))) ((TorchSharp.Modules.OptimizerHelper)optimizer).load_state_dict(r);
            torch.random.set_rng_state(tensors["rng"]);
            return state;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    static void Check(nn.Module<Tensor, Tensor> model, Dictionary<string, Tensor> tensors, string prefix, string path)
    {
        foreach (var (k, v) in model.state_dict())
        {
            if (!tensors.TryGetValue(prefix + k, out var saved))
                throw new ZooConfigException(path, $"checkpoint lacks '{prefix + k}'; it was written for another model; delete it to start afresh");
            if (!saved.shape.SequenceEqual(v.shape))
                throw new ZooConfigException(path, $"'{prefix + k}' has shape [{string.Join(", ", saved.shape)}] where the model has [{string.Join(", ", v.shape)}]; delete it to start afresh");
        }
    }

    static void Restore(nn.Module<Tensor, Tensor> model, Dictionary<string, Tensor> tensors, string prefix, string path)
    {
        using var noGrad = torch.no_grad();
        foreach (var (k, v) in model.state_dict())
        {
            if (!tensors.TryGetValue(prefix + k, out var saved))
                throw new ZooConfigException(path, $"checkpoint lacks '{prefix + k}'; it was written for another model; delete it to start afresh");
            v.copy_(saved.to(v.device));
        }
    }
}
