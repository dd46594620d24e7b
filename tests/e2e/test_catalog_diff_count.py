"""wrapp catalog / diff / count."""

from __future__ import annotations

import json

import pytest

from helpers import expected_items, hash_bytes, random_bytes, read_json, url, write_tree

FILES = {
    "a.txt": "alpha",
    "b.txt": "bravo",
    "sub/c.txt": "charlie",
    "sub/deep/d.bin": random_bytes(1 << 20, seed=31),
    "e.txt": "",
}


def test_catalog_format(wrapp, tmp_path, sample_files):
    root = write_tree(tmp_path / "root", sample_files)
    (root / "empty_dir").mkdir()
    out = tmp_path / "cat.json"
    r = wrapp("catalog", root, out)
    assert r.returncode == 0, str(r)
    j = read_json(out)
    assert j["wrapp_catalog_version"] == 1
    assert j["root"] == url(root)
    assert j["items"] == expected_items(sample_files, root)


def test_catalog_big_file_hash(wrapp, tmp_path, big_data):
    root = write_tree(tmp_path / "root", {"huge.bin": big_data})
    out = tmp_path / "cat.json"
    r = wrapp("catalog", root, out, "-j", "3")
    assert r.returncode == 0, str(r)
    assert read_json(out)["items"] == [{
        "relative_path": "huge.bin", "source_path": url(root / "huge.bin"),
        "hash": hash_bytes(big_data), "size": len(big_data),
    }]


def test_catalog_hashes_files_around_the_in_place_threshold(wrapp, tmp_path):
    # Ranges of 4 MiB and more are hashed from the file's mapped pages, smaller
    # ones from a buffer; a 37 MiB file has one segment of each kind.
    mib = 1 << 20
    files = {f"f{size}.bin": random_bytes(size, seed=size % 1000)
             for size in (4 * mib - 1, 4 * mib, 4 * mib + 1, 9 * mib + 3, 37 * mib + 5)}
    root = write_tree(tmp_path / "root", files)
    out = tmp_path / "cat.json"
    r = wrapp("catalog", root, out, "--no-hash-cache")
    assert r.returncode == 0, str(r)
    assert {i["relative_path"]: i["hash"] for i in read_json(out)["items"]} == {
        name: hash_bytes(data) for name, data in files.items()}


