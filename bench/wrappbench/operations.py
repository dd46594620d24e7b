"""The operations that are measured, the peers they are compared with, and
the targets of the issue. Each workload runs in its own folder
``<work-dir>/runs/<workload>/``, which is emptied first.

Within one repetition the commands compared with each other run one after the
other, and the order rotates from one repetition to the next (wrapp first,
then a peer first, ...). Destinations are removed before each run, so the last
run's output stays for the operations that need an existing install.
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import time
from dataclasses import dataclass

from . import workloads as W
from .measure import Result, Series, disk_usage, drop_caches, rm, run, run_steps, sync


# ---------------------------------------------------------------- config

@dataclass
class Config:
    wrapp: str
    quick: bool
    repeat: int
    seed: int
    work_dir: str
    concurrency: int          # mirror: wrapp --ftj N, rclone --transfers/--checkers N
    can_drop: bool            # page cache can be dropped before "cold" runs
    tools: dict[str, str | None]  # peer name -> executable, None when unavailable
    fraction: float = 0.01    # share of files changed for the "next version" operations
    # Repetitions of the side commands (side()): peers whose rows judge
    # nothing or judge by a margin of 3x or more, and wrapp's --fsync runs.
    # None: `repeat`.
    side_repeat: int | None = None


@dataclass
class Row:
    """One line of the results table."""
    op: str
    workload: str
    wrapp: str                 # what wrapp ran, with its figure
    peer: str                  # what it is compared with, with its figure
    value: float | None        # the compared figure (usually wrapp/peer)
    unit: str = "x"            # "x": ratio; otherwise a unit printed after value
    target: tuple[str, float] | None = None   # ("<=" | ">=", limit); None: information
    wrapp_rss_kib: int = 0
    peer_rss_kib: int = 0
    note: str = ""
    verdict: str = ""

    def judge(self) -> "Row":
        if self.verdict:
            return self
        if self.value is None:
            self.verdict = "ERROR"
        elif self.target is None:
            self.verdict = "info"
        else:
            cmp, lim = self.target
            good = self.value <= lim if cmp == "<=" else self.value >= lim
            self.verdict = "PASS" if good else "FAIL"
        return self


_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"{time.monotonic() - _T0:7.1f}s {msg}", file=sys.stderr, flush=True)


def fmt_s(v: float | None) -> str:
    return "—" if v is None else (f"{v:.3f} s" if v < 10 else f"{v:.1f} s")


def fmt_bytes(n: float | None) -> str:
    if n is None:
        return "—"
    for unit, div in (("GiB", W.GIB), ("MiB", W.MIB), ("KiB", W.KIB)):
        if abs(n) >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n:.0f} B"


def fmt_rate(bps: float | None) -> str:
    return "—" if bps is None else f"{bps / 1e9:.2f} GB/s"


# ---------------------------------------------------------------- runner

SIDE = "side"


def side(entry: tuple | None) -> tuple | None:
    """Marks an alternate() entry as a side command: a peer whose row judges
    nothing or judges by a wide margin (DVC: 0.04-0.16 against a target of
    0.5 in every recorded quick run; rclone: 0.29-0.39 against 1.0), or a
    durable (--fsync, sync) run, an information row. The quick mode runs
    them once (Config.side_repeat): they took half of its time, DVC alone a
    fifth, and the mode must stay under five minutes."""
    return None if entry is None else (*entry, SIDE)


class Runner:
    def __init__(self, cfg: Config, workload: str):
        self.cfg = cfg
        self.workload = workload
        self.series: dict[str, Series] = {}
        self.side_keys: set[str] = set()  # series of side commands (side())

    def s(self, key: str, label: str | None = None) -> Series:
        if key not in self.series:
            self.series[key] = Series(label or key.split("/", 1)[-1])
        return self.series[key]

    def measure(self, key: str, fn, prepare=None, cold: bool = False) -> Result:
        """prepare() (untimed), flush or drop the page cache, then fn() -> Result."""
        if prepare:
            prepare()
        if cold and self.cfg.can_drop:
            drop_caches()
        else:
            sync()
        r = self.s(key).add(fn())
        extra = f", wrote {fmt_bytes(r.written)}" if r.written else ""
        log(f"  [{self.workload}] {key}: {fmt_s(r.wall)}, {r.maxrss_kib / 1024:.0f} MiB{extra}"
            + ("" if r.ok else f"  ERROR {r.error}"))
        return r

    def alternate(self, entries: list[tuple], reps: int | None = None) -> None:
        """entries: (key, fn, prepare, cold) or side((...)); rotate their order
        each repetition. A side entry runs in the first side_repeat
        repetitions only."""
        entries = [e for e in entries if e is not None]
        side_reps = self.cfg.repeat if self.cfg.side_repeat is None else self.cfg.side_repeat
        for rep in range(reps or self.cfg.repeat):
            k = rep % len(entries)
            for entry in entries[k:] + entries[:k]:
                key, fn, prepare, cold = entry[:4]
                if len(entry) > 4 and entry[4] == SIDE:
                    self.side_keys.add(key)
                    if rep >= side_reps:
                        continue
                self.measure(key, fn, prepare, cold)

    def cache_home(self, tag: str = "") -> str:
        """The XDG_CACHE_HOME of the workload's wrapp runs (of those tagged `tag`)."""
        return os.path.join(self.cfg.work_dir, f"xdg-cache-{self.workload}{'-' + tag if tag else ''}")

    def default_cache(self, tag: str = "") -> str:
        """The hash cache wrapp uses without flags in these runs."""
        return os.path.join(self.cache_home(tag), "wrapp", "hash-cache")

    def wrapp(self, *args: str, ok_codes=(0,), cache_tag: str = "") -> Result:
        # Without flags, as users run it: the default hash cache (docs/formats.md), here in the run's
        # folder, never the user's own; a row that measures without a cache says --no-hash-cache.
        env = {**os.environ, "XDG_CACHE_HOME": self.cache_home(cache_tag)}
        return run([self.cfg.wrapp, *args, "--progress-report", "off"], env=env, ok_codes=ok_codes)


