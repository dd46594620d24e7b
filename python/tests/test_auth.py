"""Authentication objects and AuthManager: factories, secrecy, the process-wide look-up."""

from __future__ import annotations

import inspect
import io
import logging
import threading
import warnings
from pathlib import Path
from typing import Iterator

import pytest
from pydantic import SecretStr, ValidationError

from wrapp.auth import AuthManager, credentials_for
from wrapp.datastructures.authentication import (
    AuthInfo,
    AzureBlobAuthInfo,
    Boto3AuthInfo,
    GCSAuthInfo,
    NucleusAuthInfo,
    StorageAPIBearerAuthInfo,
    StorageAPIClientCredentialsAuthInfo,
    StorageAuthInfo,
)

SECRET = "s3cr3t-VALUE-42"


@pytest.fixture(autouse=True)
def no_active_managers() -> Iterator[None]:
    """Every test starts and ends with no initialized manager."""
    assert credentials_for("omniverse://anything") is None
    yield
    import wrapp.auth as auth

    for manager in list(auth._active):
        manager.shutdown()


def all_kinds() -> list[StorageAuthInfo]:
    return [
        StorageAuthInfo.nucleus("omniverse://server", "user", SECRET),
        StorageAuthInfo.boto3("s3://bucket", "AKIAEXAMPLE", SECRET, SECRET + "-session"),
        StorageAuthInfo.azure_blob("https://acct.blob.core.windows.net/c", "acct", account_key=SECRET),
        StorageAuthInfo.azure_blob("https://acct.blob.core.windows.net/c", sas_token=SECRET),
        StorageAuthInfo.azure_blob("https://acct.blob.core.windows.net/c", connection_string=SECRET),
        StorageAuthInfo.gcs("gs://bucket", "project", "/path/to/sa.json"),
        StorageAuthInfo.storage_api_bearer("https://discovery.example.com", SECRET),
        StorageAuthInfo.storage_api_client_credentials("https://discovery.example.com", "client", SECRET),
    ]


def test_factory_signatures_follow_the_reference() -> None:
    def params(f: object) -> list[tuple[str, object]]:
        return [(p.name, p.default) for p in inspect.signature(f).parameters.values()]  # type: ignore[arg-type]

    empty = inspect.Parameter.empty
    assert params(StorageAuthInfo.nucleus) == [("server_url", empty), ("username", empty), ("password_or_token", empty)]
    assert params(StorageAuthInfo.boto3) == [
        ("server_url", empty),
        ("aws_access_key_id", empty),
        ("aws_secret_access_key", empty),
        ("aws_session_token", None),
    ]
    assert params(StorageAuthInfo.gcs) == [("server_url", empty), ("project_id", None), ("credentials_file", None)]
    assert params(StorageAuthInfo.storage_api_bearer) == [("discovery_url", empty), ("bearer_token", empty)]
    assert params(StorageAuthInfo.storage_api_client_credentials) == [
        ("discovery_url", empty),
        ("client_id", empty),
        ("client_secret", empty),
    ]
    assert params(AuthManager)[:2] == [("auth_infos", None), ("interactive_fallback", True)]
    assert params(AuthManager.shutdown) == [("self", empty), ("exc_type", None), ("exc_val", None), ("exc_tb", None)]


def test_factories_build_the_right_auth_data() -> None:
    nucleus, boto3, azure_key, azure_sas, azure_conn, gcs, bearer, client = all_kinds()
    assert isinstance(nucleus.auth_data, NucleusAuthInfo)
    assert nucleus.server_url == "omniverse://server" and nucleus.auth_data.username == "user"
    assert nucleus.auth_data.password_or_token.get_secret_value() == SECRET
    assert isinstance(boto3.auth_data, Boto3AuthInfo)
    assert boto3.auth_data.aws_access_key_id == "AKIAEXAMPLE"
    assert boto3.auth_data.aws_session_token is not None
    assert StorageAuthInfo.boto3("s3://b", "k", "s").auth_data.aws_session_token is None  # type: ignore[union-attr]
    assert isinstance(azure_key.auth_data, AzureBlobAuthInfo) and azure_key.auth_data.account_name == "acct"
    assert isinstance(azure_sas.auth_data, AzureBlobAuthInfo) and azure_sas.auth_data.sas_token is not None
    assert isinstance(azure_conn.auth_data, AzureBlobAuthInfo)
    assert isinstance(gcs.auth_data, GCSAuthInfo) and gcs.auth_data.credentials_file == "/path/to/sa.json"
    assert StorageAuthInfo.gcs("gs://b").auth_data == GCSAuthInfo()
    assert isinstance(bearer.auth_data, StorageAPIBearerAuthInfo)
    assert isinstance(client.auth_data, StorageAPIClientCredentialsAuthInfo)
    assert client.auth_data.client_id == "client"
    # The constructor takes positional arguments, as in the reference's signature.
    direct = StorageAuthInfo("omniverse://server", NucleusAuthInfo(username="user", password_or_token=SECRET))
    assert direct == nucleus


