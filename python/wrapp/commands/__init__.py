"""The wrapp commands as async functions, one module per command (``wrapp.commands.<name>``).

Each function is also exported by the top-level ``wrapp`` package. ``cat`` and ``count``, command-line
commands in the reference, are reached as ``wrapp.commands.cat.cat`` and ``wrapp.commands.count.count``.
"""

from wrapp.commands.apply_patch import apply_patch
from wrapp.commands.catalog import catalog
from wrapp.commands.check import check_package_content
from wrapp.commands.create import create
from wrapp.commands.create_metapackage import create_metapackage
from wrapp.commands.create_patch import create_patch
from wrapp.commands.delete_packages import delete_packages_from_repo
from wrapp.commands.diff import diff
from wrapp.commands.export_package import export_package
from wrapp.commands.extract_catalog import extract_catalog
from wrapp.commands.find_orphans import find_orphaned_package_versions
from wrapp.commands.freeze import freeze
from wrapp.commands.get import get
from wrapp.commands.import_package import import_package
from wrapp.commands.install import install
from wrapp.commands.installed_package_list import installed_package_list
from wrapp.commands.list_repo import list_repo
from wrapp.commands.ls import ls
from wrapp.commands.mirror import mirror
from wrapp.commands.new import new
from wrapp.commands.publish_redirect import publish_redirect
from wrapp.commands.status import status
from wrapp.commands.traceback import traceback
from wrapp.commands.uninstall import uninstall
from wrapp.commands import cat, count  # noqa: F401  (modules: wrapp.commands.cat.cat, wrapp.commands.count.count)

__all__ = [
    "apply_patch", "catalog", "check_package_content", "create", "create_metapackage", "create_patch",
    "delete_packages_from_repo", "diff", "export_package", "extract_catalog", "find_orphaned_package_versions",
    "freeze", "get", "import_package", "install", "installed_package_list", "list_repo", "ls", "mirror", "new",
    "publish_redirect", "status", "traceback", "uninstall",
]
