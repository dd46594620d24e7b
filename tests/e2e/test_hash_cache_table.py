"""The hash cache file as a version 2 table (docs/formats.md, "Hash cache file"), against an independent
reader and writer of the layout (hash_cache_table.py): what wrapp writes reads back field by field, what
Python writes wrapp trusts, a version 1 JSON cache carries over, names that are not UTF-8 round-trip, and a
damaged or newer table is warned about and replaced or left alone.

A cache hit is proven the way test_default_hash_cache.py does: a wrong hash planted for a file with its
true stamp is what the command reports, since a file whose stamp matches an entry is not read again."""

from __future__ import annotations

import json
import os
import struct
import time

import pytest

from hash_cache_table import (HEADER_SIZE, RECORD_SIZE, journal_path, journal_record, read_journal, read_table, stamp_of,
                              table_bytes, write_table)
from helpers import hash_bytes, mentions, read_json, status_types, write_tree

FORGED = hash_bytes(b"not what the file holds")


def _catalog(wrapp, root, out, cache):
    """{relative path: hash} of a catalog of root with the cache file `cache`, and the run."""
    r = wrapp("catalog", root, out, "--hcf", cache)
    assert r.returncode == 0, str(r)
    return {i["relative_path"]: i["hash"] for i in read_json(out)["items"]}, r


def _age_mtime(path) -> None:
    """Sets the mtime an hour back: mtime and ctime differ, so a writer that swapped them would miss."""
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))
    assert os.stat(path).st_mtime_ns != os.stat(path).st_ctime_ns


def _warnings(stderr: str) -> list:
    return [l for l in stderr.splitlines() if l.startswith("warning: ignoring hash cache")]


def test_a_version_1_json_cache_is_used_then_rewritten_as_a_table(wrapp, tmp_path):
    """A cache saved by an earlier wrapp carries over: its entries answer, and the save writes a table of
    them all, the ones this command never looked at included."""
    root = write_tree(tmp_path / "x", {"a.txt": "alpha"})
    key = str(root / "a.txt")
    other = {"size": 7, "mtime_ns": 1_700_000_000_123_456_789, "ctime_ns": 1_700_000_001_000_000_000,
             "inode": 42, "hash": hash_bytes(b"elsewhere")}
    cache = tmp_path / "hc"
    cache.write_text(json.dumps({"format": "wrapp-hash-cache", "version": 1, "entries": {
        key: {**stamp_of(root / "a.txt"), "hash": FORGED}, "/elsewhere/kept.txt": other}}))

    hashes, r = _catalog(wrapp, root, tmp_path / "c.json", cache)
    assert hashes == {"a.txt": FORGED}, "the version 1 entry was not used"
    assert not _warnings(r.stderr), str(r)
    assert cache.read_bytes().startswith(b"wrapp-hash-cache\x02\x00\x00\x00"), cache.read_bytes()[:40]
    table = read_table(cache)
    assert sorted(table) == ["/elsewhere/kept.txt", key], table
    assert {f: table[key][f] for f in ("size", "mtime_ns", "ctime_ns", "inode", "hash")} == \
        {**stamp_of(root / "a.txt"), "hash": FORGED}
    assert {f: table["/elsewhere/kept.txt"][f] for f in other} == other
    # And the table answers the next command as the JSON did.
    assert _catalog(wrapp, root, tmp_path / "c2.json", cache)[0] == {"a.txt": FORGED}


def test_the_table_wrapp_writes_holds_every_catalogued_file(wrapp, tmp_path):
    files = {"a.txt": "a", "sub/b.txt": "bb", "sub/deeper/c.bin": os.urandom((1 << 20) + 1),
             "name with space.txt": "s", "ünïcode/ß.txt": "u", "B.txt": "upper case sorts first"}
    root = write_tree(tmp_path / "x", files)
    _age_mtime(root / "a.txt")
    cache = tmp_path / "hc"
    before = int(time.time())
    hashes, _ = _catalog(wrapp, root, tmp_path / "c.json", cache)
    after = int(time.time())
    assert sorted(hashes) == sorted(files)

    table = read_table(cache)  # checks the header, the exact size, the order and the uniqueness
    assert sorted(table) == sorted(str(root / rel) for rel in files), sorted(table)
    assert list(table) == sorted(table, key=os.fsencode), "records not in bytewise order of their names"
    for rel in files:
        entry = table[str(root / rel)]
        assert {f: entry[f] for f in ("size", "mtime_ns", "ctime_ns", "inode")} == stamp_of(root / rel), rel
        assert entry["hash"] == hashes[rel], rel
        assert before - 1 <= entry["last_used"] <= after + 1, (rel, entry["last_used"], before, after)


