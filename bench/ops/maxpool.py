"""Max-pool forward and forward+backward in PyTorch at the three pooling shapes of SqueezeNet 1.1 at 112 px, batch 16,
as bench/ops/maxpool.fsx times them in Zoo's LibTorch (see there). Measuring only."""
import torch
import torch.nn.functional as F

from timing import median_ms


print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
for c, h in [(64, 55), (128, 27), (256, 13)]:
    x = torch.randn(16, c, h, h, requires_grad=True)

    def fwd():
        F.max_pool2d(x, 3, 2, ceil_mode=True).sum().item()

    def both():
        F.max_pool2d(x, 3, 2, ceil_mode=True).sum().backward()
        x.grad.zero_()

    print(f"maxpool 16x{c}x{h}x{h} fwd {median_ms(fwd, 200):.3f} ms  fwd+bwd {median_ms(both, 200):.3f} ms")
