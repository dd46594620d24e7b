"""wrapp.delete_packages_from_repo: delete package versions from their repositories."""

from typing import List, Optional

from wrapp.commands._common import run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.repository import UniquePackageLocation


async def delete_packages_from_repo(to_delete: List[UniquePackageLocation], *,
                                    context: Optional[CommandParameters] = None, scheduler=None) -> None:
    """Delete package versions: every version's lock is taken before anything is deleted; each version's
    package file goes first (so no reader sees a half-deleted version), then its files and folders.

    :param to_delete: The versions (package, version, repository), e.g. from find_orphaned_package_versions.
    """
    await run_command("delete-packages", {"to_delete": [p.to_core() for p in to_delete]}, context=context,
                      scheduler=scheduler)