def test_a_table_written_by_python_is_trusted(wrapp, tmp_path, publish):
    """The Python writer's table, with a wrong hash planted for a.txt at its true stamp: status believes
    it (a.txt differs, nothing else), so both sides put every field at the same offset."""
    repo, _ = publish("p", "1", {"a.txt": b"alpha", "d/b.txt": b"beta"}, extra_args=("--no-hash-cache",))
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo, "--no-hash-cache").returncode == 0
    _age_mtime(dest / "a.txt")
    cache = tmp_path / "hc"
    write_table(cache, {str(dest / "a.txt"): {**stamp_of(dest / "a.txt"), "hash": FORGED, "last_used": 12345},
                        str(dest / "d" / "b.txt"): {**stamp_of(dest / "d" / "b.txt"), "hash": hash_bytes(b"beta")}})

    r = wrapp("status", dest, "--json", "--hcf", cache)
    assert r.returncode == 1, str(r)
    assert status_types(json.loads(r.stdout)["packages"][0]) == [("package_modified", None),
                                                                 ("item_differs", "a.txt")], str(r)
    assert not _warnings(r.stderr), str(r)
    r = wrapp("status", dest, "--no-hash-cache")
    assert r.returncode == 0, str(r)


@pytest.mark.parametrize("field", ["size", "mtime_ns", "ctime_ns", "inode"])
def test_an_entry_is_trusted_only_at_the_files_exact_stamp(wrapp, tmp_path, field):
    """The same planted hash, with one field of the stamp off by one, is not used: each field is read
    where the Python writer put it, and each one counts."""
    root = write_tree(tmp_path / "x", {"a.txt": "alpha"})
    _age_mtime(root / "a.txt")
    cache = tmp_path / "hc"
    stamp = stamp_of(root / "a.txt")
    write_table(cache, {str(root / "a.txt"): {**stamp, "hash": FORGED}})
    assert _catalog(wrapp, root, tmp_path / "c1.json", cache)[0] == {"a.txt": FORGED}
    write_table(cache, {str(root / "a.txt"): {**stamp, field: stamp[field] + 1, "hash": FORGED}})
    hashes, r = _catalog(wrapp, root, tmp_path / "c2.json", cache)
    assert hashes == {"a.txt": hash_bytes(b"alpha")}, f"trusted with {field} off by one"
    # The file's hash replaced the stale entry.
    assert read_table(cache)[str(root / "a.txt")]["hash"] == hash_bytes(b"alpha")


def test_a_name_that_is_not_utf8_round_trips(wrapp, tmp_path):
    """The key of a file under a folder named b"caf\\xe9" is that path's bytes, which the version 1 JSON
    could not hold: Python reads it back, and wrapp finds the entry Python writes under it."""
    root = write_tree(tmp_path / os.fsdecode(b"caf\xe9"), {"a.txt": "cafe"})
    cache = tmp_path / "hc"
    hashes, _ = _catalog(wrapp, root, tmp_path / "c.json", cache)
    assert hashes == {"a.txt": hash_bytes(b"cafe")}
    table = read_table(cache)
    expected = os.fsencode(str(tmp_path)) + b"/caf\xe9/a.txt"
    assert [os.fsencode(k) for k in table] == [expected], table
    key = os.fsdecode(expected)
    assert table[key]["hash"] == hash_bytes(b"cafe")

    table[key]["hash"] = FORGED
    write_table(cache, table)
    assert _catalog(wrapp, root, tmp_path / "c2.json", cache)[0] == {"a.txt": FORGED}


def test_a_truncated_table_is_replaced(wrapp, tmp_path):
    root = write_tree(tmp_path / "x", {"a.txt": "alpha"})
    cache = tmp_path / "hc"
    data = table_bytes({str(root / "a.txt"): {**stamp_of(root / "a.txt"), "hash": FORGED}})
    cache.write_bytes(data[:-1])
    hashes, r = _catalog(wrapp, root, tmp_path / "c.json", cache)
    assert hashes == {"a.txt": hash_bytes(b"alpha")}, "a damaged table was trusted"
    warnings = _warnings(r.stderr)
    assert len(warnings) == 1 and mentions(warnings[0], cache) and "will be replaced" in warnings[0], str(r)
    assert {k: e["hash"] for k, e in read_table(cache).items()} == {str(root / "a.txt"): hash_bytes(b"alpha")}


def test_a_table_of_a_newer_version_is_left_untouched(wrapp, tmp_path):
    root = write_tree(tmp_path / "x", {"a.txt": "alpha"})
    cache = tmp_path / "hc"
    data = bytearray(table_bytes({str(root / "a.txt"): {**stamp_of(root / "a.txt"), "hash": FORGED}}))
    struct.pack_into("<I", data, 16, 3)
    cache.write_bytes(bytes(data))
    hashes, r = _catalog(wrapp, root, tmp_path / "c.json", cache)
    assert hashes == {"a.txt": hash_bytes(b"alpha")}, "a table of another version was trusted"
    warnings = _warnings(r.stderr)
    assert len(warnings) == 1 and mentions(warnings[0], cache), str(r)
    assert "version 3 is newer" in warnings[0] and "left untouched" in warnings[0], str(r)
    assert cache.read_bytes() == bytes(data)


