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


# --- comparison with the previous recorded run ---------------------------------

def _lower_is_better(d: dict) -> bool:
    """Which way a row improves: its target's, else times and sizes down, rates up (a rate row's ratio is
    wrapp's rate over the limit's: the wrapp column shows the rate)."""
    t = d.get("target")
    if t:
        return t["cmp"] == "<="
    return not ((d.get("unit") or "").endswith("/s") or (d.get("wrapp") or "").endswith("/s"))


def _keyed(rows: list[dict]) -> dict[tuple, dict]:
    """Rows by (operation, workload, n-th of that pair): the suite emits them in a fixed order, and the
    peer's label holds its own time, so it cannot be part of the key."""
    seen: dict[tuple, int] = {}
    out = {}
    for d in rows:
        pair = (d["operation"], d["workload"])
        n = seen.get(pair, 0)
        seen[pair] = n + 1
        out[pair + (n,)] = d
    return out


def compare(previous: dict, rows: list[dict], threshold: float = 1.25) -> dict:
    """What changed since `previous` (an earlier results file): every row whose verdict changed, and
    every value that moved by more than `threshold` (either way), marked regression or improvement."""
    before = _keyed(previous.get("rows", []))
    changes = []
    for key, now in _keyed(rows).items():
        old = before.get(key)
        if not old:
            continue
        a, b = old.get("value"), now.get("value")
        factor = b / a if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a > 0 else None
        worse = None
        if factor is not None and max(factor, 1 / factor if factor > 0 else float("inf")) > threshold:
            worse = (factor > 1) == _lower_is_better(now)
        verdict_changed = old.get("result") != now.get("result") and now.get("target") is not None
        if worse is None and not verdict_changed:
            continue
        kind = "regression" if worse else "improvement" if worse is False else "verdict"
        if verdict_changed and old.get("result") == "PASS":
            kind = "regression"
        changes.append({"operation": now["operation"], "workload": now["workload"],
                        "compared_with": now["compared_with"], "previous": old.get("value"),
                        "now": b, "unit": now.get("unit"), "factor": factor,
                        "previous_result": old.get("result"), "result": now.get("result"), "kind": kind})
    build = previous.get("machine", {}).get("wrapp_build", {})
    return {"previous_commit": build.get("commit"), "previous_sha256": (build.get("sha256") or "")[:12],
            "previous_date": previous.get("date"), "threshold": threshold, "rows": changes,
            "regressions": sum(c["kind"] == "regression" for c in changes)}


def comparison_lines(c: dict) -> list[str]:
    name = c["previous_commit"] or c["previous_sha256"] or "unknown binary"
    when = f", {c['previous_date']}" if c.get("previous_date") else ""
    out = [f"Compared with the previous run ({name}{when}): {c['regressions']} regressions; rows whose "
           f"verdict changed or whose value moved by more than {c['threshold']:g}×:", ""]
    if not c["rows"]:
        return out + ["(none)"]
    out += ["| operation | workload | compared with | previous | now | change | result |", "|" + "---|" * 7]

    def num(v, unit):
        if not isinstance(v, (int, float)):
            return "—"
        return (f"{v:.3f}" if v < 1 else f"{v:.2f}") if unit == "x" else f"{v:.0f} {unit}"

    for r in c["rows"]:
        change = f"×{r['factor']:.2f}" if r["factor"] is not None else "—"
        result = r["result"] if r["previous_result"] == r["result"] else f"{r['previous_result']} → {r['result']}"
        cells = [r["operation"], r["workload"], r["compared_with"], num(r["previous"], r["unit"]),
                 num(r["now"], r["unit"]), change, f"**{r['kind']}**: {result}" if r["kind"] == "regression"
                 else f"{r['kind']}: {result}"]
        out.append("| " + " | ".join(str(x).replace("|", "\\|") for x in cells) + " |")
    return out
