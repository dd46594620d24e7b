"""A local HTTPS file server: Python's http.server in a thread, serving one folder read-only with HEAD
and single `Range` requests (206, 416), behind a certificate made at start for 127.0.0.1 and localhost,
signed by a CA made with it (the `cryptography` package).

    with HttpsServer(folder) as web:
        url = web.url("a/b.bin")                       # https://127.0.0.1:PORT/a/b.bin
        ctx = ssl.create_default_context(cafile=web.ca_file)
        urllib.request.urlopen(url, context=ctx)

A client trusts the server by `ca_file` (the CA) and nothing else: without it, verification fails as
it should. `requests` lists what was asked (method, path, Range, status, body bytes sent).
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import http.server
import ipaddress
import os
import re
import shutil
import ssl
import tempfile
import threading
import urllib.parse
from pathlib import Path
from typing import List, NamedTuple, Optional, Tuple

from ._base import HOST, Managed


class Served(NamedTuple):
    method: str
    path: str
    range: Optional[str]
    status: int
    body_bytes: int


def make_certificate(folder: Path, names=("localhost",), ips=(HOST,)) -> Tuple[Path, Path, Path]:
    """Writes ca.pem, cert.pem (the server's, with its SANs, signed by the CA) and key.pem into folder;
    returns (ca_file, cert_file, key_file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=2)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("wrapp test CA")).issuer_name(name("wrapp test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    sans = [x509.DNSName(n) for n in names] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    cert = (x509.CertificateBuilder().subject_name(name(names[0] if names else ips[0])).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    files[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    os.chmod(files[2], 0o600)
    return files


_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real CDN
    server_version = "wrapp-test-https"
    owner: "HttpsServer"

    def log_message(self, format, *args):  # quiet; `requests` keeps the record
        pass

    def do_HEAD(self):
        self._serve(body=False)

    def do_GET(self):
        self._serve(body=True)

    def _reply(self, status: int, headers: dict, data: bytes, body: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)
        self.owner._record(Served(self.command, self.path, self.headers.get("Range"), status,
                                  len(data) if body else 0))

    def _serve(self, body: bool) -> None:
        rel = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path).lstrip("/")
        root = self.owner.folder.resolve()
        target = (root / rel).resolve()
        if (root not in target.parents and target != root) or not target.is_file():
            return self._reply(404, {"Content-Type": "text/plain"}, b"not found\n", body)
        data = target.read_bytes()
        st = target.stat()
        headers = {"Content-Type": "application/octet-stream", "Accept-Ranges": "bytes",
                   "ETag": '"%s"' % hashlib.md5(data).hexdigest(),
                   "Last-Modified": email.utils.formatdate(st.st_mtime, usegmt=True)}
        spec = self.headers.get("Range")
        m = _RANGE.match(spec.strip()) if spec else None
        if m is None or (m.group(1) == "" and m.group(2) == ""):
            # no Range, or one this server does not take (several ranges): the whole file, as RFC 9110 allows
            return self._reply(200, headers, data, body)
        size = len(data)
        if m.group(1) == "":  # bytes=-N: the last N bytes
            first, last = max(0, size - int(m.group(2))), size - 1
        else:
            first = int(m.group(1))
            last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
        if first >= size or last < first or (m.group(1) == "" and int(m.group(2)) == 0):
            headers["Content-Range"] = f"bytes */{size}"
            return self._reply(416, headers, b"", body)
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        return self._reply(206, headers, data[first:last + 1], body)


class _TlsServer(http.server.ThreadingHTTPServer):
    """Makes each connection's TLS handshake in that connection's own thread (a client that connects
    and says nothing holds up no one)."""

    daemon_threads = True
    tls: ssl.SSLContext

    def finish_request(self, request, client_address):
        request.settimeout(30)
        try:
            request = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            request.close()
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        pass  # a client that went away (or failed the handshake) is no failure of the server


class HttpsServer(Managed):
    """Serves `folder` over HTTPS on a free loopback port, from a thread of this process."""

    name = "https"

    def __init__(self, folder, start_timeout: float = 10.0):
        self.folder = Path(folder)
        self.host = HOST
        self.port: Optional[int] = None
        self.requests: List[Served] = []
        self._lock = threading.Lock()
        self._httpd: Optional[http.server.ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self._tmp: Optional[str] = None

    @property
    def endpoint(self) -> str:
        if self.port is None:
            raise RuntimeError("https server is not started")
        return f"https://{self.host}:{self.port}"

    def url(self, relative: str) -> str:
        return f"{self.endpoint}/{urllib.parse.quote(relative.lstrip('/'))}"

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts this server (and verifies host names)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def _record(self, served: Served) -> None:
        with self._lock:
            self.requests.append(served)

    def start(self) -> "HttpsServer":
        if self._httpd is not None:
            return self
        self._tmp = tempfile.mkdtemp(prefix="wrapp-https-")
        self.ca_file, self.cert_file, self.key_file = make_certificate(Path(self._tmp))
        handler = type("Handler", (_Handler,), {"owner": self})
        httpd = _TlsServer((self.host, 0), handler)
        httpd.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        httpd.tls.load_cert_chain(str(self.cert_file), str(self.key_file))
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(target=httpd.serve_forever, name="wrapp-https", daemon=True)
        self._thread.start()
        self._track()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._track(False)
