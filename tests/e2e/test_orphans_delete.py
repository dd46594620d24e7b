"""wrapp find-orphans and delete-packages: versions that no top-level version needs, and removing them."""

from __future__ import annotations

import json
import signal

import pytest

from helpers import (
    list_dirs, list_files, lock_files, put_version, repo_wrapp, url, version_dir, version_lock, wait_until,
)


@pytest.fixture
def repos(wrapp, publish, tmp_path):
    """repo: lib 1, lib 2, app 1 (needs lib 1 and tool 2 of other), app 2 (needs lib 2);
    other: tool 1, tool 2."""
    repo, _ = publish("lib", "1", {"l.txt": "lib 1"})
    publish("lib", "2", {"l.txt": "lib 2", "d/e.txt": "e"}, repo=repo)
    other, _ = publish("tool", "1", {"t.txt": "tool 1"}, repo=tmp_path / "other")
    publish("tool", "2", {"t.txt": "tool 2"}, repo=other)
    put_version(repo, "app", "1", [("lib", "1", "", "lib"), ("tool", "2", str(other), "tool")])
    put_version(repo, "app", "2", [("lib", "2", "", "lib")])
    return repo, other


def orphans(wrapp, *args):
    r = wrapp("find-orphans", *args)
    assert r.returncode == 0, str(r)
    return r.lines


def test_find_orphans_follows_dependencies_across_repositories(wrapp, repos):
    repo, other = repos
    assert orphans(wrapp, "--package", "app", "1", repo, "--repo", repo, "--repo", other) == [
        f"app 2 {repo}", f"lib 2 {repo}", f"tool 1 {other}"]
    # Two locking versions; repositories named by URL, with a trailing slash, twice.
    assert orphans(wrapp, "--package", "app", "1", url(repo), "--package", "app", "2", str(repo) + "/",
                   "--repo", url(other), "--repo", other) == [f"tool 1 {other}"]
    r = wrapp("find-orphans", "--package", "app", "2", repo, "--repo", other, "--json")
    assert json.loads(r.stdout) == [
        {"package": "tool", "version": "1", "repository": url(other)},
        {"package": "tool", "version": "2", "repository": url(other)},
    ]


def test_find_orphans_failures(wrapp, repos, tmp_path):
    repo, other = repos
    r = wrapp("find-orphans", "--package", "app", "9", repo, "--repo", repo)
    assert r.returncode == 1 and "package 'app' version '9' not found" in r.stderr, str(r)
    r = wrapp("find-orphans", "--package", "app", "1", repo, "--repo", tmp_path / "none")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)
    r = wrapp("find-orphans", "--repo", repo)
    assert r.returncode == 1 and "--package" in r.stderr, str(r)
    put_version(repo, "broken", "1", [("lib", "5", "", "lib")])
    r = wrapp("find-orphans", "--package", "broken", "1", repo, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "package 'lib' version '5' not found" in r.stderr and "a dependency of 'broken' 1" in r.stderr
    # A hostile package file in the closure: refused, never half-read.
    put_version(repo, "hostile", "1", [("lib", "1", "", "../../outside")])
    r = wrapp("find-orphans", "--package", "hostile", "1", repo, "--repo", repo)
    assert r.returncode == 1 and "refusing unsafe dependency location '../../outside'" in r.stderr, str(r)


def test_find_orphans_terminates_on_a_cycle(wrapp, repos):
    repo, _ = repos
    put_version(repo, "a", "1", [("b", "1", "", "b")])
    put_version(repo, "b", "1", [("a", "1", url(repo), "a")])
    r = wrapp("find-orphans", "--package", "a", "1", repo, "--repo", repo, timeout=30)
    assert r.returncode == 0, str(r)
    assert r.lines == [f"app 1 {repo}", f"app 2 {repo}", f"lib 1 {repo}", f"lib 2 {repo}"]


def test_find_orphans_output_feeds_delete_packages(wrapp, repos, tmp_path):
    repo, other = repos
    r = wrapp("find-orphans", "--package", "app", "1", repo, "--repo", repo, "--repo", other, "--json")
    assert r.returncode == 0, str(r)
    listing = tmp_path / "orphans.json"
    listing.write_text(r.stdout)
    dry = wrapp("delete-packages", "--from-file", listing, "--dry-run")
    assert dry.returncode == 0, str(dry)
    assert [l.split(":")[0] for l in dry.lines] == [
        f"would delete app 2 from {repo}", f"would delete lib 2 from {repo}", f"would delete tool 1 from {other}"]
    assert dry.lines[1].startswith(f"would delete lib 2 from {repo}: 3 files ("), dry.lines[1]
    assert repo_wrapp(repo, "lib", "2").exists()
    r = wrapp("delete-packages", "--from-file", listing)
    assert r.returncode == 0, str(r)
    assert [l.split(":")[0] for l in r.lines] == [f"deleted app 2 from {repo}", f"deleted lib 2 from {repo}",
                                                  f"deleted tool 1 from {other}"]
    assert wrapp("list-repo", repo).stdout == "app: 1\nlib: 1\n"
    assert wrapp("list-repo", other).stdout == "tool: 2\n"
    assert not version_dir(repo, "lib", "2").exists()
    assert not version_dir(repo, "app", "2").exists()
    assert version_dir(repo, "lib", "1").is_dir()
    assert lock_files(repo) == [] and lock_files(other) == []
    # What is left still installs.
    assert wrapp("install", "app", "1", tmp_path / "dest", "--repo", repo).returncode == 0
    assert orphans(wrapp, "--package", "app", "1", repo, "--repo", repo, "--repo", other) == []


def test_delete_removes_the_package_folder_with_its_last_version(wrapp, repos):
    repo, other = repos
    r = wrapp("delete-packages", "--package", "tool", "1", other, "--package", "tool", "2", url(other), "--json")
    assert r.returncode == 0, str(r)
    deleted = json.loads(r.stdout)["deleted"]
    assert [(d["package"], d["version"], d["files"]) for d in deleted] == [
        ("tool", "1", [".tool.wrapp", "t.txt"]), ("tool", "2", [".tool.wrapp", "t.txt"])]
    assert list_dirs(other / ".packages") == []
    assert wrapp("list-repo", other).stdout == ""


def test_delete_takes_older_package_file_names_and_leftovers(wrapp, publish, tmp_path):
    repo, _ = publish("p", "1", {"a.txt": "a", "deep/er/b.txt": "b"})
    legacy = version_dir(repo, "p", "1") / "p.wrapp"
    legacy.write_bytes(repo_wrapp(repo, "p", "1").read_bytes())
    (version_dir(repo, "p", "1") / "empty-folder").mkdir()
    r = wrapp("delete-packages", "--package", "p", "1", repo, "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout)["deleted"][0]["files"] == [".p.wrapp", "p.wrapp", "a.txt", "deep/er/b.txt"]
    assert not (repo / ".packages" / "p").exists()
    # A version folder left without package file.
    half = version_dir(repo, "p", "2")
    (half / "x").mkdir(parents=True)
    (half / "x" / "y.txt").write_text("half")
    r = wrapp("delete-packages", "--package", "p", "2", repo)
    assert r.returncode == 0, str(r)
    assert "no package file" in r.stdout and "warning:" in r.stderr, str(r)
    assert not half.exists()


def test_delete_missing_version_deletes_nothing(wrapp, repos, tmp_path):
    repo, other = repos
    before = list_files(repo)
    r = wrapp("delete-packages", "--package", "lib", "1", repo, "--package", "lib", "7", repo,
              "--package", "nope", "1", repo)
    assert r.returncode == 1, str(r)
    assert "nothing was deleted" in r.stderr and "'lib' version '7' not found" in r.stderr, r.stderr
    assert "'nope' version '1' not found" in r.stderr
    assert list_files(repo) == before
    assert not (repo / ".wrapp-locks" / "nope").exists(), "no lock object was written for a refused delete"
    r = wrapp("delete-packages", "--package", "lib", "1", tmp_path / "no-repo")
    assert r.returncode == 1 and "repository" in r.stderr and "not found" in r.stderr, str(r)
    r = wrapp("delete-packages")
    assert r.returncode == 1 and "no package version to delete" in r.stderr, str(r)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"package": "../x", "version": "1", "repository": str(repo)}]))
    r = wrapp("delete-packages", "--from-file", bad)
    assert r.returncode == 1 and "unsafe name or version" in r.stderr, str(r)
    assert list_files(repo) == before


