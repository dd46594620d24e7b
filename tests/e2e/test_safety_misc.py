"""Damage does not spread between versions, hash caches never vouch for other bytes, repositories are
not written by install or mirror from inside, modes survive, check finds what a version must not
hold, and bad input fails without a crash.

Some tests damage read-only repository files in place (corrupt_same_size): as root, as here and in
CI, the mode does not stop the write; the helper makes the file writable first for any other user,
which changes nothing that is asserted.
"""

from __future__ import annotations

import json
import os
import stat

import pytest

from helpers import (
    corrupt_same_size, digest, hash_bytes, items_by_path, output, random_bytes, read_json, repo_wrapp, signalled,
    tree_state, url, version_contents, version_dir, write_tree,
)

FILES = {"a.txt": "alpha\n", "b.bin": random_bytes(300_000, seed=81), "sub/c.txt": "charlie\n"}


def catalog_hash(repo, name, version, rel):
    return items_by_path(read_json(repo_wrapp(repo, name, version))["catalog"]["items"])[rel]["hash"]


def inodes(folder):
    return {p.stat().st_ino for p in folder.rglob("*") if p.is_file() and not p.name.endswith(".wrapp")}


# ---------------------------------------------------------------------------------------------
# Damage and hash caches


def test_damage_through_a_hardlinked_install_does_not_reach_the_next_version(wrapp, publish, tmp_path):
    cache = tmp_path / "hashes.json"
    repo, _ = publish("p", "1", FILES, extra_args=("--hcf", cache))
    work = tmp_path / "work"
    r = wrapp("install", "p", "1", work, "--repo", repo, "--link-mode", "hardlink", "--hcf", cache)
    assert r.returncode == 0, str(r)
    corrupt_same_size(work / "b.bin")  # in place: it shares its inode with the repository's file of p 1
    new = (work / "b.bin").read_bytes()

    r = wrapp("create", "p", "2", work, "--repo", repo, "--hcf", cache)
    assert r.returncode == 0, str(r)
    check = wrapp("check", repo_wrapp(repo, "p", "2"))
    assert check.returncode == 0, f"p 2 does not check clean\n{check}"
    assert catalog_hash(repo, "p", "2", "b.bin") == hash_bytes(new)
    assert version_contents(repo, "p", "2")["b.bin"] == digest(new)
    shared = inodes(version_dir(repo, "p", "2")) & inodes(version_dir(repo, "p", "1"))
    assert not shared, "p 2 shares files with p 1, whose files an install can damage through hard links"


def test_a_warm_hash_cache_never_vouches_for_rewritten_bytes(wrapp, publish, tmp_path):
    cache = tmp_path / "hashes.json"
    repo, src = publish("p", "1", FILES, extra_args=("--hcf", cache))
    target = src / "b.bin"
    st = target.stat()
    new = random_bytes(len(FILES["b.bin"]), seed=83)
    target.write_bytes(new)  # same inode, same size
    os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))  # and the old mtime

    r = wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert catalog_hash(repo, "p", "2", "b.bin") == hash_bytes(new), "the cache vouched for the old bytes"
    assert version_contents(repo, "p", "2")["b.bin"] == digest(new)
    assert wrapp("check", repo_wrapp(repo, "p", "2")).returncode == 0


def test_mirror_resume_replaces_a_damaged_file_of_a_published_version(wrapp, publish, tmp_path):
    src_repo, _ = publish("p", "1", FILES)
    dst = tmp_path / "mirror"
    assert wrapp("mirror", "p", "1", src_repo, dst).returncode == 0
    corrupt_same_size(version_dir(dst, "p", "1") / "b.bin", offset=1000)
    damaged = tree_state(dst)

    again = wrapp("mirror", "p", "1", src_repo, dst)
    assert again.returncode == 0, str(again)
    assert tree_state(dst) == damaged, "mirror without --resume of an existing version must change nothing"

    resumed = wrapp("mirror", "p", "1", src_repo, dst, "--resume")
    assert resumed.returncode == 0, str(resumed)
    check = wrapp("check", repo_wrapp(dst, "p", "1"))
    assert check.returncode == 0, f"mirror --resume left the damaged file\n{check}"
    assert version_contents(dst, "p", "1") == version_contents(src_repo, "p", "1")


# ---------------------------------------------------------------------------------------------
# A package that depends on itself


