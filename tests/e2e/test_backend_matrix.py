"""One scenario suite, run for every storage backend: a local folder, S3 (moto, and s3rver as a second
implementation), Google Cloud Storage (gcp-storage-emulator) and Azure Blob (Azurite).

Every backend is described once, by the module fixture `<name>_backend` that returns its `Backend`: how to
make a fresh repository URL, the environment of a wrapp process, and the objects below a URL (bytes, the
wrapp hash in their metadata) as the service's official client sees them: boto3, google-cloud-storage,
azure-storage-blob. The scenarios are parametrised over the names in BACKENDS:

- create, list-repo, install, status, check (also after objects were replaced behind wrapp's back);
- mirror for every ordered pair of backends (23: same-backend pairs included, moto and s3rver not with
  each other), and that a mirror within one object store copies server-side;
- export from a backend and import into it; publish-redirect into a backend and install from there;
- a wrong key for each cloud backend: exit 2, a message naming the URL, nothing written;
- a fault-injecting proxy (tests/servers/fault_proxy.py) in front of each cloud backend: transient 5xx,
  drops, stalls and truncations are retried to the right bytes, persistent ones fail in bounded time,
  and a truncated object is never accepted nor a version published half.

Servers start once per module, each on first use; every test writes below fresh prefixes. s3rver ignores
write conditions (docs/storage.md), so no scenario here races two writers; and it answers a ranged GET of
an empty object with a Content-Length of 1 and no body, which wrapp's S3 reader recognises by its
Content-Range (`bytes 0-0/0`) instead of waiting for the byte.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import re
import sys
import tarfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, NamedTuple, Optional

import pytest

from hash_cache_table import read_table
from helpers import hash_bytes, partial_files, random_bytes, read_tree, run_wrapp, started, write_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for tests/servers
from servers import Azurite, ByteCounter, FaultProxy, GcsEmulator, MotoS3, S3rver  # noqa: E402

MIB = 1 << 20
NAME, VERSION = "p", "1"
VDIR = f".packages/{NAME}/{VERSION}/"  # the version folder, relative to a repository
PACKAGE_FILE = f".{NAME}.wrapp"
BIG = "big.bin"
BIG_SIZE = 6 * MIB + 4321

# A handful of files; big.bin (~6 MiB) is uploaded in parts (S3 multipart, a GCS resumable upload)
# with the thresholds of S3_ENV and GCS_ENV below, and read in ranged GETs (BIG_RANGES).
FILES = {
    "a.txt": b"alpha\n",
    "sub/b.txt": b"bravo\n",
    "sub/deep/c.bin": random_bytes(300_000, seed=61),
    "empty.txt": b"",
    "dir with space/\u00fcn\u00ef.txt": "unicode and a space\n".encode(),
    BIG: random_bytes(BIG_SIZE, seed=62),
}
HASHES = {rel: hash_bytes(data) for rel, data in FILES.items()}
# Every object a published version consists of, relative to its repository.
VERSION_KEYS = sorted([VDIR + rel for rel in FILES] + [VDIR + PACKAGE_FILE])

BUCKET = "wrapp-matrix"
REGION = "us-east-1"
S3_ENV = {"WRAPP_S3_MULTIPART_THRESHOLD": str(MIB)}  # parts stay at S3's 5 MiB minimum: 2 parts
GCS_ENV = {"WRAPP_GCS_MULTIPART_THRESHOLD": str(MIB), "WRAPP_GCS_CHUNK_SIZE": str(MIB)}
RETRY_ATTEMPTS = 6  # docs/storage.md: every request at most 6 attempts
# GETs of big.bin's bytes: its first bytes when it is opened, then 8 MiB ranges (docs/storage.md).
BIG_RANGES = 1 + -(-BIG_SIZE // (8 * MIB))


class Obj(NamedTuple):
    """An object as the service's official client sees it."""
    data: bytes
    hash: Optional[str]  # the wrapp hash in its metadata (None: none, or a store without metadata)
    etag: str


@dataclass
class Backend:
    name: str
    # A repository URL no test used before.
    fresh_repo: Callable[[], str]
    # The environment of a wrapp process; `endpoint`: a proxy in front of the server instead of it.
    env: Callable[[Optional[str]], Dict[str, str]]
    # URL -> {key relative to the URL: Obj} for every object below it, through the official client.
    objects: Callable[[str], Dict[str, Obj]]
    # Replaces the object at a URL with bytes and metadata, through the official client (behind wrapp's back).
    put: Callable[[str, bytes, Dict[str, str]], None]
    # The metadata key the official client shows the wrapp hash under (None: the store keeps none).
    metadata_key: Optional[str] = None
    # The server (None: no server, the local file system); `via(url, endpoint)`: the URL of the same
    # place reached through another endpoint (a proxy).
    upstream: Optional[str] = None
    via: Callable[[str, str], str] = lambda url, endpoint: url
    # A wrong credential: (env, a word the message must hold, the secret that must never be printed).
    wrong_key: Optional[Callable[[], "WrongKey"]] = None


class WrongKey(NamedTuple):
    env: Dict[str, str]
    says: str
    secret: str


_serial = itertools.count(1)


def _split(url: str):
    """(bucket, key) of an s3:// or gs:// URL."""
    u = urllib.parse.urlsplit(url)
    return u.netloc, u.path.lstrip("/")


def _below(prefix: str) -> str:
    return prefix.rstrip("/") + "/" if prefix else ""


