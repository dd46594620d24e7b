"""Registration of credentials: :class:`AuthManager` and the process-wide credential look-up.

An :class:`AuthManager` holds a list of :class:`~wrapp.StorageAuthInfo`. Once initialized
(``initialize()``, ``with`` or ``async with``) its credentials join a process-wide
registry, in memory only, until ``shutdown()``. The storage backends ask that registry
with :func:`credentials_for`: the credentials whose ``server_url`` is the longest prefix
of the URL being accessed (scheme and host compared case-insensitively, a trailing
``/`` ignored, prefixes matched only at path boundaries). Nothing is persisted, and no
secret is ever logged.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Iterable, List, Optional, Union

from typing_extensions import Self

from wrapp.datastructures.authentication import AuthInfo, StorageAuthInfo
from wrapp.utils.urls import normalize_url, strip_folder_marker

__all__ = ["AuthManager", "credentials_for"]

_logger = logging.getLogger("omni.wrapp")

# Guards _active and every manager's list of credentials.
_lock = threading.RLock()
# Initialized managers, in the order they were initialized.
_active: List["AuthManager"] = []
# The manager behind wrapp.add_auth (AuthManager._register_global), created on first use.
_global_manager: Optional["AuthManager"] = None


def _as_storage_auth_info(auth_info: Union[StorageAuthInfo, AuthInfo]) -> StorageAuthInfo:
    if isinstance(auth_info, StorageAuthInfo):
        return auth_info
    if isinstance(auth_info, AuthInfo):
        return auth_info.to_storage_auth_info()
    raise TypeError(f"expected a StorageAuthInfo or AuthInfo, got {type(auth_info).__name__}")


def _match_key(url: str) -> str:
    """The form compared by credentials_for: normalised, without the folder marker."""
    return strip_folder_marker(normalize_url(url))


def _prefix_length(server_key: str, url_key: str) -> int:
    """Length of server_key when it names url_key or a location below it, else -1."""
    if url_key == server_key:
        return len(server_key)
    prefix = server_key if server_key.endswith("/") else server_key + "/"
    return len(server_key) if url_key.startswith(prefix) else -1


def _core_fields(info: StorageAuthInfo) -> dict:
    """The auth data's fields as the C++ backends read them (storage/credentials.h), secrets revealed."""
    fields = {}
    for name, value in info.auth_data:
        if name == "kind" or value is None:
            continue
        fields[name] = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return fields


def _sync_core() -> None:
    """Hands the credentials of every initialized manager to the C++ backends (whole, in order).

    Called with _lock held after each change, so the core always sees what credentials_for sees.
    """
    from wrapp import _core

    entries = [(info.server_url, info.auth_data.kind, _core_fields(info))
               for manager in _active for _, info in manager._entries]
    _core.set_credentials(entries)


def credentials_for(url: str) -> Optional[StorageAuthInfo]:
    """The credentials registered by initialized AuthManagers that apply to ``url``.

    :param url: The URL (or local path) about to be accessed.
    :returns: The StorageAuthInfo whose ``server_url`` is the longest prefix of ``url``
        (when two are equally long, the one registered last), or None.
    """
    try:
        url_key = _match_key(url)
    except ValueError:
        return None
    best: Optional[StorageAuthInfo] = None
    best_length = -1
    with _lock:
        for manager in _active:
            for key, info in manager._entries:
                length = _prefix_length(key, url_key)
                if length >= best_length and length >= 0:
                    best, best_length = info, length
    return best


