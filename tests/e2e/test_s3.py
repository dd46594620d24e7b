"""The S3 backend against moto in server mode (PyPI moto[server]), started here on loopback.

moto checks request signatures once told to (POST /moto-api/reset-auth, what INITIAL_NO_AUTH_ACTION_COUNT
sets at start-up): the module creates an IAM user and its access key first, then turns the checks on, so
every request of the C++ suite and of the CLI below is signed and verified, and a wrong secret key is
refused with SignatureDoesNotMatch. Objects are cross-checked with boto3.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import hash_bytes, random_bytes, read_tree, wrapp_bin, write_tree

boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.s3

BUCKET = "wrapp-e2e"
REGION = "us-east-1"
THRESHOLD = 1 << 20  # multipart above 1 MiB; parts stay at S3's 5 MiB minimum
BIG = 12 * (1 << 20) + 12345  # three parts

FILES = {
    "a.txt": "alpha",
    "sub/b.txt": "bravo",
    "sub/deep/c.bin": random_bytes(3 * (1 << 20) + 17, seed=31),
    "empty": b"",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """A moto server with one bucket and an IAM user whose key every request must be signed with."""
    if shutil.which("moto_server") is None:
        pytest.fail("moto_server is not installed (pip install 'moto[server]')")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start on {endpoint}")
                time.sleep(0.1)
        iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="setup",
                           aws_secret_access_key="setup")
        iam.create_user(UserName="wrapp")
        iam.put_user_policy(UserName="wrapp", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="wrapp")["AccessKey"]
        keys = {"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
        # From now on every request is authenticated (moto's INITIAL_NO_AUTH_ACTION_COUNT = 0).
        urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                                      headers={"Content-Type": "text/plain"}))
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=keys["id"],
                          aws_secret_access_key=keys["secret"])
        s3.create_bucket(Bucket=BUCKET)
        yield {"endpoint": endpoint, "s3": s3, **keys}
    finally:
        proc.kill()
        proc.wait()
        log.close()


@pytest.fixture
def s3env(moto, tmp_path):
    """The environment of a wrapp run against moto: no user profile or configuration leaks in."""
    return {
        "AWS_ENDPOINT_URL": moto["endpoint"],
        "AWS_ACCESS_KEY_ID": moto["id"],
        "AWS_SECRET_ACCESS_KEY": moto["secret"],
        "AWS_REGION": REGION,
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "WRAPP_S3_MULTIPART_THRESHOLD": str(THRESHOLD),
    }


def objects(s3, prefix: str) -> dict:
    """key -> size of every object below prefix."""
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for o in page.get("Contents", []):
            out[o["Key"]] = o["Size"]
    return out


def no_uploads_left(s3) -> None:
    assert s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", []) == []


# moto checks If-Match / If-None-Match and then writes, without a lock, on a threaded server
# (moto/s3/responses.py, put_object): concurrent conditional writes can both pass. The suite's two race
# tests skip against it (docs/storage.md, "What each enforces"); Azurite runs them.
MOTO_RACE = "moto checks a write's condition, then writes, without a lock: its conditions race"


def test_conformance_suite_runs_every_case_against_moto(moto):
    tests = Path(wrapp_bin()).parent / "wrapp_tests"
    assert tests.exists(), f"{tests} is not built"
    env = dict(os.environ, WRAPP_TEST_S3_ENDPOINT=moto["endpoint"], WRAPP_TEST_S3_BUCKET=BUCKET,
               AWS_ACCESS_KEY_ID=moto["id"], AWS_SECRET_ACCESS_KEY=moto["secret"], AWS_REGION=REGION,
               WRAPP_TEST_S3_RACY_CONDITIONS=MOTO_RACE)
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        env.pop(name, None)
    p = subprocess.run([str(tests), "--gtest_filter=StorageBackends/*s3*:S3Storage*", "--gtest_brief=0"], env=env,
                       capture_output=True, text=True, timeout=900)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out[-6000:]
    # The only skip is a capability S3 does not announce; none for want of a server.
    assert "WRAPP_TEST_S3_ENDPOINT" not in out, out[-6000:]
    skipped = {line.split()[3] for line in out.splitlines() if line.startswith("[  SKIPPED ]") and "/s3" in line}
    assert skipped <= {"StorageBackends/StorageConformance.ParallelWritesOnDisjointRanges/s3",
                       "StorageBackends/StorageConformance.CreateOnlyRaceHasExactlyOneWinner/s3",
                       "StorageBackends/StorageConformance.CompareAndSwapLosesNoUpdate/s3",
                       "StorageBackends/StorageConformance.CompareAndSwapThroughOneSharedFolderLosesNoUpdate/s3"}, skipped
    passed = [line for line in out.splitlines() if line.startswith("[  PASSED  ]")]
    assert passed and int(passed[0].split()[3]) >= 40, out[-3000:]
    no_uploads_left(moto["s3"])


def test_cli_end_to_end(wrapp, tmp_path, moto, s3env):
    s3 = moto["s3"]
    files = dict(FILES, **{"big.bin": random_bytes(BIG, seed=32)})
    src = write_tree(tmp_path / "src", files)
    repo = f"s3://{BUCKET}/repo"

    r = wrapp("create", "pkg", "1.0", src, "--repo", repo, env=s3env)
    assert r.returncode == 0, str(r)
    keys = objects(s3, "repo/")
    vdir = "repo/.packages/pkg/1.0/"
    for rel, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        assert keys[vdir + rel] == len(data), rel
        # The content hash rides with every object wrapp wrote, multipart ones too.
        head = s3.head_object(Bucket=BUCKET, Key=vdir + rel)
        assert head["Metadata"].get("wrapp-hash") == hash_bytes(data), rel
        assert s3.get_object(Bucket=BUCKET, Key=vdir + rel)["Body"].read() == data, rel
    assert vdir + ".pkg.wrapp" in keys
    no_uploads_left(s3)

    r = wrapp("list-repo", repo, env=s3env)
    assert r.returncode == 0 and r.stdout == "pkg: 1.0\n", str(r)

    dest = tmp_path / "installed"
    r = wrapp("install", "pkg", "1.0", dest, "--repo", repo, env=s3env)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    for rel, content in files.items():
        assert tree[rel] == (content.encode() if isinstance(content, str) else content), rel
    r = wrapp("status", dest / ".pkg.wrapp", env=s3env)
    assert r.returncode == 0, str(r)
    r = wrapp("check", f"{repo}/.packages/pkg/1.0/.pkg.wrapp", env=s3env)
    assert r.returncode == 0, str(r)

    # mirror s3 -> local -> s3 (another prefix), then install from the second copy.
    local = tmp_path / "local-repo"
    r = wrapp("mirror", "pkg", "1.0", repo, local, env=s3env)
    assert r.returncode == 0, str(r)
    assert (local / ".packages" / "pkg" / "1.0" / "big.bin").read_bytes() == files["big.bin"]
    back = f"s3://{BUCKET}/mirrored"
    r = wrapp("mirror", "pkg", "1.0", local, back, env=s3env)
    assert r.returncode == 0, str(r)
    assert set(k[len("mirrored/"):] for k in objects(s3, "mirrored/")) == set(
        k[len("repo/"):] for k in objects(s3, "repo/"))
    # Its hash known up front (from the catalog), big.bin stays the multipart upload it was sent as
    # ("<md5>-<parts>"); create hashes while it uploads, so its copy got the hash by a copy onto itself.
    big = s3.head_object(Bucket=BUCKET, Key="mirrored/.packages/pkg/1.0/big.bin")
    assert big["ETag"].endswith('-3"'), big["ETag"]
    assert big["Metadata"].get("wrapp-hash") == hash_bytes(files["big.bin"])
    # mirror within S3: server-side copies.
    r = wrapp("mirror", "pkg", "1.0", repo, f"s3://{BUCKET}/copied", env=s3env)
    assert r.returncode == 0, str(r)
    copied = s3.head_object(Bucket=BUCKET, Key="copied/.packages/pkg/1.0/sub/deep/c.bin")
    assert copied["Metadata"].get("wrapp-hash") == hash_bytes(files["sub/deep/c.bin"])
    dest2 = tmp_path / "installed2"
    r = wrapp("install", "pkg", "1.0", dest2, "--repo", back, env=s3env)
    assert r.returncode == 0, str(r)
    assert (dest2 / "big.bin").read_bytes() == files["big.bin"]

    # export from S3, import into S3.
    tar = tmp_path / "pkg.tar"
    r = wrapp("export", "pkg", "1.0", tar, "--repo", repo, env=s3env)
    assert r.returncode == 0, str(r)
    r = wrapp("import", tar, f"s3://{BUCKET}/imported", env=s3env)
    assert r.returncode == 0, str(r)
    r = wrapp("list-repo", f"s3://{BUCKET}/imported", env=s3env)
    assert r.stdout == "pkg: 1.0\n", str(r)
    no_uploads_left(s3)


def test_wrong_secret_key_fails_clearly_and_writes_nothing(wrapp, tmp_path, moto, s3env):
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    env = dict(s3env, AWS_SECRET_ACCESS_KEY="not-the-secret-" + "x" * 20)
    r = wrapp("create", "pkg", "1.0", src, "--repo", f"s3://{BUCKET}/denied", env=env)
    assert r.returncode == 2, str(r)
    assert "SignatureDoesNotMatch" in r.stderr, r.stderr
    assert f"s3://{BUCKET}/denied" in r.stderr, r.stderr
    assert "not-the-secret" not in r.stderr + r.stdout
    assert moto["secret"] not in r.stderr + r.stdout
    assert objects(moto["s3"], "denied/") == {}

    env = dict(s3env, AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000")
    r = wrapp("list-repo", f"s3://{BUCKET}/denied", env=env)
    assert r.returncode == 2, str(r)
    assert "InvalidAccessKeyId" in r.stderr, r.stderr


def test_missing_bucket_is_named(wrapp, tmp_path, moto, s3env):
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    r = wrapp("create", "pkg", "1.0", src, "--repo", "s3://no-such-bucket-here/repo", env=s3env)
    assert r.returncode == 2, str(r)
    assert "NoSuchBucket" in r.stderr and "s3://no-such-bucket-here" in r.stderr, r.stderr


def test_credentials_from_auth_option_win_over_the_environment(wrapp, tmp_path, moto, s3env):
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    env = dict(s3env, AWS_ACCESS_KEY_ID="AKIAWRONG00000000000", AWS_SECRET_ACCESS_KEY="wrong")
    auth = f"s3://{BUCKET}/authed,{moto['id']},{moto['secret']}"
    r = wrapp("create", "pkg", "1.0", src, "--repo", f"s3://{BUCKET}/authed", "--auth", auth, env=env)
    assert r.returncode == 0, str(r)
    r = wrapp("list-repo", f"s3://{BUCKET}/authed", env=dict(env, WRAPP_AUTH=auth))
    assert r.returncode == 0 and r.stdout == "pkg: 1.0\n", str(r)


def test_version_lists_s3_as_enabled(wrapp_raw):
    assert "S3: ENABLED" in wrapp_raw("version").stdout.splitlines()