@pytest.mark.parametrize("info", all_kinds(), ids=lambda i: i.auth_data.kind)
def test_secrets_never_shown(info: StorageAuthInfo, caplog: pytest.LogCaptureFixture) -> None:
    texts = [repr(info), str(info), repr(info.auth_data), str(info.auth_data), info.model_dump_json(), f"{info}"]
    texts.append(repr(info.model_dump()))
    with caplog.at_level(logging.DEBUG, logger="omni.wrapp"):
        manager = AuthManager([info])
        manager.initialize()
        texts.append(repr(manager))
        manager.shutdown()
    texts.append(caplog.text)
    for text in texts:
        assert SECRET not in text
    # ... but they are there for whoever asks for them explicitly.
    secrets = [v.get_secret_value() for v in info.auth_data.__dict__.values() if isinstance(v, SecretStr)]
    assert any(s.startswith(SECRET) for s in secrets) or isinstance(info.auth_data, GCSAuthInfo)


def test_secrets_not_in_validation_errors() -> None:
    with pytest.raises(ValidationError) as error:
        AzureBlobAuthInfo(account_key=SECRET, sas_token=SECRET)  # two forms
    assert SECRET not in str(error.value)
    with pytest.raises(ValidationError) as error:
        NucleusAuthInfo(username="u", password_or_token=SECRET, extra_field=SECRET)  # type: ignore[call-arg]
    assert SECRET not in str(error.value)
    with pytest.raises(ValidationError) as error:
        StorageAuthInfo.boto3("s3://b", 12345, SECRET)  # type: ignore[arg-type]
    assert SECRET not in str(error.value) and "12345" not in str(error.value)


def test_validation() -> None:
    with pytest.raises(ValidationError):
        StorageAuthInfo.nucleus("", "u", "p")
    with pytest.raises(ValidationError):
        AzureBlobAuthInfo()  # no form
    with pytest.raises(ValidationError):
        AzureBlobAuthInfo(account_key=SECRET)  # key without account name
    with pytest.raises(ValidationError):
        AzureBlobAuthInfo(account_name="a", connection_string=SECRET)
    info = StorageAuthInfo.nucleus("omniverse://s", "u", "p")
    with pytest.raises(ValidationError):
        info.server_url = "omniverse://other"  # type: ignore[misc]  # frozen
    # A dumped object (secrets masked) still parses back to the same shape.
    round_trip = StorageAuthInfo.model_validate_json(info.model_dump_json())
    assert isinstance(round_trip.auth_data, NucleusAuthInfo) and round_trip.server_url == info.server_url


def test_auth_info_is_deprecated_and_converts() -> None:
    with pytest.warns(DeprecationWarning, match="StorageAuthInfo"):
        old = AuthInfo(server="omniverse://localhost", username="omniverse", password_or_token=SECRET)
    assert old.server == "omniverse://localhost" and old.username == "omniverse"
    assert SECRET not in repr(old) and SECRET not in old.model_dump_json()
    with pytest.warns(DeprecationWarning):
        positional = AuthInfo("omniverse://localhost", "omniverse", SECRET)
    assert positional == old
    assert old.to_storage_auth_info() == StorageAuthInfo.nucleus("omniverse://localhost", "omniverse", SECRET)


def test_manager_lifecycle_and_lookup() -> None:
    server = StorageAuthInfo.nucleus("omniverse://server", "u", "p")
    projects = StorageAuthInfo.nucleus("omniverse://server/Projects/", "u2", "p2")
    manager = AuthManager([server], interactive_fallback=False)
    assert manager.interactive_fallback is False
    assert credentials_for("omniverse://server/x") is None, "not used before initialize()"
    assert manager.initialize() is manager
    assert credentials_for("omniverse://server/x") == server
    manager.add_auth(projects)
    assert credentials_for("omniverse://server/Projects/a/b.usd") == projects  # longest prefix
    assert credentials_for("omniverse://server/Projects") == projects
    assert credentials_for("omniverse://server/ProjectsX/a") == server  # only at a boundary
    assert credentials_for("OMNIVERSE://SERVER/Projects/a") == projects  # scheme and host case-insensitive
    assert credentials_for("omniverse://server/projects/a") == server  # paths are case-sensitive
    assert credentials_for("omniverse://server2/x") is None
    assert credentials_for("not a url at all") is None
    assert manager.auth_infos == [server, projects]
    manager.shutdown()
    assert credentials_for("omniverse://server/x") is None
    manager.initialize()  # again, with the same credentials
    assert credentials_for("omniverse://server/x") == server
    manager.clear()
    assert manager.auth_infos == [] and credentials_for("omniverse://server/x") is None
    manager.shutdown()
    manager.shutdown()  # twice is harmless


