"""Hostile input: every reader of the command line, fed damaged, malicious or absurd files.

The corpus is tests/hostile/ (small files, see its README.md) plus big files generated here
(100000-level nesting, a 100 KB package name, a 1 MB path...). Whatever the file, a reader must
end cleanly: exit code 1 with an error naming the file, or 0 where the input is legitimately
acceptable to that reader (each such case says why), never a signal, and a bounded stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from hash_cache_table import read_table
from helpers import (
    REPO_ROOT, fail_on_sanitizer_report, hash_bytes, mentions, stderr_error_lines, wrapp_bin, write_tree,
)

HOSTILE = REPO_ROOT / "tests" / "hostile"
MAX_STDERR = 70 * 1024
GOOD_HASH = "sha-256-flat;1048576;" + "ab" * 32


def _doc(**fields) -> dict:
    """A well-formed .wrapp document with one item, with `fields` replacing its own."""
    doc = {"wrapp_format_version": 1, "name": "p", "version": "1", "source": None, "repository": None,
           "dependencies": [], "catalog": {"root": "file:///src", "items": [
               {"relative_path": "a.txt", "source_path": "file:///src/a.txt", "hash": GOOD_HASH, "size": 3}]}}
    doc.update(fields)
    return doc


def _with_item_path(path: str) -> bytes:
    return json.dumps(_doc(catalog={"root": "file:///src", "items": [{"relative_path": path}]})).encode()


def _deep(levels: int, objects: bool) -> str:
    return ('{"k":' if objects else "[") * levels + "1" + ("}" if objects else "]") * levels


def _in_unknown_key(deep: str) -> bytes:
    return (json.dumps(_doc())[:-1] + ', "future": ' + deep + "}").encode()


def _in_catalog_item(deep: str) -> bytes:
    return json.dumps(_doc()).replace('"size": 3}', '"size": 3, "tags": ' + deep + "}").encode()


# Hostile files too big to commit, by name: made when a test needs one.
GENERATED = {
    "deep_100000_arrays_top_level.json": lambda: _deep(100000, False).encode(),
    "deep_100000_objects_top_level.json": lambda: _deep(100000, True).encode(),
    "deep_100000_arrays_in_unknown_key.wrapp": lambda: _in_unknown_key(_deep(100000, False)),
    "deep_100000_objects_in_unknown_key.wrapp": lambda: _in_unknown_key(_deep(100000, True)),
    "deep_100000_arrays_in_catalog_item.wrapp": lambda: _in_catalog_item(_deep(100000, False)),
    "deep_100000_objects_in_catalog_item.wrapp": lambda: _in_catalog_item(_deep(100000, True)),
    "name_100kb.wrapp": lambda: json.dumps(_doc(name="n" * 100_000)).encode(),
    "version_100kb.wrapp": lambda: json.dumps(_doc(version="v" * 100_000)).encode(),
    "item_path_1mb.wrapp": lambda: _with_item_path("p" * (1 << 20)),
    "item_path_5000_segments.wrapp": lambda: _with_item_path("/".join(["s"] * 2500)),
    "item_segment_100kb.wrapp": lambda: _with_item_path("dir/" + "s" * 100_000),
    "hash_1mb.wrapp": lambda: json.dumps(_doc(catalog={"root": "file:///src", "items": [
        {"relative_path": "a", "hash": GOOD_HASH + "f" * (1 << 20)}]})).encode(),
    "version_100k_digits.wrapp": lambda: json.dumps(_doc()).replace(
        '"wrapp_format_version": 1', '"wrapp_format_version": ' + "9" * 100_000).encode(),
    "string_10mb_unterminated.json": lambda: b'{"name": "' + b"x" * (10 << 20),
    "items_1m_nulls.wrapp": lambda: json.dumps(_doc()).replace(
        '"items": [', '"items": [' + "null," * 1_000_000).encode(),
}


def _corpus(folder: str) -> list:
    return sorted(p.name for p in (HOSTILE / folder).iterdir())


def _content(case: str) -> bytes:
    folder, name = case.split("/", 1)
    return GENERATED[name]() if folder == "generated" else (HOSTILE / case).read_bytes()


# .wrapp documents whose damage lies outside the catalog. A catalog reader (diff, count,
# create --catalog) takes a .wrapp file for its catalog alone and checks only its version keys
# (docs/formats.md, "Catalog files"): name, version and dependencies are not its business, so to
# it these files are legitimately acceptable (exit 0). Every package reader refuses them.
CATALOG_ACCEPTS = {
    "wrapp/dependencies_not_list.wrapp", "wrapp/dependency_bad_name.wrapp", "wrapp/dependency_escape.wrapp",
    "wrapp/dependency_not_object.wrapp", "wrapp/name_256_bytes.wrapp", "wrapp/name_missing.wrapp",
    "wrapp/name_wrong_type.wrapp", "wrapp/version_null.wrapp", "generated/name_100kb.wrapp",
    "generated/version_100kb.wrapp",
}

DOCUMENT_CASES = (
    [f"json/{n}" for n in _corpus("json")]
    + [f"wrapp/{n}" for n in _corpus("wrapp") if n != "duplicate_keys.wrapp"]  # valid: see its own test
    + [f"catalog/{n}" for n in _corpus("catalog")]
    + [f"generated/{n}" for n in sorted(GENERATED)]
)


def _check_outcome(r, expected: int, names: Path, what: str) -> list:
    """Problems with one run (empty when it ended as it should)."""
    problems = []
    if r.returncode < 0 or r.returncode in (134, 139):
        problems.append(f"{what}: killed by a signal ({r.returncode})")
    elif r.returncode != expected:
        problems.append(f"{what}: exit {r.returncode}, expected {expected}: {r.stderr[:500]!r}")
    size = len(r.stderr.encode())
    if size >= MAX_STDERR:
        problems.append(f"{what}: {size} bytes of stderr")
    if expected == 1 and r.returncode == 1:
        errors = stderr_error_lines(r.stderr)
        if not errors:
            problems.append(f"{what}: no error line: {r.stderr[:500]!r}")
        elif not mentions(errors[0], names):
            problems.append(f"{what}: the error does not name {names}: {errors[0][:500]!r}")
    return problems


@pytest.mark.parametrize("case", DOCUMENT_CASES)
def test_document_readers_refuse_hostile_files(wrapp, tmp_path, case):
    data = _content(case)
    # Where each reader finds the file: an install location's marker, a repository version's
    # package file, a catalog file.
    marker = tmp_path / "installed" / ".p.wrapp"
    repo = tmp_path / "repo"
    repo_file = repo / ".packages" / "p" / "1" / ".p.wrapp"
    as_catalog = tmp_path / "hostile.json"
    for p in (marker, repo_file, as_catalog):
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    catalog_expected = 0 if case in CATALOG_ACCEPTS else 1
    runs = [
        ("status", ["status", marker], 1, marker),
        ("check", ["check", repo_file], 1, repo_file),
        ("install", ["install", "p", "1", tmp_path / "dest", "--repo", repo], 1, repo_file),
        # The same file twice: identical catalogs (exit 0) once it is read at all.
        ("diff", ["diff", as_catalog, as_catalog], catalog_expected, as_catalog),
        ("count", ["count", as_catalog], catalog_expected, as_catalog),
        # Three times the same catalog: an empty patch once it is read at all.
        ("create-patch", ["create-patch", as_catalog, as_catalog, as_catalog, tmp_path / "p.json"], catalog_expected,
         as_catalog),
        # No catalog or package file is a patch file.
        ("apply-patch", ["apply-patch", as_catalog], 1, as_catalog),
    ]
    if catalog_expected == 1:
        # (An accepted catalog would go on to copy its items from file:///src: not this test's subject.)
        runs.append(("create --catalog", ["create", "q", "1", as_catalog, "--catalog", "--repo", tmp_path / "r2"],
                     1, as_catalog))
    problems = []
    for what, args, expected, names in runs:
        problems += _check_outcome(wrapp(*args), expected, names, what)
    assert not problems, "\n".join(problems)
    # Nothing was installed or created from it.
    assert not (tmp_path / "dest").exists() or not any((tmp_path / "dest").iterdir())
    assert not (tmp_path / "r2" / ".packages" / "q" / "1" / ".q.wrapp").exists()


def _patch(*operations) -> bytes:
    keep = {"operation_type": "delete", "url": "@TARGET@/keep.txt"}
    return json.dumps({"wrapp_patch_version": 1, "target": "@TARGET@", "operations": [keep, *operations]}).encode()


# Hostile patch files too big to commit.
PATCH_GENERATED = {
    "url_1mb.json": lambda: _patch({"operation_type": "delete", "url": "@TARGET@/" + "x" * (1 << 20)}),
    "tag_1mb.json": lambda: _patch({"operation_type": "add_tag", "url": "@TARGET@/a.txt", "tag": "t" * (1 << 20)}),
    "tag_deep_100000.json": lambda: _patch({"operation_type": "add_tag", "url": "@TARGET@/a.txt"}).replace(
        b'"add_tag", ', b'"add_tag", "tag": ' + _deep(100000, False).encode() + b", "),
    "ops_1m_nulls.json": lambda: _patch().replace(b'"operations": [', b'"operations": [' + b"null," * 1_000_000),
    "ops_100k_outside.json": lambda: _patch(*[{"operation_type": "delete", "url": f"/etc/x{i}"} for i in range(100_000)]),
}


@pytest.mark.parametrize("case", [f"patch/{n}" for n in _corpus("patch")] + sorted(PATCH_GENERATED))
def test_apply_patch_refuses_hostile_patch_files(wrapp, tmp_path, case):
    # Each file starts with a harmless delete inside the target: nothing may run before the whole
    # patch is checked. @TARGET@ and @OUTSIDE@ stand for the test's folders.
    target = write_tree(tmp_path / "target", {"a.txt": "a\n", "keep.txt": "keep\n"})
    outside = write_tree(tmp_path / "outside", {"src.txt": "src\n", "victim.txt": "victim\n"})
    data = PATCH_GENERATED[case]() if case in PATCH_GENERATED else (HOSTILE / case).read_bytes()
    patch = tmp_path / "hostile.json"
    patch.write_bytes(data.replace(b"@TARGET@", target.as_uri().encode()).replace(b"@OUTSIDE@",
                                                                                   outside.as_uri().encode()))
    before = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    problems = _check_outcome(wrapp("apply-patch", patch), 1, patch, "apply-patch")
    assert not problems, "\n".join(problems)
    after = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before, "a hostile patch changed files"
    assert not (tmp_path / "target" / ".wrapp-install.lock").exists()


def test_duplicate_keys_are_valid_json_and_the_last_one_wins(wrapp, publish, tmp_path):
    # RFC 8259 only says names SHOULD be unique; like most readers, wrapp takes the last value.
    repo, _ = publish("p", "1", {"a.txt": "abc"})
    repo_file = repo / ".packages" / "p" / "1" / ".p.wrapp"
    text = repo_file.read_text()
    repo_file.chmod(0o644)
    repo_file.write_text(text.replace('"name": "p"', '"name": "other", "name": "p"', 1))
    r = wrapp("install", "p", "1", tmp_path / "dest", "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (tmp_path / "dest" / "a.txt").read_text() == "abc"
    hostile = (HOSTILE / "wrapp" / "duplicate_keys.wrapp")
    r = wrapp("count", hostile, "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout)["files"] == 1


HASH_CACHE_CASES = (
    [f"hashcache/{n}" for n in _corpus("hashcache")] + [f"json/{n}" for n in _corpus("json")]
    + [f"generated/{n}" for n in ("deep_100000_arrays_top_level.json", "deep_100000_objects_top_level.json",
                                  "string_10mb_unterminated.json")]
)
# Entries that are malformed are dropped one by one, without a warning (docs/formats.md). So are the
# records of a version 2 table whose name lies outside the pool (they match no key), and records out of
# order only make lookups miss: the header is sound, and the next save writes a clean table.
HASH_CACHE_SILENT = {"hashcache/entries_wrong_types.json", "hashcache/entry_bad_hash.json",
                     "hashcache/table_name_past_pool.bin", "hashcache/table_unsorted.bin"}


def _hash_cache_text_deep_in_entries() -> bytes:
    return ('{"format": "wrapp-hash-cache", "version": 1, "entries": {"/x": ' + _deep(100000, False) +
            "}}").encode()


@pytest.mark.parametrize("case", HASH_CACHE_CASES + ["generated/deep_in_entries"])
def test_hash_cache_loader_survives_hostile_files(wrapp, make_tree, tmp_path, case):
    # The hash cache is disposable: an unusable one is legitimately ignored with a warning naming
    # it, and the command succeeds (exit 0) hashing from scratch (docs/formats.md, "Hash cache").
    data = _hash_cache_text_deep_in_entries() if case == "generated/deep_in_entries" else _content(case)
    cache = tmp_path / "cache.json"
    cache.write_bytes(data)
    src = make_tree(tmp_path / "src", {"a.txt": "abc"})
    r = wrapp("catalog", src, tmp_path / "out.json", "--hash-cache-file", cache)
    problems = _check_outcome(r, 0, cache, "catalog --hash-cache-file")
    if case not in HASH_CACHE_SILENT:
        warnings = [l for l in r.stderr.splitlines() if l.startswith("warning: ignoring hash cache")]
        if not warnings or not mentions(warnings[0], cache):
            problems.append(f"no warning naming {cache}: {r.stderr[:500]!r}")
    assert not problems, "\n".join(problems)
    items = json.loads((tmp_path / "out.json").read_text())["items"]
    assert [(i["relative_path"], i["hash"]) for i in items] == [("a.txt", hash_bytes(b"abc"))]
    if case == "hashcache/table_newer_version.bin":
        assert cache.read_bytes() == data, "a table of a newer version was not left untouched"
    elif case.startswith("hashcache/table_"):
        # A damaged table of this version is replaced, a damaged record dropped: the save is a clean table.
        assert read_table(cache)[str(src / "a.txt")]["hash"] == hash_bytes(b"abc")


def _deep_tree(root: Path) -> Path:
    """Names that give a matcher work: a 61-level chain of folders "a", a 255-byte name."""
    files = {"a" * 255: "long", "x.tmp": "t", "keep.tmp": "k"}
    chain = "/".join(["a"] * 60)
    files[f"{chain}/b"] = "b"
    files[f"{chain}/c"] = "c"
    return write_tree(root, files)


IGNORE_GENERATED = {
    # One line of a megabyte: longer than any path, so it never matches (docs/formats.md).
    "line_1mb.txt": b"*" * (1 << 20) + b"\n",
    "stars_1mb.txt": b"a*" * (1 << 19) + b"b\n",
    # 20000 rules that could end in any byte, each tried on every component: matching costs
    # rules x depth^2 here, as every folder's parents are checked again (0.7 s; ASan: 3 s).
    "rules_20k.txt": b"".join(b"*[!x]%d*\n" % (i % 10) for i in range(20_000)),
}


@pytest.mark.parametrize("case", [f"ignore/{n}" for n in _corpus("ignore")] + sorted(IGNORE_GENERATED))
def test_ignore_files_with_pathological_patterns_finish_quickly(wrapp, tmp_path, case):
    # An ignore file is never refused: like git, wrapp lets a malformed pattern match nothing
    # (docs/formats.md, "Ignore rules"), so every one of these is legitimately acceptable (exit 0).
    # What must hold is that matching ends: a backtracking matcher needs ~C(61, 30) steps for
    # many_double_stars.txt against the 61-level chain.
    rules = tmp_path / "rules"
    rules.write_bytes(IGNORE_GENERATED[case] if case in IGNORE_GENERATED else _content(case))
    src = _deep_tree(tmp_path / "src")
    for args in (["create", "p", "1", src, "--repo", tmp_path / "repo", "--ignore-file", rules],
                 ["catalog", src, tmp_path / "out.json", "--ignore-file", rules]):
        started = time.monotonic()
        r = wrapp(*args, timeout=60)
        elapsed = time.monotonic() - started
        problems = _check_outcome(r, 0, rules, args[0])
        assert not problems, "\n".join(problems)
        assert elapsed < 30, f"{args[0]} took {elapsed:.1f} s"
    items = {i["relative_path"] for i in json.loads((tmp_path / "out.json").read_text())["items"]}
    chain = "/".join(["a"] * 60)
    if case == "ignore/many_double_stars.txt":
        # "**/a/" x30 + "**/b": the deep b is ignored, its sibling c is not.
        assert f"{chain}/b" not in items and f"{chain}/c" in items, sorted(items)
    if case == "ignore/crlf_bom.txt":
        assert "x.tmp" not in items and "keep.tmp" in items, sorted(items)
    if case in ("line_1mb.txt", "stars_1mb.txt"):
        assert len(items) == 5, sorted(items)


def test_huge_arguments_are_not_echoed_whole(wrapp, tmp_path):
    # One argument may be up to 128 KiB: the error quoting it stays short.
    long_path = tmp_path / ("x" * 130_000)
    cases = [
        (["count", long_path], {1}),  # a name no file can have: bad input
        # The storage layer reports ENAMETOOLONG from stat as an I/O failure (exit 2).
        (["status", long_path], {1, 2}),
        (["create", "n" * 130_000, "1", tmp_path, "--repo", tmp_path / "r"], {1}),
        (["count", "--" + "o" * 130_000, "f"], {1}),  # a command line error
    ]
    for args, codes in cases:
        r = wrapp(*args)
        assert r.returncode in codes, str(r)[:2000]
        assert 0 < len(r.stderr.encode()) < 4096, r.stderr[:2000]


def _run_to(stdout, *args):
    cmd = [wrapp_bin(), *map(str, args)]
    p = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, timeout=120)
    fail_on_sanitizer_report(cmd, p.stderr.decode("utf-8", errors="replace"))
    return p


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("size", [6, 3 * (1 << 20) + 5])
def test_cat_to_a_full_device_fails_with_exit_2(tmp_path, size):
    f = tmp_path / "f.bin"
    f.write_bytes(b"x" * size)
    with open(tmp_path / "out", "wb") as out:  # the control: a writable stdout
        ok = _run_to(out, "cat", f)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out").read_bytes() == f.read_bytes()
    with open("/dev/full", "wb") as full:
        r = _run_to(full, "cat", f)
    assert r.returncode == 2, r.stderr
    assert b"cannot write to standard output: No space left on device" in r.stderr, r.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["version"], ["--help"], ["count", "--help"], ["list-repo", "{repo}"],
                                  ["list-repo", "{repo}", "--json"], ["count", "{catalog}"],
                                  ["diff", "{catalog}", "{catalog}", "--json"], ["ls", "-r", "{repo}"]])
def test_any_output_to_a_full_device_fails_with_exit_2(wrapp, publish, tmp_path, args):
    repo, src = publish("p", "1", {"a.txt": "abc", "b/c.txt": "def"})
    catalog = tmp_path / "cat.json"
    assert wrapp("catalog", src, catalog).returncode == 0
    args = [a.format(repo=repo, catalog=catalog) for a in args]
    with open(tmp_path / "out", "wb") as out:  # the control: the command itself succeeds
        ok = _run_to(out, *args)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "out").stat().st_size > 0
    with open("/dev/full", "wb") as full:
        r = _run_to(full, *args)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count(b"cannot write to standard output: No space left on device") == 1, r.stderr
