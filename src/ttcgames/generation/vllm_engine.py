"""GPU generation with vLLM (``engine: vllm``, or ``auto`` on a machine with CUDA).

The paper's setting (docs/paper-notes.md, "Experimental grid"): pure temperature sampling (top-p 1, top-k
off), 128 or 32 samples per question, 512 or 2048 new tokens. One vLLM request per question asks
for all ``n`` samples (``SamplingParams(n=...)``), so the prompt is prefilled once and its KV cache
shared by the samples.

Steps of ``VLLMEngine.generate``:
1. ``tokenize_prompts``: the chat-rendered prompts to token ids with the model's tokenizer and no
   added special tokens (the chat template already holds the BOS token; vLLM would add a second
   one to a text prompt);
2. ``build_requests``: one ``{"prompt_token_ids": ...}`` request and one ``SamplingParams`` keyword
   set per question, each with its own seed from ``request_seeds(seed, ...)`` (vLLM gives the
   ``n`` samples of a request seeds ``seed + k`` itself), so a question's samples do not depend on
   which other questions share the batch;
3. ``LLM.generate`` (vLLM schedules and batches the requests itself);
4. ``parse_request_outputs``: one ``Sample`` per completion: the text, ``num_tokens`` = generated
   token ids (the stop token included, as the CPU engine counts), ``finish_reason`` ``stop`` or
   ``length`` (anything else, e.g. ``abort``, is an error), ``mean_logprob`` = cumulative log-prob /
   tokens, and ``reasoning_tokens`` = the token ids before the first ``</think>`` token when the
   tokenizer has one (``count_reasoning_token_ids``).

Log-probabilities: the engine is built with ``logprobs_mode="processed_logprobs"`` so vLLM reports
log-probs under the temperature-scaled distribution that was sampled (its default, raw logits,
would ignore the temperature), with ``logprobs=0`` (the sampled token only).

Reproducibility: per-request seeds make the samples a function of (seed, question), but vLLM's
GPU kernels are not bit-reproducible across batch sizes or GPU models, so a rerun on other hardware
draws slightly different samples; the runner's shards keep what was generated.

Everything except ``VLLMEngine`` itself is a pure function of plain values or of objects with
vLLM's output shape (``RequestOutput.outputs`` of ``CompletionOutput`` with ``index``, ``text``,
``token_ids``, ``cumulative_logprob``, ``logprobs``, ``finish_reason``), so it is unit-tested on
hand-built objects of that shape without a GPU (tests/generation/test_vllm_engine.py). vLLM is imported only
inside ``VLLMEngine``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ttcgames.generation.base import THINK_END, ChatTemplateMixin, Sample, check_generation_args
from ttcgames.io.progress import tqdm_factory

__all__ = [
    "VLLMEngine",
    "request_seeds",
    "sampling_kwargs",
    "build_requests",
    "tokenize_prompts",
    "think_end_token_id",
    "count_reasoning_token_ids",
    "completion_to_sample",
    "parse_request_outputs",
    "LLM_DEFAULTS",
]

# vLLM >= 0.8 disables top-k with 0 (-1 is still accepted quietly); top-p 1.0 keeps the full mass.
TOP_K_DISABLED = 0
TOP_P_DISABLED = 1.0

# LLM(...) keywords used unless the model spec's ``vllm:`` block overrides them.
LLM_DEFAULTS: dict[str, Any] = {
    "dtype": "bfloat16",  # the models' own precision (paper: A100 80 GB, one GPU per job)
    "gpu_memory_utilization": 0.90,
    "tensor_parallel_size": 1,
    "max_model_len": 4096,  # prompt + 2048 new tokens fits every question of the three datasets
    "enable_prefix_caching": True,
}


def request_seeds(seed: int, n_prompts: int) -> list[int]:
    """One seed per request, a function of (shard seed, position in the shard) only.

    vLLM seeds sample k of a request with ``seed + k``; drawing the request seeds from a 31-bit
    range keeps ``seed + k`` a valid int for any n.
    """
    if n_prompts < 0:
        raise ValueError(f"n_prompts must be >= 0, got {n_prompts}")
    if n_prompts == 0:
        return []
    state = np.random.SeedSequence([int(seed)]).generate_state(n_prompts, dtype=np.uint32)
    return [int(s >> 1) for s in state]


def sampling_kwargs(*, n: int, temperature: float, max_new_tokens: int, seed: int) -> dict[str, Any]:
    """Keyword arguments of ``vllm.SamplingParams`` for one question (pure temperature sampling).

    Temperature 0 is greedy: one decode (``n = 1``), which ``parse_request_outputs`` copies ``n`` times.
    """
    check_generation_args(n=n, temperature=temperature, max_new_tokens=max_new_tokens)
    return {
        "n": 1 if temperature == 0 else int(n),
        "temperature": float(temperature),
        "top_p": TOP_P_DISABLED,
        "top_k": TOP_K_DISABLED,
        "min_p": 0.0,
        "max_tokens": int(max_new_tokens),
        "seed": int(seed),
        "logprobs": 0,  # the sampled token's log-prob only
        "skip_special_tokens": True,
    }


def build_requests(
    prompt_token_ids: Sequence[Sequence[int]], *, n: int, temperature: float, max_new_tokens: int, seed: int
) -> tuple[list[dict[str, list[int]]], list[dict[str, Any]]]:
    """vLLM token prompts and ``SamplingParams`` keywords, one of each per question, seeded per question."""
    seeds = request_seeds(seed, len(prompt_token_ids))
    prompts = []
    for i, ids in enumerate(prompt_token_ids):
        ids = [int(t) for t in ids]
        if not ids:
            raise ValueError(f"prompt {i} is empty")
        prompts.append({"prompt_token_ids": ids})
    params = [sampling_kwargs(n=n, temperature=temperature, max_new_tokens=max_new_tokens, seed=s) for s in seeds]
    return prompts, params


def tokenize_prompts(tokenizer: Any, prompts: Sequence[str]) -> list[list[int]]:
    """Token ids of chat-rendered prompts, without adding special tokens (the template has them)."""
    return [list(tokenizer(p, add_special_tokens=False).input_ids) for p in prompts]


def think_end_token_id(tokenizer: Any) -> int | None:
    """The id of ``</think>`` when the tokenizer has it as one token (the R1 distills do), else None."""
    ids = tokenizer(THINK_END, add_special_tokens=False).input_ids
    return int(ids[0]) if len(ids) == 1 else None


def count_reasoning_token_ids(token_ids: Sequence[int], think_end_id: int | None) -> int | None:
    """Generated tokens before the first ``</think>`` token (all of them if the block never closed);
    None when the tokenizer has no single ``</think>`` token (the runner then counts on the text)."""
    if think_end_id is None:
        return None
    ids = list(token_ids)
    try:
        return ids.index(think_end_id)
    except ValueError:
        return len(ids)


def _mean_logprob(output: Any, num_tokens: int) -> float:
    """Mean log-prob of the sampled tokens: vLLM's cumulative log-prob, or the per-token entries."""
    total = getattr(output, "cumulative_logprob", None)
    if total is None:
        entries = getattr(output, "logprobs", None)
        if entries is None:
            raise ValueError("completion has neither cumulative_logprob nor logprobs (request logprobs=0)")
        total = 0.0
        for token_id, entry in zip(output.token_ids, entries):
            if token_id not in entry:
                raise ValueError(f"completion's logprobs lack the sampled token {token_id}")
            value = entry[token_id]
            total += float(getattr(value, "logprob", value))
    total = float(total)
    if not math.isfinite(total):
        raise ValueError(f"completion has a non-finite cumulative log-prob {total}")
    return total / num_tokens


