"""The same loader pipelines in torchvision, for comparison with `zoo bench loader` (measuring only;
nothing in Zoo needs Python). Run `zoo bench loader --keep DIR` first, then:

    python3 bench/torchvision_loader.py DIR

Prints images per second per epoch (median of 3) with DataLoader(batch_size=64, num_workers=2, shuffle=True).
"""
import statistics, sys, time
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms as T

root = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
torch.set_num_threads(1)

def rate(ds, name):
    loader = DataLoader(ds, batch_size=64, shuffle=True, num_workers=2, persistent_workers=True)
    rates = []
    for _ in range(epochs):
        t = time.perf_counter(); n = 0
        for x, y in loader:
            n += len(y)
        rates.append(n / (time.perf_counter() - t))
    print(f"{name:<28} {len(ds):7}  {statistics.median(rates):8.0f}")

norm1 = T.Normalize((0.5,), (0.25,))
norm3 = T.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25))
print("set                          images  images/s per epoch (torchvision, 2 workers)")

class Idx(torch.utils.data.Dataset):
    """MNIST-format files as torchvision's MNIST reads them (read_image_file), then ToTensor + Normalize."""
    def __init__(self, folder):
        from torchvision.datasets.mnist import read_image_file, read_label_file
        import gzip, shutil, os, tempfile
        tmp = tempfile.mkdtemp()
        for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"):
            with gzip.open(os.path.join(folder, f + ".gz")) as s, open(os.path.join(tmp, f), "wb") as d:
                shutil.copyfileobj(s, d)
        self.x = read_image_file(os.path.join(tmp, "train-images-idx3-ubyte"))
        self.y = read_label_file(os.path.join(tmp, "train-labels-idx1-ubyte"))
        self.t = T.Compose([T.ToTensor(), norm1])
    def __len__(self): return len(self.y)
    def __getitem__(self, i):
        from PIL import Image
        return self.t(Image.fromarray(self.x[i].numpy(), mode="L")), int(self.y[i])

class Cifar(torch.utils.data.Dataset):
    """CIFAR-10 binary batches, as torchvision's CIFAR10 holds them (HWC uint8), then the transform."""
    def __init__(self, folder, transform):
        import numpy as np, os
        raw = b"".join(open(os.path.join(folder, f"data_batch_{i}.bin"), "rb").read() for i in range(1, 6))
        a = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
        self.y = a[:, 0].astype(int)
        self.x = a[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.t = transform
    def __len__(self): return len(self.y)
    def __getitem__(self, i):
        from PIL import Image
        return self.t(Image.fromarray(self.x[i])), int(self.y[i])

rate(Idx(f"{root}/mnist"), "MNIST IDX 1x28x28")
rate(Cifar(f"{root}/cifar-10-batches-bin", T.Compose([T.ToTensor(), norm3])), "CIFAR-10 binary 3x32x32")
rate(Cifar(f"{root}/cifar-10-batches-bin", T.Compose([T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(), norm3])), "  + crop 4 + flip")
rate(datasets.ImageFolder(f"{root}/jpegs", T.Compose([T.Resize(224), T.CenterCrop(224), T.ToTensor(), norm3])), "ImageFolder 224 no aug")
rate(datasets.ImageFolder(f"{root}/jpegs", T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(),
     T.ColorJitter(0.4, 0.4, 0.4), T.ToTensor(), norm3])), "  + flip+rrc+jitter")
