"""The steps `zoo bench models` times, in PyTorch with torchvision's models, for comparison (measuring only;
nothing in Zoo needs Python). Same batch, same optimiser, same warm-up and the same median:

    python3 bench/torchvision_step.py --size 112 --batch 16 --models resnet18,shufflenet_v2_x1_0 [--json out.json]

    python3 bench/torchvision_step.py --size 28 --channels 1 --batch 16

    python3 bench/torchvision_step.py --amp bf16    # mixed precision, as `zoo bench models --precision bf16`

--amp bf16|fp16 runs the forward pass under torch.autocast("cpu", dtype=...) and the loss in float32 on the float32
logits, with float32 weights and optimiser: the same split Zoo's Trainer makes (Host/Engine/Training/Autocast.cs).

At 96 px and above Zoo's stems equal torchvision's. Below 96 px (Nn.IsSmallInput) Zoo's plugins swap in small-input
stems; small_input() below makes the same change to torchvision's model (each plugin's small-input branch, written
out), and any channel count replaces the first convolution's input channels, so both sides run the same network:
the parameter count printed here equals `zoo describe VARIANT --size N --channels C --classes 10`.
lenet5 is not in torchvision: it is written out below exactly as Zoo's Classic plugin builds it (tanh, avg-pool).
"""
import argparse, contextlib, json, resource, statistics, subprocess, time
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

SEED_MODELS = ["lenet5", "alexnet", "vgg11_bn", "googlenet", "resnet18",
               "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0", "efficientnet_b0", "mnasnet1_0"]