@contextlib.contextmanager
def _enabled(label: str) -> bool:
    """True when `wrapp version` lists the storage backend `label` as ENABLED."""
    r = run_wrapp(["version"], Path.cwd())
    assert r.returncode == 0, str(r)
    return f"{label}: ENABLED" in r.stdout.splitlines()


# ---------------------------------------------------------------------------------------------
# The backends (module fixtures, each started on first use)


@pytest.fixture(scope="module")
def local_backend(tmp_path_factory) -> Backend:
    root = tmp_path_factory.mktemp("local-repos")

    def objects(url):
        base = Path(url)
        return {p.relative_to(base).as_posix(): Obj(p.read_bytes(), None, "")
                for p in sorted(base.rglob("*")) if p.is_file()} if base.exists() else {}

    def put(url, data, metadata):
        p = Path(url)
        p.chmod(0o644)  # published files are read-only
        p.write_bytes(data)

    return Backend("local", lambda: str(root / f"r{next(_serial)}"), lambda endpoint=None: {}, objects, put)


def _s3_like(name: str, s3, tmp_path_factory, wrong_key) -> Backend:
    """The Backend of an S3 server (moto or s3rver) holding BUCKET, seen through boto3."""
    s3.create_bucket(BUCKET)
    client = s3.boto3_client()
    none = tmp_path_factory.mktemp("aws") / "none"

    def env(endpoint=None):
        # No profile or configuration file of the machine leaks in.
        return {**s3.env(), "AWS_ENDPOINT_URL": endpoint or s3.endpoint, "AWS_SHARED_CREDENTIALS_FILE": str(none),
                "AWS_CONFIG_FILE": str(none), "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", **S3_ENV}

    def objects(url):
        bucket, prefix = _split(url)
        out = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=_below(prefix)):
            for o in page.get("Contents", []):
                got = client.get_object(Bucket=bucket, Key=o["Key"])
                out[o["Key"][len(_below(prefix)):]] = Obj(got["Body"].read(), got["Metadata"].get("wrapp-hash"),
                                                           got["ETag"])
        return out

    def put(url, data, metadata):
        bucket, key = _split(url)
        client.put_object(Bucket=bucket, Key=key, Body=data, Metadata=metadata)

    return Backend(name, lambda: f"s3://{BUCKET}/r{next(_serial)}", env, objects, put, "wrapp-hash", s3.endpoint,
                   wrong_key=lambda: wrong_key(env))


@pytest.fixture(scope="module")
def s3_backend(tmp_path_factory) -> Backend:
    with started(MotoS3()) as s3:
        # moto checks signatures once they are switched on (docs/storage.md), so that a wrong secret is
        # refused; boto3_client() and env() use the key it made for that.
        s3.require_signatures()

        def wrong_key(env):
            secret = "not-the-secret-" + "x" * 25
            return WrongKey(dict(env(), AWS_SECRET_ACCESS_KEY=secret), "SignatureDoesNotMatch", secret)

        backend = _s3_like("s3", s3, tmp_path_factory, wrong_key)
        yield backend
        client = s3.boto3_client()
        assert client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == [], "multipart uploads left over"


@pytest.fixture(scope="module")
def s3rver_backend(tmp_path_factory) -> Backend:
    """A second S3 implementation. s3rver checks the access key (not a V4 signature's secret) and ignores
    write conditions (docs/storage.md): its wrong key is a wrong access key."""
    with started(S3rver()) as s3:
        def wrong_key(env):
            key = "AKIAWRONGKEY00000000"
            return WrongKey(dict(env(), AWS_ACCESS_KEY_ID=key), "InvalidAccessKeyId", s3.secret_key + "-never-shown")

        yield _s3_like("s3rver", s3, tmp_path_factory, wrong_key)


@pytest.fixture(scope="module")
def gcs_backend(tmp_path_factory) -> Backend:
    with started(GcsEmulator()) as gcs, FaultProxy("http://127.0.0.1:9") as token_endpoint:
        gcs.create_bucket(BUCKET)
        client = gcs.client()

        def env(endpoint=None):
            return {**gcs.env(), "STORAGE_EMULATOR_HOST": endpoint or gcs.endpoint,
                    "GOOGLE_APPLICATION_CREDENTIALS": "", **GCS_ENV}

        def objects(url):
            bucket, prefix = _split(url)
            # Downloaded by name: the emulator's mediaLink names the host an object was uploaded through,
            # a proxy that may be gone.
            return {b.name[len(_below(prefix)):]: Obj(client.bucket(bucket).blob(b.name).download_as_bytes(),
                                                      (b.metadata or {}).get("wrapp-hash"), b.etag or "")
                    for b in client.list_blobs(bucket, prefix=_below(prefix))}

        def put(url, data, metadata):
            bucket, name = _split(url)
            blob = client.bucket(bucket).blob(name)
            blob.metadata = metadata
            blob.upload_from_string(data)

        # The emulator checks no credentials at all, so a wrong key is shown where Google refuses it: the
        # token endpoint (its answer to a JWT signed by a key it does not know), here a loopback stand-in
        # named by the key file's token_uri. Without STORAGE_EMULATOR_HOST wrapp must get a token before any
        # request to storage, so the refusal comes before anything could be written.
        token_endpoint.respond(400, count=None, headers={"Content-Type": "application/json"},
                               body=b'{"error":"invalid_grant","error_description":"Invalid JWT Signature."}')
        key_file = tmp_path_factory.mktemp("gcs-key") / "key.json"
        private_key = _rsa_private_key_pem()
        key_file.write_text(json.dumps({
            "type": "service_account", "project_id": gcs.project, "private_key_id": "0" * 40,
            "private_key": private_key, "client_email": "robot@wrapp-test.iam.gserviceaccount.com",
            "token_uri": token_endpoint.endpoint + "/token"}))

        def wrong_key():
            return WrongKey({**gcs.env(), "STORAGE_EMULATOR_HOST": "", "GOOGLE_APPLICATION_CREDENTIALS": str(key_file),
                             **GCS_ENV}, "invalid_grant", private_key.splitlines()[1])

        yield Backend("gcs", lambda: f"gs://{BUCKET}/r{next(_serial)}", env, objects, put, "wrapp-hash", gcs.endpoint,
                      wrong_key=wrong_key)


