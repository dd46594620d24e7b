"""Machine description, the results table (Markdown) and the JSON file."""
from __future__ import annotations

import json
import os
import platform
import re

from .measure import tool_output
from .operations import Row, fmt_bytes


def machine_info(work_dir: str, tools: dict[str, str | None], wrapp: str) -> dict:
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            cpu = m.group(1).strip() if m else ""
    except OSError:
        pass
    mem = 0
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.M)
            mem = int(m.group(1)) * 1024 if m else 0
    except OSError:
        pass
    fs_stat = tool_output(["stat", "-f", "-c", "%T", work_dir])
    df = tool_output(["df", "-T", work_dir]).splitlines()
    fs_df = df[-1].split()[1] if len(df) > 1 else ""
    versions = {
        "wrapp": tool_output([wrapp, "--version"]).splitlines()[0] if wrapp else "",
        "cp": tool_output(["cp", "--version"]).splitlines()[0],
        "find": tool_output(["find", "--version"]).splitlines()[0],
        "python": platform.python_version(),
    }
    for name, argv in (("rsync", ["--version"]), ("rclone", ["version"]), ("dvc", ["--version"]),
                       ("openssl", ["version"])):
        exe = tools.get(name)
        versions[name] = tool_output([exe, *argv]).splitlines()[0] if exe else "unavailable"
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_bytes": mem,
            "memory": fmt_bytes(mem), "kernel": platform.release(),
            "work_dir": work_dir, "filesystem": fs_df or fs_stat, "filesystem_stat_f": fs_stat,
            "tools": versions}


def machine_lines(m: dict, cache_note: str) -> list[str]:
    t = m["tools"]
    return [
        f"- CPU: {m['cpu']}, {m['nproc']} cores; memory {m['memory']}; kernel {m['kernel']}",
        f"- work dir {m['work_dir']} on {m['filesystem']}; {cache_note}",
        "- " + "; ".join(f"{k} {v}" for k, v in t.items()),
    ]


def fmt_value(row: Row) -> str:
    if row.value is None:
        return "—"
    if row.unit == "x":
        return f"{row.value:.3f}" if row.value < 1 else f"{row.value:.2f}"
    return f"{row.value:.0f} {row.unit}"


def fmt_target(row: Row) -> str:
    if row.target is None:
        return ""
    cmp, lim = row.target
    sym = "≤" if cmp == "<=" else "≥"
    return f"{sym} {lim:g}" + ("" if row.unit == "x" else f" {row.unit}")


def fmt_rss(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB" if kib else ""


def table(rows: list[Row], only_targets: bool = False) -> str:
    head = ["operation", "workload", "wrapp", "compared with", "ratio / value", "target", "result",
            "wrapp peak RSS", "peer peak RSS", "note"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        if only_targets and r.target is None and r.verdict not in ("N/A", "unavailable"):
            continue
        cells = [r.op, r.workload, r.wrapp, r.peer, fmt_value(r), fmt_target(r),
                 f"**{r.verdict}**" if r.verdict in ("PASS", "FAIL", "ERROR") else r.verdict,
                 fmt_rss(r.wrapp_rss_kib), fmt_rss(r.peer_rss_kib), r.note]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(out)


def summary(rows: list[Row]) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        if r.target is not None or r.verdict in ("ERROR", "unavailable", "N/A"):
            counts[r.verdict] = counts.get(r.verdict, 0) + 1
    return ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))


def write_json(path: str, data: dict) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(data, f, indent=1, default=str)
    os.replace(path + ".tmp", path)


def row_json(r: Row) -> dict:
    return {"operation": r.op, "workload": r.workload, "wrapp": r.wrapp, "compared_with": r.peer,
            "value": r.value, "unit": r.unit,
            "target": None if r.target is None else {"cmp": r.target[0], "limit": r.target[1]},
            "result": r.verdict, "wrapp_peak_rss_kib": r.wrapp_rss_kib,
            "peer_peak_rss_kib": r.peer_rss_kib, "note": r.note}


def row_from_json(d: dict) -> Row:
    t = d.get("target")
    return Row(d["operation"], d["workload"], d["wrapp"], d["compared_with"], d["value"], d["unit"],
               None if t is None else (t["cmp"], t["limit"]), d["wrapp_peak_rss_kib"],
               d["peer_peak_rss_kib"], d["note"], d["result"])
