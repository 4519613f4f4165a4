"""One convolution's training step at the stems of the 112 px RGB models, batch 16, in PyTorch, as bench/ops/conv.fsx
times it in Zoo's LibTorch (see there). Measuring only."""
import torch
import torch.nn.functional as F

from timing import median_ms

SHAPES = [  # name, in channels, out channels, kernel, input size, stride, padding (the same list as conv.fsx)
    ("squeezenet1_1 stem", 3, 64, 3, 112, 2, 0),
    ("same at stride 1", 3, 64, 3, 112, 1, 1),
    ("resnet18 stem", 3, 64, 7, 112, 2, 3),
    ("mobilenet_v2 stem", 3, 32, 3, 112, 2, 1),
]


print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
for name, cin, cout, k, h, st, pad in SHAPES:
    x = torch.randn(16, cin, h, h)
    w = torch.randn(cout, cin, k, k, requires_grad=True)
    b = torch.randn(cout, requires_grad=True)

    def step():
        F.conv2d(x, w, b, st, pad).sum().backward()
        w.grad.zero_()
        b.grad.zero_()

    print(f"{name:<20} {cin}x{h}x{h} -> {cout}, {k}x{k} stride {st} pad {pad}: {median_ms(step, 60):.3f} ms")
