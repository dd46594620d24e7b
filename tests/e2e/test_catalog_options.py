"""catalog --file-list/--skip-missing/--tags, diff --ignore-tags, create --catalog keeping tags."""

from __future__ import annotations

import json

from helpers import hash_bytes, read_json, repo_wrapp, url, write_tree


def ls_tsv(wrapp, folder):
    r = wrapp("ls", folder, "--recursive", "--output-format", "tsv")
    assert r.returncode == 0, str(r)
    return r.stdout


def test_catalog_of_a_file_list_written_by_ls(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a", "d/b.txt": "bb", "d/e/c.txt": "ccc"})
    # Only the files (ls lists folders too, which have no size).
    lines = [line for line in ls_tsv(wrapp, src).splitlines() if line.split("\t")[2]]
    lines = [line for line in lines if not line.split("\t")[1].endswith("/c.txt")]
    (tmp_path / "list.tsv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "cat.json"
    r = wrapp("catalog", "--file-list", tmp_path / "list.tsv", out)
    assert r.returncode == 0, str(r)
    c = read_json(out)
    assert c["root"] == url(src)
    assert [(i["relative_path"], i["hash"], i["size"]) for i in c["items"]] == [
        ("a.txt", hash_bytes(b"a"), 1), ("d/b.txt", hash_bytes(b"bb"), 2)]
    # The same catalog as a walk of the same files gives.
    (src / "d" / "e" / "c.txt").unlink()
    walked = tmp_path / "walked.json"
    assert wrapp("catalog", src, walked).returncode == 0
    assert read_json(walked)["items"] == c["items"]


def test_file_list_missing_files_fail_unless_skipped(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    (tmp_path / "list.tsv").write_text(f"{url(src)}\t{url(src)}/a.txt\n{url(src)}\t{url(src)}/gone.txt\n")
    out = tmp_path / "cat.json"
    r = wrapp("catalog", "--file-list", tmp_path / "list.tsv", out)
    assert r.returncode == 1, str(r)
    assert "gone.txt" in r.stderr and "--skip-missing" in r.stderr, r.stderr
    assert not out.exists()
    r = wrapp("catalog", "--file-list", tmp_path / "list.tsv", out, "--skip-missing")
    assert r.returncode == 0, str(r)
    assert "left out 1" in r.stderr, r.stderr
    assert [i["relative_path"] for i in read_json(out)["items"]] == ["a.txt"]


def test_bad_file_lists_are_refused_naming_the_line(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    other = write_tree(tmp_path / "other", {"x.txt": "x"})
    cases = {
        "no tab here\n": ":1: expected",
        f"\n{url(src)}\t\n": ":2: an empty",
        f"{url(src)}\t{url(src)}/a.txt\n{url(other)}\t{url(other)}/x.txt\n": "one root",
        f"{url(src)}\t{url(other)}/x.txt\n": "is not below its base URL",
        "": "lists no files",
    }
    for text, message in cases.items():
        (tmp_path / "list.tsv").write_text(text)
        r = wrapp("catalog", "--file-list", tmp_path / "list.tsv", tmp_path / "out.json")
        assert r.returncode == 1, (text, str(r))
        assert message in r.stderr, (text, r.stderr)
    r = wrapp("catalog", "--file-list", tmp_path / "nothing.tsv", tmp_path / "out.json")
    assert r.returncode == 1 and "nothing.tsv" in r.stderr and "not found" in r.stderr, str(r)
    r = wrapp("catalog", src, tmp_path / "out.json", "--file-list", tmp_path / "list.tsv")
    assert r.returncode == 1 and "not both" in r.stderr, str(r)


def test_tags_option_warns_and_recorded_tags_survive_create(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a", "b.txt": "b"})
    cat = tmp_path / "cat.json"
    r = wrapp("catalog", src, cat, "--tags")
    assert r.returncode == 0, str(r)
    assert "no storage of this build has tags" in r.stderr
    c = read_json(cat)
    assert all("tags" not in i for i in c["items"])
    # Tags a catalog already records (the reference's Nucleus tags) are kept by create --catalog.
    tags = [{"name": "approved"}]
    c["items"][0]["tags"] = tags
    cat.write_text(json.dumps(c))
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", cat, "--catalog", "--repo", repo, "--tags")
    assert r.returncode == 0, str(r)
    items = read_json(repo_wrapp(repo, "p", "1"))["catalog"]["items"]
    assert items[0]["tags"] == tags and "tags" not in items[1]


def test_diff_compares_tags_unless_ignored(wrapp, tmp_path):
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert wrapp("catalog", src, a).returncode == 0
    c = read_json(a)
    c["items"][0]["tags"] = ["t"]
    b.write_text(json.dumps(c))
    r = wrapp("diff", a, b)
    assert r.returncode == 1 and "different: a.txt" in r.stdout, str(r)
    r = wrapp("diff", a, b, "--ignore-tags")
    assert r.returncode == 0 and "identical" in r.stdout, str(r)


def test_create_from_a_catalog_of_files_elsewhere_records_the_versions_own_files(wrapp, tmp_path):
    """Items whose source_path points outside the catalog's root (and items with tags besides): the
    version's items name the version's own copies, not where the bytes came from."""
    elsewhere = write_tree(tmp_path / "elsewhere", {"x.bin": "x bytes", "y.bin": "y bytes"})
    src = write_tree(tmp_path / "src", {"a.txt": "a"})
    cat = tmp_path / "cat.json"
    assert wrapp("catalog", src, cat).returncode == 0
    c = read_json(cat)
    first = dict(c["items"][0])
    c["items"] = [
        {**first, "relative_path": "moved/x.bin", "source_path": url(elsewhere / "x.bin"),
         "hash": hash_bytes(b"x bytes"), "size": 7, "tags": [{"name": "t"}]},
        {**first, "relative_path": "moved/y.bin", "source_path": url(elsewhere / "y.bin"),
         "hash": hash_bytes(b"y bytes"), "size": 7},
    ]
    cat.write_text(json.dumps(c))
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1", cat, "--catalog", "--repo", repo)
    assert r.returncode == 0, str(r)
    version = repo / ".packages" / "p" / "1"
    items = read_json(repo_wrapp(repo, "p", "1"))["catalog"]["items"]
    assert [i["source_path"] for i in items] == [url(version / "moved/x.bin"), url(version / "moved/y.bin")]
    assert items[0]["tags"] == [{"name": "t"}] and "tags" not in items[1]
    assert (version / "moved" / "x.bin").read_bytes() == b"x bytes"