def test_a_record_named_past_the_pool_is_dropped_silently(wrapp, tmp_path):
    """A record whose name lies outside the pool matches no key, so it cannot vouch for any file; the
    next save drops it. No warning: the rest of the table is good, and b.txt's entry is still used."""
    root = write_tree(tmp_path / "x", {"a.txt": "alpha", "b.txt": "beta"})
    cache = tmp_path / "hc"
    data = bytearray(table_bytes({str(root / name): {**stamp_of(root / name), "hash": FORGED}
                                  for name in ("a.txt", "b.txt")}))
    _, _, count, pool = struct.unpack_from("<IIQQ", data, 16)
    assert count == 2
    struct.pack_into("<Q", data, HEADER_SIZE + 64, pool)  # a.txt's record: its name starts at the pool's end
    cache.write_bytes(bytes(data))
    with pytest.raises(ValueError):
        read_table(cache)
    hashes, r = _catalog(wrapp, root, tmp_path / "c.json", cache)
    assert hashes == {"a.txt": hash_bytes(b"alpha"), "b.txt": FORGED}
    assert not _warnings(r.stderr) and "warning" not in r.stderr, str(r)
    # Saved (a.txt was hashed): a clean table, a.txt's new entry in place of the damaged one.
    assert {k: e["hash"] for k, e in read_table(cache).items()} == {
        str(root / "a.txt"): hash_bytes(b"alpha"), str(root / "b.txt"): FORGED}
    assert len(cache.read_bytes()) == HEADER_SIZE + 2 * RECORD_SIZE + 2 * len(os.fsencode(str(root / "a.txt")))


def _big_table(cache, extra=None) -> bytes:
    """A table well above the size from which saves append to the journal (256 KiB), 45,000 entries, plus
    `extra`."""
    entries = {f"/elsewhere/{i:06d}/some-file.bin": {"size": i, "mtime_ns": i, "ctime_ns": i, "inode": i,
                                                     "hash": hash_bytes(str(i).encode())} for i in range(45_000)}
    entries.update(extra or {})
    write_table(cache, entries)
    data = cache.read_bytes()
    assert len(data) >= 4 << 20
    return data


def test_a_big_table_is_kept_and_what_a_command_hashed_is_appended_to_its_journal(wrapp, tmp_path):
    """Beside a big table, a command that hashed new files appends them to `<cache>.journal` instead of
    rewriting the table; the next command trusts the journal (a planted record is what it reports), and a
    journal past its bound is merged into a new table and removed."""
    root = write_tree(tmp_path / "x", {"a.txt": "alpha", "b.txt": "bravo"})
    cache = tmp_path / "hc"
    table = _big_table(cache)
    hashes, _ = _catalog(wrapp, root, tmp_path / "c1.json", cache)
    assert hashes == {"a.txt": hash_bytes(b"alpha"), "b.txt": hash_bytes(b"bravo")}
    assert cache.read_bytes() == table, "the table was rewritten"
    journal = dict(read_journal(cache))
    assert set(journal) == {str(root / "a.txt"), str(root / "b.txt")}
    for name in ("a.txt", "b.txt"):
        entry = journal[str(root / name)]
        assert {k: entry[k] for k in ("size", "mtime_ns", "ctime_ns", "inode")} == stamp_of(root / name)
        assert entry["last_used"] > 0

    # A record appended later replaces the earlier one, and answers.
    with open(journal_path(cache), "ab") as f:
        f.write(journal_record(str(root / "a.txt"), {**stamp_of(root / "a.txt"), "hash": FORGED}))
    hashes, _ = _catalog(wrapp, root, tmp_path / "c2.json", cache)
    assert hashes == {"a.txt": FORGED, "b.txt": hash_bytes(b"bravo")}
    assert len(read_journal(cache)) == 3, "a command that hashed nothing appends nothing"

    # A torn last record (a crash while appending) is ignored, then cut by the next append.
    with open(journal_path(cache), "ab") as f:
        f.write(journal_record("/torn", {**stamp_of(root / "a.txt"), "hash": FORGED})[:-5])
    (root / "c.txt").write_text("charlie")
    hashes, _ = _catalog(wrapp, root, tmp_path / "c3.json", cache)
    assert hashes["c.txt"] == hash_bytes(b"charlie") and hashes["a.txt"] == FORGED
    assert [k for k, _ in read_journal(cache)][-1] == str(root / "c.txt")

    # Past the journal's bound (sqrt(4 KiB x table): about 135 KB here), the save writes a new table and
    # removes the journal.
    with open(journal_path(cache), "ab") as f:
        for i in range(8_000):
            f.write(journal_record(f"/planted/{i:05d}", {"size": 1, "mtime_ns": 1, "ctime_ns": 1, "inode": i,
                                                         "hash": FORGED}))
    (root / "d.txt").write_text("delta")
    hashes, _ = _catalog(wrapp, root, tmp_path / "c4.json", cache)
    assert hashes["d.txt"] == hash_bytes(b"delta")
    assert not journal_path(cache).exists()
    merged = read_table(cache)
    assert len(merged) == 45_000 + 4 + 8_000
    assert merged[str(root / "a.txt")]["hash"] == FORGED  # the journal's record won over nothing older
    assert merged["/planted/07999"]["hash"] == FORGED and merged[str(root / "d.txt")]["hash"] == hash_bytes(b"delta")
