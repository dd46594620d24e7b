"""wrapp status: comparing an install location with its .wrapp catalog."""

from __future__ import annotations

import json
import os

import pytest

from helpers import list_files, marker, mentions, read_json, snapshot, url, write_tree

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
    assert "p" in r.stdout and "1" in r.stdout, str(r)
    for word in ("modified", "missing", "added"):
        assert word not in r.stdout.replace("unmodified", ""), str(r)


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
    assert p["modified"] == [] and p["missing"] == [] and p["added"] == []


def test_status_reports_modified_missing_added(wrapp, installed):
    repo, dest = installed
    (dest / "a.txt").write_text("changed")
    (dest / "sub" / "b.txt").unlink()
    (dest / "sub" / "c.txt").write_text("C")  # same size, different content
    write_tree(dest, {"new.txt": "n", "newdir/deep/x.txt": "x"})
    before = snapshot(dest)

    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 1, str(r)
    assert "modified" in _line_with(r.stdout, "a.txt")
    assert "modified" in _line_with(r.stdout, "sub/c.txt")
    assert "missing" in _line_with(r.stdout, "sub/b.txt")
    assert "added" in _line_with(r.stdout, "new.txt")
    assert "added" in _line_with(r.stdout, "newdir/deep/x.txt")

    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    j = json.loads(r.stdout)
    assert j["clean"] is False
    p = j["packages"][0]
    assert p["clean"] is False
    assert p["package"] == "p" and p["version"] == "1"
    assert p["modified"] == ["a.txt", "sub/c.txt"]
    assert p["missing"] == ["sub/b.txt"]
    assert p["added"] == ["new.txt", "newdir/deep/x.txt"]
    # status only reads.
    assert snapshot(dest) == before


def test_status_added_honours_wrappignore_of_install_location(wrapp, installed):
    repo, dest = installed
    write_tree(dest, {"scratch.tmp": "t", "sub/x.tmp": "t", "build/out.o": "o", "real.txt": "r"})
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    assert json.loads(r.stdout)["packages"][0]["added"] == ["real.txt"]


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
    assert json.loads(r.stdout)["packages"][0]["added"] == ["y.tmp"]


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
    assert json.loads(r.stdout)["packages"][0]["added"] == ["b.txt"]


def test_ignore_rules_never_hide_package_files(wrapp, installed, tmp_path):
    repo, dest = installed
    (tmp_path / "ignore_all").write_text("*\n")
    (dest / "a.txt").write_text("changed")
    (dest / "sub" / "b.txt").unlink()
    r = wrapp("status", marker(dest, "p"), "--ignore-file", tmp_path / "ignore_all", "--json")
    assert r.returncode == 1, str(r)
    p = json.loads(r.stdout)["packages"][0]
    assert (p["modified"], p["missing"], p["added"]) == (["a.txt"], ["sub/b.txt"], [])


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
    assert report["packages"][0]["added"] == ["mine.txt"]
    assert report["packages"][1]["added"] == []


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
    assert app_status["added"] == ["libs/loose.txt"]
    assert lib_status["added"] == ["extra.txt"]


def test_json_report_survives_a_file_name_that_is_not_utf8(wrapp, installed):
    _, dest = installed
    with open(os.fsencode(dest) + b"/bad\xffname", "wb") as f:
        f.write(b"x")
    r = wrapp("status", marker(dest, "p"), "--json")
    assert r.returncode == 1, str(r)
    report = json.loads(r.stdout)
    assert len(report["packages"][0]["added"]) == 1
