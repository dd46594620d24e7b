"""The test servers themselves: each starts, answers its official client, enforces (or not) what
docs/storage.md says it does, and stops with its whole process group; the fault proxy does each fault.

Each server is started once for this module; every test uses its own bucket, container or key.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

import pytest

from . import (SLOW_DOWN_BODY, Azurite, FaultProxy, GcsEmulator, HttpsServer, MotoS3, S3rver, Server,
               ServerStartError)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def group_alive(pgid: int, wait: float = 5.0) -> bool:
    """Whether a process of group pgid other than a zombie is left, after up to `wait` seconds (a
    killed child may stay a zombie where PID 1 does not reap, so kill(0) cannot tell)."""
    deadline = time.monotonic() + wait
    while True:
        alive = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive = True
                break
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def serving(cls, name):
    """A module-scoped fixture `name`: a started `cls()`, stopped after the module's tests."""
    @pytest.fixture(scope="module", name=name)
    def fixture():
        with cls() as s:
            yield s
    return fixture


moto = serving(MotoS3, "moto")
s3rver = serving(S3rver, "s3rver")
azurite = serving(Azurite, "azurite")
gcs = serving(GcsEmulator, "gcs")


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    folder = tmp_path_factory.mktemp("web")
    (folder / "dir with space").mkdir()
    (folder / "dir with space" / "data.bin").write_bytes(bytes(range(256)) * 40)  # 10240 bytes
    with HttpsServer(folder) as s:
        yield s


def client_error(exc_info):
    """(error code, HTTP status) of a botocore ClientError."""
    r = exc_info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


# ---- S3: moto

def test_moto_put_get_with_metadata_and_range(moto):
    bucket = moto.create_bucket(unique("rt"))[len("s3://"):]
    c = moto.boto3_client()
    c.put_object(Bucket=bucket, Key="a/b.bin", Body=b"0123456789", Metadata={"sha": "abc"})
    got = c.get_object(Bucket=bucket, Key="a/b.bin")
    assert got["Body"].read() == b"0123456789"
    assert got["Metadata"] == {"sha": "abc"}
    part = c.get_object(Bucket=bucket, Key="a/b.bin", Range="bytes=2-4")
    assert part["Body"].read() == b"234"
    assert part["ContentRange"] == "bytes 2-4/10"


