"""S3 by s3rver (npm `s3rver`, pinned in tests/servers/package.json), a second S3 implementation, run by
node on a loopback port with its objects in a fresh temporary folder.

    with S3rver() as s3:
        s3.create_bucket("repo")
        s3.boto3_client().put_object(Bucket="repo", Key="a", Body=b"x")

Unlike moto, s3rver checks the access key: only its built-in key S3RVER (secret S3RVER) is accepted,
another fails with 403 InvalidAccessKeyId. It checks Signature V2 but not V4: a V4 request with the
right key and a wrong secret succeeds.
It ignores `If-None-Match` and `If-Match` on PutObject (the second create-only put succeeds and
overwrites): a client must not rely on the service for create-only writes here.
"""

from __future__ import annotations

import shutil
from typing import Sequence

from ._base import node_script
from .moto_s3 import S3Server


class S3rver(S3Server):
    name = "s3rver"
    access_key = "S3RVER"
    secret_key = "S3RVER"

    def _command(self, port: int) -> Sequence[str]:
        data = self.tmp / "data"
        data.mkdir()
        node = shutil.which("node") or "node"
        # --no-vhost-buckets: 127.0.0.1 is no bucket's virtual host; path-style only.
        # --openssl-legacy-provider: s3rver makes its ListObjectsV2 continuation tokens with DES, which
        # OpenSSL 3 (Node 17 and later) only has in its legacy provider; without it every listing that
        # could go on answers 500.
        return [node, "--openssl-legacy-provider", node_script("s3rver", "bin/s3rver.js"), "-d", str(data),
                "-a", self.host, "-p", str(port), "--no-vhost-buckets"]
