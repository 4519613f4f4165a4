using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using Zoo.Abstractions;
using static TorchSharp.torch;

namespace Zoo.Engine.Weights;

/// <summary>One storage of a checkpoint: its element type and length, and where its bytes lie in the file.</summary>
public sealed record PthStorage(string Key, ScalarType Type, long Numel)
{
    /// <summary>Byte offset of element 0 in the file (set once the file's layout is known).</summary>
    internal long FileOffset { get; set; } = -1;
}

/// <summary>A tensor of a checkpoint, not yet read: a view (offset, shape, strides in elements) of a storage.</summary>
public sealed record PthTensor(PthStorage Storage, long Offset, long[] Shape, long[] Stride)
{
    /// <summary>The element type.</summary>
    public ScalarType Type => Storage.Type;
}

/// <summary>
/// Reads PyTorch checkpoints without Python: the zip format <c>torch.save</c> writes since PyTorch 1.6
/// (<c>&lt;name&gt;/data.pkl</c> plus one stored, uncompressed file per storage) and the older single-stream
/// format. The pickle is read by a restricted <see cref="Unpickler"/> whose allow-list holds only what a
/// state dict needs; tensors stay on disk until <see cref="Read"/> copies one out (only the bytes its view
/// covers), so converting or loading a large checkpoint never holds the file twice.
/// </summary>
public sealed class PthFile : IDisposable
{
    /// <summary>Storage classes torch.save names, by element type.</summary>
    static readonly Dictionary<string, ScalarType> StorageTypes = new()
    {
        ["FloatStorage"] = ScalarType.Float32, ["HalfStorage"] = ScalarType.Float16, ["BFloat16Storage"] = ScalarType.BFloat16,
        ["DoubleStorage"] = ScalarType.Float64, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
    };

    /// <summary>Names a state dict's pickle may use. Everything else (os.system, builtins.eval, a user's class) is refused.</summary>
    static readonly HashSet<string> AllowedFunctions = new(StringComparer.Ordinal)
    {
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state", "torch.Size",
    };

    readonly SafeFileHandle _file;
    readonly Dictionary<string, PthStorage> _storages = new(StringComparer.Ordinal);

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The unpickled object: dictionaries, lists, tuples, numbers, strings and <see cref="PthTensor"/>s.</summary>
    public object? Root { get; }

    /// <summary>"zip" (PyTorch 1.6 and later) or "legacy".</summary>
    public string Format { get; }

    PthFile(string path, SafeFileHandle file, object? root, string format)
    {
        Path = path;
        _file = file;
        Root = root;
        Format = format;
    }

    /// <summary>A zip archive's first local header, "PK\x03\x04".</summary>
    static readonly byte[] ZipMagic = [0x50, 0x4b, 0x03, 0x04];

    /// <summary>The legacy format's start: pickle protocol 2, then torch.save's magic number 0x1950a86a20f9469cfc6c as a LONG1.</summary>
    static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    /// <summary>
    /// Whether the file starts like a PyTorch checkpoint: a zip archive, or the legacy format's magic number. The
    /// whole signature is compared, since a safetensors file starts with its header's length, whose low bytes can be anything.
    /// </summary>
    public static bool Looks(string path)
    {
        if (!File.Exists(path)) return false;
        Span<byte> head = stackalloc byte[LegacyMagic.Length];
        using var f = File.OpenRead(path);
        int n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return Starts(head[..n]) is not null;
    }

    static string? Starts(ReadOnlySpan<byte> head) =>
        head.StartsWith(ZipMagic) ? "zip" : head.StartsWith(LegacyMagic) ? "legacy" : null;

