"""Credentials for the storage servers WRAPP talks to.

A :class:`StorageAuthInfo` pairs a ``server_url`` with the backend-specific auth data
(:class:`NucleusAuthInfo`, :class:`Boto3AuthInfo`, :class:`AzureBlobAuthInfo`,
:class:`GCSAuthInfo`, :class:`StorageAPIBearerAuthInfo`,
:class:`StorageAPIClientCredentialsAuthInfo`). Build them with the class-method
factories and hand them to :class:`wrapp.AuthManager` or :class:`wrapp.ContextManager`.

Secrets (passwords, tokens, secret keys, SAS tokens, connection strings, client
secrets) are held as :class:`pydantic.SecretStr`: ``repr()``, ``str()``, log lines,
validation errors and ``model_dump_json()`` show ``'**********'`` in their place. Read
one with ``.get_secret_value()``. Credentials are kept in memory only; nothing here is
ever written to disk.
"""

from __future__ import annotations

import warnings
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "AuthData",
    "AuthInfo",
    "AzureBlobAuthInfo",
    "Boto3AuthInfo",
    "GCSAuthInfo",
    "NucleusAuthInfo",
    "StorageAPIBearerAuthInfo",
    "StorageAPIClientCredentialsAuthInfo",
    "StorageAuthInfo",
]

# Immutable (and so hashable), unknown fields refused, and the input of a failed
# validation never copied into the error message (it may be a secret).
_CONFIG = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class _AuthData(BaseModel):
    """Common base of the backend-specific auth data."""

    model_config = _CONFIG


class NucleusAuthInfo(_AuthData):
    """Credentials for a Nucleus server: a user name and a password or API token.

    Use the special user name ``$omni-api-token`` with an API token (e.g. for single
    sign-on).
    """

    kind: Literal["nucleus"] = "nucleus"
    username: str = Field(description="User name, or '$omni-api-token' for an API token.")
    password_or_token: SecretStr = Field(description="Password or API token.")


class Boto3AuthInfo(_AuthData):
    """Credentials for accessing S3 buckets directly through boto3."""

    kind: Literal["boto3"] = "boto3"
    aws_access_key_id: str = Field(description="AWS access key ID.")
    aws_secret_access_key: SecretStr = Field(description="AWS secret access key.")
    aws_session_token: Optional[SecretStr] = Field(
        default=None, description="Session token of temporary credentials, if any."
    )


class AzureBlobAuthInfo(_AuthData):
    """Credentials for Azure Blob Storage.

    Exactly one of three forms: ``account_name`` with ``account_key``; a ``sas_token``
    (optionally with the ``account_name`` it belongs to); or a ``connection_string``.
    """

    kind: Literal["azure_blob"] = "azure_blob"
    account_name: Optional[str] = Field(default=None, description="Storage account name.")
    account_key: Optional[SecretStr] = Field(default=None, description="Storage account key.")
    sas_token: Optional[SecretStr] = Field(default=None, description="Shared access signature token.")
    connection_string: Optional[SecretStr] = Field(default=None, description="Storage connection string.")

    @model_validator(mode="after")
    def _one_form(self) -> "AzureBlobAuthInfo":
        forms = [self.account_key is not None, self.sas_token is not None, self.connection_string is not None]
        if sum(forms) != 1:
            raise ValueError(
                "give exactly one of: account_name with account_key, sas_token, or connection_string"
            )
        if self.account_key is not None and not self.account_name:
            raise ValueError("account_key needs account_name")
        if self.connection_string is not None and self.account_name is not None:
            raise ValueError("connection_string already names the account; do not give account_name")
        return self


class GCSAuthInfo(_AuthData):
    """Credentials for Google Cloud Storage.

    Both fields are optional: without ``credentials_file`` the Google default credential
    chain applies (``GOOGLE_APPLICATION_CREDENTIALS``, the metadata server, ...).
    """

    kind: Literal["gcs"] = "gcs"
    project_id: Optional[str] = Field(default=None, description="Google Cloud project ID.")
    credentials_file: Optional[str] = Field(
        default=None, description="Path of a service account JSON key file."
    )