def test_moto_enforces_if_none_match_and_if_match(moto):
    import botocore.exceptions

    bucket = moto.create_bucket(unique("cond"))[len("s3://"):]
    c = moto.boto3_client()
    first = c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"first", IfNoneMatch="*")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"second", IfNoneMatch="*")
    assert client_error(e) == ("PreconditionFailed", 412)
    assert c.get_object(Bucket=bucket, Key="pkg.wrapp")["Body"].read() == b"first"
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"second", IfMatch='"0123"')
    assert client_error(e) == ("PreconditionFailed", 412)
    c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"third", IfMatch=first["ETag"])
    assert c.get_object(Bucket=bucket, Key="pkg.wrapp")["Body"].read() == b"third"
    # multipart: the condition is checked at CompleteMultipartUpload
    up = c.create_multipart_upload(Bucket=bucket, Key="pkg.wrapp")
    part = c.upload_part(Bucket=bucket, Key="pkg.wrapp", UploadId=up["UploadId"], PartNumber=1, Body=b"mp")
    with pytest.raises(botocore.exceptions.ClientError) as e:
        c.complete_multipart_upload(Bucket=bucket, Key="pkg.wrapp", UploadId=up["UploadId"], IfNoneMatch="*",
                                    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
    assert client_error(e) == ("PreconditionFailed", 412)


def test_moto_accepts_any_credentials(moto):
    import boto3

    bucket = moto.create_bucket(unique("creds"))[len("s3://"):]
    moto.boto3_client().put_object(Bucket=bucket, Key="k", Body=b"x")
    other = boto3.client("s3", endpoint_url=moto.endpoint, aws_access_key_id="nobody",
                         aws_secret_access_key="wrong", region_name=moto.region)
    assert other.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_moto_env_points_boto3_at_it(moto, monkeypatch):
    import boto3

    bucket = moto.create_bucket(unique("env"))[len("s3://"):]
    for k, v in moto.env().items():
        monkeypatch.setenv(k, v)
    boto3.client("s3").put_object(Bucket=bucket, Key="k", Body=b"via env")
    assert moto.boto3_client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"via env"


# ---- S3: s3rver

def test_s3rver_round_trip(s3rver):
    bucket = s3rver.create_bucket(unique("rt"))[len("s3://"):]
    c = s3rver.boto3_client()
    c.put_object(Bucket=bucket, Key="a/b.bin", Body=b"0123456789", Metadata={"sha": "abc"})
    got = c.get_object(Bucket=bucket, Key="a/b.bin", Range="bytes=2-4")
    assert got["Body"].read() == b"234"
    assert got["Metadata"] == {"sha": "abc"}
    up = c.create_multipart_upload(Bucket=bucket, Key="big")
    parts = [c.upload_part(Bucket=bucket, Key="big", UploadId=up["UploadId"], PartNumber=n, Body=body)
             for n, body in ((1, b"a" * (5 << 20)), (2, b"b"))]
    c.complete_multipart_upload(Bucket=bucket, Key="big", UploadId=up["UploadId"], MultipartUpload={
        "Parts": [{"PartNumber": n + 1, "ETag": p["ETag"]} for n, p in enumerate(parts)]})
    assert c.head_object(Bucket=bucket, Key="big")["ContentLength"] == (5 << 20) + 1
    keys = [o["Key"] for o in c.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == ["a/b.bin", "big"]


def test_s3rver_ignores_conditional_put(s3rver):
    """s3rver does not enforce If-None-Match / If-Match on PutObject: the second create-only put wins.
    When this fails, s3rver started enforcing them: update docs/storage.md."""
    bucket = s3rver.create_bucket(unique("cond"))[len("s3://"):]
    c = s3rver.boto3_client()
    c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"first", IfNoneMatch="*")
    c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"second", IfNoneMatch="*")
    c.put_object(Bucket=bucket, Key="pkg.wrapp", Body=b"third", IfMatch='"0123"')
    assert c.get_object(Bucket=bucket, Key="pkg.wrapp")["Body"].read() == b"third"


def test_s3rver_checks_the_access_key_not_the_v4_secret(s3rver):
    import boto3
    import botocore.exceptions

    bucket = s3rver.create_bucket(unique("creds"))[len("s3://"):]
    s3rver.boto3_client().put_object(Bucket=bucket, Key="k", Body=b"x")

    def client(key, secret):
        return boto3.client("s3", endpoint_url=s3rver.endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                            region_name=s3rver.region)

    with pytest.raises(botocore.exceptions.ClientError) as e:
        client("nobody", s3rver.secret_key).get_object(Bucket=bucket, Key="k")
    assert client_error(e) == ("InvalidAccessKeyId", 403)
    assert client(s3rver.access_key, "wrong").get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


# ---- Azure Blob: Azurite

def test_azurite_round_trip_with_metadata_range_and_blocks(azurite):
    container = unique("rt")
    azurite.create_container(container)
    blob = azurite.blob_service_client().get_blob_client(container, "a/b.bin")
    blob.upload_blob(b"0123456789", metadata={"sha": "abc"})
    assert blob.download_blob().readall() == b"0123456789"
    assert blob.download_blob(offset=2, length=3).readall() == b"234"
    assert blob.get_blob_properties().metadata == {"sha": "abc"}
    # above max_single_put_size the client sends Put Block + Put Block List
    big = azurite.blob_service_client(max_single_put_size=1 << 20, max_block_size=1 << 20) \
        .get_blob_client(container, "big")
    big.upload_blob(os.urandom(3 << 20) + b"end")
    assert big.get_blob_properties().size == (3 << 20) + 3
    assert len(big.get_block_list()[0]) == 4


