"""wrapp export and import: package versions as tar archives, and hostile archives refused."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from helpers import (
    hash_bytes, list_files, lock_files, marker, partial_files, random_bytes, read_json, read_tree, repo_wrapp, url,
    version_dir, write_tree,
)

BIG = random_bytes(3 * (1 << 20) + 11, seed=41)
FILES = {
    "a.txt": "alpha\n",
    "sub/b.txt": "bravo\n",
    "sub/deep/big.bin": BIG,
    "copy-of-big.bin": BIG,
    "again/copy.bin": BIG,
    "empty.txt": b"",
    "ünïcode/ß.txt": "unicode\n",
    "name with space.txt": "spaces\n",
    "x" * 120 + "/long-name.txt": "a name longer than ustar's 100 bytes\n",
}


def as_bytes(content) -> bytes:
    return content.encode() if isinstance(content, str) else content


@pytest.fixture
def source(publish):
    repo, _ = publish("p", "1.0", FILES)
    return repo


@pytest.fixture
def exported(wrapp, tmp_path, source):
    tar = tmp_path / "p-1.0.tar"
    r = wrapp("export", "p", "1.0", tar, "--repo", source)
    assert r.returncode == 0, str(r)
    return tar


def tar_members(path: Path) -> list:
    """(name, bytes) of every member, in order, read by Python's tarfile."""
    with tarfile.open(path) as t:
        return [(m.name, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]


def write_tar(path: Path, entries, gz: bool = False) -> Path:
    """entries: (TarInfo or name, bytes or None). A name with bytes makes a regular file member."""
    with tarfile.open(path, "w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as t:
        for info, data in entries:
            if isinstance(info, str):
                info = tarfile.TarInfo(info)
                info.size = len(data)
                info.mode = 0o444
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def assert_nothing_published(repo: Path, name="p", version="1.0"):
    assert not repo_wrapp(repo, name, version).exists(), "a refused archive must not publish the version"
    vdir = version_dir(repo, name, version)
    assert not vdir.exists() or list_files(vdir) == [], f"files left behind: {list_files(vdir)}"
    assert lock_files(repo) == []
    assert partial_files(repo) == [] if repo.exists() else True


# ---------------------------------------------------------------------------------------------
# export


def test_export_writes_a_normal_tar_with_the_package_file_first(wrapp, tmp_path, source, exported):
    members = tar_members(exported)
    names = [n for n, _ in members]
    assert names[0] == ".p.wrapp"
    assert names[1:] == sorted(FILES, key=lambda p: p.encode())
    data = dict(members)
    for rel, content in FILES.items():
        assert data[rel] == as_bytes(content), rel
    info = json.loads(data[".p.wrapp"])
    assert info["name"] == "p" and info["version"] == "1.0"
    assert [i["relative_path"] for i in info["catalog"]["items"]] == names[1:]
    assert "storage_map" not in info["catalog"]
    # The repository's own package file, unchanged but for the (absent) storage map.
    assert info == read_json(repo_wrapp(source, "p", "1.0"))
    with tarfile.open(exported) as t:
        assert all(m.isfile() and m.mode == 0o444 for m in t.getmembers())


def test_export_then_import_then_install_gives_identical_bytes(wrapp, tmp_path, exported):
    other = tmp_path / "other"
    r = wrapp("import", exported, other)
    assert r.returncode == 0, str(r)
    assert "imported p 1.0" in r.stdout
    assert wrapp("list-repo", other).stdout == "p: 1.0\n"
    check = wrapp("check", repo_wrapp(other, "p", "1.0"))
    assert check.returncode == 0, str(check)
    info = read_json(repo_wrapp(other, "p", "1.0"))
    assert info["catalog"]["root"] == url(version_dir(other, "p", "1.0"))
    assert all(i["source_path"].startswith(url(version_dir(other, "p", "1.0")) + "/") for i in info["catalog"]["items"])
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1.0", dest, "--repo", other)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    assert {k: v for k, v in tree.items() if not k.endswith(".wrapp")} == {k: as_bytes(v) for k, v in FILES.items()}
    # Again: the same version is a no-op.
    r = wrapp("import", exported, other)
    assert r.returncode == 0 and "already in" in r.stdout, str(r)


def test_dedup_archive_is_smaller_and_still_imports(wrapp, tmp_path, source, exported):
    dedup = tmp_path / "dedup.tar"
    r = wrapp("export", "p", "1.0", dedup, "--repo", source, "--dedup")
    assert r.returncode == 0, str(r)
    assert dedup.stat().st_size < exported.stat().st_size - 2 * len(BIG)
    members = dict(tar_members(dedup))
    blob = ".wrapp-blobs/" + hash_bytes(BIG).split(";")[-1]
    assert members[blob] == BIG
    assert not any(n.endswith("big.bin") or n.endswith("copy.bin") for n in members)
    storage_map = json.loads(members[".p.wrapp"])["catalog"]["storage_map"]["storage_map"]
    assert storage_map[hash_bytes(BIG)] == blob
    assert len(members) == 1 + len({hash_bytes(as_bytes(c)) for c in FILES.values()})

    other = tmp_path / "other"
    r = wrapp("import", dedup, other)
    assert r.returncode == 0, str(r)
    assert "storage_map" not in read_json(repo_wrapp(other, "p", "1.0"))["catalog"]
    assert wrapp("check", repo_wrapp(other, "p", "1.0")).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1.0", dest, "--repo", other).returncode == 0
    for rel, content in FILES.items():
        assert (dest / rel).read_bytes() == as_bytes(content), rel


def test_export_catalog_picks_a_subset(wrapp, tmp_path, source):
    pick = tmp_path / "pick.json"
    pick.write_text(json.dumps({"root": "", "items": [{"relative_path": "a.txt"}, {"relative_path": "sub/b.txt"}]}))
    tar = tmp_path / "subset.tar"
    r = wrapp("export", "p", "1.0", tar, "--repo", source, "--catalog", pick)
    assert r.returncode == 0, str(r)
    assert [n for n, _ in tar_members(tar)] == [".p.wrapp", "a.txt", "sub/b.txt"]
    # A catalog naming what the version does not hold is refused.
    pick.write_text(json.dumps({"root": "", "items": [{"relative_path": "nope.txt"}]}))
    r = wrapp("export", "p", "1.0", tmp_path / "bad.tar", "--repo", source, "--catalog", pick)
    assert r.returncode == 1 and "nope.txt" in r.stderr, str(r)
    assert not (tmp_path / "bad.tar").exists()


def test_export_refuses_an_existing_output_unless_overwrite(wrapp, tmp_path, source):
    tar = tmp_path / "p.tar"
    tar.write_bytes(b"mine")
    r = wrapp("export", "p", "1.0", tar, "--repo", source)
    assert r.returncode == 1 and "--overwrite" in r.stderr, str(r)
    assert tar.read_bytes() == b"mine"
    r = wrapp("export", "p", "1.0", tar, "--repo", source, "--overwrite")
    assert r.returncode == 0, str(r)
    assert tar_members(tar)[0][0] == ".p.wrapp"


def test_export_missing_package_or_version(wrapp, tmp_path, source):
    r = wrapp("export", "nope", "1.0", tmp_path / "x.tar", "--repo", source)
    assert r.returncode == 1 and "nope" in r.stderr, str(r)
    r = wrapp("export", "p", "9", tmp_path / "x.tar", "--repo", source)
    assert r.returncode == 1 and "available: 1.0" in r.stderr, str(r)
    assert not (tmp_path / "x.tar").exists()


def test_export_of_a_damaged_file_writes_no_archive(wrapp, tmp_path, source):
    f = version_dir(source, "p", "1.0") / "sub" / "deep" / "big.bin"
    f.chmod(0o644)
    data = bytearray(f.read_bytes())
    data[1 << 20] ^= 0xFF
    f.write_bytes(bytes(data))
    tar = tmp_path / "p.tar"
    r = wrapp("export", "p", "1.0", tar, "--repo", source)
    assert r.returncode == 1, str(r)
    assert "big.bin" in r.stderr and "does not match" in r.stderr, str(r)
    assert not tar.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".wrapp-partial")] == []


