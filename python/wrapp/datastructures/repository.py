"""Package versions in repositories and installed package trees.

Conversion from the compiled core (the C++ ``to_json`` of each result, as the
command line prints it with ``--json``):

- :func:`package_locations_from_core`: the ``find-orphans`` result, a list of
  ``{"package", "version", "repository"}`` -> ``List[UniquePackageLocation]``.
- :func:`installed_packages_from_core`: the ``installed-package-list`` result, a
  list of ``{"name", "version", "wrapp_file_url", "install_location",
  "repository", "num_items", "recorded"}`` -> ``List[InstalledPackage]``.
- :func:`list_repo_from_core`: the ``list-repo`` result, a list of
  ``{"name", "versions"}`` -> ``List[Tuple[str, List[str]]]``.

:meth:`UniquePackageLocation.to_core` gives the object the core's options take
(``find-orphans``'s ``locking_packages``, ``delete-packages``'s list).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from pydantic import BaseModel, ConfigDict, PrivateAttr

from wrapp.datastructures.package import PackageInfo

__all__ = [
    "InstalledPackage",
    "UniquePackageLocation",
    "installed_packages_from_core",
    "list_repo_from_core",
    "package_locations_from_core",
]


class UniquePackageLocation(BaseModel):
    """Identifies one version of a package in one repository.

    Used to name the top-level versions to keep for ``find_orphaned_package_versions``, the versions it
    returns, and the versions to delete with ``delete_packages_from_repo``. Instances are immutable and
    hashable, so they can be collected in sets.

    Attributes:
        package (str): The package name.
        version (str): The package version.
        repository (str): The URL of the repository holding the version (without ``.packages``).
    """

    model_config = ConfigDict(frozen=True)

    package: str
    """The package name"""
    version: str
    """The package version"""
    repository: str
    """The URL of the repository holding the version (without ``.packages``)"""

    def to_core(self) -> Dict[str, str]:
        """Return the location as the core's options and ``--json`` output hold it.

        :return: ``{"package", "version", "repository"}``
        """
        return {"package": self.package, "version": self.version, "repository": self.repository}


class InstalledPackage(BaseModel):
    """Represents a package that has potentially been installed in a storage location, it also might be just
    a wrapp file found in a folder tree underneath a top level wrapp file.

    This class stores metadata about an installed package including its name, version, location, and
    repository information. It inherits from Pydantic's BaseModel for data validation and serialization
    capabilities.

    Attributes:
        name (str): The package name.
        version (str): The package version installed.
        wrapp_file_url (str): The absolute URL of the wrapp file in the installed location.
        install_location (str): The path of the package relative to the top level package.
        repository (Optional[str]): The URL of the repository this package was installed from. None indicates
            this is a fresh package that has not been created in a repo yet.
        package (Optional[PackageInfo]): The detailed package information including the catalog, if already
            loaded
    """

    name: str
    """The package name"""
    version: str
    """The package version installed"""
    wrapp_file_url: str
    """The absolute URL of the wrapp file in the installed location"""
    install_location: str
    """The path of the package relative to the top level package (``""`` for the top level package)"""
    repository: Optional[str] = None
    """The URL of the repository this package was installed from; None for a fresh package"""
    package: Optional[PackageInfo] = None
    """The detailed package information including the catalog, if already loaded"""

    _num_items: Optional[int] = PrivateAttr(default=None)
    _recorded: bool = PrivateAttr(default=True)

    @property
    def num_items(self) -> Optional[int]:
        """For backward compatibility with the 2.0.0-a9 and 2.0.0-a10, which had the num_items field but not the
        package and the catalog.

        The number of items in the package's catalog: counted from ``package`` when it is loaded, else as the
        listing reported it; None for a package without catalog.
        """
        if self.package is not None:
            return None if self.package.catalog is None else len(self.package.catalog.items)
        return self._num_items

    @property
    def recorded(self) -> bool:
        """True when the package is reached through recorded dependencies (the top level package included);
        False for a stray package file found in the folder tree, which only the next ``create`` records.
        """
        return self._recorded


def package_locations_from_core(obj: List[Dict[str, Any]]) -> List[UniquePackageLocation]:
    """Convert the core's ``find-orphans`` result (or any list of package locations).

    :param obj: A list of ``{"package", "version", "repository"}`` objects; other members are ignored
    :return: The locations, in the core's order (by repository, name, then version)
    """
    return [
        UniquePackageLocation(package=o["package"], version=o["version"], repository=o["repository"]) for o in obj
    ]


def installed_packages_from_core(obj: List[Dict[str, Any]]) -> List[InstalledPackage]:
    """Convert the core's ``installed-package-list`` result.

    :param obj: A list of ``{"name", "version", "wrapp_file_url", "install_location", "repository",
        "num_items", "recorded"}`` objects
    :return: The installed packages, the top level one first, then its dependencies depth first in the order
        recorded, then stray package files by path; ``package`` is not loaded
    """
    result = []
    for o in obj:
        installed = InstalledPackage(
            name=o["name"],
            version=o["version"],
            wrapp_file_url=o["wrapp_file_url"],
            install_location=o["install_location"],
            repository=o.get("repository"),
        )
        installed._num_items = o.get("num_items")
        installed._recorded = bool(o.get("recorded", True))
        result.append(installed)
    return result


def list_repo_from_core(obj: List[Dict[str, Any]]) -> List[Tuple[str, List[str]]]:
    """Convert the core's ``list-repo`` result to the reference's return value of ``list_repo``.

    :param obj: A list of ``{"name", "versions"}`` objects
    :return: ``(package name, versions)`` pairs, packages by name, versions in natural order
    """
    return [(o["name"], list(o["versions"])) for o in obj]