def test_azurite_enforces_if_none_match_and_if_match(azurite):
    from azure.core import MatchConditions
    from azure.core.exceptions import ResourceExistsError, ResourceModifiedError

    container = unique("cond")
    azurite.create_container(container)
    service = azurite.blob_service_client(max_single_put_size=1 << 20, max_block_size=1 << 20)
    blob = service.get_blob_client(container, "pkg.wrapp")
    first = blob.upload_blob(b"first", overwrite=False)  # overwrite=False: If-None-Match: *
    with pytest.raises(ResourceExistsError) as e:
        blob.upload_blob(b"second", overwrite=False)
    assert (e.value.status_code, e.value.error_code) == (409, "BlobAlreadyExists")
    with pytest.raises(ResourceExistsError):  # Put Block List of a big blob: the same
        blob.upload_blob(b"x" * (2 << 20), overwrite=False)
    with pytest.raises(ResourceModifiedError) as e:
        blob.upload_blob(b"second", overwrite=True, etag='"0x8D0000000000000"',
                         match_condition=MatchConditions.IfNotModified)
    assert e.value.status_code == 412
    assert blob.download_blob().readall() == b"first"
    blob.upload_blob(b"third", overwrite=True, etag=first["etag"], match_condition=MatchConditions.IfNotModified)
    assert blob.download_blob().readall() == b"third"


def test_azurite_checks_shared_key(azurite):
    from azure.core.exceptions import HttpResponseError

    container = unique("creds")
    azurite.create_container(container)
    azurite.blob_service_client().get_blob_client(container, "k").upload_blob(b"x")
    wrong = "A" * 4 + azurite.key[4:]
    with pytest.raises(HttpResponseError) as e:
        azurite.blob_service_client(key=wrong).get_blob_client(container, "k").download_blob().readall()
    assert (e.value.status_code, e.value.error_code) == (403, "AuthorizationFailure")


def test_azurite_connection_string(azurite):
    from azure.storage.blob import BlobServiceClient

    container = unique("cs")
    azurite.create_container(container)
    service = BlobServiceClient.from_connection_string(azurite.env()["AZURE_STORAGE_CONNECTION_STRING"])
    service.get_blob_client(container, "k").upload_blob(b"via connection string")
    assert azurite.blob_service_client().get_blob_client(container, "k").download_blob().readall() == \
        b"via connection string"


# ---- GCS: gcp-storage-emulator

def test_gcs_round_trip_with_google_client(gcs):
    bucket = gcs.create_bucket(unique("rt"))[len("gs://"):]
    b = gcs.client().bucket(bucket)
    blob = b.blob("a/b.bin")
    blob.metadata = {"sha": "abc"}
    blob.upload_from_string(b"0123456789", if_generation_match=0)
    got = b.get_blob("a/b.bin")
    assert got.metadata == {"sha": "abc"}
    assert got.download_as_bytes() == b"0123456789"
    assert got.download_as_bytes(start=2, end=4) == b"234"
    assert [x.name for x in gcs.client().list_blobs(bucket)] == ["a/b.bin"]


# What the emulator enforces of ifGenerationMatch=0 (create only) on an existing object, by upload
# kind (uploadType). True: 412 as on GCS; False: the upload succeeds and replaces the object.
# When a probe below fails, the emulator changed: update this table and docs/storage.md.
GCS_ENFORCES_IF_GENERATION_MATCH_0 = {"media": False, "multipart": False, "resumable": False}


@pytest.mark.parametrize("kind", sorted(GCS_ENFORCES_IF_GENERATION_MATCH_0))
def test_gcs_probe_if_generation_match_0(gcs, kind):
    bucket = gcs.create_bucket(unique("cond"))[len("gs://"):]
    status, first = gcs.upload(bucket, "pkg.wrapp", b"first", kind=kind, if_generation_match=0)
    assert status == 200 and first["size"] == "5"
    status, second = gcs.upload(bucket, "pkg.wrapp", b"second", kind=kind, if_generation_match=0)
    enforced = GCS_ENFORCES_IF_GENERATION_MATCH_0[kind]
    assert status == (412 if enforced else 200), (status, second)
    content = gcs.client().bucket(bucket).blob("pkg.wrapp").download_as_bytes()
    assert content == (b"first" if enforced else b"second")


def test_gcs_probe_if_generation_match_stale(gcs):
    """A stale generation number (not 0) is not enforced either."""
    bucket = gcs.create_bucket(unique("gen"))[len("gs://"):]
    status, first = gcs.upload(bucket, "k", b"first", kind="multipart")
    status, _ = gcs.upload(bucket, "k", b"second", kind="multipart", if_generation_match=int(first["generation"]) + 1)
    assert status == 200


