"""wrapp traceback: the ancestry of a package file through installs, mirrors and creates."""

from __future__ import annotations

import json

from helpers import marker, put_version, repo_wrapp, url, version_dir, write_tree


def trace(wrapp, f):
    r = wrapp("traceback", f)
    assert r.returncode == 0, str(r)
    return r.stdout.splitlines()


def test_create_install_mirror_chain(wrapp, publish, tmp_path):
    repo, src = publish("p", "1", {"a.txt": "a"})
    mirror = tmp_path / "mirror"
    assert wrapp("mirror", "p", "1", repo, mirror).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", mirror).returncode == 0
    assert trace(wrapp, marker(dest, "p")) == [
        f"Intermediate source installed at {marker(dest, 'p')}.",
        f"  Mirror repository at {repo_wrapp(mirror, 'p', '1')}.",
        f"    Primary repository at {repo_wrapp(repo, 'p', '1')}.",
        f"      Primary source folder (no package file) {src}.",
    ]
    r = wrapp("traceback", marker(dest, "p"), "--json")
    tree = json.loads(r.stdout)
    assert tree["kind"] == "installed" and tree["url"] == url(marker(dest, "p"))
    assert tree["name"] == "p" and tree["version"] == "1"
    mirror_node = tree["children"][0]
    assert mirror_node["kind"] == "mirror_repository"
    assert mirror_node["message"] == f"Mirror repository at {repo_wrapp(mirror, 'p', '1')}."
    leaf = mirror_node["children"][0]["children"][0]
    assert leaf == {"kind": "primary_source_folder", "message": f"Primary source folder (no package file) {src}.",
                    "url": url(src), "name": None, "version": None, "children": []}


def test_republish_loop_goes_through_the_installed_source(wrapp, publish, tmp_path):
    repo, src = publish("p", "1", {"a.txt": "a"})
    work = tmp_path / "work"
    assert wrapp("install", "p", "1", work, "--repo", repo).returncode == 0
    (work / "b.txt").write_text("b")
    assert wrapp("create", "p", "2", work, "--repo", repo).returncode == 0
    assert trace(wrapp, repo_wrapp(repo, "p", "2")) == [
        f"Primary repository at {repo_wrapp(repo, 'p', '2')}.",
        f"  Intermediate source installed at {marker(work, 'p')}.",
        f"    Primary repository at {repo_wrapp(repo, 'p', '1')}.",
        f"      Primary source folder (no package file) {src}.",
    ]


def test_new_file_is_a_primary_source(wrapp, tmp_path):
    work = write_tree(tmp_path / "work", {"a.txt": "a"})
    assert wrapp("new", "p", "1", work).returncode == 0
    assert trace(wrapp, marker(work, "p")) == [f"Primary source at {marker(work, 'p')}."]
    repo = tmp_path / "repo"
    assert wrapp("create", "p", "1", work, "--repo", repo).returncode == 0
    assert trace(wrapp, repo_wrapp(repo, "p", "1")) == [
        f"Primary repository at {repo_wrapp(repo, 'p', '1')}.",
        f"  Primary source at {marker(work, 'p')}.",
    ]


def test_install_into_the_source_folder_is_circular(wrapp, tmp_path):
    work = write_tree(tmp_path / "work", {"a.txt": "a"})
    repo = tmp_path / "repo"
    assert wrapp("create", "p", "1", work, "--repo", repo).returncode == 0
    assert wrapp("install", "p", "1", work, "--repo", repo).returncode == 0
    assert trace(wrapp, marker(work, "p")) == [
        f"Intermediate source installed at {marker(work, 'p')}.",
        f"  Primary repository at {repo_wrapp(repo, 'p', '1')}.",
        f"    Circular reference detected: {marker(work, 'p')} has already been visited.",
    ]


def test_hand_made_files_cover_every_line(wrapp, tmp_path):
    r1, r2 = tmp_path / "r1", tmp_path / "r2"
    # Mirrors naming each other: the loop ends.
    put_version(r1, "m", "1", repository=url(r2))
    put_version(r2, "m", "1", repository=str(r1))
    r = wrapp("traceback", repo_wrapp(r1, "m", "1"), timeout=30)
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == [
        f"Mirror repository at {repo_wrapp(r1, 'm', '1')}.",
        f"  Mirror repository at {repo_wrapp(r2, 'm', '1')}.",
        f"    Circular reference detected: {repo_wrapp(r1, 'm', '1')} has already been visited.",
    ]
    # A mirror whose source repository lost the version.
    put_version(r1, "gone", "1", repository=url(r2))
    assert trace(wrapp, repo_wrapp(r1, "gone", "1")) == [
        f"Mirror repository at {repo_wrapp(r1, 'gone', '1')}.",
        f"  Could not find wrapp file in repository at {repo_wrapp(r2, 'gone', '1')}.",
    ]
    # A primary repository whose source folder is gone.
    put_version(r1, "s", "1", repository=url(r1), source=str(tmp_path / "vanished"))
    assert trace(wrapp, repo_wrapp(r1, "s", "1")) == [
        f"Primary repository at {repo_wrapp(r1, 's', '1')}.",
        f"  Source package missing: Could not find wrapp file at {tmp_path / 'vanished' / '.s.wrapp'}.",
    ]
    # A package file with a source but no repository pointer; its source holds an older-named file.
    old_src = tmp_path / "old-src"
    old_src.mkdir()
    (old_src / "d.wrapp").write_text(json.dumps({"name": "d", "version": "1"}))
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / ".d.wrapp").write_text(json.dumps({"name": "d", "version": "1", "source": url(old_src)}))
    assert trace(wrapp, folder / ".d.wrapp") == [
        f"Source without repository pointer at {folder / '.d.wrapp'}.",
        f"  Primary source at {old_src / 'd.wrapp'}.",
    ]
    # A repository version with no pointers at all is primary (a metapackage has no source).
    put_version(r1, "meta", "1")
    assert trace(wrapp, repo_wrapp(r1, "meta", "1")) == [f"Primary repository at {repo_wrapp(r1, 'meta', '1')}."]


def test_failures(wrapp, tmp_path):
    r = wrapp("traceback", tmp_path / "none" / ".p.wrapp")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)
    bad = tmp_path / ".p.wrapp"
    bad.write_text('{"name": "p"}')
    r = wrapp("traceback", bad)
    assert r.returncode == 1 and "missing or non-text 'version'" in r.stderr, str(r)
