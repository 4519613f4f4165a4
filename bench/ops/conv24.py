"""conv24.fsx in PyTorch 1.13: NaN from k x k CPU convolutions with 16, 24, 32, 40 input channels after freed memory was
filled with NaN. Measuring only; nothing in Zoo needs Python.   /usr/bin/python3 bench/ops/conv24.py"""
import os
import torch
import torch.nn.functional as F

calls = int(os.environ.get("CALLS", "200"))
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '(unset)')}, {calls} calls per shape")
for cin in (16, 24, 32, 40):
    for cout, k, h, st in ((cin, 3, 28, 1), (96, 3, 56, 1), (cin, 3, 56, 2), (cin, 5, 14, 1), (cin, 1, 28, 1)):
        bad = 0
        for i in range(calls):
            if i % 10 == 0:
                p = torch.full((64 * 1024 * 1024,), float("nan"))
                del p
            x = torch.randn(16, cin, h, h, requires_grad=True)
            w = torch.randn(cout, cin, k, k, requires_grad=True)
            y = F.conv2d(x, w, stride=st, padding=k // 2)
            y.sum().backward()
            bad += int(bool(y.isnan().any() or x.grad.isnan().any() or w.grad.isnan().any()))
        print(f"{cin:3d} -> {cout:3d}  {k}x{k}  map {h:3d} stride {st}: {bad:3d} of {calls} calls with NaN")
