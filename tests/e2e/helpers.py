"""Shared helpers for the wrapp end-to-end tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import signal
import stat
import subprocess
import time
from pathlib import Path
from typing import Callable, Mapping, NamedTuple, Optional, Union

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHUNK = 1 << 20
HASH_PREFIX = "sha-256-flat;1048576;"
BIG_SIZE = 33 * CHUNK + 12345  # > 32 MiB: exercises the parallel chunk path

COMMANDS = [
    "version", "create", "install", "status", "uninstall", "check", "mirror", "new",
    "list-repo", "catalog", "diff", "count", "ls", "cat", "get", "export", "import", "freeze",
    "create-metapackage", "extract-catalog", "find-orphans", "delete-packages", "installed-package-list",
    "traceback",
    "publish-redirect",
    "create-patch", "apply-patch",
]

GENERIC_OPTIONS = [
    "--verbose", "--time", "--stats", "--jobs", "--file-transfer-jobs", "--ftj", "--log-file",
    "--debug", "--json-logging", "--dry-run", "--progress-report", "--hash-cache-file", "--hcf", "--auth",
    "--interactive-auth", "--progress-interval", "--color", "--no-hash-cache",
]


# Variables of the caller's environment that would change what a test observes.
SCRUBBED_ENV = ("WRAPP_JOBS", "WRAPP_LOG_FILE", "WRAPP_HASH_CACHE_FILE", "WRAPP_FSYNC",
                "WRAPP_LOCK_REFRESH_MS", "WRAPP_LOCK_EXPIRY_MS", "WRAPP_AUTH")


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


def wrapp_command(args, progress: bool = False) -> list:
    """The argv that runs wrapp with args; `--progress-report off` appended to subcommands."""
    args = [str(a) for a in args]
    cmd = [wrapp_bin(), *args]
    if not progress and args and args[0] in COMMANDS and "--progress-report" not in args:
        cmd += ["--progress-report", "off"]
    return cmd


def wrapp_env(env: Optional[Mapping[str, str]] = None) -> dict:
    full = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    if env:
        full.update(env)
    return full


def run_wrapp(args, cwd, env=None, binary=False, progress=False, timeout=120) -> "Result":
    p = subprocess.run(wrapp_command(args, progress), cwd=str(cwd), env=wrapp_env(env), capture_output=True,
                       timeout=timeout)
    out = p.stdout if binary else p.stdout.decode("utf-8", errors="replace")
    err = p.stderr.decode("utf-8", errors="replace")
    fail_on_sanitizer_report(p.args, err)
    return Result(p.returncode, out, err)


class Result(NamedTuple):
    returncode: int
    stdout: Union[str, bytes]
    stderr: str

    @property
    def lines(self) -> list:
        return [l for l in self.stdout.splitlines() if l.strip()]

    def __str__(self) -> str:  # shown in assertion messages; long outputs are cut in the middle
        return f"rc={self.returncode}\n--- stdout ---\n{_cut(repr(self.stdout))}\n--- stderr ---\n{_cut(self.stderr)}"


def _cut(text: str, keep: int = 1500) -> str:
    if len(text) <= 2 * keep:
        return text
    return f"{text[:keep]}\n[... {len(text) - 2 * keep} characters ...]\n{text[-keep:]}"


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


def put_version(repo: Path, name: str, version: str, dependencies=(), catalog=None, repository=None,
                source=None, file_name=None) -> Path:
    """Writes a package file by hand into repo (no data files): dependencies as (package, version,
    repository, relative_destination) tuples; an empty catalog unless one is given. Returns its path."""
    folder = version_dir(repo, name, version)
    folder.mkdir(parents=True, exist_ok=True)
    info = {
        "wrapp_format_version": 1, "name": name, "version": version, "source": source, "repository": repository,
        "dependencies": [{"package": p, "version": v, "repository": r, "relative_destination": d}
                         for p, v, r, d in dependencies],
        "catalog": catalog if catalog is not None else {"root": url(folder), "items": []},
    }
    path = folder / (file_name or f".{name}.wrapp")
    path.write_text(json.dumps(info, indent=1))
    return path


def items_by_path(items) -> dict:
    return {i["relative_path"]: i for i in items}


def stderr_error_lines(stderr: str) -> list:
    return [l for l in stderr.splitlines() if l.startswith("error:")]


def status_paths(package: dict, item_type: str) -> list:
    """The relative paths of the items of one type of a package of `status --json`."""
    return [i["relative_path"] for i in package["items"] if i["status_item_type"] == item_type]


def status_types(package: dict) -> list:
    """(type, relative_path) of every item of a package of `status --json`, in order."""
    return [(i["status_item_type"], i["relative_path"]) for i in package["items"]]


def mentions(text: str, path: Path) -> bool:
    """True if text names path, as a plain path or as a file:// URL."""
    return str(path) in text or url(path) in text


