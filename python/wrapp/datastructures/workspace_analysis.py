"""Results of analysing installed and published packages: ``status`` and ``check``.

Conversion from the compiled core (the C++ ``to_json`` of each result, as
``wrapp status --json`` and ``wrapp check --json`` print it):

- :func:`status_from_core` takes ``{"clean", "install_state", "dirty", "packages":
  [{"package", "version", "wrapp_file", "install_location", "clean", "items": [...]}]}``
  and returns the reference's ``Tuple[List[str], Dict[str, List[PackageStatusItem]]]``:

  * the list is ``dirty``: the URLs of the package files (``.<name>.wrapp``) of
    every package that is not clean, each subpackage before the package that
    records it (the order in which to create new versions);
  * the dict maps the URL of a package file (the same strings as in the list,
    equal to each item's ``absolute_wrapp_file_path``) to that package's
    items, package-level items first (missing, no catalog, version mismatch,
    modified), then the others by path. Only packages with at least one item
    are keys: a clean package is in neither the list nor the dict.

  ``install_state`` (an install in progress or interrupted at the location)
  has no place in the reference's tuple; the caller reports it.
- :func:`check_results_from_core` takes ``{"ok", "unverified", "files": [...]}``
  (or the bare ``files`` list) and returns one :class:`CheckResult` per file,
  in the core's order: catalog items by path, dependencies after, then stray
  entries of the version folder.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Optional, Tuple

from pydantic import BaseModel

__all__ = [
    "CheckResult",
    "CheckStatus",
    "PackageStatusItem",
    "PackageStatusItemType",
    "check_results_from_core",
    "status_from_core",
]


class PackageStatusItemType(str, Enum):
    """Enum for the different package error types identified by the wrapp status operations.
    Each key has its name as a string value.
    """

    EXTRA_ITEM = "extra_item"
    """There is an extra item which was not produced by the install operation"""
    EXTRA_PACKAGE = "extra_package"
    """There is an extra package which is not listed as a dependency"""
    ITEM_DIFFERS = "item_differs"
    """An item differs in size or content"""
    ITEM_MISSING = "item_missing"
    """An item is missing which is listed in the package's catalog"""
    PACKAGE_MISSING = "package_missing"
    """A package file is missing"""
    PACKAGE_MODIFIED = "package_modified"
    """This package was modified, a top level error that will be amended by more specific errors"""
    PACKAGE_NO_CATALOG = "package_no_catalog"
    """A package has no catalog, indicating it has never been installed to the location"""
    PACKAGE_VERSION_MISMATCH = "package_version_mismatch"
    """There is a version mismatch between the package in the dependency and the wrapp file of the subpackage"""
    SUBPACKAGE_MODIFIED = "subpackage_modified"
    """At least one subpackage is modified"""


class PackageStatusItem(BaseModel):
    """Provides details about a package error found during a wrapp status call.

    Attributes:
        package_name (str): The name of the package
        absolute_wrapp_file_path (str): Location of the package file
        status_message (str): A detailed human-readable description of the package error
        status_item_type (PackageStatusItemType): An enum indicating the class of package error
        relative_path (Optional[str]): The path the item is about, relative to the package's install
            location: the file (item types, extra_item), the stray package file (extra_package), the
            subpackage's package file (subpackage_modified); None for the package itself
    """

    package_name: str
    """The name of the package"""
    absolute_wrapp_file_path: str
    """Location of the package file"""
    status_message: str
    """A detailed human-readable description of the package error"""
    status_item_type: PackageStatusItemType
    """An enum indicating the class of package error"""
    relative_path: Optional[str] = None
    """The path the item is about, relative to the package's install location; None for the package itself"""


class CheckStatus(str, Enum):
    """The outcome of checking one file of a package version. Each key has its name as a string value."""

    ok = "ok"
    """Present with the recorded size and hash"""
    missing = "missing"
    """Not there"""
    size_mismatch = "size_mismatch"
    """Present with another size than recorded"""
    hash_mismatch = "hash_mismatch"
    """Present with the recorded size but other content"""
    unreadable = "unreadable"
    """Could not be read (``detail`` says why); the check went on"""
    not_a_file = "not_a_file"
    """A symbolic link, folder or special file where a file belongs"""
    stray = "stray"
    """In the version folder but not in its catalog (``detail`` says what it is)"""
    unverified = "unverified"
    """Present and read, but the catalog records no hash to verify it against: not a problem"""


