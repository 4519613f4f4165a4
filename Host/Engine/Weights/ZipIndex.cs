using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Zoo.Abstractions;

namespace Zoo.Engine.Weights;

/// <summary>The central directory of a zip archive, read by hand so each entry's data offset is known (stored entries are read in place).</summary>
static class ZipIndex
{
    internal sealed record Entry(long DataOffset, long Size, int Method);

    public static Dictionary<string, Entry> Read(SafeFileHandle file, long length)
    {
        // The end-of-central-directory record is in the last 22 + 65535 bytes; a truncated download has none.
        int tail = (int)Math.Min(length, 22 + 65535);
        var buf = new byte[tail];
        ReadAt(file, buf, length - tail);
        int eocd = -1;
        for (int i = tail - 22; i >= 0; i--)
            if (BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(i)) == 0x06054b50) { eocd = i; break; }
        if (eocd < 0) throw new InvalidDataException("the zip archive has no end record: the file is truncated (an interrupted download?) or damaged");
        long count = BinaryPrimitives.ReadUInt16LittleEndian(buf.AsSpan(eocd + 10));
        long cdSize = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(eocd + 12));
        long cdOffset = BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(eocd + 16));
        if ((count == 0xFFFF || cdSize == 0xFFFFFFFF || cdOffset == 0xFFFFFFFF) && eocd >= 20
            && BinaryPrimitives.ReadUInt32LittleEndian(buf.AsSpan(eocd - 20)) == 0x07064b50)
        {
            long z64 = BinaryPrimitives.ReadInt64LittleEndian(buf.AsSpan(eocd - 20 + 8));
            var rec = new byte[56];
            ReadAt(file, rec, z64);
            if (BinaryPrimitives.ReadUInt32LittleEndian(rec) != 0x06064b50) throw new InvalidDataException("a damaged zip64 end record");
            count = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(32));
            cdSize = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(40));
            cdOffset = BinaryPrimitives.ReadInt64LittleEndian(rec.AsSpan(48));
        }
        if (cdOffset + cdSize > length || cdSize > int.MaxValue) throw new InvalidDataException("the zip directory lies outside the file (truncated or damaged)");
        var cd = new byte[cdSize];
        ReadAt(file, cd, cdOffset);
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        int p = 0;
        var local = new byte[30];
        for (long n = 0; n < count; n++)
        {
            if (p + 46 > cd.Length || BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p)) != 0x02014b50) throw new InvalidDataException("a damaged zip directory");
            int method = BinaryPrimitives.ReadUInt16LittleEndian(cd.AsSpan(p + 10));
            long compressed = BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p + 20));
            long size = BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p + 24));
            int nameLen = BinaryPrimitives.ReadUInt16LittleEndian(cd.AsSpan(p + 28));
            int extraLen = BinaryPrimitives.ReadUInt16LittleEndian(cd.AsSpan(p + 30));
            int commentLen = BinaryPrimitives.ReadUInt16LittleEndian(cd.AsSpan(p + 32));
            long offset = BinaryPrimitives.ReadUInt32LittleEndian(cd.AsSpan(p + 42));
            var name = System.Text.Encoding.UTF8.GetString(cd, p + 46, nameLen);
            // zip64: the real sizes and offset are in extra field 0x0001, in this order, for each that overflowed.
            int e = p + 46 + nameLen, end = e + extraLen;
            while (e + 4 <= end)
            {
                int id = BinaryPrimitives.ReadUInt16LittleEndian(cd.AsSpan(e));
                int len = BinaryPrimitives.ReadUInt16LittleEndian(cd.AsSpan(e + 2));
                if (id == 1)
                {
                    int q = e + 4;
                    if (size == 0xFFFFFFFF) { size = BinaryPrimitives.ReadInt64LittleEndian(cd.AsSpan(q)); q += 8; }
                    if (compressed == 0xFFFFFFFF) { compressed = BinaryPrimitives.ReadInt64LittleEndian(cd.AsSpan(q)); q += 8; }
                    if (offset == 0xFFFFFFFF) offset = BinaryPrimitives.ReadInt64LittleEndian(cd.AsSpan(q));
                }
                e += 4 + len;
            }
            p += 46 + nameLen + extraLen + commentLen;
            if (offset + 30 > length) throw new InvalidDataException($"entry {name} lies outside the file (truncated?)");
            ReadAt(file, local, offset);
            if (BinaryPrimitives.ReadUInt32LittleEndian(local) != 0x04034b50) throw new InvalidDataException($"entry {name}: a damaged local header");
            long data = offset + 30 + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(26)) + BinaryPrimitives.ReadUInt16LittleEndian(local.AsSpan(28));
            if (data + compressed > length) throw new InvalidDataException($"entry {name} ends past the end of the file (truncated?)");
            entries[name] = new Entry(data, method == 0 ? size : compressed, method);
        }
        return entries;
    }

    public static byte[] ReadAll(SafeFileHandle file, Entry e, string name)
    {
        if (e.Method != 0) throw new InvalidDataException($"{name} is compressed; torch.save stores entries uncompressed");
        if (e.Size > int.MaxValue) throw new InvalidDataException($"{name} is too large");
        var b = new byte[e.Size];
        ReadAt(file, b, e.DataOffset);
        return b;
    }

    static void ReadAt(SafeFileHandle file, Span<byte> dest, long at)
    {
        int done = 0;
        while (done < dest.Length)
        {
            int n = RandomAccess.Read(file, dest[done..], at + done);
            if (n == 0) throw new InvalidDataException("the file ends early (truncated?)");
            done += n;
        }
    }
}
