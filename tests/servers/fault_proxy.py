"""A fault-injecting HTTP proxy on a loopback port, in front of any server (moto, s3rver, Azurite, the
GCS emulator, the HTTPS server): the client talks to the proxy as it would to the server (same paths,
same signed headers; the Host header is passed on unchanged), and the test says which requests go
wrong and how.

    with MotoS3() as s3, FaultProxy(s3.endpoint) as proxy:
        proxy.respond(503, method="PUT", count=2, slow_down=True)   # the next two PUTs: 503 SlowDown
        proxy.drop(path=r"/repo/.*\\.wrapp$")                        # the next request for a package file: closed
        proxy.stall(3, method="GET")                                 # the next GET: 3 s before it is forwarded
        proxy.truncate(100, method="GET", path="big")                # the next GET of big: 100 body bytes, then closed
        ... point the client at proxy.endpoint ...
        assert proxy.count("PUT") == 3

Each rule matches by method (None: any) and a regular expression searched in the request target (path
and query; None: any); it lets `skip` matching requests through, then applies to the next `count`
(None: to every one after). The first rule that applies wins; a request no rule takes is forwarded.
Every request is recorded in `requests` (method, target, what was done, the status the client got).

Faults:
- drop: the connection is closed without an answer (`reset=True`: with a TCP RST), before the request
  reaches the server, or with `after_upstream=True` after the server handled it (the client cannot know
  whether the write happened).
- stall: `seconds` of silence before the request is forwarded, or with `after_upstream=True` after the
  server answered and before the client gets the head, or with `after_bytes=N` after N bytes of the
  response body; then it goes on normally.
- truncate: the server's response head (with its Content-Length) and the first N bytes of its body as
  sent on the wire, then the connection is closed.
- respond: an answer made by the proxy (500, 503, 429, ...) without asking the server; `slow_down=True`
  gives S3's SlowDown XML body, `retry_after` a Retry-After header, `body`/`headers` anything else.

`in_flight` counts the requests whose head came and whose answer is not over yet, `peak_in_flight` the
most at once since the start or reset(): how many requests a client really had on the wire together.

Each client connection gets one connection to the server per request (sent with `Connection: close`),
so a server's idle timeout never meets a reused connection; the client's own connection is kept alive.
`tls=(cert_file, key_file)` makes the proxy speak HTTPS to the client; an `https://` upstream is reached
over TLS, verified with `upstream_ca` (or not at all when it is None).
"""

from __future__ import annotations

import re
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import List, Optional, Pattern, Tuple

from ._base import HOST, Managed

SLOW_DOWN_BODY = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
                  b'<Message>Please reduce your request rate.</Message>'
                  b'<RequestId>wrapp-fault-proxy</RequestId><HostId>wrapp-fault-proxy</HostId></Error>')
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 408: "Request Timeout",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}
_HEAD_LIMIT = 64 * 1024
_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection"}


@dataclass
class Rule:
    action: str  # "drop", "stall", "truncate", "respond"
    method: Optional[str] = None
    path: Optional[Pattern[str]] = None
    count: Optional[int] = 1
    skip: int = 0
    seconds: float = 0.0
    after_bytes: Optional[int] = None
    after_upstream: bool = False
    reset: bool = False
    status: int = 0
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    seen: int = 0  # matching requests so far
    hits: int = 0  # requests the rule was applied to

    def matches(self, method: str, target: str) -> bool:
        return ((self.method is None or self.method.upper() == method.upper())
                and (self.path is None or self.path.search(target) is not None))


@dataclass
class Record:
    method: str
    target: str
    action: str  # "forward" or the rule's action
    status: Optional[int] = None  # what the client got (None: no answer)
    response_bytes: int = 0  # response body bytes sent to the client


class _Closed(Exception):
    """The peer closed the connection (or it broke) where more was expected."""


class _Cut(Exception):
    """A truncate rule ended the response."""


