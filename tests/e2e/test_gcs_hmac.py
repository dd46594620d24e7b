"""gs:// URLs with a Cloud Storage HMAC key: the XML API, spoken by the S3 backend in GCS's dialect.

No emulator speaks GCS's XML API, so these runs point WRAPP_GCS_XML_ENDPOINT at moto (the fixture of
test_s3.py, signatures checked): what they prove is the path a user's command takes (which URLs go this
way, where the key comes from, addressing, SigV4 with region "auto", metadata, errors naming gs:// URLs),
and that objects written through it are ordinary objects another client reads. What GCS alone does
(generations as version tags, x-goog-if-generation-match) is checked against scripted answers in
src/storage/s3/s3_gcs_xml_test.cc; moto ignores those headers and sends no generation.
"""

from __future__ import annotations

import pytest

from helpers import hash_bytes, random_bytes, read_tree, write_tree
from test_s3 import BUCKET, moto, objects  # noqa: F401 (moto: the module's own server)

pytestmark = pytest.mark.s3

FILES = {
    "a.txt": "alpha",
    "sub/b.txt": "bravo",
    "sub/big.bin": random_bytes(6 * (1 << 20) + 5, seed=41),  # above the multipart threshold below
    "empty": b"",
}


@pytest.fixture
def gsenv(moto, tmp_path):  # noqa: F811
    """No AWS keys, service account, emulator or ~/.boto: only what a test gives reaches wrapp."""
    return {
        "WRAPP_GCS_XML_ENDPOINT": moto["endpoint"],
        "WRAPP_GCS_MULTIPART_THRESHOLD": str(1 << 20),
        "HOME": str(tmp_path / "home"),
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "AWS_ENDPOINT_URL": "",
        "GOOGLE_APPLICATION_CREDENTIALS": "",
        "STORAGE_EMULATOR_HOST": "",
        "BOTO_CONFIG": "",
    }


def data_of(content) -> bytes:
    return content.encode() if isinstance(content, str) else content


def test_create_install_check_and_mirror_with_an_hmac_key(wrapp, tmp_path, moto, gsenv):  # noqa: F811
    s3 = moto["s3"]
    src = write_tree(tmp_path / "src", FILES)
    repo = f"gs://{BUCKET}/gcs-repo"
    auth = ["--auth", f"gs://{BUCKET},{moto['id']},{moto['secret']}"]

    r = wrapp("create", "pkg", "1.0", src, "--repo", repo, *auth, env=gsenv)
    assert r.returncode == 0, str(r)
    vdir = "gcs-repo/.packages/pkg/1.0/"
    for rel, content in FILES.items():
        head = s3.head_object(Bucket=BUCKET, Key=vdir + rel)
        assert head["ContentLength"] == len(data_of(content)), rel
        if rel != "sub/big.bin":  # moto sends no generation, so a streamed multipart upload keeps no hash
            assert head["Metadata"].get("wrapp-hash") == hash_bytes(data_of(content)), rel
        assert s3.get_object(Bucket=BUCKET, Key=vdir + rel)["Body"].read() == data_of(content), rel
    assert vdir + ".pkg.wrapp" in objects(s3, "gcs-repo/")

    r = wrapp("list-repo", repo, *auth, env=gsenv)
    assert r.returncode == 0 and r.stdout == "pkg: 1.0\n", str(r)
    dest = tmp_path / "installed"
    r = wrapp("install", "pkg", "1.0", dest, "--repo", repo, *auth, env=gsenv)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    for rel, content in FILES.items():
        assert tree[rel] == data_of(content), rel
    r = wrapp("check", f"{repo}/.packages/pkg/1.0/.pkg.wrapp", *auth, env=gsenv)
    assert r.returncode == 0, str(r)

    # The same key from the environment; mirror gs:// -> local, then -> gs:// elsewhere (the hash
    # known from the catalog rides with every object, big ones too), copies within the service.
    keyenv = dict(gsenv, WRAPP_GCS_HMAC_ACCESS_ID=moto["id"], WRAPP_GCS_HMAC_SECRET=moto["secret"])
    local = tmp_path / "local-repo"
    r = wrapp("mirror", "pkg", "1.0", repo, local, env=keyenv)
    assert r.returncode == 0, str(r)
    assert (local / ".packages" / "pkg" / "1.0" / "sub" / "big.bin").read_bytes() == FILES["sub/big.bin"]
    r = wrapp("mirror", "pkg", "1.0", local, f"gs://{BUCKET}/gcs-mirrored", env=keyenv)
    assert r.returncode == 0, str(r)
    big = s3.head_object(Bucket=BUCKET, Key="gcs-mirrored/.packages/pkg/1.0/sub/big.bin")
    assert big["Metadata"].get("wrapp-hash") == hash_bytes(FILES["sub/big.bin"])
    r = wrapp("mirror", "pkg", "1.0", repo, f"gs://{BUCKET}/gcs-copied", "--stats", env=keyenv)
    assert r.returncode == 0, str(r)
    assert "Google Cloud Storage (XML API)" in r.stdout + r.stderr, str(r)
    assert set(k[len("gcs-copied/"):] for k in objects(s3, "gcs-copied/")) == set(
        k[len("gcs-repo/"):] for k in objects(s3, "gcs-repo/"))
    dest2 = tmp_path / "installed2"
    r = wrapp("install", "pkg", "1.0", dest2, "--repo", f"gs://{BUCKET}/gcs-copied", env=keyenv)
    assert r.returncode == 0, str(r)
    tree2 = read_tree(dest2)
    for rel, content in FILES.items():
        assert tree2[rel] == data_of(content), rel