def _rsa_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@pytest.fixture(scope="module")
def azure_backend() -> Backend:
    if not _enabled("Azure Blob Storage"):
        pytest.skip("the Azure Blob Storage backend is not in this build (`wrapp version` reports it DISABLED)")
    with started(Azurite()) as az:
        container = "matrix"
        az.create_container(container)
        service = az.blob_service_client()
        blobs = service.get_container_client(container)

        def url_of(endpoint):
            return f"{endpoint}/{az.account}/{container}"

        def env(endpoint=None):
            return {**az.env(), "AZURE_STORAGE_CONNECTION_STRING": az.connection_string.replace(
                az.blob_endpoint, f"{endpoint or az.endpoint}/{az.account}")}

        def name_of(url):
            """The blob name (or prefix) of a URL below the container, whichever endpoint it goes through."""
            path = urllib.parse.urlsplit(url).path
            head = f"/{az.account}/{container}"
            assert path == head or path.startswith(head + "/"), url
            return path[len(head) + 1:]

        def objects(url):
            prefix = _below(name_of(url))
            return {b.name[len(prefix):]: Obj(blobs.download_blob(b.name).readall(),
                                              (b.metadata or {}).get("wrapp_hash"), b.etag)
                    for b in blobs.list_blobs(name_starts_with=prefix, include=["metadata"])}

        def put(url, data, metadata):
            blobs.upload_blob(name_of(url), data, overwrite=True, metadata=metadata)

        def wrong_key():
            secret = base64.b64encode(b"a key of the right length, not the emulator's one".ljust(64, b".")).decode()
            return WrongKey({**env(), "AZURE_STORAGE_CONNECTION_STRING": az.connection_string.replace(az.key, secret),
                             "AZURE_STORAGE_KEY": secret}, "AuthorizationFailure", secret)

        yield Backend("azure", lambda: f"{url_of(az.endpoint)}/r{next(_serial)}", env, objects, put, "wrapp_hash",
                      az.endpoint, lambda url, endpoint: url.replace(az.endpoint, endpoint, 1), wrong_key)


BACKENDS = ["local", "s3", "gcs", "azure", "s3rver"]
CLOUD = ["s3", "gcs", "azure", "s3rver"]
# Every ordered pair, but moto and s3rver with each other: both serve s3:// URLs of the same bucket
# name, and one wrapp process reaches one S3 endpoint (AWS_ENDPOINT_URL).
MIRROR_PAIRS = [(a, b) for a, b in itertools.product(BACKENDS, BACKENDS) if {a, b} != {"s3", "s3rver"}]


def _backend(request) -> Backend:
    return request.getfixturevalue(f"{request.param}_backend")


@pytest.fixture
def backend(request) -> Backend:
    return _backend(request)


src = pytest.fixture(name="src")(_backend)
dst = pytest.fixture(name="dst")(_backend)


# ---------------------------------------------------------------------------------------------
# The package, published once per backend


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    return write_tree(tmp_path_factory.mktemp("source") / "src", FILES)


@pytest.fixture(scope="module")
def published(source):
    """published(backend) -> the URL of a repository of that backend holding p 1 (made once; tests only read it)."""
    repos = {}

    def get(backend: Backend) -> str:
        if backend.name not in repos:
            repo = backend.fresh_repo()
            r = run_wrapp(["create", NAME, VERSION, source, "--repo", repo], source.parent, backend.env())
            assert r.returncode == 0, str(r)
            repos[backend.name] = repo
        return repos[backend.name]

    return get


def package_file(repo: str) -> str:
    return f"{repo}/{VDIR}{PACKAGE_FILE}"


def as_url(repo: str) -> str:
    """A repository as wrapp records it: its URL (a local folder's file:// URL)."""
    return repo if "://" in repo else Path(repo).resolve().as_uri()


def assert_holds_version(backend: Backend, repo: str, what: str = "") -> dict:
    """The official client's view of `repo`: exactly version p 1, every file byte for byte, and every
    data object's wrapp hash as metadata where the store keeps metadata. Returns the package file."""
    objects = backend.objects(repo)
    assert sorted(objects) == VERSION_KEYS, f"{what}: {sorted(objects)}"
    for rel, data in FILES.items():
        obj = objects[VDIR + rel]
        assert obj.data == data, f"{what}: {rel} differs from the source"
        if backend.metadata_key:
            assert obj.hash == HASHES[rel], f"{what}: {rel}: {backend.metadata_key} is {obj.hash!r}"
    # The package file carries no hash, or its own.
    info_obj = objects[VDIR + PACKAGE_FILE]
    assert info_obj.hash in (None, hash_bytes(info_obj.data)), what
    info = json.loads(info_obj.data)
    assert {i["relative_path"]: i["hash"] for i in info["catalog"]["items"]} == HASHES, what
    return info


def assert_check_clean(wrapp, repo: str, env: dict) -> None:
    r = wrapp("check", package_file(repo), env=env)
    assert r.returncode == 0 and r.stdout.endswith(f"checked {len(FILES)} files: all ok\n"), str(r)


