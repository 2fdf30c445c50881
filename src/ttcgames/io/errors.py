"""The error of a malformed workflow artifact, shared by every reader of the package."""

from __future__ import annotations

__all__ = ["ArtifactError"]


class ArtifactError(ValueError):
    """A workflow artifact is missing a key, malformed, or inconsistent; the message names file and line."""
