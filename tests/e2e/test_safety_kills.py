"""Processes killed part-way (SIGKILL): nothing half-done is ever taken for done, and the same command
run again finishes the job.

For each command a first, unkilled run measures how long it takes; the killed runs are then stopped
after seeded delays spread over that time (kill_delays), counted from the moment each run begins to
change things (its lock appears, or its first file is being written). After each kill:

- a version is absent (no .wrapp file) or checks clean;
- no user file (the source folder of create, USER_FILES in an install folder) is lost or changed;
- the same command exits 0 and leaves the right final state, with no `.wrapp-partial-*` file and no
  lock anywhere.

A lock left by a killed process (dead pid, same host) is taken over at once by the next run.
"""

from __future__ import annotations

import signal

import pytest

from helpers import (
    SERIAL_ARGS, SERIAL_ENV, USER_FILES, assert_clean_install, assert_published_once, digests,
    install_lock, install_started, installed_contents, kill_delays, lock_files, marker, output, partial_files,
    read_json, repo_wrapp, seeded_files, timed, tree_state, user_contents, version_contents,
    version_lock, version_writer_started, wait_until, write_tree,
)

pytestmark = pytest.mark.kill

KIB = 1 << 10


def serial(wrapp):
    """wrapp, one file at a time (what the killed runs do too)."""
    return lambda *args: wrapp(*args, *SERIAL_ARGS, env=SERIAL_ENV)


def kill_points(spawn, seed, duration, prepare):
    """For each seeded kill point: prepare(n) -> (args, once, context) sets up a fresh case (n counts
    the cases); args run one file at a time and are SIGKILLed `delay` seconds after once() first
    holds. A run that ended before its kill is set up again with half the delay (three tries), so that
    a slow calibration does not turn kill points into plain runs. Yields (context, what)."""
    n = 0
    for delay in kill_delays(seed, duration):
        for _ in range(3):
            args, once, context = prepare(n)
            n += 1
            r = spawn(*args, *SERIAL_ARGS, env=SERIAL_ENV).signal_after(delay, signal.SIGKILL, once=once)
            if r.returncode == -signal.SIGKILL:
                how = f"killed {delay:.3f} s after it began"
                break
            how = f"ended before its kill, three times (the last {delay:.3f} s after it began)"
            delay /= 2
        yield context, f"{args[0]} {how} (unkilled: {duration:.3f} s in all)"


def assert_absent_or_clean(wrapp, repo, name, version, what):
    if repo_wrapp(repo, name, version).exists():
        check = wrapp("check", repo_wrapp(repo, name, version))
        assert check.returncode == 0, f"{what}: a killed writer left a published version that is damaged\n{check}"


def assert_nothing_left_over(tmp_path, written, what):
    """No temporary file anywhere, no lock in the folder the command wrote (`written`)."""
    assert partial_files(tmp_path) == [], f"{what}: temporary files remain after the re-run"
    assert lock_files(written) == [], f"{what}: locks remain after the re-run"


def user_folder(path):
    return write_tree(path, USER_FILES)


# ---------------------------------------------------------------------------------------------
# Locks of killed processes


def kill_the_holder_and_run_again(spawn, wrapp, lock, *args):
    """Starts wrapp *args, SIGKILLs it while it holds `lock`, and runs the same command again: the dead
    process's lock must be taken over at once (not after an expiry) and the command must succeed."""
    a = spawn(*args, *SERIAL_ARGS, env=SERIAL_ENV)
    assert wait_until(lock.is_file, proc=a), f"{args[0]} never held its lock object {lock}"
    a.send(signal.SIGKILL)
    assert a.finish().returncode == -signal.SIGKILL
    assert lock.is_file(), "a SIGKILLed process cannot remove its lock"

    r, seconds = timed(wrapp, *args)
    assert r.returncode == 0, f"the lock of a dead process was not taken over\n{r}"
    assert seconds < 20, f"the takeover waited {seconds:.1f} s (for an expiry?) instead of happening at once"


def test_the_lock_of_a_killed_create_is_taken_over_at_once(spawn, wrapp, tmp_path):
    files = seeded_files(51, 600, 64 * KIB)
    src = write_tree(tmp_path / "src", files)
    repo = tmp_path / "repo"
    kill_the_holder_and_run_again(spawn, wrapp, version_lock(repo, "p", "1"), "create", "p", "1", src, "--repo", repo)
    assert_published_once(wrapp, repo, "p", "1", files, "after the takeover")


