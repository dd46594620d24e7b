"""wrapp install: installing and updating package versions into folders."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

import pytest

from helpers import (
    expected_items, hash_bytes, list_dirs, list_files, marker, random_bytes, read_json, read_tree, repo_wrapp,
    snapshot, status_paths, status_types, url, version_dir, write_tree, wrapp_bin,
)

V1 = {"keep.txt": "keep", "change.txt": "old", "drop.txt": "dropped later", "sub/inner.txt": "inner"}
V2 = {"keep.txt": "keep", "change.txt": "new content", "new.txt": "brand new", "sub/inner.txt": "inner"}


@pytest.fixture
def two_versions(publish, tmp_path):
    repo, _ = publish("p", "1", V1)
    publish("p", "2", V2, repo=repo)
    return repo


def test_install_into_empty_folder(wrapp, tmp_path, publish, sample_files):
    repo, src = publish("pkg", "1.0", sample_files)
    dest = tmp_path / "dest"
    r = wrapp("install", "pkg", "1.0", dest, "--repo", repo)
    assert r.returncode == 0, str(r)

    assert list_files(dest) == sorted(list(sample_files) + [".pkg.wrapp"])
    tree = read_tree(dest)
    for rel, content in sample_files.items():
        assert tree[rel] == (content.encode() if isinstance(content, str) else content), rel

    info = read_json(marker(dest, "pkg"))
    assert info["wrapp_format_version"] == 1
    assert info["name"] == "pkg"
    assert info["version"] == "1.0"
    assert info["repository"] == url(repo)
    assert info["dependencies"] == []
    assert info["catalog"]["root"] == url(dest)
    assert info["catalog"]["items"] == expected_items(sample_files, dest)


def test_installed_copies_are_writable_regular_files(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    st = (dest / "a.txt").stat()
    assert st.st_mode & stat.S_IWUSR
    assert st.st_ino != (version_dir(repo, "p", "1") / "a.txt").stat().st_ino


def test_install_accepts_file_urls(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", url(dest), "--repo", url(repo))
    assert r.returncode == 0, str(r)
    assert (dest / "a.txt").read_text() == "a"
    info = read_json(marker(dest, "p"))
    assert info["repository"] == url(repo)
    assert info["catalog"]["root"] == url(dest)


def test_install_big_file(wrapp, tmp_path, publish, big_data):
    repo, _ = publish("big", "1", {"huge.bin": big_data})
    dest = tmp_path / "dest"
    r = wrapp("install", "big", "1", dest, "--repo", repo, "--ftj", "4")
    assert r.returncode == 0, str(r)
    assert (dest / "huge.bin").read_bytes() == big_data


def test_reinstall_same_version_is_noop(wrapp, tmp_path, two_versions):
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    before = snapshot(dest)
    r = wrapp("install", "p", "1", dest, "--repo", two_versions)
    assert r.returncode == 0, str(r)
    assert "already installed" in (r.stdout + r.stderr), str(r)
    assert snapshot(dest) == before


def test_reinstall_of_an_unmodified_install_writes_nothing(wrapp, tmp_path, two_versions):
    """Found without the install lock: the destination folder is not touched (no lock file made and
    removed), so its times stay as they were."""
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    folder_before = os.stat(dest)
    r = wrapp("install", "p", "1", dest, "--repo", two_versions)
    assert r.returncode == 0 and "already installed" in r.stdout, str(r)
    folder_after = os.stat(dest)
    assert (folder_after.st_mtime_ns, folder_after.st_ctime_ns) == (folder_before.st_mtime_ns,
                                                                    folder_before.st_ctime_ns), \
        "a re-install that changes nothing wrote in the destination"
    # A modified file makes it an install again, under the lock, which refuses it.
    (dest / "keep.txt").write_text("mine")
    r = wrapp("install", "p", "1", dest, "--repo", two_versions)
    assert r.returncode == 1 and "modified" in (r.stdout + r.stderr), str(r)
    assert not (dest / ".wrapp-install.lock").exists()


def test_update_copies_only_changed_files(wrapp, tmp_path, two_versions):
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    (dest / "mine.txt").write_text("user's own file")
    (dest / "sub" / "mine2.txt").write_text("user's nested file")
    before = snapshot(dest)

    r = wrapp("install", "p", "2", dest, "--repo", two_versions)
    assert r.returncode == 0, str(r)

    after = snapshot(dest)
    # Unchanged files are not rewritten.
    for rel in ["keep.txt", "sub/inner.txt", "mine.txt", "sub/mine2.txt"]:
        assert after[rel] == before[rel], rel
    assert read_tree(dest) == {
        ".p.wrapp": (dest / ".p.wrapp").read_bytes(),
        "keep.txt": b"keep",
        "change.txt": b"new content",
        "new.txt": b"brand new",
        "sub/inner.txt": b"inner",
        "mine.txt": b"user's own file",
        "sub/mine2.txt": b"user's nested file",
    }
    info = read_json(marker(dest, "p"))
    assert info["version"] == "2"
    assert info["catalog"]["root"] == url(dest)
    assert info["catalog"]["items"] == expected_items(V2, dest)

    r = wrapp("status", marker(dest, "p"), "--json")
    assert status_paths(json.loads(r.stdout)["packages"][0], "extra_item") == ["mine.txt", "sub/mine2.txt"], str(r)


def test_downgrade(wrapp, tmp_path, two_versions):
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "2", dest, "--repo", two_versions).returncode == 0
    r = wrapp("install", "p", "1", dest, "--repo", two_versions)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == sorted(list(V1) + [".p.wrapp"])
    assert (dest / "change.txt").read_text() == "old"
    assert read_json(marker(dest, "p"))["version"] == "1"


def test_update_removes_folders_emptied_by_dropped_files(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a", "gone/deep/x.txt": "x"})
    publish("p", "2", {"a.txt": "a"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == [".p.wrapp", "a.txt"]
    assert not (dest / "gone").exists()


@pytest.mark.parametrize("kind", ["modified", "modified_same_size", "missing", "user_file_collides"])
def test_update_conflicts_change_nothing(wrapp, tmp_path, two_versions, kind):
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    if kind == "modified":
        (dest / "keep.txt").write_text("locally edited")
        path = "keep.txt"
    elif kind == "modified_same_size":
        (dest / "keep.txt").write_text("KEEP")
        path = "keep.txt"
    elif kind == "missing":
        (dest / "sub" / "inner.txt").unlink()
        path = "sub/inner.txt"
    else:
        (dest / "new.txt").write_text("mine, not the package's")
        path = "new.txt"
    before = snapshot(dest)

    r = wrapp("install", "p", "2", dest, "--repo", two_versions)
    assert r.returncode == 1, str(r)
    assert r.stderr.startswith("error:"), str(r)
    assert path in r.stderr, str(r)
    assert snapshot(dest) == before


def test_update_conflict_lists_every_path(wrapp, tmp_path, two_versions):
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    (dest / "keep.txt").write_text("edited")
    (dest / "change.txt").unlink()
    (dest / "new.txt").write_text("collides")
    (dest / "harmless.txt").write_text("does not collide")
    before = snapshot(dest)
    r = wrapp("install", "p", "2", dest, "--repo", two_versions)
    assert r.returncode == 1, str(r)
    for path in ["keep.txt", "change.txt", "new.txt"]:
        assert path in r.stderr, str(r)
    assert "harmless.txt" not in r.stderr, str(r)
    assert snapshot(dest) == before


def test_install_into_folder_with_colliding_user_file(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "package", "b.txt": "b"})
    dest = write_tree(tmp_path / "dest", {"a.txt": "user", "other.txt": "o"})
    before = snapshot(dest)
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "a.txt" in r.stderr, str(r)
    assert snapshot(dest) == before


def test_install_keeps_non_colliding_user_files(wrapp, tmp_path, publish):
    # Non-colliding user files never block an install.
    repo, _ = publish("p", "1", {"a.txt": "package"})
    dest = write_tree(tmp_path / "dest", {"other.txt": "o", "d/x.txt": "x"})
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert read_tree(dest)["other.txt"] == b"o"
    assert read_tree(dest)["d/x.txt"] == b"x"
    assert read_tree(dest)["a.txt"] == b"package"


def test_install_missing_version(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "9.9", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "'p'" in r.stderr or " p " in r.stderr, str(r)
    assert "9.9" in r.stderr, str(r)
    assert not dest.exists()


def test_install_missing_package(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    dest = tmp_path / "dest"
    r = wrapp("install", "nosuchpkg", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "nosuchpkg" in r.stderr, str(r)
    assert not dest.exists()


def test_install_requires_repo(wrapp, tmp_path):
    r = wrapp("install", "p", "1", tmp_path / "dest")
    assert r.returncode == 1, str(r)
    assert not (tmp_path / "dest").exists()


def test_install_dry_run_writes_nothing(wrapp, tmp_path, two_versions):
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", two_versions, "--dry-run")
    assert r.returncode == 0, str(r)
    assert "keep.txt" in r.stdout, str(r)
    assert not dest.exists() or list_files(dest) == []

    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    before = snapshot(dest)
    r = wrapp("install", "p", "2", dest, "--repo", two_versions, "--dry-run")
    assert r.returncode == 0, str(r)
    assert snapshot(dest) == before


def test_install_hardlink_shares_inode(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a", "d/b.bin": random_bytes(4096, seed=5)})
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo, "--link-mode", "hardlink")
    assert r.returncode == 0, str(r)
    vdir = version_dir(repo, "p", "1")
    for rel in ["a.txt", "d/b.bin"]:
        assert (dest / rel).stat().st_ino == (vdir / rel).stat().st_ino, rel
    # The marker is the install's own file, never a link to the repository's.
    assert marker(dest, "p").stat().st_ino != repo_wrapp(repo, "p", "1").stat().st_ino
    assert read_json(marker(dest, "p"))["catalog"]["root"] == url(dest)
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 0, str(r)


def test_hardlink_install_records_each_link_so_status_reads_no_bytes(wrapp, tmp_path, publish):
    # Links are made in batches per folder (Storage::link_batch); the stat
    # each batch reports goes to the hash cache, so a status right after
    # vouches for every file without reading it.
    files = {f"d{i % 3}/f{i}.bin": random_bytes(1000 + i, seed=i) for i in range(40)}
    files["top.txt"] = "top"
    repo, _ = publish("p", "1", files)
    dest = tmp_path / "dest"
    cache = tmp_path / "hash-cache"
    r = wrapp("install", "p", "1", dest, "--repo", repo, "--link-mode", "hardlink", "--hcf", cache)
    assert r.returncode == 0, str(r)
    vdir = version_dir(repo, "p", "1")
    for rel in files:
        assert (dest / rel).stat().st_ino == (vdir / rel).stat().st_ino, rel
    r = wrapp("status", dest, "--stats", "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert "clean" in r.stdout
    assert " 0 B processed" in r.stdout + r.stderr, r.stdout + r.stderr


def test_install_reflink_mode_gives_identical_files(wrapp, tmp_path, publish):
    data = random_bytes(2 * (1 << 20) + 3, seed=11)
    repo, _ = publish("p", "1", {"a.bin": data})
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo, "--link-mode", "reflink")
    assert r.returncode == 0, str(r)
    assert (dest / "a.bin").read_bytes() == data


def test_install_bad_link_mode(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    r = wrapp("install", "p", "1", tmp_path / "dest", "--repo", repo, "--link-mode", "symlink")
    assert r.returncode == 1, str(r)
    assert not (tmp_path / "dest").exists()


# --------------------------------------------------------------------------------------------
# Hostile .wrapp files in a repository


def _craft_repo(repo: Path, name: str, evil_path: str) -> None:
    vdir = version_dir(repo, name, "1")
    vdir.mkdir(parents=True)
    (vdir / "ok.txt").write_text("ok")
    (vdir / "payload").write_text("evil")
    root = url(vdir)
    info = {
        "wrapp_format_version": 1, "name": name, "version": "1", "source": None,
        "repository": url(repo), "dependencies": [],
        "catalog": {"root": root, "items": sorted([
            {"relative_path": "ok.txt", "source_path": root + "/ok.txt", "hash": hash_bytes(b"ok"), "size": 2},
            {"relative_path": evil_path, "source_path": root + "/payload", "hash": hash_bytes(b"evil"),
             "size": 4},
        ], key=lambda i: i["relative_path"])},
    }
    (vdir / f".{name}.wrapp").write_text(json.dumps(info))


@pytest.mark.parametrize("evil", [
    "../evil", "../../evil", "a/../../evil", "sub/../../../evil", "ABSOLUTE", "a\\..\\..\\evil",
    "./../evil",
])
def test_install_refuses_escaping_paths(wrapp, tmp_path, evil):
    if evil == "ABSOLUTE":
        evil = str(tmp_path / "abs_evil")
    repo = tmp_path / "repo"
    _craft_repo(repo, "evil", evil)
    outer = tmp_path / "outer"
    dest = write_tree(outer / "dest", {"existing.txt": "existing"})
    before_dest = snapshot(dest)
    before_outer = sorted(os.listdir(outer))
    before_tmp = sorted(os.listdir(tmp_path))

    r = wrapp("install", "evil", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert r.stderr.startswith("error:"), str(r)
    assert snapshot(dest) == before_dest
    assert sorted(os.listdir(outer)) == before_outer
    assert sorted(os.listdir(tmp_path)) == before_tmp
    assert not (tmp_path / "abs_evil").exists()


def test_install_refuses_newer_format_version(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    w = repo_wrapp(repo, "p", "1")
    w.chmod(0o644)
    info = read_json(w)
    info["wrapp_format_version"] = 99
    w.write_text(json.dumps(info))
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "upgrad" in r.stderr.lower(), str(r)
    assert ".p.wrapp" in r.stderr, str(r)
    assert not dest.exists() or list_files(dest) == []


def test_install_refuses_corrupt_wrapp(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    w = repo_wrapp(repo, "p", "1")
    w.chmod(0o644)
    w.write_text('{"wrapp_format_version": 1, "name": ')
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert ".p.wrapp" in r.stderr, str(r)
    assert not dest.exists() or list_files(dest) == []


def test_install_accepts_unknown_fields(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    w = repo_wrapp(repo, "p", "1")
    w.chmod(0o644)
    info = read_json(w)
    info["future_field"] = {"x": 1}
    info["catalog"]["future_catalog_field"] = [1, 2]
    for item in info["catalog"]["items"]:
        item["future_item_field"] = "y"
    w.write_text(json.dumps(info))
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "a.txt").read_text() == "a"


# --------------------------------------------------------------------------------------------
# Updates that change a path's type, and other obstacles


def test_update_file_becomes_folder(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a": "file", "k": "keep"})
    publish("p", "2", {"a/b": "nested", "k": "keep"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == [".p.wrapp", "a/b", "k"]
    assert (dest / "a" / "b").read_text() == "nested"
    assert read_json(marker(dest, "p"))["version"] == "2"


def test_update_folder_becomes_file(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a/b": "nested", "k": "keep"})
    publish("p", "2", {"a": "file", "k": "keep"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == [".p.wrapp", "a", "k"]
    assert (dest / "a").read_text() == "file"


def test_update_folder_becomes_file_removes_empty_folders_left_inside(wrapp, tmp_path, publish):
    # The old version's files go with the update; empty folders made inside meanwhile hold
    # nothing of anyone's, and go too, so the new version's file can take the folder's place.
    repo, _ = publish("p", "1", {"a/b": "nested", "k": "keep"})
    publish("p", "2", {"a": "file", "k": "keep"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    (dest / "a" / "empty" / "deeper").mkdir(parents=True)
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "a").is_file() and (dest / "a").read_text() == "file"


def test_user_file_where_package_needs_a_folder_is_a_conflict(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"sub/x.txt": "x", "y.txt": "y"})
    dest = write_tree(tmp_path / "dest", {"sub": "user file named like the package's folder"})
    before = snapshot(dest)
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "sub" in r.stderr and r.stderr.startswith("error:"), str(r)
    assert snapshot(dest) == before


def test_user_folder_where_package_has_a_file_is_a_conflict(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a": "file", "y.txt": "y"})
    dest = write_tree(tmp_path / "dest", {"a/mine.txt": "user"})
    before = snapshot(dest)
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "a" in r.stderr and r.stderr.startswith("error:"), str(r)
    assert snapshot(dest) == before


def test_install_destination_is_a_file(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a": "a"})
    (tmp_path / "destfile").write_text("x")
    r = wrapp("install", "p", "1", tmp_path / "destfile", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "destfile" in r.stderr, str(r)
    assert (tmp_path / "destfile").read_text() == "x"


def test_hardlink_update_and_uninstall_leave_repository_intact(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a": "one", "s": "same"})
    publish("p", "2", {"a": "two", "s": "same"}, repo=repo)
    before = {v: snapshot(version_dir(repo, "p", v)) for v in ("1", "2")}
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo, "--link-mode", "hardlink").returncode == 0
    r = wrapp("install", "p", "2", dest, "--repo", repo, "--link-mode", "hardlink")
    assert r.returncode == 0, str(r)
    assert (dest / "a").read_text() == "two"
    r = wrapp("uninstall", "p", dest)
    assert r.returncode == 0, str(r)
    for v in ("1", "2"):
        after = snapshot(version_dir(repo, "p", v))
        # Contents and presence unchanged (link counts may differ, inodes/mtimes must not).
        assert {k: (x[:2] if x[0] == "file" else x) for k, x in after.items()} == \
               {k: (x[:2] if x[0] == "file" else x) for k, x in before[v].items()}
        assert wrapp("check", repo_wrapp(repo, "p", v)).returncode == 0


# --------------------------------------------------------------------------------------------
# Dependencies


@pytest.fixture
def app_with_dependency(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib", "ld/m.txt": "m"})
    app = write_tree(tmp_path / "app", {"a.txt": "app"})
    assert wrapp("install", "lib", "1", app / "sub", "--repo", repo).returncode == 0
    r = wrapp("create", "app", "1", app, "--repo", repo)
    assert r.returncode == 0, str(r)
    return repo


def test_install_installs_dependencies(wrapp, tmp_path, app_with_dependency):
    repo = app_with_dependency
    dest = tmp_path / "dest"
    r = wrapp("install", "app", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert read_tree(dest)["a.txt"] == b"app"
    assert read_tree(dest)["sub/l.txt"] == b"lib"
    assert read_tree(dest)["sub/ld/m.txt"] == b"m"
    lib_info = read_json(marker(dest / "sub", "lib"))
    assert lib_info["version"] == "1"
    assert lib_info["catalog"]["root"] == url(dest / "sub")

    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert j["clean"] is True
    assert sorted(p["package"] for p in j["packages"]) == ["app", "lib"]
    for p in j["packages"]:
        assert p["items"] == [], p

    (dest / "sub" / "l.txt").write_text("changed")
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 1, str(r)
    by_name = {p["package"]: p for p in json.loads(r.stdout)["packages"]}
    assert status_paths(by_name["lib"], "item_differs") == ["l.txt"]
    # The parent's own files are unchanged; its subpackage is not.
    assert status_types(by_name["app"]) == [("subpackage_modified", "sub/.lib.wrapp")]


def test_uninstall_removes_dependencies(wrapp, tmp_path, app_with_dependency):
    repo = app_with_dependency
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    (dest / "mine.txt").write_text("mine")
    r = wrapp("uninstall", "app", dest)
    assert r.returncode == 0, str(r)
    assert read_tree(dest) == {"mine.txt": b"mine"}
    assert list_dirs(dest) == [], "folders emptied by the uninstall remain"


@pytest.mark.parametrize("kind", ["modified", "missing"])
def test_reinstall_same_version_with_local_changes_is_refused(wrapp, tmp_path, two_versions, kind):
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", two_versions).returncode == 0
    if kind == "modified":
        (dest / "keep.txt").write_text("edited")
    else:
        (dest / "keep.txt").unlink()
    before = snapshot(dest)
    r = wrapp("install", "p", "1", dest, "--repo", two_versions)
    assert r.returncode == 1, str(r)
    assert "keep.txt" in r.stderr, str(r)
    assert snapshot(dest) == before


def test_install_with_missing_dependency_writes_nothing(wrapp, tmp_path, app_with_dependency):
    repo = app_with_dependency
    lib = repo / ".packages" / "lib"
    lib.rename(tmp_path / "lib-away")
    dest = tmp_path / "dest"
    r = wrapp("install", "app", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "lib" in r.stderr, str(r)
    assert not dest.exists() or list_files(dest) == []


# --------------------------------------------------------------------------------------------
# Integrity


@pytest.mark.parametrize("big", [False, True])
def test_install_refuses_corrupt_repository_file(wrapp, tmp_path, publish, big_data, big):
    from helpers import corrupt_same_size
    data = big_data if big else b"intact content\n"
    repo, _ = publish("p", "1", {"a.bin": data, "ok.txt": "ok"})
    corrupt_same_size(version_dir(repo, "p", "1") / "a.bin", offset=len(data) - 3)
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "a.bin" in r.stderr, str(r)
    # No marker claiming an intact install, and no corrupt file left behind.
    assert not marker(dest, "p").exists()
    assert not (dest / "a.bin").exists()


def test_relative_paths_resolve_against_working_directory(wrapp, tmp_path):
    work = tmp_path / "work"
    write_tree(work / "src", {"a.txt": "a"})
    r = wrapp("create", "p", "1", "src", "--repo", "repo", cwd=work)
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(work / "repo", "p", "1"))
    assert info["repository"] == url(work / "repo")
    assert info["source"] == url(work / "src")
    r = wrapp("install", "p", "1", "dest", "--repo", "repo", cwd=work)
    assert r.returncode == 0, str(r)
    info = read_json(marker(work / "dest", "p"))
    assert info["repository"] == url(work / "repo")
    assert info["catalog"]["root"] == url(work / "dest")
    r = wrapp("status", "dest/.p.wrapp", cwd=work)
    assert r.returncode == 0, str(r)
    r = wrapp("uninstall", "p", "dest", cwd=work)
    assert r.returncode == 0, str(r)
    assert list_files(work / "dest") == []


def test_update_keeps_user_file_in_folder_the_package_drops(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a", "d/x.txt": "x"})
    publish("p", "2", {"a.txt": "a"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    (dest / "d" / "mine.txt").write_text("mine")
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == [".p.wrapp", "a.txt", "d/mine.txt"]


def test_many_files_round_trip(wrapp, tmp_path):
    files = {f"d{i % 23}/e{i % 4}/f{i}.txt": str(i) * (i % 40) for i in range(2000)}
    src = write_tree(tmp_path / "src", files)
    repo = tmp_path / "repo"
    r = wrapp("create", "many", "1", src, "--repo", repo)
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(repo, "many", "1"))
    assert info["catalog"]["items"] == expected_items(files, version_dir(repo, "many", "1"))
    dest = tmp_path / "dest"
    r = wrapp("install", "many", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert read_tree(dest) == {**{k: v.encode() for k, v in files.items()},
                               ".many.wrapp": marker(dest, "many").read_bytes()}
    def rel(i):
        return f"d{i % 23}/e{i % 4}/f{i}.txt"

    (dest / rel(1245)).write_text("x")
    (dest / rel(1087)).unlink()
    (dest / "d7" / "e3" / "extra.txt").write_text("extra")
    r = wrapp("status", marker(dest, "many"), "--json")
    assert r.returncode == 1, str(r)
    p = json.loads(r.stdout)["packages"][0]
    assert (status_paths(p, "item_differs"), status_paths(p, "item_missing"), status_paths(p, "extra_item")) == (
        [rel(1245)], [rel(1087)], ["d7/e3/extra.txt"])
    r = wrapp("check", repo_wrapp(repo, "many", "1"))
    assert r.returncode == 0, str(r)
    r = wrapp("uninstall", "many", dest, "--force")
    assert r.returncode == 0, str(r)
    assert list_files(dest) == ["d7/e3/extra.txt"]


def test_bad_escape_in_an_unknown_field_is_a_clear_error(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    wrapp_file = repo_wrapp(repo, "p", "1")
    wrapp_file.chmod(0o644)
    text = wrapp_file.read_text()
    wrapp_file.write_text(text.replace('"wrapp_format_version"', '"x": "\\q", "wrapp_format_version"', 1))
    r = wrapp("install", "p", "1", tmp_path / "dest", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert str(wrapp_file) in r.stderr, str(r)


def test_invalid_utf8_in_a_repository_path_is_refused_before_writing(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"good.txt": "a"})
    wrapp_file = repo_wrapp(repo, "p", "1")
    wrapp_file.chmod(0o644)
    wrapp_file.write_bytes(wrapp_file.read_bytes().replace(b'"relative_path": "good.txt"', b'"relative_path": "go\xffod.txt"'))
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert not dest.exists() or list(dest.iterdir()) == []


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root to run wrapp as nobody")
def test_reinstall_into_a_folder_that_can_be_searched_but_not_read(wrapp, tmp_path, publish):
    # The check of the installed version lists the package's folders (commands/listed_tree.h); a folder
    # this user may search but not read cannot be listed, and its files are stat'ed by name instead.
    repo, _ = publish("p", "1", {f"d/f{i:02}.txt": f"file {i}" for i in range(20)})
    top = Path(tempfile.mkdtemp(prefix="wrapp-search-only-", dir="/tmp"))
    try:
        top.chmod(0o755)
        shutil.copytree(repo, top / "repo")
        shutil.chown(top, 65534, 65534)
        for path in [top / "repo", *(top / "repo").rglob("*")]:
            os.chown(path, 65534, 65534, follow_symlinks=False)
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", wrapp_bin()]
        env = {**os.environ, "XDG_CACHE_HOME": str(top / "cache"), "HOME": str(top)}

        def run(*args):
            return subprocess.run([*as_nobody, *map(str, args), "--progress-report", "off"], capture_output=True,
                                  text=True, env=env, cwd=top)

        r = run("install", "p", "1", top / "dest", "--repo", top / "repo")
        assert r.returncode == 0, r.stderr
        (top / "dest" / "d").chmod(0o311)  # search and write, no read, for its owner (nobody)
        r = run("install", "p", "1", top / "dest", "--repo", top / "repo")
        assert r.returncode == 0, r.stderr
        assert "already installed" in r.stdout + r.stderr, r.stdout + r.stderr
    finally:
        if (top / "dest" / "d").exists():
            (top / "dest" / "d").chmod(0o755)
        shutil.rmtree(top, ignore_errors=True)