def assert_installs(wrapp, repo: str, dest: Path, env: dict) -> None:
    """install from repo into dest gives exactly the source's files, and status says clean."""
    r = wrapp("install", NAME, VERSION, dest, "--repo", repo, env=env)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    assert tree.pop(PACKAGE_FILE, None) is not None, sorted(tree)
    assert tree == FILES, sorted(tree)
    r = wrapp("status", dest / PACKAGE_FILE, env=env)
    assert r.returncode == 0 and r.stdout == f"{NAME} {VERSION} at {dest}: clean\n", str(r)


def assert_nothing_published(backend: Backend, repo: str, wrapp, env: dict) -> None:
    """No version of p in repo (the package file is the last object written), and no lock left."""
    keys = sorted(backend.objects(repo))
    assert VDIR + PACKAGE_FILE not in keys, keys
    assert not [k for k in keys if k.startswith(".wrapp-locks/")], keys
    r = wrapp("list-repo", repo, env=env)
    assert r.stdout == "", str(r)


# ---------------------------------------------------------------------------------------------
# create, list-repo, install, status, check


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_create_and_list_repo(wrapp, backend, source):
    repo, env = backend.fresh_repo(), backend.env()
    r = wrapp("create", NAME, VERSION, source, "--repo", repo, env=env)
    assert r.returncode == 0, str(r)
    info = assert_holds_version(backend, repo, "after create")
    assert info["repository"] == as_url(repo), info["repository"]

    r = wrapp("list-repo", repo, env=env)
    assert r.returncode == 0 and r.stdout == f"{NAME}: {VERSION}\n", str(r)
    r = wrapp("list-repo", repo, "--json", env=env)
    assert r.returncode == 0 and json.loads(r.stdout) == [{"name": NAME, "versions": [VERSION]}], str(r)

    # A published version is never written again: refused, and every object is as it was.
    before = backend.objects(repo)
    r = wrapp("create", NAME, VERSION, source, "--repo", repo, env=env)
    assert r.returncode == 1, str(r)
    assert backend.objects(repo) == before


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_without_repo_create_uses_the_nearest_repository_else_the_bucket_root(wrapp, backend):
    """docs/design.md, "Decisions" 1: the nearest folder at or above the source holding .packages, and in an
    object store with none, the root of the bucket or container (the reference's "server root")."""
    env, base = backend.env(), backend.fresh_repo()
    root = base.rsplit("/", 1)[0]  # fresh repositories are one level below the bucket or container
    src = f"{base}/work/src"
    for rel, data in FILES.items():
        backend.put(f"{src}/{rel}", data, {})
    name = f"rootdefault{next(_serial)}"
    version_keys = sorted([*FILES, f".{name}.wrapp"])

    r = wrapp("create", name, "1", src, env=env)
    assert r.returncode == 0, str(r)
    assert sorted(backend.objects(f"{root}/.packages/{name}/1")) == version_keys
    assert backend.objects(f"{base}/.packages") == {}

    # A repository nearer the source wins over the root.
    r = wrapp("create", NAME, VERSION, src, "--repo", base, env=env)
    assert r.returncode == 0, str(r)
    r = wrapp("create", name, "2", src, env=env)
    assert r.returncode == 0, str(r)
    assert sorted(backend.objects(f"{base}/.packages/{name}/2")) == version_keys
    assert backend.objects(f"{root}/.packages/{name}/2") == {}
    r = wrapp("list-repo", root, env=env)
    assert r.returncode == 0 and f"{name}: 1\n" in r.stdout and f"{name}: 1 2" not in r.stdout, str(r)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_install_and_status(wrapp, tmp_path, backend, published):
    repo, env = published(backend), backend.env()
    dest = tmp_path / "dest"
    assert_installs(wrapp, repo, dest, env)

    # status sees what changed in the working copy.
    (dest / "a.txt").chmod(0o644)
    (dest / "a.txt").write_bytes(b"changed\n")
    (dest / "sub/b.txt").chmod(0o644)
    (dest / "sub/b.txt").unlink()
    (dest / "extra.txt").write_bytes(b"mine\n")
    r = wrapp("status", dest / PACKAGE_FILE, env=env)
    assert r.returncode == 1, str(r)
    assert r.stdout.splitlines()[0] == f"{NAME} {VERSION} at {dest}: dirty", str(r)
    assert sorted(line.split()[0:2] for line in r.stdout.splitlines()[1:]) == [
        ["extra_item", "extra.txt"], ["item_differs", "a.txt"], ["item_missing", "sub/b.txt"]], str(r)

    # Installing over local changes is refused, and changes nothing; discarded, a new install is exact.
    r = wrapp("install", NAME, VERSION, dest, "--repo", repo, env=env)
    assert r.returncode == 1 and "a.txt" in r.stderr and "sub/b.txt" in r.stderr, str(r)
    assert (dest / "a.txt").read_bytes() == b"changed\n" and not (dest / "sub/b.txt").exists()
    r = wrapp("uninstall", NAME, dest, "--force", env=env)
    assert r.returncode == 0, str(r)
    (dest / "extra.txt").unlink()
    assert_installs(wrapp, repo, dest, env)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_check_finds_objects_replaced_behind_its_back(wrapp, backend, source):
    repo, env = backend.fresh_repo(), backend.env()
    assert wrapp("create", NAME, VERSION, source, "--repo", repo, env=env).returncode == 0
    assert_check_clean(wrapp, repo, env)
    r = wrapp("check", package_file(repo), "--json", env=env)
    assert r.returncode == 0, str(r)
    report = json.loads(r.stdout)
    assert report["ok"] is True and sorted(f["relative_path"] for f in report["files"]) == sorted(FILES)
    assert {f["status"] for f in report["files"]} == {"ok"}

    # Replaced with the official client: a.txt by other bytes of another size and no metadata; big.bin by
    # bytes of the same size, one flipped, keeping the old hash as metadata (a stale hint, never proof).
    flipped = bytearray(FILES[BIG])
    flipped[3 * MIB + 7] ^= 0xFF
    meta = {backend.metadata_key: HASHES[BIG]} if backend.metadata_key else {}
    backend.put(f"{repo}/{VDIR}a.txt", b"something else\n", {})
    backend.put(f"{repo}/{VDIR}{BIG}", bytes(flipped), meta)
    r = wrapp("check", package_file(repo), env=env)
    assert r.returncode == 1, str(r)
    lines = r.stdout.splitlines()
    assert any(line.startswith("size_mismatch: ") and "a.txt" in line for line in lines), str(r)
    assert any(line.startswith("hash_mismatch: ") and BIG in line for line in lines), str(r)
    assert lines[-1] == f"checked {len(FILES)} files: 2 bad", str(r)

    # --trust-metadata compares the stored hashes: the stale hint of big.bin passes there (documented),
    # a.txt's size still fails, and sub/b.txt replaced by bytes of its size without metadata is read.
    backend.put(f"{repo}/{VDIR}sub/b.txt", b"BRAVO\n", {})
    r = wrapp("check", package_file(repo), "--trust-metadata", "--json", env=env)
    assert r.returncode == 1, str(r)
    got = {f["relative_path"]: (f["status"], f["by_metadata"]) for f in json.loads(r.stdout)["files"]}
    stored = bool(backend.metadata_key)  # a local folder keeps no hash: every file is read
    assert got == {"a.txt": ("size_mismatch", False), "sub/b.txt": ("hash_mismatch", False),
                   BIG: ("ok" if stored else "hash_mismatch", stored),
                   **{rel: ("ok", stored) for rel in FILES if rel not in ("a.txt", "sub/b.txt", BIG)}}, str(r)


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_check_trusting_metadata_downloads_nothing(wrapp, backend, published):
    repo = published(backend)
    with ByteCounter(backend.upstream) as relay:
        r = wrapp("check", package_file(backend.via(repo, relay.endpoint)), "--trust-metadata",
                  env=backend.env(relay.endpoint))
        assert r.returncode == 0, str(r)
    assert r.stdout == (f"checked {len(FILES)} files: all ok, {len(FILES)} by the hash stored with the object "
                        "(not read)\n"), str(r)
    # The package file (a few KiB) and the answers' heads come down; no file's bytes do.
    assert relay.received < 64 * 1024, f"{relay.received} bytes downloaded by check --trust-metadata"


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_objects_without_a_stored_hash_are_hashed_once_then_cached_by_url_and_etag(wrapp, tmp_path, backend):
    """Objects other tools uploaded carry no wrapp hash: with --hcf the first catalog reads them, the
    next reads none, and one replaced at the same size (a new ETag) is read again."""
    folder = f"{backend.fresh_repo()}/uploaded"
    for rel, data in FILES.items():
        backend.put(f"{folder}/{rel}", data, {})
    cache, total = tmp_path / "hashes.json", sum(len(d) for d in FILES.values())
    # One relay for every run: an Azure URL names its endpoint, and the cache its URL.
    relay = ByteCounter(backend.upstream)

    def catalog():
        relay.reset()
        out = tmp_path / "catalog.json"
        r = wrapp("catalog", backend.via(folder, relay.endpoint), out, "--hcf", cache,
                  env=backend.env(relay.endpoint))
        assert r.returncode == 0, str(r)
        return {i["relative_path"]: i["hash"] for i in json.loads(out.read_text())["items"]}, relay.received

    with relay:
        hashes, received = catalog()
        assert hashes == HASHES and received >= total, received
        scheme = folder.split("://", 1)[0] + "://"
        assert any(key.startswith(scheme) for key in read_table(cache)), read_table(cache)  # keyed by URL
        hashes, received = catalog()
        assert hashes == HASHES and received < 64 * 1024, f"{received} bytes read with every hash cached"

        flipped = bytearray(FILES[BIG])
        flipped[7] ^= 0xFF
        backend.put(f"{folder}/{BIG}", bytes(flipped), {})
        hashes, received = catalog()
        assert hashes == {**HASHES, BIG: hash_bytes(bytes(flipped))}, "a replaced object was answered from the cache"
        assert BIG_SIZE <= received < BIG_SIZE + 64 * 1024, received


