"""Shared helpers for the wrapp end-to-end tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import stat
from pathlib import Path
from typing import Mapping, NamedTuple, Union

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHUNK = 1 << 20
HASH_PREFIX = "sha-256-flat;1048576;"
BIG_SIZE = 33 * CHUNK + 12345  # > 32 MiB: exercises the parallel chunk path

COMMANDS = [
    "version", "create", "install", "status", "uninstall", "check", "mirror", "new",
    "list-repo", "catalog", "diff", "count", "ls", "cat", "get",
]

GENERIC_OPTIONS = [
    "--verbose", "--time", "--stats", "--jobs", "--file-transfer-jobs", "--ftj", "--log-file",
    "--debug", "--json-logging", "--dry-run", "--progress-report", "--hash-cache-file", "--hcf",
]


def wrapp_bin() -> str:
    p = Path(os.environ.get("WRAPP_BIN", str(REPO_ROOT / "build" / "wrapp")))
    if not p.is_absolute():
        p = REPO_ROOT / p
    return str(p)


# What a sanitizer prints when it finds a bug (build-asan, build-tsan). An ASan report exits 1 by
# default, like bad input: the report, not the exit code, tells them apart.
_SANITIZER_REPORTS = re.compile(
    r"^==\d+==ERROR: (Address|Leak)Sanitizer|^WARNING: ThreadSanitizer:|: runtime error: ", re.MULTILINE)


def fail_on_sanitizer_report(cmd, stderr: str) -> None:
    """Fails the running test when a run's stderr holds a sanitizer report."""
    if _SANITIZER_REPORTS.search(stderr):
        pytest.fail(f"sanitizer report from {[str(c) for c in cmd[:4]]}...:\n{stderr[:20000]}")


class Result(NamedTuple):
    returncode: int
    stdout: Union[str, bytes]
    stderr: str

    @property
    def lines(self) -> list:
        return [l for l in self.stdout.splitlines() if l.strip()]

    def __str__(self) -> str:  # shown in assertion messages
        return f"rc={self.returncode}\n--- stdout ---\n{self.stdout!r}\n--- stderr ---\n{self.stderr}"


# ---------------------------------------------------------------------------------------------
# Hashing (independent implementation of the product's "sha-256-flat;1048576" hash)


def hash_bytes(data: bytes) -> str:
    outer = hashlib.sha256()
    for i in range(0, len(data), CHUNK):
        outer.update(hashlib.sha256(data[i:i + CHUNK]).digest())
    # Empty input: no chunks -> SHA-256 of the empty input.
    return HASH_PREFIX + outer.hexdigest()


def hash_file(path: Path) -> str:
    outer = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            outer.update(hashlib.sha256(block).digest())
    return HASH_PREFIX + outer.hexdigest()


# ---------------------------------------------------------------------------------------------
# Trees


def random_bytes(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def write_tree(root: Path, files: Mapping[str, Union[str, bytes]]) -> Path:
    """Creates root and every file (relative path -> str or bytes content). Returns root."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode("utf-8")
        p.write_bytes(content)
    return root


def list_files(root: Path) -> list:
    """Sorted relative paths (posix) of every regular file under root (symlinks not followed)."""
    root = Path(root)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(out)


def list_dirs(root: Path) -> list:
    root = Path(root)
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out.append((Path(dirpath) / name).relative_to(root).as_posix())
    return sorted(out)


def read_tree(root: Path) -> dict:
    """relative path -> bytes for every file under root."""
    return {rel: (Path(root) / rel).read_bytes() for rel in list_files(root)}


def snapshot(root: Path) -> dict:
    """Everything observable about a tree: entries with type, content digest, mode, inode, mtime."""
    root = Path(root)
    if not root.exists():
        return {}
    snap = {".": ("dir", stat.S_IMODE(root.stat().st_mode))}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                snap[rel] = ("file", hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size,
                             stat.S_IMODE(st.st_mode), st.st_ino, st.st_mtime_ns)
    return snap


def make_writable(path: Path) -> None:
    path = Path(path)
    path.chmod(path.stat().st_mode | stat.S_IWUSR)


def corrupt_same_size(path: Path, offset: int = 0) -> None:
    """Flips one byte in place (size unchanged)."""
    make_writable(path)
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 0xFF]))


# ---------------------------------------------------------------------------------------------
# URLs and JSON


def url(path: Path) -> str:
    return Path(path).resolve().as_uri()


def read_json(path: Path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def marker(dest: Path, name: str) -> Path:
    return Path(dest) / f".{name}.wrapp"


def version_dir(repo: Path, name: str, version: str) -> Path:
    return Path(repo) / ".packages" / name / version


def repo_wrapp(repo: Path, name: str, version: str) -> Path:
    return version_dir(repo, name, version) / f".{name}.wrapp"


def expected_items(files: Mapping[str, bytes], root: Path) -> list:
    """Catalog items the product must write for these files, rooted at the folder `root`."""
    items = []
    for rel in sorted(files):
        data = files[rel]
        if isinstance(data, str):
            data = data.encode("utf-8")
        items.append({
            "relative_path": rel,
            "source_path": (Path(root).resolve() / rel).as_uri(),
            "hash": hash_bytes(data),
            "size": len(data),
        })
    return items


def items_by_path(items) -> dict:
    return {i["relative_path"]: i for i in items}


def stderr_error_lines(stderr: str) -> list:
    return [l for l in stderr.splitlines() if l.startswith("error:")]


def mentions(text: str, path: Path) -> bool:
    """True if text names path, as a plain path or as a file:// URL."""
    return str(path) in text or url(path) in text
