"""The download stage: fetch every hub model (and the reward model) once, on a machine with internet.

On most clusters the compute nodes are offline or should not hammer the hub with 36 concurrent
downloads of the same weights. ``snakemake download_only`` therefore runs, on the login node
(local rules), one ``fetch`` per hub repository into the Hugging Face cache (``HF_HOME``, which
must be on a file system the compute nodes see) and writes a small marker file; the generation
and reward jobs take the markers as inputs and run with ``HF_HUB_OFFLINE=1`` (``use_downloads``).
The datasets are fetched the same way by ``prepare_data``, itself a local rule.

``ignore_patterns`` keeps a snapshot to what transformers and vLLM load: safetensors weights (or
``*.bin`` when a repository has no safetensors), configs, tokenizer files and custom code
(ArmoRM's), never Meta's ``original/`` consolidated checkpoints or other formats.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, MutableMapping, Sequence
from pathlib import Path
from typing import Any

from ttcgames.io.atomic import atomic_write_text

__all__ = ["ignore_patterns", "fetch", "write_marker", "read_marker", "use_downloads", "DownloadError", "ALWAYS_IGNORED"]

# Files never needed by transformers/vLLM in bf16 on a GPU.
ALWAYS_IGNORED = ("original/*", "*.pth", "*.pt", "*.gguf", "*.onnx", "*.onnx_data", "*.msgpack", "*.h5", "*.ot", "*.tflite")


class DownloadError(RuntimeError):
    """A download marker is missing, malformed, or points at files this machine cannot see."""


def ignore_patterns(files: Iterable[str]) -> list[str]:
    """Patterns to skip for a repository holding ``files``: the always-ignored formats, plus the
    PyTorch ``*.bin`` weights when safetensors weights exist (the loaders prefer them)."""
    files = list(files)
    patterns = list(ALWAYS_IGNORED)
    if any(f.endswith(".safetensors") for f in files):
        patterns.append("*.bin")
    return patterns


def fetch(repo: str, revision: str | None = None) -> dict[str, Any]:
    """Download ``repo`` (at ``revision``) into the Hugging Face cache; return the marker contents.

    A local folder is not downloaded (the marker records it as it is). The token for gated
    repositories (Llama) comes from ``HF_TOKEN`` in the environment, as the hub client reads it.
    """
    if Path(repo).is_dir():
        return {"repo": repo, "revision": revision, "path": str(Path(repo).resolve()), "local": True}
    from huggingface_hub import HfApi, snapshot_download

    # With HF_HUB_OFFLINE=1 (a pre-filled cache) the snapshot is resolved from the cache alone.
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on")
    files = [] if offline else HfApi().list_repo_files(repo, revision=revision)
    ignored = ignore_patterns(files)
    path = Path(snapshot_download(repo_id=repo, revision=revision, ignore_patterns=ignored))
    got = [p for p in path.rglob("*") if p.is_file()]
    return {
        "repo": repo,
        "revision": revision,
        "path": str(path),
        "local": False,
        "ignore_patterns": ignored,
        "files": len(got),
        "bytes": sum(p.stat().st_size for p in got),
    }


def write_marker(path: str | os.PathLike, marker: dict[str, Any]) -> Path:
    """Write a download marker (JSON) atomically."""
    return atomic_write_text(path, json.dumps(marker, indent=2, sort_keys=True) + "\n")


def read_marker(path: str | os.PathLike) -> dict[str, Any]:
    try:
        marker = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DownloadError(f"{path}: cannot read the download marker ({exc}); rerun `snakemake download_only`") from None
    if not isinstance(marker, dict) or not isinstance(marker.get("path"), str):
        raise DownloadError(f"{path}: not a download marker (no 'path'); rerun `snakemake download_only`")
    return marker


def use_downloads(markers: Sequence[str | os.PathLike], env: MutableMapping[str, str] | None = None) -> list[dict[str, Any]]:
    """For a job whose models were fetched by the download stage: check that each snapshot is
    visible here and switch the hub client offline (``HF_HUB_OFFLINE=1``). Call before importing
    transformers or vLLM, which read the variable at import."""
    env = os.environ if env is None else env
    found = []
    for m in markers:
        marker = read_marker(m)
        if not Path(marker["path"]).is_dir():
            raise DownloadError(
                f"{m}: {marker['repo']} was downloaded to {marker['path']}, which this machine does not see; "
                "put HF_HOME on a file system shared by the login and compute nodes, then rerun `snakemake download_only`"
            )
        found.append(marker)
    if found:
        env["HF_HUB_OFFLINE"] = "1"
    return found
