#!/usr/bin/env bash
# How fast `zoo ui` answers a key while a model trains: starts the UI in tmux on a suite, waits until training
# runs, then presses Down in the catalogue N times and times each press until the details pane shows the next
# variant (polling the screen every few ms, so each figure includes up to one poll of delay). Measuring only.
#   dotnet build Host/Cli -c Release && bash bench/ui_latency.sh [PRESSES] [SUITE]   (ZOO_UI_ARGS=--in-process: train in the UI process)
set -euo pipefail
cd "$(dirname "$0")/.."
presses=${1:-20}
suite=${2:-suites/quick-start.json}
zoo=${ZOO:-$PWD/Host/Cli/bin/Release/net10.0/zoo}
out=$(mktemp -d)
session=zoo-latency-$$
tmux new-session -d -s "$session" -x 180 -y 50 "$zoo ui $suite --out $out ${ZOO_UI_ARGS:-} 2>$out/stderr.txt"
trap 'tmux kill-session -t $session 2>/dev/null; rm -rf "$out"' EXIT
screen() { tmux capture-pane -t "$session" -p; }
details() { screen | sed -n 3p | cut -c72-140; }
for _ in $(seq 1 300); do screen | grep -q 'Catalogue' && break; sleep 0.5; done
tmux send-keys -t "$session" F6
for _ in $(seq 1 600); do screen | grep -q 'training' && break; sleep 0.5; done
sleep 5   # well inside the first epoch
times=()
for _ in $(seq 1 "$presses"); do
  before=$(details)
  start=$(date +%s%N)
  tmux send-keys -t "$session" Down
  while [ "$(details)" = "$before" ]; do :; done
  times+=($(( ($(date +%s%N) - start) / 1000000 )))
  sleep 0.3
done
tmux send-keys -t "$session" Escape
printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "key to screen while training, %d presses: median %d ms, 90th percentile %d ms, max %d ms\n", NR, a[int((NR+1)/2)], a[int(NR*0.9+0.5)], a[NR]}'
