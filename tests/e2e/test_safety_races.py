"""Concurrent writers: a version, or an install folder, is written by one process at a time.

create and mirror lock `<repo>/.wrapp-locks/<name>/<version>.lock`, install locks
`<destination>/.wrapp-install.lock`. A second writer while a live one holds the lock exits 1 with
"locked by" and the holder's pid; a lock does not outlive a command that ended normally.

Every command here is slowed to one file at a time (SERIAL_ENV, SERIAL_ARGS) and moves 37-96 MiB,
so that the processes really overlap: the second one starts once the first has visibly begun (its
lock or its version folder exists), after a seeded delay.
"""

from __future__ import annotations

import random
import signal
import time

import pytest

from helpers import (
    SERIAL_ARGS, SERIAL_ENV, assert_clean_install, assert_published_once, digests, install_lock,
    install_started, lock_files, marker, output, read_json, repo_wrapp, run_concurrently, seeded_files,
    version_contents, version_lock, version_writer_started, wait_until, write_tree,
)

pytestmark = pytest.mark.race

KIB = 1 << 10


def source(n: int) -> dict:
    """Two sources of one version (75 MiB): the same 600 paths with other bytes, plus a few of their own."""
    return {**seeded_files(10 + n, 600, 128 * KIB), **seeded_files(20 + n, 8, 4 * KIB, prefix=f"only{n}-")}


def mirrored() -> dict:
    return seeded_files(21, 600, 64 * KIB)  # 37 MiB


def big_files(seed: int) -> dict:
    """32 files of 3 MiB: a stop (Ctrl-C, kill) lands inside a file, not between two."""
    return seeded_files(seed, 32, 3 << 20)


def start_serial(spawn, *args):
    return spawn(*args, *SERIAL_ARGS, env=SERIAL_ENV)


def lost_to_a_lock(r) -> bool:
    return r.returncode == 1 and "locked by" in r.stderr


def second_writer_while_paused(holder, wrapp, *args):
    """Runs wrapp(*args) while the holder of a lock is stopped (SIGSTOP): alive, but not finishing."""
    assert holder.send(signal.SIGSTOP), "the lock holder ended before the second writer could start"
    try:
        return wrapp(*args)
    finally:
        holder.send(signal.SIGCONT)


# ---------------------------------------------------------------------------------------------
# create


def test_concurrent_creates_of_one_version_publish_one_source_whole(spawn, wrapp, tmp_path):
    contents = {"v1": source(1), "v2": source(2)}
    sources = {k: write_tree(tmp_path / k, files) for k, files in contents.items()}
    rng = random.Random(4242)
    for round_ in range(3):
        repo = tmp_path / f"repo{round_}"
        first, second = ("v1", "v2") if round_ % 2 == 0 else ("v2", "v1")
        a = start_serial(spawn, "create", "pkg", "9", sources[first], "--repo", repo)
        wait_until(version_writer_started(repo, "pkg", "9"), proc=a)
        time.sleep(rng.uniform(0.05, 0.25))
        b = start_serial(spawn, "create", "pkg", "9", sources[second], "--repo", repo)
        results = {first: a.finish(), second: b.finish()}
        what = f"round {round_} ({first} first)"

        winners = [k for k, r in results.items() if r.returncode == 0]
        assert len(winners) == 1, f"{what}: not exactly one create succeeded: {results}"
        loser = results[first if winners[0] == second else second]
        assert loser.returncode == 1 and ("locked by" in loser.stderr or "already exists" in loser.stderr), (
            f"{what}: the losing create must exit 1 (locked by / already exists)\n{loser}")
        assert_published_once(wrapp, repo, "pkg", "9", contents[winners[0]], what)


