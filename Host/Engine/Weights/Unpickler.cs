using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace Zoo.Engine.Weights;

/// <summary>A Python tuple as the unpickler returns it.</summary>
public sealed record PyTuple(IReadOnlyList<object?> Items)
{
    /// <summary>The items, for messages.</summary>
    public override string ToString() => $"({string.Join(", ", Items)})";
}

/// <summary>A module-level name the pickle referred to (a class or a function). It is only a name: nothing is imported or called.</summary>
public sealed record PyGlobal(string Module, string Name)
{
    /// <summary>module.name.</summary>
    public string FullName => $"{Module}.{Name}";

    /// <inheritdoc/>
    public override string ToString() => FullName;
}

/// <summary>A pickle asked for something that is not on the allow-list (a global, an opcode): refused, nothing ran.</summary>
public sealed class PickleRefusedException(string message) : Exception(message);

/// <summary>
/// A restricted unpickler: it reads the pickle opcodes that checkpoints use into plain values (null, bool,
/// long/BigInteger, double, string, byte[], <see cref="List{T}"/>, <see cref="PyTuple"/>, an ordered dictionary),
/// and hands every module-level name to an allow-list. A name that is not allowed is refused when the
/// pickle names it, before any call could happen; an allowed one is "called" only by the caller's own
/// C# code (<see cref="Reduce"/>), so no Python code, and no code the file chooses, ever runs.
/// </summary>
public sealed class Unpickler
{
    /// <summary>Which globals may be named. Anything else is refused with its name.</summary>
    public required Func<PyGlobal, bool> Allowed { get; init; }

    /// <summary>What calling an allowed global with these arguments gives (REDUCE, NEWOBJ).</summary>
    public required Func<PyGlobal, IReadOnlyList<object?>, object?> Reduce { get; init; }

    /// <summary>What a persistent id (torch's storages) stands for; null refuses persistent ids.</summary>
    public Func<object?, object?>? PersistentLoad { get; init; }

    static readonly object Mark = new();

    /// <summary>Reads one pickle from <paramref name="data"/> (which may hold more after its STOP).</summary>
    public object? Load(ReadOnlySpan<byte> data) => Load(data, out _);

    /// <summary>Reads one pickle and says how many bytes it took.</summary>
    public object? Load(ReadOnlySpan<byte> data, out int consumed)
    {
        var stack = new List<object?>();
        var marks = new Stack<int>();
        var memo = new Dictionary<long, object?>();
        int p = 0;

        ReadOnlySpan<byte> Take(ReadOnlySpan<byte> d, int n)
        {
            if (n < 0 || p + n > d.Length) throw new InvalidDataException("the pickle ends early (truncated file?)");
            var s = d.Slice(p, n);
            p += n;
            return s;
        }
        string Line(ReadOnlySpan<byte> d)
        {
            int end = d[p..].IndexOf((byte)'\n');
            if (end < 0) throw new InvalidDataException("the pickle ends early (truncated file?)");
            var s = Encoding.UTF8.GetString(d.Slice(p, end));
            p += end + 1;
            return s;
        }
        object? Pop()
        {
            if (stack.Count == 0) throw new InvalidDataException("malformed pickle: pop from an empty stack");
            var v = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return v;
        }
        List<object?> PopMark()
        {
            if (marks.Count == 0) throw new InvalidDataException("malformed pickle: no MARK");
            int at = marks.Pop();
            var items = stack.GetRange(at, stack.Count - at);
            stack.RemoveRange(at, stack.Count - at);
            return items;
        }
        object? Top() => stack.Count > 0 ? stack[^1] : throw new InvalidDataException("malformed pickle: empty stack");
        PyGlobal Global(string module, string name)
        {
            var g = new PyGlobal(module, name);
            if (!Allowed(g))
                throw new PickleRefusedException($"the pickle names '{g.FullName}', which is not on the allow-list of a weights checkpoint; it was refused and nothing ran");
            return g;
        }
        object? Call(object? callable, IReadOnlyList<object?> args) => callable is PyGlobal g
            ? Reduce(g, args)
            : throw new InvalidDataException($"malformed pickle: call of a non-global ({callable})");
        static void SetItem(object? target, object? key, object? value)
        {
            if (target is not OrderedDictionary<object, object?> dict) throw new InvalidDataException("malformed pickle: SETITEM on a non-dict");
            dict[key ?? PyNone.Value] = value;
        }

