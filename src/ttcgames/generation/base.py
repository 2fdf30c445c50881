"""The engine interface every generation backend implements, and the lazy engine registry.

Engines are looked up by the ``engine:`` key of a model spec and imported only when asked for,
so the CPU path never imports vLLM (and nothing imports torch before generation starts).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = ["Sample", "Engine", "ENGINES", "load_engine"]


@dataclass(frozen=True)
class Sample:
    """One generated answer.

    ``num_tokens`` counts every generated token the provider bills, the stop token included;
    ``mean_logprob`` is the mean log-probability of those tokens under the sampling distribution
    (temperature applied, no top-k/top-p truncation).
    """

    text: str
    num_tokens: int
    finish_reason: Literal["stop", "length"]
    mean_logprob: float


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
    # "vllm": "ttcgames.generation.vllm_engine:VLLMEngine",  # GPU engine, a later issue
}


def load_engine(model_spec: dict[str, Any], model_dir: str, **options: Any) -> Engine:
    """Instantiate the engine named by ``model_spec['engine']`` (default ``transformers``), importing it lazily."""
    name = model_spec.get("engine", "transformers")
    if name not in ENGINES:
        raise ValueError(f"model spec: unknown engine {name!r}; known: {', '.join(sorted(ENGINES))}")
    module_name, factory = ENGINES[name].split(":")
    module = importlib.import_module(module_name)
    return getattr(module, factory)(model_spec, model_dir, **options)
