"""The steps `zoo bench models` times, in PyTorch with torchvision's models, for comparison (measuring only;
nothing in Zoo needs Python). Same batch, same optimiser, same warm-up and the same median:

    python3 bench/torchvision_step.py --size 112 --batch 16 --models resnet18,shufflenet_v2_x1_0 [--json out.json]

At 112 px and above Zoo's stems equal torchvision's, so the two run the same architecture. Below that Zoo swaps in
small-input stems that torchvision does not have; this script refuses such sizes rather than compare unlike models.
lenet5 is not in torchvision: it is written out below exactly as Zoo's Classic plugin builds it (tanh, avg-pool).
"""
import argparse, json, resource, statistics, time
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tvm

SEED_MODELS = ["lenet5", "alexnet", "vgg11_bn", "googlenet", "resnet18",
               "squeezenet1_1", "mobilenet_v2", "shufflenet_v2_x1_0", "efficientnet_b0", "mnasnet1_0"]


class LeNet5(nn.Module):
    def __init__(self, channels, classes):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(channels, 6, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
                                      nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2))
        self.pool = nn.AdaptiveAvgPool2d((5, 5))
        self.classifier = nn.Sequential(nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.features(x)), 1))


def build(name, channels, classes):
    if name == "lenet5":
        return LeNet5(channels, classes)
    kwargs = {"num_classes": classes}
    if name == "googlenet":
        kwargs.update(aux_logits=True, init_weights=True)   # Zoo's googlenet runs its two aux heads in training too
    model = getattr(tvm, name)(**kwargs)
    if channels != 3:
        raise SystemExit("torchvision's models take 3 channels; compare at --channels 3")
    return model


def median_seconds(step, steps):
    step(); step()   # warm-up: oneDNN primitive caches, allocator
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def measure(name, size, channels, batch, steps):
    torch.manual_seed(1)
    model = build(name, channels, 10)
    x = torch.randn(batch, channels, size, size)
    y = torch.randint(0, 10, (batch,))
    one = torch.randn(1, channels, size, size)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def train_step():
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out[0] if isinstance(out, tuple) else out, y)   # googlenet: (logits, aux2, aux1)
        loss.backward()
        opt.step()
        loss.item()

    train = median_seconds(train_step, steps)
    model.eval()
    with torch.inference_mode():
        infer = median_seconds(lambda: model(x).sum().item(), steps)
        latency = median_seconds(lambda: model(one).sum().item(), steps)
    return {"model": name, "channels": channels, "size": size, "batch": batch,
            "train_ms": train * 1000, "infer_ms": infer * 1000, "latency_ms": latency * 1000,
            "train_images_per_second": batch / train,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,   # whole process, not per model
            "threads": torch.get_num_threads()}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default=",".join(SEED_MODELS))
    p.add_argument("--size", type=int, default=112)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--json")
    a = p.parse_args()
    if a.size < 112:
        raise SystemExit("below 112 px Zoo uses small-input stems torchvision lacks; compare at --size 112 or more")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {a.channels}x{a.size}x{a.size}, batch {a.batch}")
    print("model                 train ms/step  images/s  infer ms/step  ms/image at batch 1")
    rows = []
    for name in a.models.split(","):
        r = measure(name.strip(), a.size, a.channels, a.batch, a.steps)
        rows.append(r)
        print(f"{r['model']:<21} {r['train_ms']:13.1f}  {r['train_images_per_second']:8.0f}  {r['infer_ms']:13.1f}  {r['latency_ms']:19.2f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
