"""Ignore rules: .wrappignore at the source root (gitignore syntax), --ignore-file, *.auto.png."""

from __future__ import annotations

from helpers import list_files, read_json, repo_wrapp, version_dir, write_tree


def _catalog_paths(wrapp, root, tmp_path, *extra, cwd=None):
    out = tmp_path / "catalog-out.json"
    r = wrapp("catalog", root, out, *extra, cwd=cwd)
    assert r.returncode == 0, str(r)
    return [i["relative_path"] for i in read_json(out)["items"]]


def _created_paths(wrapp, root, tmp_path, name="p", *extra, cwd=None):
    repo = tmp_path / "repo"
    r = wrapp("create", name, "1", root, "--repo", repo, *extra, cwd=cwd)
    assert r.returncode == 0, str(r)
    paths = [i["relative_path"] for i in read_json(repo_wrapp(repo, name, "1"))["catalog"]["items"]]
    # What the catalog lists is exactly what was copied.
    assert list_files(version_dir(repo, name, "1")) == sorted(paths + [f".{name}.wrapp"])
    return paths


TREE = {
    "a.log": "x", "keep.log": "x", "logs/deep/z.log": "x",
    "top.tmp": "x", "a/top.tmp": "x",
    "build/o.bin": "x", "a/build/o.bin": "x", "build_file/x": "x", "c/build": "a file named build",
    "docs/r.md": "x", "docs/x/y.md": "x", "docs/x/y.txt": "x", "other/r.md": "x",
    "notes.txt": "x", "sub/z.txt": "x", "sub/q.md": "x",
    "img.auto.png": "x", "sub/img.auto.png": "x", "img.png": "x",
    "cache/tmp/a": "x", "cache/keep/b": "x",
}

RULES = """\
# comment line, then a blank line

*.log
!keep.log
/top.tmp
docs/**/*.md
build/
**/tmp/
"""

EXPECTED = sorted([
    ".wrappignore",
    "a/top.tmp",            # /top.tmp is anchored to the root
    "c/build",              # build/ only matches folders
    "build_file/x",
    "docs/x/y.txt",
    "other/r.md",
    "notes.txt",
    "keep.log",             # negation re-includes it
    "sub/.wrappignore",     # a nested .wrappignore is an ordinary file ...
    "sub/z.txt",            # ... and has no effect
    "sub/q.md",
    "img.png",
    "cache/keep/b",
])


def _tree(tmp_path):
    root = write_tree(tmp_path / "src", TREE)
    (root / ".wrappignore").write_text(RULES)
    (root / "sub" / ".wrappignore").write_text("*.txt\n*.md\n")
    return root


def test_wrappignore_gitignore_semantics_catalog(wrapp, tmp_path):
    assert _catalog_paths(wrapp, _tree(tmp_path), tmp_path) == EXPECTED


def test_wrappignore_gitignore_semantics_create(wrapp, tmp_path):
    assert _created_paths(wrapp, _tree(tmp_path), tmp_path) == EXPECTED


def test_last_match_wins(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"a.txt": "a", "b.txt": "b", "c.txt": "c", "d.dat": "d"})
    (root / ".wrappignore").write_text("*.txt\n!a.txt\n!b.txt\nb.txt\n")
    assert _catalog_paths(wrapp, root, tmp_path) == [".wrappignore", "a.txt", "d.dat"]


def test_negation_cannot_reinclude_file_in_ignored_folder(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"out/keep.txt": "k", "out/drop.txt": "d", "x": "x"})
    (root / ".wrappignore").write_text("out/\n!out/keep.txt\n")
    assert _catalog_paths(wrapp, root, tmp_path) == [".wrappignore", "x"]


def test_negation_with_contents_pattern(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"out/keep.txt": "k", "out/drop.txt": "d", "x": "x"})
    (root / ".wrappignore").write_text("out/*\n!out/keep.txt\n")
    assert _catalog_paths(wrapp, root, tmp_path) == [".wrappignore", "out/keep.txt", "x"]


