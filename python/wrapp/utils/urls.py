"""One normal form for the paths and URLs the Python layer compares.

Ignore predicates, ignore files and credential look-ups all compare locations
given in different spellings: ``/data/proj``, ``data/proj`` (relative to the
current working directory), ``file:///data/proj``, ``file://localhost/data/proj/``,
``S3://Bucket/key``. :func:`normalize_url` turns each into one absolute form, with
the rules of the C++ core's URL parser (``src/storage/url.h``):

* a text without ``://`` is a local path: resolved against the current working
  directory and returned as a bare absolute path (``/data/proj``);
* a ``file://`` URL (host empty or ``localhost``) is percent-decoded and returned as
  that same bare absolute path;
* any other URL keeps its percent-encoding; its scheme and host are lower-cased (both
  are case-insensitive) and a missing path becomes ``/`` (``s3://bucket/``);
* in every path, empty and ``.`` segments are dropped and ``..`` segments resolved
  (never above the root); a query string or fragment is dropped;
* a trailing ``/`` is kept, as exactly one ``/``, and only as the marker of a folder.

The function is idempotent: a normalised location normalises to itself.
"""

from __future__ import annotations

import os
from typing import Optional
from urllib.parse import unquote

__all__ = [
    "has_scheme",
    "is_folder",
    "join_url",
    "normalize_url",
    "relative_url",
    "strip_folder_marker",
]


def has_scheme(url: str) -> bool:
    """True when ``url`` is a URL (``scheme://...``), False for a local path."""
    return "://" in url


def is_folder(url: str) -> bool:
    """True when a normalised location carries the folder marker (a trailing ``/``)."""
    return url.endswith("/")


def strip_folder_marker(url: str) -> str:
    """The location without its folder marker; a root (``/``, ``s3://b/``) is unchanged."""
    if url.endswith("/") and not _is_root(url):
        return url[:-1]
    return url


def _is_root(url: str) -> bool:
    if url == "/":
        return True
    scheme_end = url.find("://")
    return scheme_end >= 0 and url.find("/", scheme_end + 3) == len(url) - 1


def _normalize_path(path: str, original: str) -> str:
    """Lexical normalisation of an absolute path, the trailing '/' kept as the folder marker."""
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not parts:
                raise ValueError(f"path '{original}' goes above the root")
            parts.pop()
        else:
            parts.append(segment)
    if not parts:
        return "/"
    folder = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
    return "/" + "/".join(parts) + ("/" if folder else "")


def normalize_url(url: str) -> str:
    """Return the one absolute form of a local path or URL (see the module documentation).

    :param url: A local path (absolute, or relative to the current working directory),
        a ``file://`` URL or another storage URL. A trailing ``/`` marks a folder.
    :returns: A bare absolute path for local locations, ``scheme://host/path`` for
        others; ending in ``/`` exactly when the input marked a folder (or is a root).
    :raises ValueError: For an empty text, a NUL byte, a ``file://`` URL naming another
        host, a URL without a host, or a path going above its root.
    """
    if not isinstance(url, str):
        raise TypeError(f"expected a path or URL as str, got {type(url).__name__}")
    if url.startswith("/") and "//" not in url and "/." not in url and "\0" not in url and "://" not in url:
        return url  # already normal: an absolute path without empty, "." or ".." segments
    if not url:
        raise ValueError("empty path or URL")
    if "\0" in url:
        raise ValueError("path or URL contains a NUL byte")
    scheme_end = url.find("://")
    if scheme_end < 0:
        path = url if url.startswith("/") else os.getcwd() + "/" + url
        return _normalize_path(path, url)
    scheme = url[:scheme_end].lower()
    if not scheme:
        raise ValueError(f"malformed URL '{url}': empty scheme")
    rest = url[scheme_end + 3 :]
    slash = rest.find("/")
    authority, raw_path = (rest, "/") if slash < 0 else (rest[:slash], rest[slash:])
    cut = min((i for i in (raw_path.find("?"), raw_path.find("#")) if i >= 0), default=-1)
    if cut >= 0:
        raw_path = raw_path[:cut] or "/"
    if "?" in authority or "#" in authority:
        authority = authority[: min(i for i in (authority.find("?"), authority.find("#")) if i >= 0)]
    if scheme == "file":
        if authority not in ("", "localhost"):
            raise ValueError(f"unsupported file URL '{url}': only local files (file:///path) are supported")
        decoded = unquote(raw_path, errors="surrogateescape")
        if "\0" in decoded:
            raise ValueError(f"malformed URL '{url}': contains a NUL byte")
        return _normalize_path(decoded, url)
    if not authority:
        raise ValueError(f"malformed URL '{url}': no host or bucket")
    return f"{scheme}://{authority.lower()}{_normalize_path(raw_path, url)}"


def join_url(base: str, relative: str, *, folder: bool = False) -> str:
    """Normalised ``base`` joined with a relative path (``/``-separated).

    :param base: The location to extend (normalised here).
    :param relative: A relative path; an empty one names ``base`` itself.
    :param folder: Mark the result as a folder (trailing ``/``).
    """
    root = strip_folder_marker(normalize_url(base))
    joined = root if not relative else (root.rstrip("/") + "/" + relative)
    result = normalize_url(joined)
    if folder and not result.endswith("/"):
        result += "/"
    return result


def relative_url(url: str, base: str) -> Optional[str]:
    """The path of ``url`` relative to the folder ``base``, both normalised here.

    :returns: ``""`` when ``url`` is ``base`` itself, a relative ``/``-separated path
        (keeping ``url``'s folder marker) when it lies below ``base``, None otherwise.
    """
    target = normalize_url(url)
    root = strip_folder_marker(normalize_url(base))
    if strip_folder_marker(target) == root:
        return ""
    prefix = root if root.endswith("/") else root + "/"
    if target.startswith(prefix):
        return target[len(prefix) :]
    return None
