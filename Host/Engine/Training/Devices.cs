using TorchSharp;
using Zoo.Abstractions;
using static TorchSharp.torch;

namespace Zoo.Engine.Training;

/// <summary>
/// The one place a device name ("cpu", "cuda", "cuda:N") becomes a TorchSharp device, for every verb:
/// a name that is not a device, or a CUDA device this build or machine does not have, is a
/// <see cref="ZooConfigException"/> naming <paramref name="field"/> and the fix, before anything is built.
/// </summary>
public static class Devices
{
    public static Device Resolve(string? name, string field)
    {
        var text = string.IsNullOrWhiteSpace(name) ? "cpu" : name.Trim();
        Device device;
        try { device = new Device(text); }
        catch (Exception) { throw new ZooConfigException(field, $"'{text}' is not a device; use cpu, cuda or cuda:N"); }
        if (device.type == DeviceType.CPU) return device;
        if (device.type != DeviceType.CUDA)
            throw new ZooConfigException(field, $"'{text}' is a device the zoo does not train on; use cpu, cuda or cuda:N");
        if (!CudaAvailable())
            throw new ZooConfigException(field,
                $"'{text}': CUDA is not available ({CudaUnavailableReason()}); build with -p:ZooTorch=cuda on a machine with an NVIDIA driver (see `zoo doctor`), or use cpu");
        int count = torch.cuda.device_count();
        if (device.index >= count)
            throw new ZooConfigException(field, $"'{text}': this machine has {count} CUDA device(s), cuda:0 to cuda:{count - 1}");
        return device;
    }

    /// <summary>torch.cuda.is_available(), false (not a fault) where the natives cannot even ask.</summary>
    public static bool CudaAvailable()
    {
        try { return torch.cuda.is_available(); }
        catch (Exception) { return false; }
    }

    /// <summary>Why CUDA is missing, as far as the build tells: the CPU natives, or no usable driver.</summary>
    public static string CudaUnavailableReason() =>
        LoadedNatives().Any(p => Path.GetFileName(p).StartsWith("libtorch_cuda", StringComparison.Ordinal))
            ? "the CUDA LibTorch is loaded but finds no usable GPU or driver"
            : "this build references the CPU LibTorch package";

    /// <summary>Shared libraries mapped into this process (Linux), for the facts above and `zoo doctor`.</summary>
    internal static IReadOnlyList<string> LoadedNatives()
    {
        try
        {
            if (!OperatingSystem.IsLinux()) return Array.Empty<string>();
            return File.ReadLines("/proc/self/maps")
                .Select(l => l.IndexOf('/') is var i and >= 0 ? l[i..] : "")
                .Where(p => p.EndsWith(".so", StringComparison.Ordinal) || p.Contains(".so.", StringComparison.Ordinal))
                .Distinct().ToArray();
        }
        catch (IOException) { return Array.Empty<string>(); }
    }
}