def test_export_dry_run_writes_nothing(wrapp, tmp_path, source):
    tar = tmp_path / "p.tar"
    r = wrapp("export", "p", "1.0", tar, "--repo", source, "--dry-run")
    assert r.returncode == 0, str(r)
    assert "copy    a.txt" in r.stdout
    assert not tar.exists()


# ---------------------------------------------------------------------------------------------
# import


def test_import_tar_gz(wrapp, tmp_path, exported):
    gz = tmp_path / "p.tar.gz"
    gz.write_bytes(gzip.compress(exported.read_bytes()))
    other = tmp_path / "other"
    r = wrapp("import", gz, other)
    assert r.returncode == 0, str(r)
    assert wrapp("check", repo_wrapp(other, "p", "1.0")).returncode == 0


@pytest.mark.parametrize("gz", [False, True], ids=["tar", "tar.gz"])
def test_import_finds_a_package_file_that_comes_last(wrapp, tmp_path, exported, gz):
    members = tar_members(exported)
    reordered = write_tar(tmp_path / "last.tar", members[1:] + members[:1], gz=gz)
    other = tmp_path / "other"
    r = wrapp("import", reordered, other)
    assert r.returncode == 0, str(r)
    assert wrapp("check", repo_wrapp(other, "p", "1.0")).returncode == 0