# ---------------------------------------------------------------------------------------------
# big objects: parallel ranged reads, and --stats


STATS_LINE = re.compile(r"^stats: (.+?): (\d+) requests, (.+?) sent, (.+?) received$", re.M)
BACKEND_NAMES = {"s3": "S3", "s3rver": "S3", "gcs": "Google Cloud Storage", "azure": "Azure Blob Storage"}
UNITS = ["B", "KiB", "MiB", "GiB"]


def _bytes(text: str) -> float:
    value, unit = text.split()
    return float(value) * 1024 ** UNITS.index(unit)


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_a_big_object_is_read_by_ranges_in_parallel_and_stats_count_every_request(wrapp, tmp_path, backend,
                                                                                   proxied):
    """20 MiB that another tool uploaded (no hash stored with it): catalog reads it in 8 MiB ranges, several
    on the wire at once, and --stats counts exactly the requests the server got."""
    proxy, env = proxied
    folder = f"{backend.fresh_repo()}/big"
    data = random_bytes(20 * MIB + 1, seed=77)
    backend.put(f"{folder}/huge.bin", data, {})
    reads_of_huge = r"huge\.bin(\?alt=media|$)"
    proxy.stall(0.5, method="GET", path=reads_of_huge, count=None)  # each read waits: streams must overlap
    out = tmp_path / "catalog.json"
    r = wrapp("catalog", backend.via(folder, proxy.endpoint), out, "--stats", env=env)
    assert r.returncode == 0, str(r)
    items = json.loads(out.read_text())["items"]
    assert [(i["relative_path"], i["hash"]) for i in items] == [("huge.bin", hash_bytes(data))]
    # 21 reads of 1 MiB before; now the first bytes at open, then three 8 MiB ranges.
    assert proxy.count("GET", reads_of_huge) <= 1 + 3, proxy.requests
    assert proxy.peak_in_flight >= 2, f"one request at a time: {proxy.requests}"
    stats = STATS_LINE.findall(r.stderr)
    assert [(name, int(n)) for name, n, _, _ in stats] == [(BACKEND_NAMES[backend.name], len(proxy.requests))], \
        (r.stderr, proxy.requests)
    assert 0.99 * len(data) <= _bytes(stats[0][3]) < len(data) + 1.1 * MIB, r.stderr  # printed to 0.1 MiB