def completion_to_sample(output: Any, think_end_id: int | None = None) -> Sample:
    """One ``Sample`` from a vLLM ``CompletionOutput`` (see the module docstring for each field).

    ``reasoning_tokens`` is counted whenever the tokenizer has a ``</think>`` token; the runner
    keeps it only for reasoning prompt styles.
    """
    token_ids = list(output.token_ids)
    if not token_ids:
        raise ValueError("completion generated no tokens")
    finish = output.finish_reason
    if finish not in ("stop", "length"):
        raise ValueError(f"completion finished with reason {finish!r} (expected 'stop' or 'length')")
    return Sample(
        text=str(output.text),
        num_tokens=len(token_ids),
        finish_reason=finish,
        mean_logprob=_mean_logprob(output, len(token_ids)),
        reasoning_tokens=count_reasoning_token_ids(token_ids, think_end_id),
    )


def parse_request_outputs(outputs: Sequence[Any], n: int, think_end_id: int | None = None) -> list[list[Sample]]:
    """``n`` samples per request, in request order and by completion ``index``.

    A greedy request (one completion, temperature 0) is copied ``n`` times; any other count than
    ``n`` is an error naming the request.
    """
    result: list[list[Sample]] = []
    for i, request in enumerate(outputs):
        completions = sorted(request.outputs, key=lambda c: c.index)
        samples = [completion_to_sample(c, think_end_id) for c in completions]
        if len(samples) == 1 and n > 1:
            samples = samples * n
        if len(samples) != n:
            rid = getattr(request, "request_id", i)
            raise ValueError(f"request {rid}: expected {n} completions, got {len(samples)}")
        result.append(samples)
    return result


