"""wrapp create: packaging a folder into <repo>/.packages/<name>/<version>/."""

from __future__ import annotations

import json
import os
import stat

import pytest

from helpers import (
    BIG_SIZE, expected_items, hash_bytes, hash_file, list_dirs, list_files, marker, random_bytes,
    read_json, read_tree, repo_wrapp, snapshot, stderr_error_lines, url, version_dir, write_tree,
)


def test_create_copies_every_file_and_writes_wrapp(wrapp, tmp_path, sample_files):
    src = write_tree(tmp_path / "src", sample_files)
    (src / "empty_dir" / "nested_empty").mkdir(parents=True)
    repo = tmp_path / "repo"

    r = wrapp("create", "pkg", "1.0", src, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert r.stdout.strip(), "create should report what it did on stdout"

    vdir = version_dir(repo, "pkg", "1.0")
    # Byte-identical copies of every file, plus the .wrapp; nothing else.
    assert list_files(vdir) == sorted(list(sample_files) + [".pkg.wrapp"])
    tree = read_tree(vdir)
    for rel, content in sample_files.items():
        expected = content.encode() if isinstance(content, str) else content
        assert tree[rel] == expected, rel
    # Empty folders are not packaged.
    assert "empty_dir" not in list_dirs(vdir)
    assert "empty_dir/nested_empty" not in list_dirs(vdir)

    info = read_json(repo_wrapp(repo, "pkg", "1.0"))
    assert info["wrapp_format_version"] == 1
    assert info["name"] == "pkg"
    assert info["version"] == "1.0"
    assert info["source"] == url(src)
    assert info["repository"] == url(repo)
    assert info["dependencies"] == []
    assert info["catalog"]["root"] == url(vdir)
    assert info["catalog"]["items"] == expected_items(sample_files, vdir)
    # Items sorted by relative_path.
    paths = [i["relative_path"] for i in info["catalog"]["items"]]
    assert paths == sorted(paths)


def test_create_hashes_match_independent_implementation(wrapp, tmp_path):
    files = {
        "empty": b"",
        "one_byte": b"x",
        "exact_chunk": random_bytes(1 << 20, seed=1),
        "chunk_plus_one": random_bytes((1 << 20) + 1, seed=2),
        "two_chunks_minus_one": random_bytes(2 * (1 << 20) - 1, seed=3),
    }
    src = write_tree(tmp_path / "src", files)
    repo = tmp_path / "repo"
    r = wrapp("create", "h", "1", src, "--repo", repo)
    assert r.returncode == 0, str(r)
    items = {i["relative_path"]: i for i in read_json(repo_wrapp(repo, "h", "1"))["catalog"]["items"]}
    assert items["empty"]["hash"] == (
        "sha-256-flat;1048576;e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    for rel, data in files.items():
        assert items[rel]["size"] == len(data), rel
        assert items[rel]["hash"] == hash_bytes(data), rel


def test_create_big_file_parallel_chunks(wrapp, tmp_path, big_data):
    src = write_tree(tmp_path / "src", {"big/huge.bin": big_data, "small.txt": "s"})
    repo = tmp_path / "repo"
    r = wrapp("create", "big", "1", src, "--repo", repo, "-j", "8")
    assert r.returncode == 0, str(r)
    copied = version_dir(repo, "big", "1") / "big" / "huge.bin"
    assert copied.stat().st_size == BIG_SIZE
    assert copied.read_bytes() == big_data
    items = {i["relative_path"]: i for i in read_json(repo_wrapp(repo, "big", "1"))["catalog"]["items"]}
    assert items["big/huge.bin"]["hash"] == hash_bytes(big_data) == hash_file(copied)
    assert items["big/huge.bin"]["size"] == BIG_SIZE


def test_repo_files_are_read_only_and_wrapp_written_last(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a": "1", "d/b": "2"})
    repo = tmp_path / "repo"
    assert wrapp("create", "p", "1", src, "--repo", repo).returncode == 0
    vdir = version_dir(repo, "p", "1")
    mtimes = []
    for rel in ["a", "d/b"]:
        st = (vdir / rel).stat()
        assert not (st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)), rel
        mtimes.append(st.st_mtime_ns)
    assert (vdir / ".p.wrapp").stat().st_mtime_ns >= max(mtimes)


def test_create_accepts_file_urls(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"x.txt": "x"})
    repo = tmp_path / "repo"
    r = wrapp("create", "u", "1", url(src), "--repo", url(repo))
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(repo, "u", "1"))
    assert info["repository"] == url(repo)
    assert info["source"] == url(src)
    assert (version_dir(repo, "u", "1") / "x.txt").read_text() == "x"


