using TorchSharp;

namespace Zoo.Host.Tests;

public sealed class TorchSharpTests
{
    [Fact]
    public void A_tensor_operation_runs_with_the_native_library_the_build_patched()
    {
        // If libLibTorchSharp.so could not be loaded (GLIBCXX_3.4.32 on an older libstdc++), this throws.
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }).reshape(2, 2);
        using var b = a.matmul(a);
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}
