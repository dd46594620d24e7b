"""wrapp list-repo and wrapp new."""

from __future__ import annotations

import json

import pytest

from helpers import list_files, make_writable, marker, read_json, snapshot, url, write_tree, expected_items


# ------------------------------------------------------------------------------------- list-repo


@pytest.fixture
def repo(publish, tmp_path):
    repo = tmp_path / "repo"
    for name, version in [("zeta", "1.10"), ("zeta", "1.9"), ("zeta", "1.2"), ("zeta", "10.0"),
                          ("zeta", "2.0"), ("alpha", "0.1"), ("mid", "1.0.0")]:
        publish(name, version, {"f.txt": f"{name} {version}"}, repo=repo)
    return repo


def test_list_repo_text_natural_order(wrapp, repo):
    r = wrapp("list-repo", repo)
    assert r.returncode == 0, str(r)
    assert r.stdout == "alpha: 0.1\nmid: 1.0.0\nzeta: 1.2 1.9 1.10 2.0 10.0\n"


def test_list_repo_json(wrapp, repo):
    r = wrapp("list-repo", url(repo), "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout) == [
        {"name": "alpha", "versions": ["0.1"]},
        {"name": "mid", "versions": ["1.0.0"]},
        {"name": "zeta", "versions": ["1.2", "1.9", "1.10", "2.0", "10.0"]},
    ]


def test_older_package_file_names_are_found(wrapp, publish, tmp_path):
    """`<name>.wrapp` (no leading dot), as older and hand-written repositories name it, counts as a version
    for list-repo, install and mirror; a folder holding both names counts once."""
    repo = tmp_path / "repo"
    publish("old", "1", {"f.txt": "one"}, repo=repo)
    publish("old", "2", {"f.txt": "two"}, repo=repo)
    v1 = repo / ".packages" / "old" / "1"
    make_writable(v1)
    (v1 / ".old.wrapp").rename(v1 / "old.wrapp")
    v2 = repo / ".packages" / "old" / "2"
    make_writable(v2)
    (v2 / "old.wrapp").write_bytes((v2 / ".old.wrapp").read_bytes())
    r = wrapp("list-repo", repo)
    assert r.returncode == 0, str(r)
    assert r.stdout == "old: 1 2\n"

    dest = tmp_path / "dest"
    r = wrapp("install", "old", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "f.txt").read_text() == "one"
    assert read_json(marker(dest, "old"))["version"] == "1"

    mirror = tmp_path / "mirror"
    mirror.mkdir()
    r = wrapp("mirror", "old", "1", repo, mirror)
    assert r.returncode == 0, str(r)
    # Written under the canonical name.
    assert sorted(list_files(mirror / ".packages" / "old" / "1")) == [".old.wrapp", "f.txt"]


def test_list_repo_empty_repository(wrapp, tmp_path):
    (tmp_path / "empty").mkdir()
    r = wrapp("list-repo", tmp_path / "empty")
    assert r.returncode == 0, str(r)
    assert r.stdout == ""
    r = wrapp("list-repo", tmp_path / "empty", "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout) == []


def test_list_repo_missing_repository(wrapp, tmp_path):
    r = wrapp("list-repo", tmp_path / "no-such-repo")
    assert r.returncode == 1, str(r)
    assert "no-such-repo" in r.stderr and r.stderr.startswith("error:"), str(r)


def test_list_repo_ignores_half_created_version(wrapp, repo):
    # A version folder without its .wrapp (an interrupted create) is not a published version.
    (repo / ".packages" / "alpha" / "0.2").mkdir()
    (repo / ".packages" / "alpha" / "0.2" / "f.txt").write_text("partial")
    r = wrapp("list-repo", repo)
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines()[0] == "alpha: 0.1"


# ------------------------------------------------------------------------------------------- new


def test_new_without_catalog(wrapp, tmp_path):
    folder = write_tree(tmp_path / "f", {"a.txt": "a"})
    r = wrapp("new", "n", "0.1", folder)
    assert r.returncode == 0, str(r)
    assert list_files(folder) == [".n.wrapp", "a.txt"]
    info = read_json(marker(folder, "n"))
    assert info["wrapp_format_version"] == 1
    assert info["name"] == "n"
    assert info["version"] == "0.1"
    assert info["dependencies"] == []
    assert not info.get("catalog")


def test_new_with_catalog(wrapp, tmp_path):
    files = {"a.txt": "a", "sub/b.bin": b"\x00\x01\x02"}
    folder = write_tree(tmp_path / "f", files)
    r = wrapp("new", "n", "1.0", url(folder), "--catalog")
    assert r.returncode == 0, str(r)
    info = read_json(marker(folder, "n"))
    assert info["name"] == "n" and info["version"] == "1.0"
    assert info["catalog"]["root"] == url(folder)
    assert info["catalog"]["items"] == expected_items(files, folder)


def test_new_default_destination_is_working_directory(wrapp, tmp_path):
    folder = write_tree(tmp_path / "f", {"a.txt": "a"})
    r = wrapp("new", "n", "1", "--catalog", cwd=folder)
    assert r.returncode == 0, str(r)
    info = read_json(marker(folder, "n"))
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["a.txt"]


def test_new_refuses_existing_file(wrapp, tmp_path):
    folder = write_tree(tmp_path / "f", {"a.txt": "a"})
    assert wrapp("new", "n", "1", folder).returncode == 0
    before = snapshot(folder)
    r = wrapp("new", "n", "2", folder, "--catalog")
    assert r.returncode == 1, str(r)
    assert ".n.wrapp" in r.stderr, str(r)
    assert snapshot(folder) == before


@pytest.mark.parametrize("bad", ["a/b", "..", "", "a\x01b"])
def test_new_refuses_bad_names(wrapp, tmp_path, bad):
    folder = write_tree(tmp_path / "f", {"a.txt": "a"})
    before = snapshot(tmp_path)
    r = wrapp("new", bad, "1", folder)
    assert r.returncode == 1, str(r)
    r = wrapp("new", "ok", bad, folder)
    assert r.returncode == 1, str(r)
    assert snapshot(tmp_path) == before


def test_new_then_create_from_folder(wrapp, tmp_path):
    # The root marker of the package being created is never packaged.
    folder = write_tree(tmp_path / "f", {"a.txt": "a"})
    assert wrapp("new", "n", "1", folder, "--catalog").returncode == 0
    repo = tmp_path / "repo"
    r = wrapp("create", "n", "1", folder, "--repo", repo)
    assert r.returncode == 0, str(r)
    info = read_json(repo / ".packages" / "n" / "1" / ".n.wrapp")
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["a.txt"]
