"""Google Cloud Storage by gcp-storage-emulator (PyPI), an emulator of the JSON API, in memory, on a
loopback port.

    with GcsEmulator() as gcs:
        gcs.create_bucket("repo")
        gcs.client().bucket("repo").blob("a").upload_from_string(b"x", if_generation_match=0)
        env = gcs.env()   # STORAGE_EMULATOR_HOST, the variable Google's own clients read

The emulator takes no credentials (any or none are accepted). Which preconditions it enforces
(`ifGenerationMatch`) is probed by tests/servers/test_servers.py and written in docs/storage.md.
"""

from __future__ import annotations

import json
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

from ._base import Server, ServerStartError


class GcsEmulator(Server):
    name = "gcp-storage-emulator"
    project = "wrapp-test"

    def _command(self, port: int) -> Sequence[str]:
        exe = shutil.which("gcp-storage-emulator") or str(Path(sys.executable).parent / "gcp-storage-emulator")
        if not Path(exe).exists():
            raise ServerStartError("gcp-storage-emulator not found: pip install -r requirements-dev.txt "
                                   "(setup.sh does)")
        return [exe, "start", "--host", self.host, "--port", str(port), "--in-memory"]

    def env(self) -> Dict[str, str]:
        """STORAGE_EMULATOR_HOST (a URL with scheme, as google-cloud-storage and wrapp read it)."""
        return {"STORAGE_EMULATOR_HOST": self.endpoint, "GOOGLE_CLOUD_PROJECT": self.project}

    def create_bucket(self, name: str) -> str:
        """Creates bucket `name` through the JSON API; returns its gs:// URL."""
        req = urllib.request.Request(
            f"{self.endpoint}/storage/v1/b?project={self.project}", data=json.dumps({"name": name}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(req, timeout=10).read()
        return f"gs://{name}"

    def client(self):
        """A google-cloud-storage client on this emulator (anonymous credentials)."""
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(project=self.project, credentials=AnonymousCredentials(),
                              client_options={"api_endpoint": self.endpoint})

    def wipe(self) -> None:
        """Forgets every bucket and object (the emulator's /wipe)."""
        urllib.request.urlopen(self.endpoint + "/wipe", timeout=10).read()

    def upload(self, bucket: str, name: str, data: bytes, kind: str = "media",
               if_generation_match: Optional[int] = None, metadata: Optional[Dict[str, str]] = None
               ) -> Tuple[int, dict]:
        """One upload through the JSON API by hand, as a client without Google's library sends it:
        kind "media" (uploadType=media, the simple upload), "multipart" or "resumable" (a session
        started, then the bytes in one PUT). Returns (HTTP status, the JSON answer or {})."""
        query = {"uploadType": kind, "name": name}
        if if_generation_match is not None:
            query["ifGenerationMatch"] = str(if_generation_match)
        url = f"{self.endpoint}/upload/storage/v1/b/{bucket}/o?" + urllib.parse.urlencode(query)
        resource = json.dumps({"name": name, "metadata": metadata or {}}).encode()
        if kind == "media":
            return _call("POST", url, data, {"Content-Type": "application/octet-stream"})
        if kind == "multipart":
            boundary = uuid.uuid4().hex
            body = (f"--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n".encode()
                    + resource + f"\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n".encode()
                    + data + f"\r\n--{boundary}--\r\n".encode())
            return _call("POST", url, body, {"Content-Type": f"multipart/related; boundary={boundary}"})
        if kind == "resumable":
            status, _, headers = _call("POST", url, resource, {"Content-Type": "application/json; charset=UTF-8"},
                                       with_headers=True)
            if status != 200:
                return status, {}
            return _call("PUT", headers["Location"], data, {"Content-Type": "application/octet-stream"})
        raise ValueError(f"unknown upload kind {kind!r}")


def _call(method: str, url: str, body: bytes, headers: Dict[str, str], with_headers: bool = False):
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, text, got = r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        status, text, got = e.code, e.read(), e.headers
    try:
        answer = json.loads(text) if text else {}
    except ValueError:
        answer = {"text": text.decode(errors="replace")}
    return (status, answer, got) if with_headers else (status, answer)
