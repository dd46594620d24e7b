"""wrapp: reproducible asset packaging and publishing, the Python API over the wrapp C++ core.

The commands are async functions with the reference's names and parameters (``await wrapp.create(...)``);
run them inside ``async with wrapp.ContextManager() as ctx`` and pass ``scheduler=ctx``. Everything is
described in ``docs/python.md``.
"""

import logging as _logging

from wrapp import _core
from wrapp.api import ContextManager, add_auth, initialize, shutdown
from wrapp.auth import AuthManager
from wrapp.commands import (
    apply_patch,
    catalog,
    check_package_content,
    create,
    create_metapackage,
    create_patch,
    delete_packages_from_repo,
    diff,
    export_package,
    extract_catalog,
    find_orphaned_package_versions,
    freeze,
    get,
    import_package,
    install,
    installed_package_list,
    list_repo,
    ls,
    mirror,
    new,
    publish_redirect,
    status,
    traceback,
    uninstall,
)
from wrapp.datastructures.authentication import AuthInfo, StorageAuthInfo
from wrapp.datastructures.catalog import Catalog, CatalogItem, StorageMap, Tag
from wrapp.datastructures.command_context import CommandParameters
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
    PatchOpAddTag,
    PatchOpBase,
    PatchOpCopy,
    PatchOpCreateFolder,
    PatchOpDelete,
    PatchOpDeleteTag,
    PatchOperationType,
)
from wrapp.datastructures.repository import InstalledPackage, UniquePackageLocation
from wrapp.datastructures.workspace_analysis import CheckResult, PackageStatusItem, PackageStatusItemType
from wrapp.scheduling import (
    ProgressReportVerbosity,
    Scheduler,
    SchedulerContext,
    SchedulingParameters,
    ThrottlingParameters,
    WrappScheduler,
)
from wrapp.utils.ignore import IgnoreEvaluator, IgnoreFilePredicate, IgnorePredicate
from wrapp.utils.nucleus_hash import calc_nucleus_hash_from_stream
from wrapp.utils.progress_report import ProgressReport, ProgressReportStatus
from wrapp.utils.utils import FailedCommand, StorageOperationError

__version__ = _core.__version__

# The logger every record of wrapp goes to; silent unless the application configures logging.
_logging.getLogger("omni.wrapp").addHandler(_logging.NullHandler())

__all__ = [
    "AuthInfo", "AuthManager", "Catalog", "CatalogItem", "CheckResult", "CommandParameters", "ContextManager",
    "Dependency", "DependencySet", "FailedCommand", "IgnoreEvaluator", "IgnoreFilePredicate", "IgnorePredicate",
    "InstalledPackage", "LsOutputFormat", "LsResultItem", "LsResultItemType", "PackageInfo", "PackageStatusItem",
    "PackageStatusItemType", "Patch", "PatchOpAddTag", "PatchOpBase", "PatchOpCopy", "PatchOpCreateFolder",
    "PatchOpDelete", "PatchOpDeleteTag", "PatchOperationType", "ProgressReport", "ProgressReportStatus",
    "ProgressReportVerbosity", "Scheduler", "SchedulerContext", "SchedulingParameters", "StorageAuthInfo",
    "StorageMap", "StorageOperationError", "Tag", "ThrottlingParameters", "UniquePackageLocation", "WrappScheduler",
    "add_auth", "apply_patch", "calc_nucleus_hash_from_stream", "catalog", "check_package_content", "create",
    "create_metapackage", "create_patch", "delete_packages_from_repo", "diff", "export_package", "extract_catalog",
    "find_orphaned_package_versions", "freeze", "get", "import_package", "initialize", "install",
    "installed_package_list", "list_repo", "ls", "mirror", "new", "publish_redirect", "read_package_info", "shutdown",
    "status", "traceback", "uninstall", "write_package_info",
]
