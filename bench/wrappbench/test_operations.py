"""The measuring order of bench/run.py: rotation, and the side commands the
quick mode runs once (operations.side). Run by ./test.sh; measures nothing."""
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wrappbench import operations as ops  # noqa: E402
from wrappbench.measure import Result  # noqa: E402


@pytest.fixture(autouse=True)
def no_sync(monkeypatch):
    """measure() syncs before each run: here that would only wait for the
    rest of the machine's write-back."""
    monkeypatch.setattr(ops, "sync", lambda: None)


def runner(repeat: int, side_repeat: int | None) -> ops.Runner:
    cfg = ops.Config(wrapp="wrapp", quick=True, repeat=repeat, seed=1, work_dir="/nonexistent",
                     concurrency=8, can_drop=False, tools={}, side_repeat=side_repeat)
    r = ops.Runner(cfg, "w")
    r.order = []  # keys in the order they were measured
    return r


def entry(r: ops.Runner, key: str, wall: float) -> tuple:
    def fn() -> Result:
        r.order.append(key)
        return Result(argv=[key], wall=wall)
    return (key, fn, None, False)


def test_every_entry_runs_each_repetition_in_rotated_order():
    r = runner(3, None)
    r.alternate([entry(r, "a", 1.0), entry(r, "b", 2.0), entry(r, "c", 3.0)])
    assert r.order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_side_entries_run_only_in_the_first_side_repeat_repetitions():
    r = runner(3, 1)
    r.alternate([entry(r, "wrapp", 1.0), ops.side(entry(r, "dvc", 9.0)), entry(r, "cp", 2.0),
                 ops.side(None)])
    assert r.order == ["wrapp", "dvc", "cp", "cp", "wrapp", "cp", "wrapp"]
    assert len(r.series["wrapp"].results) == 3
    assert len(r.series["dvc"].results) == 1
    assert r.side_keys == {"dvc"}


def test_without_side_repeat_side_entries_run_every_repetition():
    r = runner(2, None)
    r.alternate([entry(r, "wrapp", 1.0), ops.side(entry(r, "dvc", 9.0))])
    assert len(r.series["dvc"].results) == 2


def test_a_row_says_how_many_runs_a_side_command_had():
    r = runner(3, 1)
    r.alternate([entry(r, "wrapp", 1.0), ops.side(entry(r, "dvc", 10.0))])
    row = ops.time_row("create vs DVC", "w", r, "wrapp", "dvc", ("<=", 0.5)).judge()
    assert row.value == 0.1
    assert row.verdict == "PASS"
    assert "dvc: 1 run (a side command)" in row.note
    plain = ops.time_row("create", "w", r, "wrapp", "wrapp")
    assert "side command" not in plain.note
