"""ttcgames.data.downloads: what a snapshot skips, and the offline switch of jobs after the download stage."""

from __future__ import annotations

import pytest

from ttcgames.data.downloads import DownloadError, ignore_patterns, use_downloads, write_marker

LLAMA = ["config.json", "model-00001-of-00004.safetensors", "original/consolidated.00.pth", "pytorch_model.bin", "tokenizer.json"]


def test_safetensors_repos_skip_bin_and_meta_originals():
    patterns = ignore_patterns(LLAMA)
    assert "*.bin" in patterns and "original/*" in patterns and "*.pth" in patterns
    # a repository with only PyTorch weights keeps them
    assert "*.bin" not in ignore_patterns(["config.json", "pytorch_model.bin"])


def test_jobs_go_offline_only_when_every_snapshot_is_visible(tmp_path):
    snap = tmp_path / "hub" / "snap"
    snap.mkdir(parents=True)
    good = write_marker(tmp_path / "m.json", {"repo": "Qwen/x", "path": str(snap)})
    env: dict[str, str] = {}
    assert use_downloads([good], env)[0]["repo"] == "Qwen/x" and env["HF_HUB_OFFLINE"] == "1"
    # downloaded on the login node into a cache the compute node does not see
    elsewhere = write_marker(tmp_path / "n.json", {"repo": "Qwen/y", "path": str(tmp_path / "not-here")})
    env = {}
    with pytest.raises(DownloadError, match="Qwen/y was downloaded to .*not-here.*HF_HOME on a file system shared"):
        use_downloads([good, elsewhere], env)
    assert "HF_HUB_OFFLINE" not in env
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(DownloadError, match="bad.json: cannot read the download marker"):
        use_downloads([tmp_path / "bad.json"], {})
    env = {}
    assert use_downloads([], env) == [] and env == {}  # CPU jobs without hub models stay as they are
