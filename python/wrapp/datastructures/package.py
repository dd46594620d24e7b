"""Package files: the ``.wrapp`` file of a package version, an install or a ``wrapp new`` folder.

:class:`PackageInfo` is the content of one ``.wrapp`` file (docs/formats.md,
"The .wrapp package file"). :func:`read_package_info` and
:func:`write_package_info` read and write such files through the compiled
core, which validates them exactly as the command line does.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Iterable, Iterator, List, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from wrapp.datastructures.catalog import CURRENT_FORMAT_VERSION, Catalog, check_format_version

__all__ = [
    "PACKAGE_FORMAT_VERSION",
    "Dependency",
    "DependencySet",
    "PackageInfo",
    "read_package_info",
    "write_package_info",
    "wrapp_file_in_repo",
    "wrapp_file_name",
]

#: Written into every package file as ``wrapp_format_version``; readers accept
#: this and older versions and refuse newer ones.
PACKAGE_FORMAT_VERSION = CURRENT_FORMAT_VERSION

_logger = logging.getLogger("omni.wrapp")

# The keys of the current format, in the order they are written.
_KNOWN_KEYS = ("wrapp_format_version", "name", "version", "source", "repository", "dependencies", "catalog")


def _normal_destination(value: str) -> str:
    """The normal form of a relative destination: ``.`` segments and a trailing ``/`` dropped.

    ``..``, ``a//b`` and absolute paths are left as they are (they stay unsafe).
    """
    segments = value.split("/")
    if len(segments) > 1 and segments[-1] == "":
        segments.pop()
    return "/".join(s for s in segments if s != ".")


class Dependency(BaseModel):
    """A Dependency records the relative installation path of a subpackage, its name and version and
    the repository from which it was installed.
    """

    package: str
    """Name of the referenced package"""
    version: str
    """Version of the referenced package"""
    repository: str = ""
    """The repository URL from which the package was installed (``""``: the repository of the parent)"""
    relative_destination: str = ""
    """Relative installation path (``""``: the parent package's own folder)"""

    @field_validator("repository", "relative_destination", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        """A null repository or destination reads as an empty string, as in the file format."""
        return "" if value is None else value

    @field_validator("relative_destination")
    @classmethod
    def _normalise_destination(cls, value: str) -> str:
        """``.``, ``./x``, ``x/`` and ``x/./y`` are read in normal form, as wrapp writes them."""
        return _normal_destination(value)

    @classmethod
    def from_file_json(cls, entry: Dict[str, Any]) -> "Dependency":
        """Build a dependency from its object in a package file (the legacy ``relative_path`` is read too).

        :param entry: The dependency's JSON object
        :return: The dependency
        """
        data = dict(entry)
        if data.get("relative_destination") is None and "relative_path" in data:
            data["relative_destination"] = data["relative_path"]
        return cls.model_validate(
            {k: data.get(k) for k in ("package", "version", "repository", "relative_destination") if k in data}
        )

    def to_file_json(self) -> Dict[str, str]:
        """Return the dependency as a package file holds it.

        :return: ``package``, ``version``, ``repository``, ``relative_destination``
        """
        return {
            "package": self.package,
            "version": self.version,
            "repository": self.repository,
            "relative_destination": self.relative_destination,
        }


class DependencySet(BaseModel):
    """A DependencySet represents a set of Dependencies, e.g. to create a metapackage easily.

    Dependencies keep the order they were added in. A package is held once per location: adding a
    dependency on a package at a location that already holds it replaces the earlier entry.

    >>> deps = DependencySet()
    >>> deps.add(Dependency(package="lib", version="1", repository="/repo", relative_destination="libs/lib"))
    >>> len(deps)
    1
    """

    dependencies: List[Dependency] = Field(default_factory=list)
    """The dependencies, in the order they were added"""

    def add(self, dependency: Dependency) -> None:
        """Add a dependency, replacing one on the same package at the same location.

        :param dependency: The dependency to add
        """
        for index, held in enumerate(self.dependencies):
            if (held.package, held.relative_destination) == (dependency.package, dependency.relative_destination):
                self.dependencies[index] = dependency
                return
        self.dependencies.append(dependency)

    def update(self, dependencies: Iterable[Dependency]) -> None:
        """Add several dependencies, in order (see :meth:`add`).

        :param dependencies: The dependencies to add
        """
        for dependency in dependencies:
            self.add(dependency)

    def __iter__(self) -> Iterator[Dependency]:  # type: ignore[override]
        """Iterate over the dependencies in the order they were added."""
        return iter(self.dependencies)

    def __len__(self) -> int:
        """Return the number of dependencies."""
        return len(self.dependencies)

    def __contains__(self, dependency: object) -> bool:
        """Tell whether this exact dependency is in the set."""
        return dependency in self.dependencies

    def to_file_json(self) -> List[Dict[str, str]]:
        """Return the dependencies as a package file's ``dependencies`` list holds them."""
        return [d.to_file_json() for d in self.dependencies]


class PackageInfo(BaseModel):
    """The PackageInfo class encapsulates all information about a wrapp package. These are stored in .wrapp files

    To load and save wrapp files, use :func:`read_package_info` and :func:`write_package_info`, or the
    :meth:`load` and :meth:`save` member functions of the PackageInfo class. Top-level keys that the file
    format does not define are kept as extra attributes and written back.
    """

    model_config = ConfigDict(extra="allow")

    name: str = ""
    """Name of the package"""
    version: str = ""
    """Version referenced"""
    source: Optional[str] = None
    """Optional URL of source of last create operation"""
    repository: Optional[str] = None
    """Optional repository of last create or install operation."""
    dependencies: Optional[List[Dependency]] = None
    """Optional list of dependency entries"""
    catalog: Optional[Catalog] = None
    """Optional catalog of the package's files (None for a package created by ``new`` without catalog)"""

    @classmethod
    def from_file_json(cls, document: Dict[str, Any], origin: str = "package file") -> "PackageInfo":
        """Build a PackageInfo from the parsed JSON object of a ``.wrapp`` file.

        :param document: The JSON object
        :param origin: Names the file in error messages
        :return: The package information; unknown top-level keys become extra attributes
        :raises ValueError: If the object is not a package file, or was written by a newer wrapp
        """
        if not isinstance(document, dict):
            raise ValueError(f"{origin}: not a JSON object")
        check_format_version(document, "wrapp_format_version", origin)
        data: Dict[str, Any] = {k: v for k, v in document.items() if k not in _KNOWN_KEYS}
        for key in ("name", "version", "source", "repository"):
            if key in document:
                data[key] = document[key]
        dependencies = document.get("dependencies")
        if dependencies is not None:
            if not isinstance(dependencies, list):
                raise ValueError(f"{origin}: 'dependencies' is not a list")
            data["dependencies"] = [Dependency.from_file_json(d) for d in dependencies]
        catalog = document.get("catalog")
        if catalog is not None:
            data["catalog"] = Catalog.from_file_json(catalog, origin)
        return cls.model_validate(data)

    def to_file_json(self) -> Dict[str, Any]:
        """Return the package as a ``.wrapp`` file holds it, in the current format.

        :return: ``wrapp_format_version``, ``name``, ``version``, ``source``, ``repository``,
            ``dependencies`` (always a list), ``catalog`` (an object or None), then the extra
            top-level keys sorted by key
        """
        out: Dict[str, Any] = {
            "wrapp_format_version": PACKAGE_FORMAT_VERSION,
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "repository": self.repository,
            "dependencies": [d.to_file_json() for d in self.dependencies or []],
            "catalog": None if self.catalog is None else self.catalog.to_package_json(),
        }
        extra = self.model_extra or {}
        for key in sorted(extra):
            value = extra[key]
            out[key] = value.model_dump() if isinstance(value, BaseModel) else value
        return out

    @classmethod
    async def load(cls, package_url: str) -> "PackageInfo":
        """Load the package file at ``package_url``.

        :param package_url: URL of the wrapp file
        :return: The PackageInfo retrieved and parsed
        :raises FailedCommand: If there is no file at ``package_url`` or it is not a valid package file
        :raises StorageOperationError: If the storage cannot be read
        """
        package = await read_package_info(package_url)
        if package is None:
            from wrapp import _core

            raise _core.FailedCommand(f"package file '{package_url}' not found")
        return package

    async def save(self, package_url: str, context: Any = None) -> str:
        """Write this package to ``package_url`` in the current format (see :func:`write_package_info`).

        :param package_url: Destination path for the wrapp file, including the file name
        :param context: optional CommandParameters() object to control the storage operation
        :return: The filename written to
        """
        return await write_package_info(package_url, self, context)


def wrapp_file_name(package: str) -> str:
    """Return the file name of a package's ``.wrapp`` file: ``.<package>.wrapp``.

    :param package: Name of the package
    """
    return f".{package}.wrapp"


def wrapp_file_in_repo(repo: str, package: str, version: str) -> str:
    """Return the URL of a package version's ``.wrapp`` file in a repository.

    :param repo: The repository URL or path, without ``.packages``
    :param package: Name of the package
    :param version: Version of the package
    :return: ``<repo>/.packages/<package>/<version>/.<package>.wrapp``
    """
    return f"{repo.rstrip('/')}/.packages/{package}/{version}/{wrapp_file_name(package)}"


async def read_package_info(package_url: str) -> Optional[PackageInfo]:
    """Given a source url of a wrapp file, load and parse the content returning a PackageInfo object.

    :param package_url: URL of the wrapp file
    :return: The PackageInfo retrieved and parsed. None if the package file does not exist.

    On failure, raises FailedCommand or StorageOperationError exception.
    """
    from wrapp import _core

    document = await asyncio.to_thread(_core.read_package_info, package_url)
    if document is None:
        return None
    try:
        return PackageInfo.from_file_json(document, origin=package_url)
    except ValueError as error:
        raise _core.FailedCommand(str(error)) from None


async def write_package_info(package_url: str, package: PackageInfo, context: Any = None) -> str:
    """Given a destination URL including the file name and a package info, write the given information
    in the current JSON format.

    The file is validated as every reader validates it and replaced atomically; an existing file, a
    published package's included, is overwritten. With ``context.dry_run`` nothing is written.

    :param package_url: Destination path for the wrapp file to be created, including the file name
    :param package: PackageInfo object to be stored
    :param context: optional CommandParameters() object to control the storage operation
    :return: The filename written to

    On failure, this will raise a StorageOperationError.
    """
    from wrapp import _core

    document = package.to_file_json()
    if context is not None and getattr(context, "dry_run", False):
        _logger.info("dry run: would write %s", package_url)
        return package_url
    return await asyncio.to_thread(_core.write_package_info, package_url, document)