class _Reader:
    """Buffered reads from a socket: heads, lines, exact lengths, to the end."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self) -> bool:
        try:
            data = self.sock.recv(65536)
        except (OSError, ssl.SSLError):
            data = b""
        if not data:
            return False
        self.buf += data
        return True

    def head(self) -> Optional[bytes]:
        """Up to and with the blank line; None at a clean end of the stream before any byte."""
        while b"\r\n\r\n" not in self.buf:
            if len(self.buf) > _HEAD_LIMIT:
                raise _Closed("head too long")
            if not self._fill():
                if self.buf:
                    raise _Closed("stream ended inside a head")
                return None
        i = self.buf.index(b"\r\n\r\n") + 4
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            if len(self.buf) > _HEAD_LIMIT or not self._fill():
                raise _Closed("stream ended inside a line")
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def exact(self, n: int):
        """Yields n bytes in pieces."""
        while n > 0:
            if not self.buf and not self._fill():
                raise _Closed("stream ended inside a body")
            piece, self.buf = self.buf[:n], self.buf[n:]
            n -= len(piece)
            yield piece

    def rest(self):
        """Yields everything to the end of the stream."""
        while True:
            if self.buf:
                piece, self.buf = self.buf, b""
                yield piece
            if not self._fill():
                return


def _parse_head(head: bytes) -> Tuple[str, List[Tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            k, _, v = line.partition(":")
            headers.append((k.strip(), v.strip()))
    return lines[0], headers


def _get(headers, name: str) -> Optional[str]:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _build_head(first: str, headers) -> bytes:
    return (first + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n").encode("latin-1")


def _body(reader: _Reader, headers, until_end: bool):
    """Yields a message body as it is on the wire, by its framing (chunked, Content-Length, or, for a
    response without either, to the end of the stream)."""
    te = (_get(headers, "transfer-encoding") or "").lower()
    if "chunked" in te:
        while True:
            line = reader.line()
            yield line
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, then the blank line
                    t = reader.line()
                    yield t
                    if t == b"\r\n":
                        return
            yield from reader.exact(size + 2)
    length = _get(headers, "content-length")
    if length is not None:
        yield from reader.exact(int(length))
    elif until_end:
        yield from reader.rest()


class FaultProxy(Managed):
    name = "fault-proxy"

    def __init__(self, upstream: str, upstream_ca=None, tls: Optional[Tuple[str, str]] = None):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = upstream
        self.upstream_tls = u.scheme == "https"
        self.upstream_addr = (u.hostname, u.port or (443 if self.upstream_tls else 80))
        self._upstream_ctx = None
        if self.upstream_tls:
            self._upstream_ctx = (ssl.create_default_context(cafile=str(upstream_ca)) if upstream_ca
                                  else ssl._create_unverified_context())
        self._client_ctx = None
        if tls:
            self._client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._client_ctx.load_cert_chain(str(tls[0]), str(tls[1]))
        self.host = HOST
        self.port: Optional[int] = None
        self.rules: List[Rule] = []
        self.requests: List[Record] = []
        self._lock = threading.Lock()
        self._sock: Optional[socket.socket] = None
        self._conns: set = set()
        self._threads: List[threading.Thread] = []
        self._stopping = threading.Event()
        self.in_flight = 0  # requests whose head came and whose answer is not yet over
        self.peak_in_flight = 0  # the most at once since start or reset()

    # ---- the API

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError("fault proxy is not started")
        return f"{'https' if self._client_ctx else 'http'}://{self.host}:{self.port}"

    def drop(self, method=None, path=None, count: Optional[int] = 1, skip: int = 0,
             after_upstream: bool = False, reset: bool = False) -> Rule:
        return self._add(Rule("drop", method, path, count, skip, after_upstream=after_upstream, reset=reset))

    def stall(self, seconds: float, method=None, path=None, count: Optional[int] = 1, skip: int = 0,
              after_upstream: bool = False, after_bytes: Optional[int] = None) -> Rule:
        return self._add(Rule("stall", method, path, count, skip, seconds=seconds, after_upstream=after_upstream,
                              after_bytes=after_bytes))

    def truncate(self, after_bytes: int, method=None, path=None, count: Optional[int] = 1, skip: int = 0) -> Rule:
        return self._add(Rule("truncate", method, path, count, skip, after_bytes=after_bytes))

    def respond(self, status: int, method=None, path=None, count: Optional[int] = 1, skip: int = 0,
                body: bytes = b"", headers: Optional[dict] = None, slow_down: bool = False,
                retry_after: Optional[int] = None) -> Rule:
        hdrs = dict(headers or {})
        if slow_down:
            body = SLOW_DOWN_BODY
            hdrs.setdefault("Content-Type", "application/xml")
        if retry_after is not None:
            hdrs["Retry-After"] = str(retry_after)
        return self._add(Rule("respond", method, path, count, skip, status=status, body=body, headers=hdrs))

    def clear(self) -> None:
        """Removes every rule (the record stays)."""
        with self._lock:
            self.rules.clear()

    def reset(self) -> None:
        """Removes every rule and forgets the record."""
        with self._lock:
            self.rules.clear()
            self.requests.clear()
            self.peak_in_flight = self.in_flight

    def count(self, method: Optional[str] = None, path: Optional[str] = None, action: Optional[str] = None) -> int:
        """How many requests came (of `method`, whose target `path` is found in, that got `action`)."""
        rx = re.compile(path) if path else None
        with self._lock:
            return sum(1 for r in self.requests
                       if (method is None or r.method.upper() == method.upper())
                       and (rx is None or rx.search(r.target)) and (action is None or r.action == action))

    def start(self) -> "FaultProxy":
        if self._sock is not None:
            return self
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((self.host, 0))
        s.listen(64)
        self._sock = s
        self.port = s.getsockname()[1]
        self._stopping.clear()
        t = threading.Thread(target=self._accept_loop, name="wrapp-fault-proxy", daemon=True)
        t.start()
        self._threads.append(t)
        self._track()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
            self._sock = None
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            _close(c)
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []
        self._track(False)

    # ---- internals

    def _add(self, rule: Rule) -> Rule:
        if isinstance(rule.path, str):
            rule.path = re.compile(rule.path)
        with self._lock:
            self.rules.append(rule)
        return rule

    def _match(self, method: str, target: str) -> Optional[Rule]:
        with self._lock:
            chosen = None
            for rule in self.rules:
                if not rule.matches(method, target):
                    continue
                rule.seen += 1
                if chosen is None and rule.seen > rule.skip and (rule.count is None or rule.hits < rule.count):
                    rule.hits += 1
                    chosen = rule
            return chosen

    def _record(self, rec: Record) -> Record:
        with self._lock:
            self.requests.append(rec)
        return rec

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
                self._threads = [t for t in self._threads if t.is_alive()]
            t = threading.Thread(target=self._serve, args=(conn,), name="wrapp-fault-proxy-conn", daemon=True)
            self._threads.append(t)
            t.start()

    def _serve(self, raw: socket.socket) -> None:
        client = raw
        try:
            raw.settimeout(60)
            if self._client_ctx is not None:
                client = self._client_ctx.wrap_socket(raw, server_side=True)
                with self._lock:
                    self._conns.discard(raw)
                    self._conns.add(client)
            reader = _Reader(client)
            while not self._stopping.is_set():
                if not self._one(client, reader):
                    break
        except (_Closed, _Cut, OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self._lock:
                self._conns.discard(client)
            _close(client)

    def _one(self, client, reader: _Reader) -> bool:
        """Serves one request; False when the client connection is to be closed."""
        head = reader.head()
        if head is None:
            return False
        with self._lock:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            return self._handle(client, reader, head)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle(self, client, reader: _Reader, head: bytes) -> bool:
        first, headers = _parse_head(head)
        method, target = (first.split(" ") + ["", ""])[:2]
        rule = self._match(method, target)
        rec = self._record(Record(method, target, rule.action if rule else "forward"))
        expect = (_get(headers, "expect") or "").lower() == "100-continue"
        client_close = (_get(headers, "connection") or "").lower() == "close" or first.endswith("HTTP/1.0")

        if rule is not None and rule.action == "drop" and not rule.after_upstream:
            _close(client, rule.reset)
            return False
        if rule is not None and rule.action == "respond":
            if not expect:
                for _ in _body(reader, headers, until_end=False):
                    pass
            extra = [("Connection", "close")] if expect or client_close else []
            status_line = f"HTTP/1.1 {rule.status} {_REASONS.get(rule.status, 'Error')}"
            hdrs = list(rule.headers.items()) + [("Content-Length", str(len(rule.body)))] + extra
            body = rule.body if method != "HEAD" else b""
            rec.status, rec.response_bytes = rule.status, len(body)
            client.sendall(_build_head(status_line, hdrs) + body)
            return not (expect or client_close)
        if rule is not None and rule.action == "stall" and not rule.after_upstream and rule.after_bytes is None:
            time.sleep(rule.seconds)

        up = socket.create_connection(self.upstream_addr, timeout=60)
        try:
            if self._upstream_ctx is not None:
                up = self._upstream_ctx.wrap_socket(up, server_hostname=self.upstream_addr[0])
            up_reader = _Reader(up)
            fwd = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP] + [("Connection", "close")]
            up.sendall(_build_head(first, fwd))
            sent_body = False
            if not expect:
                for piece in _body(reader, headers, until_end=False):
                    up.sendall(piece)
                sent_body = True
            while True:
                rhead = up_reader.head()
                if rhead is None:
                    raise _Closed("the server closed without an answer")
                rfirst, rheaders = _parse_head(rhead)
                status = int(rfirst.split(" ")[1])
                if 100 <= status < 200:
                    client.sendall(rhead)
                    if status == 100 and not sent_body:
                        for piece in _body(reader, headers, until_end=False):
                            up.sendall(piece)
                        sent_body = True
                    continue
                break
            # a final answer before the body was asked for: the client's body state is unknown
            keep = sent_body and not client_close
            body = _body(up_reader, rheaders, until_end=True) \
                if method != "HEAD" and status not in (204, 304) else iter(())
            framed = (_get(rheaders, "content-length") is not None
                      or "chunked" in (_get(rheaders, "transfer-encoding") or "").lower()
                      or method == "HEAD" or status in (204, 304))
            keep = keep and framed
            if rule is not None and rule.action == "drop":  # after_upstream
                for _ in body:
                    pass
                _close(client, rule.reset)
                return False
            if rule is not None and rule.action == "stall" and rule.after_upstream:
                time.sleep(rule.seconds)
            out = [(k, v) for k, v in rheaders if k.lower() not in _HOP_BY_HOP]
            if not keep:
                out.append(("Connection", "close"))
            rec.status = status  # before the client can see it
            client.sendall(_build_head(rfirst, out))
            limit = rule.after_bytes if rule is not None and rule.action == "truncate" else None
            stall_at = rule.after_bytes if rule is not None and rule.action == "stall" else None
            for piece in body:
                if stall_at is not None and rec.response_bytes + len(piece) >= stall_at:
                    cut = stall_at - rec.response_bytes
                    rec.response_bytes += cut
                    client.sendall(piece[:cut])
                    time.sleep(rule.seconds)
                    piece, stall_at = piece[cut:], None
                if limit is not None and rec.response_bytes + len(piece) >= limit:
                    cut = limit - rec.response_bytes
                    rec.response_bytes = limit
                    client.sendall(piece[:cut])
                    raise _Cut()
                rec.response_bytes += len(piece)
                client.sendall(piece)
            if limit is not None:  # the body was shorter than the cut: still closed
                raise _Cut()
            return keep
        finally:
            _close(up)


def _close(sock, reset: bool = False) -> None:
    """Closes with a FIN, or with `reset` a TCP RST (SO_LINGER 0)."""
    try:
        if reset:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            sock.shutdown(socket.SHUT_RDWR)
    except (OSError, ValueError):
        pass
    try:
        sock.close()
    except OSError:
        pass
