"""Ignore rules: which files package operations leave out.

These classes are used to configure which files should be ignored during package
operations like create, catalog, install, freeze, new, and status. Functions that
support ignore rules accept an ``ignores`` parameter that is either a path or URL of an
ignore file (gitignore syntax) or an :class:`IgnoreEvaluator`. Without it they read the
``.wrappignore`` file in the root of the source folder being processed.

Every path a predicate sees is in the one normal form of :func:`wrapp.utils.urls.normalize_url`:
absolute (a bare path for local files, ``file://`` URLs included; ``scheme://host/path``
otherwise), and ending in ``/`` exactly when it names a folder.
"""

from __future__ import annotations

import asyncio
import os
from typing import Callable, List, Optional, Union

from wrapp import _core
from wrapp.utils.urls import has_scheme, join_url, normalize_url, relative_url, strip_folder_marker

# The same classes as wrapp.utils.utils.FailedCommand / StorageOperationError.
from wrapp._core import FailedCommand, StorageOperationError

__all__ = [
    "AUTO_THUMBNAIL_SUFFIX",
    "DEFAULT_IGNORE_FILE_NAME",
    "IgnoreEvaluator",
    "IgnoreFilePredicate",
    "IgnorePredicate",
]

IgnorePredicate = Callable[..., bool]
"""A callable that takes a path string and returns True if the path should be ignored.

This is a type alias for predicate functions used by :class:`IgnoreEvaluator`. The path
is normalised and absolute; a folder's path ends with ``/``.
"""

#: Files whose name ends with this (thumbnails) are always ignored.
AUTO_THUMBNAIL_SUFFIX = ".auto.png"
#: The ignore file read from the root of the data processed when no other is given.
DEFAULT_IGNORE_FILE_NAME = ".wrappignore"


class IgnoreFilePredicate:
    """A predicate that evaluates ignore rules loaded from a file using gitignore syntax.

    This class parses ignore rules in the same format as ``.gitignore`` files and
    provides a callable interface to check if a given path should be ignored. It is
    typically used as the predicate for an :class:`IgnoreEvaluator`. The rules are
    matched by the C++ core exactly as the command line matches ``.wrappignore``: git's
    semantics, a path inside an ignored folder is ignored, and ``*.auto.png`` files are
    always ignored. Paths outside ``normalized_base_url`` are never ignored.
    """

    def __init__(self, ignore_text: str, normalized_base_url: str) -> None:
        """Create an IgnoreFilePredicate from ignore rules text.

        :param ignore_text: The content of the ignore file (gitignore-format rules).
        :param normalized_base_url: The normalized base URL against which paths will be
            matched: the patterns are relative to it.
        """
        self._rules = _core.IgnoreRules(ignore_text)
        self.ignore_text: str = ignore_text
        self.normalized_base_url: str = strip_folder_marker(normalize_url(normalized_base_url))

    def is_ignored(self, normalized_abs_url: str) -> bool:
        """Check if a path should be ignored according to the loaded rules.

        :param normalized_abs_url: The normalized absolute URL to check; a folder's ends
            with ``/``.
        :returns: True if the path should be ignored, False otherwise.
        """
        relative = relative_url(normalized_abs_url, self.normalized_base_url)
        if not relative:  # outside the base, or the base itself
            return False
        is_dir = relative.endswith("/")
        return self._rules.is_ignored(relative.rstrip("/") if is_dir else relative, is_dir)

    def __call__(self, normalized_abs_url: str) -> bool:
        """Same as :meth:`is_ignored`."""
        return self.is_ignored(normalized_abs_url)

    def __repr__(self) -> str:
        return f"IgnoreFilePredicate(rules={self._rules.size}, normalized_base_url={self.normalized_base_url!r})"


def _as_list(predicate: Union[List[IgnorePredicate], IgnorePredicate]) -> List[IgnorePredicate]:
    predicates = list(predicate) if isinstance(predicate, (list, tuple)) else [predicate]
    for p in predicates:
        if not callable(p):
            raise TypeError(f"an ignore predicate must be callable, got {type(p).__name__}")
    return predicates


