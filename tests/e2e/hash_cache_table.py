"""An independent reader and writer of the hash cache file, version 2: the sorted binary table of
docs/formats.md, "Hash cache file" (and src/model/hash_cache_file.h). Written from the layout alone, with
the struct module, so that a test reading what wrapp wrote, or planting a table wrapp then trusts, proves
both sides agree on every byte.

    offset  size   field (little-endian)
    0       16     magic b"wrapp-hash-cache"
    16      4      version, 2
    20      4      record size, 80
    24      8      record count N
    32      8      name pool size P
    40      24     zero
    64      80*N   records, sorted by name bytes, each name once
    64+80N  P      name pool

    record: size u64 | mtime_ns i64 | ctime_ns i64 | inode u64 | 32 bytes of sha-256-flat |
            name offset u64 (in the pool) | name length u32 | last_used u32

Keys are decoded with os.fsdecode, so a path that is not UTF-8 survives the round trip (os.fsencode gives
back its bytes).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Mapping, Union

MAGIC = b"wrapp-hash-cache"
VERSION = 2
HEADER_SIZE = 64
RECORD_SIZE = 80
HASH_PREFIX = "sha-256-flat;1048576;"

_HEADER = struct.Struct("<16sIIQQ24s")
_RECORD = struct.Struct("<QqqQ32sQII")
assert _HEADER.size == HEADER_SIZE and _RECORD.size == RECORD_SIZE

FIELDS = ("size", "mtime_ns", "ctime_ns", "inode", "hash", "last_used")


def pack_header(count: int, pool_size: int, version: int = VERSION, record_size: int = RECORD_SIZE) -> bytes:
    """The 64-byte header (other values than the format's make hostile files)."""
    return _HEADER.pack(MAGIC, version, record_size, count, pool_size, bytes(24))


def read_table(path: Union[str, Path]) -> dict:
    """{key: {"size", "mtime_ns", "ctime_ns", "inode", "hash", "last_used"}} of a version 2 table.

    ValueError for anything that is not exactly the format: magic, version, record size, a size other
    than 64 + 80*N + P, names outside the pool, names out of order or repeated."""
    data = Path(path).read_bytes()
    if len(data) < HEADER_SIZE:
        raise ValueError(f"{path}: {len(data)} bytes, shorter than the header")
    magic, version, record_size, count, pool_size, zero = _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise ValueError(f"{path}: magic {magic!r}")
    if version != VERSION:
        raise ValueError(f"{path}: version {version}")
    if record_size != RECORD_SIZE:
        raise ValueError(f"{path}: record size {record_size}")
    if zero != bytes(24):
        raise ValueError(f"{path}: header bytes 40..63 are not zero")
    if len(data) != HEADER_SIZE + RECORD_SIZE * count + pool_size:
        raise ValueError(f"{path}: {len(data)} bytes for {count} records and a pool of {pool_size}")
    pool_start = HEADER_SIZE + RECORD_SIZE * count
    entries = {}
    previous = None
    for i in range(count):
        size, mtime_ns, ctime_ns, inode, digest, offset, length, last_used = _RECORD.unpack_from(
            data, HEADER_SIZE + RECORD_SIZE * i)
        if length == 0 or offset + length > pool_size:
            raise ValueError(f"{path}: record {i} names bytes {offset}..{offset + length} of a pool of {pool_size}")
        name = data[pool_start + offset:pool_start + offset + length]
        if previous is not None and name <= previous:
            raise ValueError(f"{path}: record {i} ({name!r}) does not follow {previous!r}")
        previous = name
        entries[os.fsdecode(name)] = {"size": size, "mtime_ns": mtime_ns, "ctime_ns": ctime_ns, "inode": inode,
                                      "hash": HASH_PREFIX + digest.hex(), "last_used": last_used}
    return entries


def table_bytes(entries: Mapping[str, Mapping]) -> bytes:
    """The bytes of a version 2 table of `entries` (as read_table returns them; last_used defaults to 0)."""
    named = sorted(((os.fsencode(key), entry) for key, entry in entries.items()), key=lambda item: item[0])
    pool = b"".join(name for name, _ in named)
    records, offset = [], 0
    for name, entry in named:
        text = entry["hash"]
        if not text.startswith(HASH_PREFIX) or len(text) != len(HASH_PREFIX) + 64:
            raise ValueError(f"not a sha-256-flat hash: {text!r}")
        records.append(_RECORD.pack(entry["size"], entry["mtime_ns"], entry["ctime_ns"], entry["inode"],
                                    bytes.fromhex(text[len(HASH_PREFIX):]), offset, len(name),
                                    entry.get("last_used", 0)))
        offset += len(name)
    return pack_header(len(named), len(pool)) + b"".join(records) + pool


def write_table(path: Union[str, Path], entries: Mapping[str, Mapping]) -> None:
    """Writes `entries` as a version 2 table, sorted by os.fsencode(key)."""
    Path(path).write_bytes(table_bytes(entries))


def stamp_of(path: Union[str, Path]) -> dict:
    """The size, mtime_ns, ctime_ns and inode a cache entry for `path` must hold to be used."""
    st = os.stat(path)
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "ctime_ns": st.st_ctime_ns, "inode": st.st_ino}


