"""wrapp check: verifying a repository package version."""

from __future__ import annotations

import json

import pytest

from helpers import (
    BIG_SIZE, corrupt_same_size, hash_bytes, make_writable, mentions, random_bytes, read_json, repo_wrapp,
    url, version_dir,
)

FILES = {"a.txt": "alpha", "sub/b.txt": "bravo", "c.bin": random_bytes(1500000, seed=4)}


@pytest.fixture
def repo(publish):
    repo, _ = publish("p", "1", FILES)
    return repo


def _bad_lines(stdout: str) -> list:
    return [l for l in stdout.splitlines() if l.split() and l.split()[0].rstrip(":") in
            ("hash_mismatch", "size_mismatch", "missing")]


def test_check_ok(wrapp, repo):
    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 0, str(r)
    assert "all ok" in r.stdout, str(r)
    assert _bad_lines(r.stdout) == []


def test_check_ok_json(wrapp, repo):
    r = wrapp("check", url(repo_wrapp(repo, "p", "1")), "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert j["ok"] is True
    assert sorted(f["relative_path"] for f in j["files"]) == sorted(FILES)
    assert all(f["status"] == "ok" for f in j["files"])


def test_check_hash_mismatch(wrapp, repo):
    corrupt_same_size(version_dir(repo, "p", "1") / "sub" / "b.txt", offset=2)
    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 1, str(r)
    bad = _bad_lines(r.stdout)
    assert len(bad) == 1, str(r)
    assert "hash_mismatch" in bad[0] and "sub/b.txt" in bad[0]
    assert "all ok" not in r.stdout


def test_check_size_mismatch(wrapp, repo):
    f = version_dir(repo, "p", "1") / "a.txt"
    make_writable(f)
    f.write_text("alp")
    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 1, str(r)
    bad = _bad_lines(r.stdout)
    assert len(bad) == 1 and "size_mismatch" in bad[0] and "a.txt" in bad[0], str(r)


def test_check_missing(wrapp, repo):
    (version_dir(repo, "p", "1") / "c.bin").unlink()
    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 1, str(r)
    bad = _bad_lines(r.stdout)
    assert len(bad) == 1 and "missing" in bad[0] and "c.bin" in bad[0], str(r)


def test_check_reports_every_problem_json(wrapp, repo):
    vdir = version_dir(repo, "p", "1")
    corrupt_same_size(vdir / "c.bin", offset=1400000)
    make_writable(vdir / "a.txt")
    (vdir / "a.txt").write_text("a")
    (vdir / "sub" / "b.txt").unlink()
    r = wrapp("check", repo_wrapp(repo, "p", "1"), "--json")
    assert r.returncode == 1, str(r)
    j = json.loads(r.stdout)
    assert j["ok"] is False
    status = {f["relative_path"]: f["status"] for f in j["files"]}
    assert status == {"a.txt": "size_mismatch", "sub/b.txt": "missing", "c.bin": "hash_mismatch"}


def test_check_big_file_corrupted_in_last_chunk(wrapp, publish, big_data):
    repo, _ = publish("big", "1", {"huge.bin": big_data})
    r = wrapp("check", repo_wrapp(repo, "big", "1"))
    assert r.returncode == 0, str(r)
    corrupt_same_size(version_dir(repo, "big", "1") / "huge.bin", offset=BIG_SIZE - 10)
    r = wrapp("check", repo_wrapp(repo, "big", "1"), "--json")
    assert r.returncode == 1, str(r)
    files = json.loads(r.stdout)["files"]
    assert [(f["relative_path"], f["status"]) for f in files] == [("huge.bin", "hash_mismatch")]


def publish_app_with_lib(wrapp, publish, tmp_path):
    """Publishes lib 1, and app 1 created from a folder with lib installed in sub/."""
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    app = tmp_path / "app"
    app.mkdir()
    (app / "a.txt").write_text("app")
    assert wrapp("install", "lib", "1", app / "sub", "--repo", repo).returncode == 0
    assert wrapp("create", "app", "1", app, "--repo", repo).returncode == 0
    return repo


def test_check_recursive_follows_dependencies(wrapp, publish, tmp_path):
    repo = publish_app_with_lib(wrapp, publish, tmp_path)
    corrupt_same_size(version_dir(repo, "lib", "1") / "l.txt")

    r = wrapp("check", repo_wrapp(repo, "app", "1"))
    assert r.returncode == 0, str(r)

    r = wrapp("check", repo_wrapp(repo, "app", "1"), "--recursive")
    assert r.returncode == 1, str(r)
    bad = _bad_lines(r.stdout)
    assert len(bad) == 1 and "hash_mismatch" in bad[0] and "l.txt" in bad[0], str(r)


def test_check_missing_wrapp_file(wrapp, tmp_path):
    r = wrapp("check", tmp_path / "repo" / ".packages" / "p" / "1" / ".p.wrapp")
    assert r.returncode == 1, str(r)
    assert ".p.wrapp" in r.stderr, str(r)


def test_check_corrupt_wrapp_file(wrapp, repo):
    w = repo_wrapp(repo, "p", "1")
    make_writable(w)
    w.write_text("[1, 2,")
    r = wrapp("check", w)
    assert r.returncode == 1, str(r)
    assert mentions(r.stderr, w), str(r)


def test_check_newer_format_refused(wrapp, repo):
    w = repo_wrapp(repo, "p", "1")
    make_writable(w)
    info = read_json(w)
    info["wrapp_format_version"] = 99
    w.write_text(json.dumps(info))
    r = wrapp("check", w)
    assert r.returncode == 1, str(r)
    assert "upgrad" in r.stderr.lower(), str(r)


def test_check_detects_catalog_hash_tampering(wrapp, repo):
    # A .wrapp whose recorded hash is wrong (file content intact) must fail too.
    w = repo_wrapp(repo, "p", "1")
    make_writable(w)
    info = read_json(w)
    for item in info["catalog"]["items"]:
        if item["relative_path"] == "a.txt":
            item["hash"] = hash_bytes(b"other")
    w.write_text(json.dumps(info))
    r = wrapp("check", w)
    assert r.returncode == 1, str(r)
    bad = _bad_lines(r.stdout)
    assert len(bad) == 1 and "hash_mismatch" in bad[0] and "a.txt" in bad[0], str(r)


def test_check_recursive_missing_dependency(wrapp, publish, tmp_path):
    repo = publish_app_with_lib(wrapp, publish, tmp_path)
    (repo / ".packages" / "lib").rename(tmp_path / "lib-away")
    assert wrapp("check", repo_wrapp(repo, "app", "1")).returncode == 0
    r = wrapp("check", repo_wrapp(repo, "app", "1"), "--recursive")
    assert r.returncode == 1, str(r)
    assert "lib" in r.stdout + r.stderr, str(r)
