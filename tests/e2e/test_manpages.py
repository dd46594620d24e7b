"""Manual pages: `wrapp manpages DIR` writes wrapp.1 and one wrapp-COMMAND.1 per command, generated from
the same definitions as --help; groff renders each without a warning; `man` finds them by name (setup.sh
installs them into /usr/local/share/man/man1)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import help_of, listed_commands, long_options, run_wrapp

needs_groff = pytest.mark.skipif(not shutil.which("groff"), reason="groff is not installed")


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The man1 folder the pages were written into."""
    root = tmp_path_factory.mktemp("man")
    r = run_wrapp(["manpages", root / "man1"], root)
    assert r.returncode == 0 and not r.stderr, str(r)
    assert "manual pages" in r.stdout
    return root / "man1"


def render(page) -> str:
    """The page as text: one line per paragraph (no wrapping, no hyphenation), hyphens plain."""
    p = subprocess.run(["groff", "-man", "-Tutf8", "-P-cbou", "-rLL=2000n", str(page)], capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode("utf-8")
    return text.replace("\u2212", "-").replace("\u2010", "-")


def test_a_page_for_wrapp_and_for_every_command(pages):
    names = {p.name for p in pages.iterdir()}
    assert names == {"wrapp.1"} | {f"wrapp-{c}.1" for c in listed_commands()}
    assert "wrapp-completion.1" in names and "wrapp-manpages.1" not in names  # hidden: no page


def test_manpages_is_hidden_but_has_help(wrapp):
    assert "manpages" not in help_of()
    r = wrapp("manpages", "--help")
    assert r.returncode == 0 and "DIR" in r.stdout.upper(), str(r)
    r = wrapp("manpages")
    assert r.returncode == 1, str(r)


def test_an_unwritable_folder_is_an_io_failure(wrapp, tmp_path):
    (tmp_path / "file").write_text("x")
    r = wrapp("manpages", tmp_path / "file" / "man1")
    assert r.returncode == 2 and "error:" in r.stderr, str(r)


@needs_groff
def test_every_page_renders_without_a_warning(pages):
    for page in sorted(pages.iterdir()):
        p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0 and not p.stderr, f"{page.name}:\n{p.stderr}"
        text = render(page)
        assert "NAME" in text and "SYNOPSIS" in text and "EXIT STATUS" in text, page.name


def test_roff_is_escaped(pages):
    requests = re.compile(r"^\.(TH|SH|TP|PP|B|nh|ad|\\\")( |$)")
    for page in sorted(pages.iterdir()):
        source = page.read_text()
        assert source.isascii(), page.name  # anything else as \[uXXXX]
        for line in source.splitlines():
            # Every line that starts like a request is one of ours: no help text is read as one.
            if line.startswith((".", "'")):
                assert requests.match(line), f"{page.name}: {line!r}"
            # Hyphens are \- (options, command names); a backslash is \(rs, \-, \f, \&, \[, \(, \".
            assert not re.search(r"(?<!\\)-", line.split('.\\"')[0]), f"{page.name}: raw hyphen in {line!r}"
            assert not re.search(r"\\(?![-f&\[(\"])", line), f"{page.name}: {line!r}"


@needs_groff
def test_install_page_has_every_option_of_its_help_with_defaults(pages):
    text = render(pages / "wrapp-install.1")
    for option in long_options("install"):
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text), f"{option} not in wrapp-install(1)"
    assert "Install or update a package version into a folder" in text
    assert re.search(r"--link-mode copy\|hardlink\|reflink", text), text
    assert "Default: copy." in text and "Default: 200." in text
    assert "Environment variable: WRAPP_JOBS." in text
    assert "Exit codes: 0 success, 1 failed precondition or bad input, 2 storage or I/O failure." in text
    for argument in ("package_name", "version", "destination"):
        assert argument in text


@needs_groff
def test_every_command_page_has_every_long_option_of_its_help(pages):
    for command in listed_commands():
        text = render(pages / f"wrapp-{command}.1")
        missing = [o for o in long_options(command)
                   if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text)]
        assert not missing, f"wrapp-{command}(1) lacks {missing}"


@needs_groff
def test_main_page_lists_every_command(pages):
    text = render(pages / "wrapp.1")
    for command in listed_commands():
        assert f"wrapp-{command}(1)" in text, command
    assert "--version" in text and "WRAPP_JOBS" in text and "Exit codes:" in text


@pytest.mark.skipif(not shutil.which("man"), reason="man is not installed")
def test_man_finds_the_pages_by_name(pages):
    for name in ("wrapp", "wrapp-install", "wrapp-completion"):
        p = subprocess.run(["man", "-M", str(pages.parent), "-P", "cat", name], capture_output=True, text=True,
                           timeout=30, env={"PATH": "/usr/bin:/bin", "MANWIDTH": "100", "LANG": "C.UTF-8"})
        assert p.returncode == 0, f"man {name}: {p.stderr}"
        assert name.upper() in p.stdout and "NAME" in p.stdout, p.stdout[:500]
    p = subprocess.run(["man", "-l", "-P", "cat", str(pages / "wrapp-install.1")], capture_output=True,
                       text=True, timeout=30, env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    assert p.returncode == 0 and "wrapp-install" in p.stdout.replace("\u2010", "-"), p.stderr


INSTALLED = Path("/usr/local/share/man/man1")


@pytest.mark.skipif(not (INSTALLED / "wrapp.1").exists() or not shutil.which("man"),
                    reason="./setup.sh has not installed the manual pages")
def test_setup_installed_a_page_for_every_command_and_man_finds_it(pages):
    # What a user gets after ./setup.sh: `man wrapp-install` finds the installed page, and every page
    # this wrapp writes is installed (no command without its page).
    installed = {p.name for p in INSTALLED.glob("wrapp*.1")}
    assert installed == {p.name for p in pages.glob("*.1")}, installed
    p = subprocess.run(["man", "-w", "wrapp-install"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and Path(p.stdout.strip()).resolve() == (INSTALLED / "wrapp-install.1").resolve(), \
        (p.stdout, p.stderr)
