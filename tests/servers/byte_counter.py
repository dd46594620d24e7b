"""A plain TCP relay on a loopback port in front of a server, counting the bytes each way (any protocol:
HTTP, TLS). What the storage tests and bench/cloud.py use to see how many bytes a command moved.

    with ByteCounter(s3.endpoint) as relay:
        ... point the client at relay.endpoint ...
        relay.sent, relay.received   # bytes from the clients to the server, and back
"""

from __future__ import annotations

import contextlib
import socket
import threading
import urllib.parse


class ByteCounter:
    def __init__(self, upstream: str):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port)
        self.sent = 0
        self.received = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._sock.close()

    def reset(self) -> None:
        with self._lock:
            self.sent = self.received = self.connections = 0

    def _accept(self):
        while True:
            try:
                client, _ = self._sock.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, a, b, upstream: bool):
        try:
            while data := a.recv(1 << 16):
                with self._lock:
                    if upstream:
                        self.sent += len(data)
                    else:
                        self.received += len(data)
                b.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                b.shutdown(socket.SHUT_WR)