class IgnoreEvaluator:
    """Evaluates whether paths should be ignored based on configurable predicate functions.

    This class is used throughout WRAPP to filter files during operations like create,
    catalog, install, and freeze. It supports combining multiple predicates and can be
    created from ignore files using :meth:`create_from_file`. Example usage with a custom
    predicate::

        evaluator = IgnoreEvaluator(
            root_path="/my/project", predicate=lambda path: path.endswith(".tmp")
        )
        if evaluator.is_ignored("file.tmp"):
            print("File is ignored")

    Example usage with an ignore file::

        evaluator = await IgnoreEvaluator.create_from_file(
            "/path/to/.wrappignore", "omniverse://server/my/project"
        )

    Predicates receive normalised absolute paths (see :mod:`wrapp.utils.urls`); a
    folder's path ends with ``/``. When a command walks a folder, it asks about every
    file and every folder on the way, and skips what lies in an ignored folder.
    """

    def __init__(
        self,
        root_path: Optional[str],
        predicate: Union[List[IgnorePredicate], IgnorePredicate],
    ) -> None:
        """Create an IgnoreEvaluator with a root path and one or more predicates.

        :param root_path: The root path used to resolve relative paths when checking.
            Can be None if predicates work with absolute paths only (relative paths are
            then resolved against the current working directory).
        :param predicate: A single predicate function or a list of predicate functions.
            Each predicate takes a path string and returns True if ignored.
        """
        self.root_path: Optional[str] = None if root_path is None else normalize_url(root_path)
        self.predicates: List[IgnorePredicate] = _as_list(predicate)

    def add_evaluator(self, predicate: Union[List[IgnorePredicate], IgnorePredicate]) -> None:
        """Add one or more additional predicates to this evaluator.

        A path is considered ignored if any predicate returns True.

        :param predicate: A single predicate function or a list of predicate functions to add.
        """
        self.predicates.extend(_as_list(predicate))

    def _absolute(self, path: str) -> str:
        if self.root_path is not None and not has_scheme(path) and not path.startswith("/"):
            return join_url(self.root_path, path, folder=path.endswith("/") or not path)
        return normalize_url(path or "./")

    def _is_ignored_absolute(self, absolute: str) -> bool:
        if not absolute.endswith("/") and absolute.endswith(AUTO_THUMBNAIL_SUFFIX):
            return True
        return any(bool(predicate(absolute)) for predicate in self.predicates)

    def is_ignored(self, path: str) -> bool:
        """Check if a path should be ignored.

        Files ending with ``.auto.png`` (thumbnails) are always ignored regardless of
        predicates.

        :param path: The path to check. Can be relative (resolved against root_path) or
            absolute. A path ending with ``/`` names a folder.
        :returns: True if the path should be ignored, False otherwise.
        """
        return self._is_ignored_absolute(self._absolute(path))

    def _core_predicate(self, command_root: str) -> Callable[[str, bool], bool]:
        """The predicate the C++ core calls while a command walks ``command_root``.

        The core passes each path relative to the command's root folder (``/``-separated,
        no leading ``/``) and whether it is a folder; the result is :meth:`is_ignored` of
        the absolute path (the root joined with it, a trailing ``/`` for folders).
        """
        root = strip_folder_marker(normalize_url(command_root))
        prefix = root if root.endswith("/") else root + "/"

        def predicate(relative_path: str, is_dir: bool) -> bool:
            relative = relative_path.strip("/")
            if not relative:
                return False  # the root itself is never ignored
            absolute = prefix + relative
            if "/." in "/" + relative:  # "." or ".." segments: take the careful path
                absolute = normalize_url(absolute)
            if is_dir and not absolute.endswith("/"):
                absolute += "/"
            return self._is_ignored_absolute(absolute)

        return predicate

    @staticmethod
    async def create_from_file(ignore_file: Optional[str], base_url: str) -> Optional["IgnoreEvaluator"]:
        """Create an IgnoreEvaluator from an ignore file.

        The ignore file uses the same format as ``.gitignore`` files.

        :param ignore_file: Path or URL to the ignore file. If None, looks for
            ``.wrappignore`` in base_url. If that file doesn't exist, returns None.
        :param base_url: The base URL for resolving patterns in the ignore file. Patterns
            are always resolved relative to this base_url, regardless of where the ignore
            file is located.
        :returns: An IgnoreEvaluator configured with the rules from the file, or None if no
            ignore file was found (only when ignore_file is None).
        :raises FailedCommand: If the ignore file cannot be read.

        Path resolution behavior: when ``ignore_file`` is provided, it is used as-is without
        joining with ``base_url``. This means local paths without a URL scheme (e.g.,
        ``"myignore.txt"``) are resolved relative to the current working directory, NOT
        relative to ``base_url``. Only when ``ignore_file`` is None does this method look
        for ``.wrappignore`` in ``base_url``.
        """
        base = strip_folder_marker(normalize_url(base_url))
        if ignore_file is None:
            location = join_url(base, DEFAULT_IGNORE_FILE_NAME)
        elif has_scheme(ignore_file):
            location = ignore_file
        else:
            location = os.path.abspath(ignore_file)
        try:
            data = await asyncio.to_thread(_core.read_file, location)
        except FailedCommand:
            raise
        except StorageOperationError as e:
            raise _failed(f"cannot read ignore file '{location}': {e}", getattr(e, "code", "io")) from e
        if data is None:
            if ignore_file is None:
                return None
            raise _failed(f"ignore file '{location}' not found", "not_found")
        text = data.decode("utf-8", errors="replace")
        return IgnoreEvaluator(base, IgnoreFilePredicate(text, base))

    def __repr__(self) -> str:
        return f"IgnoreEvaluator(root_path={self.root_path!r}, predicates={self.predicates!r})"


def _failed(message: str, code: str) -> FailedCommand:
    error = FailedCommand(message)
    error.code = code
    error.payload = []
    error.exit_code = 1
    return error

