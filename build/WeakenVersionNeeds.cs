#nullable enable
// MSBuild inline task (see LibTorchSharpGlibcxx.targets): marks chosen version-needed entries of an
// ELF64 little-endian shared object weak (VER_FLG_WEAK) when the system's libstdc++ lacks them.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class ZooWeakenVersionNeeds : Task
{
    [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
    [Required] public string VersionNames { get; set; } = "";
    /// <summary>The libstdc++ to check instead of the one the loader would find (empty: find it).</summary>
    public string SystemLibStdCxx { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        var wanted = VersionNames.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries)
                                 .Select(s => s.Trim()).ToList();
        var system = string.IsNullOrEmpty(SystemLibStdCxx) ? FindSystemLibStdCxx() : SystemLibStdCxx;
        byte[]? systemBytes = system is null ? null : File.ReadAllBytes(system);
        // Only versions the system library does not define need weakening.
        var missing = wanted.Where(v => systemBytes is null || IndexOf(systemBytes, Encoding.ASCII.GetBytes(v + "\0")) < 0).ToList();
        if (missing.Count == 0)
        {
            Log.LogMessage(MessageImportance.Low, $"Zoo: {system} provides {string.Join(", ", wanted)}; libLibTorchSharp.so left as it is.");
            return true;
        }
        foreach (var item in Files)
        {
            var path = item.GetMetadata("FullPath");
            try
            {
                var changed = Patch(path, missing);
                if (changed.Count > 0)
                    Log.LogMessage(MessageImportance.High, $"Zoo: marked {string.Join(", ", changed)} weak in {path} (system libstdc++ lacks it; the symbol behind it is a link-time marker).");
            }
            catch (Exception e)
            {
                Log.LogWarning($"Zoo: could not patch {path}: {e.Message}. TorchSharp may fail to load on this system.");
            }
        }
        return !Log.HasLoggedErrors;
    }

    static string? FindSystemLibStdCxx()
    {
        var fromEnv = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "")
            .Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "libstdc++.so.6"));
        return fromEnv.Concat(LibStdCxxCandidates).FirstOrDefault(File.Exists);
    }

    /// <summary>Sets VER_FLG_WEAK on the named vernaux entries; returns the names it changed.</summary>
    static List<string> Patch(string path, List<string> names)
    {
        var bytes = File.ReadAllBytes(path);
        var changed = new List<string>();
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        ulong shoff = BitConverter.ToUInt64(bytes, 0x28);
        int shentsize = BitConverter.ToUInt16(bytes, 0x3A);
        int shnum = BitConverter.ToUInt16(bytes, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)shoff + i * shentsize);
            if (BitConverter.ToUInt32(bytes, sh + 4) != ShtGnuVerneed) continue;
            int verneedOff = checked((int)BitConverter.ToUInt64(bytes, sh + 24));
            int strtabIndex = (int)BitConverter.ToUInt32(bytes, sh + 40);
            int verneedCount = (int)BitConverter.ToUInt32(bytes, sh + 44);
            int strOff = checked((int)BitConverter.ToUInt64(bytes, checked((int)shoff + strtabIndex * shentsize) + 24));

            int vn = verneedOff;
            for (int n = 0; n < verneedCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(bytes, vn + 2);
                int vna = vn + (int)BitConverter.ToUInt32(bytes, vn + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string name = ReadCString(bytes, strOff + (int)BitConverter.ToUInt32(bytes, vna + 8));
                    ushort flags = BitConverter.ToUInt16(bytes, vna + 4);
                    if (names.Contains(name) && (flags & VerFlgWeak) == 0)
                    {
                        var f = BitConverter.GetBytes((ushort)(flags | VerFlgWeak));
                        bytes[vna + 4] = f[0];
                        bytes[vna + 5] = f[1];
                        changed.Add(name);
                    }
                    vna += (int)BitConverter.ToUInt32(bytes, vna + 12);
                }
                vn += (int)BitConverter.ToUInt32(bytes, vn + 12);
            }
        }
        if (changed.Count > 0)
        {
            // Write beside and move over, so a hard link into the package cache is never written through.
            var tmp = path + ".zoo-tmp";
            File.WriteAllBytes(tmp, bytes);
            File.Delete(path);
            File.Move(tmp, path);
        }
        return changed;
    }

    static string ReadCString(byte[] b, int off)
    {
        int end = off;
        while (end < b.Length && b[end] != 0) end++;
        return Encoding.ASCII.GetString(b, off, end - off);
    }

    static int IndexOf(byte[] hay, byte[] needle)
    {
        for (int i = 0; i <= hay.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && hay[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