def test_catalog_replaces_existing_output(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", {"x": "x"})
    out = tmp_path / "cat.json"
    out.write_text("old content that is not a catalog")
    r = wrapp("catalog", root, out)
    assert r.returncode == 0, str(r)
    assert [i["relative_path"] for i in read_json(out)["items"]] == ["x"]


def test_catalog_accepts_file_urls(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", {"x": "x"})
    r = wrapp("catalog", url(root), url(tmp_path / "cat.json"))
    assert r.returncode == 0, str(r)
    assert read_json(tmp_path / "cat.json")["root"] == url(root)


def test_catalog_missing_root(wrapp, tmp_path):
    r = wrapp("catalog", tmp_path / "nope", tmp_path / "cat.json")
    assert r.returncode == 1, str(r)
    assert "nope" in r.stderr and r.stderr.startswith("error:"), str(r)
    assert not (tmp_path / "cat.json").exists()


def test_catalog_dry_run_writes_nothing(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", {"x": "x"})
    r = wrapp("catalog", root, tmp_path / "cat.json", "--dry-run")
    assert r.returncode == 0, str(r)
    assert not (tmp_path / "cat.json").exists()


# ------------------------------------------------------------------------------------------- diff


@pytest.fixture
def two_catalogs(wrapp, tmp_path):
    a = write_tree(tmp_path / "A", {"same.txt": "same", "changed.txt": "v1", "only_a.txt": "a",
                                     "d/same.bin": random_bytes(3000, seed=1)})
    b = write_tree(tmp_path / "B", {"same.txt": "same", "changed.txt": "v2!", "only_b.txt": "b",
                                     "d/same.bin": random_bytes(3000, seed=1), "d/only_b2.txt": "b2"})
    assert wrapp("catalog", a, tmp_path / "a.json").returncode == 0
    assert wrapp("catalog", b, tmp_path / "b.json").returncode == 0
    return tmp_path / "a.json", tmp_path / "b.json"


def test_diff_identical(wrapp, tmp_path):
    # Same content in different folders: identical catalogs (roots are not compared).
    for name in ("X", "Y"):
        write_tree(tmp_path / name, {"a": "1", "s/b": "2"})
        assert wrapp("catalog", tmp_path / name, tmp_path / f"{name}.json").returncode == 0
    r = wrapp("diff", tmp_path / "X.json", tmp_path / "Y.json")
    assert r.returncode == 0, str(r)
    r = wrapp("diff", tmp_path / "X.json", tmp_path / "Y.json", "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert j["only_in_a"] == [] and j["only_in_b"] == [] and j["different"] == []


def test_diff_text(wrapp, two_catalogs):
    a, b = two_catalogs
    r = wrapp("diff", a, b)
    assert r.returncode == 1, str(r)
    for path in ("changed.txt", "only_a.txt", "only_b.txt", "d/only_b2.txt"):
        assert path in r.stdout, str(r)
    assert "same.txt" not in r.stdout and "d/same.bin" not in r.stdout, str(r)


def test_diff_json(wrapp, two_catalogs):
    a, b = two_catalogs
    r = wrapp("diff", a, b, "--json")
    assert r.returncode == 1, str(r)
    j = json.loads(r.stdout)
    assert [i["relative_path"] for i in j["only_in_a"]] == ["only_a.txt"]
    assert [i["relative_path"] for i in j["only_in_b"]] == ["d/only_b2.txt", "only_b.txt"]
    assert len(j["different"]) == 1
    d = j["different"][0]
    assert d["a"]["relative_path"] == "changed.txt" and d["b"]["relative_path"] == "changed.txt"
    assert d["a"]["hash"] == hash_bytes(b"v1") and d["a"]["size"] == 2
    assert d["b"]["hash"] == hash_bytes(b"v2!") and d["b"]["size"] == 3


def test_diff_reversed(wrapp, two_catalogs):
    a, b = two_catalogs
    r = wrapp("diff", b, a, "--json")
    assert r.returncode == 1, str(r)
    j = json.loads(r.stdout)
    assert [i["relative_path"] for i in j["only_in_a"]] == ["d/only_b2.txt", "only_b.txt"]
    assert [i["relative_path"] for i in j["only_in_b"]] == ["only_a.txt"]


def test_diff_missing_file(wrapp, two_catalogs, tmp_path):
    a, _ = two_catalogs
    r = wrapp("diff", a, tmp_path / "missing.json")
    assert r.returncode == 1, str(r)
    assert "missing.json" in r.stderr, str(r)


def test_diff_corrupt_catalog(wrapp, two_catalogs, tmp_path):
    a, _ = two_catalogs
    bad = tmp_path / "bad.json"
    bad.write_text("{\"items\": [")
    r = wrapp("diff", a, bad)
    assert r.returncode == 1, str(r)
    assert "bad.json" in r.stderr, str(r)


def test_diff_accepts_wrapp_package_file(wrapp, tmp_path, publish):
    # A .wrapp holds a catalog; a reader of catalogs may be given one.
    repo, src = publish("p", "1", {"a": "1", "s/b": "2"})
    assert wrapp("catalog", src, tmp_path / "src.json").returncode == 0
    r = wrapp("diff", tmp_path / "src.json", repo / ".packages" / "p" / "1" / ".p.wrapp")
    assert r.returncode == 0, str(r)


# ------------------------------------------------------------------------------------------ count


def test_count_json(wrapp, tmp_path):
    x = random_bytes(1000, seed=41)
    root = write_tree(tmp_path / "root", {"a.bin": x, "b.bin": x, "c.txt": "unique", "sub/d.bin": x,
                                          "sub/e.txt": "e"})
    assert wrapp("catalog", root, tmp_path / "c.json").returncode == 0
    r = wrapp("count", tmp_path / "c.json", "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout) == {
        "files": 5,
        "bytes": 3 * 1000 + 6 + 1,
        "folders": 2,
        "unique_contents": 3,
        "unique_bytes": 1000 + 6 + 1,
        "duplicate_files": 2,
    }


def test_count_text(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", FILES)
    assert wrapp("catalog", root, tmp_path / "c.json").returncode == 0
    r = wrapp("count", tmp_path / "c.json")
    assert r.returncode == 0, str(r)
    assert "5" in r.stdout, str(r)
    rj = wrapp("count", tmp_path / "c.json", "--json")
    j = json.loads(rj.stdout)
    assert j["files"] == 5
    assert j["bytes"] == 5 + 5 + 7 + (1 << 20) + 0
    assert j["duplicate_files"] == 0
    assert j["unique_contents"] == 5


def test_count_empty_catalog(wrapp, tmp_path):
    (tmp_path / "empty").mkdir()
    assert wrapp("catalog", tmp_path / "empty", tmp_path / "c.json").returncode == 0
    assert read_json(tmp_path / "c.json")["items"] == []
    r = wrapp("count", tmp_path / "c.json", "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert (j["files"], j["bytes"], j["unique_contents"], j["unique_bytes"], j["duplicate_files"]) == (
        0, 0, 0, 0, 0)


def test_count_corrupt_catalog(wrapp, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("not json at all")
    r = wrapp("count", bad)
    assert r.returncode == 1, str(r)
    assert "bad.json" in r.stderr, str(r)


def test_count_newer_catalog_version_refused(wrapp, tmp_path):
    f = tmp_path / "future.json"
    f.write_text(json.dumps({"wrapp_catalog_version": 99, "root": url(tmp_path), "items": []}))
    r = wrapp("count", f)
    assert r.returncode == 1, str(r)
    assert "upgrad" in r.stderr.lower() and "future.json" in r.stderr, str(r)


def test_count_accepts_unknown_fields(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", {"a": "1"})
    assert wrapp("catalog", root, tmp_path / "c.json").returncode == 0
    j = read_json(tmp_path / "c.json")
    j["something_new"] = True
    j["items"][0]["another"] = 1
    (tmp_path / "c.json").write_text(json.dumps(j))
    r = wrapp("count", tmp_path / "c.json", "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout)["files"] == 1


def test_count_missing_file(wrapp, tmp_path):
    r = wrapp("count", tmp_path / "none.json")
    assert r.returncode == 1, str(r)
    assert "none.json" in r.stderr, str(r)


def test_catalog_refuses_names_no_reader_could_take(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", {"ok.txt": "ok", "bad\x01name.txt": "x"})
    out = tmp_path / "c.json"
    r = wrapp("catalog", root, out)
    assert r.returncode == 1, str(r)
    assert "bad" in r.stderr, str(r)
    assert not out.exists()


def _many_files() -> dict:
    """1,500 files whose folders sort around each other's ("d/0001", "d/b/...", "d/z"): more files than
    catalog hashes in one task and status checks in one chunk, in pages the walk delivers per folder."""
    files = {}
    for i in range(1500):
        folder = ("d", "d/b", "d/b/c", "e")[i % 4]
        files[f"{folder}/{i:04d}{'.txt' if i % 3 else ''}"] = f"file {i}\n" * (i % 5)
    files["d/z"] = "last of d\n"
    return files


@pytest.mark.parametrize("jobs", [[], ["--file-transfer-jobs", "1"]], ids=["default", "one-transfer"])
def test_catalog_of_many_files_in_interleaved_folders(wrapp, tmp_path, jobs):
    files = _many_files()
    root = write_tree(tmp_path / "root", files)
    out = tmp_path / "cat.json"
    r = wrapp("catalog", root, out, *jobs)
    assert r.returncode == 0, str(r)
    assert read_json(out)["items"] == expected_items(files, root)


def test_catalog_refuses_every_bad_name_of_a_big_tree_together(wrapp, tmp_path):
    files = _many_files()
    files["e/bad\x01one.txt"] = "x"
    files["d/b/bad\x02two.txt"] = "y"
    root = write_tree(tmp_path / "root", files)
    out = tmp_path / "cat.json"
    r = wrapp("catalog", root, out)
    assert r.returncode == 1, str(r)
    assert "bad\\x02two" in r.stderr and "bad\\x01one" in r.stderr, str(r)
    assert r.stderr.index("bad\\x02two") < r.stderr.index("bad\\x01one"), str(r)  # sorted: d/b/ before e/
    assert not out.exists()