def test_the_lock_of_a_killed_install_is_taken_over_at_once(spawn, wrapp, tmp_path, update_repo):
    repo, versions = update_repo
    dest = user_folder(tmp_path / "dest")
    kill_the_holder_and_run_again(spawn, wrapp, install_lock(dest), "install", "p", "1", dest, "--repo", repo)
    assert_clean_install(wrapp, dest, versions["1"], "after the takeover")
    assert user_contents(dest) == user_contents(user_folder(tmp_path / "reference"))


# ---------------------------------------------------------------------------------------------
# create, mirror


def test_killed_create_then_create_again(spawn, wrapp, tmp_path):
    files = seeded_files(52, 600, 64 * KIB)
    src = write_tree(tmp_path / "src", files)
    source_state = tree_state(src)
    _, duration = timed(serial(wrapp), "create", "p", "0", src, "--repo", tmp_path / "calibration")

    def prepare(n):
        repo = tmp_path / f"repo{n}"
        return ("create", "p", "1", src, "--repo", repo), version_writer_started(repo, "p", "1"), repo

    for repo, what in kill_points(spawn, 520, duration, prepare):
        assert_absent_or_clean(wrapp, repo, "p", "1", what)
        published = repo_wrapp(repo, "p", "1").exists()

        again = serial(wrapp)("create", "p", "1", src, "--repo", repo)
        if published:  # killed after its .wrapp file, on its way out: done, and versions are immutable
            assert again.returncode == 1 and "already exists" in again.stderr, f"{what}\n{again}"
            assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode == 0, what
            assert version_contents(repo, "p", "1") == digests(files), what
            assert partial_files(tmp_path) == [], f"{what}: temporary files remain after the re-run"
        else:
            assert again.returncode == 0, f"{what}: the re-run failed\n{again}"
            assert_published_once(wrapp, repo, "p", "1", files, what)
            assert_nothing_left_over(tmp_path, repo, what)
        assert tree_state(src) == source_state, f"{what}: the source folder changed"


def test_killed_mirror_then_mirror_again(spawn, wrapp, publish, tmp_path):
    files = seeded_files(53, 16, 3 << 20)
    src_repo, _ = publish("p", "1", files)
    source_state = tree_state(src_repo)
    _, duration = timed(serial(wrapp), "mirror", "p", "1", src_repo, tmp_path / "calibration")

    def prepare(n):
        dst = tmp_path / f"mirror{n}"
        return ("mirror", "p", "1", src_repo, dst), version_writer_started(dst, "p", "1"), dst

    for dst, what in kill_points(spawn, 530, duration, prepare):
        assert_absent_or_clean(wrapp, dst, "p", "1", what)

        again = serial(wrapp)("mirror", "p", "1", src_repo, dst)
        assert again.returncode == 0, f"{what}: the re-run failed\n{again}"
        assert_published_once(wrapp, dst, "p", "1", files, what)
        assert_nothing_left_over(tmp_path, dst, what)
        assert tree_state(src_repo) == source_state, f"{what}: the source repository changed"


def test_killed_import_then_import_again(spawn, wrapp, publish, tmp_path):
    files = seeded_files(54, 16, 3 << 20)
    src_repo, _ = publish("p", "1", files)
    archive = tmp_path / "p-1.tar"
    assert wrapp("export", "p", "1", archive, "--repo", src_repo).returncode == 0
    _, duration = timed(serial(wrapp), "import", archive, tmp_path / "calibration")

    def prepare(n):
        dst = tmp_path / f"imported{n}"
        return ("import", archive, dst), version_writer_started(dst, "p", "1"), dst

    for dst, what in kill_points(spawn, 540, duration, prepare):
        assert_absent_or_clean(wrapp, dst, "p", "1", what)

        again = serial(wrapp)("import", archive, dst)
        assert again.returncode == 0, f"{what}: the re-run failed\n{again}"
        assert_published_once(wrapp, dst, "p", "1", files, what)
        assert_nothing_left_over(tmp_path, dst, what)


# ---------------------------------------------------------------------------------------------
# install, update, uninstall


def test_killed_install_then_install_again(spawn, wrapp, tmp_path, update_repo):
    repo, versions = update_repo
    user_state = user_contents(user_folder(tmp_path / "reference"))
    _, duration = timed(serial(wrapp), "install", "p", "1", user_folder(tmp_path / "calibration"), "--repo", repo)

    def prepare(n):
        dest = user_folder(tmp_path / f"dest{n}")
        return ("install", "p", "1", dest, "--repo", repo), install_started(dest), dest

    for dest, what in kill_points(spawn, 540, duration, prepare):
        assert user_contents(dest) == user_state, f"{what}: a user file was lost or changed"

        again = serial(wrapp)("install", "p", "1", dest, "--repo", repo)
        assert again.returncode == 0, f"{what}: the re-run failed\n{again}"
        assert_clean_install(wrapp, dest, versions["1"], what)
        assert_nothing_left_over(tmp_path, dest, what)
        assert user_contents(dest) == user_state, f"{what}: a user file was lost or changed"
    assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode == 0


