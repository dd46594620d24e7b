"""Driving shell completion from the tests: bash's completion function called the way readline calls
it, fish's `complete -C`, and a real interactive shell on a pseudo-terminal (bash, zsh)."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import signal
import subprocess
import time
from pathlib import Path
from typing import List, Sequence, Tuple

# bash splits the line at blanks and makes '=' and ':' (of COMP_WORDBREAKS) words of their own.
_BREAKS = re.compile(r"[=:]+|[^=:]+")


def bash_words(line: str) -> Tuple[List[str], int, str, int]:
    """(COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT) as bash makes them for `line`, the cursor at '|'
    (default: the end). Like bash: words split at blanks, '=' and ':' words of their own, an empty
    word at the end of the line, and a cursor on blanks before a word pointing at that word."""
    if "|" not in line:
        line += "|"
    point = line.index("|")
    line = line.replace("|", "", 1)
    spans = []
    for blank_free in re.finditer(r"\S+", line):
        for part in _BREAKS.finditer(blank_free.group()):
            spans.append((blank_free.start() + part.start(), blank_free.start() + part.end(), part.group()))
    words = [s[2] for s in spans]
    for index, (start, end, _) in enumerate(spans):
        if point <= end:
            return words, index, line, point
    return words + [""], len(words), line, point


def bash_complete(script: Path, line: str, cwd: Path) -> List[str]:
    """COMPREPLY of the script's _wrapp for `line` (cursor at '|'), called as readline calls it."""
    words, cword, comp_line, point = bash_words(line)
    driver = "\n".join([
        "set -u",  # as strict as a user's shell may be
        f"source {shlex.quote(str(script))}",
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
        f"COMP_CWORD={cword}",
        f"COMP_LINE={shlex.quote(comp_line)}",
        f"COMP_POINT={point}",
        "_wrapp",
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ])
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", driver], cwd=cwd, capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and not p.stderr, f"{line!r}: rc={p.returncode}\n{p.stderr}"
    return [l for l in p.stdout.splitlines() if l]


def fish_complete(script: Path, lines: Sequence[str], cwd: Path) -> List[List[str]]:
    """The candidates `complete -C` gives for each line (the cursor at its end), in one fish."""
    body = [f"source {shlex.quote(str(script))}"]
    for line in lines:
        body.append(f"complete -C {shlex.quote(line)}; echo '@@end@@'")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "XDG_CONFIG_HOME": str(cwd / ".config"),
           "XDG_DATA_HOME": str(cwd / ".local")}
    p = subprocess.run(["fish", "--no-config", "-c", "\n".join(body)], cwd=cwd, env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and not p.stderr, f"rc={p.returncode}\n{p.stderr}"
    out = [[]]
    for l in p.stdout.splitlines():
        if l == "@@end@@":
            out.append([])
        elif l:
            out[-1].append(l.split("\t")[0])
    return out[:len(lines)]


class Terminal:
    """An interactive shell on a pseudo-terminal: type a line, press Tab, read what the shell shows."""

    PROMPT = "READY> "

    def __init__(self, argv: Sequence[str], setup: str, cwd: Path, env: dict):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the shell
            os.chdir(cwd)
            os.execvpe(argv[0], list(argv), env)
        self._send(setup + "\n")
        # Quoted so that the echo of this line is not the prompt itself.
        self._send(f"PS1='{self.PROMPT[:3]}''{self.PROMPT[3:]}'\n")
        self._read_until(self.PROMPT + "$", timeout=20)
        self.typed = 0

    def _send(self, text: str) -> None:
        os.write(self.fd, text.encode())

    def _read_until(self, pattern: str, timeout: float) -> str:
        out = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    out += os.read(self.fd, 65536)
                except OSError:
                    break
                if re.search(pattern, _plain(out)):
                    return _plain(out)
        return _plain(out)

    def tab(self, line: str, left: int = 0) -> str:
        """Types `line`, moves the cursor `left` characters back, presses Tab: what the shell printed. A
        marker typed after the Tab tells when the shell is done with it (the line editor reads keys in
        order); the line is then killed, never run, so the line editor keeps the terminal."""
        self.typed += 1
        marker = f"@@tab-{self.typed}@@"
        self._send(line + "\x02" * left + "\t" + "\x05" + marker)
        shown = self._read_until(re.escape(marker), timeout=20)
        assert marker in shown, f"no answer to Tab after {line!r}: {shown!r}"
        self._send("\x05\x15")  # end of line, kill it
        return shown.split(marker)[0]

    def close(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self.pid, 0)
        os.close(self.fd)


def _plain(raw: bytes) -> str:
    """Terminal output without escape sequences and carriage returns."""
    text = raw.decode("utf-8", errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\x07|\r", "", text)
    return text
