"""wrapp installed-package-list: the packages of an installed tree, recorded and stray."""

from __future__ import annotations

import json

from helpers import marker, url, write_tree


def build(wrapp, publish, tmp_path):
    """app 1 holding lib 1 at libs/lib (which holds base 1 at vendor), installed into dest."""
    repo, _ = publish("base", "1", {"b.txt": "base"})
    lib = write_tree(tmp_path / "lib", {"l.txt": "lib", "l2.txt": "lib 2"})
    assert wrapp("install", "base", "1", lib / "vendor", "--repo", repo).returncode == 0
    assert wrapp("create", "lib", "1", lib, "--repo", repo).returncode == 0
    app = write_tree(tmp_path / "app", {"a.txt": "app"})
    assert wrapp("install", "lib", "1", app / "libs" / "lib", "--repo", repo).returncode == 0
    assert wrapp("create", "app", "1", app, "--repo", repo).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    return repo, dest


def test_lists_the_tree_with_strays(wrapp, publish, tmp_path):
    repo, dest = build(wrapp, publish, tmp_path)
    # Stray package files: a fresh `wrapp new` one, and an older-named one.
    assert wrapp("new", "notes", "0.1", dest / "docs").returncode == 0
    (dest / "extra").mkdir()
    (dest / "extra" / "old.wrapp").write_text(json.dumps({"name": "old", "version": "3", "repository": "/r",
                                                          "catalog": {"root": "/x", "items": []}}))
    (dest / "extra" / "junk.wrapp").write_text("not json")
    r = wrapp("installed-package-list", marker(dest, "app"), "--json")
    assert r.returncode == 0, str(r)
    listed = json.loads(r.stdout)
    assert listed == [
        {"name": "app", "version": "1", "wrapp_file_url": url(marker(dest, "app")), "install_location": "",
         "repository": url(repo), "num_items": 1, "recorded": True},
        {"name": "lib", "version": "1", "wrapp_file_url": url(marker(dest / "libs/lib", "lib")),
         "install_location": "libs/lib", "repository": url(repo), "num_items": 2, "recorded": True},
        {"name": "base", "version": "1", "wrapp_file_url": url(marker(dest / "libs/lib/vendor", "base")),
         "install_location": "libs/lib/vendor", "repository": url(repo), "num_items": 1, "recorded": True},
        {"name": "notes", "version": "0.1", "wrapp_file_url": url(marker(dest / "docs", "notes")),
         "install_location": "docs", "repository": None, "num_items": None, "recorded": False},
        {"name": "old", "version": "3", "wrapp_file_url": url(dest / "extra" / "old.wrapp"),
         "install_location": "extra", "repository": "/r", "num_items": 0, "recorded": False},
    ]
    assert "skipping" in r.stderr and "junk.wrapp" in r.stderr, r.stderr
    text = wrapp("installed-package-list", marker(dest, "app"))
    assert text.returncode == 0, str(text)
    assert text.lines[0] == f"app 1 at . (from {repo}, 1 items): {marker(dest, 'app')}"
    assert text.lines[3] == (f"notes 0.1 at docs (from no repository, no catalog): {marker(dest / 'docs', 'notes')}"
                             " [not recorded as a dependency]")


def test_direct_only_lists_the_direct_dependencies(wrapp, publish, tmp_path):
    _, dest = build(wrapp, publish, tmp_path)
    assert wrapp("new", "notes", "0.1", dest / "docs").returncode == 0
    r = wrapp("installed-package-list", marker(dest, "app"), "--direct-only", "--json")
    assert r.returncode == 0, str(r)
    assert [(p["name"], p["install_location"]) for p in json.loads(r.stdout)] == [("lib", "libs/lib")]


def test_new_file_as_top_and_missing_subpackages(wrapp, publish, tmp_path):
    repo, dest = build(wrapp, publish, tmp_path)
    # A subpackage whose files were removed by hand: reported, not listed.
    (dest / "libs" / "lib" / "vendor" / ".base.wrapp").unlink()
    r = wrapp("installed-package-list", marker(dest, "app"))
    assert r.returncode == 0, str(r)
    assert [l.split(" at ")[0] for l in r.lines] == ["app 1", "lib 1"]
    assert "'base' 1 (a dependency of 'lib' 1) is not installed" in r.stderr, r.stderr
    # A `wrapp new` file at the top of a folder with an installed package in it.
    work = tmp_path / "work"
    assert wrapp("new", "proj", "1", work).returncode == 0
    assert wrapp("install", "base", "1", work / "third", "--repo", repo).returncode == 0
    r = wrapp("installed-package-list", marker(work, "proj"), "--json")
    listed = json.loads(r.stdout)
    assert [(p["name"], p["install_location"], p["recorded"], p["num_items"]) for p in listed] == [
        ("proj", "", True, None), ("base", "third", False, 1)]


def test_failures(wrapp, publish, tmp_path):
    r = wrapp("installed-package-list", tmp_path / "absent" / ".p.wrapp")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / ".p.wrapp").write_text(json.dumps({
        "name": "p", "version": "1",
        "dependencies": [{"package": "q", "version": "1", "repository": "", "relative_destination": "../../etc"}]}))
    r = wrapp("installed-package-list", bad / ".p.wrapp")
    assert r.returncode == 1 and "refusing unsafe dependency location '../../etc'" in r.stderr, str(r)
    # A package recorded as its own dependency in its own folder is listed once.
    (bad / ".p.wrapp").write_text(json.dumps({
        "name": "p", "version": "1",
        "dependencies": [{"package": "p", "version": "1", "repository": "", "relative_destination": "."}]}))
    r = wrapp("installed-package-list", bad / ".p.wrapp", timeout=30)
    assert r.returncode == 0 and len(r.lines) == 1, str(r)