class AuthManager:
    """Use this class to register credential information to be used by subsequent API calls.

    This class can be used to programmatically set credentials used by a storage provider.
    Example code for setting up credentials for Nucleus and using them::

        def download_file_from_staging(url, api_token):
            with AuthManager([StorageAuthInfo.nucleus(server_url="omniverse://staging.nvidia.com",
                                                      username="$omni-api-token",
                                                      password_or_token=api_token)],
                             interactive_fallback=False) as auth:
                result, version, content = wrapp_read_file_content(url)
                if result == Result.OK:
                    return content
                else:
                    raise Exception(f"Download error: {result} for {url}")

    Note the use of the special username to designate an API token created for that
    server. The credentials are used only between :meth:`initialize` and
    :meth:`shutdown` (or inside a ``with`` / ``async with`` block). Deprecated
    :class:`~wrapp.AuthInfo` objects are accepted wherever a StorageAuthInfo is.
    """

    def __init__(
        self,
        auth_infos: Optional[List[StorageAuthInfo]] = None,
        interactive_fallback: bool = True,
    ) -> None:
        """Create an AuthManager.

        :param auth_infos: Credentials to register; more can be added with :meth:`add_auth`.
        :param interactive_fallback: Whether a server without matching credentials may
            fall back to an interactive login (a browser window). Do not allow it in
            non-interactive shells.
        """
        self.interactive_fallback: bool = interactive_fallback
        self._entries: List[tuple[str, StorageAuthInfo]] = []
        self._initialized = False
        for auth_info in auth_infos or []:
            self.add_auth(auth_info)

    @property
    def auth_infos(self) -> List[StorageAuthInfo]:
        """A copy of the credentials stored in this manager, in the order they were added."""
        with _lock:
            return [info for _, info in self._entries]

    @property
    def initialized(self) -> bool:
        """True between :meth:`initialize` and :meth:`shutdown`."""
        return self._initialized

    def add_auth(self, auth_info: Union[StorageAuthInfo, AuthInfo]) -> None:
        """Add one credential pair to be used for the given server.

        These are not persisted but only kept in RAM.

        :param auth_info: new auth info to be stored
        """
        info = _as_storage_auth_info(auth_info)
        key = _match_key(info.server_url)
        with _lock:
            self._entries.append((key, info))
            if self._initialized:
                _sync_core()
        _logger.debug("credentials added for %s", info.server_url)

    def add_auths(self, auth_infos: Iterable[Union[StorageAuthInfo, AuthInfo]]) -> None:
        """Add several credentials at once (see :meth:`add_auth`)."""
        for auth_info in auth_infos:
            self.add_auth(auth_info)

    def clear(self) -> None:
        """Clear all previously stored credential information.

        This does not log out of a server or disable the registered callback.
        """
        with _lock:
            self._entries.clear()
            if self._initialized:
                _sync_core()

    def initialize(self) -> Self:
        """Initializes the AuthManager after creation and installs authentication hook.

        Only after this the authentication info provided will be used. Make sure to call
        :meth:`shutdown` in a 'finally' block somewhere to uninstall the authentication
        hook again. Calling it again while initialized changes nothing.

        :returns: self
        """
        with _lock:
            if not self._initialized:
                _active.append(self)
                _sync_core()
                self._initialized = True
        return self

    def shutdown(
        self,
        exc_type: Optional[type[BaseException]] = None,
        exc_val: Optional[BaseException] = None,
        exc_tb: Optional[TracebackType] = None,
    ) -> None:
        """De-registers the authentication callback hook installed by a previous call to initialize().

        If called when handling exceptions, the function can be called using
        ``auth_manager.shutdown(*sys.exc_info())``. Otherwise the exception parameters can
        be left to their default values. The stored credentials are kept (a later
        :meth:`initialize` uses them again); use :meth:`clear` to drop them.

        If no AuthManager is used, default client library behavior is enabled which is
        first checking for environment variables, and then falling back to an interactive
        login flow compatible with the server it's trying to connect to.
        """
        with _lock:
            if self._initialized:
                _active.remove(self)
                _sync_core()
                self._initialized = False

    @classmethod
    def _register_global(cls, auth_info: Union[StorageAuthInfo, AuthInfo]) -> None:
        """Add a credential to the process-wide manager behind ``wrapp.add_auth``.

        That manager is initialized on first use and stays so until
        :meth:`_clear_global`; managers initialized later win ties over it.
        """
        global _global_manager
        with _lock:
            if _global_manager is None:
                _global_manager = cls(interactive_fallback=False)
            _global_manager.add_auth(auth_info)
            _global_manager.initialize()

    @classmethod
    def _clear_global(cls) -> None:
        """Drop the credentials of ``wrapp.add_auth`` (for ``wrapp.shutdown``)."""
        global _global_manager
        with _lock:
            if _global_manager is not None:
                _global_manager.shutdown()
                _global_manager.clear()
                _global_manager = None

    def __enter__(self) -> Self:
        return self.initialize()

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        self.shutdown(exc_type, exc_val, exc_tb)

    async def __aenter__(self) -> Self:
        return self.initialize()

    async def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_val: Optional[BaseException],
        exc_tb: Optional[TracebackType],
    ) -> None:
        self.shutdown(exc_type, exc_val, exc_tb)

    def __repr__(self) -> str:
        servers = ", ".join(repr(info.server_url) for info in self.auth_infos)
        return (
            f"AuthManager(servers=[{servers}], interactive_fallback={self.interactive_fallback}, "
            f"initialized={self._initialized})"
        )
