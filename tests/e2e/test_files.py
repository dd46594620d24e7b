"""wrapp ls / cat / get."""

from __future__ import annotations

import json

import pytest

from helpers import hash_bytes, list_files, random_bytes, read_tree, snapshot, url, write_tree

BIN = random_bytes(3 * (1 << 20) + 77, seed=51)
FILES = {
    "a.txt": "alpha\n",
    "b.md": "# bravo\n",
    "sub/c.txt": "charlie\n",
    "sub/deep/d.bin": BIN,
    "Upper.TXT": "upper\n",
}


@pytest.fixture
def tree(tmp_path):
    root = write_tree(tmp_path / "tree", FILES)
    (root / "emptydir").mkdir()
    return root


# -------------------------------------------------------------------------------------------- ls


def test_ls_non_recursive(wrapp, tree):
    r = wrapp("ls", tree)
    assert r.returncode == 0, str(r)
    assert sorted(r.stdout.splitlines()) == sorted(["a.txt", "b.md", "Upper.TXT", "emptydir/", "sub/"])


def test_ls_recursive(wrapp, tree):
    for flag in ("-r", "--recursive"):
        r = wrapp("ls", tree, flag)
        assert r.returncode == 0, str(r)
        assert sorted(r.stdout.splitlines()) == sorted([
            "a.txt", "b.md", "Upper.TXT", "emptydir/", "sub/", "sub/c.txt", "sub/deep/", "sub/deep/d.bin",
        ])


def test_ls_file_url(wrapp, tree):
    r = wrapp("ls", url(tree))
    assert r.returncode == 0, str(r)
    assert sorted(r.stdout.splitlines()) == sorted(["a.txt", "b.md", "Upper.TXT", "emptydir/", "sub/"])


def test_ls_subfolder_paths_are_relative_to_it(wrapp, tree):
    r = wrapp("ls", tree / "sub", "-r")
    assert r.returncode == 0, str(r)
    assert sorted(r.stdout.splitlines()) == ["c.txt", "deep/", "deep/d.bin"]


def test_ls_pattern(wrapp, tree):
    r = wrapp("ls", tree, "-r", "--pattern", "sub/*.txt")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["sub/c.txt"]


def test_ls_pattern_repeatable_any_may_match(wrapp, tree):
    r = wrapp("ls", tree, "--pattern", "a.*", "--pattern", "b.*")
    assert r.returncode == 0, str(r)
    assert sorted(r.stdout.splitlines()) == ["a.txt", "b.md"]


def test_ls_pattern_is_case_sensitive(wrapp, tree):
    r = wrapp("ls", tree, "--pattern", "*.TXT")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines() == ["Upper.TXT"]


def test_ls_json_with_hash(wrapp, tree):
    r = wrapp("ls", tree, "-r", "--output-format", "json", "--with-hash")
    assert r.returncode == 0, str(r)
    entries = {e["relative_path"]: e for e in json.loads(r.stdout)}
    assert set(entries) == {"a.txt", "b.md", "Upper.TXT", "emptydir", "sub", "sub/c.txt", "sub/deep",
                            "sub/deep/d.bin"}
    for rel, content in FILES.items():
        data = content.encode() if isinstance(content, str) else content
        assert entries[rel]["size"] == len(data), rel
        assert entries[rel]["hash"] == hash_bytes(data), rel
        assert entries[rel]["item_type"] == "file", rel
    assert entries["sub"]["item_type"] == "folder"


def test_ls_tsv(wrapp, tree):
    r = wrapp("ls", tree, "-r", "--output-format", "tsv", "--with-hash")
    assert r.returncode == 0, str(r)
    rows = {}
    for line in r.stdout.splitlines():
        cols = line.split("\t")
        assert len(cols) == 4, repr(line)
        rows[cols[1]] = cols
    f = rows[url(tree / "sub" / "deep" / "d.bin")]
    assert f == [url(tree), url(tree / "sub" / "deep" / "d.bin"), str(len(BIN)), hash_bytes(BIN)]
    a = rows[url(tree / "a.txt")]
    assert a == [url(tree), url(tree / "a.txt"), "6", hash_bytes(b"alpha\n")]


def test_ls_missing(wrapp, tmp_path):
    r = wrapp("ls", tmp_path / "nothing-here")
    assert r.returncode == 1, str(r)
    assert "nothing-here" in r.stderr and r.stderr.startswith("error:"), str(r)


def test_ls_bad_output_format(wrapp, tree):
    r = wrapp("ls", tree, "--output-format", "xml")
    assert r.returncode == 1, str(r)


