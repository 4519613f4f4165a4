// Max-pool forward and forward+backward in Zoo's LibTorch 2.10 (through TorchSharp), at the three pooling shapes of
// SqueezeNet 1.1 at 112 px, batch 16: one kernel timed alone, to tell a gap in LibTorch's kernels from one in how
// Zoo's modules are written. maxpool.py times the same in PyTorch. Measuring only; nothing in Zoo runs this.
//   dotnet build Host/Cli -c Release
//   N=Host/Cli/bin/Release/net10.0/runtimes/linux-x64/native
//   OMP_NUM_THREADS=2 LD_LIBRARY_PATH=$N dotnet fsi bench/ops/maxpool.fsx; OMP_NUM_THREADS=2 /usr/bin/python3 bench/ops/maxpool.py
let bin = System.IO.Path.Combine(__SOURCE_DIRECTORY__, "../../Host/Cli/bin/Release/net10.0")
System.Runtime.InteropServices.NativeLibrary.Load(bin + "/runtimes/linux-x64/native/libtorch.so") |> ignore
System.Runtime.InteropServices.NativeLibrary.Load(bin + "/runtimes/linux-x64/native/libLibTorchSharp.so") |> ignore   // the copy the build patched
#r "../../Host/Cli/bin/Release/net10.0/TorchSharp.dll"
open System.Diagnostics
open TorchSharp

/// Median milliseconds of n calls after 5 warm-up calls.
let time (f: unit -> unit) n =
    for _ in 1..5 do f()
    let ts = [ for _ in 1..n -> (let s = Stopwatch.StartNew() in f(); s.Elapsed.TotalMilliseconds) ] |> List.sort
    ts.[n / 2]

printfn "LibTorch through TorchSharp, %d threads" (torch.get_num_threads())
for (c, h) in [ (64L, 55L); (128L, 27L); (256L, 13L) ] do
    let x = torch.randn([| 16L; c; h; h |], requires_grad = true)
    let pool (t: torch.Tensor) = torch.nn.functional.max_pool2d(t, [| 3L; 3L |], [| 2L; 2L |], ceil_mode = true)
    let fwd () = use _s = torch.NewDisposeScope() in pool(x).sum().item<float32>() |> ignore
    let both () =
        use _s = torch.NewDisposeScope()
        pool(x).sum().backward()
        x.grad.zero_() |> ignore
    printfn "maxpool 16x%dx%dx%d fwd %.3f ms  fwd+bwd %.3f ms" c h h (time fwd 200) (time both 200)
