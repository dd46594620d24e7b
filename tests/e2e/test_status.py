"""wrapp status: comparing an install location with its .wrapp catalog."""

from __future__ import annotations

import json
import os

import pytest

from helpers import list_files, marker, mentions, read_json, snapshot, status_paths, status_types, url, write_tree

FILES = {"a.txt": "a", "sub/b.txt": "b", "sub/c.txt": "c", ".wrappignore": "*.tmp\nbuild/\n"}


@pytest.fixture
def installed(publish_and_install):
    return publish_and_install(FILES)


def _line_with(stdout: str, path: str) -> str:
    lines = [l for l in stdout.splitlines() if l.split() and l.split()[-1] == path]
    assert len(lines) == 1, f"expected exactly one line ending with {path!r} in:\n{stdout}"
    return lines[0]


def test_status_clean(wrapp, installed):
    repo, dest = installed
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 0, str(r)
    assert r.lines == [f"p 1 at {dest}: clean"], str(r)


def test_status_clean_json(wrapp, installed):
    repo, dest = installed
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert j["clean"] is True
    assert len(j["packages"]) == 1
    p = j["packages"][0]
    assert p["package"] == "p"
    assert p["version"] == "1"
    assert p["wrapp_file"] == url(marker(dest, "p"))
    assert p["install_location"] == url(dest)
    assert p["clean"] is True
    assert p["items"] == []
    assert j["dirty"] == []


def test_status_reports_modified_missing_added(wrapp, installed):
    repo, dest = installed
    (dest / "a.txt").write_text("changed")
    (dest / "sub" / "b.txt").unlink()
    (dest / "sub" / "c.txt").write_text("C")  # same size, different content
    write_tree(dest, {"new.txt": "n", "newdir/deep/x.txt": "x"})
    before = snapshot(dest)

    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 1, str(r)
    assert r.lines[0] == f"p 1 at {dest}: dirty", str(r)
    assert "item_differs" in _line_with(r.stdout, "a.txt")
    assert "item_differs" in _line_with(r.stdout, "sub/c.txt")
    assert "item_missing" in _line_with(r.stdout, "sub/b.txt")
    assert "extra_item" in _line_with(r.stdout, "new.txt")
    assert "extra_item" in _line_with(r.stdout, "newdir/deep/x.txt")
    assert "package_modified" not in r.stdout, "the header says it"

    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    j = json.loads(r.stdout)
    assert j["clean"] is False
    assert j["dirty"] == [url(marker(dest, "p"))]
    p = j["packages"][0]
    assert p["clean"] is False
    assert p["package"] == "p" and p["version"] == "1"
    assert status_types(p) == [
        ("package_modified", None), ("item_differs", "a.txt"), ("extra_item", "new.txt"),
        ("extra_item", "newdir/deep/x.txt"), ("item_missing", "sub/b.txt"), ("item_differs", "sub/c.txt")]
    for item in p["items"]:
        assert item["package_name"] == "p"
        assert item["absolute_wrapp_file_path"] == url(marker(dest, "p"))
        assert item["status_message"], item
    assert "1 missing" in p["items"][0]["status_message"], p["items"][0]
    # status only reads.
    assert snapshot(dest) == before


def test_status_added_honours_wrappignore_of_install_location(wrapp, installed):
    repo, dest = installed
    write_tree(dest, {"scratch.tmp": "t", "sub/x.tmp": "t", "build/out.o": "o", "real.txt": "r"})
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    assert status_paths(json.loads(r.stdout)["packages"][0], "extra_item") == ["real.txt"]


def test_status_only_ignored_additions_is_clean(wrapp, installed):
    repo, dest = installed
    write_tree(dest, {"scratch.tmp": "t", "build/out.o": "o"})
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 0, str(r)


