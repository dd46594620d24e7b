"""Azure Blob Storage against Azurite (npm `azurite`, pinned in tests/servers/package.json).

Azurite (tests/servers) is started on a free loopback port for this module; it checks every Shared Key
signature and SAS, and enforces If-None-Match / If-Match on Put Blob and Put Block List. The backend's
conformance suite (the C++ wrapp_tests, entry "azure") runs against it, then the CLI end to end with the
emulator's connection string in AZURE_STORAGE_CONNECTION_STRING (URLs
http://127.0.0.1:PORT/devstoreaccount1/CONTAINER/PATH), and what wrapp wrote is cross-checked with
azure-storage-blob, the official client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from helpers import random_bytes, read_tree, run_concurrently, started, wrapp_bin, write_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for tests/servers
from servers import Azurite  # noqa: E402

FILES = {
    "a.txt": "alpha\n",
    "sub/b.txt": "bravo\n",
    "sub/deep/big.bin": random_bytes(3 * (1 << 20) + 17, seed=41),  # blocks of 256 KiB below
    "empty.txt": b"",
    "name with space.txt": "spaces\n",
}


@pytest.fixture(scope="module")
def azurite():
    with started(Azurite()) as az:
        yield az


def _env(az, **extra) -> dict:
    """A wrapp process's variables: the emulator's connection string; blobs above 1 MiB in blocks."""
    env = {"AZURE_STORAGE_CONNECTION_STRING": az.connection_string,
           "WRAPP_AZURE_SINGLE_PUT_SIZE": str(1 << 20), "WRAPP_AZURE_BLOCK_SIZE": str(256 << 10)}
    env.update(extra)
    return env


def _blobs(az, container: str, prefix: str) -> dict:
    """name -> (bytes, metadata) through azure-storage-blob, the official client."""
    client = az.blob_service_client().get_container_client(container)
    return {b.name[len(prefix):]: (client.download_blob(b.name).readall(), dict(b.metadata or {}))
            for b in client.list_blobs(name_starts_with=prefix, include=["metadata"])}


def _as_bytes(data):
    return data.encode() if isinstance(data, str) else data


def test_conformance_suite_passes_every_azure_case(azurite, tmp_path):
    tests = Path(wrapp_bin()).parent / "wrapp_tests"
    if not os.access(tests, os.X_OK):
        pytest.skip(f"{tests} is not built")
    azurite.create_container("conformance")
    report = tmp_path / "gtest.json"
    env = {**os.environ, "WRAPP_TEST_AZURE_ENDPOINT": azurite.blob_endpoint,
           "WRAPP_TEST_AZURE_CONTAINER": "conformance"}
    r = subprocess.run([str(tests), "--gtest_filter=StorageBackends/*azure*", f"--gtest_output=json:{report}"],
                       env=env, capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout[-20000:] + r.stderr[-5000:]
    cases = [(suite["name"], case["name"], case.get("result"), case.get("failures"))
             for suite in json.loads(report.read_text())["testsuites"] for case in suite["testsuite"]]
    assert len(cases) > 40, cases
    assert not [c for c in cases if c[3]], [c for c in cases if c[3]]
    skipped = {name for _, name, result, _ in cases if result == "SKIPPED"}
    # Only what Azure cannot do by design: writing one blob from several threads at once.
    assert skipped == {"ParallelWritesOnDisjointRanges/azure"}, skipped


def test_cli_end_to_end_on_azure(wrapp, tmp_path, azurite):
    base = azurite.create_container("cli")
    env = _env(azurite)
    src = write_tree(tmp_path / "src", FILES)
    repo = f"{base}/repo"

    r = wrapp("create", "p", "1.0", src, "--repo", repo, env=env)
    assert r.returncode == 0, str(r)
    r = wrapp("list-repo", repo, env=env)
    assert r.returncode == 0 and r.stdout == "p: 1.0\n", str(r)

    # What landed in the container, seen by the official client: the files and the package file, each
    # file with its hash (computed while it streamed up) as metadata.
    stored = _blobs(azurite, "cli", "repo/.packages/p/1.0/")
    assert set(stored) == set(FILES) | {".p.wrapp"}, sorted(stored)
    for rel, data in FILES.items():
        assert stored[rel][0] == _as_bytes(data), rel
    info = json.loads(stored[".p.wrapp"][0])
    assert info["repository"] == repo
    hashes = {item["relative_path"]: item["hash"] for item in info["catalog"]["items"]}
    assert set(hashes) == set(FILES)
    for rel in FILES:
        assert stored[rel][1].get("wrapp_hash") == hashes[rel], rel

    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1.0", dest, "--repo", repo, env=env)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    for rel, data in FILES.items():
        assert tree[rel] == _as_bytes(data), rel
    assert wrapp("status", dest / ".p.wrapp", env=env).returncode == 0
    r = wrapp("check", f"{repo}/.packages/p/1.0/.p.wrapp", env=env)
    assert r.returncode == 0, str(r)
    r = wrapp("cat", f"{repo}/.packages/p/1.0/sub/b.txt", env=env)
    assert r.returncode == 0 and r.stdout == "bravo\n", str(r)

    # azure -> local -> azure: the second copy's blobs carry their hash too.
    local = tmp_path / "local-repo"
    assert wrapp("mirror", "p", "1.0", repo, local, env=env).returncode == 0
    assert wrapp("check", local / ".packages" / "p" / "1.0" / ".p.wrapp").returncode == 0
    back = f"{base}/mirrored"
    r = wrapp("mirror", "p", "1.0", local, back, env=env)
    assert r.returncode == 0, str(r)
    mirrored = _blobs(azurite, "cli", "mirrored/.packages/p/1.0/")
    assert set(mirrored) == set(FILES) | {".p.wrapp"}
    for rel, data in FILES.items():
        assert mirrored[rel] == (_as_bytes(data), {"wrapp_hash": hashes[rel]}), rel

    # azure -> azure: Copy Blob, the hashes kept.
    r = wrapp("mirror", "p", "1.0", repo, f"{base}/copied", env=env)
    assert r.returncode == 0, str(r)
    copied = _blobs(azurite, "cli", "copied/.packages/p/1.0/")
    for rel, data in FILES.items():
        assert copied[rel] == (_as_bytes(data), {"wrapp_hash": hashes[rel]}), rel
    assert wrapp("check", f"{base}/copied/.packages/p/1.0/.p.wrapp", env=env).returncode == 0

    # export from azure, import into azure.
    tar = tmp_path / "p.tar"
    assert wrapp("export", "p", "1.0", tar, "--repo", repo, env=env).returncode == 0
    r = wrapp("import", tar, f"{base}/imported", env=env)
    assert r.returncode == 0, str(r)
    assert wrapp("list-repo", f"{base}/imported", env=env).stdout == "p: 1.0\n"

    # A version that exists is not published again; nothing in it changes.
    write_tree(src, {"a.txt": "changed\n"})
    r = wrapp("create", "p", "1.0", src, "--repo", repo, env=env)
    assert r.returncode == 1, str(r)
    assert _blobs(azurite, "cli", "repo/.packages/p/1.0/")["a.txt"][0] == b"alpha\n"


def test_a_lying_blob_is_caught_by_check(wrapp, tmp_path, azurite):
    """Metadata is not proof: check reads the bytes and finds a blob replaced behind wrapp's back."""
    base = azurite.create_container("tamper")
    env = _env(azurite)
    src = write_tree(tmp_path / "src", {"a.txt": "alpha\n", "b.txt": "bravo\n"})
    assert wrapp("create", "p", "1", src, "--repo", f"{base}/repo", env=env).returncode == 0
    blob = azurite.blob_service_client().get_blob_client("tamper", "repo/.packages/p/1/a.txt")
    blob.upload_blob(b"ALPHA\n", overwrite=True, metadata=blob.get_blob_properties().metadata)
    r = wrapp("check", f"{base}/repo/.packages/p/1/.p.wrapp", env=env)
    assert r.returncode != 0, str(r)
    assert "a.txt" in r.stdout + r.stderr, str(r)


