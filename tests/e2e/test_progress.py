"""The progress display (docs/cli.md, "Progress"): each file counted once, phases named, the final line
in agreement with the command's summary; live on a terminal, plain lines in a log.

`--progress-interval 0` makes the display print at once (in a log) and draw at once (on a terminal), so
these tests see it however quick the command is. Phases on a terminal are seen through a fault proxy in
front of an S3 server that holds one request back, so a phase lasts long enough to be drawn."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from helpers import started, write_tree
from terminal import run_in_terminal

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for tests/servers
from servers import FaultProxy, MotoS3  # noqa: E402

FILES = 300
NOW = ("--progress-interval", "0")


def final_line(stderr: str) -> str:
    """The display's final line; on a terminal, where each redraw begins "\\r\\x1b[J", after the last one."""
    lines = [l for l in re.split(r"[\r\n]", stderr.replace("\x1b[J", ""))
             if re.match(r"^(done|incomplete|cancelled|failed): ", l)]
    assert len(lines) == 1, stderr
    return lines[0]


@pytest.fixture
def package(wrapp, tmp_path):
    """A repository with p 1.0: FILES files of 10 bytes each."""
    src = tmp_path / "src"
    write_tree(src, {f"d{i % 7}/f{i:04}.txt": f"file {i:04}\n".encode() for i in range(FILES)})
    repo = tmp_path / "repo"
    r = wrapp("create", "p", "1.0", src, "--repo", repo, *NOW, progress=True)
    assert r.returncode == 0, str(r)
    assert final_line(r.stderr).startswith(f"done: {FILES}/{FILES} files, 2.9 KiB/2.9 KiB in "), str(r)
    return repo, src


def test_install_counts_each_file_once_and_agrees_with_its_summary(wrapp, tmp_path, package):
    repo, src = package
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1.0", dest, "--repo", repo, *NOW, progress=True)
    assert r.returncode == 0, str(r)
    # Planning looks at each file, then copying copies each: counted once, not 600/600.
    assert final_line(r.stderr).startswith(f"done: {FILES}/{FILES} files, 2.9 KiB/2.9 KiB in "), str(r)
    assert f"{FILES} copied (2.9 KiB), 0 deleted, 0 unchanged" in r.stdout, str(r)
    # Every line before the final one counts at most FILES files.
    for seen in re.findall(r"(\d+)/(\d+) files", r.stderr):
        assert int(seen[0]) <= int(seen[1]) <= FILES, str(r)

    # An update copies what changed, and the final line says so.
    (src / "d0" / "f0000.txt").write_bytes(b"changed\n")
    (src / "d1" / "f0001.txt").write_bytes(b"changed too\n")
    assert wrapp("create", "p", "2.0", src, "--repo", repo).returncode == 0
    r = wrapp("install", "p", "2.0", dest, "--repo", repo, *NOW, progress=True)
    assert r.returncode == 0, str(r)
    assert final_line(r.stderr).startswith("done: 2/2 files, 20 B/20 B in "), str(r)
    assert f"2 copied (20 B), 0 deleted, {FILES - 2} unchanged" in r.stdout, str(r)


def test_status_check_and_mirror_count_each_file_once(wrapp, tmp_path, package):
    repo, _ = package
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1.0", dest, "--repo", repo).returncode == 0
    r = wrapp("status", dest, *NOW, progress=True)
    assert r.returncode == 0, str(r)
    assert final_line(r.stderr).startswith(f"done: {FILES}/{FILES} files, "), str(r)
    r = wrapp("check", repo / ".packages" / "p" / "1.0", *NOW, progress=True)
    assert r.returncode == 0, str(r)
    assert final_line(r.stderr).startswith(f"done: {FILES}/{FILES} files, 2.9 KiB/2.9 KiB in "), str(r)
    r = wrapp("mirror", "p", "1.0", repo, tmp_path / "repo2", *NOW, progress=True)
    assert r.returncode == 0, str(r)
    assert final_line(r.stderr).startswith(f"done: {FILES}/{FILES} files, 2.9 KiB/2.9 KiB in "), str(r)


def test_a_log_gets_plain_lines_that_name_the_phase(wrapp, tmp_path, package):
    repo, _ = package
    r = wrapp("install", "p", "1.0", tmp_path / "dest", "--repo", repo, *NOW, progress=True)
    assert r.returncode == 0, str(r)
    assert "\x1b" not in r.stderr and "\r" not in r.stderr, str(r)
    progress_lines = [l for l in r.stderr.splitlines() if " files, " in l]
    assert progress_lines[-1] == final_line(r.stderr)
    for line in progress_lines[:-1]:  # before any phase began, a line has no phase word
        assert re.match(r"^((planning|copying|publishing): )?\d+/\d+ files, ", line), str(r)


def test_the_default_interval_keeps_a_quick_command_quiet(wrapp, tmp_path, package):
    repo, _ = package
    r = wrapp("install", "p", "1.0", tmp_path / "dest", "--repo", repo, progress=True)
    assert r.returncode == 0, str(r)
    assert " files, " not in r.stderr, str(r)


def test_a_negative_interval_is_refused(wrapp, tmp_path):
    r = wrapp("catalog", tmp_path, tmp_path / "c.json", "--progress-interval", "-1")
    assert r.returncode == 1 and "--progress-interval" in r.stderr, str(r)


# ---------------------------------------------------------------------------------------------
# On a terminal, through an S3 server whose answers a fault proxy holds back


@pytest.fixture(scope="module")
def s3():
    with started(MotoS3()) as server:
        server.create_bucket("progress")
        yield server


def test_a_terminal_sees_each_phase_drawn_in_place(wrapp, tmp_path, s3):
    src = tmp_path / "src"
    write_tree(src, {f"f{i:02}.bin": bytes([i]) * 1000 for i in range(20)})
    with FaultProxy(s3.endpoint) as proxy:
        env = {**s3.env(), "AWS_ENDPOINT_URL": proxy.endpoint, "AWS_CONFIG_FILE": str(tmp_path / "none"),
               "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_PROFILE": ""}
        repo = f"s3://progress/{tmp_path.name}"
        # One file's upload, then the package file's, held back long enough to be drawn.
        proxy.stall(1.0, method="PUT", path=r"f07\.bin$")
        proxy.stall(1.0, method="PUT", path=r"\.p\.wrapp$")
        r = run_in_terminal(["create", "p", "1.0", src, "--repo", repo, *NOW], tmp_path, env)
        assert r.returncode == 0, str(r)
        assert "\r\x1b[J" in r.terminal, str(r)  # redrawn in place
        assert re.search(r"copying: \d+/20 files, ", r.terminal), str(r)
        assert re.search(r"publishing: 20/20 files, ", r.terminal), str(r)
        assert final_line(r.terminal).startswith("done: 20/20 files, 19.5 KiB/19.5 KiB in "), str(r)

        proxy.stall(1.0, method="GET", path=r"f11\.bin$")
        r = run_in_terminal(["install", "p", "1.0", tmp_path / "dest", "--repo", repo, *NOW], tmp_path, env)
        assert r.returncode == 0, str(r)
        assert re.search(r"copying: \d+/20 files, ", r.terminal), str(r)
        assert final_line(r.terminal).startswith("done: 20/20 files, 19.5 KiB/19.5 KiB in "), str(r)
        assert "20 copied (19.5 KiB)" in r.terminal, str(r)
