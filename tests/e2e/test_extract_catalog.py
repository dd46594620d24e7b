"""wrapp extract-catalog: the catalog of a repository version, flattened over its dependencies with
--recursive."""

from __future__ import annotations

import json

import pytest

from helpers import (
    expected_items, hash_bytes, items_by_path, put_version, read_json, repo_wrapp, url, version_dir,
)


@pytest.fixture
def tree(wrapp, publish, tmp_path):
    """app 1 (a.txt) in repo with lib 1 at libs/lib (from the other repository) and tool 2 at bin
    (same repository, recorded as "")."""
    other, _ = publish("lib", "1", {"l.txt": "lib", "sub/m.txt": "more"}, repo=tmp_path / "other")
    repo, _ = publish("tool", "2", {"t.txt": "tool"})
    catalog = {"root": url(version_dir(repo, "app", "1")), "items": expected_items({"a.txt": "app"},
                                                                                  version_dir(repo, "app", "1"))}
    (version_dir(repo, "app", "1")).mkdir(parents=True)
    (version_dir(repo, "app", "1") / "a.txt").write_text("app")
    put_version(repo, "app", "1", [("lib", "1", url(other), "libs/lib"), ("tool", "2", "", "./bin/")],
                catalog=catalog, repository=url(repo))
    return repo, other


def test_extract_catalog_of_one_version(wrapp, tree, tmp_path):
    repo, _ = tree
    out = tmp_path / "app.json"
    r = wrapp("extract-catalog", "app", "1", repo, out)
    assert r.returncode == 0, str(r)
    assert r.stdout == f"extracted 1 items (3 B) of app 1 into {out}\n"
    cat = read_json(out)
    assert cat["wrapp_catalog_version"] == 1
    assert cat["root"] == url(version_dir(repo, "app", "1"))
    assert cat["items"] == expected_items({"a.txt": "app"}, version_dir(repo, "app", "1"))
    assert "storage_map" not in cat
    # The output is a catalog: diff and count read it.
    assert wrapp("count", out).returncode == 0
    assert wrapp("diff", out, repo_wrapp(repo, "app", "1")).returncode == 0


def test_recursive_flattens_the_tree_below_install_locations(wrapp, tree, tmp_path):
    repo, other = tree
    out = tmp_path / "all.json"
    r = wrapp("extract-catalog", "app", "1", repo, out, "--recursive", "--add-wrapp-files")
    assert r.returncode == 0, str(r)
    assert "of app 1 and 2 subpackage(s)" in r.stdout
    items = items_by_path(read_json(out)["items"])
    assert sorted(items) == [".app.wrapp", "a.txt", "bin/.tool.wrapp", "bin/t.txt", "libs/lib/.lib.wrapp",
                             "libs/lib/l.txt", "libs/lib/sub/m.txt"]
    assert items["libs/lib/sub/m.txt"]["source_path"] == url(version_dir(other, "lib", "1") / "sub" / "m.txt")
    assert items["bin/t.txt"]["source_path"] == url(version_dir(repo, "tool", "2") / "t.txt")
    wrapp_file = repo_wrapp(repo, "tool", "2")
    assert items["bin/.tool.wrapp"] == {"relative_path": "bin/.tool.wrapp", "source_path": url(wrapp_file),
                                        "hash": hash_bytes(wrapp_file.read_bytes()),
                                        "size": wrapp_file.stat().st_size}
    # The flattened catalog matches what install writes.
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == sorted(items)
    r = wrapp("extract-catalog", "app", "1", repo, tmp_path / "j.json", "--recursive", "--json")
    packages = json.loads(r.stdout)["packages"]
    assert [(p["package"], p["install_path"], p["items"]) for p in packages] == [
        ("app", "", 1), ("lib", "libs/lib", 2), ("tool", "bin", 1)]