# ---------------------------------------------------------------------------------------------
# mirror, every ordered pair


@pytest.mark.parametrize("src,dst", MIRROR_PAIRS, indirect=True, ids=[f"{a}-to-{b}" for a, b in MIRROR_PAIRS])
def test_mirror(wrapp, tmp_path, src, dst, published):
    source_repo = published(src)
    target = dst.fresh_repo()
    env = {**src.env(), **dst.env()}
    r = wrapp("mirror", NAME, VERSION, source_repo, target, env=env)
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith(f"mirrored {NAME} {VERSION} to {target}: {len(FILES)} copied"), str(r)
    info = assert_holds_version(dst, target, f"mirror {src.name} -> {dst.name}")
    if dst.name == "s3" and src.name != "s3":  # (s3rver's multipart ETags have another form)
        # Above WRAPP_S3_MULTIPART_THRESHOLD, its hash known up front: a multipart upload of two parts
        # ("<md5>-2"). (create hashes while it uploads, then sets the hash by a copy onto itself: md5 only.)
        assert dst.objects(target)[VDIR + BIG].etag.endswith('-2"')
    assert all(i["source_path"].startswith(as_url(target) + "/") for i in info["catalog"]["items"]), info
    assert_check_clean(wrapp, target, env)
    r = wrapp("list-repo", target, env=env)
    assert r.returncode == 0 and r.stdout == f"{NAME}: {VERSION}\n", str(r)
    # Installed with the destination's environment only: the copy needs nothing of the source.
    assert_installs(wrapp, target, tmp_path / "dest", dst.env())
    # Again: nothing to do, nothing rewritten.
    before = dst.objects(target)
    r = wrapp("mirror", NAME, VERSION, source_repo, target, env=env)
    assert r.returncode == 0 and "is already in" in r.stdout, str(r)
    assert dst.objects(target) == before


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_mirror_within_one_store_copies_server_side(wrapp, backend, published):
    """Server-side copies (CopyObject, objects.rewrite, Copy Blob): the bytes are read once, from the
    copy, to verify it before the package file publishes it; none go up."""
    source_repo = published(backend)
    with ByteCounter(backend.upstream) as relay:
        target = backend.via(backend.fresh_repo(), relay.endpoint)
        r = wrapp("mirror", NAME, VERSION, backend.via(source_repo, relay.endpoint), target,
                  env=backend.env(relay.endpoint))
        assert r.returncode == 0, str(r)
    assert_holds_version(backend, target, "mirror within the store")
    # The package file, the lock and request heads go up; the files' bytes do not.
    assert relay.sent < BIG_SIZE, f"{relay.sent} bytes sent to the server for a mirror within it"


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_a_tampered_source_is_not_copied_server_side(wrapp, backend, source):
    """The server-side copy is verified before anything publishes it: a source replaced behind wrapp's
    back (same size, its old hash kept as metadata) fails the mirror, and the copy is removed."""
    source_repo = backend.fresh_repo()
    assert wrapp("create", NAME, VERSION, source, "--repo", source_repo, env=backend.env()).returncode == 0
    tampered = bytes([FILES[BIG][0] ^ 0xFF]) + FILES[BIG][1:]
    backend.put(f"{source_repo}/{VDIR}{BIG}", tampered, {backend.metadata_key: HASHES[BIG]})
    target = backend.fresh_repo()
    r = wrapp("mirror", NAME, VERSION, source_repo, target, env=backend.env())
    assert r.returncode == 1 and BIG in r.stderr and "does not match its recorded hash" in r.stderr, str(r)
    assert_nothing_published(backend, target, wrapp, backend.env())
    assert VDIR + BIG not in backend.objects(target)


