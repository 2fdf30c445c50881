"""The engine interface every generation backend implements, and the lazy engine registry.

Engines are looked up by the ``engine:`` key of a model spec and imported only when asked for,
so the CPU path never imports vLLM (and nothing imports torch before generation starts).
``engine: auto`` means vLLM when a CUDA device is visible and vLLM is installed, else transformers;
it is resolved in the generation job itself (``resolve_engine_name``), on the machine that runs it.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "Sample",
    "Engine",
    "ENGINES",
    "load_engine",
    "resolve_engine_name",
    "cuda_available",
    "THINK_END",
    "reasoning_text",
    "with_assistant_prefix",
]

THINK_END = "</think>"


@dataclass(frozen=True)
class Sample:
    """One generated answer.

    ``num_tokens`` counts every generated token the provider bills, the stop token included;
    ``mean_logprob`` is the mean log-probability of those tokens under the sampling distribution
    (temperature applied, no top-k/top-p truncation). ``reasoning_tokens`` is set by engines that
    count the think block on the generated token ids themselves (vLLM); otherwise the runner
    counts it from the text with ``Engine.count_tokens``.
    """

    text: str
    num_tokens: int
    finish_reason: Literal["stop", "length"]
    mean_logprob: float
    reasoning_tokens: int | None = None


@runtime_checkable
class Engine(Protocol):
    """A loaded model that turns chat messages into prompts and prompts into samples."""

    def chat_prompt(self, messages: list[dict[str, str]], assistant_prefix: str = "") -> str:
        """Render messages with the model's chat template, ready for generation."""
        ...

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` under the model's tokenizer (used for reasoning-token counts)."""
        ...

    def generate(
        self, prompts: list[str], *, n: int, temperature: float, max_new_tokens: int, seed: int
    ) -> list[list[Sample]]:
        """``n`` samples per prompt, deterministic given ``seed`` and the inputs."""
        ...


# engine name -> "module:factory"; the factory takes (model_spec, model_dir, **options).
ENGINES: dict[str, str] = {
    "transformers": "ttcgames.generation.transformers_engine:TransformersEngine",
    "vllm": "ttcgames.generation.vllm_engine:VLLMEngine",
}


def reasoning_text(text: str) -> str:
    """The think block of a sample generated after a pre-filled ``<think>\\n``: the text before
    ``</think>``, or all of it when the sample never closed the block (truncated)."""
    end = text.find(THINK_END)
    return text if end == -1 else text[:end]


def with_assistant_prefix(rendered: str, prefix: str) -> str:
    """Append the assistant pre-fill to a rendered chat prompt unless the template already ends with it.

    Newer chat templates of the R1 distills open the assistant turn with ``<think>\\n`` themselves;
    appending the paper's pre-fill again would give the model two think tags.
    """
    if not prefix:
        return rendered
    if rendered.endswith(prefix):
        return rendered
    stripped = prefix.rstrip()
    if stripped and rendered.rstrip().endswith(stripped):
        return rendered.rstrip() + prefix[len(stripped):]
    return rendered + prefix


def check_generation_args(*, n: int, temperature: float, max_new_tokens: int) -> None:
    """The arguments every engine's ``generate`` accepts: n >= 1, max_new_tokens >= 1, temperature >= 0."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be >= 1, got {max_new_tokens}")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")


class ChatTemplateMixin:
    """``chat_prompt`` and ``count_tokens`` of the Engine protocol for engines holding a Hugging Face
    ``self.tokenizer`` (the transformers and vLLM engines)."""

    tokenizer: Any

    def chat_prompt(self, messages: list[dict[str, str]], assistant_prefix: str = "") -> str:
        """The model's chat template with the assistant turn opened (plus an optional pre-fill)."""
        text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return with_assistant_prefix(text, assistant_prefix)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False).input_ids)


def cuda_available() -> bool:
    """Whether torch sees a CUDA device (False when torch is not installed); never imports vLLM."""
    if importlib.util.find_spec("torch") is None:
        return False
    import torch

    return bool(torch.cuda.is_available())


def resolve_engine_name(model_spec: dict[str, Any]) -> str:
    """The engine a model spec runs on here: its ``engine`` key, with ``auto`` = vLLM when CUDA and vLLM are present."""
    name = model_spec.get("engine", "transformers")
    if name == "auto":
        # find_spec of a top-level package does not import it, so the CPU path stays vLLM-free.
        return "vllm" if importlib.util.find_spec("vllm") is not None and cuda_available() else "transformers"
    return name


def load_engine(model_spec: dict[str, Any], model_dir: str, **options: Any) -> Engine:
    """Instantiate the engine named by ``model_spec['engine']`` (default ``transformers``; ``auto``
    resolved by ``resolve_engine_name``), importing it lazily."""
    name = resolve_engine_name(model_spec)
    if name not in ENGINES:
        raise ValueError(f"model spec: unknown engine {name!r}; known: auto, {', '.join(sorted(ENGINES))}")
    module_name, factory = ENGINES[name].split(":")
    module = importlib.import_module(module_name)
    return getattr(module, factory)(model_spec, model_dir, **options)