def test_later_registration_wins_a_tie_and_managers_combine() -> None:
    first = StorageAuthInfo.boto3("s3://bucket/", "k1", "s1")
    second = StorageAuthInfo.boto3("S3://bucket", "k2", "s2")
    other = StorageAuthInfo.gcs("gs://b")
    with AuthManager([first]) as a:
        assert credentials_for("s3://bucket/key") == first
        with AuthManager([second, other]) as b:
            assert credentials_for("s3://bucket/key") == second
            assert credentials_for("gs://b/x") == other
            assert b is not a
        assert credentials_for("s3://bucket/key") == first
        assert credentials_for("gs://b/x") is None


def test_with_shuts_down_on_error() -> None:
    info = StorageAuthInfo.nucleus("omniverse://s", "u", "p")
    with pytest.raises(KeyError):
        with AuthManager([info]):
            assert credentials_for("omniverse://s/a") == info
            raise KeyError("boom")
    assert credentials_for("omniverse://s/a") is None


@pytest.mark.asyncio
async def test_async_with() -> None:
    info = StorageAuthInfo.storage_api_bearer("https://discovery.example.com", SECRET)
    async with AuthManager([info], interactive_fallback=False) as manager:
        assert isinstance(manager, AuthManager)
        assert credentials_for("https://discovery.example.com/api/v1") == info
    assert credentials_for("https://discovery.example.com/api/v1") is None


def test_auth_info_accepted_everywhere() -> None:
    with pytest.warns(DeprecationWarning):
        old = AuthInfo("omniverse://legacy", "user", SECRET)
    manager = AuthManager([old])  # type: ignore[list-item]
    with pytest.warns(DeprecationWarning):
        manager.add_auth(AuthInfo("omniverse://legacy/sub", "user2", SECRET))
    with manager:
        found = credentials_for("omniverse://legacy/a")
        assert found is not None and isinstance(found.auth_data, NucleusAuthInfo)
        assert found.auth_data.password_or_token.get_secret_value() == SECRET
        assert credentials_for("omniverse://legacy/sub/x").auth_data.username == "user2"  # type: ignore[union-attr]
    with pytest.raises(TypeError):
        manager.add_auth(("omniverse://s", "u", "p"))  # type: ignore[arg-type]


def test_local_paths_and_file_urls_match_each_other(tmp_path: Path) -> None:
    info = StorageAuthInfo.gcs(str(tmp_path))
    with AuthManager([info]):
        assert credentials_for(f"file://{tmp_path}/a/b") == info
        assert credentials_for(f"{tmp_path}/a/../c") == info


def test_registry_is_thread_safe() -> None:
    managers = [AuthManager() for _ in range(4)]
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(index: int) -> None:
        try:
            manager = managers[index].initialize()
            for i in range(300):
                manager.add_auth(StorageAuthInfo.nucleus(f"omniverse://s{index}/p{i}", "u", "p"))
                if i % 50 == 0:
                    manager.shutdown()
                    manager.initialize()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    def reader() -> None:
        try:
            while not stop.is_set():
                credentials_for("omniverse://s1/p5/x")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert not errors
    found = credentials_for("omniverse://s1/p5/x")
    assert found is not None and found.server_url == "omniverse://s1/p5"
    assert sum(len(m.auth_infos) for m in managers) == 1200


def test_nothing_is_persisted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No file appears under a fresh HOME and working directory; printing shows no secret."""
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    with AuthManager([StorageAuthInfo.nucleus("omniverse://s", "u", SECRET)]):
        pass
    assert list(tmp_path.iterdir()) == []
    buffer = io.StringIO()
    print(StorageAuthInfo.nucleus("omniverse://s", "u", SECRET), file=buffer)
    assert SECRET not in buffer.getvalue()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        StorageAuthInfo.nucleus("omniverse://s", "u", "p")  # the new API does not warn


def test_process_wide_registration() -> None:
    """What wrapp.add_auth uses: credentials without a manager of the caller's own."""
    info = StorageAuthInfo.nucleus("omniverse://global", "u", "p")
    try:
        AuthManager._register_global(info)
        assert credentials_for("omniverse://global/x") == info
        override = StorageAuthInfo.nucleus("omniverse://global", "u2", "p2")
        with AuthManager([override]):
            assert credentials_for("omniverse://global/x") == override
        assert credentials_for("omniverse://global/x") == info
    finally:
        AuthManager._clear_global()
    assert credentials_for("omniverse://global/x") is None


def test_initialized_managers_reach_the_core_backends() -> None:
    from wrapp import _core

    info = StorageAuthInfo.boto3("s3://bucket/team", "AKID", "SECRET", aws_session_token="TOKEN")
    manager = AuthManager([info], interactive_fallback=False)
    assert _core.credential_for("s3://bucket/team/repo") is None  # not before initialize()
    with manager:
        assert _core.credential_for("s3://bucket/team/repo") == (
            "s3://bucket/team", "boto3", ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"])
        manager.add_auth(StorageAuthInfo.gcs("gs://b", project_id="p"))
        assert _core.credential_for("gs://b/x")[1] == "gcs"
    assert _core.credential_for("s3://bucket/team/repo") is None  # shutdown() withdrew them