def self_dependent(root, rel_destination=""):
    """The .wrapp text of `self 1` (a.txt), listing itself as a dependency at rel_destination."""
    return json.dumps({
        "wrapp_format_version": 1, "name": "self", "version": "1", "source": None, "repository": "",
        "dependencies": [{"package": "self", "version": "1", "repository": "",
                          "relative_destination": rel_destination}],
        "catalog": {"root": url(root), "items": [
            {"relative_path": "a.txt", "source_path": url(root / "a.txt"), "hash": hash_bytes(b"a\n"), "size": 2}]},
    })


def test_a_package_that_depends_on_itself_fails_without_a_crash(wrapp, tmp_path):
    repo = tmp_path / "repo"
    vdir = write_tree(version_dir(repo, "self", "1"), {"a.txt": "a\n"})
    (vdir / ".self.wrapp").write_text(self_dependent(vdir))
    r = wrapp("install", "self", "1", tmp_path / "dest", "--repo", repo)
    assert r.returncode == 1 and not signalled(r), str(r)

    work = write_tree(tmp_path / "work", {"a.txt": "a\n"})
    (work / ".self.wrapp").write_text(self_dependent(work))
    r = wrapp("uninstall", "self", work)
    assert r.returncode == 1 and not signalled(r), str(r)


# ---------------------------------------------------------------------------------------------
# Where install and mirror may write


@pytest.mark.parametrize("inside", [".packages/x", ".packages/p/1"])
def test_install_into_a_repository_refuses(wrapp, publish, inside):
    repo, _ = publish("p", "1", FILES)
    before = tree_state(repo)
    r = wrapp("install", "p", "1", repo / inside, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert tree_state(repo) == before, "install wrote into the repository"


@pytest.mark.parametrize("which", ["its own source", "another repository"])
def test_mirror_into_a_repositorys_packages_folder_refuses(wrapp, publish, tmp_path, which):
    repo, _ = publish("p", "1", FILES)
    other = repo if which == "its own source" else publish("q", "1", {"q.txt": "q"}, repo=tmp_path / "other")[0]
    before = tree_state(other)
    r = wrapp("mirror", "p", "1", repo, other / ".packages" / "x")
    assert r.returncode == 1, str(r)
    assert tree_state(other) == before, "mirror wrote into a repository's .packages"


# ---------------------------------------------------------------------------------------------
# Modes


def test_modes_survive_create_and_install(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"run.sh": "#!/bin/sh\necho hi\n", "secret.txt": "s3cret\n"})
    (src / "run.sh").chmod(0o755)
    (src / "secret.txt").chmod(0o600)
    repo = tmp_path / "repo"
    assert wrapp("create", "p", "1", src, "--repo", repo).returncode == 0
    vdir = version_dir(repo, "p", "1")
    assert stat.S_IMODE((vdir / "run.sh").stat().st_mode) == 0o555, "the executable bit was lost"
    assert stat.S_IMODE((vdir / "secret.txt").stat().st_mode) == 0o400, "a private file became readable"

    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    mode = stat.S_IMODE((dest / "run.sh").stat().st_mode)
    assert mode in (0o755, 0o775) and mode & stat.S_IXUSR, f"installed run.sh has mode {mode:o}"


# ---------------------------------------------------------------------------------------------
# check: what a version folder must not hold


@pytest.mark.parametrize("extra, named", [("stray.txt", "stray.txt"), ("sub/.packages/q/1/x.txt", ".packages")])
def test_check_reports_what_a_version_must_not_hold(wrapp, publish, extra, named):
    repo, _ = publish("p", "1", FILES)
    write_tree(version_dir(repo, "p", "1"), {extra: "not in the catalog\n"})
    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 1 and named in output(r), f"check must report {extra}\n{r}"


# ---------------------------------------------------------------------------------------------
# Smaller


def test_create_into_a_repository_that_is_a_file_exits_1(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    repo = tmp_path / "repo-file"
    repo.write_text("not a folder\n")
    r = wrapp("create", "p", "1", src, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert repo.read_text() == "not a folder\n"


def test_fsync_on_create_install_and_mirror(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    repo, dest, dst = tmp_path / "repo", tmp_path / "dest", tmp_path / "mirror"
    for args in (("create", "p", "1", src, "--repo", repo), ("install", "p", "1", dest, "--repo", repo),
                 ("mirror", "p", "1", repo, dst)):
        r = wrapp(*args, "--fsync")
        assert r.returncode == 0, str(r)
    assert wrapp("check", repo_wrapp(dst, "p", "1")).returncode == 0
    assert wrapp("status", dest / ".p.wrapp").returncode == 0