def test_import_accepts_folders_and_dot_slash_names(wrapp, tmp_path, exported):
    """What `tar -C <version folder> -cf x.tar .` writes."""
    entries = []
    folder = tarfile.TarInfo("./")
    folder.type = tarfile.DIRTYPE
    entries.append((folder, None))
    sub = tarfile.TarInfo("./sub/")
    sub.type = tarfile.DIRTYPE
    entries.append((sub, None))
    entries += [("./" + n, d) for n, d in tar_members(exported)]
    r = wrapp("import", write_tar(tmp_path / "dots.tar", entries), tmp_path / "other")
    assert r.returncode == 0, str(r)


def test_import_dry_run_verifies_and_writes_nothing(wrapp, tmp_path, exported):
    other = tmp_path / "other"
    r = wrapp("import", exported, other, "--dry-run")
    assert r.returncode == 0, str(r)
    assert "would import p 1.0" in r.stdout and "copy    a.txt" in r.stdout
    assert not other.exists()
    # A dry run reads every member: a damaged one fails it.
    members = [(n, d[:-1] + b"!" if n == "a.txt" else d) for n, d in tar_members(exported)]
    r = wrapp("import", write_tar(tmp_path / "bad.tar", members), other, "--dry-run")
    assert r.returncode == 1 and "a.txt" in r.stderr, str(r)


def test_import_of_other_content_is_refused_and_overwrite_replaces(wrapp, tmp_path, publish, exported):
    other = tmp_path / "other"
    publish("p", "1.0", {"a.txt": "another 1.0\n", "gone.txt": "only here\n"}, repo=other)
    before = read_tree(version_dir(other, "p", "1.0"))
    r = wrapp("import", exported, other)
    assert r.returncode == 1, str(r)
    assert "already exists" in r.stderr and "--overwrite" in r.stderr, str(r)
    assert read_tree(version_dir(other, "p", "1.0")) == before

    r = wrapp("import", exported, other, "--overwrite")
    assert r.returncode == 0, str(r)
    assert "replacing" in r.stdout
    vdir = version_dir(other, "p", "1.0")
    assert sorted(p for p in list_files(vdir) if not p.endswith(".wrapp")) == sorted(FILES)
    assert wrapp("check", repo_wrapp(other, "p", "1.0")).returncode == 0


def test_import_overwrite_keeps_the_old_version_when_the_archive_is_bad(wrapp, tmp_path, publish, exported):
    other = tmp_path / "other"
    publish("p", "1.0", {"a.txt": "another 1.0\n"}, repo=other)
    before = read_tree(version_dir(other, "p", "1.0"))
    members = [(n, d[:-1] + b"!" if n == "sub/deep/big.bin" else d) for n, d in tar_members(exported)]
    r = wrapp("import", write_tar(tmp_path / "bad.tar", members), other, "--overwrite")
    assert r.returncode == 1 and "big.bin" in r.stderr, str(r)
    assert read_tree(version_dir(other, "p", "1.0")) == before


def test_import_missing_archive(wrapp, tmp_path):
    r = wrapp("import", tmp_path / "nope.tar", tmp_path / "repo")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)
    assert not (tmp_path / "repo").exists()


