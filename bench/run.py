#!/usr/bin/env python3
"""wrapp benchmark suite.

    bash bench/setup.sh              # peers: rsync, rclone (apt), dvc (pip, bench/.venv)
    python3 bench/run.py --quick     # scaled-down run, under five minutes on 2 cores
    python3 bench/run.py             # the full workloads of docs/performance.md

Generates the workloads from a seed, runs every operation for wrapp and its
peers (alternating, --repeat times), prints a Markdown table of medians,
ratios, targets and peak memory, and writes everything as JSON.
Python 3.11 standard library only.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from wrappbench import operations as ops  # noqa: E402
from wrappbench import report  # noqa: E402
from wrappbench import workloads as W  # noqa: E402
from wrappbench.measure import drop_caches, empty_trash_in_background, tool_output, use_trash  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)


def find_tools() -> dict[str, str | None]:
    tools = {t: shutil.which(t) for t in ("cp", "find", "rsync", "rclone", "openssl")}
    venv_dvc = os.path.join(HERE, ".venv", "bin", "dvc")
    tools["dvc"] = venv_dvc if os.access(venv_dvc, os.X_OK) else shutil.which("dvc")
    return tools


def find_wrapp(arg: str | None) -> str:
    if arg:
        return os.path.abspath(arg) if os.path.sep in arg else (shutil.which(arg) or arg)
    built = os.path.join(REPO_ROOT, "build", "wrapp")
    return built if os.access(built, os.X_OK) else (shutil.which("wrapp") or "wrapp")


def pin_wrapp(path: str, work_dir: str) -> tuple[str, dict]:
    """Copy the binary into the work dir, so that a rebuild during the run
    cannot mix two versions, stripped of its symbol table as setup.sh
    installs it (a cold start reads the whole file); describe what was
    measured."""
    with open(path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    strip = shutil.which("strip")
    pinned = os.path.join(work_dir, "bin", f"wrapp-{digest[:12]}" + ("-stripped" if strip else ""))
    if not os.path.exists(pinned):
        os.makedirs(os.path.dirname(pinned), exist_ok=True)
        shutil.copy2(path, pinned + ".tmp")
        if strip:
            subprocess.run([strip, "--strip-all", pinned + ".tmp"], check=True)
        os.replace(pinned + ".tmp", pinned)
    info = {"path": path, "sha256": digest, "stripped": bool(strip), "version": tool_output([pinned, "--version"])}
    if os.path.realpath(path) == os.path.realpath(os.path.join(REPO_ROOT, "build", "wrapp")):
        info["commit"] = tool_output(["git", "-C", REPO_ROOT, "rev-parse", "--short", "HEAD"])
        dirty = tool_output(["git", "-C", REPO_ROOT, "status", "--porcelain", "--", "src", "CMakeLists.txt"])
        info["source_modified"] = bool(dirty)
    return pinned, info


def openssl_sha256_rate(openssl: str | None, seconds: int) -> float | None:
    """Single-core SHA-256 rate in bytes/s on 1 MiB blocks."""
    if not openssl:
        return None
    out = tool_output([openssl, "speed", "-seconds", str(seconds), "-bytes", "1048576", "sha256"])
    m = re.search(r"^sha256\s+([\d.]+)k\s*$", out, re.M)
    return float(m.group(1)) * 1000 if m else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="scaled-down workloads (see docs/performance.md)")
    ap.add_argument("--workloads", default=",".join(W.ALL_WORKLOADS),
                    help=f"comma-separated subset of {','.join(W.ALL_WORKLOADS)} (huge-count = huge)")
    ap.add_argument("--repeat", type=int, help="repetitions of each measurement (default 3 quick, 5 full)")
    ap.add_argument("--side-repeat", type=int,
                    help="repetitions of the side commands: DVC, rsync, rclone and the --fsync runs "
                         "(default 1 quick, --repeat full)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the workload contents (default 1)")
    ap.add_argument("--work-dir", default=os.environ.get("WRAPP_BENCH_DIR", "/var/tmp/wrapp-bench"),
                    help="where workloads are generated and runs happen (default /var/tmp/wrapp-bench)")
    ap.add_argument("--json", help="results file (default WORK_DIR/results-quick.json or results-full.json)")
    ap.add_argument("--wrapp", help="wrapp binary (default build/wrapp, else wrapp on PATH)")
    ap.add_argument("--concurrency", type=int, default=8,
                    help="mirror concurrency: wrapp --ftj N and rclone --transfers/--checkers N (default 8)")
    ap.add_argument("--print-json", metavar="FILE", help="only print the table of an earlier results file")
    ap.add_argument("--compare", metavar="FILE",
                    help="results file to compare with (default: the results file this run replaces)")
    ap.add_argument("--no-compare", action="store_true", help="no comparison with an earlier run")
    args = ap.parse_args()
    if args.print_json:
        with open(args.print_json) as f:
            data = json.load(f)
        rows = [report.row_from_json(r) for r in data["rows"]]
        print(report.table(rows) + f"\n\nTargets: {report.summary(rows)}")
        if args.compare:  # this file against another
            with open(args.compare) as f:
                print("\n" + "\n".join(report.comparison_lines(report.compare(json.load(f), data["rows"]))))
        elif data.get("comparison"):
            print("\n" + "\n".join(report.comparison_lines(data["comparison"])))
        return 0

    t_start = time.perf_counter()
    mode = "quick" if args.quick else "full"
    repeat = args.repeat or (3 if args.quick else 5)
    if args.side_repeat is not None and args.side_repeat < 1:
        ap.error("--side-repeat must be 1 or more")
    side_repeat = min(repeat, args.side_repeat or (1 if args.quick else repeat))
    names = [("huge" if n.strip() == "huge-count" else n.strip()) for n in args.workloads.split(",") if n.strip()]
    for n in names:
        if n not in W.PARAMS:
            ap.error(f"unknown workload {n!r}; choose from {', '.join(W.ALL_WORKLOADS)}")
    work_dir = os.path.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    json_path = args.json or os.path.join(work_dir, f"results-{mode}.json")
    # The run this one is compared with, read before this one replaces it.
    previous = None
    compare_path = args.compare or json_path
    if not args.no_compare and os.path.exists(compare_path):
        try:
            with open(compare_path) as f:
                previous = json.load(f)
        except (OSError, ValueError) as e:
            ops.log(f"note: cannot read {compare_path} to compare with ({e}); no comparison")

    wrapp_src = find_wrapp(args.wrapp)
    if not os.access(wrapp_src, os.X_OK):
        print(f"error: wrapp binary not found ({wrapp_src}); run ./setup.sh or pass --wrapp", file=sys.stderr)
        return 1
    # removed trees go to a trash folder, emptied when space runs low and,
    # in the background, after the run; what an earlier run left is removed
    # first, before anything is measured (the OpenSSL rate too)
    use_trash(os.path.join(work_dir, "trash"))
    wrapp, wrapp_build = pin_wrapp(wrapp_src, work_dir)
    tools = find_tools()
    for t in ("rsync", "rclone", "dvc", "openssl"):
        if not tools[t]:
            ops.log(f"note: {t} is unavailable (run bash bench/setup.sh); its rows say 'unavailable'")
    can_drop = drop_caches()
    cache_note = ("page cache dropped (sync; echo 3 > /proc/sys/vm/drop_caches) before every 'cold' run"
                  if can_drop else "warm cache: the page cache could not be dropped (no privilege)")
    machine = report.machine_info(work_dir, tools, wrapp)
    machine["wrapp_build"] = wrapp_build
    machine["loadavg_start"] = os.getloadavg()
    ops.log(f"wrapp benchmark, {mode} mode, {repeat} repetitions ({side_repeat} of side commands), "
            f"seed {args.seed}, work dir {work_dir}")
    ops.log(f"{cache_note}")

    rate = openssl_sha256_rate(tools["openssl"], 1 if args.quick else 2)
    nproc = os.cpu_count() or 1
    limit = rate * nproc if rate else None
    ops.log(f"OpenSSL SHA-256 single core: {ops.fmt_rate(rate)}; limit × {nproc} cores: {ops.fmt_rate(limit)}")

    cfg = ops.Config(wrapp=wrapp, quick=args.quick, repeat=repeat, seed=args.seed, work_dir=work_dir,
                     concurrency=args.concurrency, can_drop=can_drop, tools=tools, side_repeat=side_repeat)
    rows: list[ops.Row] = []
    wl_json: dict[str, dict] = {}
    for name in names:
        t0 = time.perf_counter()
        wl = W.prepare(name, mode, args.seed, work_dir, log=ops.log)
        t_gen = time.perf_counter() - t0
        if name == "huge":
            wl_rows, runner = ops.bench_huge(cfg, wl)
        else:
            wl_rows, runner = ops.bench_tree(cfg, wl, limit)
        rows += wl_rows
        wl_json[name] = {"description": W.describe(name, mode), "params": wl.params,
                         "trees": {k: vars(t) for k, t in wl.trees.items()},
                         "generate_or_reuse_s": round(t_gen, 3),
                         "run_s": round(time.perf_counter() - t0 - t_gen, 3),
                         "series": {k: s.to_json() for k, s in runner.series.items()}}
        ops.log(f"[{name}] done in {time.perf_counter() - t0:.0f} s")

    machine["loadavg_end"] = os.getloadavg()  # before emptying the trash
    # Not part of the run's time: the next run waits for it (measure.use_trash).
    emptying = empty_trash_in_background()
    total = time.perf_counter() - t_start
    out = [f"## wrapp benchmark: {mode} mode, {repeat} repetitions ({side_repeat} of side commands), "
           f"seed {args.seed}, {total:.0f} s", ""]
    out += report.machine_lines(machine, cache_note)
    out.append("- load average (1, 5, 15 min) at start {} and end {}".format(
        *(" / ".join(f"{x:.2f}" for x in machine[k]) for k in ("loadavg_start", "loadavg_end"))))
    wb = wrapp_build
    out.append(f"- wrapp binary {wb['path']} (sha256 {wb['sha256'][:12]}"
               + (f", commit {wb['commit']}{' + uncommitted source changes' if wb.get('source_modified') else ''}"
                  if "commit" in wb else "")
               + (", run stripped as setup.sh installs it" if wb.get("stripped") else "") + ")")
    out.append(f"- OpenSSL SHA-256 (1 MiB blocks): {ops.fmt_rate(rate)} per core, "
               f"limit {ops.fmt_rate(limit)} on {nproc} cores")
    for name in names:
        out.append(f"- workload {name}: {wl_json[name]['description']}")
    out += ["", "Medians of the repetitions; ratio = wrapp / compared command unless a unit is shown.", "",
            report.table(rows), "", f"Targets: {report.summary(rows)}", ""]
    row_dicts = [report.row_json(r) for r in rows]
    comparison = report.compare(previous, row_dicts) if previous else None
    if comparison:
        comparison["previous_file"] = compare_path
        out += report.comparison_lines(comparison) + [""]
    print("\n".join(out))

    report.write_json(json_path, {
        "mode": mode, "repeat": repeat, "side_repeat": side_repeat, "seed": args.seed,
        "duration_s": round(total, 1),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "comparison": comparison,
        "page_cache_dropped": can_drop, "machine": machine,
        "openssl_sha256_bytes_per_s": {"single_core": rate, "limit": limit, "cores": nproc},
        "concurrency": args.concurrency, "workloads": wl_json,
        "rows": row_dicts})
    ops.log(f"results written to {json_path}; total {total:.0f} s")
    if emptying:
        ops.log(f"the trash ({emptying}) is being removed in the background; the next run waits for it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