def killed_updates(spawn, wrapp, tmp_path, repo, seed, name):
    """For each kill point: an install folder with p 1 and USER_FILES, whose update to p 2 was SIGKILLed.

    Yields (dest, what) after checking that no user file was touched."""
    user_state = user_contents(user_folder(tmp_path / "reference"))
    calibration = user_folder(tmp_path / "calibration")
    assert wrapp("install", "p", "1", calibration, "--repo", repo).returncode == 0
    _, duration = timed(serial(wrapp), "install", "p", "2", calibration, "--repo", repo)

    def prepare(n):
        dest = user_folder(tmp_path / f"dest{n}")
        assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
        return ("install", "p", "2", dest, "--repo", repo), install_started(dest), dest

    for dest, what in kill_points(spawn, seed, duration, prepare):
        what += f", then {name}"
        assert user_contents(dest) == user_state, f"{what}: a user file was lost or changed"
        yield dest, what
        assert_nothing_left_over(tmp_path, dest, what)
        assert user_contents(dest) == user_state, f"{what}: a user file was lost or changed"


def test_status_of_a_killed_update_says_interrupted(spawn, wrapp, tmp_path, update_repo):
    repo, versions = update_repo
    for dest, what in killed_updates(spawn, wrapp, tmp_path, repo, 550, "status"):
        still_old = read_json(marker(dest, "p"))["version"] == "1"
        touched = installed_contents(dest) != digests(versions["1"]) or install_lock(dest).exists()
        if still_old and touched:  # else it was killed before it began, or after it ended
            st = wrapp("status", marker(dest, "p"))
            assert st.returncode == 1 and "interrupted" in output(st), (
                f"{what}: status must say the update was interrupted\n{st}")
        assert serial(wrapp)("install", "p", "2", dest, "--repo", repo).returncode == 0


@pytest.mark.parametrize("recovery", ["update again", "install the old version", "uninstall --force"])
def test_killed_update_then_a_way_out(spawn, wrapp, tmp_path, update_repo, recovery):
    repo, versions = update_repo
    for dest, what in killed_updates(spawn, wrapp, tmp_path, repo, 551, recovery):
        if recovery == "update again":
            r = serial(wrapp)("install", "p", "2", dest, "--repo", repo)
            assert r.returncode == 0, f"{what}\n{r}"
            assert_clean_install(wrapp, dest, versions["2"], what)
        elif recovery == "install the old version":
            r = serial(wrapp)("install", "p", "1", dest, "--repo", repo)
            assert r.returncode == 0, f"{what}\n{r}"
            assert_clean_install(wrapp, dest, versions["1"], what)
        else:
            r = serial(wrapp)("uninstall", "p", dest, "--force")
            assert r.returncode == 0, f"{what}\n{r}"
            assert sorted(tree_state(dest)) == sorted(USER_FILES), f"{what}: only the user's files may remain"


def test_killed_uninstall_then_uninstall_again(spawn, wrapp, publish, tmp_path):
    files = seeded_files(56, 1200, 1 * KIB, folders=30)
    repo, _ = publish("p", "1", files)
    user_state = user_contents(user_folder(tmp_path / "reference"))
    calibration = user_folder(tmp_path / "calibration")
    assert wrapp("install", "p", "1", calibration, "--repo", repo).returncode == 0
    _, duration = timed(serial(wrapp), "uninstall", "p", calibration)

    def prepare(n):
        dest = user_folder(tmp_path / f"dest{n}")
        assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
        first = dest / min(files)
        return ("uninstall", "p", dest), lambda: install_lock(dest).exists() or not first.exists(), dest

    for dest, what in kill_points(spawn, 560, duration, prepare):
        assert user_contents(dest) == user_state, f"{what}: a user file was lost or changed"
        finished = not marker(dest, "p").exists()  # the marker goes last: killed after it, on the way out

        again = serial(wrapp)("uninstall", "p", dest)
        if finished and again.returncode == 1 and "not installed" in again.stderr:
            left = sorted(rel for rel in tree_state(dest) if rel != install_lock(dest).name)  # the killed one's
            assert partial_files(tmp_path) == [], f"{what}: temporary files remain after the re-run"
        else:
            assert again.returncode == 0, f"{what}: the re-run failed\n{again}"
            left = sorted(tree_state(dest))
            assert_nothing_left_over(tmp_path, dest, what)
        assert left == sorted(USER_FILES), f"{what}: only the user's files may remain"
        assert user_contents(dest) == user_state, f"{what}: a user file was lost or changed"
