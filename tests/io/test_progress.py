"""ttcgames.io.progress: the per-shard log lines (done/total, tokens/s, ETA) on a fake clock."""

from __future__ import annotations

import logging

from ttcgames.io.progress import ShardLog, batch_bar, format_eta


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_eta_format():
    assert format_eta(0) == "0:00:00"
    assert format_eta(3725.4) == "1:02:05"
    assert format_eta(None) == "?"


def test_shard_lines_report_progress_speed_and_eta(caplog):
    clock = Clock()
    # 100 questions in 10 shards; 2 shards (20 questions) were finished by a killed earlier run
    slog = ShardLog("generate p1", total=100, n_shards=10, done=20, done_shards=2, clock=clock)
    clock.t += 50.0
    with caplog.at_level(logging.INFO, logger="ttcgames.io.progress"):
        line = slog.shard_done(10, tokens=20_000)
    # this run: 10 questions in 50 s -> 70 left take 350 s; 20000 tokens / 50 s
    assert line == "generate p1: shard 3/10 done, 30/100 questions (30.0%), 400 tokens/s, elapsed 0:00:50, ETA 0:05:50"
    assert caplog.records[-1].getMessage() == line
    clock.t += 25.0
    line = slog.shard_done(10, tokens=10_000)
    # 20 questions in 75 s -> 60 left take 225 s; 30000 tokens / 75 s
    assert line.endswith("shard 4/10 done, 40/100 questions (40.0%), 400 tokens/s, elapsed 0:01:15, ETA 0:03:45")


def test_without_tokens_the_line_has_no_speed():
    clock = Clock()
    slog = ShardLog("rewards", total=4, n_shards=2, unit="questions", clock=clock)
    clock.t += 10
    assert slog.shard_done(2) == "rewards: shard 1/2 done, 2/4 questions (50.0%), elapsed 0:00:10, ETA 0:00:10"


def test_batch_bar_is_rate_limited_and_optional():
    assert batch_bar(3, "x", enabled=False) is None
    bar = batch_bar(3, "x", interval_s=60)
    assert bar.mininterval == 60 and bar.total == 3
    bar.close()
