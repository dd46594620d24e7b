"""The Python API on object stores: credentials from StorageAuthInfo reach the C++ backends.

Real servers on loopback (tests/servers): moto with signature checks on (S3, and standing for GCS's
XML API with an HMAC key) and Azurite (Azure Blob, Shared Key checked). Each test runs a create, list_repo, install and check through `import wrapp`
with the credentials given only as StorageAuthInfo (the environment names the endpoint, not the key),
and checks what landed with the official client; without the StorageAuthInfo the same call is refused.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import wrapp
from conftest import make_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))  # tests/servers
from servers import Azurite, MotoS3, ServerStartError  # noqa: E402

pytestmark = pytest.mark.asyncio

FILES = {"scene.usd": b"#usda 1.0\n", "textures/wood.bin": bytes(range(256)) * 9000, "empty.txt": b""}


def _started(server):
    try:
        server.start()
    except ServerStartError as e:
        pytest.fail(f"{server.name} did not start (setup.sh installs it): {e}")
    return server


@pytest.fixture(scope="module")
def moto():
    server = _started(MotoS3())
    server.create_bucket("pybucket")
    server.require_signatures()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def azurite():
    server = _started(Azurite())
    server.create_container("pyrepo")
    yield server
    server.stop()


async def _refused_without_credentials(repo: str, src: Path) -> None:
    async with wrapp.ContextManager() as ctx:
        with pytest.raises(wrapp.StorageOperationError, match=repo.split("/")[2]):
            await wrapp.create("assets", "0.1", str(src), catalog=False, repo=repo, scheduler=ctx)


def _moto_keys(moto, prefix: str) -> set:
    listed = moto.boto3_client().list_objects_v2(Bucket="pybucket", Prefix=prefix)["Contents"]
    return {o["Key"][len(prefix):] for o in listed}


async def _round_trip(repo: str, src: Path, dest: Path, auth: wrapp.StorageAuthInfo) -> None:
    async with wrapp.ContextManager() as ctx:
        with wrapp.AuthManager([auth]):
            await wrapp.create("assets", "1.0", str(src), catalog=False, repo=repo, scheduler=ctx)
            listed = await wrapp.list_repo(repo, scheduler=ctx)
            assert [versions for _, versions in listed] == [["1.0"]]
            await wrapp.install("assets", "1.0", destination=str(dest), repo=repo, scheduler=ctx)
            results = await wrapp.check_package_content(f"{repo}/.packages/assets/1.0/.assets.wrapp",
                                                        scheduler=ctx)
            assert sorted(r.relative_path for r in results) == sorted(FILES)
            assert all(r.ok for r in results), results
    for rel, data in FILES.items():
        assert (dest / rel).read_bytes() == data, rel


async def test_s3_credentials_from_storage_auth_info(moto, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint)
    monkeypatch.setenv("AWS_REGION", moto.region)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    src = make_tree(tmp_path / "src", FILES)
    repo = "s3://pybucket/repo"

    await _refused_without_credentials(repo, src)  # moto refuses the unsigned requests

    auth = wrapp.StorageAuthInfo.boto3("s3://pybucket", moto.access_key, moto.secret_key)
    await _round_trip(repo, src, tmp_path / "dest", auth)
    assert _moto_keys(moto, "repo/") == {f".packages/assets/1.0/{rel}" for rel in [*FILES, ".assets.wrapp"]}
    head = moto.boto3_client().head_object(Bucket="pybucket", Key="repo/.packages/assets/1.0/scene.usd")
    assert head["Metadata"]["wrapp-hash"].startswith("sha-256-flat;1048576;")


async def test_gcs_hmac_key_from_storage_auth_info(moto, tmp_path, monkeypatch):
    # A Cloud Storage HMAC key, given as boto3 credentials for a gs:// URL: the XML API, here moto
    # standing for storage.googleapis.com (docs/storage.md, "HMAC keys").
    monkeypatch.setenv("WRAPP_GCS_XML_ENDPOINT", moto.endpoint)
    for name in ("STORAGE_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS", "WRAPP_GCS_HMAC_ACCESS_ID",
                 "WRAPP_GCS_HMAC_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BOTO_CONFIG", str(tmp_path / "none"))
    src = make_tree(tmp_path / "src", FILES)
    repo = "gs://pybucket/gcs-repo"

    await _refused_without_credentials(repo, src)  # no key at all (AWS's are not taken)

    auth = wrapp.StorageAuthInfo.boto3("gs://pybucket", moto.access_key, moto.secret_key)
    await _round_trip(repo, src, tmp_path / "dest", auth)
    assert _moto_keys(moto, "gcs-repo/") == {f".packages/assets/1.0/{rel}" for rel in [*FILES, ".assets.wrapp"]}


async def test_azure_credentials_from_storage_auth_info(azurite, tmp_path, monkeypatch):
    # The environment names the emulator's endpoint and account, not its key.
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING",
                       f"BlobEndpoint={azurite.blob_endpoint};AccountName={azurite.account}")
    src = make_tree(tmp_path / "src", FILES)
    repo = f"{azurite.blob_endpoint}/pyrepo/repo"

    async with wrapp.ContextManager() as ctx:  # anonymous: Azurite refuses
        with pytest.raises(wrapp.StorageOperationError):
            await wrapp.create("assets", "0.1", str(src), catalog=False, repo=repo, scheduler=ctx)

    auth = wrapp.StorageAuthInfo.azure_blob(azurite.blob_endpoint, account_name=azurite.account,
                                            account_key=azurite.key)
    await _round_trip(repo, src, tmp_path / "dest", auth)
    container = azurite.blob_service_client().get_container_client("pyrepo")
    blobs = {b.name: dict(b.metadata or {}) for b in container.list_blobs(name_starts_with="repo/", include=["metadata"])}
    assert set(blobs) == {f"repo/.packages/assets/1.0/{rel}" for rel in [*FILES, ".assets.wrapp"]}
    assert blobs["repo/.packages/assets/1.0/scene.usd"]["wrapp_hash"].startswith("sha-256-flat;1048576;")
