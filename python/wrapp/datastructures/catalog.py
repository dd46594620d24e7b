"""Catalogs: the bill of materials of a package version or a folder.

A catalog lists files by their path relative to a root URL, each with the URL
of its bytes, its content hash and its size. Catalogs are held inside every
``.wrapp`` package file (``PackageInfo.catalog``) and written on their own by
``wrapp catalog`` (docs/formats.md, "Catalog files").

The models here are plain data: nothing in them touches storage except
:meth:`Catalog.load`, which reads a catalog file through the compiled core.
"""

from __future__ import annotations

import asyncio
import json
from enum import Enum
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = [
    "CATALOG_FORMAT_VERSION",
    "Catalog",
    "CatalogItem",
    "ItemType",
    "StorageMap",
    "Tag",
    "check_format_version",
    "url_below",
]

#: The version written into every package, catalog and patch file
#: (``wrapp_format_version``, ``wrapp_catalog_version``, ``wrapp_patch_version``);
#: readers accept this and older versions and refuse newer ones.
CURRENT_FORMAT_VERSION = 1
CATALOG_FORMAT_VERSION = CURRENT_FORMAT_VERSION

# Bytes a URL path may hold unencoded (docs/formats.md, canonical URLs).
_URL_SAFE = "/-_.~!$&'()*+,;=:@"


def url_below(root: str, relative_path: str) -> str:
    """Return where a path of a catalog rooted at ``root`` lies.

    This is ``root`` + ``/`` + the percent-encoded relative path, the
    ``source_path`` that wrapp writes for a file below the root.

    :param root: Root URL of the catalog
    :param relative_path: Path of the item relative to the root, ``/`` separated
    :return: The absolute URL of the item
    """
    return root.rstrip("/") + "/" + quote(relative_path, safe=_URL_SAFE)


def _is_absolute(location: str) -> bool:
    """Tell whether a storage map location is an absolute URL or path."""
    return "://" in location or location.startswith("/")


def _sort_key(item: "CatalogItem") -> bytes:
    """Bytewise order of relative paths, the order wrapp writes items in."""
    return item.relative_path.encode("utf-8", "surrogateescape")


def check_format_version(document: Dict[str, Any], key: str, origin: str, what: str = "format version") -> None:
    """Refuse a document whose format version is not an integer or is newer than this wrapp writes.

    A missing version counts as older, as in every wrapp reader.

    :param document: The parsed JSON object
    :param key: The version key (``wrapp_format_version``, ``wrapp_catalog_version``, ``wrapp_patch_version``)
    :param origin: Names the file in the message
    :param what: Names the format in the message
    :raises ValueError: If the version is not an integer or is newer than 1
    """
    version = document.get(key)
    if version is None:
        return
    if not isinstance(version, int) or isinstance(version, bool):
        raise ValueError(f"{origin}: '{key}' is not an integer")
    if version > CURRENT_FORMAT_VERSION:
        raise ValueError(
            f"{origin}: written by a newer wrapp ({what} newer than {CURRENT_FORMAT_VERSION}); upgrade wrapp"
        )


class ItemType(str, Enum):
    """Designates the type of an item: a file or a folder. Each key has its name as a string value."""

    file = "file"
    """A file"""
    folder = "folder"
    """A folder"""


class Tag(BaseModel):
    """Represents a tag as defined by the Nucleus Tagging Service.

    None of the storage backends of this implementation has tags of its own; tags
    are carried through catalogs and patch files as they were read. Members other
    than ``name`` and ``value`` (such as a tag's namespace) are kept.
    """

    model_config = ConfigDict(extra="allow")

    name: str
    """Name of the tag"""
    value: Optional[str] = None
    """Optional value of the tag"""


