"""wrapp freeze: a frozen copy of a folder, or of the files a catalog lists, into a plain folder."""

from __future__ import annotations

import json
import os

import pytest

from helpers import corrupt_same_size, list_files, random_bytes, read_tree, repo_wrapp, version_dir, write_tree

FILES = {
    "a.txt": "alpha\n",
    "sub/b.txt": "bravo\n",
    "sub/deep/c.bin": random_bytes(2 * (1 << 20) + 3, seed=51),
    "empty.txt": b"",
    "ünïcode/ß.txt": "unicode\n",
}


def as_bytes(content) -> bytes:
    return content.encode() if isinstance(content, str) else content


def expected(files) -> dict:
    return {rel: as_bytes(c) for rel, c in files.items()}


def test_freeze_copies_a_folder_with_its_package_files(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {**FILES, ".wrappignore": "*.tmp\n", "scratch.tmp": "ignored\n",
                                        "lib/.lib.wrapp": '{"name": "lib", "version": "1"}\n'})
    (src / ".wrapp-install.lock").write_text("not content")
    dst = tmp_path / "frozen"
    r = wrapp("freeze", src, dst)
    assert r.returncode == 0, str(r)
    assert "froze 7 files" in r.stdout, str(r)
    assert read_tree(dst) == {**expected(FILES), ".wrappignore": b"*.tmp\n",
                              "lib/.lib.wrapp": b'{"name": "lib", "version": "1"}\n'}
    # Modes follow the source: a frozen copy is not read-only unless its source was.
    assert os.stat(dst / "a.txt").st_mode & 0o777 == os.stat(src / "a.txt").st_mode & 0o777


def test_freeze_ignore_file_replaces_the_folders_rules(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {**FILES, "scratch.tmp": "x"})
    rules = tmp_path / "rules"
    rules.write_text("sub/\n")
    r = wrapp("freeze", src, tmp_path / "frozen", "--ignore-file", rules)
    assert r.returncode == 0, str(r)
    assert list_files(tmp_path / "frozen") == sorted(["a.txt", "empty.txt", "scratch.tmp", "ünïcode/ß.txt"])