class VLLMEngine(ChatTemplateMixin):
    """A model served by vLLM on the GPU(s) of this job.

    ``model_dir`` is a hub repo id or a local folder (``prepare_model``). Keywords of ``LLM(...)``
    come from ``LLM_DEFAULTS`` updated by the model spec's ``vllm:`` block (e.g.
    ``{gpu_memory_utilization: 0.8, max_model_len: 8192}``). ``threads`` and ``max_batch_rows``
    are accepted for the runner's common call and ignored (vLLM batches by itself); ``progress``
    passes a low-rate tqdm bar to ``LLM.generate(use_tqdm=...)`` (``ttcgames.io.progress``). Gated models
    (Llama) read the token from the environment variable ``HF_TOKEN``, as the hub client does.
    """

    def __init__(
        self,
        model_spec: dict[str, Any],
        model_dir: str,
        *,
        threads: int | None = None,
        max_batch_rows: int = 64,
        progress: bool = False,
    ) -> None:
        from transformers import AutoTokenizer
        from vllm import LLM

        self.model_spec = dict(model_spec)
        self.progress = bool(progress)
        options = {**LLM_DEFAULTS, **(self.model_spec.get("vllm") or {})}
        if self.model_spec.get("dtype"):
            options["dtype"] = self.model_spec["dtype"]
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.think_end_id = think_end_token_id(self.tokenizer)
        # processed_logprobs: log-probs of the temperature-scaled distribution that was sampled.
        self.llm = LLM(model=model_dir, tokenizer=model_dir, seed=0, logprobs_mode="processed_logprobs", **options)

    def generate(
        self, prompts: list[str], *, n: int, temperature: float, max_new_tokens: int, seed: int
    ) -> list[list[Sample]]:
        from vllm import SamplingParams

        requests, kwargs = build_requests(
            tokenize_prompts(self.tokenizer, prompts), n=n, temperature=temperature, max_new_tokens=max_new_tokens, seed=seed
        )
        params = [SamplingParams(**kw) for kw in kwargs]
        # vLLM accepts a bool or a tqdm constructor; ours redraws at most every 30 s (job logs).
        outputs = self.llm.generate(requests, params, use_tqdm=tqdm_factory() if self.progress else False)
        return parse_request_outputs(outputs, n, self.think_end_id)
