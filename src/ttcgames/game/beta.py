"""The user rationality beta (paper, Eq. 2: shares proportional to exp(beta V)): one way to read,
write and compare it.

beta is a positive number or infinity (the beta -> inf limit of Eq. 2, users always pick the best
value; Section 3, Theorem 2). It appears in four spellings, all handled here:

- text (command line, CSV cells, config values, published-number files): ``"1000"``, ``"1e3"``,
  ``"0.5"``, ``"inf"``, ``"Infinity"`` (case and surrounding blanks ignored), or a number;
- JSON (the games JSON's ``beta``, the sweep CSV's ``beta`` column): a float, or the string
  ``"inf"`` because JSON has no infinity (:func:`to_json` / :func:`from_json`);
- a label (file names, the workflow's ``--beta`` arguments): ``"1000"``, ``"0.5"``, ``"inf"``
  (:func:`label`);
- a short text for messages and figure titles: ``"1000"``, ``"1e+06"``, ``"inf"`` (:func:`text`).

Two betas are the same when both are infinite or they agree to a relative ``REL_TOL``
(:func:`same`, :func:`matches`): betas read back from JSON, CSV or a config file are compared
this way, never with ``==``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

__all__ = ["REL_TOL", "INF_LABEL", "BetaError", "parse", "label", "text", "to_json", "from_json", "same", "matches", "find"]

# Relative tolerance of "the same beta" (report.tables and report.figures used 1e-9).
REL_TOL = 1e-9
INF_LABEL = "inf"
_INF_WORDS = ("inf", "infinity", "+inf", "+infinity")


class BetaError(ValueError):
    """A value that is not a beta; the message names where it came from when the caller says."""


def _where(where: str | None) -> str:
    return f"{where}: " if where else ""


def parse(raw: object, where: str | None = None) -> float:
    """A beta from text or a number: positive, or ``math.inf``.

    Accepts ints and floats (not bools) and strings that ``float`` reads (``"1e3"``, ``" 5 "``,
    ``"inf"``, ``"Infinity"``). Refuses anything else, NaN, zero and negative numbers with a
    :class:`BetaError` whose message starts with ``where``.
    """
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float, np.integer, np.floating)):
        raise BetaError(f"{_where(where)}beta {raw!r} is not a number")
    if isinstance(raw, str) and raw.strip().lower() in _INF_WORDS:
        return math.inf
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BetaError(f"{_where(where)}beta {raw!r} is not a number") from None
    if math.isnan(value) or value <= 0:
        raise BetaError(f"{_where(where)}beta must be positive or inf, got {raw!r}")
    return value


def label(beta: object) -> str:
    """How a beta is written in file names and on the workflow's command lines:
    1000 -> ``"1000"``, 0.5 -> ``"0.5"``, 1e5 -> ``"100000"``, inf -> ``"inf"``."""
    value = parse(beta)
    if math.isinf(value):
        return INF_LABEL
    return str(int(value)) if value.is_integer() else repr(value)


def text(beta: object) -> str:
    """A short form for messages, notes and titles: ``f"{beta:g}"`` (1000 -> ``"1000"``,
    1e6 -> ``"1e+06"``, inf -> ``"inf"``)."""
    return f"{parse(beta):g}"


def to_json(beta: float) -> float | str:
    """The JSON value of a beta: a float, or ``"inf"`` (JSON has no infinity)."""
    value = parse(beta)
    return INF_LABEL if math.isinf(value) else value


def from_json(raw: object, where: str | None = None) -> float:
    """A beta read from JSON or CSV (inverse of :func:`to_json`); errors name ``where``."""
    return parse(raw, where)


def same(a: object, b: object, rel_tol: float = REL_TOL) -> bool:
    """Whether two betas are the same: both infinite, or both finite and within ``rel_tol``."""
    x, y = parse(a), parse(b)
    if math.isinf(x) or math.isinf(y):
        return math.isinf(x) and math.isinf(y)
    return math.isclose(x, y, rel_tol=rel_tol, abs_tol=0.0)


def matches(values: Iterable[float] | np.ndarray, target: object, rel_tol: float = REL_TOL) -> np.ndarray:
    """Elementwise :func:`same` over an array of already-parsed betas (e.g. a CSV column): a bool array."""
    arr = np.asarray(values, dtype=float)
    goal = parse(target)
    if math.isinf(goal):
        return np.isposinf(arr)
    with np.errstate(invalid="ignore"):
        return np.isfinite(arr) & np.isclose(arr, goal, rtol=rel_tol, atol=0.0)


def find(betas: Iterable[object], target: object, rel_tol: float = REL_TOL) -> int | None:
    """The index of the first of ``betas`` that is :func:`same` as ``target``, or None."""
    goal = parse(target)
    for k, b in enumerate(betas):
        if same(b, goal, rel_tol):
            return k
    return None