def test_ctrl_c_of_a_second_create_leaves_the_published_version_whole(spawn, wrapp, tmp_path):
    files = big_files(41)
    src = write_tree(tmp_path / "src", files)
    rng = random.Random(5150)
    for round_ in range(3):
        repo = tmp_path / f"repo{round_}"
        a = start_serial(spawn, "create", "pkg", "9", src, "--repo", repo)
        wait_until(version_writer_started(repo, "pkg", "9"), proc=a)
        time.sleep(rng.uniform(0.02, 0.1))
        b = start_serial(spawn, "create", "pkg", "9", src, "--repo", repo)
        rb = b.signal_after(rng.uniform(0.1, 0.25), signal.SIGINT)
        ra = a.finish()
        what = f"round {round_}"
        assert ra.returncode == 0, f"{what}: the first create failed\n{ra}"
        # 130: stopped by the Ctrl-C it handled. -SIGINT: the signal came before the handler was installed
        # or after it was removed on the way out (a slow sanitizer build may be anywhere then): the default
        # action, which writes nothing. 1: refused by the lock or the published version.
        assert rb.returncode in (130, -signal.SIGINT) or (rb.returncode == 1 and (
            "locked by" in rb.stderr or "already exists" in rb.stderr)), f"{what}: second create\n{rb}"
        assert_published_once(wrapp, repo, "pkg", "9", files, what)


def test_create_lock_names_its_holder_and_is_released(spawn, wrapp, tmp_path):
    repo = tmp_path / "repo"
    files = source(1)
    src = write_tree(tmp_path / "src", files)
    other = write_tree(tmp_path / "other", {"x.txt": "another source"})
    lock = version_lock(repo, "pkg", "9")
    a = start_serial(spawn, "create", "pkg", "9", src, "--repo", repo)
    assert wait_until(lock.is_file, proc=a), f"create never held its lock object {lock}"
    b = second_writer_while_paused(a, wrapp, "create", "pkg", "9", other, "--repo", repo)
    assert lost_to_a_lock(b) and str(a.pid) in b.stderr, f"second writer (holder pid {a.pid})\n{b}"
    assert a.finish().returncode == 0, str(a.finish())
    assert not lock.exists(), "the lock outlived a successful create"
    assert_published_once(wrapp, repo, "pkg", "9", files, "after the holder finished")

    again = wrapp("create", "pkg", "9", other, "--repo", repo)
    assert again.returncode == 1 and "already exists" in again.stderr, str(again)
    assert lock_files(repo) == [], "the lock outlived a create that failed"

    c = start_serial(spawn, "create", "pkg", "10", src, "--repo", repo)
    assert wait_until(version_lock(repo, "pkg", "10").is_file, proc=c), "create never held its lock object"
    c.send(signal.SIGINT)
    assert c.finish().returncode == 130, str(c.finish())
    assert lock_files(repo) == [], "the lock outlived a create cancelled with Ctrl-C"


# ---------------------------------------------------------------------------------------------
# mirror


@pytest.fixture
def mirror_source(publish):
    repo, _ = publish("p", "1", mirrored())
    return repo


@pytest.fixture
def big_mirror_source(publish):
    repo, _ = publish("p", "1", big_files(42))
    return repo


def test_concurrent_mirrors_of_one_version_publish_it_once(spawn, wrapp, tmp_path, mirror_source):
    files = mirrored()
    rng = random.Random(2024)
    for round_, n in enumerate((2, 8, 4, 2)):
        dst = tmp_path / f"mirror{round_}"
        procs = []
        for _ in range(n):
            procs.append(start_serial(spawn, "mirror", "p", "1", mirror_source, dst))
            time.sleep(rng.uniform(0.0, 0.05))
        results = [p.finish() for p in procs]
        what = f"round {round_} ({n} mirrors)"
        for r in results:
            assert r.returncode == 0 or lost_to_a_lock(r), f"{what}: a mirror exited otherwise\n{r}"
        assert any(r.returncode == 0 for r in results), f"{what}: no mirror succeeded"
        assert_published_once(wrapp, dst, "p", "1", files, what)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_a_mirror_stopped_after_another_published_leaves_the_version_whole(spawn, wrapp, tmp_path,
                                                                           big_mirror_source, sig):
    rng = random.Random(int(sig))
    for round_ in range(3):
        dst = tmp_path / f"mirror{round_}"
        a = start_serial(spawn, "mirror", "p", "1", big_mirror_source, dst)
        wait_until(version_writer_started(dst, "p", "1"), proc=a)
        time.sleep(rng.uniform(0.02, 0.08))
        b = start_serial(spawn, "mirror", "p", "1", big_mirror_source, dst)
        ra = a.finish()
        what = f"round {round_}"
        assert ra.returncode == 0, f"{what}\n{ra}"
        b.send(sig)  # if it still runs: the version is published by now
        rb = b.finish()
        # -SIGINT: the Ctrl-C came before its handler was installed or after it was removed on the way out.
        assert rb.returncode in (0, -signal.SIGKILL, 130, -signal.SIGINT) or lost_to_a_lock(rb), f"{what}\n{rb}"
        check = wrapp("check", repo_wrapp(dst, "p", "1"))
        assert check.returncode == 0, f"{what}: the published version was damaged by the stopped mirror\n{check}"
        assert version_contents(dst, "p", "1") == digests(big_files(42)), what