def test_gcs_env_names_the_emulator(gcs, monkeypatch):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    bucket = gcs.create_bucket(unique("env"))[len("gs://"):]
    for k, v in gcs.env().items():
        monkeypatch.setenv(k, v)
    storage.Client(credentials=AnonymousCredentials()).bucket(bucket).blob("k").upload_from_string(b"via env")
    assert gcs.client().bucket(bucket).blob("k").download_as_bytes() == b"via env"


# ---- HTTPS

def test_https_get_range_head(web):
    url = web.url("dir with space/data.bin")
    ctx = web.ssl_context()
    data = bytes(range(256)) * 40
    with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
        assert (r.status, r.read()) == (200, data)
        assert r.headers["Accept-Ranges"] == "bytes"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=1000-1009"}),
                                context=ctx, timeout=10) as r:
        assert (r.status, r.read()) == (206, data[1000:1010])
        assert r.headers["Content-Range"] == "bytes 1000-1009/10240"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=-5"}),
                                context=ctx, timeout=10) as r:
        assert (r.status, r.read()) == (206, data[-5:])
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10000-"}),
                                context=ctx, timeout=10) as r:
        assert (r.status, r.read()) == (206, data[10000:])
    with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), context=ctx, timeout=10) as r:
        assert (r.status, r.read(), r.headers["Content-Length"]) == (200, b"", "10240")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10240-"}), context=ctx, timeout=10)
    assert (e.value.code, e.value.headers["Content-Range"]) == (416, "bytes */10240")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(web.url("missing"), context=ctx, timeout=10)
    assert e.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(web.url("../" * 5 + "etc/passwd"), context=ctx, timeout=10)
    assert e.value.code == 404
    assert ("GET", "bytes=1000-1009", 206, 10) in [(r.method, r.range, r.status, r.body_bytes) for r in web.requests]


