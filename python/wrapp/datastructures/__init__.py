"""The data objects of the wrapp Python API: pydantic v2 models and their converters.

Modules (the paths real scripts import):

- :mod:`wrapp.datastructures.catalog`: :class:`Catalog`, :class:`CatalogItem`, :class:`StorageMap`, :class:`Tag`
- :mod:`wrapp.datastructures.package`: :class:`PackageInfo`, :class:`Dependency`, :class:`DependencySet`,
  :func:`read_package_info`, :func:`write_package_info`
- :mod:`wrapp.datastructures.patch`: :class:`Patch` and the patch operations
- :mod:`wrapp.datastructures.workspace_analysis`: :class:`PackageStatusItem`, :class:`PackageStatusItemType`,
  :class:`CheckResult`
- :mod:`wrapp.datastructures.repository`: :class:`UniquePackageLocation`, :class:`InstalledPackage`
- :mod:`wrapp.datastructures.ls`: :class:`LsResultItem`, :class:`LsResultItemType`, :class:`LsOutputFormat`

None of these modules needs the compiled core at import time.
"""

from wrapp.datastructures.catalog import Catalog, CatalogItem, ItemType, StorageMap, Tag
from wrapp.datastructures.ls import LsOutputFormat, LsResultItem, LsResultItemType
from wrapp.datastructures.package import (
    Dependency,
    DependencySet,
    PackageInfo,
    read_package_info,
    write_package_info,
)
from wrapp.datastructures.patch import (
    Patch,
    PatchConflict,
    PatchOpAddTag,
    PatchOpBase,
    PatchOpCopy,
    PatchOpCreateFolder,
    PatchOpDelete,
    PatchOpDeleteTag,
    PatchOperationType,
)
from wrapp.datastructures.repository import InstalledPackage, UniquePackageLocation
from wrapp.datastructures.workspace_analysis import (
    CheckResult,
    CheckStatus,
    PackageStatusItem,
    PackageStatusItemType,
)

__all__ = [
    "Catalog",
    "CatalogItem",
    "CheckResult",
    "CheckStatus",
    "Dependency",
    "DependencySet",
    "InstalledPackage",
    "ItemType",
    "LsOutputFormat",
    "LsResultItem",
    "LsResultItemType",
    "PackageInfo",
    "PackageStatusItem",
    "PackageStatusItemType",
    "Patch",
    "PatchConflict",
    "PatchOpAddTag",
    "PatchOpBase",
    "PatchOpCopy",
    "PatchOpCreateFolder",
    "PatchOpDelete",
    "PatchOpDeleteTag",
    "PatchOperationType",
    "StorageMap",
    "Tag",
    "UniquePackageLocation",
    "read_package_info",
    "write_package_info",
]
