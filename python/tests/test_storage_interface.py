"""wrapp_read_file_content / wrapp_write_file_content: plain calls, awaits, and the Result of each failure."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path

import pytest

from wrapp import _core
from wrapp.auth import AuthManager
from wrapp.datastructures.authentication import StorageAuthInfo
from wrapp.utils.storage_interface import (
    ReadFileResult,
    Result,
    result_for_error,
    wrapp_read_file_content,
    wrapp_read_file_content_async,
    wrapp_write_file_content,
    wrapp_write_file_content_async,
)


def test_result_names_follow_omni_client() -> None:
    for name in ("OK", "ERROR", "ERROR_NOT_FOUND", "ERROR_ALREADY_EXISTS", "ERROR_ACCESS_DENIED", "ERROR_CONNECTION"):
        assert Result[name].name == name
    assert Result.OK != Result.ERROR


def test_plain_calls(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "file.bin"
    assert wrapp_write_file_content(None, str(target), b"\x00\x01bytes") == Result.OK
    assert target.read_bytes() == b"\x00\x01bytes"
    result, version, content = wrapp_read_file_content(str(target))
    assert (result, version, content) == (Result.OK, None, b"\x00\x01bytes")
    # str content is written as UTF-8; an existing file is replaced.
    assert wrapp_write_file_content(None, target.as_uri(), "grüße") is Result.OK
    read = wrapp_read_file_content(target.as_uri())
    assert isinstance(read, tuple) and isinstance(read, ReadFileResult)
    assert read.result is Result.OK and read.content == "grüße".encode()
    assert wrapp_write_file_content(None, str(target), bytearray(b"ba")) is Result.OK
    assert wrapp_read_file_content(str(target))[2] == b"ba"
    assert wrapp_write_file_content(None, str(target), memoryview(b"")) is Result.OK
    assert wrapp_read_file_content(str(target)) == (Result.OK, None, b"")


def test_reference_example_inside_auth_manager(tmp_path: Path) -> None:
    """The AuthManager example of the reference, on a local file."""
    (tmp_path / "asset.usd").write_bytes(b"#usda 1.0\n")

    def download_file_from_staging(url: str, api_token: str) -> bytes:
        with AuthManager(
            [StorageAuthInfo.nucleus(server_url="omniverse://staging.example.com", username="$omni-api-token",
                                     password_or_token=api_token)],
            interactive_fallback=False,
        ):
            result, version, content = wrapp_read_file_content(url)
            if result == Result.OK:
                assert content is not None
                return content
            raise Exception(f"Download error: {result} for {url}")

    assert download_file_from_staging(str(tmp_path / "asset.usd"), "token") == b"#usda 1.0\n"
    with pytest.raises(Exception, match="ERROR_NOT_FOUND"):
        download_file_from_staging(str(tmp_path / "missing.usd"), "token")


def test_errors_become_results(tmp_path: Path) -> None:
    (tmp_path / "file").write_bytes(b"x")
    (tmp_path / "folder").mkdir()
    assert wrapp_read_file_content(str(tmp_path / "missing")) == (Result.ERROR_NOT_FOUND, None, None)
    assert wrapp_read_file_content(str(tmp_path / "file" / "below")) == (Result.ERROR_NOT_FOUND, None, None)
    assert wrapp_read_file_content(str(tmp_path / "folder")).result is Result.ERROR
    assert wrapp_read_file_content("nosuch://bucket/key").result is Result.ERROR_BAD_REQUEST  # no such backend
    assert wrapp_write_file_content(None, str(tmp_path / "file" / "below"), b"x") is Result.ERROR
    assert wrapp_write_file_content(None, str(tmp_path / "folder"), b"x") is Result.ERROR
    assert (tmp_path / "folder").is_dir()
    # A path a user gives is trusted as it is, symbolic links included (as on the command line).
    os.symlink(tmp_path / "folder", tmp_path / "link")
    assert wrapp_write_file_content(None, str(tmp_path / "link" / "inside"), b"x") is Result.OK
    assert (tmp_path / "folder" / "inside").read_bytes() == b"x"
    with pytest.raises(TypeError):
        wrapp_write_file_content(None, str(tmp_path / "x"), 42)  # type: ignore[arg-type]


def test_error_codes_map_to_results() -> None:
    def error(code: str) -> Exception:
        e = _core.StorageOperationError("message")
        e.code = code  # type: ignore[attr-defined]
        return e

    assert result_for_error(error("not_found")) is Result.ERROR_NOT_FOUND
    assert result_for_error(error("already_exists")) is Result.ERROR_ALREADY_EXISTS
    assert result_for_error(error("link_on_path")) is Result.ERROR_ACCESS_DENIED
    assert result_for_error(error("locked")) is Result.ERROR_LOCKED
    assert result_for_error(error("bad_input")) is Result.ERROR_BAD_REQUEST
    assert result_for_error(error("io")) is Result.ERROR
    assert result_for_error(error("something_new")) is Result.ERROR
    assert result_for_error(_core.FailedCommand("no code")) is Result.ERROR


@pytest.mark.asyncio
async def test_awaited_calls(tmp_path: Path) -> None:
    target = str(tmp_path / "a" / "b.txt")
    assert await wrapp_write_file_content(None, target, b"awaited") == Result.OK
    result, version, content = await wrapp_read_file_content(target)
    assert (result, version, content) == (Result.OK, None, b"awaited")
    assert (await wrapp_read_file_content(target + "x")).result is Result.ERROR_NOT_FOUND
    # Several at once under gather.
    urls = [str(tmp_path / f"f{i}") for i in range(8)]
    results = await asyncio.gather(*(wrapp_write_file_content(None, u, str(i)) for i, u in enumerate(urls)))
    assert all(r is Result.OK for r in results)
    reads = await asyncio.gather(*(wrapp_read_file_content(u) for u in urls))
    assert [r.content for r in reads] == [str(i).encode() for i in range(8)]


@pytest.mark.asyncio
async def test_plain_call_inside_a_coroutine_is_done_when_it_returns(tmp_path: Path) -> None:
    """A write used as a statement (not awaited) has happened before the next line."""
    target = tmp_path / "statement.txt"
    wrapp_write_file_content(None, str(target), b"done")
    assert target.read_bytes() == b"done"
    result, _, content = wrapp_read_file_content(str(target))
    assert result is Result.OK and content == b"done"


@pytest.mark.asyncio
async def test_async_variants_run_in_a_worker_thread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    real_read, real_write = _core.read_file, _core.write_file

    def read_file(url: str) -> object:
        threads.append(threading.get_ident())
        return real_read(url)

    def write_file(url: str, data: bytes, dry_run: bool = False) -> None:
        threads.append(threading.get_ident())
        real_write(url, data, dry_run=dry_run)

    monkeypatch.setattr(_core, "read_file", read_file)
    monkeypatch.setattr(_core, "write_file", write_file)
    target = str(tmp_path / "async.txt")
    assert await wrapp_write_file_content_async(None, target, "async") is Result.OK
    assert await wrapp_read_file_content_async(target) == (Result.OK, None, b"async")
    assert (await wrapp_read_file_content_async(target + ".no")).result is Result.ERROR_NOT_FOUND
    assert len(threads) == 3 and threading.get_ident() not in threads
    # The plain spelling runs on the calling thread.
    threads.clear()
    wrapp_read_file_content(target)
    assert threads == [threading.get_ident()]


def test_a_dry_run_writes_nothing(tmp_path: Path) -> None:
    from wrapp.datastructures.command_context import CommandParameters

    target = tmp_path / "dry.txt"
    assert wrapp_write_file_content(CommandParameters(dry_run=True), str(target), b"x") is Result.OK
    assert not target.exists()
