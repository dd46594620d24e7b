"""Running one command and measuring it.

* wall time: time.perf_counter() around posix_spawn .. wait4.
* peak memory: the command's ru_maxrss (KiB), as GNU time (/usr/bin/time
  -f '%M %O') reports it. It covers the command and any descendants it waited
  for. GNU time is used because the ru_maxrss that Python itself gets from
  wait4 starts at the Python parent's own peak: at exec, Linux records the peak
  of the forked copy of the parent's memory. Without GNU time that figure is
  used, and is then an upper bound.
* bytes written: ru_oublock * 512 from the same rusage (%O). Linux derives it from
  the task's I/O accounting, i.e. /proc/<pid>/io write_bytes minus
  cancelled_write_bytes: bytes of page cache the process dirtied (plus direct
  I/O), summed over all its threads. A reflink, a hard link or a file that is
  not rewritten counts 0.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field


@dataclass
class Result:
    argv: list[str]
    wall: float = 0.0          # seconds
    maxrss_kib: int = 0        # peak resident set size
    written: int = 0           # bytes written (ru_oublock * 512)
    rc: int = 0
    error: str = ""            # stderr tail when rc != 0

    @property
    def ok(self) -> bool:
        return not self.error


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run(argv: list[str], cwd: str | None = None, env: dict | None = None,
        ok_codes: tuple[int, ...] = (0,)) -> Result:
    """Run argv with stdout to /dev/null, stderr captured; measure it."""
    res = Result(list(argv))
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as usage:
        if GNU_TIME:
            argv = [GNU_TIME, "-q", "-f", "%M %O", "-o", usage.name, "--", *argv]
        actions = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                   (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
                   (os.POSIX_SPAWN_DUP2, err.fileno(), 2)]
        prog = argv[0]
        if cwd is not None:
            # posix_spawn has no chdir action before Python 3.13: go through env -C
            prog, argv = "env", ["env", "-C", cwd, "--"] + list(argv)
        t0 = time.perf_counter()
        try:
            pid = os.posix_spawnp(prog, argv, env if env is not None else os.environ,
                                  file_actions=actions)
        except OSError as e:
            res.rc, res.error = 127, f"cannot start {argv[0]}: {e}"
            return res
        _, status, ru = os.wait4(pid, 0)
        res.wall = time.perf_counter() - t0
        res.rc = os.waitstatus_to_exitcode(status)
        res.maxrss_kib = ru.ru_maxrss
        res.written = ru.ru_oublock * 512
        if GNU_TIME:
            lines = usage.read().split("\n")
            fields = next((ln.split() for ln in reversed(lines) if ln.strip()), [])
            if len(fields) == 2 and all(f.isdigit() for f in fields):
                res.maxrss_kib, res.written = int(fields[0]), int(fields[1]) * 512
        if res.rc not in ok_codes:
            err.seek(0)
            tail = err.read()[-2000:].decode(errors="replace").strip()
            res.error = f"exit {res.rc}: {tail}"
    return res


def run_steps(steps: list[tuple[list[str], dict]]) -> Result:
    """Run several commands one after the other as one measurement:
    times and bytes add up, peak memory is the largest."""
    total = Result([" && ".join(" ".join(a) for a, _ in steps)])
    for argv, kw in steps:
        r = run(argv, **kw)
        total.wall += r.wall
        total.maxrss_kib = max(total.maxrss_kib, r.maxrss_kib)
        total.written += r.written
        total.rc = r.rc
        if not r.ok:
            total.error = r.error
            break
    return total


def sync() -> None:
    os.sync()


def drop_caches() -> bool:
    """Write back dirty pages and drop the page cache; False if not permitted."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
        return True
    except OSError:
        return False


_trash: str | None = None
_trash_count = 0
TRASH_MIN_FREE = 16 * 1024 ** 3