# ---------------------------------------------------------------------------------------------
# install


@pytest.mark.parametrize("start", ["empty folder", "older version installed"])
def test_concurrent_installs_of_one_version(spawn, wrapp, tmp_path, update_repo, start):
    repo, versions = update_repo
    rng = random.Random(808)
    for round_, n in enumerate((2, 8)):
        dest = tmp_path / f"dest{round_}"
        if start != "empty folder":
            assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
        command = ("install", "p", "2", dest, "--repo", repo, *SERIAL_ARGS)
        results = run_concurrently(lambda *a: spawn(*a, env=SERIAL_ENV), [command] * n,
                                   stagger=rng.uniform(0.0, 0.03))
        what = f"round {round_} ({n} installs, {start})"
        for r in results:
            assert r.returncode == 0 or lost_to_a_lock(r), f"{what}: an install exited otherwise\n{r}"
        assert any(r.returncode == 0 for r in results), f"{what}: no install succeeded"
        assert_clean_install(wrapp, dest, versions["2"], what)


def test_concurrent_installs_of_two_versions_leave_exactly_one(spawn, wrapp, tmp_path, update_repo):
    repo, versions = update_repo
    rng = random.Random(99)
    for round_ in range(3):
        dest = tmp_path / f"dest{round_}"
        first, second = ("1", "2") if round_ % 2 == 0 else ("2", "1")
        a = start_serial(spawn, "install", "p", first, dest, "--repo", repo)
        wait_until(install_started(dest), proc=a)
        time.sleep(rng.uniform(0.0, 0.1))
        b = start_serial(spawn, "install", "p", second, dest, "--repo", repo)
        results = [a.finish(), b.finish()]
        what = f"round {round_} ({first} first)"
        for r in results:
            assert r.returncode == 0 or lost_to_a_lock(r), f"{what}: an install exited otherwise\n{r}"
        installed = read_json(marker(dest, "p"))["version"]
        assert_clean_install(wrapp, dest, versions[installed], f"{what}, marker says {installed}")


def test_install_lock_names_its_holder_and_is_released(spawn, wrapp, tmp_path, update_repo):
    repo, versions = update_repo
    dest = tmp_path / "dest"
    lock = install_lock(dest)

    def contend(holding, contending, what):
        """Installs `holding`, and while it holds the lock (paused) installs `contending`, which must lose."""
        holder = start_serial(spawn, "install", "p", holding, dest, "--repo", repo)
        assert wait_until(lock.is_file, proc=holder), f"install never held its lock object {lock}"
        second = second_writer_while_paused(holder, wrapp, "install", "p", contending, dest, "--repo", repo)
        assert lost_to_a_lock(second) and str(holder.pid) in second.stderr, \
            f"{what} (holder pid {holder.pid})\n{second}"
        assert holder.finish().returncode == 0, str(holder.finish())
        assert_clean_install(wrapp, dest, versions[holding], f"after the holder of '{what}' finished")

    contend("1", "2", "second writer")
    # A re-install of the installed version is checked without the lock, but
    # not while an install holds it: the marker still names 1 while files
    # change, and the check waits its turn like any writer.
    contend("2", "1", "re-install while an update holds the lock")
    back = wrapp("install", "p", "1", dest, "--repo", repo)
    assert back.returncode == 0, str(back)

    victim = sorted(k for k in versions["1"] if k in versions["2"])[0]
    (dest / victim).write_bytes(b"a local modification")
    refused = wrapp("install", "p", "2", dest, "--repo", repo)
    assert refused.returncode == 1 and "modified" in output(refused), str(refused)
    assert not lock.exists(), "the lock outlived an install that failed"
