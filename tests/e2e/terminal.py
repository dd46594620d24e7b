"""Runs wrapp on a pseudo-terminal, as a user's shell does: for the live progress display and colour,
which wrapp shows only on a terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from typing import Mapping, NamedTuple, Optional

from helpers import fail_on_sanitizer_report, wrapp_command, wrapp_env


class TerminalResult(NamedTuple):
    returncode: int
    terminal: str  # what the terminal received (stderr, and stdout unless it was piped), "\r\n" as "\n"
    stdout: str  # stdout when it was piped, else ""

    def __str__(self) -> str:
        return f"rc={self.returncode}\n--- terminal ---\n{self.terminal!r}\n--- stdout ---\n{self.stdout!r}"


def run_in_terminal(args, cwd, env: Optional[Mapping[str, str]] = None, stdout_on_terminal: bool = True,
                    columns: int = 200, timeout: float = 60) -> TerminalResult:
    """wrapp with stderr (and stdout, unless `stdout_on_terminal` is False: then piped) on a pseudo-terminal
    `columns` wide, TERM=xterm and NO_COLOR unset unless `env` says otherwise. The progress display stays
    as the arguments ask (no `--progress-report off` added)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    full_env = wrapp_env({"TERM": "xterm", **(env or {})})
    if env is None or "NO_COLOR" not in env:
        full_env.pop("NO_COLOR", None)
    process = subprocess.Popen(wrapp_command(args, progress=True), cwd=str(cwd), env=full_env, stdin=follower,
                               stdout=follower if stdout_on_terminal else subprocess.PIPE, stderr=follower,
                               close_fds=True)
    os.close(follower)
    received = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: every process holding the terminal has closed it
                    break
                if not chunk:
                    break
                received += chunk
            elif process.poll() is not None and not select.select([leader], [], [], 0)[0]:
                break
        stdout = process.stdout.read().decode("utf-8", errors="replace") if process.stdout else ""
        returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(leader)
        if process.poll() is None:
            process.kill()
    text = received.decode("utf-8", errors="replace").replace("\r\n", "\n")
    fail_on_sanitizer_report(process.args, text)
    return TerminalResult(returncode, text, stdout)
