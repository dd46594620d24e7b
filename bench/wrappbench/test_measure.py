"""The bench's trash (measure.use_trash, rm, empty_trash_in_background):
removed trees wait there, the run ends without waiting for their removal,
and the next run starts once they are gone. Run by ./test.sh."""
from __future__ import annotations

import fcntl
import os
import shutil
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from wrappbench import measure  # noqa: E402


def tree(path: str, files: int = 20) -> str:
    os.makedirs(os.path.join(path, "sub"))
    for i in range(files):
        with open(os.path.join(path, "sub", f"f{i}"), "w") as f:
            f.write("x" * i)
    return path


@pytest.fixture
def work(tmp_path, monkeypatch):
    # Whatever the disk's free space: the trash is emptied early only when
    # it runs low (TRASH_MIN_FREE), which would empty these tests' trash.
    monkeypatch.setattr(measure, "TRASH_MIN_FREE", 0)
    yield str(tmp_path)
    measure.use_trash(None)


def test_rm_moves_trees_into_the_trash(work):
    trash = os.path.join(work, "trash")
    measure.use_trash(trash)
    a = tree(os.path.join(work, "a"))
    measure.rm(a, os.path.join(work, "absent"))
    assert not os.path.exists(a)
    assert len(os.listdir(trash)) == 1


@pytest.mark.skipif(not shutil.which("flock"), reason="flock(1) not installed")
def test_the_trash_is_removed_after_the_run_and_the_next_run_waits_for_it(work):
    trash = os.path.join(work, "trash")
    measure.use_trash(trash)
    measure.rm(tree(os.path.join(work, "a")))
    # The lock held here keeps the background removal waiting until 0.3 s
    # after the next run has started.
    with open(trash + ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        doomed = measure.empty_trash_in_background()
        assert doomed and os.path.dirname(doomed) == work and os.path.basename(doomed).startswith("trash-")
        assert not os.path.exists(trash)
        assert os.path.isdir(doomed)
        release = threading.Timer(0.3, lambda: fcntl.flock(held, fcntl.LOCK_UN))
        release.start()
        # The next run: the earlier trash is gone before it starts, and its
        # own trash is new and empty.
        measure.use_trash(trash)
        release.join()
    assert sorted(os.listdir(work)) == ["trash", "trash.lock"]
    assert os.listdir(trash) == []


def test_nothing_to_remove_starts_nothing(work):
    measure.use_trash(os.path.join(work, "trash"))
    shutil.rmtree(os.path.join(work, "trash"))
    assert measure.empty_trash_in_background() is None
