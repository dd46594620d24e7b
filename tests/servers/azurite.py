"""Azure Blob by Azurite (npm `azurite`, pinned in tests/servers/package.json): the blob service only
(azurite-blob), run by node on a loopback port, its workspace a fresh temporary folder.

    with Azurite() as az:
        az.create_container("repo")
        az.blob_service_client().get_blob_client("repo", "a").upload_blob(b"x")
        env = az.env()   # AZURE_STORAGE_CONNECTION_STRING, ... for a wrapp process

URLs are path-style: http://127.0.0.1:PORT/devstoreaccount1/CONTAINER/BLOB. Azurite checks Shared Key
signatures (403 AuthorizationFailure with a wrong key) and SAS tokens, and enforces the conditional
headers on Put Blob and Put Block List: `If-None-Match: *` on an existing blob and `If-Match` with a
stale ETag fail with 409 BlobAlreadyExists / 412 ConditionNotMet.
"""

from __future__ import annotations

import shutil
from typing import Dict, Sequence

from ._base import Server, node_script


class Azurite(Server):
    name = "azurite"
    # The well-known development account of every Azure Storage emulator.
    account = "devstoreaccount1"
    key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

    def __init__(self, loose: bool = False, **kw):
        super().__init__(**kw)
        self.loose = loose

    def _command(self, port: int) -> Sequence[str]:
        node = shutil.which("node") or "node"
        cmd = [node, node_script("azurite", "dist/src/blob/main.js"),
               "--blobHost", self.host, "--blobPort", str(port), "--location", str(self.tmp / "workspace"),
               "--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry"]
        if self.loose:
            cmd.append("--loose")
        return cmd

    @property
    def blob_endpoint(self) -> str:
        """The account's base URL: http://127.0.0.1:PORT/devstoreaccount1."""
        return f"{self.endpoint}/{self.account}"

    @property
    def connection_string(self) -> str:
        return (f"DefaultEndpointsProtocol=http;AccountName={self.account};AccountKey={self.key};"
                f"BlobEndpoint={self.blob_endpoint};")

    def env(self) -> Dict[str, str]:
        """The variables Azure's clients (and wrapp) read for this account."""
        return {"AZURE_STORAGE_CONNECTION_STRING": self.connection_string,
                "AZURE_STORAGE_ACCOUNT": self.account, "AZURE_STORAGE_KEY": self.key}

    def blob_service_client(self, key: str = None, **config):
        """An azure-storage-blob client on this account (Shared Key; `key` to try another key; `config`
        for the client, e.g. max_single_put_size)."""
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(self.blob_endpoint, credential={"account_name": self.account,
                                                                 "account_key": key or self.key},
                                 **config)

    def create_container(self, name: str) -> str:
        """Creates container `name`; returns its URL."""
        self.blob_service_client().create_container(name)
        return f"{self.blob_endpoint}/{name}"
