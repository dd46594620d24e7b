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
from wrapp.datastructures.package import (
    Dependency,
    DependencySet,
    PackageInfo,
    read_package_info,
    write_package_info,
)

__all__ = [
    "Catalog",
    "CatalogItem",
    "Dependency",
    "DependencySet",
    "ItemType",
    "PackageInfo",
    "StorageMap",
    "Tag",
    "read_package_info",
    "write_package_info",
]
