"""The reference's example programs (python/tests/examples, see its __init__) run as subprocesses on
real temporary folders: their output and what they leave in the repository.

Each runs as ``python -m examples.<name>`` from python/tests, with the ``wrapp`` package this test
imports. The locations come from the examples' own inputs: HOST_URL (the "server", a local folder's
file:// URL) and, for example_simple, argv[1] (the source folder). example_complex's progress table is
rendered by rich; TTY_COMPATIBLE/TTY_INTERACTIVE make rich draw it into the captured output as on a
terminal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

import wrapp

TESTS_DIR = Path(__file__).resolve().parent
WRAPP_BIN = os.environ.get("WRAPP_BIN") or shutil.which("wrapp") or "/usr/local/bin/wrapp"


def _environment(host_url: str, **extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    package_root = str(Path(wrapp.__file__).resolve().parent.parent)  # the wrapp this test imports
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    env.update({"HOST_URL": host_url, "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "COLUMNS": "160"})
    env.update(extra)
    return env


def run_python(args: List[str], host_url: str, **extra: str) -> subprocess.CompletedProcess:
    """Run python with args in python/tests (so ``examples`` is the package), capturing the output.

    The output is returned without rich's terminal control sequences (rich's Live display redraws
    below each printed line).
    """
    done = subprocess.run([sys.executable, *args], cwd=TESTS_DIR, env=_environment(host_url, **extra),
                          capture_output=True, text=True, timeout=180)
    done.stdout = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\r", "", done.stdout)
    return done


def list_repo(repository: Path) -> Dict[str, List[str]]:
    """``wrapp list-repo REPO --json`` as {package name: versions}."""
    done = subprocess.run([WRAPP_BIN, "list-repo", str(repository), "--json", "--progress-report", "off"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return {entry["name"]: entry["versions"] for entry in json.loads(done.stdout)}


def make_files(root: Path, files: Dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def describe(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# --- example_simple: the ContextManager example -----------------------------------------------------


def _repository_holding(start: Path, package: str, version: str) -> Optional[Path]:
    """The nearest folder at or above start whose .packages holds package/version."""
    for folder in (start, *start.parents):
        if (folder / ".packages" / package / version / f".{package}.wrapp").is_file():
            return folder
    return None


def test_example_simple_creates_a_version(tmp_path: Path):
    server = tmp_path / "server"
    source = make_files(server / "Projects", {"scene.usda": "#usda 1.0\n", "textures/wood.png": "png"})
    # The example names no repository: wrapp uses the nearest folder above the source that holds
    # .packages (docs/design.md, decision 1), the "server"'s repository, which exists on a server.
    (server / ".packages").mkdir()
    result = run_python(["-m", "examples.example_simple", source.as_uri()], server.as_uri())
    assert result.returncode == 0, describe(result)
    match = re.search(r"^Created test_project version (\d+) in (\S+)$", result.stdout, re.MULTILINE)
    assert match, describe(result)
    version, where = match.groups()
    assert where == server.as_uri()
    assert _repository_holding(source, "test_project", version) == server
    assert version in list_repo(server)["test_project"]
    assert (server / ".packages/test_project" / version / "scene.usda").read_text() == "#usda 1.0\n"


def test_example_simple_without_a_repository_fails_cleanly(tmp_path: Path):
    server = tmp_path / "server"
    source = make_files(server / "Projects", {"scene.usda": "#usda 1.0\n"})
    result = run_python(["-m", "examples.example_simple", source.as_uri()], server.as_uri())
    assert result.returncode != 0
    assert "FailedCommand" in result.stderr and "pass --repo" in result.stderr, describe(result)
    assert not list(tmp_path.rglob(".packages"))


# --- example_complex and create_new_version: initialize/shutdown with a live progress table ---------

# Runs example_complex's main() unchanged, with its print_progress wrapped to also record each report
# it receives (one JSON line per call) in the file named by PROGRESS_LOG.
COUNTING_HARNESS = """
import json, os
import examples.example_complex as example

shown = example.print_progress

def tree(job):
    return {"name": job.job_name(), "status": job.status().value, "done": job.total_num_tasks_done(),
            "sub_jobs": [tree(sub) for sub in job.sub_jobs()]}

def recording_print_progress(report):
    with open(os.environ["PROGRESS_LOG"], "a") as log:
        log.write(json.dumps(tree(report)) + "\\n")
    shown(report)

example.print_progress = recording_print_progress
example.main()
"""


def _jobs(report: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [report, *[job for sub in report["sub_jobs"] for job in _jobs(sub)]]


@pytest.fixture(scope="module")
def complex_runs(tmp_path_factory) -> Dict[str, Any]:
    """example_complex run twice on one server folder: plainly, then with its progress recorded."""
    server = tmp_path_factory.mktemp("complex") / "server"
    make_files(server / "Projects/wrapp_examples", {"a.usda": "#usda 1.0\n", "sub/b.txt": "b\n"})
    first = run_python(["-m", "examples.example_complex"], server.as_uri())
    versions_after_first = list_repo(server).get("all_projects", [])
    log = server.parent / "progress.jsonl"
    second = run_python(["-c", COUNTING_HARNESS], server.as_uri(), PROGRESS_LOG=str(log))
    reports = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return {"server": server, "first": first, "second": second, "versions_after_first": versions_after_first,
            "reports": reports}


def test_example_complex_first_run_creates_1_0_0(complex_runs):
    first = complex_runs["first"]
    assert first.returncode == 0, describe(first)
    assert "Could not create package" not in first.stdout, describe(first)  # main() catches FailedCommand
    assert "No prior version found for all_projects, starting at 1.0.0" in first.stdout, describe(first)
    assert "Creating package all_projects version 1.0.0" in first.stdout
    assert re.search(r"^Done$", first.stdout, re.MULTILINE)
    assert complex_runs["versions_after_first"] == ["1.0.0"]
    version = complex_runs["server"] / ".packages/all_projects/1.0.0"
    assert (version / "a.usda").read_text() == "#usda 1.0\n" and (version / "sub/b.txt").read_text() == "b\n"


def test_example_complex_first_run_draws_the_progress_table(complex_runs):
    out = complex_runs["first"].stdout
    for heading in ("Progress", "Name", "Discovered", "Running", "Done"):
        assert heading in out, describe(complex_runs["first"])
    assert "Creating sample project" in out  # the sub_job the example names


def test_example_complex_second_run_creates_1_1_0(complex_runs):
    second = complex_runs["second"]
    assert second.returncode == 0, describe(second)
    assert "Could not create package" not in second.stdout, describe(second)
    assert "Latest version of package all_projects is 1.0.0, using 1.1.0" in second.stdout, describe(second)
    assert "Creating package all_projects version 1.1.0" in second.stdout
    assert list_repo(complex_runs["server"])["all_projects"] == ["1.0.0", "1.1.0"]


def test_example_complex_progress_callback_ran(complex_runs):
    reports = complex_runs["reports"]
    assert len(reports) >= 1, describe(complex_runs["second"])
    last = reports[-1]
    assert last["name"] == "WRAPP"  # the root the example skips
    names = [job["name"] for job in _jobs(last)]
    assert "Creating sample project" in names
    sample = next(job for job in _jobs(last) if job["name"] == "Creating sample project")
    assert sample["status"] == "Done" and sample["done"] >= 1


def test_example_complex_last_progress_report_has_every_job_finished(complex_runs):
    last = complex_runs["reports"][-1]
    assert [job["name"] for job in _jobs(last) if job["status"] == "Running"] == []