def test_two_writers_of_one_version_one_wins(spawn, tmp_path, azurite):
    """Azurite enforces If-None-Match: * on the package file: of two creates of the same version, one
    publishes and the other fails, and the version holds exactly one writer's files."""
    base = azurite.create_container("race")
    env = _env(azurite)
    sources = []
    for i in range(2):
        sources.append(write_tree(tmp_path / f"src{i}", {f"f{j}.txt": f"writer {i} file {j}\n" for j in range(20)}))
    commands = [["create", "p", "1", s, "--repo", f"{base}/repo"] for s in sources]
    results = run_concurrently(lambda *args: spawn(*args, env=env), commands)
    codes = sorted(r.returncode for r in results)
    assert codes[0] == 0 and codes[1] != 0, [str(r) for r in results]
    stored = _blobs(azurite, "race", "repo/.packages/p/1/")
    contents = {stored[k][0].decode() for k in stored if k.endswith(".txt")}
    assert len(contents) == 20 and len({c.split(" ")[1] for c in contents}) == 1, sorted(contents)


def test_wrong_key_fails_clearly_and_writes_nothing(wrapp, tmp_path, azurite):
    base = azurite.create_container("denied")
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    wrong = "V1JPTkcta2V5LVdST05HLWtleS1XUk9ORy1rZXktV1JPTkcta2V5LVdST05HLWtleQ=="
    env = _env(azurite, AZURE_STORAGE_CONNECTION_STRING=azurite.connection_string.replace(azurite.key, wrong))
    r = wrapp("create", "p", "1.0", src, "--repo", f"{base}/repo", env=env)
    assert r.returncode == 2, str(r)
    assert "AuthorizationFailure" in r.stderr or "AuthenticationFailed" in r.stderr, r.stderr
    assert f"{base}/repo" in r.stderr, r.stderr
    assert wrong not in r.stderr + r.stdout and azurite.key not in r.stderr + r.stdout
    assert _blobs(azurite, "denied", "") == {}