class CatalogItem(BaseModel):
    """A single item in a catalog represents a file. folders are not part of the catalog.

    Members that the file format does not define (the reference's ``tags`` and
    ``checkpoint``, keys of newer writers) are kept as extra attributes and
    written back after the known ones.
    """

    model_config = ConfigDict(extra="allow")

    relative_path: str
    """PRIMARY KEY in catalog, the location of the item relative to the root of the catalog"""
    source_path: str
    """An absolute URL pointing to the content of the item at the time of catalog creation"""
    hash: Optional[str] = None
    """content-based hash. For comparison, beware there are multiple algorithms around"""
    size: Optional[int] = None
    """size of the file"""

    @field_validator("hash", mode="before")
    @classmethod
    def _empty_hash_is_unknown(cls, value: Any) -> Any:
        """An empty hash means unknown, as in the file format."""
        return None if value == "" else value

    def to_file_json(self) -> Dict[str, Any]:
        """Return the item as a catalog file holds it.

        :return: ``relative_path``, ``source_path``, ``hash``, ``size``, then the extra members in the order read
        """
        out: Dict[str, Any] = {
            "relative_path": self.relative_path,
            "source_path": self.source_path,
            "hash": self.hash,
            "size": self.size,
        }
        for key, value in (self.model_extra or {}).items():
            if value is not None:  # null members read as absent
                out[key] = value.model_dump() if isinstance(value, BaseModel) else value
        return out


class StorageMap(BaseModel):
    """This is used to define a mapping between the hash of a CatalogItem and an alternative storage path.

    This is used to map hashes to file names in tar files for deduplication.
    """

    storage_map: Dict[str, str]
    """Map hash to a path containing the content of that item."""