def have(cfg: Config, tool: str) -> bool:
    return bool(cfg.tools.get(tool))


def time_row(op, wl, r: Runner, wkey, pkey, target=None, note="", peer_label=None) -> Row:
    """wrapp median / peer median."""
    ws, ps = r.series.get(wkey), r.series.get(pkey)
    wm = ws.median() if ws else None
    pm = ps.median() if ps else None
    plabel = peer_label or (ps.label if ps else pkey)
    if ps is None or not ps.results:
        return Row(op, wl, f"{fmt_s(wm)}", f"{plabel}: unavailable", None, target=target,
                   wrapp_rss_kib=ws.peak_rss_kib() if ws else 0, note=note,
                   verdict="unavailable")
    value = wm / pm if wm is not None and pm else None
    note2 = note
    for key, s in ((wkey, ws), (pkey, ps)):
        if s and key in r.side_keys and len(s.results) < r.cfg.repeat:
            runs = "1 run" if len(s.results) == 1 else f"{len(s.results)} runs"
            note2 = (note2 + "; " if note2 else "") + f"{s.label}: {runs} (a side command)"
    for s in (ws, ps):
        if s and not s.ok:
            note2 = (note2 + "; " if note2 else "") + f"{s.label}: {s.error[:200]}"
    return Row(op, wl, fmt_s(wm), f"{plabel} {fmt_s(pm)}", value, target=target,
               wrapp_rss_kib=ws.peak_rss_kib() if ws else 0,
               peer_rss_kib=ps.peak_rss_kib(), note=note2)


# ---------------------------------------------------------------- DVC peer