def use_trash(directory: str | None) -> None:
    """With a trash folder, rm() moves trees there instead of deleting them;
    the trash is emptied when the file system has less than TRASH_MIN_FREE
    bytes free, and at the end of the run (empty_trash_in_background).
    Deleting files on a file system mounted with `discard` (as on the
    reference VM) makes later syncs and file creations wait for the
    discards: deleting between runs added minutes of waiting to a quick run
    and slowed the next measured command. A run starts once the trash a
    previous run left is gone."""
    global _trash
    _trash = directory
    if directory:
        parent, base = os.path.split(directory)
        for name in sorted(os.listdir(parent)):  # emptied in the background by an earlier run
            if name.startswith(base + "-"):
                _remove_holding_lock(os.path.join(parent, name))
        empty_trash()
        os.makedirs(directory)


def _lock_file() -> str:
    return _trash + ".lock"


def _remove_holding_lock(path: str) -> None:
    """rm -rf path while holding the trash lock: waits for a background
    removal (empty_trash_in_background) to finish first."""
    if shutil.which("flock"):
        subprocess.run(["flock", _lock_file(), "rm", "-rf", "--", path], check=True)
    else:
        subprocess.run(["rm", "-rf", "--", path], check=True)


def empty_trash() -> None:
    if _trash and os.path.lexists(_trash):
        subprocess.run(["rm", "-rf", "--", _trash], check=True)


def empty_trash_in_background() -> str | None:
    """Empties the trash after the run, in a process of its own that holds
    the trash lock, so that the run ends when its results are written: at
    the end of a quick run the trash held several GiB, whose removal took
    35-73 s on the reference VM. The next run waits for it (use_trash).
    Returns the folder being removed, None when there was nothing to remove
    or it was removed here (no flock(1))."""
    if not _trash or not os.path.lexists(_trash):
        return None
    if not shutil.which("flock"):
        empty_trash()
        return None
    doomed = f"{_trash}-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}"
    os.rename(_trash, doomed)
    subprocess.Popen(["flock", _lock_file(), "rm", "-rf", "--", doomed], stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return doomed


def rm(*paths: str) -> None:
    """Remove trees (rm -rf copes with read-only files), or move them to the trash."""
    global _trash_count
    paths = [p for p in paths if os.path.lexists(p)]
    if _trash:
        rest = []
        for p in paths:
            _trash_count += 1
            try:
                os.rename(p, os.path.join(_trash, str(_trash_count)))
            except OSError:
                rest.append(p)
        paths = rest
        if shutil.disk_usage(_trash).free < TRASH_MIN_FREE:
            empty_trash()
            os.makedirs(_trash)
            os.sync()
    if paths:
        subprocess.run(["rm", "-rf", "--", *paths], check=True)


def disk_usage(path: str) -> int:
    """Bytes allocated under path (st_blocks * 512), each inode counted once,
    like du: hard links to an earlier version's files cost nothing."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for d, _dirs, files in os.walk(path):
        for name in [".", *files]:
            try:
                st = os.lstat(os.path.join(d, name))
            except OSError:
                continue
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                total += st.st_blocks * 512
    return total


def tool_output(argv: list[str]) -> str:
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        return (p.stdout or p.stderr).strip()
    except (OSError, subprocess.SubprocessError) as e:
        return f"unavailable ({e})"


@dataclass
class Series:
    """All repetitions of one measured command."""
    label: str
    results: list[Result] = field(default_factory=list)

    def add(self, r: Result) -> Result:
        self.results.append(r)
        return r

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    @property
    def error(self) -> str:
        return next((r.error for r in self.results if not r.ok), "")

    def median(self, attr: str = "wall") -> float | None:
        vals = [getattr(r, attr) for r in self.results if r.ok]
        return statistics.median(vals) if vals else None

    def peak_rss_kib(self) -> int:
        return max((r.maxrss_kib for r in self.results), default=0)

    def to_json(self) -> dict:
        return {"label": self.label,
                "median_s": self.median(),
                "peak_rss_kib": self.peak_rss_kib(),
                "median_written_bytes": self.median("written"),
                "runs": [{"wall_s": round(r.wall, 6), "maxrss_kib": r.maxrss_kib,
                          "written_bytes": r.written, "rc": r.rc, "error": r.error}
                         for r in self.results]}