class CheckResult(BaseModel):
    """The result of checking one file of a package version with ``check_package_content``.

    Attributes:
        package_name (str): The name of the package the file belongs to
        version (str): The version of that package
        relative_path (str): The path of the file relative to the package version's folder
        url (str): The absolute URL where the file was looked for
        status (CheckStatus): The outcome
        expected_size (Optional[int]): The size recorded in the catalog; None for a stray file
        actual_size (Optional[int]): The size found; None when the file could not be read
        expected_hash (Optional[str]): The hash recorded in the catalog; None when none is recorded
        actual_hash (Optional[str]): The hash of the bytes found; None when not computed
        detail (Optional[str]): Why the file is unreadable, not a file, stray or unverified
    """

    package_name: str
    """The name of the package the file belongs to"""
    version: str
    """The version of that package"""
    relative_path: str
    """The path of the file relative to the package version's folder"""
    url: str
    """The absolute URL where the file was looked for"""
    status: CheckStatus
    """The outcome of the check"""
    expected_size: Optional[int] = None
    """The size recorded in the catalog; None for a stray file"""
    actual_size: Optional[int] = None
    """The size found; None when the file is missing or could not be read"""
    expected_hash: Optional[str] = None
    """The hash recorded in the catalog; None when none is recorded"""
    actual_hash: Optional[str] = None
    """The hash of the bytes found; None when it was not computed"""
    detail: Optional[str] = None
    """Why the file is unreadable, not a file, stray or unverified; None otherwise"""

    @property
    def ok(self) -> bool:
        """True when this file is not a problem: its status is ``ok`` or ``unverified``."""
        return self.status in (CheckStatus.ok, CheckStatus.unverified)


def status_from_core(obj: Dict[str, Any]) -> Tuple[List[str], Dict[str, List[PackageStatusItem]]]:
    """Convert the core's status result to the reference's return value of ``status``.

    :param obj: The status result as the core returns it (``wrapp status --json``)
    :return: The ordered list of package file URLs of dirty packages, and a map of package file URL to the
        status items of that package (only packages that have items)
    """
    dirty = [str(url) for url in obj.get("dirty", [])]
    details: Dict[str, List[PackageStatusItem]] = {}
    for package in obj.get("packages", []):
        items = [PackageStatusItem.model_validate(item) for item in package.get("items", [])]
        if items:
            details.setdefault(package["wrapp_file"], []).extend(items)
    return dirty, details


# Statuses whose actual_size the core reports as 0 without having seen a file.
_NO_ACTUAL_SIZE = {CheckStatus.missing, CheckStatus.unreadable, CheckStatus.not_a_file, CheckStatus.stray}


def check_results_from_core(obj: Any) -> List[CheckResult]:
    """Convert the core's check result to the reference's return value of ``check_package_content``.

    Empty hash and detail strings become None; sizes the core reports as 0 without a file to measure
    (a missing, unreadable or stray file's actual size, a stray file's expected size) become None.

    :param obj: The check result as the core returns it (``wrapp check --json``), or its ``files`` list
    :return: One CheckResult per file, in the core's order
    """
    files = obj.get("files", []) if isinstance(obj, dict) else obj
    results = []
    for f in files:
        status = CheckStatus(f["status"])
        results.append(
            CheckResult(
                package_name=f["package"],
                version=f["version"],
                relative_path=f["relative_path"],
                url=f["url"],
                status=status,
                expected_size=None if status == CheckStatus.stray else f.get("expected_size"),
                actual_size=None if status in _NO_ACTUAL_SIZE else f.get("actual_size"),
                expected_hash=f.get("expected_hash") or None,
                actual_hash=f.get("actual_hash") or None,
                detail=f.get("detail") or None,
            )
        )
    return results