def test_https_certificate_is_verified(web):
    with pytest.raises(urllib.error.URLError) as e:  # the system's CAs do not know the test CA
        urllib.request.urlopen(web.url("dir with space/data.bin"), timeout=10)
    assert isinstance(e.value.reason, ssl.SSLCertVerificationError)
    ctx = ssl.create_default_context(cafile=str(web.ca_file))
    with socket.create_connection((web.host, web.port), timeout=10) as raw:  # the name is checked too
        with pytest.raises(ssl.SSLCertVerificationError):
            ctx.wrap_socket(raw, server_hostname="not-this-host.example")
    with socket.create_connection((web.host, web.port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            assert tls.version() in ("TLSv1.2", "TLSv1.3")


# ---- lifecycle

class _Fails(Server):
    name = "fails"

    def _command(self, port):
        return [sys.executable, "-c", "import sys; print('boom on purpose'); sys.exit(3)"]


class _Silent(Server):
    name = "silent"

    def _command(self, port):
        # prints, then a child of its own, then never listens
        return ["sh", "-c", "echo 'listening soon'; sleep 60 & sleep 60"]


def test_start_failure_names_the_output():
    with pytest.raises(ServerStartError, match=r"(?s)exited with code 3.*boom on purpose"):
        _Fails().start()


def test_start_timeout_kills_the_group():
    s = _Silent(start_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ServerStartError, match=r"(?s)did not answer within.*listening soon"):
        s.start()
    assert time.monotonic() - started < 10
    assert not group_alive(s.proc.pid)


def test_stop_kills_the_process_group_and_frees_the_port():
    s = MotoS3().start()
    pid, port = s.proc.pid, s.port
    os.killpg(pid, 0)  # running
    s.stop()
    assert not s.running()
    assert not group_alive(pid)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_servers_die_with_the_python_process_that_started_them(tmp_path):
    """Killed with SIGKILL, the test process runs no atexit: PR_SET_PDEATHSIG still ends the server."""
    import subprocess

    script = ("import os, sys; sys.path.insert(0, sys.argv[1]); from servers import MotoS3; s = MotoS3().start(); "
              "print(s.proc.pid, flush=True); os.kill(os.getpid(), 9)")
    out = subprocess.run([sys.executable, "-c", script, os.path.dirname(os.path.dirname(__file__))],
                         capture_output=True, text=True, timeout=60)
    pid = int(out.stdout.split()[0])
    if group_alive(pid, wait=10):
        os.killpg(pid, signal.SIGKILL)
        pytest.fail(f"server {pid} outlived the process that started it")


# ---- the fault proxy

@pytest.fixture
def proxy(moto):
    with FaultProxy(moto.endpoint) as p:
        yield p


def s3_via(server, proxy, **config):
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=proxy.endpoint, aws_access_key_id=server.access_key,
                        aws_secret_access_key=server.secret_key, region_name=server.region,
                        config=Config(**{"s3": {"addressing_style": "path"}, "retries": {"total_max_attempts": 1},
                                         **config}))


def test_proxy_passes_through_and_counts(moto, proxy):
    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    c = s3_via(moto, proxy)
    c.put_object(Bucket=bucket, Key="k", Body=b"x" * 100000)
    assert c.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x" * 100000
    assert c.head_object(Bucket=bucket, Key="k")["ContentLength"] == 100000
    assert (proxy.count("PUT"), proxy.count("GET"), proxy.count("HEAD"), proxy.count()) == (1, 1, 1, 3)
    assert proxy.requests[1].response_bytes == 100000
    assert [r.action for r in proxy.requests] == ["forward"] * 3


def test_proxy_passes_chunked_bodies_and_expect_100_continue(moto, proxy):
    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.request("PUT", f"/{bucket}/chunked", body=iter([b"abc", b"defg"]), encode_chunked=True)
    r = conn.getresponse()
    assert (r.status, r.read()) == (200, b"")
    conn.close()
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
        s.sendall(f"PUT /{bucket}/expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Expect: 100-continue\r\n\r\n".encode())
        assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n")  # the server's, before the body
        s.sendall(b"hello")
        answer = b""
        while b"HTTP/1.1 200" not in answer:
            more = s.recv(4096)
            assert more, answer
            answer += more
    got = moto.boto3_client()
    assert got.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"abcdefg"
    assert got.get_object(Bucket=bucket, Key="expect")["Body"].read() == b"hello"


def test_proxy_answers_503_slow_down_then_lets_retries_through(moto, proxy):
    import botocore.exceptions

    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    proxy.respond(503, method="PUT", path="/k$", count=2, slow_down=True)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3_via(moto, proxy).put_object(Bucket=bucket, Key="k", Body=b"x")
    assert client_error(e) == ("SlowDown", 503)
    retrying = s3_via(moto, proxy, retries={"total_max_attempts": 3, "mode": "standard"})
    retrying.put_object(Bucket=bucket, Key="k", Body=b"y")  # one more 503, then through
    assert proxy.count("PUT", action="respond") == 2
    assert proxy.count("PUT", action="forward") == 1
    assert moto.boto3_client().get_object(Bucket=bucket, Key="k")["Body"].read() == b"y"


def test_proxy_answers_500_and_429_with_body_and_retry_after(moto, proxy):
    moto.create_bucket(unique("px"))
    proxy.respond(429, retry_after=7, body=b"slow")
    proxy.respond(500, skip=2)  # the third request it matches, whichever rule took the first
    conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=10)
    conn.request("GET", "/")
    r = conn.getresponse()
    assert (r.status, r.getheader("Retry-After"), r.read()) == (429, "7", b"slow")
    conn.request("GET", "/")  # the same connection: kept alive
    r = conn.getresponse()
    assert (r.status, r.read()[:5]) == (200, b"<?xml")
    conn.request("GET", "/")
    r = conn.getresponse()
    assert (r.status, r.read()) == (500, b"")
    conn.request("GET", "/")
    r = conn.getresponse()
    assert (r.status, r.read()[:5]) == (200, b"<?xml")
    conn.close()
    assert SLOW_DOWN_BODY.startswith(b"<?xml") and b"<Code>SlowDown</Code>" in SLOW_DOWN_BODY