class Dvc:
    """A DVC workspace (no git) with a copy of the tree as `data` and a local
    remote; its site cache (hash state) is kept inside the run folder."""

    def __init__(self, exe: str, base: str, src: str):
        self.exe, self.base, self.src = exe, base, src
        self.ws = os.path.join(base, "ws")
        self.env = dict(os.environ, DVC_NO_ANALYTICS="1")

    def _dvc(self, *args: str) -> tuple[list[str], dict]:
        return [self.exe, *args], {"cwd": self.ws, "env": self.env}

    def setup(self) -> bool:
        rm(self.base)
        os.makedirs(self.ws)
        subprocess.run(["cp", "-a", self.src, os.path.join(self.ws, "data")], check=True)
        for args in (["init", "--no-scm", "-q"],
                     ["config", "core.analytics", "false"],
                     ["config", "core.check_update", "false"],
                     ["config", "core.site_cache_dir", os.path.join(self.base, "site")],
                     ["remote", "add", "-d", "local", os.path.join(self.base, "remote")]):
            argv, kw = self._dvc(*args)
            r = run(argv, **kw)
            if not r.ok:
                log(f"  dvc set-up failed: {r.error}")
                return False
        return True

    def reset_add(self) -> None:
        rm(os.path.join(self.ws, "data.dvc"), os.path.join(self.ws, ".dvc", "cache"),
           os.path.join(self.base, "remote"), os.path.join(self.base, "site"))
        if not os.path.isdir(os.path.join(self.ws, "data")):
            subprocess.run(["cp", "-a", self.src, os.path.join(self.ws, "data")], check=True)

    def add_push(self) -> Result:
        return run_steps([self._dvc("add", "-q", "data"), self._dvc("push", "-q")])

    def reset_checkout(self) -> None:
        rm(os.path.join(self.ws, "data"))

    def checkout(self) -> Result:
        argv, kw = self._dvc("checkout", "-q")
        return run(argv, **kw)


# ---------------------------------------------------------------- tree workloads

def reflink_supported(directory: str) -> bool:
    a, b = os.path.join(directory, ".reflink-probe"), os.path.join(directory, ".reflink-probe2")
    with open(a, "wb") as f:
        f.write(b"x" * 4096)
    ok = subprocess.run(["cp", "--reflink=always", a, b], capture_output=True).returncode == 0
    rm(a, b)
    return ok