        while (true)
        {
            if (p >= data.Length) throw new InvalidDataException("the pickle ends early (truncated file?)");
            byte op = data[p++];
            switch (op)
            {
                case 0x80: Take(data, 1); break;                                                 // PROTO
                case 0x95: Take(data, 8); break;                                                 // FRAME
                case (byte)'.': consumed = p; return Pop();                                     // STOP
                case (byte)'(': marks.Push(stack.Count); break;                                  // MARK
                case (byte)'0': Pop(); break;                                                    // POP
                case (byte)'1': PopMark(); break;                                                // POP_MARK
                case (byte)'2': stack.Add(Top()); break;                                         // DUP
                case (byte)'N': stack.Add(null); break;
                case 0x88: stack.Add(true); break;
                case 0x89: stack.Add(false); break;
                case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))); break;
                case (byte)'K': stack.Add((long)Take(data, 1)[0]); break;
                case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(data, 2))); break;
                case 0x8a: stack.Add(Long(Take(data, Take(data, 1)[0]))); break;                 // LONG1
                case 0x8b: stack.Add(Long(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))))); break;
                case (byte)'I':                                                                  // INT (text)
                {
                    var s = Line(data);
                    stack.Add(s == "00" ? false : s == "01" ? true : long.Parse(s, CultureInfo.InvariantCulture));
                    break;
                }
                case (byte)'L': stack.Add(Narrow(BigInteger.Parse(Line(data).TrimEnd('L'), CultureInfo.InvariantCulture))); break;
                case (byte)'F': stack.Add(double.Parse(Line(data), CultureInfo.InvariantCulture)); break;
                case (byte)'G': stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(data, 8))); break;
                case (byte)'X': stack.Add(Encoding.UTF8.GetString(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))))); break;
                case 0x8c: stack.Add(Encoding.UTF8.GetString(Take(data, Take(data, 1)[0]))); break;
                case 0x8d: stack.Add(Encoding.UTF8.GetString(Take(data, checked((int)BinaryPrimitives.ReadInt64LittleEndian(Take(data, 8)))))); break;
                case (byte)'T': stack.Add(Encoding.Latin1.GetString(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))))); break;
                case (byte)'U': stack.Add(Encoding.Latin1.GetString(Take(data, Take(data, 1)[0]))); break;
                case (byte)'B': stack.Add(Take(data, BinaryPrimitives.ReadInt32LittleEndian(Take(data, 4))).ToArray()); break;
                case (byte)'C': stack.Add(Take(data, Take(data, 1)[0]).ToArray()); break;
                case 0x8e: stack.Add(Take(data, checked((int)BinaryPrimitives.ReadInt64LittleEndian(Take(data, 8)))).ToArray()); break;
                case (byte)'S':                                                                  // STRING (text, quoted)
                {
                    var s = Line(data);
                    stack.Add(s.Length >= 2 ? s[1..^1] : s);
                    break;
                }
                case (byte)'V': stack.Add(Line(data)); break;                                    // UNICODE (raw-unicode-escape; plain text is enough here)
                case (byte)'}': stack.Add(new OrderedDictionary<object, object?>()); break;
                case (byte)'d':
                {
                    var items = PopMark();
                    var dict = new OrderedDictionary<object, object?>();
                    for (int i = 0; i + 1 < items.Count; i += 2) SetItem(dict, items[i], items[i + 1]);
                    stack.Add(dict);
                    break;
                }
                case (byte)']': stack.Add(new List<object?>()); break;
                case (byte)'l': stack.Add(PopMark()); break;
                case (byte)')': stack.Add(new PyTuple(Array.Empty<object?>())); break;
                case (byte)'t': stack.Add(new PyTuple(PopMark())); break;
                case 0x85: stack.Add(new PyTuple(new[] { Pop() })); break;
                case 0x86: { var b = Pop(); var a = Pop(); stack.Add(new PyTuple(new[] { a, b })); break; }
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); stack.Add(new PyTuple(new[] { a, b, c })); break; }
                case 0x8f: stack.Add(new List<object?>()); break;                                // EMPTY_SET: a list is enough to hold it
                case 0x90: { var items = PopMark(); if (Top() is List<object?> set) set.AddRange(items); break; }   // ADDITEMS
                case 0x91: stack.Add(PopMark()); break;                                          // FROZENSET
                case (byte)'a': { var v = Pop(); (Top() as List<object?> ?? throw new InvalidDataException("malformed pickle: APPEND to a non-list")).Add(v); break; }
                case (byte)'e': { var items = PopMark(); (Top() as List<object?> ?? throw new InvalidDataException("malformed pickle: APPENDS to a non-list")).AddRange(items); break; }
                case (byte)'s': { var v = Pop(); var k = Pop(); SetItem(Top(), k, v); break; }
                case (byte)'u':
                {
                    var items = PopMark();
                    var target = Top();
                    for (int i = 0; i + 1 < items.Count; i += 2) SetItem(target, items[i], items[i + 1]);
                    break;
                }
                case (byte)'p': memo[long.Parse(Line(data), CultureInfo.InvariantCulture)] = Top(); break;
                case (byte)'q': memo[Take(data, 1)[0]] = Top(); break;
                case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4))] = Top(); break;
                case 0x94: memo[memo.Count] = Top(); break;                                      // MEMOIZE
                case (byte)'g': stack.Add(Memo(memo, long.Parse(Line(data), CultureInfo.InvariantCulture))); break;
                case (byte)'h': stack.Add(Memo(memo, Take(data, 1)[0])); break;
                case (byte)'j': stack.Add(Memo(memo, BinaryPrimitives.ReadUInt32LittleEndian(Take(data, 4)))); break;
                case (byte)'c': { var module = Line(data); var name = Line(data); stack.Add(Global(module, name)); break; }
                case 0x93:                                                                       // STACK_GLOBAL
                {
                    var name = Pop() as string;
                    var module = Pop() as string;
                    if (module is null || name is null) throw new InvalidDataException("malformed pickle: STACK_GLOBAL without two strings");
                    stack.Add(Global(module, name));
                    break;
                }
                case (byte)'R': { var args = Pop() as PyTuple; var f = Pop(); stack.Add(Call(f, args?.Items ?? Array.Empty<object?>())); break; }
                case 0x81: { var args = Pop() as PyTuple; var cls = Pop(); stack.Add(Call(cls, args?.Items ?? Array.Empty<object?>())); break; }   // NEWOBJ
                case 0x92: { Pop(); var args = Pop() as PyTuple; var cls = Pop(); stack.Add(Call(cls, args?.Items ?? Array.Empty<object?>())); break; }
                case (byte)'b':                                                                  // BUILD: set the state of the object below
                {
                    var state = Pop();
                    // An OrderedDict's state is its attributes (torch keeps "_metadata" there): not needed for the tensors.
                    if (Top() is OrderedDictionary<object, object?>) break;
                    throw new InvalidDataException($"malformed pickle: BUILD on {Top()?.GetType().Name ?? "None"}");
                }
                case (byte)'Q':                                                                      // BINPERSID
                {
                    var pid = Pop();
                    stack.Add(PersistentLoad is { } load ? load(pid) : throw new PickleRefusedException("the pickle refers to external data (a persistent id), which this reader does not take"));
                    break;
                }
                case (byte)'P':
                {
                    var pid = Line(data);
                    stack.Add(PersistentLoad is { } load ? load(pid) : throw new PickleRefusedException("the pickle refers to external data (a persistent id), which this reader does not take"));
                    break;
                }
                case (byte)'i':                                                                  // INST: module, name, then a call
                {
                    var g = Global(Line(data), Line(data));
                    stack.Add(Call(g, PopMark()));
                    break;
                }
                case (byte)'o': { var items = PopMark(); stack.Add(Call(items.Count > 0 ? items[0] : null, items.Skip(1).ToList())); break; }   // OBJ
                default:
                    throw new PickleRefusedException($"the pickle uses opcode 0x{op:x2} at byte {p - 1}, which this reader does not take");
            }
        }
    }

    static object? Memo(Dictionary<long, object?> memo, long key) =>
        memo.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"malformed pickle: memo {key} was never stored");

    /// <summary>A two's-complement little-endian integer: a long where it fits, else a BigInteger.</summary>
    static object Long(ReadOnlySpan<byte> bytes) => bytes.Length == 0 ? 0L : Narrow(new BigInteger(bytes, isUnsigned: false, isBigEndian: false));

    static object Narrow(BigInteger b) => b >= long.MinValue && b <= long.MaxValue ? (long)b : b;
}

/// <summary>Python's None as a dictionary key (a .NET dictionary takes no null keys).</summary>
public sealed class PyNone
{
    /// <summary>The one None.</summary>
    public static readonly PyNone Value = new();

    /// <inheritdoc/>
    public override string ToString() => "None";
}