# The journal beside a big table, `<cache>.journal` (docs/formats.md, "Hash cache file"; model/hash_cache_journal.h):
# a 32-byte header (magic, version 1, zero), then records appended in order, each
#   name length u32 | size u64 | mtime_ns i64 | ctime_ns i64 | inode u64 | 32 bytes of sha-256-flat |
#   last_used u32 | name | FNV-1a (32 bits) of the record's bytes before it, u32
JOURNAL_MAGIC = b"wrapp-hc-journal"
JOURNAL_HEADER = JOURNAL_MAGIC + struct.pack("<I", 1) + bytes(12)
_JOURNAL_FIXED = struct.Struct("<IQqqQ32sI")
assert _JOURNAL_FIXED.size == 72


def _fnv1a(data: bytes) -> int:
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def journal_path(cache: Union[str, Path]) -> Path:
    return Path(str(cache) + ".journal")


def journal_record(key: str, entry: Mapping) -> bytes:
    """One record of `key` (an entry as read_table returns them)."""
    name = os.fsencode(key)
    digest = bytes.fromhex(entry["hash"][len(HASH_PREFIX):])
    body = _JOURNAL_FIXED.pack(len(name), entry["size"], entry["mtime_ns"], entry["ctime_ns"], entry["inode"], digest,
                               entry.get("last_used", 0)) + name
    return body + struct.pack("<I", _fnv1a(body))


def read_journal(cache: Union[str, Path]) -> list:
    """[(key, entry)] of the journal of `cache`, in file order. ValueError unless it is exactly the format,
    every record whole and checked (a torn tail included)."""
    data = journal_path(cache).read_bytes()
    if not data.startswith(JOURNAL_HEADER):
        raise ValueError(f"journal header {data[:32]!r}")
    out, at = [], len(JOURNAL_HEADER)
    while at < len(data):
        length, size, mtime_ns, ctime_ns, inode, digest, last_used = _JOURNAL_FIXED.unpack_from(data, at)
        end = at + _JOURNAL_FIXED.size + length
        (check,) = struct.unpack_from("<I", data, end)
        if check != _fnv1a(data[at:end]):
            raise ValueError(f"record at {at} fails its check")
        out.append((os.fsdecode(data[at + _JOURNAL_FIXED.size:end]),
                    {"size": size, "mtime_ns": mtime_ns, "ctime_ns": ctime_ns, "inode": inode,
                     "hash": HASH_PREFIX + digest.hex(), "last_used": last_used}))
        at = end + 4
    return out
