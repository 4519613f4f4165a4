using System.Buffers.Binary;
using System.Text.Json.Nodes;
using System.Text.Json;
using System.Text;
using TorchSharp;
using Zoo.Abstractions;
using Zoo.Engine.Suites;
using static TorchSharp.torch;

namespace Zoo.Engine.Weights;

/// <summary>
/// Reads and writes the safetensors format (an 8-byte little-endian header length, a JSON header of
/// name → dtype, shape, data offsets, then the raw little-endian tensor bytes): the format PyTorch,
/// torchvision and timm users publish weights in. Keys are kept as they are, so a torchvision
/// state_dict saved with <c>safetensors.torch.save_file</c> loads into the zoo's model of the same name.
/// </summary>
public static class Safetensors
{
    static readonly Dictionary<ScalarType, string> Names = new()
    {
        [ScalarType.Float32] = "F32", [ScalarType.Float16] = "F16", [ScalarType.BFloat16] = "BF16", [ScalarType.Float64] = "F64",
        [ScalarType.Int64] = "I64", [ScalarType.Int32] = "I32", [ScalarType.Int16] = "I16", [ScalarType.Int8] = "I8",
        [ScalarType.Byte] = "U8", [ScalarType.Bool] = "BOOL",
    };

    static readonly Dictionary<string, ScalarType> Types = Names.ToDictionary(kv => kv.Value, kv => kv.Key);

    /// <summary>The metadata key of the checksum <see cref="Write"/> adds when asked: SHA-256 over the other metadata and the tensor data.</summary>
    public const string ChecksumKey = "zoo_sha256";

    /// <summary>Writes the tensors (moved to the CPU, made contiguous) with optional string metadata.</summary>
    /// <remarks>The file is written beside and renamed over <paramref name="path"/>; <paramref name="durable"/> also
    /// flushes it to the disk first, so a crash leaves the old file or the new one, never a torn one. A write that
    /// fails (a full disk) leaves <paramref name="path"/> as it was and throws <see cref="DiskFullException"/> or the IOException.</remarks>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null, bool durable = false) =>
        Save(path, tensors.Select(kv => new Entry(kv.Key, kv.Value.dtype, kv.Value.shape, () => kv.Value, Owned: false)).ToList(), metadata, durable);

    /// <summary>A tensor to write: its header facts up front, its data fetched only when its turn comes.</summary>
    /// <param name="Read">Gives the tensor; it is disposed after writing when <paramref name="Owned"/>.</param>
    public sealed record Entry(string Key, ScalarType Type, long[] Shape, Func<Tensor> Read, bool Owned = true);