def _link(name, kind, target="a.txt"):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info, None


def _special(name, kind):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.devmajor, info.devminor = 1, 3
    return info, None


def _hostile_cases():
    """name -> (function members -> hostile members, words the message must hold)."""
    def replace(rel, data):
        return lambda ms: [(n, data if n == rel else d) for n, d in ms]

    def wrapp_json(ms):
        return json.loads(dict(ms)[".p.wrapp"])

    return {
        "absolute path": (lambda ms: ms + [("/etc/evil.txt", b"x")], ["/etc/evil.txt", "unsafe"]),
        "dot-dot": (lambda ms: ms + [("../evil.txt", b"x")], ["../evil.txt", "unsafe"]),
        "dot-dot inside": (lambda ms: ms + [("sub/../../evil.txt", b"x")], ["unsafe"]),
        "symbolic link": (lambda ms: ms[:1] + [_link("a.txt", tarfile.SYMTYPE, "/etc/passwd")] + ms[2:],
                          ["symbolic link", "/etc/passwd"]),
        "hard link": (lambda ms: ms + [_link("hard.txt", tarfile.LNKTYPE)], ["hard link"]),
        "device": (lambda ms: ms + [_special("dev", tarfile.CHRTYPE)], ["device"]),
        "fifo": (lambda ms: ms + [_special("fifo", tarfile.FIFOTYPE)], ["FIFO"]),
        "member not in catalog": (lambda ms: ms + [("extra.txt", b"extra")], ["extra.txt", "does not list"]),
        "catalog item missing": (lambda ms: [m for m in ms if m[0] != "sub/b.txt"], ["sub/b.txt", "lacks"]),
        "wrong hash": (replace("sub/b.txt", b"BRAVO\n"), ["sub/b.txt", "does not match"]),
        "wrong size": (replace("sub/b.txt", b"bravo, longer\n"), ["sub/b.txt", "bytes"]),
        "duplicate member": (lambda ms: ms + [("a.txt", b"alpha\n")], ["a.txt", "twice"]),
        "several package files": (
            lambda ms: ms + [(".q.wrapp", json.dumps({**wrapp_json(ms), "name": "q"}).encode())],
            ["several package files"]),
        "package file twice": (lambda ms: ms + ms[:1], ["several package files"]),
        "package file not json": (lambda ms: [(".p.wrapp", b"{not json")] + ms[1:], [".p.wrapp", "JSON"]),
        "package file of another name": (lambda ms: [(".q.wrapp", ms[0][1])] + ms[1:], [".q.wrapp", "'p'"]),
        "unsafe catalog path": (
            lambda ms: [(".p.wrapp", json.dumps({**wrapp_json(ms), "catalog": {
                **wrapp_json(ms)["catalog"], "items": wrapp_json(ms)["catalog"]["items"] + [
                    {"relative_path": "../x", "hash": None, "size": 1}]}}).encode())] + ms[1:],
            ["unsafe", "../x"]),
        "storage map pointing outside": (
            lambda ms: [(".p.wrapp", json.dumps({**wrapp_json(ms), "catalog": {
                **wrapp_json(ms)["catalog"], "storage_map": {hash_bytes(b"alpha\n"): "/etc/passwd"}}}).encode())]
            + ms[1:],
            ["storage map", "/etc/passwd"]),
        "no package file": (lambda ms: ms[1:], ["no package file"]),
    }


@pytest.mark.parametrize("case", list(_hostile_cases()))
def test_hostile_archive_is_refused_and_publishes_nothing(wrapp, tmp_path, exported, case):
    change, words = _hostile_cases()[case]
    hostile = write_tar(tmp_path / "hostile.tar", change(tar_members(exported)))
    repo = tmp_path / "target"
    r = wrapp("import", hostile, repo)
    assert r.returncode == 1, f"{case}: {r}"
    for w in words:
        assert w in r.stderr, f"{case}: '{w}' not in the message\n{r}"
    assert_nothing_published(repo)
    assert not (tmp_path / "etc").exists() and not (tmp_path / "evil.txt").exists()