def test_status_ignore_file_option(wrapp, installed, tmp_path):
    repo, dest = installed
    write_tree(dest, {"x.log": "l", "y.tmp": "t"})
    (tmp_path / "rules").write_text("*.log\n")
    r = wrapp("status", marker(dest, "p"), "--ignore-file", "rules", "--json")
    assert r.returncode == 1, str(r)
    # --ignore-file replaces the install location's .wrappignore.
    assert status_paths(json.loads(r.stdout)["packages"][0], "extra_item") == ["y.tmp"]


def test_status_accepts_file_url(wrapp, installed):
    repo, dest = installed
    r = wrapp("status", url(marker(dest, "p")))
    assert r.returncode == 0, str(r)


def test_status_missing_wrapp_file(wrapp, tmp_path):
    r = wrapp("status", tmp_path / "nowhere" / ".p.wrapp")
    assert r.returncode == 1, str(r)
    assert ".p.wrapp" in r.stderr and r.stderr.startswith("error:"), str(r)


def test_status_corrupt_wrapp_file(wrapp, installed):
    repo, dest = installed
    marker(dest, "p").write_text("{ this is not json")
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 1, str(r)
    assert mentions(r.stderr, marker(dest, "p")), str(r)


def test_status_newer_format_refused(wrapp, installed):
    repo, dest = installed
    info = read_json(marker(dest, "p"))
    info["wrapp_format_version"] = 99
    marker(dest, "p").write_text(json.dumps(info))
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 1, str(r)
    assert "upgrad" in r.stderr.lower(), str(r)


def test_added_files_do_not_block_update_or_uninstall(wrapp, installed, publish):
    repo, dest = installed
    publish("p", "2", {"a.txt": "a2", "sub/b.txt": "b", ".wrappignore": "*.tmp\n"}, repo=repo)
    write_tree(dest, {"mine.txt": "mine", "sub/mine.txt": "mine too"})
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "a.txt").read_text() == "a2"
    r = wrapp("uninstall", "p", dest)
    assert r.returncode == 0, str(r)
    assert list_files(dest) == ["mine.txt", "sub/mine.txt"]


def test_status_of_new_catalog_marker(wrapp, tmp_path):
    folder = write_tree(tmp_path / "f", {"a.txt": "a"})
    assert wrapp("new", "n", "0.1", folder, "--catalog").returncode == 0
    r = wrapp("status", marker(folder, "n"))
    assert r.returncode == 0, str(r)
    (folder / "b.txt").write_text("b")
    r = wrapp("status", marker(folder, "n"), "--json")
    assert r.returncode == 1, str(r)
    assert status_paths(json.loads(r.stdout)["packages"][0], "extra_item") == ["b.txt"]


def test_ignore_rules_never_hide_package_files(wrapp, installed, tmp_path):
    repo, dest = installed
    (tmp_path / "ignore_all").write_text("*\n")
    (dest / "a.txt").write_text("changed")
    (dest / "sub" / "b.txt").unlink()
    r = wrapp("status", marker(dest, "p"), "--ignore-file", tmp_path / "ignore_all", "--json")
    assert r.returncode == 1, str(r)
    p = json.loads(r.stdout)["packages"][0]
    assert status_types(p) == [("package_modified", None), ("item_differs", "a.txt"), ("item_missing", "sub/b.txt")]


def test_dependency_installed_in_the_same_folder_is_clean(wrapp, publish, tmp_path):
    # lib installed at the root of the folder app is created from: a dependency at "".
    repo, _ = publish("lib", "1", {"lib.txt": "lib"})
    app = tmp_path / "app"
    assert wrapp("install", "lib", "1", app, "--repo", repo).returncode == 0
    (app / "app.txt").write_text("app")
    assert wrapp("create", "app", "1", app, "--repo", repo).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 0, str(r)
    report = json.loads(r.stdout)
    assert [p["package"] for p in report["packages"]] == ["app", "lib"]
    assert all(p["clean"] for p in report["packages"]), report
    (dest / "mine.txt").write_text("mine")
    report = json.loads(wrapp("status", marker(dest, "app"), "--json").stdout)
    assert status_types(report["packages"][0]) == [("package_modified", None), ("extra_item", "mine.txt")]
    assert report["packages"][1]["items"] == []