    /// <summary>
    /// Writes tensors one at a time: the header is known from types and shapes, so each tensor is fetched, written
    /// and let go in turn (converting a large checkpoint holds one tensor at a time, not the whole model twice).
    /// </summary>
    public static void Save(string path, IReadOnlyList<Entry> entries, IReadOnlyDictionary<string, string>? metadata = null, bool durable = false)
    {
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
            header["__metadata__"] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        var order = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToList();
        long offset = 0;
        foreach (var e in order)
        {
            if (!Names.TryGetValue(e.Type, out var dtype)) throw new NotSupportedException($"{e.Key}: dtype {e.Type} has no safetensors name");
            long bytes = e.Shape.Aggregate(1L, (a, b) => a * b) * PthFile.ElementSize(e.Type);
            header[e.Key] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(e.Shape.Select(s => (JsonNode?)s).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;   // keep the data 8-byte aligned, as the reference writer does
        var tmp = path + ".tmp";
        try
        {
            using (var f = File.Create(tmp))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                f.Write(len);
                f.Write(json);
                for (int i = json.Length; i < padded; i++) f.WriteByte((byte)' ');
                foreach (var e in order)
                {
                    var t = e.Read();
                    try
                    {
                        if (t.dtype != e.Type || !t.shape.SequenceEqual(e.Shape)) throw new InvalidOperationException($"{e.Key}: the tensor is not the {e.Type} [{string.Join(", ", e.Shape)}] its entry announced");
                        // detach() and cpu() each make a tensor of their own: in a scope, so they do not wait for the
                        // finaliser (two per tensor per best-weights save piled up, measured in issue 13).
                        using var scope = torch.NewDisposeScope();
                        f.Write(t.detach().cpu().contiguous().bytes);
                    }
                    finally
                    {
                        if (e.Owned) t.Dispose();
                    }
                }
                if (durable) f.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e)
        {
            try { File.Delete(tmp); } catch (IOException) { }   // what it would replace is untouched
            if (e is IOException io && DiskFullException.Is(io)) throw new DiskFullException(path, io);
            throw;
        }
    }

    /// <summary>
    /// Writes the file at <paramref name="file"/> itself (no rename); with <paramref name="checksum"/> the metadata gets
    /// <see cref="ChecksumKey"/>, which <see cref="Damage"/> checks. On a failed write the partial file is removed.
    /// </summary>
    public static void Write(string file, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata, bool durable, bool checksum)
    {
        // The bytes are hashed and written straight from each tensor's own memory: copying the whole state into
        // managed arrays for every checkpoint left tens of MiB of large-object garbage per epoch (issue 13).
        var entries = new List<(string Key, JsonObject Node)>();
        var order = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var data = new List<Tensor>();
        try
        {
            long offset = 0;
            foreach (var key in order)
            {
                var t = tensors[key];
                if (!Names.TryGetValue(t.dtype, out var dtype)) throw new NotSupportedException($"{key}: dtype {t.dtype} has no safetensors name");
                Tensor cpu;
                using (var scope = torch.NewDisposeScope())   // detach() and cpu() make tensors of their own: gone with the scope
                    cpu = t.detach().cpu().contiguous().MoveToOuterDisposeScope();   // on the CPU a view of the same memory, not a copy
                data.Add(cpu);
                long length = cpu.bytes.Length;
                entries.Add((key, new JsonObject
                {
                    ["dtype"] = dtype,
                    ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode?)s).ToArray()),
                    ["data_offsets"] = new JsonArray(offset, offset + length),
                }));
                offset += length;
            }
            var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>());
            if (checksum)
            {
                meta.Remove(ChecksumKey);
                using var hash = MetadataHash(meta);
                foreach (var cpu in data) hash.AppendData(cpu.bytes);
                meta[ChecksumKey] = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            var header = new JsonObject();
            if (meta.Count > 0)
                header["__metadata__"] = new JsonObject(meta.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            foreach (var (key, node) in entries) header[key] = node;
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            int padded = (json.Length + 7) / 8 * 8;   // keep the data 8-byte aligned, as the reference writer does
            try
            {
                using var f = File.Create(file);
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
                f.Write(len);
                f.Write(json);
                for (int i = json.Length; i < padded; i++) f.WriteByte((byte)' ');
                foreach (var cpu in data) f.Write(cpu.bytes);
                if (durable) f.Flush(flushToDisk: true);
            }
            catch (IOException e)
            {
                try { File.Delete(file); } catch (IOException) { }   // a partial file helps nobody; what it would replace is untouched
                if (DiskFullException.Is(e)) throw new DiskFullException(file, e);
                throw;
            }
        }
        finally
        {
            foreach (var cpu in data) cpu.Dispose();
        }
    }