def test_sas_token_from_the_connection_string(wrapp, tmp_path, azurite):
    from azure.storage.blob import ContainerSasPermissions, generate_container_sas

    base = azurite.create_container("sas")
    sas = generate_container_sas(azurite.account, "sas", account_key=azurite.key,
                                 permission=ContainerSasPermissions(read=True, write=True, list=True, delete=True,
                                                                    create=True),
                                 expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    conn = f"BlobEndpoint={azurite.blob_endpoint};SharedAccessSignature={sas}"
    env = _env(azurite, AZURE_STORAGE_CONNECTION_STRING=conn)
    src = write_tree(tmp_path / "src", {"a.txt": "alpha\n", "big.bin": random_bytes(1 << 21, seed=3)})
    r = wrapp("create", "p", "1", src, "--repo", f"{base}/repo", env=env)
    assert r.returncode == 0, str(r)
    assert wrapp("list-repo", f"{base}/repo", env=env).stdout == "p: 1\n"
    r = wrapp("mirror", "p", "1", f"{base}/repo", f"{base}/copy", env=env)
    assert r.returncode == 0, str(r)
    copied = _blobs(azurite, "sas", "copy/.packages/p/1/")
    assert copied["big.bin"][0] == random_bytes(1 << 21, seed=3)
    # A SAS that only reads cannot publish: exit 2, the service's code named, the SAS never shown.
    read_only = generate_container_sas(azurite.account, "sas", account_key=azurite.key,
                                       permission=ContainerSasPermissions(read=True, list=True),
                                       expiry=datetime.now(timezone.utc) + timedelta(hours=1))
    env = _env(azurite, AZURE_STORAGE_CONNECTION_STRING=f"BlobEndpoint={azurite.blob_endpoint};"
                                                          f"SharedAccessSignature={read_only}")
    r = wrapp("create", "p", "2", src, "--repo", f"{base}/repo", env=env)
    assert r.returncode == 2, str(r)
    assert "sig=" not in r.stderr and read_only.split("sig=")[1][:10] not in r.stderr, r.stderr
    assert not [k for k in _blobs(azurite, "sas", "repo/.packages/p/2/")], "a refused create wrote blobs"


def test_auth_option_gives_the_key_for_an_endpoint(wrapp, tmp_path, azurite):
    """--auth URL,ACCOUNT,KEY for an Azure URL the environment does not name: routed by the credential
    of kind "azure" that the Python API registers, or here by AZURE_STORAGE_ACCOUNT's endpoint."""
    base = azurite.create_container("authed")
    src = write_tree(tmp_path / "src", {"a.txt": "alpha\n"})
    # The connection string names the endpoint without a key; --auth brings it.
    env = _env(azurite, AZURE_STORAGE_CONNECTION_STRING=f"BlobEndpoint={azurite.blob_endpoint};AccountName="
                                                        f"{azurite.account}")
    r = wrapp("create", "p", "1", src, "--repo", f"{base}/repo", env=env)
    assert r.returncode == 2, str(r)  # anonymous: refused
    auth = f"{azurite.blob_endpoint},{azurite.account},{azurite.key}"
    r = wrapp("create", "p", "1", src, "--repo", f"{base}/repo", "--auth", auth, env=env)
    assert r.returncode == 0, str(r)
    assert _blobs(azurite, "authed", "repo/.packages/p/1/")["a.txt"][0] == b"alpha\n"


def test_a_missing_container_is_named(wrapp, tmp_path, azurite):
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    url = f"{azurite.blob_endpoint}/no-such-container/repo"
    r = wrapp("create", "p", "1", src, "--repo", url, env=_env(azurite))
    assert r.returncode == 2, str(r)
    assert "ContainerNotFound" in r.stderr and "no-such-container" in r.stderr, r.stderr


def test_version_lists_azure_as_enabled(wrapp_raw):
    assert "Azure Blob Storage: ENABLED" in wrapp_raw("version").stdout.splitlines()


def test_a_broken_connection_string_fails_azure_urls_naming_the_variable(wrapp, azurite):
    """Azure's own hosts fail at once (exit 1, the variable named, its key never shown). An emulator's URL
    is only known as Azure through that variable's BlobEndpoint, so it stays a plain web URL then."""
    env = _env(azurite, AZURE_STORAGE_CONNECTION_STRING="AccountKey=c2VjcmV0LWtleQ==;this is not one")
    r = wrapp("list-repo", "https://acct.blob.core.windows.net/repo/r", env=env)
    assert r.returncode == 1 and "AZURE_STORAGE_CONNECTION_STRING" in r.stderr, str(r)
    assert "c2VjcmV0LWtleQ" not in r.stderr + r.stdout
