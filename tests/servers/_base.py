"""What every test server shares: a free loopback port, a readiness wait, the captured output, and a stop
that kills the whole process group (also at interpreter exit, and when the Python process that started
the server dies, through PR_SET_PDEATHSIG on Linux)."""

from __future__ import annotations

import atexit
import ctypes
import http.client
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence

HOST = "127.0.0.1"
HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"

# How long start() waits for a server to answer, unless the caller says otherwise.
START_TIMEOUT = 30.0


class ServerStartError(RuntimeError):
    """A server did not answer within its time, or exited while starting; the message holds its output."""


def free_port(host: str = HOST) -> int:
    """A port that was free on `host` a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def http_answers(url: str, timeout: float = 1.0, context: Optional[ssl.SSLContext] = None) -> bool:
    """True when `url` answers an HTTP GET with any status (errors such as 400 or 403 count: it answers)."""
    scheme, _, rest = url.partition("://")
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    if scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            host, int(port), timeout=timeout, context=context or ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", "/" + path)
        conn.getresponse().read()
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def node_script(package: str, relative: str) -> str:
    """The path of a script of an npm package installed by `npm ci --prefix tests/servers`."""
    p = NODE_MODULES / package / relative
    if not p.is_file():
        raise ServerStartError(f"{p} not found: run `npm ci --prefix tests/servers` (setup.sh does)")
    return str(p)


_live: "set[Managed]" = set()
_live_lock = threading.Lock()


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live)
    for s in servers:
        s.stop()


try:  # looked up here: the child between fork and exec should do as little as it can
    _prctl = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):
    _prctl = None


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if _prctl is not None:
        _prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class Managed:
    """A context manager over start() and stop(); _track() has it stopped at interpreter exit if it
    still runs then."""

    def start(self):
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _track(self, running: bool = True) -> None:
        with _live_lock:
            (_live.add if running else _live.discard)(self)


class Server(Managed):
    """A server under test: `start()`, `stop()`, `endpoint`; a context manager (`with MotoS3() as s3:`).

    Subclasses say how to start (`_command(port)`, `_env()`) and may change `_ready()`. While a server
    runs, `output()` returns what it printed so far (stdout and stderr together).
    """

    name = "server"
    # A process that exits while starting with one of these in its output is started again on
    # another port (the port found free was taken in between).
    _port_taken = ("EADDRINUSE", "Address already in use", "address already in use")

    def __init__(self, start_timeout: float = START_TIMEOUT):
        self.start_timeout = start_timeout
        self.host = HOST
        self.port: Optional[int] = None
        self.proc: Optional[subprocess.Popen] = None
        self._log: Optional[Path] = None
        self._tmp: Optional[tempfile.TemporaryDirectory] = None

    # ---- what subclasses provide

    def _command(self, port: int) -> Sequence[str]:
        raise NotImplementedError

    def _env(self) -> Mapping[str, str]:
        return {}

    def _ready(self) -> bool:
        return http_answers(self.endpoint)

    def _started(self) -> None:
        """Called once the server answers (e.g. to create a default bucket)."""

    # ---- the API

    @property
    def scheme(self) -> str:
        return "http"

    @property
    def endpoint(self) -> str:
        """The server's base URL, e.g. http://127.0.0.1:40123."""
        if self.port is None:
            raise RuntimeError(f"{self.name} is not started")
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def tmp(self) -> Path:
        """A temporary folder for this run of the server (removed by stop())."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"wrapp-{self.name}-")
        return Path(self._tmp.name)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        """What the server printed so far (stdout and stderr), as text."""
        if self._log is None or not self._log.exists():
            return ""
        return self._log.read_text(errors="replace")

    def start(self) -> "Server":
        if self.running():
            return self
        for attempt in range(3):
            self.port = free_port(self.host)
            self._spawn()
            if self._wait_ready():
                self._started()
                return self
            out = self.output()
            exited = self.proc is not None and self.proc.poll() is not None
            self.stop()
            if exited and any(t in out for t in self._port_taken) and attempt < 2:
                continue
            why = "exited with code %s" % self.proc.returncode if exited else \
                "did not answer within %.0f s" % self.start_timeout
            raise ServerStartError(f"{self.name} {why}: {' '.join(self.proc.args)}\n--- its output:\n{out}")
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Kills the process group (SIGTERM, then SIGKILL after 5 s); removes the temporary folder."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if proc is not None:
            # the group may hold children that outlived the leader
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._track(False)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # ---- internals

    def _spawn(self) -> None:
        self._log = self.tmp / f"{self.name}.log"
        env = dict(os.environ)
        env.update(self._env())
        with open(self._log, "wb") as log:
            self.proc = subprocess.Popen(
                list(self._command(self.port)), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env=env, cwd=str(self.tmp), start_new_session=True, preexec_fn=_die_with_parent)
        self._track()

    def _wait_ready(self) -> bool:
        return wait_for(lambda: self.proc.poll() is None and self._ready(), self.start_timeout,
                        give_up=lambda: self.proc.poll() is not None)


def wait_for(cond: Callable[[], bool], timeout: float, give_up: Callable[[], bool] = lambda: False,
             interval: float = 0.05) -> bool:
    """Polls cond until it holds (True), give_up holds or timeout seconds pass (False); the interval grows
    to 0.5 s."""
    deadline = time.monotonic() + timeout
    while True:
        if cond():
            return True
        if give_up() or time.monotonic() >= deadline:
            return False
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)
