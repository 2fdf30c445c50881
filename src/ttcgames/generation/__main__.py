"""Command line for one provider's generation: ``python -m ttcgames.generation --help``.

Mirrors ``run_generation``; provider and model specs are passed as JSON objects. Used by the
resume test (which kills this process) and handy for running one provider by hand.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys

from ttcgames.generation.runner import run_generation


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ttcgames.generation",
        description="Generate one provider's samples for a prepared dataset (resumable, one shard at a time).",
    )
    parser.add_argument("--dataset", required=True, help="prepared dataset JSONL")
    parser.add_argument("--provider", required=True, help="provider entry as a JSON object")
    parser.add_argument("--model", required=True, help="model spec as a JSON object")
    parser.add_argument("--out", required=True, help="merged generations JSONL to write")
    parser.add_argument("--shard-dir", required=True, help="folder for finished shards (resume state)")
    parser.add_argument("--seed", type=int, required=True, help="master seed; each shard's sampling seed derives from it and the provider id")
    parser.add_argument("--shard-size", type=int, default=4, help="questions per shard")
    parser.add_argument("--model-cache-dir", default=None, help="where the float32 copy of a GGUF model lives")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (fix it for bit-reproducibility)")
    parser.add_argument("--max-batch-rows", type=int, default=64, help="samples decoded together")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr)
    summary = run_generation(
        args.dataset,
        json.loads(args.provider),
        json.loads(args.model),
        args.out,
        args.shard_dir,
        seed=args.seed,
        shard_size=args.shard_size,
        model_cache_dir=args.model_cache_dir,
        threads=args.threads,
        max_batch_rows=args.max_batch_rows,
        progress=not args.no_progress,
    )
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