def test_refused_archive_after_good_members_leaves_no_files(wrapp, tmp_path, exported):
    """The damaged member is the last: the good ones were written, and are removed again."""
    members = tar_members(exported)
    last = members[-1][0]
    members[-1] = (last, b"x" + members[-1][1][1:])
    repo = tmp_path / "target"
    r = wrapp("import", write_tar(tmp_path / "bad.tar", members), repo)
    assert r.returncode == 1 and "does not match" in r.stderr, str(r)
    assert_nothing_published(repo)
    # A good archive imports afterwards.
    assert wrapp("import", exported, repo).returncode == 0


def test_import_refuses_what_is_not_a_tar(wrapp, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"this is not an archive at all" * 100)
    r = wrapp("import", junk, tmp_path / "repo")
    assert r.returncode == 1 and "not a valid tar archive" in r.stderr, str(r)
    (tmp_path / "folder.tar").mkdir()
    r = wrapp("import", tmp_path / "folder.tar", tmp_path / "repo")
    assert r.returncode == 1 and "not a file" in r.stderr, str(r)
    assert not (tmp_path / "repo").exists()


def test_import_of_a_truncated_archive(wrapp, tmp_path, exported):
    cut = tmp_path / "cut.tar"
    cut.write_bytes(exported.read_bytes()[: exported.stat().st_size // 2])
    repo = tmp_path / "target"
    r = wrapp("import", cut, repo)
    assert r.returncode == 1, str(r)
    assert_nothing_published(repo)


def test_import_then_list_and_status_of_the_install(wrapp, tmp_path, exported):
    other = tmp_path / "other"
    assert wrapp("import", exported, other, "--json").returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1.0", dest, "--repo", other).returncode == 0
    assert wrapp("status", marker(dest, "p")).returncode == 0


def test_export_reads_bytes_where_the_catalog_says(wrapp, tmp_path):
    """A version written by hand in the reference's format: one item through a relative storage-map
    location, one through a source_path outside the repository (a redirect), one next to the package file."""
    repo = tmp_path / "repo"
    vdir = version_dir(repo, "p", "1")
    outside = tmp_path / "elsewhere" / "b-bytes"
    write_tree(vdir, {"blobs/a-bytes": "alpha\n", "c.txt": "charlie\n"})
    write_tree(outside.parent, {outside.name: "bravo\n"})
    root = url(vdir)
    info = {
        "name": "p", "version": "1", "source": None, "repository": None, "dependencies": [],
        "catalog": {
            "root": root,
            "items": [
                {"relative_path": "a.txt", "source_path": root + "/a.txt", "hash": hash_bytes(b"alpha\n"), "size": 6},
                {"relative_path": "b.txt", "source_path": url(outside), "hash": hash_bytes(b"bravo\n"), "size": 6},
                {"relative_path": "c.txt", "source_path": root + "/c.txt", "hash": hash_bytes(b"charlie\n"),
                 "size": None},
            ],
            "storage_map": {"storage_map": {hash_bytes(b"alpha\n"): "blobs/a-bytes"}},
        },
    }
    (vdir / ".p.wrapp").write_text(json.dumps(info))
    tar = tmp_path / "p.tar"
    r = wrapp("export", "p", "1", tar, "--repo", repo)
    assert r.returncode == 0, str(r)
    members = dict(tar_members(tar))
    assert {k: v for k, v in members.items() if k != ".p.wrapp"} == {
        "a.txt": b"alpha\n", "b.txt": b"bravo\n", "c.txt": b"charlie\n"}
    assert "storage_map" not in json.loads(members[".p.wrapp"])["catalog"]
    other = tmp_path / "other"
    assert wrapp("import", tar, other).returncode == 0
    # The size the catalog left unknown is filled in from the bytes; the same archive again is a no-op.
    items = {i["relative_path"]: i for i in read_json(repo_wrapp(other, "p", "1"))["catalog"]["items"]}
    assert items["c.txt"]["size"] == 8 and items["c.txt"]["hash"] == hash_bytes(b"charlie\n")
    r = wrapp("import", tar, other)
    assert r.returncode == 0 and "already in" in r.stdout, str(r)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", other).returncode == 0
    assert {k: v for k, v in read_tree(dest).items() if not k.endswith(".wrapp")} == {
        "a.txt": b"alpha\n", "b.txt": b"bravo\n", "c.txt": b"charlie\n"}