class LeNet5(nn.Module):
    def __init__(self, channels, classes, size):
        super().__init__()
        pad = 2 if size == 28 else 0   # LeNet.cs: 28x28 (MNIST) is read as the paper's 32x32 with 2 pixels of padding
        self.features = nn.Sequential(nn.Conv2d(channels, 6, 5, padding=pad), nn.Tanh(), nn.AvgPool2d(2, 2),
                                      nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2))
        self.pool = nn.AdaptiveAvgPool2d((5, 5))
        self.classifier = nn.Sequential(nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def conv(old, in_channels=None, kernel=None, stride=None, padding=None):
    """A fresh Conv2d like `old` with the given fields changed (weights re-initialised; only shapes matter here)."""
    return nn.Conv2d(in_channels if in_channels is not None else old.in_channels, old.out_channels,
                     kernel if kernel is not None else old.kernel_size, stride if stride is not None else old.stride,
                     padding if padding is not None else old.padding, groups=old.groups, bias=old.bias is not None)


def is_small_input(size):
    return size < 96   # Zoo.Layers.Nn.IsSmallInput


def small_input(name, m, channels, small):
    """Zoo's input adaptation of each seeds/002 model, applied to torchvision's: the first convolution takes `channels`,
    and when `small` each plugin's small-input branch (plugins/Classic, plugins/Lightweight) replaces the stem."""
    if name == "alexnet":        # AlexNet.cs: 3x3 stride-1 first convolution
        m.features[0] = conv(m.features[0], channels, *((3, 1, 1) if small else ()))
    elif name == "vgg11_bn":     # VGG.cs: max-pools with ceil_mode, 1x1 average pool, classifier from 512
        m.features[0] = conv(m.features[0], channels)
        if small:
            for layer in m.features:
                if isinstance(layer, nn.MaxPool2d):
                    layer.ceil_mode = True
            m.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            m.classifier[0] = nn.Linear(512, m.classifier[0].out_features)
    elif name == "googlenet":    # GoogLeNet.cs: conv1 3x3 stride 1, no maxpool1/maxpool2
        from torchvision.models.googlenet import BasicConv2d
        m.conv1 = BasicConv2d(channels, 64, kernel_size=3, padding=1) if small else BasicConv2d(channels, 64, kernel_size=7, stride=2, padding=3)
        if small:
            m.maxpool1 = nn.Identity()
            m.maxpool2 = nn.Identity()
    elif name == "resnet18":     # ResNet.cs: conv1 3x3 stride 1 (CIFAR stem), no max-pool
        m.conv1 = conv(m.conv1, channels, *((3, 1, 1) if small else ()))
        if small:
            m.maxpool = nn.Identity()
    elif name == "squeezenet1_1":   # SqueezeNet.cs: 3x3 stride-1 first convolution with padding 1
        m.features[0] = conv(m.features[0], channels, *((3, 1, 1) if small else ()))
    elif name == "mobilenet_v2":    # MobileNetV2.cs: stem and the 24-channel stage's first block at stride 1
        m.features[0][0] = conv(m.features[0][0], channels, stride=1 if small else None)
        if small:
            m.features[2].conv[1][0].stride = (1, 1)
    elif name == "shufflenet_v2_x1_0":  # ShuffleNet.cs: conv1 at stride 1, no max-pool
        m.conv1[0] = conv(m.conv1[0], channels, stride=1 if small else None)
        if small:
            m.maxpool = nn.Identity()
    elif name == "efficientnet_b0":  # EfficientNet.cs: stem and the first stride-2 stage (features.2) at stride 1
        m.features[0][0] = conv(m.features[0][0], channels, stride=1 if small else None)
        if small:
            m.features[2][0].block[1][0].stride = (1, 1)
    elif name == "mnasnet1_0":       # MNASNet.cs: stem and the first stack (layers.8) at stride 1
        m.layers[0] = conv(m.layers[0], channels, stride=1 if small else None)
        if small:
            m.layers[8][0].layers[3].stride = (1, 1)
    elif small or channels != 3:
        raise SystemExit(f"{name}: Zoo's small-input/channel change is not written out here; compare at 3 channels, 96 px or more")
    return m


def build(name, size, channels, classes):
    if name == "lenet5":
        return LeNet5(channels, classes, size)
    kwargs = {"num_classes": classes}
    if name == "googlenet":
        kwargs.update(aux_logits=True, init_weights=True)   # Zoo's googlenet runs its two aux heads in training too
    model = getattr(tvm, name)(**kwargs)
    if channels != 3 or is_small_input(size):
        model = small_input(name, model, channels, is_small_input(size))
    return model


def check_against_zoo(zoo, name, size, channels):
    """Same network as Zoo's? The parameter count and every layer's output shape (eval mode, batch 1), matched by
    module path, against `zoo describe --json`. Returns a list of differences (empty when equal)."""
    described = subprocess.run([zoo, "describe", name, "--size", str(size), "--channels", str(channels), "--classes", "10", "--json"],
                               capture_output=True, text=True)
    if described.returncode != 0:
        raise SystemExit(f"{zoo} describe {name} failed ({described.returncode}): {described.stderr.strip()}")
    d = json.loads(described.stdout)
    model = build(name, size, channels, 10).eval()
    shapes = {}

    def record(path):
        def hook(_module, _input, output):
            shapes.setdefault(path, list((output[0] if isinstance(output, tuple) else output).shape))   # first call, as describe
        return hook
    for path, module in model.named_modules():
        if path and not list(module.children()):
            module.register_forward_hook(record(path))
    with torch.inference_mode():
        out = model(torch.randn(1, channels, size, size))
    problems = []
    ours = sum(p.numel() for p in model.parameters())
    if ours != d["parameters"]:
        problems.append(f"parameters: zoo {d['parameters']}, torchvision {ours}")
    compared = 0
    for layer in d["layers"]:
        if layer["path"] not in shapes:
            continue   # a module Zoo has and torchvision calls differently (or runs functionally); its effect shows downstream
        compared += 1
        if layer["output_shape"] != shapes[layer["path"]]:
            problems.append(f"{layer['path']}: zoo {layer['output_shape']}, torchvision {shapes[layer['path']]}")
    zoo_out = d["layers"][-1]["output_shape"]
    if [int(v) for v in zoo_out if v != 1] != [v for v in out.shape if v != 1]:   # squeezenet's last layer is 1x10x1x1 before the flatten
        problems.append(f"output: zoo {zoo_out}, torchvision {list(out.shape)}")
    print(f"{name:<21} parameters zoo {d['parameters']:>10}  torchvision {ours:>10}  layer shapes compared {compared}/{len(d['layers'])}  "
          f"{'same' if not problems else 'DIFFERENT'}")
    for p in problems:
        print("    " + p)
    return problems


def median_seconds(step, steps, cpu=None):
    # Warm-up as zoo bench models does (two steps and at least two seconds): oneDNN primitive caches, allocator.
    start = time.perf_counter()
    step(); step()
    while time.perf_counter() - start < 2:
        step()
    times = []
    cpu_start = time.process_time()
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    if cpu is not None:   # the process's CPU seconds per step, as zoo bench models' "train CPU ms/step"
        cpu.append((time.process_time() - cpu_start) / steps)
    return statistics.median(times)


def autocast(amp):
    """The forward pass's region: nothing for fp32, torch.autocast on the CPU for bf16/fp16."""
    if amp == "fp32":
        return contextlib.nullcontext()
    return torch.autocast("cpu", dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


def measure(name, size, channels, batch, steps, amp="fp32"):
    torch.manual_seed(1)
    model = build(name, size, channels, 10)
    parameters = sum(p.numel() for p in model.parameters())
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, 10, (batch,))
    one = torch.randn(1, channels, size, size)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def train_step():
        opt.zero_grad()
        with autocast(amp):
            out = model(x)
        out = out[0] if isinstance(out, tuple) else out   # googlenet: (logits, aux2, aux1)
        loss = F.cross_entropy(out.float(), y)
        loss.backward()
        opt.step()
        loss.item()

    cpu = []
    train = median_seconds(train_step, steps, cpu)
    model.eval()
    with torch.inference_mode(), autocast(amp):
        infer = median_seconds(lambda: model(x).float().sum().item(), steps)
        latency = median_seconds(lambda: model(one).float().sum().item(), steps)
        output = list(model(one).shape)
    return {"model": name, "channels": channels, "size": size, "batch": batch, "parameters": parameters, "output": output,
            "train_ms": train * 1000, "train_cpu_ms": cpu[0] * 1000, "infer_ms": infer * 1000, "latency_ms": latency * 1000,
            "train_images_per_second": batch / train,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,   # whole process, not per model
            "threads": torch.get_num_threads(), "precision": amp}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default=",".join(SEED_MODELS))
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--json")
    p.add_argument("--amp", choices=["fp32", "bf16", "fp16"], default="fp32", help="number format of the forward pass (torch.autocast on the CPU)")
    p.add_argument("--check", metavar="ZOO", help="only compare each model with `ZOO describe` (parameters, layer shapes); exit 1 if any differs")
    a = p.parse_args()
    if a.check:
        bad = [m for m in a.models.split(",") if check_against_zoo(a.check, m.strip(), a.size, a.channels)]
        raise SystemExit(f"different from Zoo's: {', '.join(bad)}" if bad else 0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.channels}x{a.size}x{a.size}, batch {a.batch}, {a.amp}")
    print("model                 parameters  train ms/step  train CPU ms/step  images/s  infer ms/step  ms/image at batch 1  output")
    rows = []
    for name in a.models.split(","):
        try:
            r = measure(name.strip(), a.size, a.channels, a.batch, a.steps, a.amp)
        except RuntimeError as e:   # PyTorch 1.13 has no bf16 backward for some CPU ops (hardtanh, so ReLU6: MobileNet V2)
            print(f"{name.strip():<21} not measured: this PyTorch cannot train it in {a.amp} ({str(e).splitlines()[0]})")
            continue
        rows.append(r)
        print(f"{r['model']:<21} {r['parameters']:10d}  {r['train_ms']:13.1f}  {r['train_cpu_ms']:17.1f}  {r['train_images_per_second']:8.0f}  {r['infer_ms']:13.1f}  "
              f"{r['latency_ms']:19.2f}  {'x'.join(map(str, r['output']))}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
