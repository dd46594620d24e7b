"""wrapp.find_orphaned_package_versions: versions no top-level package needs."""

from typing import List, Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.repository import UniquePackageLocation, package_locations_from_core


async def find_orphaned_package_versions(locking_packages: List[UniquePackageLocation], repos_to_inspect: List[str],
                                         *, context: Optional[CommandParameters] = None,
                                         scheduler=None) -> List[UniquePackageLocation]:
    """Find the package versions in ``repos_to_inspect`` that no package of ``locking_packages`` needs,
    directly or through dependencies across repositories.

    :returns: The orphaned versions; hand them to delete_packages_from_repo.
    """
    result = await run_command("find-orphans", {
        "locking_packages": [p.to_core() for p in locking_packages],
        "repos_to_inspect": [location(r) for r in repos_to_inspect]}, context=context, scheduler=scheduler)
    return package_locations_from_core(result)
