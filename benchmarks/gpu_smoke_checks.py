"""Checks after benchmarks/gpu_smoke.sh's run (needs the GPU and the downloaded ArmoRM).

1. Throughput: generated tokens/s of each generation job and chat tokens/s of each reward job,
   from the jobs' own progress lines (ttcgames.io.progress) in WORKDIR/logs.
2. ArmoRM's model card example (RLHFlow/ArmoRM-Llama3-8B-v0.1, "Demo Code"): our chat encoding
   (ArmoRMScorer.chat_ids) must give the token ids of the card's `apply_chat_template(...)`, and
   the card's five HelpSteer rewards (``rewards[0, :5] * 5 - 0.5``) and its three largest
   objective coefficients are printed beside the values the card prints; fails beyond ``--tol``.
3. Batched vs single: 64 samples of the run scored with batch_size 16 (right-padded batches) and
   batch_size 1 must agree within ``--tol`` (padding must not change a reward); tokens/s of both.

Usage: python benchmarks/gpu_smoke_checks.py WORKDIR [--config config/gpu-smoke.yaml] [--tol 0.05]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# The card's example and what it prints (bf16 on a GPU).
CARD_PROMPT = 'What are some synonyms for the word "beautiful"?'
CARD_RESPONSE = "Nicely, Beautifully, Handsome, Stunning, Wonderful, Gorgeous, Pretty, Stunning, Elegant"
CARD_HELPSTEER = [2.78125, 2.859375, 3.484375, 1.3847656, 1.296875]  # helpfulness .. verbosity
CARD_TOP3 = [("code-complexity", 0.19922), ("helpsteer-verbosity", -0.10864), ("ultrafeedback-instruction_following", 0.07861)]
ATTRIBUTES = [
    "helpsteer-helpfulness", "helpsteer-correctness", "helpsteer-coherence", "helpsteer-complexity", "helpsteer-verbosity",
    "ultrafeedback-overall_score", "ultrafeedback-instruction_following", "ultrafeedback-truthfulness",
    "ultrafeedback-honesty", "ultrafeedback-helpfulness", "beavertails-is_safe", "prometheus-score",
    "argilla-overall_quality", "argilla-judge_lm", "code-complexity", "code-style", "code-explanation",
    "code-instruction-following", "code-readability",
]  # fmt: skip

LINE = re.compile(r"ttcgames\.progress INFO (?P<label>.+?): shard (?P<k>\d+)/(?P<n>\d+) done, .*?(?P<tps>\d+) tokens/s")


def throughput(workdir: Path) -> list[str]:
    """The last progress line's tokens/s of every generation and reward job log."""
    rows = []
    for rule in ("generate_vllm", "score_rewards_gpu"):
        for log in sorted((workdir / "logs" / rule).rglob("*.log")):
            last = [m for m in LINE.finditer(log.read_text(errors="replace"))]
            if not last:
                rows.append(f"{rule} {log.relative_to(workdir / 'logs' / rule)}: no progress line (all shards reused?)")
                continue
            m = last[-1]
            rows.append(f"{rule} {m['label']}: {m['tps']} tokens/s over {m['n']} shards")
    return rows


def card_check(scorer, tol: float) -> list[str]:
    import torch

    failures = []
    messages = [{"role": "user", "content": CARD_PROMPT}, {"role": "assistant", "content": CARD_RESPONSE}]
    card_ids = scorer._tokenizer.apply_chat_template(messages, return_tensors="pt")
    card_ids = card_ids["input_ids"] if hasattr(card_ids, "keys") else card_ids
    ours = scorer.chat_ids(CARD_PROMPT, CARD_RESPONSE)
    same = ours == card_ids[0].tolist()
    print(f"chat encoding: ours {len(ours)} tokens, card's {card_ids.shape[-1]}; identical: {same}")
    if not same:
        failures.append("our chat token ids differ from the card's apply_chat_template")
    with torch.inference_mode():
        out = scorer._model(card_ids.to(scorer._device))
    rewards = out.rewards.float().cpu()
    helpsteer = (rewards[0, :5] * 5 - 0.5).tolist()
    print("HelpSteer rewards  ours: " + " ".join(f"{v:9.5f}" for v in helpsteer))
    print("                  card: " + " ".join(f"{v:9.5f}" for v in CARD_HELPSTEER))
    if max(abs(a - b) for a, b in zip(helpsteer, CARD_HELPSTEER)) > tol:
        failures.append(f"HelpSteer rewards differ from the card's by more than {tol}")
    coeffs = out.gating_output.float().cpu() @ scorer._model.reward_transform_matrix.data.float().cpu().T
    top = torch.argsort(coeffs.abs(), dim=1, descending=True)[0, :3].tolist()
    for (name, card_value), k in zip(CARD_TOP3, top):
        print(f"top objective  ours: {ATTRIBUTES[k]:38s} {coeffs[0, k].item():9.5f}   card: {name:38s} {card_value:9.5f}")
    if [ATTRIBUTES[k] for k in top] != [name for name, _ in CARD_TOP3]:
        failures.append("the three largest objective coefficients are not the card's")
    print(f"preference score (the reward we use): {out.score.float().item():.5f}")
    return failures


def batch_check(scorer, workdir: Path, config: dict, tol: float) -> list[str]:
    from ttcgames.io.jsonl import read_jsonl

    dataset = config["datasets"][0]["id"]
    provider = config["providers"][0]["id"]
    questions = {q["qid"]: q["question"] for q in read_jsonl(workdir / "results" / "data" / f"{dataset}.jsonl")}
    records = read_jsonl(workdir / "results" / "generations" / dataset / f"{provider}.jsonl")[:64]
    for r in records:
        r["question"] = questions[r["qid"]]
    results = {}
    for batch_size in (16, 1):
        scorer.batch_size = batch_size
        scorer.score(records[:2])  # warm-up
        scorer.tokens_scored = 0
        start = time.perf_counter()
        results[batch_size] = scorer.score(records)
        seconds = time.perf_counter() - start
        print(f"ArmoRM batch_size {batch_size:2d}: {len(records)} chats, {scorer.tokens_scored / seconds:.0f} tokens/s")
    diff = max(abs(a - b) for a, b in zip(results[16], results[1]))
    print(f"batched vs single: max |reward difference| {diff:.5f} over {len(records)} chats (tolerance {tol})")
    return [f"batched and single rewards differ by {diff:.4f} > {tol}"] if diff > tol else []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "gpu-smoke.yaml")
    parser.add_argument("--tol", type=float, default=0.05, help="bf16 tolerance for rewards (default 0.05)")
    args = parser.parse_args()
    from ttcgames.config import WorkflowConfig
    from ttcgames.config.validation import load_config
    from ttcgames.rewards.armorm import ArmoRMScorer

    config = load_config(args.config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    print("-- throughput (from the jobs' progress lines)")
    for row in throughput(args.workdir):
        print(row)
    print("-- ArmoRM model card example")
    scorer = ArmoRMScorer(**{k: v for k, v in WorkflowConfig.from_dict(config).reward_scorer().items() if k != "kind"})
    scorer._load()
    failures = card_check(scorer, args.tol)
    print("-- batched vs single scoring")
    failures += batch_check(scorer, args.workdir, config, args.tol)
    for f in failures:
        print(f"CHECK FAILED: {f}")
    print("all checks passed" if not failures else f"{len(failures)} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
