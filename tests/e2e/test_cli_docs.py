"""docs/cli.md against --help: every command `wrapp --help` lists has a section (in docs/cli.md, or a page
of its own in docs/commands/ that docs/cli.md links), and every long option `wrapp COMMAND --help` shows is
documented there or in the generic options table."""

from __future__ import annotations

import re

import pytest

from helpers import REPO_ROOT, listed_commands, long_options

CLI_MD = REPO_ROOT / "docs" / "cli.md"


def sections(text: str) -> dict:
    """'## name' heading -> the text up to the next '## ' heading."""
    out, current = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = ""
        elif current is not None:
            out[current] += line + "\n"
    return out


def command_text(command: str) -> str:
    doc = CLI_MD.read_text()
    text = sections(doc).get(command, "")
    page = REPO_ROOT / "docs" / "commands" / f"{command}.md"
    if page.exists() and f"(commands/{command}.md)" in doc:
        text += page.read_text()
    return text


def mentioned(option: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_the_checks_see_the_documents():
    assert "Generic options" in sections(CLI_MD.read_text())
    assert mentioned("--repo", command_text("install")) and not mentioned("--rep", command_text("install"))
    assert mentioned("--dedup", command_text("export"))  # from docs/commands/export.md


@pytest.mark.parametrize("command", listed_commands())
def test_every_command_and_option_is_documented(command):
    text = command_text(command)
    assert text.strip(), f"docs/cli.md has no '## {command}' section and links no docs/commands/{command}.md"
    generic = sections(CLI_MD.read_text())["Generic options"]
    missing = [o for o in long_options(command)
               if o != "--help" and not mentioned(o, text) and not mentioned(o, generic)]
    assert not missing, f"{command}: {missing} documented neither in its section nor in the generic options"


def test_hidden_manpages_command_is_documented():
    assert "manpages" not in listed_commands()
    assert "wrapp manpages" in CLI_MD.read_text()