class StorageAPIBearerAuthInfo(_AuthData):
    """A pre-obtained OAuth2 access (bearer) token for a Storage API service."""

    kind: Literal["storage_api_bearer"] = "storage_api_bearer"
    bearer_token: SecretStr = Field(description="OAuth2 access / bearer token.")


class StorageAPIClientCredentialsAuthInfo(_AuthData):
    """OAuth2 client credentials (machine-to-machine) for a Storage API service.

    WRAPP exchanges them for an access token via the ``grant_type=client_credentials``
    flow and refreshes it before expiry.
    """

    kind: Literal["storage_api_client_credentials"] = "storage_api_client_credentials"
    client_id: str = Field(description="OAuth2 client identifier.")
    client_secret: SecretStr = Field(description="OAuth2 client secret.")


AuthData = Union[
    NucleusAuthInfo,
    Boto3AuthInfo,
    AzureBlobAuthInfo,
    GCSAuthInfo,
    StorageAPIBearerAuthInfo,
    StorageAPIClientCredentialsAuthInfo,
]
"""Any of the backend-specific auth data classes."""


def _check_url(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("server_url must not be empty")
    return value


class StorageAuthInfo(BaseModel):
    """Credential container for a single storage server.

    Each instance pairs a ``server_url`` with backend-specific auth data. Use the
    class-method factories below to construct instances for the supported backends::

        # Nucleus
        auth = StorageAuthInfo.nucleus("omniverse://myserver", "user", "pass")
        # S3 (boto3)
        auth = StorageAuthInfo.boto3("s3://my-bucket", "<key>", "<secret>")
        # GCS
        auth = StorageAuthInfo.gcs("gs://my-bucket", credentials_file="/path/to/sa.json")
        # Storage API - bearer token
        auth = StorageAuthInfo.storage_api_bearer("https://discovery.example.com", "<TOKEN>")
        # Storage API - client credentials (machine-to-machine)
        auth = StorageAuthInfo.storage_api_client_credentials(
            "https://discovery.example.com", "<CLIENT_ID>", "<CLIENT_SECRET>"
        )

    Pass one or more of these to ``ContextManager`` or ``AuthManager`` to authenticate
    before running commands. The credentials apply to every URL below ``server_url``
    (the longest matching ``server_url`` wins).
    """

    model_config = _CONFIG

    server_url: str = Field(description="URL of the server, bucket or container the credentials are for.")
    auth_data: AuthData = Field(discriminator="kind", description="The backend-specific credentials.")

    def __init__(self, server_url: str, auth_data: "AuthData") -> None:
        """Create a StorageAuthInfo from a server URL and backend-specific auth data.

        :param server_url: URL of the server the credentials are for.
        :param auth_data: One of NucleusAuthInfo, Boto3AuthInfo, AzureBlobAuthInfo,
            GCSAuthInfo, StorageAPIBearerAuthInfo, StorageAPIClientCredentialsAuthInfo.
        """
        super().__init__(server_url=server_url, auth_data=auth_data)

    @field_validator("server_url")
    @classmethod
    def _check_server_url(cls, value: str) -> str:
        return _check_url(value)

    @classmethod
    def nucleus(cls, server_url: str, username: str, password_or_token: str) -> "StorageAuthInfo":
        """Convenience function to set up StorageAuthInfo for a Nucleus server.

        :param server_url: URL of the Nucleus server, e.g. ``omniverse://localhost``.
        :param username: User name; ``$omni-api-token`` to log in with an API token.
        :param password_or_token: The password, or the API token.
        """
        return cls(server_url, NucleusAuthInfo(username=username, password_or_token=password_or_token))

    @classmethod
    def boto3(
        cls,
        server_url: str,
        aws_access_key_id: str,
        aws_secret_access_key: str,
        aws_session_token: Optional[str] = None,
    ) -> "StorageAuthInfo":
        """Convenience function to set up StorageAuthInfo for accessing a S3 bucket directly using boto3.

        :param server_url: URL of the bucket, e.g. ``s3://my-bucket``.
        :param aws_access_key_id: AWS access key ID.
        :param aws_secret_access_key: AWS secret access key.
        :param aws_session_token: Session token of temporary credentials, if any.
        """
        return cls(
            server_url,
            Boto3AuthInfo(
                aws_access_key_id=aws_access_key_id,
                aws_secret_access_key=aws_secret_access_key,
                aws_session_token=aws_session_token,
            ),
        )

    @classmethod
    def azure_blob(
        cls,
        server_url: str,
        account_name: Optional[str] = None,
        account_key: Optional[str] = None,
        sas_token: Optional[str] = None,
        connection_string: Optional[str] = None,
    ) -> "StorageAuthInfo":
        """Convenience function to set up StorageAuthInfo for Azure Blob Storage.

        Give ``account_name`` with ``account_key``, or a ``sas_token``, or a
        ``connection_string``.

        :param server_url: URL of the account or container.
        :param account_name: Storage account name.
        :param account_key: Storage account key.
        :param sas_token: Shared access signature token.
        :param connection_string: Storage connection string.
        """
        return cls(
            server_url,
            AzureBlobAuthInfo(
                account_name=account_name,
                account_key=account_key,
                sas_token=sas_token,
                connection_string=connection_string,
            ),
        )

    @classmethod
    def gcs(
        cls,
        server_url: str,
        project_id: Optional[str] = None,
        credentials_file: Optional[str] = None,
    ) -> "StorageAuthInfo":
        """Convenience function to set up StorageAuthInfo for accessing Google Cloud Storage.

        :param server_url: URL of the bucket, e.g. ``gs://my-bucket``.
        :param project_id: Google Cloud project ID.
        :param credentials_file: Path of a service account JSON key file.
        """
        return cls(server_url, GCSAuthInfo(project_id=project_id, credentials_file=credentials_file))

    @classmethod
    def storage_api_bearer(cls, discovery_url: str, bearer_token: str) -> "StorageAuthInfo":
        """Create credentials for a Storage API service using a pre-obtained bearer token.

        :param discovery_url: Base URL of the Storage API discovery service (e.g.
            ``https://my-discovery.example.com``). Must match the value of
            ``WRAPP_STORAGE_API_DISCOVERY_URL``.
        :param bearer_token: OAuth2 access / bearer token.
        """
        return cls(discovery_url, StorageAPIBearerAuthInfo(bearer_token=bearer_token))

    @classmethod
    def storage_api_client_credentials(
        cls, discovery_url: str, client_id: str, client_secret: str
    ) -> "StorageAuthInfo":
        """Create credentials for a Storage API service using OAuth2 client credentials.

        WRAPP will exchange these for an access token via the
        ``grant_type=client_credentials`` flow and automatically refresh it before expiry.

        :param discovery_url: Base URL of the Storage API discovery service.
        :param client_id: OAuth2 client identifier.
        :param client_secret: OAuth2 client secret.
        """
        return cls(
            discovery_url, StorageAPIClientCredentialsAuthInfo(client_id=client_id, client_secret=client_secret)
        )


class AuthInfo(BaseModel):
    """Data object to store credentials for a given base URL.

    .. deprecated::
        Provided for backwards compatibility. Please use :class:`StorageAuthInfo` instead
        (``StorageAuthInfo.nucleus(server, username, password_or_token)``).

    For example, ``AuthInfo(server='omniverse://localhost', username='omniverse',
    password_or_token='omniverse')`` will generate credentials for a workstation Nucleus
    with default password. To use a user generated API token (e.g. for single sign-on),
    use the special username ``$omni-api-token``. Accepted wherever a StorageAuthInfo is.
    """

    model_config = _CONFIG

    server: str = Field(description="URL of the server the credentials are for.")
    username: str = Field(description="User name, or '$omni-api-token' for an API token.")
    password_or_token: SecretStr = Field(description="Password or API token.")

    def __init__(self, server: str, username: str, password_or_token: str) -> None:
        """Create credentials for ``server`` (deprecated: emits a DeprecationWarning)."""
        warnings.warn(
            "wrapp.AuthInfo is deprecated, use wrapp.StorageAuthInfo.nucleus(server_url, username, "
            "password_or_token) instead",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(server=server, username=username, password_or_token=password_or_token)

    @field_validator("server")
    @classmethod
    def _check_server(cls, value: str) -> str:
        return _check_url(value)

    def to_storage_auth_info(self) -> StorageAuthInfo:
        """The same credentials as a :meth:`StorageAuthInfo.nucleus` object."""
        return StorageAuthInfo.nucleus(self.server, self.username, self.password_or_token.get_secret_value())
