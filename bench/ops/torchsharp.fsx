// What bench/ops' F# scripts share: LibTorch loaded from the Release build (the copy of libLibTorchSharp.so the build
// patched), TorchSharp referenced, and a median timer. `#load "torchsharp.fsx"` and `open Torchsharp` in a script.
let bin = System.IO.Path.Combine(__SOURCE_DIRECTORY__, "../../Host/Cli/bin/Release/net10.0")
System.Runtime.InteropServices.NativeLibrary.Load(bin + "/runtimes/linux-x64/native/libtorch.so") |> ignore
System.Runtime.InteropServices.NativeLibrary.Load(bin + "/runtimes/linux-x64/native/libLibTorchSharp.so") |> ignore
#r "../../Host/Cli/bin/Release/net10.0/TorchSharp.dll"

/// Median milliseconds of n calls after 5 warm-up calls.
let time (f: unit -> unit) n =
    for _ in 1..5 do f()
    let ts = [ for _ in 1..n -> (let s = System.Diagnostics.Stopwatch.StartNew() in f(); s.Elapsed.TotalMilliseconds) ] |> List.sort
    ts.[n / 2]
