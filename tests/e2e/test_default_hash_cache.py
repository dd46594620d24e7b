"""The hash cache on by default (docs/cli.md, generic options): commands that hash local files keep their
hashes in $XDG_CACHE_HOME/wrapp/hash-cache (else ~/.cache/...), so a status or a re-install of an
unchanged tree hashes nothing; --no-hash-cache turns it off; processes saving it at once lose nothing.

conftest gives each test an XDG_CACHE_HOME of its own."""

from __future__ import annotations

import os
from pathlib import Path

from hash_cache_table import read_table, write_table
from helpers import hash_bytes, write_tree


def default_cache() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "wrapp" / "hash-cache"


def test_an_install_fills_the_default_cache_and_status_trusts_it(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1.0", {"a.txt": b"alpha", "d/b.txt": b"beta"})
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1.0", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    cache = read_table(default_cache())
    installed = str(dest.resolve() / "a.txt")
    assert cache[installed]["hash"] == hash_bytes(b"alpha"), sorted(cache)
    # The cache is what status believes for a file whose stamp is unchanged: a wrong hash planted there
    # shows up as a difference without flags, and not with --no-hash-cache, which reads the bytes.
    cache[installed]["hash"] = hash_bytes(b"not alpha")
    write_table(default_cache(), cache)
    r = wrapp("status", dest)
    assert r.returncode == 1 and "a.txt" in r.stdout, str(r)
    r = wrapp("status", dest, "--no-hash-cache")
    assert r.returncode == 0, str(r)


def test_no_hash_cache_and_commands_that_hash_nothing_leave_no_cache(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1.0", {"a.txt": b"a"}, extra_args=("--no-hash-cache",))
    assert wrapp("install", "p", "1.0", tmp_path / "dest", "--repo", repo, "--no-hash-cache").returncode == 0
    assert wrapp("list-repo", repo).returncode == 0
    assert wrapp("version").returncode == 0
    assert not default_cache().exists()
    r = wrapp("status", tmp_path / "dest", "--no-hash-cache", "--hcf", tmp_path / "c.json")
    assert r.returncode == 1 and "--no-hash-cache" in r.stderr and "excludes" in r.stderr, str(r)


def test_an_explicit_cache_file_replaces_the_default(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    assert wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "--hcf", tmp_path / "mine").returncode == 0
    assert str(tmp_path / "x" / "a") in read_table(tmp_path / "mine") and not default_cache().exists()


def test_without_home_or_xdg_there_is_no_default_cache(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "-d", env={"XDG_CACHE_HOME": "", "HOME": ""})
    assert r.returncode == 0 and "hash cache off" in r.stderr, str(r)
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", env={"XDG_CACHE_HOME": "", "HOME": str(tmp_path)})
    assert r.returncode == 0 and (tmp_path / ".cache" / "wrapp" / "hash-cache").is_file(), str(r)


def test_processes_saving_the_cache_at_once_lose_no_entry(wrapp, spawn, tmp_path):
    trees = [write_tree(tmp_path / f"t{i}", {f"f{j}": f"{i}-{j}" for j in range(30)}) for i in range(4)]
    running = [spawn("catalog", t, tmp_path / f"c{i}.json") for i, t in enumerate(trees)]
    for proc in running:
        assert proc.finish().returncode == 0, str(proc.result)
    entries = read_table(default_cache())
    for t in trees:
        for j in range(30):
            assert str(t.resolve() / f"f{j}") in entries, (t, j)


def test_a_default_cache_that_cannot_be_saved_only_warns(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", env={"XDG_CACHE_HOME": str(blocker)})
    assert r.returncode == 0 and r.stderr.startswith("warning: ") and "not-a-folder" in r.stderr, str(r)
    # A cache file the user named is theirs: failing to save it fails the command (exit 2).
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "--hcf", blocker / "cache.json")
    assert r.returncode == 2 and "not-a-folder" in r.stderr, str(r)