    /// <summary>
    /// Opens and unpickles a checkpoint (tensor data stays on disk). Errors are <see cref="ZooConfigException"/>s
    /// naming the file: a missing, truncated or foreign file, or a pickle that names a global outside the allow-list.
    /// </summary>
    public static PthFile Open(string path)
    {
        if (!File.Exists(path)) throw new ZooConfigException(path, "no such weights file");
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(file);
            Span<byte> head = stackalloc byte[LegacyMagic.Length];
            int got = RandomAccess.Read(file, head, 0);
            if (got == 0) throw new ZooConfigException(path, "not a PyTorch checkpoint: the file is empty");
            switch (Starts(head[..got]))
            {
                case "zip": return OpenZip(path, file, length);
                case "legacy": return OpenLegacy(path, file, length);
            }
            throw new ZooConfigException(path, "not a PyTorch checkpoint: it is neither a zip archive (torch.save since PyTorch 1.6) nor a pickle (the older format)");
        }
        catch (PickleRefusedException e)
        {
            file.Dispose();
            throw new ZooConfigException(path, $"refused: {e.Message}. A weights file needs only tensors and dictionaries; load the checkpoint in PyTorch you trust and save its state_dict alone (torch.save(model.state_dict(), path)).");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or OverflowException or ArgumentException)
        {
            // A damaged pickle or directory (a number that does not parse or fit, a length past the end): the user's file, not a fault.
            file.Dispose();
            throw new ZooConfigException(path, $"not a readable PyTorch checkpoint: {e.Message}");
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    static Unpickler NewUnpickler(Func<object?, object?> persistentLoad) => new()
    {
        Allowed = g => AllowedFunctions.Contains(g.FullName) || (g.Module == "torch" && StorageTypes.ContainsKey(g.Name)),
        Reduce = Rebuild,
        PersistentLoad = persistentLoad,
    };

    /// <summary>The allowed calls, done in C#: nothing from the file is executed.</summary>
    static object? Rebuild(PyGlobal g, IReadOnlyList<object?> args)
    {
        switch (g.FullName)
        {
            case "collections.OrderedDict":
            {
                var dict = new OrderedDictionary<object, object?>();
                if (args.Count > 0 && args[0] is List<object?> pairs)
                    foreach (var pair in pairs)
                        if (pair is PyTuple { Items.Count: 2 } kv) dict[kv.Items[0] ?? PyNone.Value] = kv.Items[1];
                return dict;
            }
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
            {
                if (args.Count < 4 || args[0] is not PthStorage storage || args[2] is not PyTuple size || args[3] is not PyTuple stride)
                    throw new InvalidDataException($"{g.FullName} with unexpected arguments {new PyTuple(args.ToArray())}");
                var shape = size.Items.Select(Int).ToArray();
                var strides = stride.Items.Select(Int).ToArray();
                if (shape.Length != strides.Length) throw new InvalidDataException($"a tensor of {shape.Length} dimensions with {strides.Length} strides");
                return new PthTensor(storage, Int(args[1]), shape, strides);
            }
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Count > 0 ? args[0] : throw new InvalidDataException($"{g.FullName} without its tensor");
            case "torch.Size":
                return args.Count > 0 && args[0] is PyTuple t ? t : new PyTuple(Array.Empty<object?>());
            default:
                // A storage class is allowed as a name (persistent ids carry it) but never as something to call.
                throw new PickleRefusedException($"the pickle calls '{g.FullName}', which a weights checkpoint never does; it was refused and nothing ran");
        }
    }

    static long Int(object? o) => o is long l ? l : throw new InvalidDataException($"expected an integer, found {o ?? "None"}");

    /// <summary>("storage", torch.FloatStorage, key, location, numel[, view metadata]) → the shared storage of that key.</summary>
    static PthStorage Storage(object? pid, Dictionary<string, PthStorage> storages)
    {
        if (pid is not PyTuple { Items.Count: >= 5 } t || t.Items[0] is not "storage" || t.Items[1] is not PyGlobal type || t.Items[2] is not string key)
            throw new InvalidDataException($"unexpected persistent id {pid}");
        if (!StorageTypes.TryGetValue(type.Name, out var dtype))
            throw new PickleRefusedException($"storage type '{type.FullName}' is not one this reader takes; supported: {string.Join(", ", StorageTypes.Keys)}");
        if (t.Items.Count > 5 && t.Items[5] is not null)
            throw new InvalidDataException("a storage view of the pre-1.0 format; load it in PyTorch and save it again");
        if (storages.TryGetValue(key, out var known)) return known;
        var s = new PthStorage(key, dtype, Int(t.Items[4]));
        storages[key] = s;
        return s;
    }

    static PthFile OpenZip(string path, SafeFileHandle file, long length)
    {
        var entries = ZipIndex.Read(file, length);
        var pkl = entries.Keys.Where(k => k.EndsWith("data.pkl", StringComparison.Ordinal) && k.Count(c => c == '/') == 1).ToList();
        if (pkl.Count != 1)
            throw new InvalidDataException(pkl.Count == 0 ? "a zip archive without <name>/data.pkl: not written by torch.save" : "a zip archive with several data.pkl files");
        var prefix = pkl[0][..^"data.pkl".Length];
        if (entries.TryGetValue(prefix + "byteorder", out var bo))
        {
            var order = System.Text.Encoding.ASCII.GetString(ZipIndex.ReadAll(file, bo, prefix + "byteorder"));
            if (order != "little") throw new InvalidDataException($"storages are {order}-endian; only little-endian checkpoints are read");
        }
        var storages = new Dictionary<string, PthStorage>(StringComparer.Ordinal);
        var root = NewUnpickler(pid => Storage(pid, storages)).Load(ZipIndex.ReadAll(file, entries[pkl[0]], pkl[0]));
        foreach (var s in storages.Values)
        {
            var name = prefix + "data/" + s.Key;
            if (!entries.TryGetValue(name, out var e)) throw new InvalidDataException($"storage {name} is missing from the archive");
            if (e.Method != 0) throw new InvalidDataException($"storage {name} is compressed; torch.save stores them uncompressed (was the file re-zipped?)");
            long need = s.Numel * ElementSize(s.Type);
            if (e.Size < need) throw new InvalidDataException($"storage {name} has {e.Size} bytes for {s.Numel} elements of {s.Type}");
            s.FileOffset = e.DataOffset;
        }
        var result = new PthFile(path, file, root, "zip");
        foreach (var s in storages) result._storages[s.Key] = s.Value;
        return result;
    }

    /// <summary>
    /// The format before PyTorch 1.6: pickles of a magic number, a protocol version and system info, then the
    /// object, then the list of storage keys, then each storage as an 8-byte element count and its raw bytes.
    /// </summary>
    static unsafe PthFile OpenLegacy(string path, SafeFileHandle file, long length)
    {
        using var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* ptr = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
        try
        {
            var all = new ReadOnlySpan<byte>(ptr + view.PointerOffset, (int)Math.Min(length, int.MaxValue));
            var storages = new Dictionary<string, PthStorage>(StringComparer.Ordinal);
            var plain = NewUnpickler(_ => throw new InvalidDataException("a persistent id in the header"));
            long pos = 0;
            var magic = plain.Load(all, out int used);
            pos += used;
            if (magic is not System.Numerics.BigInteger m || m != System.Numerics.BigInteger.Parse("119547037146038801333356"))
                throw new InvalidDataException("a pickle that is not a PyTorch checkpoint (no torch.save magic number)");
            plain.Load(all[(int)pos..], out used); pos += used;           // protocol version
            plain.Load(all[(int)pos..], out used); pos += used;           // sys_info
            var root = NewUnpickler(pid => Storage(pid, storages)).Load(all[(int)pos..], out used); pos += used;
            if (plain.Load(all[(int)pos..], out used) is not List<object?> keys) throw new InvalidDataException("no storage key list after the object");
            pos += used;
            foreach (var k in keys)
            {
                if (k is not string key || !storages.TryGetValue(key, out var s)) throw new InvalidDataException($"storage key {k} is not used by the object");
                if (pos + 8 > length) throw new InvalidDataException($"the file ends before storage {key} (truncated file?)");
                long numel = BinaryPrimitives.ReadInt64LittleEndian(all.Slice((int)pos, 8));
                s.FileOffset = pos + 8;
                pos += 8 + numel * ElementSize(s.Type);
                if (pos > length) throw new InvalidDataException($"the file ends inside storage {key} (truncated file?)");
            }
            var result = new PthFile(path, file, root, "legacy");
            foreach (var s in storages) result._storages[s.Key] = s.Value;
            return result;
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>Bytes per element.</summary>
    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>
    /// Copies one tensor out of the file onto the CPU: only the span of its storage that the view covers is
    /// read, and a non-contiguous view is made contiguous. Tensors that share a storage each get their own copy.
    /// </summary>
    public Tensor Read(PthTensor t)
    {
        if (t.Shape.Any(d => d < 0) || t.Stride.Any(d => d < 0))
            throw new ZooConfigException(Path, $"a tensor of storage {t.Storage.Key} with a negative size or stride (a damaged file?)");
        long numel, extent = 1;
        try
        {
            numel = t.Shape.Aggregate(1L, (a, b) => checked(a * b));
            if (numel == 0) return torch.empty(t.Shape, dtype: t.Type);
            for (int i = 0; i < t.Shape.Length; i++) extent = checked(extent + (t.Shape[i] - 1) * t.Stride[i]);
        }
        catch (OverflowException)
        {
            throw new ZooConfigException(Path, $"a tensor of storage {t.Storage.Key} whose size overflows (a damaged file?)");
        }
        if (t.Offset < 0 || t.Offset + extent > t.Storage.Numel)
            throw new ZooConfigException(Path, $"a tensor view reaches past its storage {t.Storage.Key} ({t.Offset} + {extent} > {t.Storage.Numel} elements)");
        int size = ElementSize(t.Type);
        var flat = torch.empty(extent, dtype: t.Type);
        try
        {
            var dest = flat.bytes;
            long at = t.Storage.FileOffset + t.Offset * size;
            int done = 0;
            while (done < dest.Length)
            {
                int n = RandomAccess.Read(_file, dest[done..], at + done);
                if (n == 0) throw new ZooConfigException(Path, $"the file ends inside storage {t.Storage.Key} (truncated file?)");
                done += n;
            }
            bool contiguous = true;
            long expect = 1;
            for (int i = t.Shape.Length - 1; i >= 0; i--)
            {
                if (t.Shape[i] != 1 && t.Stride[i] != expect) contiguous = false;
                expect *= t.Shape[i];
            }
            if (contiguous && extent == numel) return flat.view(t.Shape);
            using var view = flat.as_strided(t.Shape, t.Stride, 0);
            return view.contiguous();
        }
        finally
        {
            flat.Dispose();   // the returned tensor keeps the memory it shares
        }
    }

    /// <summary>
    /// The state dict in the checkpoint: the root when it is one, else the entry <paramref name="entry"/> names
    /// ("model_ema", or a path "model/state_dict"), else the one common entry (state_dict, model…) that holds
    /// one. <paramref name="stripPrefix"/> ("module." of DataParallel) is removed from the keys that start with it.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, PthTensor>> StateDict(string? entry = null, string? stripPrefix = null)
    {
        object? node = Root;
        if (entry is { Length: > 0 })
        {
            var walked = new List<string>();
            foreach (var part in entry.Split('/'))
            {
                if (node is not OrderedDictionary<object, object?> d || !d.TryGetValue(part, out node))
                    throw new ZooConfigException(Path, $"has no entry '{string.Join("/", walked.Append(part))}'; {Describe(walked.Count == 0 ? Root : node)}");
                walked.Add(part);
            }
            if (!IsStateDict(node)) throw new ZooConfigException(Path, $"entry '{entry}' is not a state dict (a dictionary of tensors); {Describe(node)}");
        }
        else if (!IsStateDict(node))
        {
            var candidates = node is OrderedDictionary<object, object?> top
                ? top.Where(kv => kv.Key is string && IsStateDict(kv.Value)).Select(kv => (string)kv.Key).ToList()
                : new List<string>();
            if (candidates.Count == 1) node = ((OrderedDictionary<object, object?>)Root!)[candidates[0]];
            else if (candidates.Count == 0) throw new ZooConfigException(Path, $"holds no state dict (a dictionary of tensors); {Describe(Root)}");
            else throw new ZooConfigException(Path, $"holds several state dicts ({string.Join(", ", candidates)}); name the one to load (\"weights_entry\" in a suite, --weights-entry or --entry on the command line)");
        }
        var result = new List<KeyValuePair<string, PthTensor>>();
        foreach (var (k, v) in (OrderedDictionary<object, object?>)node!)
        {
            var key = (string)k;
            if (stripPrefix is { Length: > 0 } && key.StartsWith(stripPrefix, StringComparison.Ordinal)) key = key[stripPrefix.Length..];
            result.Add(KeyValuePair.Create(key, (PthTensor)v!));
        }
        var twice = result.GroupBy(kv => kv.Key).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ZooConfigException(Path, $"key '{twice.Key}' appears twice once '{stripPrefix}' is removed");
        return result;
    }

    static bool IsStateDict(object? o) =>
        o is OrderedDictionary<object, object?> d && d.Count > 0 && d.All(kv => kv.Key is string && kv.Value is PthTensor);

    static string Describe(object? o) => o is OrderedDictionary<object, object?> d
        ? $"its keys: {string.Join(", ", d.Keys.Take(12).Select(k => k.ToString()))}{(d.Count > 12 ? $" … ({d.Count})" : "")}"
        : $"it holds a {o?.GetType().Name ?? "None"}";

    /// <summary>Reads the whole state dict onto the CPU (the caller disposes the tensors).</summary>
    public Dictionary<string, Tensor> ReadStateDict(string? entry = null, string? stripPrefix = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, t) in StateDict(entry, stripPrefix)) result[key] = Read(t);
            return result;
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();
}
