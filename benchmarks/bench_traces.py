"""Time the trace reproduction (config/paper-traces.yaml) on synthetic traces at the paper's scale.

The real traces cannot be downloaded on our build machines, so this writes synthetic ones in the
released format (tests/trace_fixtures.py) with the paper's sizes: 9 non-reasoning models x 128
samples and 3 reasoning models x 32 samples per question; GSM8K 1319 questions, AIME and GPQA as
given below. Sample texts (the records' ``answers``) are short unless --text-bytes pads each of them
(the real texts are a few hundred to a few thousand characters; the verifier's ``explanations``
strings stay as they are). Then it runs the whole workflow on them:

    python benchmarks/bench_traces.py --workdir /tmp/tracebench [--text-bytes 1500]

and prints the wall time of writing the traces and of `snakemake --cores 2`. The workdir must be a
clone of this repository (the workflow writes its results/ there).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import trace_fixtures as tf  # noqa: E402

SIZES = {"GSM8K": (1319, False), "AIME": (933, False), "GPQA": (546, True)}
NON_REASONING = {  # name: (skill, mean tokens)
    "Llama-3-8B": (0.78, 210), "Llama-3.1-8B": (0.82, 230), "Llama-3.2-1B": (0.42, 260),
    "Llama-3.2-3B": (0.7, 240), "Qwen2-0.5B": (0.3, 280), "Qwen2-1.5B": (0.6, 270),
    "Qwen2-7B": (0.84, 260), "Qwen2.5-3B": (0.8, 290), "Qwen2.5-7B": (0.9, 300),
}
REASONING = {"reason-R1-D-Llama-8B": 0.8, "reason-R1-D-Qwen-1.5B": 0.7, "reason-R1-D-Qwen-7B": 0.9}


def models() -> tuple[tf.FixtureModel, ...]:
    out = [tf.FixtureModel(n, s, temperature=0.6, samples=128, max_tokens=512, mean_tokens=t)
           for n, (s, t) in NON_REASONING.items()]
    out += [tf.FixtureModel(n, s, reasoning=True, temperature=0.6, samples=32, max_tokens=2048, mean_tokens=900)
            for n, s in REASONING.items()]
    return tuple(out)


def pad_answers(path: Path, n_bytes: int) -> None:
    """Prefix every sample text of a trace file (each record's ``answers``) with about ``n_bytes`` of
    filler that holds no number or answer letter, so every label is unchanged; ``explanations`` are untouched."""
    pad = "x " * (n_bytes // 2)
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for rec in records:
        rec["answers"] = [pad + text for text in rec["answers"]]
    path.write_text("".join(json.dumps(rec) + "\n" for rec in records), encoding="utf-8")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--text-bytes", type=int, default=0,
                    help="make every sample text (the records' 'answers', not the verifier's 'explanations') about this many bytes longer")
    args = ap.parse_args()
    work = Path(args.workdir).resolve()
    traces = work / "bench-traces"
    t0 = time.perf_counter()
    for i, folder in enumerate(SIZES):
        n, letters = SIZES[folder]
        paths = tf.write_trace_folder(traces, folders={folder: letters}, models=models(), n_questions=n,
                                      seed=i, corrupt=False)
        if args.text_bytes:
            for p in paths[folder].values():
                pad_answers(p, args.text_bytes)
    t_write = time.perf_counter() - t0
    size = sum(p.stat().st_size for p in traces.rglob("*.jsonl"))
    local = work / "bench-traces.yaml"
    local.write_text(f"traces:\n  source: local\n  local_dir: {traces}\n")
    cmd = [sys.executable, "-m", "snakemake", "--cores", "2", "--configfile", "config/paper-traces.yaml", str(local)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=work)
    t_run = time.perf_counter() - t0
    print(f"traces written: {size / 1e6:.0f} MB in {t_write:.0f} s; snakemake: {t_run:.0f} s (exit {proc.returncode})")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
