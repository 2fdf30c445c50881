#!/usr/bin/env bash
# GPU smoke run (docs/gpu.md): the whole GPU path on one GPU in about 10 minutes.
#   benchmarks/gpu_smoke.sh [WORKDIR]      # default WORKDIR: ./gpu-smoke (results/, logs/ inside)
# Needs: the `workflow` and `gpu` extras in the active Python environment, one NVIDIA GPU with a
# driver >= 580, and the hub reachable (or HF_HOME holding Qwen/Qwen2.5-0.5B-Instruct,
# RLHFlow/ArmoRM-Llama3-8B-v0.1 and openai/gsm8k). Steps: preflight, downloads, the run to
# Table 2 (config/gpu-smoke.yaml), then throughput and the ArmoRM checks of
# benchmarks/gpu_smoke_checks.py. Exits non-zero if any step or check fails.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mkdir -p "${1:-gpu-smoke}" && cd "${1:-gpu-smoke}" && pwd)"
CONFIG="$ROOT/config/gpu-smoke.yaml"
SMK=(snakemake -s "$ROOT/Snakefile" -d "$WORK" --configfile "$CONFIG")
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}"
stamp() { date +%s.%N; }
t0=$(stamp)

echo "== 1/5 driver preflight (python -m ttcgames.generation.gpu)"
python -m ttcgames.generation.gpu --need-fraction 0.5

echo "== 2/5 downloads (snakemake download_only: model, ArmoRM, GSM8K)"
t=$(stamp)
"${SMK[@]}" --cores 2 download_only
echo "downloads: $(python -c "print(f'{$(stamp) - $t:.0f}')") s"

echo "== 3/5 the run to Table 2 (GPU jobs offline, one at a time)"
t=$(stamp)
"${SMK[@]}" --cores 8 --resources gpu=1
run_s=$(python -c "print(f'{$(stamp) - $t:.0f}')")
echo "run: ${run_s} s"
cat "$WORK/results/tables/table2.md"

echo "== 4/5 throughput and 5/5 ArmoRM checks"
python "$ROOT/benchmarks/gpu_smoke_checks.py" "$WORK" --config "$CONFIG"

echo "== total $(python -c "print(f'{$(stamp) - $t0:.0f}')") s (the run alone: ${run_s} s; target < 600 s)"
