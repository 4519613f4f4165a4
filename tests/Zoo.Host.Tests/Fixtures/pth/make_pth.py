#!/usr/bin/python3
"""Writes the small PyTorch checkpoints the .pth reader's tests load (WeightFormatTests).

Run once while developing, with Debian's PyTorch (apt-get install python3-torchvision: torch 1.13,
torchvision 0.14); the outputs are committed and the tests never run Python:

    /usr/bin/python3 tests/Zoo.Host.Tests/Fixtures/pth/make_pth.py tests/Zoo.Host.Tests/Fixtures/pth

expected.json holds what PyTorch itself says each file contains, so the C# reader is checked against
PyTorch, not against itself.
"""
import json
import math
import os
import sys

import torch
import torchvision

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
expected = {"torch": torch.__version__, "torchvision": torchvision.__version__}


def values(t):
    return t.detach().double().flatten().tolist() if t.dtype != torch.bool else [bool(v) for v in t.flatten().tolist()]


def probe_input(n, c, h, w):
    # The same input in C#: x[i] = sin(0.37 * i), in row-major order.
    return torch.sin(0.37 * torch.arange(n * c * h * w, dtype=torch.float64)).float().reshape(n, c, h, w)


# 1. A torchvision model's state dict (shufflenet_v2_x0_5 with a 10-class head: 1.4 MB) and its logits.
model = torchvision.models.shufflenet_v2_x0_5(num_classes=10)
with torch.no_grad():
    for name, buf in model.named_buffers():   # running statistics off their defaults, so they matter
        if name.endswith("running_mean"):
            buf.copy_(torch.randn_like(buf) * 0.1)
        elif name.endswith("running_var"):
            buf.copy_(torch.rand_like(buf) + 0.5)
model.eval()
x = probe_input(2, 3, 96, 96)   # 96 px and up: Zoo adapts smaller inputs (no stem stride), torchvision does not
with torch.no_grad():
    logits = model(x)
torch.save(model.state_dict(), os.path.join(out, "shufflenet_v2_x0_5.pth"))
expected["shufflenet_v2_x0_5"] = {"input": [2, 3, 96, 96], "logits": values(logits), "keys": len(model.state_dict())}

# 2. Every dtype a checkpoint uses.
g = torch.Generator().manual_seed(1)
dtypes = {
    "f32": torch.randn(3, 4, generator=g),
    "f16": torch.randn(5, generator=g).half(),
    "bf16": torch.randn(2, 3, generator=g).bfloat16(),
    "f64": torch.randn(4, generator=g).double(),
    "i64": torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4),
    "i32": torch.tensor([-(2 ** 31), 0, 2 ** 31 - 1], dtype=torch.int32),
    "u8": torch.tensor([0, 7, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
    "scalar": torch.tensor(42, dtype=torch.int64),   # like num_batches_tracked: zero dimensions
}
torch.save(dtypes, os.path.join(out, "dtypes.pth"))
expected["dtypes"] = {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "values": values(v)} for k, v in dtypes.items()}

# 3. Views: a transpose and a strided slice (non-contiguous), and several tensors sharing one storage.
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = {"base": base, "transposed": base.t(), "sliced": base[1:, 2:5], "strided": base[::2, ::3], "row": base[2]}
torch.save(views, os.path.join(out, "views.pth"))
expected["views"] = {k: {"shape": list(v.shape), "stride": list(v.stride()), "offset": v.storage_offset(), "values": values(v)} for k, v in views.items()}

# 4. A training checkpoint: the model next to an optimizer's state, an epoch and plain settings.
small = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 2))
opt = torch.optim.Adam(small.parameters(), lr=1e-3)
small(torch.randn(2, 3, 8, 8, generator=g)).sum().backward()
opt.step()
small_sd = small.state_dict()
torch.save({"epoch": 3, "model": small_sd, "optimizer": opt.state_dict(), "args": {"lr": 1e-3, "name": "small", "sizes": (8, 8)}},
           os.path.join(out, "checkpoint.pth"))
ema = {k: v.float() * 0.5 if v.is_floating_point() else v for k, v in small_sd.items()}
torch.save({"model": small_sd, "model_ema": ema}, os.path.join(out, "two_models.pth"))
expected["small"] = {k: {"shape": list(v.shape), "values": values(v)} for k, v in small_sd.items()}
expected["small_ema"] = {k: {"shape": list(v.shape), "values": values(v)} for k, v in ema.items()}

# 5. A DataParallel checkpoint: every key starts with "module.".
torch.save(torch.nn.DataParallel(small).state_dict(), os.path.join(out, "dataparallel.pth"))

# 6. The format before PyTorch 1.6.
torch.save(small_sd, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)


# 7. A hostile file: unpickling it with pickle/torch.load(weights_only=False) would run a shell command.
class Hostile:
    def __reduce__(self):
        return (os.system, ("touch /tmp/zoo-pth-hostile-ran",))


torch.save({"weight": torch.zeros(2), "payload": Hostile()}, os.path.join(out, "hostile.pth"))

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1)
    f.write("\n")
for name in sorted(os.listdir(out)):
    print(f"{os.path.getsize(os.path.join(out, name)):>9}  {name}")