def test_storage_map_locations_become_source_paths(wrapp, publish, tmp_path):
    repo, _ = publish("p", "1", {"x.txt": "x"})
    blob = tmp_path / "blobs" / "one"
    blob.parent.mkdir()
    blob.write_text("x")
    info = read_json(repo_wrapp(repo, "p", "1"))
    h = info["catalog"]["items"][0]["hash"]
    info["catalog"]["storage_map"] = {"storage_map": {h: str(blob)}}
    path = repo_wrapp(repo, "p", "1")
    path.chmod(0o644)
    path.write_text(json.dumps(info))
    out = tmp_path / "c.json"
    assert wrapp("extract-catalog", "p", "1", repo, out).returncode == 0
    assert read_json(out)["items"][0]["source_path"] == url(blob)


def test_existing_output_needs_overwrite_and_dry_run_writes_nothing(wrapp, tree, tmp_path):
    repo, _ = tree
    out = tmp_path / "c.json"
    out.write_text("keep me")
    r = wrapp("extract-catalog", "app", "1", repo, out)
    assert r.returncode == 1 and "already exists: pass --overwrite" in r.stderr, str(r)
    assert out.read_text() == "keep me"
    assert wrapp("extract-catalog", "app", "1", repo, out, "--dry-run", "--overwrite").returncode == 0
    assert out.read_text() == "keep me"
    r = wrapp("extract-catalog", "app", "1", repo, out, "--overwrite")
    assert r.returncode == 0, str(r)
    assert read_json(out)["items"][0]["relative_path"] == "a.txt"


def test_failures_missing_cycle_clash_and_hostile_files(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    publish("lib2", "1", {"l.txt": "other"}, repo=repo)
    out = tmp_path / "c.json"
    r = wrapp("extract-catalog", "nope", "1", repo, out)
    assert r.returncode == 1 and "package 'nope' not found" in r.stderr, str(r)
    r = wrapp("extract-catalog", "lib", "7", repo, out)
    assert r.returncode == 1 and "version '7' not found" in r.stderr and "available: 1" in r.stderr, str(r)
    r = wrapp("extract-catalog", "lib", "1", tmp_path / "no-repo", out)
    assert r.returncode == 1, str(r)
    # a -> b -> a
    put_version(repo, "a", "1", [("b", "1", "", "b")])
    put_version(repo, "b", "1", [("a", "1", url(repo), "a")])
    r = wrapp("extract-catalog", "a", "1", repo, out, "--recursive", timeout=30)
    assert r.returncode == 1 and "dependency cycle: 'a' 1 -> 'b' 1 -> 'a' 1" in r.stderr, str(r)
    put_version(repo, "c", "1", [("gone", "2", "", "g")])
    r = wrapp("extract-catalog", "c", "1", repo, out, "--recursive")
    assert r.returncode == 1, str(r)
    assert "package 'gone' version '2' not found" in r.stderr and "a dependency of 'c' 1" in r.stderr, r.stderr
    put_version(repo, "d", "1", [("lib", "1", "", "x"), ("lib2", "1", "", "x")])
    r = wrapp("extract-catalog", "d", "1", repo, out, "--recursive")
    assert r.returncode == 1 and "'x/l.txt' is installed by two packages: 'lib' 1" in r.stderr, str(r)
    assert "'lib2' 1" in r.stderr
    put_version(repo, "e", "1", [("lib", "1", "", "../../escape")])
    r = wrapp("extract-catalog", "e", "1", repo, out, "--recursive")
    assert r.returncode == 1 and "refusing unsafe dependency location '../../escape'" in r.stderr, str(r)
    assert not out.exists()


def test_a_repository_moved_by_hand_is_extracted_where_it_is_now(wrapp, publish, tmp_path):
    """Items point at the files where every reader finds them (item_source.h), not at the recorded old place."""
    old, _ = publish("p", "1", {"a.txt": "a", "d/b.txt": "b"})
    moved = tmp_path / "moved-repo"
    old.rename(moved)
    out = tmp_path / "out.json"
    r = wrapp("extract-catalog", "p", "1", moved, out)
    assert r.returncode == 0, str(r)
    items = json.loads(out.read_text())["items"]
    assert [i["source_path"] for i in items] == [
        url(moved / ".packages" / "p" / "1" / "a.txt"), url(moved / ".packages" / "p" / "1" / "d" / "b.txt")]