# ---------------------------------------------------------------------------------------------
# Processes in the background (races, kills)


class Running:
    """A wrapp process started in the background (arguments as for run_wrapp)."""

    def __init__(self, args, cwd, env=None, progress=False):
        self.started = time.monotonic()
        self.proc = subprocess.Popen(wrapp_command(args, progress), cwd=str(cwd), env=wrapp_env(env),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.pid = self.proc.pid
        self.result: Optional[Result] = None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, sig: int) -> bool:
        """Sends sig if the process still runs; False when it had already ended."""
        if self.proc.poll() is not None:
            return False
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            return False
        return True

    def finish(self, timeout: float = 120) -> Result:
        """Waits for the end and returns its Result (once collected, the same Result again)."""
        if self.result is None:
            out, err = self.proc.communicate(timeout=timeout)
            text = err.decode("utf-8", errors="replace")
            fail_on_sanitizer_report(self.proc.args, text)
            self.result = Result(self.proc.returncode, out.decode("utf-8", errors="replace"), text)
        return self.result

    def signal_after(self, delay: float, sig: int = signal.SIGKILL, timeout: float = 120,
                     once: Optional[Callable[[], bool]] = None) -> Result:
        """Sends sig `delay` seconds after the start, or after `once` first holds (if it still runs
        then), and waits for the end."""
        start = self.started
        if once is not None and wait_until(once, timeout=timeout, proc=self):
            start = time.monotonic()
        try:
            self.proc.wait(timeout=max(0.0, start + delay - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.send(sig)
        return self.finish(timeout)

    def stop(self) -> None:
        """Kills it if it still runs (test teardown)."""
        self.send(signal.SIGKILL)
        if self.result is None:
            self.proc.communicate()


def wait_until(predicate: Callable[[], bool], timeout: float = 30, proc: Optional[Running] = None,
               interval: float = 0.002) -> bool:
    """Polls predicate until it holds (True), the timeout passes or proc ends first (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        if proc is not None and not proc.alive():
            return predicate()
        time.sleep(interval)
    return False


def run_concurrently(spawn, commands, stagger: float = 0.0) -> list:
    """Starts every argument list (spawn as the conftest fixture), `stagger` seconds apart; their Results."""
    procs = []
    for i, args in enumerate(commands):
        if i and stagger:
            time.sleep(stagger)
        procs.append(spawn(*args))
    return [p.finish() for p in procs]


def timed(run: Callable[..., Result], *args, **kwargs) -> tuple:
    """(Result, seconds) of run(*args, **kwargs)."""
    start = time.monotonic()
    r = run(*args, **kwargs)
    return r, time.monotonic() - start


def kill_delays(seed: int, duration: float, points: int = 3) -> list:
    """Seeded delays spread over the first 60% of a command that takes `duration` seconds unkilled
    (counted from the moment it begins to change things; see Running.signal_after)."""
    rng = random.Random(seed)
    return sorted(duration * rng.uniform(0.02, 0.6) for _ in range(points))


# Slows a command down to one file at a time (storage jobs and transfers), so that another
# process can overlap it, or a kill land part-way.
SERIAL_ENV = {"WRAPP_JOBS": "1"}
SERIAL_ARGS = ("--ftj", "1")


def signalled(r: Result) -> bool:
    """True when the process died of a signal (or a shell-style 128+N code for a crash)."""
    return r.returncode < 0 or r.returncode in (128 + signal.SIGSEGV, 128 + signal.SIGABRT, 128 + signal.SIGBUS)


def output(r: Result) -> str:
    return f"{r.stdout}\n{r.stderr}"


# ---------------------------------------------------------------------------------------------
# Seeded data for the safety tests


def seeded_files(seed: int, count: int, size: int, prefix: str = "", folders: int = 8) -> dict:
    """count distinct files of about `size` bytes (± 1/4), spread over `folders` folders (none: 0);
    deterministic.

    Each file is a unique header and a slice of one seeded random pool, so that big trees cost little
    to generate."""
    rng = random.Random(seed)
    pool = rng.randbytes((4 << 20) + 2 * size)
    files = {}
    for i in range(count):
        n = size + rng.randint(-(size // 4), size // 4)
        head = f"{seed}/{prefix}{i}\n".encode()
        start = rng.randrange(4 << 20)
        folder = f"d{i % folders}/" if folders else ""
        files[f"{prefix}{folder}f{i:04d}.bin"] = (head + pool[start:start + n])[:max(n, len(head))]
    return files


def seeded_big(seed: int, size: int) -> bytes:
    """One big deterministic file: a seeded random MiB, each copy stamped with its index."""
    block = random.Random(seed).randbytes(CHUNK)
    return b"".join(i.to_bytes(8, "little") + block[8:] for i in range((size + CHUNK - 1) // CHUNK))[:size]


def update_versions() -> dict:
    """p 1 and p 2 (72 MiB each) for updates: 2 changes every file of 1, drops the folder d7, adds 8 files.
    Files of 1.5 MiB: a stop part-way lands inside a copy far more often than between two."""
    v2 = {k: v for k, v in seeded_files(32, 48, 1536 << 10).items() if not k.startswith("d7/")}
    return {"1": seeded_files(31, 48, 1536 << 10), "2": {**v2, **seeded_files(33, 8, 256 << 10, prefix="new-")}}


# Files of the user in an install folder (not part of any package); `.wrappignore` keeps status quiet.
USER_FILES = {
    ".wrappignore": "*.user\n/.wrappignore\n",
    "notes.user": "my notes\n",
    "d0/beside-package-files.user": "mine, in a folder of the package\n",
    "mine/keep.user": "mine, in a folder of my own\n",
}


def is_user_file(rel: str) -> bool:
    return rel in USER_FILES


# ---------------------------------------------------------------------------------------------
# Tree snapshots: relative path -> (bytes, mode), bytes as a SHA-256 digest


def digest(content: Union[str, bytes]) -> str:
    """SHA-256 of the bytes: trees are compared by digest, so that a failure shows a readable diff."""
    return hashlib.sha256(content.encode("utf-8") if isinstance(content, str) else content).hexdigest()


def digests(files: Mapping[str, Union[str, bytes]]) -> dict:
    """relative path -> digest, for files as given to write_tree (to compare with tree_contents)."""
    return {rel: digest(content) for rel, content in files.items()}


def tree_state(root: Path, exclude: Callable[[str], bool] = lambda rel: False) -> dict:
    """relative path -> ("file", digest of the bytes, mode) or ("link", target), for every file and
    link under root (links are not followed)."""
    root = Path(root)
    out = {}
    if not root.exists():
        return out
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            if exclude(rel):
                continue
            st = p.lstat()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            else:
                out[rel] = ("file", digest(p.read_bytes()), stat.S_IMODE(st.st_mode))
    return out


def tree_contents(root: Path, exclude: Callable[[str], bool] = lambda rel: False) -> dict:
    """relative path -> digest of the bytes (links as ("link", target)), without modes."""
    return {rel: v[1] if v[0] == "file" else v for rel, v in tree_state(root, exclude).items()}


def is_wrapp_file(rel: str) -> bool:
    return rel.rsplit("/", 1)[-1].endswith(".wrapp")


def version_contents(repo: Path, name: str, version: str) -> dict:
    """relative path -> digest of a repository version's files, without its .wrapp file."""
    return tree_contents(version_dir(repo, name, version), is_wrapp_file)


def installed_contents(dest: Path) -> dict:
    """relative path -> digest of the package files in an install folder (no .wrapp files, no user files)."""
    return tree_contents(dest, lambda rel: is_wrapp_file(rel) or is_user_file(rel))


def user_contents(dest: Path) -> dict:
    """USER_FILES as found in dest (digest and mode), to compare before and after."""
    state = tree_state(dest)
    return {rel: state.get(rel) for rel in USER_FILES}


# ---------------------------------------------------------------------------------------------
# Locks and leftovers


def version_lock(repo: Path, name: str, version: str) -> Path:
    """The lock object of one version while a writer (create, mirror) works on it."""
    return Path(repo) / ".wrapp-locks" / name / f"{version}.lock"


def install_lock(dest: Path) -> Path:
    """The lock object of an install folder while install works in it."""
    return Path(dest) / ".wrapp-install.lock"


def lock_files(root: Path) -> list:
    """Every lock object left under root (version locks and install locks)."""
    root = Path(root)
    return sorted(p.as_posix() for p in root.rglob("*.lock")
                  if p.name == ".wrapp-install.lock" or ".wrapp-locks" in p.parts)


def partial_files(root: Path) -> list:
    """Every `.wrapp-partial-*` temporary file left anywhere under root."""
    return sorted(p.as_posix() for p in Path(root).rglob(".wrapp-partial-*"))


def version_writer_started(repo: Path, name: str, version: str) -> Callable[[], bool]:
    """A predicate: a writer of this version has visibly begun (its lock or its folder exists)."""
    return lambda: version_lock(repo, name, version).exists() or version_dir(repo, name, version).exists()


def install_started(dest: Path) -> Callable[[], bool]:
    """A predicate: an install into dest has visibly begun (its lock exists, or a file is being written)."""
    dest = Path(dest)
    return lambda: install_lock(dest).exists() or bool(partial_files(dest))


# ---------------------------------------------------------------------------------------------
# Final states (`wrapp` is the conftest fixture; `what` names the case in messages)


def assert_published_once(wrapp, repo, name, version, files, what):
    check = wrapp("check", repo_wrapp(repo, name, version))
    assert check.returncode == 0, f"{what}: the published version does not check clean\n{check}"
    assert version_contents(repo, name, version) == digests(files), (
        f"{what}: the published files are not the expected source, byte for byte")
    assert lock_files(repo) == [], f"{what}: a lock outlived the commands"
    assert partial_files(repo) == [], f"{what}: temporary files were left in the repository"


def assert_clean_install(wrapp, dest, files, what, name="p"):
    assert not install_lock(dest).exists(), f"{what}: {install_lock(dest)} outlived the installs"
    assert partial_files(dest) == [], f"{what}: temporary files were left in the install folder"
    assert installed_contents(dest) == digests(files), f"{what}: the folder is not exactly one version"
    st = wrapp("status", marker(dest, name))
    assert st.returncode == 0, f"{what}: status is not clean\n{st}"


# ---------------------------------------------------------------------------------------------
# --help, as the checks of what is generated from it (manual pages, completion, docs/cli.md) read it


def help_of(*args) -> str:
    """`wrapp ARGS --help`'s output (exit 0 checked)."""
    r = run_wrapp([*args, "--help"], REPO_ROOT, progress=True)
    assert r.returncode == 0, str(r)
    return r.stdout


def listed_commands() -> list:
    """The commands `wrapp --help` lists, in its order."""
    out = help_of()
    return [l.split()[0] for l in out.split("Subcommands:")[1].split("\n\n")[0].strip().splitlines()]


def long_options(command) -> list:
    """Every long option `wrapp COMMAND --help` shows, aliases included (--help too)."""
    names = []
    for column in re.findall(r"^  (-\S+)", help_of(command), re.MULTILINE):
        names += [n for n in column.split(",") if n.startswith("--")]
    return names


# ---------------------------------------------------------------------------------------------
# Test servers (tests/servers)


@contextlib.contextmanager
def started(server):
    """`server` (a tests/servers server) running for the with-block, stopped after it; one that does not
    start fails the test, naming it (./setup.sh installs every server)."""
    from servers import ServerStartError  # tests/ is on sys.path in the modules that use servers

    try:
        server.start()
    except ServerStartError as e:
        pytest.fail(f"{server.name} did not start (./setup.sh installs it): {e}")
    try:
        yield server
    finally:
        server.stop()
