"""How every command function runs a C++ command: the one bridge between asyncio and the core.

The core command runs on a thread of wrapp's own executor with the GIL released, so the event loop
stays free and several commands run at once (``asyncio.gather``) on one SchedulerContext. When the
awaiting task is cancelled, the command's token is cancelled and the task waits until the C++ work
has stopped (promptly: the core checks the token between files and pieces of files) before it sees
``CancelledError``, so nothing is still writing once cancellation returns.
"""

import asyncio
import concurrent.futures
import functools
import logging
import os
import threading
from typing import Any, Dict, Optional

from wrapp import _core
from wrapp.datastructures.command_context import CommandParameters

logger = logging.getLogger("omni.wrapp")

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

_executor_lock = threading.Lock()
_executor: Optional[concurrent.futures.ThreadPoolExecutor] = None


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="wrapp")
        return _executor


def _shutdown_executor() -> None:
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown(wait=True)


def _log_record(level: str, message: str) -> None:
    logger.log(_LEVELS.get(level, logging.INFO), message)


def to_url(location: str) -> str:
    """A path or URL as the URL the core writes (``file:///abs/path`` for local paths)."""
    if "://" in location:
        return location
    from urllib.parse import quote
    return "file://" + quote(os.path.abspath(location), safe="/!$&'()*+,;=:@-_.~")


async def run_command(command: str, options: Dict[str, Any], *, context: Optional[CommandParameters] = None,
                      scheduler: Optional["SchedulerContext"] = None) -> Any:  # noqa: F821
    """Run the core command ``command`` (its command-line name) with ``options`` (the C++ Options fields).

    Without a scheduler, one is started for this command and stopped after it. Returns the command's
    result as JSON objects; raises FailedCommand / StorageOperationError from the core, and
    CancelledError when the awaiting task was cancelled.
    """
    from wrapp.scheduling import SchedulerContext

    context = context if context is not None else CommandParameters()
    own: Optional[SchedulerContext] = None
    if scheduler is None:
        own = scheduler = SchedulerContext()
        own.start_scheduler()
    try:
        runtime = scheduler._require_runtime()
        token = runtime.new_token()
        call = functools.partial(
            _core.run, runtime, command, options, token, scheduler._group, "", context.dry_run,
            context.debug or logger.isEnabledFor(logging.DEBUG), context.verbose, context.log_file,
            context.hash_cache_file, _log_record)
        future = asyncio.get_running_loop().run_in_executor(_get_executor(), call)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            token.cancel()
            # Wait until the core has stopped; a second cancellation does not cut this short.
            while not future.done():
                try:
                    await asyncio.wait([future])
                except asyncio.CancelledError:
                    continue
            if not future.cancelled() and future.exception() is not None and \
                    not isinstance(future.exception(), _core.Cancelled):
                logger.debug("%s ended with %s after it was cancelled", command, future.exception())
            raise
        except _core.Cancelled as e:
            raise asyncio.CancelledError(str(e)) from e
    finally:
        if own is not None:
            await own.stop_scheduler()


async def run_blocking(function, *args, **kwargs) -> Any:
    """A blocking core call (file reads and writes) on wrapp's executor."""
    return await asyncio.get_running_loop().run_in_executor(
        _get_executor(), functools.partial(function, *args, **kwargs))