# ---------------------------------------------------------------------------------------------
# export / import, publish-redirect


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_export_and_import(wrapp, tmp_path, backend, published):
    env = backend.env()
    tar = tmp_path / "p.tar"
    r = wrapp("export", NAME, VERSION, tar, "--repo", published(backend), env=env)
    assert r.returncode == 0, str(r)
    with tarfile.open(tar) as archive:
        members = {m.name: archive.extractfile(m).read() for m in archive.getmembers() if m.isfile()}
    assert members.pop(PACKAGE_FILE) and members == FILES, sorted(members)

    target = backend.fresh_repo()
    r = wrapp("import", tar, target, env=env)
    assert r.returncode == 0, str(r)
    assert_holds_version(backend, target, "import")
    assert_check_clean(wrapp, target, env)
    r = wrapp("list-repo", target, env=env)
    assert r.returncode == 0 and r.stdout == f"{NAME}: {VERSION}\n", str(r)


@pytest.mark.parametrize("backend", BACKENDS, indirect=True)
def test_publish_redirect_and_install_from_it(wrapp, tmp_path, backend, published):
    source_repo, env = published(backend), backend.env()
    redirect = backend.fresh_repo()
    r = wrapp("publish-redirect", "--source-repo", source_repo, "--redirect-repo", redirect, env=env)
    assert r.returncode == 0, str(r)
    assert r.stdout.endswith("1 redirect package(s) written, 0 already there\n"), str(r)
    # The redirect repository holds the package file only, pointing at the source's objects.
    objects = backend.objects(redirect)
    assert sorted(objects) == [VDIR + PACKAGE_FILE], sorted(objects)
    info = json.loads(objects[VDIR + PACKAGE_FILE].data)
    assert sorted(i["source_path"] for i in info["catalog"]["items"]) == sorted(
        f"{as_url(source_repo)}/{VDIR}{urllib.parse.quote(rel)}" for rel in FILES), info["catalog"]["items"]
    assert {i["relative_path"]: i["hash"] for i in info["catalog"]["items"]} == HASHES

    assert_installs(wrapp, redirect, tmp_path / "dest", env)
    assert_check_clean(wrapp, redirect, env)


# ---------------------------------------------------------------------------------------------
# A wrong key


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_a_wrong_key_fails_clearly_and_writes_nothing(wrapp, tmp_path, backend, source, published):
    readable = published(backend)  # written with the right key
    wrong = backend.wrong_key()
    repo = backend.fresh_repo()
    created = wrapp("create", NAME, VERSION, source, "--repo", repo, env=wrong.env)
    dest = tmp_path / "dest"
    installed = wrapp("install", NAME, VERSION, dest, "--repo", readable, "--debug", env=wrong.env)
    for r in (created, installed):
        assert r.returncode == 2 and wrong.says in r.stderr, str(r)
        assert wrong.secret not in r.stdout + r.stderr
    # --debug names every request, by method, URL without its query, and status: never a credential.
    requests = re.findall(r"^debug: (GET|HEAD|PUT|POST|DELETE) (\S+): (HTTP \d+|.+)", installed.stderr, re.M)
    assert requests, str(installed)
    assert all("?" not in url for _, url, _ in requests), str(installed)
    for secretish in ("Authorization:", "Signature=", "sig=", "X-Amz-Credential", "SharedKey ", "Bearer "):
        assert secretish not in installed.stderr, str(installed)
    assert backend.objects(repo) == {}
    assert not dest.exists() or read_tree(dest) == {}
    # The message says where: the repository's URL.
    assert repo in created.stderr, str(created)
    assert readable in installed.stderr, str(installed)


# ---------------------------------------------------------------------------------------------
# Faults: tests/servers' fault proxy in front of each cloud backend's server. It speaks plain HTTP/1.1
# to both sides, as the three emulators do, so every fault mode applies to every cloud backend; the
# local backend has no wire to break. Stalls stay short: wrapp gives up on a transfer only after 60 s
# without a byte (http::ClientOptions::stall_timeout, not configurable), too long for this suite.

# A GET of big.bin's bytes (S3 and Azure: the object's path; GCS: `?alt=media`), not of its metadata
# nor a listing whose prefix names it.
BIG_READ = r"big\.bin(\?alt=media|$)"


