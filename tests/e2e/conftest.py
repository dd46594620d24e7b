"""Fixtures for the wrapp end-to-end tests.

`wrapp(*args, cwd=..., env=..., binary=False, progress=False)` runs the binary given by $WRAPP_BIN
(default: build/wrapp relative to the repository root) with `--progress-report off` appended
(for subcommands) and returns Result(returncode, stdout, stderr). The working directory defaults
to the test's tmp_path. `spawn(*args, ...)` starts the same command in the background and returns a
helpers.Running (signal it, wait for it).

Markers: `race` (concurrent writers), `kill` (processes killed part-way) and `s3` (against a moto
server); for example `pytest -m "not kill"` leaves the kill tests out.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import (  # noqa: E402
    BIG_SIZE, Running, random_bytes, read_json, repo_wrapp, run_wrapp, update_versions, wrapp_bin, write_tree,
)


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "race: concurrent wrapp processes writing the same version or folder; also run against the "
        "ThreadSanitizer build (build-tsan)")
    config.addinivalue_line("markers", "kill: wrapp processes killed (SIGKILL) part-way, then run again")
    config.addinivalue_line("markers", "s3: the S3 backend against a moto server started by the test module")
    b = wrapp_bin()
    if not os.access(b, os.X_OK):
        raise pytest.UsageError(f"wrapp binary not found or not executable: {b} (set WRAPP_BIN)")


@pytest.fixture(autouse=True)
def _own_cache_folder(tmp_path_factory, monkeypatch):
    """The default hash cache ($XDG_CACHE_HOME/wrapp/hash-cache) of each test's wrapp runs is its own,
    never the user's nor another test's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def _run(args, cwd, env=None, binary=False, progress=False, timeout=120):
    return run_wrapp(args, cwd, env, binary, progress, timeout)


@pytest.fixture
def wrapp(tmp_path):
    def run(*args, cwd=None, env=None, binary=False, progress=False, timeout=120):
        return _run(args, cwd if cwd is not None else tmp_path, env, binary, progress, timeout)

    return run


@pytest.fixture
def wrapp_raw(tmp_path):
    """Runs the binary with exactly the given arguments (no --progress-report off appended)."""

    def run(*args, cwd=None, env=None):
        return _run(args, cwd if cwd is not None else tmp_path, env, progress=True)

    return run


@pytest.fixture
def spawn(tmp_path):
    """spawn(*args, cwd=None, env=None) -> Running: wrapp started in the background (see helpers.Running).

    Processes still running when the test ends are killed (each by its own pid)."""
    started = []

    def start(*args, cwd=None, env=None):
        proc = Running(args, cwd if cwd is not None else tmp_path, env)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def make_tree():
    return write_tree


@pytest.fixture
def big_data():
    """Deterministic random content larger than 32 MiB."""
    return random_bytes(BIG_SIZE, seed=1234)


@pytest.fixture
def sample_files():
    """A small mixed tree: text, unicode and spaced names, empty file, chunk-boundary binaries."""
    return {
        "a.txt": "hello\n",
        "sub/b.txt": "world\n",
        "sub/deeper/c.bin": random_bytes(3 * (1 << 20) + 5, seed=7),
        "one_mib.bin": random_bytes(1 << 20, seed=8),
        "one_mib_plus.bin": random_bytes((1 << 20) + 1, seed=9),
        "empty.txt": b"",
        "name with space.txt": "spaces\n",
        "ünïcode/ß.txt": "unicode\n",
    }


@pytest.fixture
def publish(wrapp, tmp_path):
    """publish(name, version, files, repo=tmp_path/'repo', src=None) -> (repo, src) with an exit-0 check."""

    def do(name, version, files, repo=None, src=None, extra_args=()):
        repo = Path(repo) if repo is not None else tmp_path / "repo"
        src = Path(src) if src is not None else tmp_path / f"src-{name}-{version}"
        write_tree(src, files)
        r = wrapp("create", name, version, src, "--repo", repo, *extra_args)
        assert r.returncode == 0, str(r)
        assert repo_wrapp(repo, name, version).is_file()
        return repo, src

    return do


@pytest.fixture
def publish_and_install(wrapp, publish, tmp_path):
    """publish_and_install(files) -> (repo, dest): package p 1 installed into tmp_path/'dest'."""

    def do(files):
        repo, _ = publish("p", "1", files)
        dest = tmp_path / "dest"
        r = wrapp("install", "p", "1", dest, "--repo", repo)
        assert r.returncode == 0, str(r)
        return repo, dest

    return do


@pytest.fixture(scope="module")
def update_repo(tmp_path_factory):
    """(repo, versions): p 1 and p 2 of helpers.update_versions(), published once per module. Tests
    install from it and must not change it."""
    root = tmp_path_factory.mktemp("update-repo")
    versions = update_versions()
    for version, files in versions.items():
        src = write_tree(root / f"src-{version}", files)
        r = run_wrapp(["create", "p", version, src, "--repo", root / "repo"], root)
        assert r.returncode == 0, str(r)
        shutil.rmtree(src)
    return root / "repo", versions


@pytest.fixture
def load_json():
    return read_json
