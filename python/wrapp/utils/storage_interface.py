"""Reading and writing single files on any storage wrapp supports, with status codes.

:func:`wrapp_read_file_content` and :func:`wrapp_write_file_content` report failures as a
:class:`Result` (named like ``omni.client.Result``) instead of raising, for scripts that
fetch or drop a file next to their packaging work::

    result, version, content = wrapp_read_file_content(url)
    if result != Result.OK:
        raise Exception(f"Download error: {result} for {url}")

**Plain calls and awaits.** Both functions do their work when they are called, whether
or not the caller awaits them, and return a value that is also awaitable: awaiting it
gives the same value back. So both spellings real scripts use work::

    result, version, content = wrapp_read_file_content(url)          # plain
    result, version, content = await wrapp_read_file_content(url)    # in a coroutine
    assert await wrapp_write_file_content(url, b"data") == Result.OK

A call is complete when it returns, so a write used as a plain statement inside a
coroutine has happened before the next line runs. The call blocks the calling thread
(and so the event loop, when called from a coroutine) while the file is read or
written; to keep the loop free, use :func:`wrapp_read_file_content_async` and
:func:`wrapp_write_file_content_async`, which run the same work in a worker thread.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any, Generator, NamedTuple, Optional, Union

from wrapp import _core

# The same classes as wrapp.utils.utils.FailedCommand / StorageOperationError.
from wrapp._core import FailedCommand, StorageOperationError

__all__ = [
    "ReadFileResult",
    "Result",
    "result_for_error",
    "wrapp_read_file_content",
    "wrapp_read_file_content_async",
    "wrapp_write_file_content",
    "wrapp_write_file_content_async",
]


class Result(Enum):
    """Outcome of a storage operation, with the names of ``omni.client.Result``.

    A Result is awaitable (``await result`` gives it back), so that the value of
    :func:`wrapp_write_file_content` can be awaited.
    """

    OK = 0
    OK_LATEST = 1
    OK_NOT_YET_FOUND = 2
    ERROR = 3
    ERROR_CONNECTION = 4
    ERROR_NOT_SUPPORTED = 5
    ERROR_ACCESS_DENIED = 6
    ERROR_NOT_FOUND = 7
    ERROR_BAD_VERSION = 8
    ERROR_ALREADY_EXISTS = 9
    ERROR_SOURCE_IS_DEST = 10
    ERROR_ACCESS_LOST = 11
    ERROR_LOCKED = 12
    ERROR_BAD_REQUEST = 13
    ERROR_FOLDER_NOT_EMPTY = 14
    ERROR_WRONG_TYPE = 15
    ERROR_UNSUPPORTED_VERSION = 16

    def __await__(self) -> Generator[Any, None, "Result"]:
        return self
        yield  # pragma: no cover - makes this a generator


class ReadFileResult(NamedTuple):
    """``(result, version, content)`` of :func:`wrapp_read_file_content`; awaitable.

    ``version`` is the storage's version of the file, None where the storage keeps no
    versions (every storage of this build). ``content`` is None unless ``result`` is OK.
    """

    result: Result
    version: Optional[str]
    content: Optional[bytes]

    def __await__(self) -> Generator[Any, None, "ReadFileResult"]:
        return self
        yield  # pragma: no cover - makes this a generator


# The core's error codes (exc.code) and the Result each stands for.
_RESULT_FOR_CODE = {
    "not_found": Result.ERROR_NOT_FOUND,
    "already_exists": Result.ERROR_ALREADY_EXISTS,
    "link_on_path": Result.ERROR_ACCESS_DENIED,
    "locked": Result.ERROR_LOCKED,
    "lock_lost": Result.ERROR_ACCESS_LOST,
    "precondition_failed": Result.ERROR_BAD_VERSION,
    "newer_format": Result.ERROR_UNSUPPORTED_VERSION,
    "bad_input": Result.ERROR_BAD_REQUEST,
    "io": Result.ERROR,
}


def result_for_error(error: BaseException) -> Result:
    """The Result that stands for a FailedCommand or StorageOperationError of the core.

    :param error: An exception carrying the core's error code as ``code``.
    :returns: The matching Result; ``Result.ERROR`` for codes without a closer one.
    """
    return _RESULT_FOR_CODE.get(getattr(error, "code", ""), Result.ERROR)


def _as_bytes(content: Union[bytes, bytearray, memoryview, str]) -> bytes:
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    raise TypeError(f"content must be bytes or str, got {type(content).__name__}")


def _read(url: str) -> ReadFileResult:
    try:
        data = _core.read_file(url)
    except (FailedCommand, StorageOperationError) as e:
        return ReadFileResult(result_for_error(e), None, None)
    if data is None:
        return ReadFileResult(Result.ERROR_NOT_FOUND, None, None)
    return ReadFileResult(Result.OK, None, data)


def _write(url: str, data: bytes, dry_run: bool = False) -> Result:
    try:
        _core.write_file(url, data, dry_run=dry_run)
    except (FailedCommand, StorageOperationError) as e:
        return result_for_error(e)
    return Result.OK


def wrapp_read_file_content(url: str) -> ReadFileResult:
    """Read a whole file.

    Works as a plain call and when awaited (see the module documentation).

    :param url: Local path or URL of the file.
    :returns: ``(result, version, content)``: ``(Result.OK, version, bytes)`` on
        success; ``(Result.ERROR_NOT_FOUND, None, None)`` when there is no file;
        another error Result with ``None, None`` when it cannot be read (a folder, a
        storage failure, an unsupported URL).
    """
    return _read(url)


def wrapp_write_file_content(context: Optional["CommandParameters"], url: str,  # noqa: F821
                             text: Union[bytes, str]) -> Result:
    """Write a whole file, replacing one that exists (atomically: readers see the old or
    the new content, never a part). Missing parent folders are created.

    Works as a plain call and when awaited (see the module documentation).

    :param context: The generic parameters (None: defaults); with ``dry_run`` nothing is written.
    :param url: Local path or URL of the file.
    :param text: The bytes to write; a str is written as UTF-8.
    :returns: ``Result.OK``, or the error Result (e.g. ``Result.ERROR_ACCESS_DENIED``
        when a symbolic link lies on the way, ``Result.ERROR`` when the OS fails).
    """
    return _write(url, _as_bytes(text), bool(context is not None and context.dry_run))


async def wrapp_read_file_content_async(url: str) -> ReadFileResult:
    """:func:`wrapp_read_file_content` in a worker thread, leaving the event loop free."""
    return await asyncio.to_thread(_read, url)


async def wrapp_write_file_content_async(context: Optional["CommandParameters"], url: str,  # noqa: F821
                                         text: Union[bytes, str]) -> Result:
    """:func:`wrapp_write_file_content` in a worker thread, leaving the event loop free."""
    data = _as_bytes(text)
    return await asyncio.to_thread(_write, url, data, bool(context is not None and context.dry_run))
