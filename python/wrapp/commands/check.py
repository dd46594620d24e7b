"""wrapp.check_package_content: verify a package version's files against its catalog."""

from typing import List, Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.workspace_analysis import CheckResult, check_results_from_core


async def check_package_content(wrapp_file: str, recursive: bool = False, *,
                                context: Optional[CommandParameters] = None,
                                scheduler=None) -> List[CheckResult]:
    """Check that every file of a package version exists with the size and hash its catalog records.

    :param wrapp_file: The version's package file, ``<repo>/.packages/<name>/<version>/.<name>.wrapp``.
    :param recursive: Also check the dependencies, in their repositories.
    :returns: One CheckResult per file checked; ``result.ok`` tells which passed.
    """
    result = await run_command("check", {"wrapp_file": location(wrapp_file), "recursive": recursive},
                               context=context, scheduler=scheduler)
    return check_results_from_core(result)