def test_added_file_in_a_dependency_folder_is_reported_by_the_dependency(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"lib.txt": "lib"})
    app = tmp_path / "app"
    assert wrapp("install", "lib", "1", app / "libs" / "lib", "--repo", repo).returncode == 0
    (app / "app.txt").write_text("app")
    assert wrapp("create", "app", "1", app, "--repo", repo).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    (dest / "libs" / "lib" / "extra.txt").write_text("x")
    (dest / "libs" / "loose.txt").write_text("y")
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 1, str(r)
    app_status, lib_status = json.loads(r.stdout)["packages"]
    assert status_paths(app_status, "extra_item") == ["libs/loose.txt"]
    assert status_paths(lib_status, "extra_item") == ["extra.txt"]


def test_json_report_survives_a_file_name_that_is_not_utf8(wrapp, installed):
    _, dest = installed
    with open(os.fsencode(dest) + b"/bad\xffname", "wb") as f:
        f.write(b"x")
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    report = json.loads(r.stdout)
    assert len(status_paths(report["packages"][0], "extra_item")) == 1


# --------------------------------------------------------------------------------------------
# Package trees: the reference's package-level status items


@pytest.fixture
def app_tree(wrapp, publish, tmp_path):
    """app 1 (a.txt) holding lib 1 (l.txt) at libs/lib, installed in tmp_path/'dest'. Returns (repo, dest)."""
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    publish("lib", "2", {"l.txt": "lib 2"}, repo=repo)
    app = write_tree(tmp_path / "app", {"a.txt": "app"})
    assert wrapp("install", "lib", "1", app / "libs" / "lib", "--repo", repo).returncode == 0
    assert wrapp("create", "app", "1", app, "--repo", repo).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    return repo, dest


def _by_name(stdout: str) -> dict:
    return {p["package"]: p for p in json.loads(stdout)["packages"]}


def test_modified_subpackage_makes_its_parent_dirty(wrapp, app_tree):
    repo, dest = app_tree
    lib = dest / "libs" / "lib"
    (lib / "l.txt").write_text("LIB")
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 1, str(r)
    report = json.loads(r.stdout)
    # Subpackages first: the order to create new versions in.
    assert report["dirty"] == [url(marker(lib, "lib")), url(marker(dest, "app"))]
    packages = _by_name(r.stdout)
    assert status_types(packages["lib"]) == [("package_modified", None), ("item_differs", "l.txt")]
    assert status_types(packages["app"]) == [("subpackage_modified", "libs/lib/.lib.wrapp")]
    assert packages["app"]["items"][0]["absolute_wrapp_file_path"] == url(marker(dest, "app"))

    r = wrapp("status", marker(dest, "app"))
    assert r.returncode == 1, str(r)
    assert r.lines == [
        f"app 1 at {dest}: dirty",
        "  subpackage_modified      libs/lib/.lib.wrapp",
        f"lib 1 at {lib}: dirty",
        "  item_differs             l.txt",
    ], str(r)


def test_subpackage_of_another_version_is_a_mismatch(wrapp, app_tree):
    repo, dest = app_tree
    lib = dest / "libs" / "lib"
    assert wrapp("install", "lib", "2", lib, "--repo", repo).returncode == 0  # by hand, over the subpackage
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 1, str(r)
    packages = _by_name(r.stdout)
    assert packages["lib"]["version"] == "2"
    assert status_types(packages["lib"]) == [("package_version_mismatch", None)]
    message = packages["lib"]["items"][0]["status_message"]
    assert "version 2" in message and "records version 1" in message, message
    assert status_types(packages["app"]) == [("subpackage_modified", "libs/lib/.lib.wrapp")]


