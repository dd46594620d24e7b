"""wrapp uninstall."""

from __future__ import annotations

import pytest

from helpers import list_dirs, list_files, read_tree, snapshot, url, write_tree

FILES = {"a.txt": "a", "sub/b.txt": "b", "sub/deep/c.txt": "c", "other/d.txt": "d"}


@pytest.fixture
def installed(publish_and_install):
    return publish_and_install(FILES)


def test_uninstall_removes_package_files_and_marker_keeps_user_files(wrapp, installed):
    repo, dest = installed
    write_tree(dest, {"mine.txt": "mine", "sub/mine.txt": "mine2"})
    r = wrapp("uninstall", "p", dest)
    assert r.returncode == 0, str(r)
    assert dest.is_dir()
    assert read_tree(dest) == {"mine.txt": b"mine", "sub/mine.txt": b"mine2"}
    # Folders emptied by the uninstall are gone; folders still holding user files stay.
    assert list_dirs(dest) == ["sub"]


def test_uninstall_clean_install_leaves_nothing(wrapp, installed):
    repo, dest = installed
    r = wrapp("uninstall", "p", dest)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == []
    assert list_dirs(dest) == []


def test_uninstall_accepts_file_url(wrapp, installed):
    repo, dest = installed
    r = wrapp("uninstall", "p", url(dest))
    assert r.returncode == 0, str(r)
    assert list_files(dest) == []


@pytest.mark.parametrize("same_size", [False, True])
def test_uninstall_refuses_modified(wrapp, installed, same_size):
    repo, dest = installed
    (dest / "sub" / "b.txt").write_text("B" if same_size else "modified by user")
    before = snapshot(dest)
    r = wrapp("uninstall", "p", dest)
    assert r.returncode == 1, str(r)
    assert r.stderr.startswith("error:"), str(r)
    assert "sub/b.txt" in r.stderr, str(r)
    assert snapshot(dest) == before


def test_uninstall_force_removes_modified(wrapp, installed):
    repo, dest = installed
    (dest / "sub" / "b.txt").write_text("modified by user")
    (dest / "a.txt").unlink()
    (dest / "mine.txt").write_text("mine")
    r = wrapp("uninstall", "p", dest, "--force")
    assert r.returncode == 0, str(r)
    assert read_tree(dest) == {"mine.txt": b"mine"}


def test_uninstall_not_installed(wrapp, tmp_path):
    dest = write_tree(tmp_path / "dest", {"x.txt": "x"})
    before = snapshot(dest)
    r = wrapp("uninstall", "p", dest)
    assert r.returncode == 1, str(r)
    assert "'p'" in r.stderr or " p " in r.stderr, str(r)
    assert snapshot(dest) == before


def test_uninstall_wrong_package_name(wrapp, installed):
    repo, dest = installed
    before = snapshot(dest)
    r = wrapp("uninstall", "q", dest)
    assert r.returncode == 1, str(r)
    assert "q" in r.stderr, str(r)
    assert snapshot(dest) == before


def test_uninstall_missing_folder(wrapp, tmp_path):
    r = wrapp("uninstall", "p", tmp_path / "nope")
    assert r.returncode == 1, str(r)
    assert r.stderr.startswith("error:"), str(r)


def test_uninstall_dry_run_deletes_nothing(wrapp, installed):
    repo, dest = installed
    before = snapshot(dest)
    r = wrapp("uninstall", "p", dest, "--dry-run")
    assert r.returncode == 0, str(r)
    assert snapshot(dest) == before


def test_uninstall_then_reinstall(wrapp, installed):
    repo, dest = installed
    assert wrapp("uninstall", "p", dest).returncode == 0
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == sorted(list(FILES) + [".p.wrapp"])