def test_freeze_refuses_a_destination_that_is_not_empty(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    dst = write_tree(tmp_path / "frozen", {"a.txt": "mine\n", "keep.txt": "mine too\n"})
    r = wrapp("freeze", src, dst)
    assert r.returncode == 1 and "not empty" in r.stderr and "--overwrite" in r.stderr, str(r)
    assert read_tree(dst) == {"a.txt": b"mine\n", "keep.txt": b"mine too\n"}
    r = wrapp("freeze", src, dst, "--overwrite")
    assert r.returncode == 0, str(r)
    assert read_tree(dst) == {**expected(FILES), "keep.txt": b"mine too\n"}


def test_freeze_refuses_a_destination_inside_the_source_or_a_file(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    r = wrapp("freeze", src, src / "frozen")
    assert r.returncode == 1 and "inside the source" in r.stderr, str(r)
    assert not (src / "frozen").exists()
    (tmp_path / "file").write_text("x")
    r = wrapp("freeze", src, tmp_path / "file")
    assert r.returncode == 1 and "not a folder" in r.stderr, str(r)
    r = wrapp("freeze", tmp_path / "missing", tmp_path / "out")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)


def test_freeze_never_writes_through_a_link_in_the_destination(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    outside = tmp_path / "outside"
    outside.mkdir()
    dst = tmp_path / "frozen"
    dst.mkdir()
    (dst / "sub").symlink_to(outside)
    r = wrapp("freeze", src, dst, "--overwrite")
    assert r.returncode == 1 and "symbolic link" in r.stderr, str(r)
    assert list(outside.iterdir()) == []


def test_freeze_refuses_a_link_leading_out_of_the_source(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    (tmp_path / "secret.txt").write_text("secret")
    (src / "leak.txt").symlink_to(tmp_path / "secret.txt")
    r = wrapp("freeze", src, tmp_path / "frozen")
    assert r.returncode == 1 and "leak.txt" in r.stderr, str(r)
    assert not (tmp_path / "frozen").exists()


def test_freeze_catalog_copies_and_verifies_its_files(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    cat = tmp_path / "cat.json"
    assert wrapp("catalog", src, cat).returncode == 0
    r = wrapp("freeze", "--catalog", cat, tmp_path / "frozen")
    assert r.returncode == 0, str(r)
    assert read_tree(tmp_path / "frozen") == expected(FILES)

    # Same size, other bytes: the catalog's hash refuses it, and the destination is left as it was.
    corrupt_same_size(src / "sub" / "deep" / "c.bin", offset=5)
    r = wrapp("freeze", "--catalog", cat, tmp_path / "again")
    assert r.returncode == 1 and "c.bin" in r.stderr and "does not match" in r.stderr, str(r)
    assert not (tmp_path / "again").exists()


def test_freeze_catalog_of_a_repository_version(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", FILES)
    r = wrapp("freeze", "--catalog", repo_wrapp(repo, "p", "1"), tmp_path / "frozen")
    assert r.returncode == 0, str(r)
    assert read_tree(tmp_path / "frozen") == expected(FILES)


def test_freeze_catalog_honours_the_storage_map(wrapp, tmp_path):
    store = write_tree(tmp_path / "store", {"blob": "stored elsewhere\n"})
    from helpers import hash_bytes
    h = hash_bytes(b"stored elsewhere\n")
    cat = tmp_path / "cat.json"
    cat.write_text(json.dumps({
        "root": (tmp_path / "nowhere").as_uri(),
        "items": [{"relative_path": "x/file.txt", "hash": h, "size": 17}],
        "storage_map": {"storage_map": {h: str(store / "blob")}},
    }))
    r = wrapp("freeze", "--catalog", cat, tmp_path / "frozen")
    assert r.returncode == 0, str(r)
    assert read_tree(tmp_path / "frozen") == {"x/file.txt": b"stored elsewhere\n"}


def test_freeze_catalog_with_missing_files(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    cat = tmp_path / "cat.json"
    assert wrapp("catalog", src, cat).returncode == 0
    (src / "sub" / "b.txt").unlink()
    r = wrapp("freeze", "--catalog", cat, tmp_path / "frozen")
    assert r.returncode == 1 and "sub/b.txt" in r.stderr and "--skip-missing" in r.stderr, str(r)
    assert not (tmp_path / "frozen").exists()
    r = wrapp("freeze", "--catalog", cat, tmp_path / "frozen", "--skip-missing")
    assert r.returncode == 0, str(r)
    assert "1 missing file(s) left out" in r.stdout
    assert "sub/b.txt" in r.stderr  # the warning names it
    want = expected(FILES)
    del want["sub/b.txt"]
    assert read_tree(tmp_path / "frozen") == want


def test_freeze_options_that_do_not_fit(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    r = wrapp("freeze", src, tmp_path / "frozen", "--skip-missing")
    assert r.returncode == 1 and "--catalog" in r.stderr, str(r)
    r = wrapp("freeze", "--catalog", src / "a.txt", tmp_path / "frozen", "--ignore-file", src / "a.txt")
    assert r.returncode == 1 and "--ignore-file" in r.stderr, str(r)
    assert not (tmp_path / "frozen").exists()


def test_freeze_dry_run_writes_nothing(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    r = wrapp("freeze", src, tmp_path / "frozen", "--dry-run")
    assert r.returncode == 0, str(r)
    assert "copy    a.txt" in r.stdout and "5 to copy" in r.stdout
    assert not (tmp_path / "frozen").exists()


def test_freeze_json(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", FILES)
    r = wrapp("freeze", src, tmp_path / "frozen", "--json")
    assert r.returncode == 0, str(r)
    out = json.loads(r.stdout)
    assert out["files"] == len(FILES) and out["skipped"] == []
    assert out["bytes"] == sum(len(as_bytes(c)) for c in FILES.values())