def test_missing_subpackage_file_is_package_missing(wrapp, app_tree):
    repo, dest = app_tree
    lib = dest / "libs" / "lib"
    marker(lib, "lib").unlink()
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 1, str(r)
    packages = _by_name(r.stdout)
    assert packages["lib"]["wrapp_file"] == url(marker(lib, "lib"))
    assert status_types(packages["lib"]) == [("package_missing", None), ("extra_item", "l.txt")]
    assert status_types(packages["app"]) == [("subpackage_modified", "libs/lib/.lib.wrapp")]
    r = wrapp("status", marker(dest, "app"))
    assert "package_missing" in r.stdout and mentions(r.stdout, marker(lib, "lib")), str(r)


def test_stray_package_file_is_an_extra_package(wrapp, app_tree, publish):
    repo, dest = app_tree
    publish("tool", "1", {"t.txt": "tool", "bin/t": "t"}, repo=repo)
    assert wrapp("install", "tool", "1", dest / "tools" / "tool", "--repo", repo).returncode == 0
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 1, str(r)
    app = _by_name(r.stdout)["app"]
    # One item for the package; its files are its own, not extra items.
    assert status_types(app) == [("package_modified", None), ("extra_package", "tools/tool/.tool.wrapp")]
    assert "'tool' 1" in app["items"][1]["status_message"], app
    assert "1 extra package" in app["items"][0]["status_message"], app


def test_package_file_without_catalog_is_reported_and_its_installs_checked(wrapp, app_tree, tmp_path):
    repo, _ = app_tree
    proj = write_tree(tmp_path / "proj", {"scene.usd": "scene"})
    assert wrapp("new", "proj", "0.1", proj).returncode == 0
    r = wrapp("install", "lib", "1", proj / "libs" / "lib", "--repo", repo, "--dependency-file", marker(proj, "proj"))
    assert r.returncode == 0, str(r)
    r = wrapp("status", marker(proj, "proj"), "--json")
    assert r.returncode == 1, str(r)
    packages = _by_name(r.stdout)
    # Never installed there, so nothing to compare the project's own files with.
    assert status_types(packages["proj"]) == [("package_no_catalog", None)]
    assert packages["lib"]["items"] == []
    (proj / "libs" / "lib" / "l.txt").unlink()
    packages = _by_name(wrapp("status", marker(proj, "proj"), "--json").stdout)
    assert status_types(packages["lib"]) == [("package_modified", None), ("item_missing", "l.txt")]
    assert status_types(packages["proj"]) == [
        ("package_no_catalog", None), ("subpackage_modified", "libs/lib/.lib.wrapp")]


def test_stray_package_file_that_cannot_be_read_is_still_reported(wrapp, installed):
    _, dest = installed
    (dest / "broken.wrapp").write_text("{ not json")
    (dest / "back\\slash.wrapp").write_text("{}")
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    p = json.loads(r.stdout)["packages"][0]
    assert status_types(p) == [
        ("package_modified", None), ("extra_package", "back\\slash.wrapp"), ("extra_package", "broken.wrapp")]
    assert "broken.wrapp" in p["items"][2]["status_message"], p


def test_status_of_many_files_finds_each_change_once(wrapp, publish_and_install):
    """More files than status checks in one chunk, in folders whose files sort around each other's."""
    files = {}
    for i in range(1500):
        files[f"{('d', 'd/b', 'd/b/c', 'e')[i % 4]}/{i:04d}.txt"] = f"file {i}\n"
    repo, dest = publish_and_install(files)
    (dest / "d" / "0000.txt").write_text("FILE 0\n")  # same size
    (dest / "d" / "b" / "0001.txt").write_text("longer than before\n")
    (dest / "e" / "1499.txt").unlink()
    write_tree(dest, {"d/b/c/new.txt": "new"})
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    p = json.loads(r.stdout)["packages"][0]
    assert status_types(p)[1:] == [("item_differs", "d/0000.txt"), ("item_differs", "d/b/0001.txt"),
                                   ("extra_item", "d/b/c/new.txt"), ("item_missing", "e/1499.txt")], str(r)