@pytest.fixture
def proxied(backend):
    """(a fault proxy in front of the backend's server, the env of a wrapp process that goes through it);
    a URL through it is backend.via(url, proxy.endpoint)."""
    with FaultProxy(backend.upstream) as proxy:
        yield proxy, backend.env(proxy.endpoint)


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_transient_read_faults_are_retried_to_the_right_bytes(wrapp, tmp_path, backend, published, proxied):
    proxy, env = proxied
    repo = backend.via(published(backend), proxy.endpoint)
    rules = [
        proxy.respond(503, method="GET", path=BIG_READ, slow_down=True),  # S3's SlowDown; a plain 503 elsewhere
        proxy.truncate(1000, method="GET", path=BIG_READ, skip=1),  # 1000 bytes of the body, then closed
        proxy.stall(1.0, method="GET", path=BIG_READ, skip=2, after_bytes=4096),  # a pause mid-body
        proxy.drop(method="GET", path=BIG_READ, skip=3, reset=True),  # a TCP reset, no answer
        proxy.drop(path=r"c\.bin", after_upstream=True),  # answered by the server, the answer lost
        proxy.respond(500, path=r"b\.txt"),
        proxy.respond(502, path=r"\.p\.wrapp"),
        proxy.stall(1.0, path=r"a\.txt", after_upstream=True),  # a slow answer
    ]
    start = time.monotonic()
    assert_installs(wrapp, repo, tmp_path / "dest", env)
    assert time.monotonic() - start < 60
    assert [rule.hits for rule in rules] == [1] * len(rules), proxy.requests
    # big.bin took more GETs than its ranges: the three broken ones were asked again, not kept.
    assert proxy.count("GET", BIG_READ) >= BIG_RANGES + 3


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_an_object_always_truncated_or_refused_is_never_accepted(wrapp, tmp_path, backend, published, proxied):
    proxy, env = proxied
    repo = backend.via(published(backend), proxy.endpoint)
    # Every read of big.bin cut short: install fails after a bounded number of attempts, and neither
    # big.bin nor the package file (written last) is in the install folder.
    proxy.truncate(1000, method="GET", path=BIG_READ, count=None)
    dest = tmp_path / "dest"
    start = time.monotonic()
    r = wrapp("install", NAME, VERSION, dest, "--repo", repo, env=env)
    assert r.returncode == 2 and BIG in r.stderr, str(r)
    assert time.monotonic() - start < 60
    assert not (dest / BIG).exists() and not (dest / PACKAGE_FILE).exists(), sorted(read_tree(dest))
    if dest.exists():
        assert partial_files(dest) == []
    assert RETRY_ATTEMPTS <= proxy.count("GET", BIG_READ) <= RETRY_ATTEMPTS * BIG_RANGES, proxy.requests

    # Every read of big.bin answered 503: a mirror within the store fails the same way and publishes nothing.
    proxy.reset()
    proxy.respond(503, method="GET", path=BIG_READ, count=None, slow_down=True)
    target = backend.fresh_repo()
    start = time.monotonic()
    r = wrapp("mirror", NAME, VERSION, repo, backend.via(target, proxy.endpoint), env=env)
    assert r.returncode == 2 and BIG in r.stderr, str(r)
    assert time.monotonic() - start < 60
    assert RETRY_ATTEMPTS <= proxy.count("GET", BIG_READ) <= RETRY_ATTEMPTS * BIG_RANGES, proxy.requests
    assert_nothing_published(backend, target, wrapp, backend.env())
    assert VDIR + BIG not in backend.objects(target)


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_transient_write_faults_are_retried(wrapp, backend, published, proxied, local_backend):
    proxy, env = proxied
    source_repo = published(local_backend)
    target = backend.fresh_repo()
    rules = [
        proxy.respond(503, method="PUT", slow_down=True),  # S3's SlowDown; a plain 503 elsewhere
        proxy.drop(method="PUT", skip=1),  # closed before the server sees it
        proxy.drop(method="PUT", skip=2, reset=True),
        proxy.stall(1.0, method="PUT", skip=3, after_upstream=True),
    ]
    if backend.name != "azure":  # Azure writes with PUT alone; S3 and GCS start uploads with POST
        rules += [proxy.respond(500, method="POST"), proxy.respond(502, method="POST", skip=2)]
    r = wrapp("mirror", NAME, VERSION, source_repo, backend.via(target, proxy.endpoint), env=env)
    assert r.returncode == 0, str(r)
    assert [rule.hits for rule in rules] == [1] * len(rules), proxy.requests
    assert_holds_version(backend, target, "mirror through transient write faults")
    assert_check_clean(wrapp, target, backend.env())


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_writes_whose_answers_are_lost_are_retried(wrapp, backend, published, proxied, local_backend):
    """The server carried the write out, the client never heard: the retry must not fail on (or duplicate)
    what is already there."""
    proxy, env = proxied
    target = backend.fresh_repo()
    # (Not for a POST: on S3 that is a CreateMultipartUpload whose upload id nobody learns, an upload that
    # no client can abort.) The data PUTs: S3's parts and small objects, GCS's resumable chunks.
    rules = [proxy.drop(method="PUT", skip=1, count=2, after_upstream=True)]
    # The package file, written last and create-only: the retry finds it there and must take it as its
    # own. GCS names an object in its upload's body, not in the request target: no rule can pick it there.
    if backend.name != "gcs":
        rules.append(proxy.drop(method="PUT", path=r"\.p\.wrapp$", after_upstream=True))
    r = wrapp("mirror", NAME, VERSION, published(local_backend), backend.via(target, proxy.endpoint), env=env)
    assert r.returncode == 0, str(r)
    assert [rule.hits for rule in rules] == [2, 1][:len(rules)], proxy.requests
    assert_holds_version(backend, target, "mirror through lost answers")
    assert_check_clean(wrapp, target, backend.env())


@pytest.mark.parametrize("backend", CLOUD, indirect=True)
def test_persistent_write_faults_fail_in_bounded_time_and_publish_nothing(wrapp, backend, published, proxied,
                                                                          local_backend):
    proxy, env = proxied
    source_repo = published(local_backend)
    target = backend.fresh_repo()
    # The version's lock and the first writes go through, every later PUT and POST is answered 503.
    proxy.respond(503, method="PUT", skip=3, count=None)
    proxy.respond(503, method="POST", skip=3, count=None)
    start = time.monotonic()
    r = wrapp("mirror", NAME, VERSION, source_repo, backend.via(target, proxy.endpoint), env=env)
    assert r.returncode == 2 and "503" in r.stderr, str(r)
    assert time.monotonic() - start < 60
    refused = sum(1 for rec in proxy.requests if rec.status == 503)
    # Each object written (the files, big.bin's parts or chunks, the package file) at most RETRY_ATTEMPTS times.
    assert 0 < refused <= RETRY_ATTEMPTS * (len(FILES) + BIG_RANGES + 2), proxy.requests
    assert_nothing_published(backend, target, wrapp, backend.env())

    # Without faults the same mirror completes: what the failed one left is verified and kept, or replaced.
    r = wrapp("mirror", NAME, VERSION, source_repo, target, env=backend.env())
    assert r.returncode == 0, str(r)
    assert_holds_version(backend, target, "mirror after a failed one")