def test_a_gsutil_boto_file_gives_the_key(wrapp, tmp_path, moto, gsenv):  # noqa: F811
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    boto = tmp_path / "boto.cfg"
    boto.write_text(f"[Credentials]\ngs_access_key_id = {moto['id']}\ngs_secret_access_key = {moto['secret']}\n")
    r = wrapp("create", "pkg", "1.0", src, "--repo", f"gs://{BUCKET}/gcs-boto", env=dict(gsenv, BOTO_CONFIG=str(boto)))
    assert r.returncode == 0, str(r)
    assert "gcs-boto/.packages/pkg/1.0/a.txt" in objects(moto["s3"], "gcs-boto/")


def test_a_wrong_secret_fails_clearly_and_writes_nothing(wrapp, tmp_path, moto, gsenv):  # noqa: F811
    src = write_tree(tmp_path / "src", {"a.txt": "alpha"})
    repo = f"gs://{BUCKET}/gcs-denied"
    r = wrapp("create", "pkg", "1.0", src, "--repo", repo, "--auth", f"gs://{BUCKET},{moto['id']},not-the-secret-x",
              env=gsenv)
    assert r.returncode == 2, str(r)
    assert "GCS SignatureDoesNotMatch" in r.stderr, r.stderr
    assert repo in r.stderr, r.stderr
    assert "not-the-secret" not in r.stderr + r.stdout
    assert objects(moto["s3"], "gcs-denied/") == {}


def test_aws_keys_are_not_taken_for_a_gs_url(wrapp, tmp_path, moto, gsenv):  # noqa: F811
    # moto would accept these keys: a gs:// URL must not be sent them.
    env = dict(gsenv, AWS_ACCESS_KEY_ID=moto["id"], AWS_SECRET_ACCESS_KEY=moto["secret"],
               AWS_ENDPOINT_URL=moto["endpoint"])
    r = wrapp("list-repo", f"gs://{BUCKET}/gcs-repo", env=env)
    assert r.returncode == 2, str(r)
    assert "no Google Cloud Storage credentials" in r.stderr and "HMAC key" in r.stderr, r.stderr
    assert moto["secret"] not in r.stderr + r.stdout
