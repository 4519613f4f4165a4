"""Grad-CAM of torchvision's resnet18 computed by PyTorch: the oracle for GradCamTests (issue 30).

Regenerate (only if the definition below changes) with Debian's python3-torchvision (PyTorch 1.13, torchvision 0.14):

    apt-get install python3-torchvision
    python3 tests/Zoo.Host.Tests/Fixtures/gradcam/make_gradcam.py

It writes resnet18_gradcam.pth beside itself. resnet18's weights (45 MB) are not committed: every state-dict entry is
a closed-form function of its key's place in sorted order and its element index (weights() below), evaluated in
float64 and rounded to float32, which the test computes again in C# (GradCamTests.FormulaWeights). The fixture holds
the input (1x3x96x96, a formula too, stored so that a change on either side shows), the chosen class, the logits and
the map. 96 px is the smallest size at which Zoo builds resnet18 with torchvision's ImageNet stem (7x7/2 conv, max
pool), so the model is torchvision's exactly; layer4's map is 3x3 there.

The definition (GradCam.cs): A = layer4's output, y = the class's logit, w_k = mean over h, w of dy/dA_k,
cam = relu(sum_k w_k A_k), bilinear upsampling (align_corners=False) to 96x96, then (cam - min) / (max - min).
"""
import math
import os

import torch
import torchvision


def weights(model):
    state = model.state_dict()
    out = {}
    for k, key in enumerate(sorted(state)):
        t = state[key]
        if key.endswith("num_batches_tracked"):
            out[key] = t
            continue
        j = torch.arange(t.numel(), dtype=torch.float64)
        s = torch.sin(2.399 * j + 1.3 * k + 0.5)
        if key.endswith("running_var"):
            v = 1.0 + 0.3 * s
        elif key.endswith("running_mean") or (key.endswith(".bias") and key[:-5] + ".running_mean" in state):
            v = 0.0 * s      # BatchNorm's shift, as torchvision initialises it: with shifts the map is nearly flat
        elif key.endswith("bias"):
            v = 0.1 * s
        elif t.dim() == 1:   # BatchNorm's scale
            v = 1.0 + 0.2 * s
        else:                # convolution and linear weights, std sqrt(2 / fan_in)
            fan_in = t.numel() // t.shape[0]
            v = s * math.sqrt(4.0 / fan_in)
        out[key] = v.to(torch.float32).reshape(t.shape)
    return out


def image(size=96):
    c = torch.arange(3, dtype=torch.float64).reshape(3, 1, 1)
    y = torch.arange(size, dtype=torch.float64).reshape(1, size, 1)
    x = torch.arange(size, dtype=torch.float64).reshape(1, 1, size)
    # A faint texture everywhere and a strong one in a blob at (70, 22), where the map should peak.
    v = 0.2 * torch.sin(0.21 * x * (c + 1) + 0.13 * y) \
        + 3.0 * torch.exp(-((x - 70) ** 2 + (y - 22) ** 2) / 120.0) * torch.sin(1.1 * x + 0.7 * y + c)
    return v.to(torch.float32).unsqueeze(0)


def main():
    model = torchvision.models.resnet18()
    model.load_state_dict(weights(model))
    model.eval()
    x = image()
    captured = {}
    model.layer4.register_forward_hook(lambda m, i, o: captured.setdefault("a", o))
    logits = model(x)
    cls = int(logits.argmax(1))
    a = captured["a"]
    g = torch.autograd.grad(logits[0, cls], a)[0]
    w = g.mean(dim=(2, 3), keepdim=True)
    cam = torch.relu((w * a).sum(1, keepdim=True))
    up = torch.nn.functional.interpolate(cam, size=(96, 96), mode="bilinear", align_corners=False)[:, 0]
    lo, hi = up.amin(dim=(1, 2), keepdim=True), up.amax(dim=(1, 2), keepdim=True)
    heat = (up - lo) / (hi - lo)
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "resnet18_gradcam.pth")
    torch.save({
        "image": x,
        "class": torch.tensor([float(cls)]),
        "logits": logits.detach()[0].clone(),
        "heatmap": heat.detach()[0].clone(),
        "cam": cam.detach()[0, 0].clone(),
    }, path)
    print(f"class {cls}, logit {float(logits[0, cls]):.4f}, cam {tuple(cam.shape)}, wrote {path}")


if __name__ == "__main__":
    torch.manual_seed(0)
    main()