def bench_tree(cfg: Config, wl: W.Workload, openssl_limit: float | None) -> tuple[list[Row], Runner]:
    """small / big / assets: every operation of the targets table.
    Series keys are "<operation>/<command>"; the label is the command."""
    name, tree = wl.name, wl.main
    src = tree.path
    base = os.path.join(cfg.work_dir, "runs", name)
    rm(base)
    os.makedirs(base)
    P = lambda *p: os.path.join(base, *p)  # noqa: E731
    r = Runner(cfg, name)
    rows: list[Row] = []
    c = str(cfg.concurrency)
    pct = f"{cfg.fraction:.0%}"
    cp_sync = lambda a, b: run(["sh", "-c", 'cp -r "$1" "$2" && sync', "sh", a, b])  # noqa: E731

    # 1. create, no hash cache (page cache dropped when possible) -----------
    dvc = None
    if have(cfg, "dvc"):
        dvc = Dvc(cfg.tools["dvc"], P("dvc"), src)
        if not dvc.setup():
            dvc = None
    log(f"[{name}] create, no hash cache")
    r.alternate([
        ("create/wrapp create", lambda: r.wrapp("create", name, "1", src, "--repo", P("repo_cold"),
                                                "--no-hash-cache"),
         lambda: rm(P("repo_cold")), True),
        ("create/cp -r", lambda: run(["cp", "-r", src, P("cp_dst")]), lambda: rm(P("cp_dst")), True),
        side(("create/cp -r && sync", lambda: cp_sync(src, P("cp_dst")), lambda: rm(P("cp_dst")), True)),
        side(("create/wrapp create --fsync", lambda: r.wrapp("create", name, "1", src, "--repo", P("repo_cold"),
                                                             "--fsync", "--no-hash-cache"),
              lambda: rm(P("repo_cold")), True)),
        side(("create/rsync -a", lambda: run(["rsync", "-a", src + "/", P("rsync_dst") + "/"]),
              lambda: rm(P("rsync_dst")), True) if have(cfg, "rsync") else None),
        side(("create/dvc add+push", dvc.add_push, dvc.reset_add, True) if dvc else None),
    ])
    rm(P("repo_cold"), P("cp_dst"), P("rsync_dst"))
    op = "create, no hash cache"
    rows.append(time_row(op, name, r, "create/wrapp create", "create/cp -r", ("<=", 1.25)))
    rows.append(time_row(op + ", durable", name, r, "create/wrapp create --fsync", "create/cp -r && sync",
                         note="wrapp --fsync (one syncfs before publishing) against cp -r then sync"))
    rows.append(time_row(op, name, r, "create/wrapp create", "create/rsync -a"))
    rows.append(time_row("create vs DVC", name, r, "create/wrapp create", "create/dvc add+push", ("<=", 0.5)))

    # 2. create of the next version after 1% changed, hash cache warm -------
    log(f"[{name}] create next version after {pct} changed, hash cache warm")
    edit = P("edit")
    subprocess.run(["cp", "-a", src, edit], check=True)
    r.measure("next/wrapp create v1 (fills the hash cache)",
              lambda: r.wrapp("create", name, "1", edit, "--repo", P("repo")))
    if have(cfg, "rsync"):
        subprocess.run(["cp", "-a", edit, P("rsync_mirror")], check=True)
    changed, growth = [], []
    for rep in range(cfg.repeat):
        changed.append(W.change_fraction(edit, cfg.fraction, f"{cfg.seed}:{name}:change:{rep}"))
        entries = [("next/wrapp create next", lambda v=str(rep + 2): r.wrapp(
            "create", name, v, edit, "--repo", P("repo")), None, False)]
        if have(cfg, "rsync"):
            entries.append(("next/rsync -a (changes only)", lambda: run(
                ["rsync", "-a", edit + "/", P("rsync_mirror") + "/"]), None, False))
        before = disk_usage(P("repo"))
        r.alternate(entries if rep % 2 == 0 else entries[::-1], reps=1)
        growth.append(disk_usage(P("repo")) - before)
    rm(P("rsync_mirror"))
    op = f"create next, {pct} changed, cache warm"
    avg_files = sum(k for k, _ in changed) / len(changed)
    rows.append(time_row(op, name, r, "next/wrapp create next", "create/cp -r", ("<=", 0.10),
                         note=f"{avg_files:.0f} files changed; peer: cp -r of the whole tree"))
    rows.append(time_row(op, name, r, "next/wrapp create next", "next/rsync -a (changes only)"))
    ws = r.series["next/wrapp create next"]
    wb = ws.median("written")
    changed_share = sum(b for _, b in changed) / len(changed) / tree.bytes
    rows.append(Row("create next: bytes written", name, fmt_bytes(wb), f"tree {fmt_bytes(tree.bytes)}",
                    wb / tree.bytes if wb is not None else None, target=("<=", 0.02),
                    wrapp_rss_kib=ws.peak_rss_kib(),
                    note=f"write_bytes of the process, data and metadata; "
                         f"the changed files hold {changed_share:.1%} of the tree's bytes"))
    g = sorted(growth)[len(growth) // 2]
    rows.append(Row("create next: repository growth (du)", name, fmt_bytes(g), f"tree {fmt_bytes(tree.bytes)}",
                    g / tree.bytes, note="allocated blocks added to the repository, each inode once"))

    # 3. install into an empty folder (page cache dropped when possible) ----
    log(f"[{name}] install into an empty folder")
    ver = P("repo", ".packages", name, "1")
    r.alternate([
        # Each from an empty cache: a fresh install on a machine that never saw these files.
        ("install/wrapp install", lambda: r.wrapp("install", name, "1", P("dst_wrapp"), "--repo", P("repo")),
         lambda: rm(P("dst_wrapp"), r.default_cache()), True),
        ("install/cp -r", lambda: run(["cp", "-r", ver, P("dst_cp")]), lambda: rm(P("dst_cp")), True),
        side(("install/cp -r && sync", lambda: cp_sync(ver, P("dst_cp")), lambda: rm(P("dst_cp")), True)),
        side(("install/wrapp install --fsync", lambda: r.wrapp(
            "install", name, "1", P("dst_fsync"), "--repo", P("repo"), "--fsync"),
              lambda: rm(P("dst_fsync")), True)),
        side(("install/rsync -a", lambda: run(["rsync", "-a", ver + "/", P("dst_rsync") + "/"]),
              lambda: rm(P("dst_rsync")), True) if have(cfg, "rsync") else None),
        side(("install/rclone copy", lambda: run(["rclone", "copy", "--transfers", c, "--checkers", c,
                                                  ver, P("dst_rclone")]),
              lambda: rm(P("dst_rclone")), True) if have(cfg, "rclone") else None),
        side(("install/dvc checkout", dvc.checkout, dvc.reset_checkout, True) if dvc else None),
    ])
    op = "install into empty folder"
    rows.append(time_row(op, name, r, "install/wrapp install", "install/cp -r", ("<=", 1.10),
                         note="peer: cp -r of the repository version"))
    rows.append(time_row(op + ", durable", name, r, "install/wrapp install --fsync", "install/cp -r && sync",
                         note="wrapp --fsync against cp -r then sync"))
    rows.append(time_row(op, name, r, "install/wrapp install", "install/rsync -a"))
    rows.append(time_row(op, name, r, "install/wrapp install", "install/rclone copy", note=f"--transfers {c}"))
    rows.append(time_row("install vs DVC", name, r, "install/wrapp install", "install/dvc checkout",
                         ("<=", 0.5)))

    log(f"[{name}] install --link-mode hardlink")
    r.alternate([
        ("hardlink/wrapp install --link-mode hardlink", lambda: r.wrapp(
            "install", name, "1", P("dst_hl"), "--repo", P("repo"), "--link-mode", "hardlink", cache_tag="hl"),
         lambda: rm(P("dst_hl"), r.default_cache("hl")), True),
        ("hardlink/cp -al", lambda: run(["cp", "-al", ver, P("dst_cpal")]), lambda: rm(P("dst_cpal")), True),
    ])
    rm(P("dst_hl"), P("dst_cpal"), r.cache_home("hl"))
    op = "install --link-mode hardlink"
    rows.append(time_row(op, name, r, "hardlink/wrapp install --link-mode hardlink", "install/cp -r",
                         ("<=", 0.20), note="peer: cp -r of the repository version"))
    rows.append(time_row(op, name, r, "hardlink/wrapp install --link-mode hardlink", "hardlink/cp -al", ("<=", 1.2),
                         note="issue 10's target; a link shares the repository's file and hashes nothing (docs/design.md)"))

    if reflink_supported(base):
        log(f"[{name}] install --link-mode reflink")
        r.alternate([("reflink/wrapp install --link-mode reflink", lambda: r.wrapp(
            "install", name, "1", P("dst_rl"), "--repo", P("repo"), "--link-mode", "reflink"),
            lambda: rm(P("dst_rl")), True)])
        rs = r.series["reflink/wrapp install --link-mode reflink"]
        wb = rs.median("written")
        rows.append(Row("install --link-mode reflink: bytes written", name, fmt_bytes(wb),
                        f"tree {fmt_bytes(tree.bytes)}", wb / tree.bytes if wb is not None else None,
                        target=("<=", 0.01), wrapp_rss_kib=rs.peak_rss_kib(),
                        note="no data copied: at most 1% of the tree (metadata)"))
        rm(P("dst_rl"))
    else:
        rows.append(Row("install --link-mode reflink", name, "—", "—", None, verdict="N/A",
                        note="the work dir's file system has no reflink"))

    # 4. install of the version already installed (hash cache warm) ---------
    log(f"[{name}] install of the version already installed")
    r.alternate([
        ("noop/wrapp install (no-op)", lambda: r.wrapp(
            "install", name, "1", P("dst_wrapp"), "--repo", P("repo")), None, False),
        ("noop/rsync -a (no changes)", lambda: run(["rsync", "-a", ver + "/", P("dst_rsync") + "/"]),
         None, False) if have(cfg, "rsync") else None,
    ])
    op = "install, already installed"
    rows.append(time_row(op, name, r, "noop/wrapp install (no-op)", "install/wrapp install", ("<=", 0.05),
                         peer_label="fresh wrapp install"))
    rows.append(time_row(op, name, r, "noop/wrapp install (no-op)", "noop/rsync -a (no changes)"))

    # 5. status of the unchanged install (hash cache warm) ------------------
    log(f"[{name}] status of an unchanged install")
    dst = P("dst_wrapp")
    r.alternate([
        ("status/wrapp status", lambda: r.wrapp("status", os.path.join(dst, f".{name}.wrapp")), None, False),
        ("status/find -printf", lambda: run(["find", dst, "-type", "f", "-printf", r"%s %T@\n"]),
         None, False),
        ("status/rclone check --size-only", lambda: run(
            ["rclone", "check", "--size-only", "--checkers", c, ver, P("dst_rclone")]),
         None, False) if have(cfg, "rclone") else None,
    ])
    op = "status, unchanged, cache warm"
    rows.append(time_row(op, name, r, "status/wrapp status", "status/find -printf", ("<=", 2.0),
                         note="find DEST -type f -printf '%s %T@\\n'"))
    rows.append(time_row(op, name, r, "status/wrapp status", "status/rclone check --size-only"))
    rm(P("dst_cp"), P("dst_rsync"), P("dst_rclone"), P("dst_fsync"))

    # 6. install update after 1% changed: version k -> k+1 ------------------
    log(f"[{name}] install update after {pct} changed")
    r.measure("update/wrapp install v1 (set-up)", lambda: r.wrapp(
        "install", name, "1", P("dst_update"), "--repo", P("repo")))
    for rep in range(cfg.repeat):
        r.measure("update/wrapp install next version", lambda v=str(rep + 2): r.wrapp(
            "install", name, v, P("dst_update"), "--repo", P("repo")))
    rm(P("dst_update"))
    rows.append(time_row(f"install update, {pct} changed", name, r, "update/wrapp install next version",
                         "install/wrapp install", ("<=", 0.10), peer_label="fresh wrapp install"))

    # 7. catalog, no hash cache: page cache warm (hashing limit), then dropped
    log(f"[{name}] catalog, no hash cache")
    run(["find", src, "-type", "f", "-exec", "cat", "{}", "+"])  # warm the page cache
    r.alternate([("catalog/wrapp catalog", lambda: r.wrapp("catalog", src, P("catalog.json"),
                                                                       "--no-hash-cache"), None, False)])
    cs = r.series["catalog/wrapp catalog"]
    cm = cs.median()
    rate = tree.bytes / cm if cm else None
    rows.append(Row("catalog, no hash cache, page cache warm", name, fmt_rate(rate),
                    f"OpenSSL SHA-256 × {os.cpu_count()} cores {fmt_rate(openssl_limit)}",
                    rate / openssl_limit if rate and openssl_limit else None,
                    target=(">=", 0.8) if name == "big" else None, wrapp_rss_kib=cs.peak_rss_kib(),
                    note=f"median {fmt_s(cm)}"))
    if cfg.can_drop:
        r.alternate([
            ("catalog/wrapp catalog (page cache dropped)",
             lambda: r.wrapp("catalog", src, P("catalog.json"), "--no-hash-cache"), None, True),
            ("catalog/read all (find -exec cat)",
             lambda: run(["find", src, "-type", "f", "-exec", "cat", "{}", "+"]), None, True),
        ])
        rows.append(time_row("catalog, no hash cache, page cache dropped", name, r,
                             "catalog/wrapp catalog (page cache dropped)", "catalog/read all (find -exec cat)",
                             ("<=", 1.2) if name == "big" else None))

    # 8. mirror local to local, same concurrency ------------------------------
    log(f"[{name}] mirror")
    r.alternate([
        ("mirror/wrapp mirror", lambda: r.wrapp("mirror", name, "1", P("repo"), P("mirror_wrapp"), "--ftj", c),
         lambda: rm(P("mirror_wrapp")), True),
        side(("mirror/rclone copy", lambda: run(["rclone", "copy", "--transfers", c, "--checkers", c, ver,
                                                 P("mirror_rclone", ".packages", name, "1")]),
              lambda: rm(P("mirror_rclone")), True) if have(cfg, "rclone") else None),
        # The copy limit: the version folder as cp copies it (issue 10: ≤ 1.1 × this).
        ("mirror/cp -r of the version", lambda: run(["cp", "-r", ver, P("mirror_cp")]),
         lambda: rm(P("mirror_cp")), True),
    ])
    rows.append(time_row("mirror local to local", name, r, "mirror/wrapp mirror", "mirror/rclone copy",
                         ("<=", 1.0), note=f"wrapp --ftj {c}; rclone --transfers {c} --checkers {c}"))
    rows.append(time_row("mirror local to local", name, r, "mirror/wrapp mirror", "mirror/cp -r of the version",
                         ("<=", 1.1), note=f"wrapp --ftj {c}; every byte verified against the catalog"))
    rm(base)
    return [row.judge() for row in rows], r


# ---------------------------------------------------------------- huge-count

def rss_target_per_file(files: int) -> float:
    """Issue 10's target is 300 B/file at 1,000,000 files (full size). At the
    quick size's 100,000 files the fixed base of the process (about 13 MiB,
    130 B/file there) weighs too much for it, so quick checks 600."""
    return 300.0 if files >= 1_000_000 else 600.0


def bench_huge(cfg: Config, wl: W.Workload) -> tuple[list[Row], Runner]:
    """catalog and status of trees of growing file counts: peak memory per
    file, and how time grows compared with n log n."""
    name = wl.name
    base = os.path.join(cfg.work_dir, "runs", name)
    rm(base)
    os.makedirs(base)
    P = lambda *p: os.path.join(base, *p)  # noqa: E731
    r = Runner(cfg, name)
    rows: list[Row] = []
    counts = wl.params["counts"]
    for n in counts:
        tree = wl.trees[f"n{n}"]
        log(f"[{name}] {n:,} files")
        repo, dst = P(f"repo{n}"), P(f"dst{n}")
        # Caches of each size's own: one for the tree (create, catalog), one for the install (install,
        # status). In one cache, the tree's and the install's entries are twice the default bound at
        # 1,000,000 files: each command's save would drop the other's, and every run would hash the
        # whole tree (docs/performance.md shows that case too).
        r.measure(f"n{n}/wrapp create (set-up)", lambda: r.wrapp("create", name, "1", tree.path, "--repo", repo,
                                                                 cache_tag=f"n{n}-tree"))
        r.measure(f"n{n}/cp -r", lambda: run(["cp", "-r", tree.path, P("cp_dst")]), lambda: rm(P("cp_dst")))
        rm(P("cp_dst"))
        r.measure(f"n{n}/wrapp install (set-up)", lambda: r.wrapp(
            "install", name, "1", dst, "--repo", repo, cache_tag=f"n{n}-install"))
        r.alternate([
            (f"n{n}/wrapp catalog", lambda: r.wrapp("catalog", tree.path, P("catalog.json"),
                                                    cache_tag=f"n{n}-tree"), None, False),
            (f"n{n}/wrapp status", lambda: r.wrapp("status", os.path.join(dst, f".{name}.wrapp"),
                                                   cache_tag=f"n{n}-install"), None, False),
            (f"n{n}/find -printf", lambda: run(["find", dst, "-type", "f", "-printf", r"%s %T@\n"]),
             None, False),
        ])
        largest = n == counts[-1]
        for what in ("catalog", "status"):
            s = r.series[f"n{n}/wrapp {what}"]
            per_file = s.peak_rss_kib() * 1024 / n
            rows.append(Row(f"{what}: peak RSS per file", f"huge {n:,}",
                            f"{s.peak_rss_kib() / 1024:.1f} MiB", f"{n:,} files",
                            per_file if s.ok else None, unit="B/file",
                            target=("<=", rss_target_per_file(n)) if largest else None,
                            wrapp_rss_kib=s.peak_rss_kib(),
                            note=f"median {fmt_s(s.median())}" + ("" if s.ok else f"; {s.error[:200]}")))
        rows.append(time_row("status, unchanged, cache warm", f"huge {n:,}", r, f"n{n}/wrapp status",
                             f"n{n}/find -printf", ("<=", 2.0)))
        rows.append(time_row("create (one run each)", f"huge {n:,}", r, f"n{n}/wrapp create (set-up)",
                             f"n{n}/cp -r"))
        # Issue 10's scale target: an install of the largest tree within 1.3 × cp -r of it (the
        # issue names 1,000,000 files; quick mode judges its largest, 100,000).
        rows.append(time_row("install into empty folder (one run each)", f"huge {n:,}", r,
                             f"n{n}/wrapp install (set-up)", f"n{n}/cp -r", ("<=", 1.3) if largest else None,
                             note="issue 10's scale target at the largest tree"))
        rm(repo, dst, r.cache_home(f"n{n}-tree"), r.cache_home(f"n{n}-install"))
    # growth from the smallest to the largest tree, relative to n log n
    n0, n1 = counts[0], counts[-1]
    nlogn = (n1 * math.log(n1)) / (n0 * math.log(n0))
    for what in ("catalog", "status", "create (set-up)", "install (set-up)"):
        s0, s1 = r.series[f"n{n0}/wrapp {what}"], r.series[f"n{n1}/wrapp {what}"]
        t0, t1 = s0.median(), s1.median()
        growth = (t1 / t0) / nlogn if t0 and t1 else None
        rows.append(Row(f"{what.split()[0]}: time growth / n log n", f"huge {n0:,}→{n1:,}",
                        f"{fmt_s(t0)} → {fmt_s(t1)}", f"n log n ×{nlogn:.1f}", growth,
                        # Issue 10: status and create grow no faster than n log n.
                        target=("<=", 1.0) if what in ("catalog", "status", "create (set-up)") else None,
                        note=(f"time ×{t1 / t0:.1f}" if t0 and t1 else "")
                        + ("" if what in ("catalog", "status") else "; one run each")))
        if what not in ("catalog", "status"):
            continue
        r0, r1 = s0.peak_rss_kib() * 1024, s1.peak_rss_kib() * 1024
        rows.append(Row(f"{what}: marginal RSS per file", f"huge {n0:,}→{n1:,}",
                        f"{r0 / W.MIB:.1f} → {r1 / W.MIB:.1f} MiB", f"{n1 - n0:,} files",
                        (r1 - r0) / (n1 - n0), unit="B/file",
                        note="(RSS(n1) - RSS(n0)) / (n1 - n0): memory per file without the fixed base"))
    rm(base)
    return [row.judge() for row in rows], r
