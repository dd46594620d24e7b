"""Colour (docs/cli.md, "Colour"): status kinds and errors in colour on a terminal; none in a pipe or a
file, none with NO_COLOR set or --color never; --color always forces it."""

from __future__ import annotations

import pytest

from terminal import run_in_terminal

OFF = ("--progress-report", "off")
RED, GREEN, YELLOW, BOLD_RED, RESET = "\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[1;31m", "\x1b[0m"


@pytest.fixture
def dirty(publish, wrapp, tmp_path):
    """An install of p 1.0 with one file changed, one missing and one added."""
    repo, _ = publish("p", "1.0", {"a.txt": b"a", "b.txt": b"b", "c.txt": b"c"})
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1.0", dest, "--repo", repo).returncode == 0
    (dest / "a.txt").chmod(0o644)
    (dest / "a.txt").write_bytes(b"changed")
    (dest / "b.txt").unlink()
    (dest / "new.txt").write_bytes(b"new")
    return dest


def test_status_kinds_are_coloured_on_a_terminal(tmp_path, dirty):
    r = run_in_terminal(["status", dirty, *OFF], tmp_path)
    assert r.returncode == 1, str(r)
    assert f"{RED}dirty{RESET}" in r.terminal, str(r)
    assert f"{YELLOW}item_differs" in r.terminal and f"{RED}item_missing" in r.terminal, str(r)
    assert f"{GREEN}extra_item" in r.terminal, str(r)
    # The words stay: only escape codes are added around them.
    plain = r.terminal.replace(RED, "").replace(GREEN, "").replace(YELLOW, "").replace(RESET, "")
    assert "  item_differs             a.txt" in plain, str(r)


def test_errors_and_warnings_are_coloured_on_a_terminal(tmp_path, publish):
    repo, _ = publish("p", "1.0", {"a.txt": b"a"})
    r = run_in_terminal(["install", "nosuch", "1.0", tmp_path / "dest", "--repo", repo, *OFF], tmp_path)
    assert r.returncode == 1, str(r)
    assert f"{BOLD_RED}error{RESET}: " in r.terminal, str(r)
    (tmp_path / "src").mkdir()
    r = run_in_terminal(["create", "q", "1.0", tmp_path / "src", "--repo", repo, "--tags", *OFF], tmp_path)
    assert r.returncode == 0 and "\x1b[1;33mwarning\x1b[0m: " in r.terminal, str(r)


@pytest.mark.parametrize("how", ["NO_COLOR", "--color never", "TERM=dumb"])
def test_no_colour_when_asked_not_to(tmp_path, dirty, how):
    env = {"NO_COLOR": "1"} if how == "NO_COLOR" else {"TERM": "dumb"} if how == "TERM=dumb" else {}
    args = ["--color", "never"] if how == "--color never" else []
    r = run_in_terminal(["status", dirty, *OFF, *args], tmp_path, env)
    assert r.returncode == 1 and "item_missing" in r.terminal, str(r)
    assert "\x1b" not in r.terminal, str(r)


def test_only_the_stream_on_a_terminal_is_coloured(tmp_path, dirty, publish):
    r = run_in_terminal(["status", dirty, *OFF], tmp_path, stdout_on_terminal=False)
    assert "item_missing" in r.stdout and "\x1b" not in r.stdout, str(r)
    r = run_in_terminal(["install", "nosuch", "1.0", tmp_path / "d", "--repo", tmp_path / "repo", *OFF], tmp_path,
                        stdout_on_terminal=False)
    assert f"{BOLD_RED}error{RESET}: " in r.terminal, str(r)


def test_always_colours_a_pipe_even_with_no_color(wrapp, tmp_path, dirty):
    r = wrapp("status", dirty, "--color", "always", env={"NO_COLOR": "1"})
    assert r.returncode == 1 and f"{RED}item_missing" in r.stdout, str(r)
    r = wrapp("status", dirty)  # a pipe: never by default
    assert "\x1b" not in r.stdout and "\x1b" not in r.stderr, str(r)
    r = wrapp("install", "nosuch", "1.0", tmp_path / "d", "--repo", tmp_path / "repo", "--color", "always")
    assert r.returncode == 1 and r.stderr.startswith(f"{BOLD_RED}error{RESET}: "), str(r)


def test_check_and_diff_colour_what_they_find(tmp_path, wrapp, publish):
    repo, _ = publish("p", "1.0", {"a.txt": b"a", "b.txt": b"b"})
    version = repo / ".packages" / "p" / "1.0"
    version.chmod(0o755)
    (version / "a.txt").chmod(0o644)
    (version / "a.txt").unlink()
    r = wrapp("check", repo / ".packages" / "p" / "1.0", "--color", "always")
    assert r.returncode == 1 and f"{RED}missing{RESET}: " in r.stdout, str(r)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "only-a.txt").write_bytes(b"a")
    (tmp_path / "y").mkdir()
    (tmp_path / "y" / "only-b.txt").write_bytes(b"b")
    for side in "xy":
        assert wrapp("catalog", tmp_path / side, tmp_path / f"{side}.json").returncode == 0
    r = wrapp("diff", tmp_path / "x.json", tmp_path / "y.json", "--color", "always")
    assert r.returncode == 1, str(r)
    assert f"{RED}only in A:{RESET} only-a.txt" in r.stdout and f"{GREEN}only in B:{RESET} only-b.txt" in r.stdout


def test_an_unknown_colour_mode_is_refused(wrapp, tmp_path):
    r = wrapp("catalog", tmp_path, tmp_path / "c.json", "--color", "sometimes")
    assert r.returncode == 1 and "--color" in r.stderr, str(r)