def test_delete_refused_while_a_writer_holds_a_version(wrapp, spawn, repos, tmp_path):
    repo, _ = repos
    big = tmp_path / "big-src"
    big.mkdir()
    for i in range(300):
        (big / f"f{i:04d}.bin").write_bytes(bytes([i % 256]) * 20000)
    before = list_files(repo)
    writer = spawn("create", "lib", "3", big, "--repo", repo, "--ftj", "1", env={"WRAPP_JOBS": "1"})
    try:
        assert wait_until(lambda: version_lock(repo, "lib", "3").exists() and version_dir(repo, "lib", "3").exists(),
                          timeout=30, proc=writer), f"create never began writing\n{writer.finish()}"
        # Alive, holding its lock, but not finishing while the delete runs.
        assert writer.send(signal.SIGSTOP), "the create ended before the delete could start"
        r = wrapp("delete-packages", "--package", "lib", "1", repo, "--package", "lib", "3", repo)
        assert r.returncode == 1, str(r)
        assert f"is locked by pid {writer.pid}" in r.stderr, r.stderr
        assert repo_wrapp(repo, "lib", "1").exists(), "nothing is deleted when one version is locked"
        assert [f for f in list_files(repo) if "/lib/3/" not in f and ".wrapp-locks" not in f] == before
        assert not version_lock(repo, "lib", "1").exists(), "the locks taken are released"
    finally:
        writer.send(signal.SIGCONT)
    assert writer.finish().returncode == 0, str(writer.finish())
    r = wrapp("delete-packages", "--package", "lib", "1", repo, "--package", "lib", "3", repo)
    assert r.returncode == 0, str(r)
    assert wrapp("list-repo", repo).stdout == "app: 1 2\nlib: 2\n"


def test_delete_never_follows_links_out_of_the_repository(wrapp, publish, tmp_path):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep")
    # A version folder that is a link to a folder outside.
    (repo / ".packages" / "q").mkdir()
    (repo / ".packages" / "q" / "1").symlink_to(outside)
    r = wrapp("delete-packages", "--package", "q", "1", repo)
    assert r.returncode == 1 and "symbolic link" in r.stderr, str(r)
    assert (outside / "precious.txt").read_text() == "keep"
    # A link inside a version folder is removed itself, never its target.
    (version_dir(repo, "p", "1") / "link").symlink_to(outside)
    r = wrapp("delete-packages", "--package", "p", "1", repo)
    assert r.returncode == 0, str(r)
    assert (outside / "precious.txt").read_text() == "keep"
    assert not version_dir(repo, "p", "1").exists()
