"""Real servers for the storage tests, started and stopped by the tests on loopback ports.

Each is a context manager with start(), stop() and `endpoint` (its base URL), on a free 127.0.0.1
port, stopped (its process group killed) at stop() and at interpreter exit:

- MotoS3: S3 by moto_server (PyPI moto[server]); S3rver: S3 by s3rver (npm) — both with
  boto3_client(), create_bucket(name), env() (the AWS_* variables).
- Azurite: Azure Blob by azurite-blob (npm); blob_service_client(), create_container(name),
  connection_string, env().
- GcsEmulator: GCS's JSON API by gcp-storage-emulator (PyPI); client() (google-cloud-storage),
  create_bucket(name), upload(...) by hand, env() (STORAGE_EMULATOR_HOST).
- HttpsServer(folder): a folder over HTTPS with Range and HEAD; ca_file to trust it.
- FaultProxy(upstream): in front of any of them; drop(), stall(), truncate(), respond(), count().
- ByteCounter(upstream): a TCP relay in front of any of them counting the bytes each way.

The npm servers need `npm ci --prefix tests/servers` and the PyPI ones requirements-dev.txt (setup.sh
does both). From a test folder beside this one (tests/e2e), put tests/ on sys.path and
`from servers import MotoS3`. docs/storage.md ("Emulators used by the tests") says what each enforces.
"""

from ._base import Server, ServerStartError, free_port, wait_for
from .azurite import Azurite
from .byte_counter import ByteCounter
from .fault_proxy import SLOW_DOWN_BODY, FaultProxy, Record, Rule
from .gcs_emulator import GcsEmulator
from .https_server import HttpsServer, make_certificate
from .moto_s3 import MotoS3, S3Server
from .s3rver import S3rver

__all__ = ["Server", "ServerStartError", "free_port", "wait_for", "Azurite", "ByteCounter", "FaultProxy", "Record", "Rule",
           "SLOW_DOWN_BODY", "GcsEmulator", "HttpsServer", "make_certificate", "MotoS3", "S3Server", "S3rver"]