    /// <summary>A SHA-256 that has taken in the metadata but the checksum itself (ordinal key order); the tensor bytes follow in file order.</summary>
    static System.Security.Cryptography.IncrementalHash MetadataHash(IReadOnlyDictionary<string, string> metadata)
    {
        var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (k, v) in metadata.Where(kv => kv.Key != ChecksumKey).OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(k));
            hash.AppendData(new byte[] { 0 });
            hash.AppendData(Encoding.UTF8.GetBytes(v));
            hash.AppendData(new byte[] { 0 });
        }
        return hash;
    }

    /// <summary>SHA-256 (hex) over the metadata but the checksum itself (ordinal key order) and the tensor bytes in file order.</summary>
    static string Checksum(IReadOnlyDictionary<string, string> metadata, IEnumerable<ReadOnlyMemory<byte>> data)
    {
        using var hash = MetadataHash(metadata);
        foreach (var d in data) hash.AppendData(d.Span);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// Why the file at <paramref name="path"/> cannot be trusted (truncated, a header that does not parse, tensor data
    /// outside the file, a checksum that does not match its contents), or null when it is sound. A file written without
    /// a checksum is judged by its structure alone.
    /// </summary>
    public static string? Damage(string path)
    {
        try
        {
            using var f = File.OpenRead(path);
            var header = ReadHeader(f, path, out long dataStart);
            long end = 0;
            foreach (var (key, node) in header)
            {
                if (key == "__metadata__") continue;
                var offsets = node!["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                    return $"tensor '{key}' has impossible data offsets";
                end = Math.Max(end, offsets[1]);
            }
            if (dataStart + end > f.Length)
                return $"truncated: {f.Length} bytes where its header needs {dataStart + end}";
            var meta = Metadata(header);
            if (!meta.TryGetValue(ChecksumKey, out var expected)) return null;
            f.Position = dataStart;
            var actual = Checksum(meta, Chunks(f, end));
            return actual == expected ? null : "its contents do not match its checksum: a byte changed since it was written";
        }
        catch (ZooConfigException e) { return e.Message; }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException or IOException)
        {
            return $"unreadable: {e.Message}";
        }
    }

    static IEnumerable<ReadOnlyMemory<byte>> Chunks(Stream s, long length)
    {
        var buffer = new byte[64 * 1024];   // under the large-object threshold: checked once per epoch, it should leave no lasting garbage
        while (length > 0)
        {
            int n = s.Read(buffer, 0, (int)Math.Min(buffer.Length, length));
            if (n == 0) throw new EndOfStreamException("the file ends before its data does");
            length -= n;
            yield return buffer.AsMemory(0, n);
        }
    }

    /// <summary>Reads only the string metadata of a safetensors file.</summary>
    public static IReadOnlyDictionary<string, string> ReadMetadata(string path) => Inspect(path).Metadata;

    /// <summary>
    /// Reads the header alone (no tensor data): each tensor's shape by key, and the string metadata. A missing
    /// file or one that is not safetensors is a <see cref="ZooConfigException"/> naming the path.
    /// </summary>
    public static (IReadOnlyDictionary<string, long[]> Shapes, IReadOnlyDictionary<string, string> Metadata) Inspect(string path)
    {
        if (!File.Exists(path)) throw new ZooConfigException(path, "no such weights file");
        using var f = File.OpenRead(path);
        var header = ReadHeader(f, path, out _);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var (key, node) in header)
        {
            if (key == "__metadata__") continue;
            try { shapes[key] = node!["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray(); }
            catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
            {
                throw new ZooConfigException($"{path}: {key}", "not a safetensors file: the header has no shape for this tensor");
            }
        }
        return (shapes, Metadata(header));
    }

    static Dictionary<string, string> Metadata(JsonObject header)
    {
        var meta = new Dictionary<string, string>();
        // The format allows only strings here; a foreign writer's number or object is kept as its JSON text.
        if (header["__metadata__"] is JsonObject m)
            foreach (var (mk, mv) in m) meta[mk] = mv is JsonValue v && v.TryGetValue<string>(out var text) ? text : mv?.ToJsonString() ?? "";
        return meta;
    }

    static JsonObject ReadHeader(FileStream f, string path, out long dataStart)
    {
        Span<byte> len = stackalloc byte[8];
        if (f.Read(len) != 8) throw new ZooConfigException(path, "not a safetensors file: shorter than its 8-byte header length");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (n == 0 || n > 100_000_000 || (long)n > f.Length - 8)
            throw new ZooConfigException(path, $"not a safetensors file: header length {n} does not fit a {f.Length}-byte file");
        var headerBytes = new byte[n];
        f.ReadExactly(headerBytes);
        dataStart = 8 + (long)n;
        try { return JsonNode.Parse(headerBytes)!.AsObject(); }
        catch (JsonException e) { throw new ZooConfigException(path, $"not a safetensors file: its header is not JSON ({e.Message})"); }
    }

    /// <summary>Reads every tensor of a safetensors file onto the CPU; errors name the file and the key.</summary>
    public static Dictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        if (!File.Exists(path)) throw new ZooConfigException(path, "no such weights file");
        using var f = File.OpenRead(path);
        var header = ReadHeader(f, path, out long dataStart);
        var meta = Metadata(header);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, node) in header)
        {
            if (key == "__metadata__") continue;
            var o = node!.AsObject();
            var dtypeName = o["dtype"]?.GetValue<string>() ?? "";
            if (!Types.TryGetValue(dtypeName, out var dtype))
                throw new ZooConfigException($"{path}: {key}", $"dtype '{dtypeName}' is not supported; supported: {string.Join(", ", Types.Keys)}");
            var shape = o["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            var offsets = o["data_offsets"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
            long size = offsets[1] - offsets[0];
            if (offsets[0] < 0 || size < 0 || dataStart + offsets[1] > f.Length)
                throw new ZooConfigException($"{path}: {key}", "data offsets point outside the file (truncated download?)");
            var t = torch.empty(shape, dtype: dtype);
            var dest = t.bytes;
            if (dest.Length != size)
                throw new ZooConfigException($"{path}: {key}", $"{size} bytes for a {dtypeName} tensor of shape [{string.Join(", ", shape)}] that needs {dest.Length}");
            f.Position = dataStart + offsets[0];
            f.ReadExactly(dest);
            result[key] = t;
        }
        metadata = meta;
        return result;
    }
}
