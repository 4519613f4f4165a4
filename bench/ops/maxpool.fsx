// Max-pool forward and forward+backward in Zoo's LibTorch 2.10 (through TorchSharp), at the three pooling shapes of
// SqueezeNet 1.1 at 112 px, batch 16: one kernel timed alone, to tell a gap in LibTorch's kernels from one in how
// Zoo's modules are written. maxpool.py times the same in PyTorch. Measuring only; nothing in Zoo runs this.
//   dotnet build Host/Cli -c Release
//   N=Host/Cli/bin/Release/net10.0/runtimes/linux-x64/native
//   OMP_NUM_THREADS=2 LD_LIBRARY_PATH=$N dotnet fsi bench/ops/maxpool.fsx; OMP_NUM_THREADS=2 /usr/bin/python3 bench/ops/maxpool.py
#load "torchsharp.fsx"
open Torchsharp
open TorchSharp

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
