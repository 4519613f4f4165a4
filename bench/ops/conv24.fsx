// Issue 28: does LibTorch 2.10's CPU convolution with exactly 24 input channels return NaN, on this machine, with no
// Zoo code involved? The guard in plugins/Layers/OneDnnGuard.cs pads such convolutions to 32 channels because it did on
// an earlier machine. Here: fill freed memory with NaN (a large NaN tensor, disposed, so the allocator hands its pages
// out again), then run k x k convolutions with 16, 24, 32 and 40 input channels, forward and backward, many times, and
// count the calls whose output or gradients hold a NaN. Inputs are finite and contiguous, so any NaN is the kernel's.
//   dotnet build Host/Cli -c Release
//   N=Host/Cli/bin/Release/net10.0/runtimes/linux-x64/native
//   LD_LIBRARY_PATH=$N dotnet fsi bench/ops/conv24.fsx                          # the CPU's best ISA
//   ONEDNN_MAX_CPU_ISA=AVX2 LD_LIBRARY_PATH=$N dotnet fsi bench/ops/conv24.fsx  # capped, as the tests run
//   /usr/bin/python3 bench/ops/conv24.py                                       # the same in PyTorch 1.13
#load "torchsharp.fsx"
open Torchsharp
open TorchSharp

let calls = match System.Environment.GetEnvironmentVariable "CALLS" with null | "" -> 200 | s -> int s
printfn "LibTorch through TorchSharp, %d threads, ONEDNN_MAX_CPU_ISA=%s, %d calls per shape" (torch.get_num_threads())
    (match System.Environment.GetEnvironmentVariable "ONEDNN_MAX_CPU_ISA" with null -> "(unset)" | s -> s) calls
let poison () =
    use p = torch.empty([| 64L * 1024L * 1024L |]).fill_(System.Single.NaN.ToScalar())   // 256 MB of NaN, then freed
    ()
let hasNaN (t: torch.Tensor) = t.isnan().any().item<bool>()
// in channels, out channels, kernel, map size, stride, batch (ShuffleNet V2 x1.0's first stage at 112 px: 24 channels, 28x28)
let shapes =
    [ for cin in [ 16L; 24L; 32L; 40L ] do
        for (cout, k, h, st) in [ (cin, 3L, 28L, 1L); (96L, 3L, 56L, 1L); (cin, 3L, 56L, 2L); (cin, 5L, 14L, 1L); (cin, 1L, 28L, 1L) ] do
          yield (cin, cout, k, h, st, 16L) ]
for (cin, cout, k, h, st, n) in shapes do
    let mutable bad = 0
    for i in 1 .. calls do
        use _s = torch.NewDisposeScope()
        if i % 10 = 1 then poison ()
        let x = torch.randn([| n; cin; h; h |], requires_grad = true)
        let w = torch.randn([| cout; cin; k; k |], requires_grad = true)
        let y = torch.nn.functional.conv2d(x, w, strides = [| st; st |], padding = [| k / 2L; k / 2L |])
        y.sum().backward()
        if hasNaN y || hasNaN x.grad || hasNaN w.grad then bad <- bad + 1
    printfn "%3d -> %3d  %dx%d  map %3d stride %d: %3d of %d calls with NaN" cin cout k k h st bad calls