def test_proxy_drops_before_and_after_the_server(moto, proxy):
    import botocore.exceptions

    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    c = s3_via(moto, proxy)
    broken = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
    proxy.drop(method="PUT", path="/before$")
    with pytest.raises(broken):
        c.put_object(Bucket=bucket, Key="before", Body=b"x")
    proxy.drop(method="PUT", path="/after$", after_upstream=True, reset=True)
    with pytest.raises(broken):
        c.put_object(Bucket=bucket, Key="after", Body=b"x")
    keys = [o["Key"] for o in moto.boto3_client().list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["after"]  # the server did the second write; its client never heard
    assert [r.status for r in proxy.requests] == [None, None]


def test_proxy_stalls(moto, proxy):
    import botocore.exceptions

    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    moto.boto3_client().put_object(Bucket=bucket, Key="k", Body=b"z" * 5000)
    proxy.stall(2, method="GET")
    impatient = s3_via(moto, proxy, read_timeout=0.5, connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        impatient.get_object(Bucket=bucket, Key="k")
    assert time.monotonic() - started < 1.9
    proxy.stall(1, method="GET", after_bytes=1000)
    started = time.monotonic()
    assert s3_via(moto, proxy).get_object(Bucket=bucket, Key="k")["Body"].read() == b"z" * 5000
    assert 0.9 < time.monotonic() - started < 5


def test_proxy_counts_requests_in_flight_at_once(moto, proxy):
    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    moto.boto3_client().put_object(Bucket=bucket, Key="k", Body=b"z" * 5000)
    c = s3_via(moto, proxy)
    c.get_object(Bucket=bucket, Key="k")["Body"].read()

    def settled():  # the proxy's thread ends its bookkeeping just after the client has the last byte
        deadline = time.monotonic() + 5
        while proxy.in_flight and time.monotonic() < deadline:
            time.sleep(0.01)
        return proxy.in_flight, proxy.peak_in_flight

    assert settled() == (0, 1)
    proxy.stall(1, method="GET", count=None)  # every GET: long enough for three to overlap
    threads = [threading.Thread(target=lambda: c.get_object(Bucket=bucket, Key="k")["Body"].read())
               for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert settled() == (0, 3)
    proxy.reset()
    assert proxy.peak_in_flight == 0


def test_proxy_truncates_a_body(moto, proxy):
    import botocore.exceptions

    bucket = moto.create_bucket(unique("px"))[len("s3://"):]
    moto.boto3_client().put_object(Bucket=bucket, Key="k", Body=b"z" * 5000)
    proxy.truncate(100, method="GET")
    with pytest.raises(botocore.exceptions.ResponseStreamingError, match="IncompleteRead.100 bytes read"):
        s3_via(moto, proxy).get_object(Bucket=bucket, Key="k")["Body"].read()
    assert proxy.requests[-1].response_bytes == 100
    assert s3_via(moto, proxy).get_object(Bucket=bucket, Key="k")["Body"].read() == b"z" * 5000  # count=1


def test_proxy_in_front_of_azurite_keeps_shared_key_valid(azurite):
    container = unique("px")
    azurite.create_container(container)
    with FaultProxy(azurite.endpoint) as p:
        from azure.storage.blob import BlobServiceClient, LinearRetry

        via = BlobServiceClient(f"{p.endpoint}/{azurite.account}",
                                credential={"account_name": azurite.account, "account_key": azurite.key},
                                retry_policy=LinearRetry(backoff=0.1, random_jitter_range=0.05))
        p.respond(503, method="PUT", headers={"x-ms-error-code": "ServerBusy"})  # the client retries it
        via.get_blob_client(container, "k").upload_blob(b"through the proxy", overwrite=False)
        assert via.get_blob_client(container, "k").download_blob().readall() == b"through the proxy"
        assert p.count("PUT") == 2 and p.count("PUT", action="respond") == 1


def test_proxy_in_front_of_https_speaks_tls(web):
    with FaultProxy(web.endpoint, upstream_ca=web.ca_file, tls=(web.cert_file, web.key_file)) as p:
        assert p.endpoint.startswith("https://")
        url = p.endpoint + "/dir%20with%20space/data.bin"
        req = urllib.request.Request(url, headers={"Range": "bytes=0-3"})
        with urllib.request.urlopen(req, context=web.ssl_context(), timeout=10) as r:
            assert (r.status, r.read()) == (206, b"\x00\x01\x02\x03")
        p.truncate(10)
        with urllib.request.urlopen(url, context=web.ssl_context(), timeout=10) as r:
            with pytest.raises(http.client.IncompleteRead):
                r.read()
        assert p.count("GET") == 2


def test_proxy_stop_closes_client_connections(moto):
    p = FaultProxy(moto.endpoint).start()
    conn = socket.create_connection(("127.0.0.1", p.port), timeout=5)
    time.sleep(0.1)
    p.stop()
    assert conn.recv(1) == b""  # closed by the proxy
    conn.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", p.port), timeout=1).close()
