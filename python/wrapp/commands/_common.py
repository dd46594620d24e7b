"""What the command functions share: translating the reference's parameters into core options."""

import logging
import os
from typing import Any, Dict, Optional, Union

from wrapp._runner import run_command, to_url  # noqa: F401  (re-exported for the command modules)


def ignore_options(ignores: Any, root: Optional[str], ignore_file: Optional[str] = None) -> Dict[str, Any]:
    """The core options for an ``ignores`` parameter: a path or URL of an ignore file, or an IgnoreEvaluator.

    An evaluator is asked about each path below ``root`` (the folder the command walks), as an absolute
    URL (folders end in '/'); without either, the core reads ``<root>/.wrappignore``.
    """
    if ignores is None:
        ignores = ignore_file
    if ignores is None:
        return {}
    if isinstance(ignores, (str, os.PathLike)):
        return {"ignore_file": os.fspath(ignores)}
    if hasattr(ignores, "_core_predicate"):
        return {"ignore_predicate": ignores._core_predicate(to_url(root or "."))}
    raise TypeError(f"ignores must be a path, a URL or an IgnoreEvaluator, not {type(ignores).__name__}")


def location(value: Union[str, "os.PathLike[str]", None]) -> Optional[str]:
    """A path-like or str parameter as the core takes it."""
    return None if value is None else os.fspath(value)


def parent_folder(url: str) -> str:
    """The folder holding a file given as a path or URL."""
    return url.rsplit("/", 1)[0] if "/" in url.rstrip("/") else "."


def warn_no_tags(command: str, tags: bool) -> None:
    """The warning of ``tags=True``: no storage backend of this build has tags (the reference's Nucleus tags)."""
    if tags:
        logging.getLogger("omni.wrapp").warning(
            "%s: tags=True captures nothing: no storage of this build has tags", command)
