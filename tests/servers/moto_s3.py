"""S3 by moto in server mode (PyPI `moto[server]`), in memory, on a loopback port.

    with MotoS3() as s3:
        s3.create_bucket("repo")
        s3.boto3_client().put_object(Bucket="repo", Key="a", Body=b"x")
        env = s3.env()   # AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ... for a wrapp process

moto accepts any credentials (it does not check signatures) until `require_signatures()` turns its
authentication on; the fixed fake ones below are what the tests pass until then. It enforces `If-None-Match: *` and `If-Match: ETAG` on PutObject (412 PreconditionFailed).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Dict, Sequence

from ._base import Server, ServerStartError


class S3Server(Server):
    """What the S3 servers share: credentials, a boto3 client, buckets, the variables for a wrapp process."""

    access_key = "wrapp-test-key"
    secret_key = "wrapp-test-secret"
    region = "us-east-1"

    def boto3_client(self, **config):
        """A boto3 S3 client on this server (path-style addressing, the fake credentials, no retries);
        `config`: more botocore Config arguments."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name=self.region,
            config=Config(**{"s3": {"addressing_style": "path"}, "retries": {"total_max_attempts": 1}, **config}))

    def create_bucket(self, name: str) -> str:
        """Creates bucket `name`; returns its s3:// URL."""
        self.boto3_client().create_bucket(Bucket=name)
        return f"s3://{name}"

    def env(self) -> Dict[str, str]:
        """The standard AWS variables that point an S3 client (boto3, the AWS CLI, wrapp) at this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }


class MotoS3(S3Server):
    """moto_server on 127.0.0.1 (all of moto's services; the tests use S3)."""

    name = "moto"

    def _command(self, port: int) -> Sequence[str]:
        exe = shutil.which("moto_server") or str(Path(sys.executable).parent / "moto_server")
        if not Path(exe).exists():
            raise ServerStartError("moto_server not found: pip install -r requirements-dev.txt (setup.sh does)")
        return [exe, "-H", self.host, "-p", str(port)]

    def _env(self):
        # moto's own settings: no network look-ups, no state kept between runs.
        return {"MOTO_ALLOW_NONEXISTENT_REGION": "true", "AWS_ACCESS_KEY_ID": self.access_key,
                "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def reset(self) -> None:
        """Forgets every bucket and object (moto's /moto-api/reset)."""
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset", method="POST"),
                               timeout=10).read()

    def require_signatures(self) -> None:
        """From now on every request must be signed with a known key: an IAM user allowed everything is
        created, its key becomes this server's `access_key`/`secret_key`, and moto's authentication is
        switched on (its /moto-api/reset-auth with no unauthenticated requests left)."""
        import json
        import urllib.request

        import boto3

        iam = boto3.client("iam", endpoint_url=self.endpoint, region_name=self.region,
                           aws_access_key_id="setup", aws_secret_access_key="setup")
        iam.create_user(UserName="wrapp")
        iam.put_user_policy(UserName="wrapp", PolicyName="all", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="wrapp")["AccessKey"]
        self.access_key, self.secret_key = key["AccessKeyId"], key["SecretAccessKey"]
        urllib.request.urlopen(urllib.request.Request(self.endpoint + "/moto-api/reset-auth", data=b"0",
                                                      method="POST", headers={"Content-Type": "text/plain"}),
                               timeout=10).read()
