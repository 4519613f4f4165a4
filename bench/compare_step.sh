#!/usr/bin/env bash
# Zoo against PyTorch, one training step per model, in interleaved pairs (zoo, then torchvision, model by model),
# so that a noisy, shared machine slows both sides alike; prints the median ratio per model. Measuring only.
#   dotnet build Host/Cli -c Release && bash bench/compare_step.sh [PAIRS] [SIZE] [BATCH] [MODELS] [CHANNELS]
# (STEPS=N in the environment: timed steps per side, default 10; THREADS=N: threads per side, default nproc;
#  PRECISION=bf16 or fp16: mixed precision on both sides, zoo --precision and torchvision_step.py --amp.)
#   e.g. 112 px RGB: bash bench/compare_step.sh 3 112 16;  28 px grey (small-input stems): bash bench/compare_step.sh 3 28 16 "" 1
# Before timing, torchvision_step.py --check proves each torchvision model is the network Zoo builds at this
# size and channel count (parameters and every layer's output shape against `zoo describe`); any difference stops here.
# Needs Debian's python3-torchvision (PyTorch 1.13); Zoo itself never needs Python.
set -euo pipefail
cd "$(dirname "$0")/.."
pairs=${1:-3}; size=${2:-112}; batch=${3:-16}
models=${4:-lenet5,alexnet,vgg11_bn,googlenet,resnet18,squeezenet1_1,mobilenet_v2,shufflenet_v2_x1_0,efficientnet_b0,mnasnet1_0}
channels=${5:-3}; steps=${STEPS:-10}; precision=${PRECISION:-fp32}   # STEPS=2 for a quick smoke pass; the table wants the default
# One thread count for both sides: left alone, Debian's PyTorch 1.13 starts one OpenMP thread on this
# 2-core machine while LibTorch in Zoo starts one per core. Both read OMP_NUM_THREADS.
export OMP_NUM_THREADS=${THREADS:-$(nproc)}
zoo=${ZOO:-Host/Cli/bin/Release/net10.0/zoo}
/usr/bin/python3 bench/torchvision_step.py --models "$models" --size "$size" --channels "$channels" --check "$zoo" >&2
out=$(mktemp -d)
for m in ${models//,/ }; do
  for p in $(seq 1 "$pairs"); do
    "$zoo" bench models --models "$m" --size "$size" --channels "$channels" --batch "$batch" --steps "$steps" --precision "$precision" --json "$out/zoo-$m-$p.json" > /dev/null
    /usr/bin/python3 bench/torchvision_step.py --models "$m" --size "$size" --channels "$channels" --batch "$batch" --steps "$steps" --amp "$precision" --json "$out/torch-$m-$p.json" > /dev/null
  done
done
/usr/bin/python3 - "$out" "$pairs" "$models" "$channels" "$size" "$batch" "$precision" <<'PY'
import json, statistics, sys
out, pairs, models, channels, size, batch, precision = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(","), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
def row(side, m, p): return json.load(open(f"{out}/{side}-{m}-{p}.json"))[0]
zoo_threads = {row("zoo", m, p)["threads"] for m in models for p in range(1, pairs + 1)}
torch_threads = {row("torch", m, p)["threads"] for m in models for p in range(1, pairs + 1)}
print(f"{channels}x{size}x{size}, batch {batch}, {precision}, {pairs} interleaved pairs, threads: Zoo {sorted(zoo_threads)}, PyTorch {sorted(torch_threads)}")
if zoo_threads != torch_threads:
    print("WARNING: the two sides ran with different thread counts; the ratios compare unlike set-ups", file=sys.stderr)
print()
print("| model | parameters Zoo / PyTorch | Zoo train ms | PyTorch train ms | ratio per pair | median | Zoo infer ms | PyTorch infer ms | Zoo ms/image b1 | PyTorch ms/image b1 |")
print("|---|---|---|---|---|---|---|---|---|---|")
for m in models:
    z = [row("zoo", m, p) for p in range(1, pairs + 1)]
    t = [row("torch", m, p) for p in range(1, pairs + 1)]
    ratios = [a["train_ms"] / b["train_ms"] for a, b in zip(z, t)]
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    print(f"| {m} | {z[0]['parameters']:,} / {t[0]['parameters']:,} | {med(z,'train_ms'):.1f} | {med(t,'train_ms'):.1f} | {', '.join(f'{r:.2f}' for r in ratios)} | {statistics.median(ratios):.2f} "
          f"| {med(z,'infer_ms'):.1f} | {med(t,'infer_ms'):.1f} | {med(z,'latency_ms'):.2f} | {med(t,'latency_ms'):.2f} |")
PY
rm -rf "$out"
