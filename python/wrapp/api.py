"""Set-up and tear-down of the wrapp API: initialize, shutdown, ContextManager, add_auth.

wrapp's C++ core needs little global set-up: storage backends are created per command from the URL's
scheme, and each SchedulerContext starts its own runtime. ``initialize`` records the default
throttling and the logging level; ``shutdown`` waits for wrapp's worker threads. Both are safe to
call more than once.
"""

import logging
import threading
from typing import List, Optional, Union

from wrapp import _runner, scheduling
from wrapp.scheduling import SchedulerContext, SchedulingParameters, ThrottlingParameters

logger = logging.getLogger("omni.wrapp")

_state_lock = threading.Lock()
_initialized = False
_shut_down_for_good = False


def initialize(debug_level: bool = False, throttling_params: Optional[ThrottlingParameters] = None) -> None:
    """Initialize the wrapp API. This is safe to be called multiple times.

    :param debug_level: Enable debug level logging (the ``omni.wrapp`` logger).
    :param throttling_params: Optional parameters for throttling control. If not provided, uses default
        ThrottlingParameters.
    :raises RuntimeError: If the wrapp API is unable to initialize (after a final shutdown).
    """
    global _initialized
    with _state_lock:
        if _shut_down_for_good:
            raise RuntimeError("wrapp was shut down with shutdown_client_lib=True: it cannot be initialized again "
                               "in this process")
        if debug_level:
            logger.setLevel(logging.DEBUG)
        scheduling._default_throttling = throttling_params
        _initialized = True


def shutdown(exc_type=None, exc_val=None, exc_tb=None, shutdown_client_lib: bool = True,
             stop_timeout: Optional[float] = None) -> None:
    """Shuts down the WRAPP API and should be invoked before process exit.

    Afterwards, no further WRAPP commands may be issued unless you call initialize() again and
    shutdown_client_lib was False.

    :param stop_timeout: Timeout in seconds to wait for wrapp's worker threads to stop. None (default)
        waits indefinitely; if they do not stop in time, raises RuntimeError.
    """
    global _initialized, _shut_down_for_good
    with _state_lock:
        _initialized = False
        scheduling._default_throttling = None
        if shutdown_client_lib:
            _shut_down_for_good = True
    stopper = threading.Thread(target=_runner._shutdown_executor, name="wrapp-shutdown", daemon=True)
    stopper.start()
    stopper.join(stop_timeout)
    if stopper.is_alive():
        raise RuntimeError(f"wrapp's worker threads did not stop within {stop_timeout} seconds")


def _reset_for_tests() -> None:
    global _shut_down_for_good
    with _state_lock:
        _shut_down_for_good = False


def add_auth(auth_info) -> None:
    """Add one credential (StorageAuthInfo or AuthInfo) to the process-wide credential set (memory only)."""
    from wrapp.auth import AuthManager
    AuthManager._register_global(auth_info)


class ContextManager:
    """Helper class to make it easy to initialize WRAPP: initialization, authentication, scheduling and
    shutdown in one ``async with`` block, which yields the SchedulerContext to pass as ``scheduler=``.

    >>> async with wrapp.ContextManager([auth_info]) as ctx:
    ...     await wrapp.list_repo("/data/repo", scheduler=ctx)

    :param auth_infos: Optional list of StorageAuthInfo (or AuthInfo) instances giving credentials for the
        servers to be involved.
    :param interactive_login_allowed: If False [default], no interactive login is attempted.
    :param standalone_mode: If True [default], call wrapp.shutdown() on exit.
    :param scheduler_context: Assigned to the command_context field, which can be used in calls to the API for
        command throttling. Alternatively, a SchedulingParameters object, used to construct a SchedulerContext.
    :param throttling_params: The maximum number of concurrent tasks for several categories.
    """

    def __init__(self, auth_infos: Optional[list] = None, interactive_login_allowed=False, standalone_mode=True,
                 scheduler_context: Union[SchedulerContext, SchedulingParameters, None] = None,
                 throttling_params: Optional[ThrottlingParameters] = None) -> None:
        from wrapp.auth import AuthManager
        self.interactive_login_allowed = interactive_login_allowed
        self.standalone_mode = standalone_mode
        self.throttling_params = throttling_params
        self._owns_scheduler = not isinstance(scheduler_context, SchedulerContext)
        if isinstance(scheduler_context, SchedulerContext):
            self.command_context = scheduler_context
        else:
            self.command_context = SchedulerContext(scheduler_context)
        if throttling_params is not None and self._owns_scheduler:
            self.command_context._throttling = throttling_params
        self._auth = AuthManager(list(auth_infos or []), interactive_fallback=interactive_login_allowed)

    def add_auth(self, auth_info) -> None:
        """Add another StorageAuthInfo credential to the AuthManager used."""
        self._auth.add_auth(auth_info)

    async def __aenter__(self) -> SchedulerContext:
        initialize(throttling_params=self.throttling_params)
        self._auth.initialize()
        if self._owns_scheduler:
            self.command_context.start_scheduler()
        return self.command_context

    async def __aexit__(self, exc_type, exc_val, exc_tb) -> None:
        try:
            if self._owns_scheduler:
                await self.command_context.stop_scheduler(exc_type=exc_type, exc_val=exc_val, exc_tb=exc_tb)
        finally:
            self._auth.shutdown(exc_type, exc_val, exc_tb)
            if self.standalone_mode:
                # Not for good: a script may open another ContextManager (a test suite does).
                shutdown(exc_type, exc_val, exc_tb, shutdown_client_lib=False)


__all__ = ["initialize", "shutdown", "add_auth", "ContextManager"]
