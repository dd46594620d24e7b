"""wrapp.installed_package_list: the packages installed in a tree."""

from typing import List

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.repository import InstalledPackage, installed_packages_from_core


async def installed_package_list(wrapp_file: str, *, direct_only: bool = False,
                                 context: CommandParameters = CommandParameters(),
                                 scheduler=None) -> List[InstalledPackage]:
    """List the packages installed below a top-level package file: its recorded dependency tree and any other
    package files found in the tree.

    :param direct_only: Only the top file's recorded direct dependencies.
    """
    result = await run_command("installed-package-list", {"wrapp_file": location(wrapp_file),
                                                          "direct_only": direct_only},
                               context=context, scheduler=scheduler)
    return installed_packages_from_core(result)
