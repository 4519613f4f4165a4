// One convolution's training step (forward, then the weight and bias gradients; the input is an image batch and needs
// none) in Zoo's LibTorch 2.10 through TorchSharp, at the stems of the 112 px RGB models, batch 16: a gap here is
// LibTorch's, since no Zoo code runs. conv.py times the same in PyTorch. Measuring only; nothing in Zoo runs this.
//   dotnet build Host/Cli -c Release
//   N=Host/Cli/bin/Release/net10.0/runtimes/linux-x64/native
//   OMP_NUM_THREADS=2 LD_LIBRARY_PATH=$N dotnet fsi bench/ops/conv.fsx; OMP_NUM_THREADS=2 /usr/bin/python3 bench/ops/conv.py
#load "torchsharp.fsx"
open Torchsharp
open TorchSharp

// name, in channels, out channels, kernel, input size, stride, padding (the same list as conv.py)
let shapes =
    [ "squeezenet1_1 stem", 3L, 64L, 3L, 112L, 2L, 0L
      "same at stride 1", 3L, 64L, 3L, 112L, 1L, 1L
      "resnet18 stem", 3L, 64L, 7L, 112L, 2L, 3L
      "mobilenet_v2 stem", 3L, 32L, 3L, 112L, 2L, 1L ]
printfn "LibTorch through TorchSharp, %d threads" (torch.get_num_threads())
for (name, cin, cout, k, h, st, pad) in shapes do
    let x = torch.randn([| 16L; cin; h; h |])
    let w = torch.randn([| cout; cin; k; k |], requires_grad = true)
    let b = torch.randn([| cout |], requires_grad = true)
    let step () =
        use _s = torch.NewDisposeScope()
        torch.nn.functional.conv2d(x, w, b, [| st; st |], [| pad; pad |]).sum().backward()
        w.grad.zero_() |> ignore
        b.grad.zero_() |> ignore
    printfn "%-20s %dx%dx%d -> %d, %dx%d stride %d pad %d: %.3f ms" name cin h h cout k k st pad (time step 60)
