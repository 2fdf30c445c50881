"""Progress of the hours-long stages (generation, reward scoring) in the job's log.

Two levels, both low-volume so a log of a 10-hour job stays readable:

- ``ShardLog``: one ``logging`` line per finished shard with done/total, tokens per second (when
  the stage counts tokens) and the ETA, measured over the shards of this run only (finished shards
  of an earlier, killed run count as done but not as speed);
- ``batch_bar`` / ``tqdm_factory``: a tqdm bar over the batches inside a shard, redrawn at most
  every ``BAR_INTERVAL_S`` seconds, on stderr (the workflow's scripts send stderr to the job log).
"""

from __future__ import annotations

import functools
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

__all__ = ["ShardLog", "format_eta", "batch_bar", "tqdm_factory", "BAR_INTERVAL_S"]

# Seconds between two redraws of a batch bar (tqdm's mininterval; its default 0.1 s would write
# hundreds of thousands of updates into a long job's log).
BAR_INTERVAL_S = 30.0


def format_eta(seconds: float | None) -> str:
    """``H:MM:SS`` (``?`` when unknown)."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "?"
    seconds = int(round(max(seconds, 0.0)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ShardLog:
    """Log one line per finished shard: ``<label>: shard 3/42 done, 96/1319 questions (7.3%), 5123 tokens/s, ETA 1:23:45``.

    ``total`` units (questions) in ``n_shards`` shards, of which ``done`` were finished before
    this run. The speed and the ETA use only this run's units and elapsed time (``clock``).
    """

    def __init__(
        self,
        label: str,
        *,
        total: int,
        n_shards: int,
        done: int = 0,
        done_shards: int = 0,
        unit: str = "questions",
        logger: logging.Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label, self.total, self.n_shards, self.unit = label, int(total), int(n_shards), unit
        self.done, self.done_shards = int(done), int(done_shards)
        self.run_units = 0
        self.tokens = 0
        self.clock = clock
        self.start = clock()
        self.log = logger or logging.getLogger("ttcgames.io.progress")

    def shard_done(self, units: int, tokens: int | None = None) -> str:
        """Record a finished shard of ``units`` units (and ``tokens`` generated/read tokens); log and return the line."""
        self.done += int(units)
        self.done_shards += 1
        self.run_units += int(units)
        elapsed = max(self.clock() - self.start, 1e-9)
        parts = [
            f"{self.label}: shard {self.done_shards}/{self.n_shards} done",
            f"{self.done}/{self.total} {self.unit} ({100.0 * self.done / max(self.total, 1):.1f}%)",
        ]
        if tokens is not None:
            self.tokens += int(tokens)
            parts.append(f"{self.tokens / elapsed:.0f} tokens/s")
        remaining = self.total - self.done
        eta = remaining * elapsed / self.run_units if self.run_units else None
        parts.append(f"elapsed {format_eta(elapsed)}, ETA {format_eta(eta)}")
        line = ", ".join(parts)
        self.log.info(line)
        return line


def tqdm_factory(interval_s: float = BAR_INTERVAL_S) -> Callable[..., Any]:
    """A tqdm constructor with a low redraw rate on stderr (vLLM's ``LLM.generate(use_tqdm=...)`` takes one)."""
    from tqdm.auto import tqdm

    return functools.partial(tqdm, mininterval=interval_s, file=sys.stderr)


def batch_bar(total: int, desc: str, *, enabled: bool = True, unit: str = "batch", interval_s: float = BAR_INTERVAL_S):
    """A low-rate tqdm bar over ``total`` batches, or None when disabled (callers then skip updates)."""
    if not enabled:
        return None
    return tqdm_factory(interval_s)(total=total, desc=desc, unit=unit, leave=False)