def test_double_star_forms(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {
        "foo": "x", "a/foo": "x", "a/b/foo": "x",            # **/foo
        "abc/x/y/z.c": "x", "abc/z.c": "x", "abc/z.h": "x",  # abc/**/*.c  (zero or more folders)
        "gen/a/b": "x", "gen/c": "x",                        # gen/**
        "keep/me": "x",
    })
    (root / ".wrappignore").write_text("**/foo\nabc/**/*.c\ngen/**\n")
    assert _catalog_paths(wrapp, root, tmp_path) == [".wrappignore", "abc/z.h", "keep/me"]


def test_pattern_with_slash_is_anchored(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"a/b.txt": "x", "z/a/b.txt": "x", "b.txt": "x"})
    (root / ".wrappignore").write_text("a/b.txt\n")
    assert _catalog_paths(wrapp, root, tmp_path) == [".wrappignore", "b.txt", "z/a/b.txt"]


def test_pattern_without_slash_matches_at_any_depth(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"x.bak": "x", "d/x.bak": "x", "d/e/x.bak": "x", "ok": "x"})
    (root / ".wrappignore").write_text("*.bak\n")
    assert _catalog_paths(wrapp, root, tmp_path) == [".wrappignore", "ok"]


def test_ignore_file_relative_to_working_directory(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"a.aaa": "a", "b.bbb": "b", "c.ccc": "c"})
    # Same relative name inside the source with different rules: must NOT be used.
    (root / "rules.txt").write_text("*.bbb\n")
    (root / ".wrappignore").write_text("*.ccc\n")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "rules.txt").write_text("*.aaa\n")

    paths = _catalog_paths(wrapp, root, tmp_path, "--ignore-file", "rules.txt", cwd=cwd)
    # --ignore-file replaces SOURCE/.wrappignore, so *.ccc is kept.
    assert paths == [".wrappignore", "b.bbb", "c.ccc", "rules.txt"]

    paths = _created_paths(wrapp, root, tmp_path, "p", "--ignore-file", "rules.txt", cwd=cwd)
    assert paths == [".wrappignore", "b.bbb", "c.ccc", "rules.txt"]


def test_ignore_file_missing(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"a": "a"})
    r = wrapp("catalog", root, tmp_path / "c.json", "--ignore-file", "no-such-rules")
    assert r.returncode == 1, str(r)
    assert "no-such-rules" in r.stderr, str(r)
    r = wrapp("create", "p", "1", root, "--repo", tmp_path / "repo", "--ignore-file", "no-such-rules")
    assert r.returncode == 1, str(r)
    assert not (tmp_path / "repo" / ".packages" / "p" / "1").exists()


def test_auto_png_always_ignored(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"thumb.auto.png": "x", "d/e/f.auto.png": "x", "real.png": "x",
                                         "auto.png": "x", "x.auto.png.bak": "x"})
    expected = ["auto.png", "real.png", "x.auto.png.bak"]
    assert _catalog_paths(wrapp, root, tmp_path) == expected
    assert _created_paths(wrapp, root, tmp_path) == expected
    (tmp_path / "rules").write_text("*.bak\n")
    assert _catalog_paths(wrapp, root, tmp_path, "--ignore-file", "rules") == ["auto.png", "real.png"]


def test_ignore_in_new_catalog(wrapp, tmp_path):
    root = write_tree(tmp_path / "f", {"a.txt": "a", "b.tmp": "b", "c.auto.png": "c"})
    (root / ".wrappignore").write_text("*.tmp\n")
    r = wrapp("new", "n", "1", root, "--catalog")
    assert r.returncode == 0, str(r)
    items = read_json(root / ".n.wrapp")["catalog"]["items"]
    assert [i["relative_path"] for i in items] == [".wrappignore", "a.txt"]