class Catalog(BaseModel):
    """The Catalog contains a bill of materials (BOM) of files at a specific version.

    The files are identified by their relative path relative to the root URL recorded.
    """

    root: str
    """Root URL of catalog operation, all relative_path entries of the Item resolve to this"""
    items: List[CatalogItem]
    """Content of catalog"""
    storage_map: Optional[StorageMap] = None
    """Currently only used in TAR files to map the hash to the file with the content for deduplication"""

    @field_validator("root", mode="before")
    @classmethod
    def _null_root_is_empty(cls, value: Any) -> Any:
        """A missing or null root reads as an empty string, as in the file format."""
        return "" if value is None else value

    @field_validator("storage_map", mode="before")
    @classmethod
    def _accept_inner_map(cls, value: Any) -> Any:
        """Accept the inner ``{hash: location}`` object alone, as the file readers do."""
        if isinstance(value, dict) and "storage_map" not in value:
            return {"storage_map": value}
        return value

    def _mapped(self, item: CatalogItem) -> Optional[str]:
        """The storage map's location for the item's hash, if there is one."""
        if self.storage_map is None or not item.hash:
            return None
        return self.storage_map.storage_map.get(item.hash)

    def get_source_url_for_item(self, item: CatalogItem) -> str:
        """Returns the URL to use for fetching the actual data for a catalog item.

        If a storage_map is present and has an entry for this item, returns the mapped URL (used for
        redirect packages); a location relative to the root is resolved against ``root``. Otherwise
        returns the item's source_path, or ``root`` joined with its relative_path when it has none.

        :param item: The CatalogItem to get the source URL for
        :return: The URL to use for fetching the item's data
        """
        mapped = self._mapped(item)
        if mapped is not None:
            return mapped if _is_absolute(mapped) else url_below(self.root, mapped)
        if item.source_path:
            return item.source_path
        return url_below(self.root, item.relative_path)

    def get_storage_path_for_item(self, item: CatalogItem) -> str:
        """Returns the storage path for a catalog item within a TAR file or similar archive.

        If a storage_map is present and maps the item's hash, returns the mapped path. Otherwise returns
        the item's relative_path. Used for TAR file operations with hash-based deduplication.

        :param item: The CatalogItem to get the storage path for
        :return: The path to use for storing/retrieving the item's data
        """
        mapped = self._mapped(item)
        return item.relative_path if mapped is None else mapped

    def size_of_catalog(self) -> int:
        """Return the sum of bytes in all items of this catalog."""
        return sum(item.size or 0 for item in self.items)

    def size_of_catalog_deduped(self) -> int:
        """Return the sum of bytes in all items of this catalog, counting each distinct hash only once.

        Items without a hash are each counted.
        """
        seen = set()
        total = 0
        for item in self.items:
            if item.hash:
                if item.hash in seen:
                    continue
                seen.add(item.hash)
            total += item.size or 0
        return total

    def sort_items(self) -> None:
        """Sort the items by relative_path in bytewise order, the order wrapp keeps them in."""
        self.items.sort(key=_sort_key)

    def to_package_json(self) -> Dict[str, Any]:
        """Return the catalog as a ``.wrapp`` package file holds it under ``catalog``.

        :return: ``root``, ``items`` sorted by relative path, and ``storage_map`` when it is not empty
        """
        out: Dict[str, Any] = {
            "root": self.root,
            "items": [item.to_file_json() for item in sorted(self.items, key=_sort_key)],
        }
        if self.storage_map is not None and self.storage_map.storage_map:
            out["storage_map"] = {"storage_map": dict(self.storage_map.storage_map)}
        return out

    def to_file_json(self) -> Dict[str, Any]:
        """Return the catalog as a catalog file holds it (docs/formats.md, "Catalog files").

        :return: ``wrapp_catalog_version``, then the keys of :meth:`to_package_json`
        """
        return {"wrapp_catalog_version": CATALOG_FORMAT_VERSION, **self.to_package_json()}

    @classmethod
    def from_file_json(cls, document: Dict[str, Any], origin: str = "catalog") -> "Catalog":
        """Build a catalog from the JSON object of a catalog file or of a ``.wrapp`` file.

        A ``.wrapp`` file is accepted wherever a catalog file is: when the object has a ``catalog``
        object, that object is used. Items are sorted by relative path; an item without
        ``source_path`` gets ``root`` joined with its relative path.

        :param document: The parsed JSON object
        :param origin: Names the file in error messages
        :return: The catalog
        :raises ValueError: If the document is not a catalog, or was written by a newer wrapp
        """
        if not isinstance(document, dict):
            raise ValueError(f"{origin}: not a JSON object")
        check_format_version(document, "wrapp_catalog_version", origin, "catalog format")
        check_format_version(document, "wrapp_format_version", origin, "catalog format")
        body = document.get("catalog") if isinstance(document.get("catalog"), dict) else document
        if not isinstance(body.get("items"), list):
            raise ValueError(f"{origin}: the catalog has no 'items' list")
        root = body.get("root") or ""
        items = []
        for raw in body["items"]:
            if isinstance(raw, dict) and not raw.get("source_path") and isinstance(raw.get("relative_path"), str):
                raw = {**raw, "source_path": url_below(root, raw["relative_path"])}
            items.append(raw)
        catalog = cls.model_validate({"root": root, "items": items, "storage_map": body.get("storage_map")})
        catalog.sort_items()
        return catalog

    @classmethod
    async def load(cls, url: str) -> "Catalog":
        """Load a catalog file, as written by ``wrapp catalog`` (a ``.wrapp`` file is accepted too).

        :param url: URL or path of the catalog file
        :return: The catalog read
        :raises FailedCommand: If there is no file at ``url`` or it does not hold a catalog
        :raises StorageOperationError: If the storage cannot be read
        """
        from wrapp import _core

        data = await asyncio.to_thread(_core.read_file, url)
        if data is None:
            raise _core.FailedCommand(f"catalog file '{url}' not found")
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as error:
            raise _core.FailedCommand(f"{url}: not valid JSON: {error}") from None
        try:
            return cls.from_file_json(document, origin=url)
        except ValueError as error:
            raise _core.FailedCommand(str(error)) from None