# ------------------------------------------------------------------------------------------- cat


def test_cat_text(wrapp, tree):
    r = wrapp("cat", tree / "sub" / "c.txt")
    assert r.returncode == 0, str(r)
    assert r.stdout == "charlie\n"


def test_cat_binary_exact_bytes(wrapp, tree):
    r = wrapp("cat", url(tree / "sub" / "deep" / "d.bin"), binary=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == BIN


def test_cat_empty_file(wrapp, tmp_path):
    (tmp_path / "e").write_bytes(b"")
    r = wrapp("cat", tmp_path / "e", binary=True)
    assert r.returncode == 0 and r.stdout == b"", r.stderr


def test_cat_missing(wrapp, tree):
    r = wrapp("cat", tree / "nope.txt")
    assert r.returncode == 1, str(r)
    assert "nope.txt" in r.stderr and r.stderr.startswith("error:"), str(r)
    assert r.stdout == ""


def test_cat_folder(wrapp, tree):
    r = wrapp("cat", tree / "sub")
    assert r.returncode == 1, str(r)
    assert "sub" in r.stderr, str(r)


# ------------------------------------------------------------------------------------------- get


def test_get_file_default_destination(wrapp, tree, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    r = wrapp("get", tree / "sub" / "c.txt", cwd=work)
    assert r.returncode == 0, str(r)
    assert read_tree(work) == {"c.txt": b"charlie\n"}


def test_get_file_explicit_path_creates_parents(wrapp, tree, tmp_path):
    out = tmp_path / "out" / "x" / "renamed.bin"
    r = wrapp("get", url(tree / "sub" / "deep" / "d.bin"), out)
    assert r.returncode == 0, str(r)
    assert out.read_bytes() == BIN


def test_get_big_file(wrapp, tmp_path, big_data):
    write_tree(tmp_path / "t", {"huge.bin": big_data})
    r = wrapp("get", tmp_path / "t" / "huge.bin", tmp_path / "copy.bin")
    assert r.returncode == 0, str(r)
    assert (tmp_path / "copy.bin").read_bytes() == big_data


def test_get_refuses_overwrite(wrapp, tree, tmp_path):
    out = tmp_path / "existing.txt"
    out.write_text("precious")
    before = snapshot(tmp_path / "tree")
    r = wrapp("get", tree / "a.txt", out)
    assert r.returncode == 1, str(r)
    assert "existing.txt" in r.stderr and "--overwrite" in r.stderr, str(r)
    assert out.read_text() == "precious"
    assert snapshot(tmp_path / "tree") == before

    r = wrapp("get", tree / "a.txt", out, "--overwrite")
    assert r.returncode == 0, str(r)
    assert out.read_text() == "alpha\n"


def test_get_folder_is_recursive(wrapp, tree, tmp_path):
    out = tmp_path / "copy"
    r = wrapp("get", tree, out)
    assert r.returncode == 0, str(r)
    got = read_tree(out)
    assert sorted(got) == sorted(FILES)
    for rel, content in FILES.items():
        assert got[rel] == (content.encode() if isinstance(content, str) else content), rel


def test_get_folder_default_destination(wrapp, tree, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    r = wrapp("get", url(tree / "sub"), cwd=work)
    assert r.returncode == 0, str(r)
    assert list_files(work) == ["sub/c.txt", "sub/deep/d.bin"]


def test_get_folder_refuses_overwrite_and_changes_nothing(wrapp, tree, tmp_path):
    out = write_tree(tmp_path / "copy", {"sub/c.txt": "mine"})
    before = snapshot(out)
    r = wrapp("get", tree, out)
    assert r.returncode == 1, str(r)
    assert "c.txt" in r.stderr, str(r)
    assert snapshot(out) == before

    r = wrapp("get", tree, out, "--overwrite")
    assert r.returncode == 0, str(r)
    assert read_tree(out)["sub/c.txt"] == b"charlie\n"
    assert sorted(read_tree(out)) == sorted(FILES)


def test_get_missing(wrapp, tmp_path):
    r = wrapp("get", tmp_path / "nope.txt", tmp_path / "out.txt")
    assert r.returncode == 1, str(r)
    assert "nope.txt" in r.stderr, str(r)
    assert not (tmp_path / "out.txt").exists()


def test_get_dry_run_writes_nothing(wrapp, tree, tmp_path):
    r = wrapp("get", tree, tmp_path / "copy", "--dry-run")
    assert r.returncode == 0, str(r)
    assert not (tmp_path / "copy").exists()