def test_create_refuses_existing_version_and_leaves_repo_untouched(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "one"})
    repo = tmp_path / "repo"
    assert wrapp("create", "p", "1.0", src, "--repo", repo).returncode == 0
    before = snapshot(repo)
    (src / "a.txt").write_text("two")
    (src / "b.txt").write_text("new")

    r = wrapp("create", "p", "1.0", src, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert stderr_error_lines(r.stderr), str(r)
    assert "1.0" in r.stderr
    assert snapshot(repo) == before


BAD_NAMES = ["a/b", "a\\b", "..", ".", "", "a\x01b", "a\nb", "a\tb", "../x", "a\x7fb"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_create_refuses_bad_package_name(wrapp, tmp_path, bad):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    repo = tmp_path / "repo"
    r = wrapp("create", bad, "1.0", src, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert r.stderr.startswith("error:"), str(r)
    assert list_files(repo) == [] and list_dirs(repo) == []
    assert sorted(os.listdir(tmp_path)) == ["repo", "src"] or sorted(os.listdir(tmp_path)) == ["src"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_create_refuses_bad_version(wrapp, tmp_path, bad):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    repo = tmp_path / "repo"
    r = wrapp("create", "pkg", bad, src, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert r.stderr.startswith("error:"), str(r)
    assert list_files(repo) == [] and list_dirs(repo) == []
    assert sorted(os.listdir(tmp_path)) in (["repo", "src"], ["src"])


def test_create_missing_source(wrapp, tmp_path):
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", tmp_path / "does-not-exist", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "does-not-exist" in r.stderr and r.stderr.startswith("error:"), str(r)
    assert not (repo / ".packages").exists()


def test_create_source_is_a_file(wrapp, tmp_path):
    (tmp_path / "file.txt").write_text("x")
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", tmp_path / "file.txt", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "file.txt" in r.stderr, str(r)
    assert not (repo / ".packages" / "p" / "1").exists()


def test_create_requires_repo(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a": "a"})
    r = wrapp("create", "p", "1", src)
    assert r.returncode == 1, str(r)
    assert "--repo" in r.stderr, str(r)
    assert sorted(os.listdir(tmp_path)) == ["src"]


def test_create_dry_run_writes_nothing(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a", "sub/b.txt": "bb"})
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", src, "--repo", repo, "--dry-run")
    assert r.returncode == 0, str(r)
    assert "a.txt" in r.stdout and "sub/b.txt" in r.stdout, str(r)
    assert not (repo / ".packages").exists()
    assert read_tree(src) == {"a.txt": b"a", "sub/b.txt": b"bb"}


def test_create_from_catalog_file(wrapp, tmp_path):
    files = {"a.txt": "aaa", "d/b.bin": random_bytes(5000, seed=3)}
    src = write_tree(tmp_path / "src", files)
    r = wrapp("catalog", src, tmp_path / "cat.json")
    assert r.returncode == 0, str(r)
    repo = tmp_path / "repo"
    r = wrapp("create", "fromcat", "1", tmp_path / "cat.json", "--catalog", "--repo", repo)
    assert r.returncode == 0, str(r)
    vdir = version_dir(repo, "fromcat", "1")
    assert list_files(vdir) == [".fromcat.wrapp", "a.txt", "d/b.bin"]
    assert read_tree(vdir)["d/b.bin"] == files["d/b.bin"]
    info = read_json(repo_wrapp(repo, "fromcat", "1"))
    assert info["catalog"]["items"] == expected_items(files, vdir)


# --------------------------------------------------------------------------------------------
# Symbolic links


def test_symlink_inside_tree_is_packaged_as_regular_file(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"d/target.txt": "target content"})
    os.symlink("d/target.txt", src / "link.txt")
    repo = tmp_path / "repo"
    r = wrapp("create", "s", "1", src, "--repo", repo)
    assert r.returncode == 0, str(r)
    vdir = version_dir(repo, "s", "1")
    link_copy = vdir / "link.txt"
    assert not link_copy.is_symlink()
    assert link_copy.is_file()
    assert link_copy.read_text() == "target content"
    items = {i["relative_path"]: i for i in read_json(repo_wrapp(repo, "s", "1"))["catalog"]["items"]}
    assert set(items) == {"d/target.txt", "link.txt"}
    assert items["link.txt"]["hash"] == hash_bytes(b"target content")


def test_symlink_pointing_outside_tree_is_refused(wrapp, tmp_path):
    (tmp_path / "outside.txt").write_text("secret")
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    os.symlink("../outside.txt", src / "escape.txt")
    repo = tmp_path / "repo"
    r = wrapp("create", "s", "1", src, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "escape.txt" in r.stderr and r.stderr.startswith("error:"), str(r)
    assert not version_dir(repo, "s", "1").exists()


def test_absolute_symlink_pointing_outside_tree_is_refused(wrapp, tmp_path):
    (tmp_path / "outside.txt").write_text("secret")
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    os.symlink(str(tmp_path / "outside.txt"), src / "abs_escape.txt")
    repo = tmp_path / "repo"
    r = wrapp("create", "s", "1", src, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "abs_escape.txt" in r.stderr, str(r)
    assert not version_dir(repo, "s", "1").exists()


# --------------------------------------------------------------------------------------------
# Re-publish loop and nested packages


def test_republish_loop_install_edit_create(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "v1", "b.txt": "same"})
    work = tmp_path / "work"
    r = wrapp("install", "p", "1", work, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert marker(work, "p").is_file()
    (work / "a.txt").write_text("v2")
    (work / "c.txt").write_text("added")

    r = wrapp("create", "p", "2", work, "--repo", repo)
    assert r.returncode == 0, str(r)
    vdir = version_dir(repo, "p", "2")
    assert list_files(vdir) == [".p.wrapp", "a.txt", "b.txt", "c.txt"]
    info = read_json(repo_wrapp(repo, "p", "2"))
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["a.txt", "b.txt", "c.txt"]
    assert info["source"] == url(work)
    assert info["dependencies"] == []
    assert (vdir / "a.txt").read_text() == "v2"

    # The working folder can then be updated to the version it produced.
    r = wrapp("install", "p", "2", work, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert read_json(marker(work, "p"))["version"] == "2"


def test_nested_installed_package_becomes_dependency(wrapp, tmp_path, publish):
    repo, _ = publish("lib", "2.0", {"l.txt": "lib", "deep/m.txt": "m"})
    app = write_tree(tmp_path / "app", {"a.txt": "app"})
    r = wrapp("install", "lib", "2.0", app / "sub", "--repo", repo)
    assert r.returncode == 0, str(r)

    r = wrapp("create", "app", "1.0", app, "--repo", repo)
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(repo, "app", "1.0"))
    assert info["dependencies"] == [{
        "package": "lib", "version": "2.0", "repository": url(repo), "relative_destination": "sub",
    }]
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["a.txt"]
    assert list_files(version_dir(repo, "app", "1.0")) == [".app.wrapp", "a.txt"]


def test_nested_dependency_relative_destination_is_posix_path(wrapp, tmp_path, publish):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    app = write_tree(tmp_path / "app", {"a.txt": "app"})
    assert wrapp("install", "lib", "1", app / "x" / "y", "--repo", repo).returncode == 0
    r = wrapp("create", "app", "1", app, "--repo", repo)
    assert r.returncode == 0, str(r)
    deps = read_json(repo_wrapp(repo, "app", "1"))["dependencies"]
    assert [(d["package"], d["version"], d["relative_destination"]) for d in deps] == [("lib", "1", "x/y")]


def test_nested_marker_without_catalog_is_refused(wrapp, tmp_path):
    app = write_tree(tmp_path / "app", {"a.txt": "a", "n/x.txt": "x"})
    r = wrapp("new", "other", "0.1", app / "n")
    assert r.returncode == 0, str(r)
    repo = tmp_path / "repo"
    r = wrapp("create", "app", "1", app, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert ".other.wrapp" in r.stderr, str(r)
    assert not version_dir(repo, "app", "1").exists()


def test_modified_nested_package_is_refused_unless_skip_dirty_check(wrapp, tmp_path, publish):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    app = write_tree(tmp_path / "app", {"a.txt": "a"})
    assert wrapp("install", "lib", "1", app / "sub", "--repo", repo).returncode == 0
    (app / "sub" / "l.txt").write_text("changed")

    r = wrapp("create", "app", "1", app, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "sub/l.txt" in r.stderr, str(r)
    assert not version_dir(repo, "app", "1").exists()

    r = wrapp("create", "app", "1", app, "--repo", repo, "--skip-dirty-check")
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(repo, "app", "1"))
    assert [d["package"] for d in info["dependencies"]] == ["lib"]
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["a.txt"]


# --------------------------------------------------------------------------------------------
# Odd trees


@pytest.mark.parametrize("odd", ["tab\there.txt", "back\\slash.txt"])
def test_odd_file_names_never_produce_an_uninstallable_package(wrapp, tmp_path, odd):
    src = write_tree(tmp_path / "src", {"a.txt": "a", odd: "odd"})
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", src, "--repo", repo)
    if r.returncode != 0:
        # Refusing is fine, but then it must say which file, and write nothing.
        assert r.returncode == 1, str(r)
        assert odd.split("\t")[0].split("\\")[0] in r.stderr, str(r)
        assert not version_dir(repo, "p", "1").exists()
        return
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / odd).read_text() == "odd"


def test_symlink_loop_is_refused(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"x/f.txt": "f"})
    os.symlink("..", src / "x" / "loop")
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", src, "--repo", repo, timeout=30)
    assert r.returncode == 1, str(r)
    assert "loop" in r.stderr, str(r)
    assert not version_dir(repo, "p", "1").exists()


def test_repository_inside_source_is_not_packaged(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    r = wrapp("create", "p", "1", ".", "--repo", ".", cwd=src)
    assert r.returncode == 0, str(r)
    r = wrapp("create", "p", "2", ".", "--repo", ".", cwd=src)
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(src, "p", "2"))
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["a.txt"]
    assert list_files(version_dir(src, "p", "2")) == [".p.wrapp", "a.txt"]


def test_create_over_leftover_of_interrupted_create(wrapp, tmp_path):
    # A version folder without .wrapp is an interrupted create, not a published version.
    repo = tmp_path / "repo"
    vdir = version_dir(repo, "p", "1")
    write_tree(vdir, {"a.txt": "partial", "old/junk.bin": "junk"})
    src = write_tree(tmp_path / "src", {"a.txt": "complete"})
    r = wrapp("create", "p", "1", src, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert read_tree(vdir) == {".p.wrapp": (vdir / ".p.wrapp").read_bytes(), "a.txt": b"complete"}
    assert list_dirs(vdir) == [], "leftover folders of the interrupted create remain in the version folder"
    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 0, str(r)


def test_create_from_stale_catalog_is_refused(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "aaaa", "b.txt": "b"})
    assert wrapp("catalog", src, tmp_path / "cat.json").returncode == 0
    (src / "a.txt").write_text("AAAA")  # same size, different content
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", tmp_path / "cat.json", "--catalog", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "a.txt" in r.stderr, str(r)
    assert not repo_wrapp(repo, "p", "1").exists()


# --------------------------------------------------------------------------------------------
# Next versions share unchanged files with the earlier one


def test_next_version_never_shares_inodes_with_the_previous_one(wrapp, tmp_path):
    # Unchanged files are cloned copy-on-write where the file system can (and
    # read back to verify), copied elsewhere: never hard-linked, so an edit of
    # one version's file can never reach another version.
    src = write_tree(tmp_path / "src", {"same.bin": os.urandom(300_000), "sub/same.txt": "s", "edit.txt": "v1"})
    repo = tmp_path / "repo"
    cache = tmp_path / "hashes.json"
    assert wrapp("create", "p", "1", src, "--repo", repo, "--hcf", cache).returncode == 0
    (src / "edit.txt").write_text("v2 edited")
    r = wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache, "--dry-run")
    assert r.returncode == 0, str(r)
    assert "reuse   same.bin" in r.stdout and "copy    edit.txt" in r.stdout, str(r)
    assert wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache).returncode == 0
    v1, v2 = version_dir(repo, "p", "1"), version_dir(repo, "p", "2")
    for path in ["same.bin", "sub/same.txt", "edit.txt"]:
        assert (v1 / path).stat().st_ino != (v2 / path).stat().st_ino, path
    assert (v2 / "same.bin").read_bytes() == (src / "same.bin").read_bytes()
    assert (v2 / "edit.txt").read_text() == "v2 edited"
    assert (v1 / "edit.txt").read_text() == "v1"
    assert wrapp("check", repo_wrapp(repo, "p", "2")).returncode == 0
    assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode == 0


def test_a_file_system_that_refuses_clones_is_told_once_and_every_file_still_copied(wrapp, tmp_path):
    import subprocess
    files = {f"d{i % 3}/f{i:02}.txt": f"file {i}" for i in range(30)}
    src = write_tree(tmp_path / "src", files)
    (tmp_path / "probe").write_text("x")
    clones = subprocess.run(["cp", "--reflink=always", tmp_path / "probe", tmp_path / "probe2"],
                            capture_output=True).returncode == 0
    repo, cache = tmp_path / "repo", tmp_path / "hashes.json"
    assert wrapp("create", "p", "1", src, "--repo", repo, "--hcf", cache).returncode == 0
    r = wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache, "-v")
    assert r.returncode == 0, str(r)
    # Without copy-on-write (ext4, tmpfs) the first refusal stands for all 30 files: one message.
    assert r.stderr.count("cannot clone files") == (0 if clones else 1), r.stderr
    for path, text in files.items():
        assert (version_dir(repo, "p", "2") / path).read_text() == text
    assert wrapp("check", repo_wrapp(repo, "p", "2")).returncode == 0


def test_a_damaged_earlier_version_is_not_cloned_into_the_next(wrapp, tmp_path):
    data = os.urandom(300_000)
    src = write_tree(tmp_path / "src", {"same.bin": data})
    repo = tmp_path / "repo"
    cache = tmp_path / "hashes.json"
    assert wrapp("create", "p", "1", src, "--repo", repo, "--hcf", cache).returncode == 0
    damaged = version_dir(repo, "p", "1") / "same.bin"
    damaged.chmod(0o644)
    with open(damaged, "r+b") as f:
        f.write(b"X" * 100)
    assert wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache).returncode == 0
    assert (version_dir(repo, "p", "2") / "same.bin").read_bytes() == data
    assert wrapp("check", repo_wrapp(repo, "p", "2")).returncode == 0


def test_without_known_hashes_the_next_version_copies(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    repo = tmp_path / "repo"
    assert wrapp("create", "p", "1", src, "--repo", repo).returncode == 0
    assert wrapp("create", "p", "2", src, "--repo", repo).returncode == 0
    assert (version_dir(repo, "p", "1") / "a.txt").stat().st_ino != (version_dir(repo, "p", "2") / "a.txt").stat().st_ino


def test_create_clears_leftovers_in_the_way_of_the_new_version(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a/b.txt": "b", "c.txt": "c"})
    repo = tmp_path / "repo"
    leftover = write_tree(version_dir(repo, "p", "1"), {"a": "a leftover file where a folder is needed",
                                                       "c.txt/old": "a leftover folder where a file is needed"})
    assert leftover.is_dir()
    r = wrapp("create", "p", "1", src, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (version_dir(repo, "p", "1") / "a" / "b.txt").read_text() == "b"
    assert (version_dir(repo, "p", "1") / "c.txt").read_text() == "c"
    assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode == 0


def test_catalog_with_bare_path_source_paths(wrapp, tmp_path):
    # A catalog written by hand: bare paths, and a file literally named with "%20".
    root = write_tree(tmp_path / "r", {"a%20b": "literal percent"})
    catalog = tmp_path / "c.json"
    catalog.write_text(json.dumps({"root": str(root), "items": [
        {"relative_path": "a b", "source_path": str(root / "a%20b"), "hash": None, "size": None}]}))
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", catalog, "--catalog", "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (version_dir(repo, "p", "1") / "a b").read_text() == "literal percent"


def test_hash_cache_with_a_folder_link_inside_the_tree(wrapp, tmp_path):
    # Reads follow links that stay in the tree, stat never does: caching the
    # hash of a file reached through such a link must not fail the create.
    src = write_tree(tmp_path / "src", {"real/f.txt": "x"})
    (src / "alias").symlink_to("real")
    repo, cache = tmp_path / "repo", tmp_path / "hashes.json"
    for version in ["1", "2"]:
        r = wrapp("create", "p", version, src, "--repo", repo, "--hcf", cache)
        assert r.returncode == 0, str(r)
        assert wrapp("check", repo_wrapp(repo, "p", version)).returncode == 0
    assert (version_dir(repo, "p", "2") / "alias" / "f.txt").read_text() == "x"


def test_without_repo_the_nearest_folder_holding_packages_is_the_repository(wrapp, tmp_path):
    """docs/design.md, decision 1: as git finds its repository, never the file system's root."""
    server = tmp_path / "server"
    src = write_tree(server / "Projects" / "asset", {"a.txt": "a"})
    r = wrapp("create", "asset", "1", src)
    assert r.returncode == 1, str(r)
    assert "no folder at or above" in r.stderr and "pass --repo" in r.stderr, str(r)
    assert not list(tmp_path.rglob(".packages"))

    (server / ".packages").mkdir()
    r = wrapp("create", "asset", "1", src)
    assert r.returncode == 0, str(r)
    assert read_json(repo_wrapp(server, "asset", "1"))["repository"] == url(server)

    # install finds it above its destination, and records it.
    work = server / "work" / "asset"
    r = wrapp("install", "asset", "1", work)
    assert r.returncode == 0, str(r)
    assert read_json(work / ".asset.wrapp")["repository"] == url(server)
    # A nearer repository wins; a .packages that is a link is not one.
    (server / "Projects" / ".packages").symlink_to(server / ".packages")
    r = wrapp("create", "asset", "2", src)
    assert r.returncode == 0, str(r)
    assert (server / ".packages" / "asset" / "2").is_dir()
