"""wrapp.status: how an installed package tree differs from what was installed."""

import logging
from typing import Dict, List, Optional, Tuple, Union

from wrapp.commands._common import ignore_options, location, parent_folder, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.workspace_analysis import PackageStatusItem, status_from_core

logger = logging.getLogger("omni.wrapp")


async def status(wrapp_file: str, ignores: Union[str, "IgnoreEvaluator", None] = None, *,  # noqa: F821
                 ignore_file: Optional[str] = None, context: CommandParameters = CommandParameters(),
                 scheduler=None) -> Tuple[List[str], Dict[str, List[PackageStatusItem]]]:
    """Compare an installed package (and its subpackages) with the catalogs it was installed from.

    :param wrapp_file: The install marker ``<location>/.<name>.wrapp``.
    :param ignores: An ignore file (path or URL) or an IgnoreEvaluator; default ``<location>/.wrappignore``.
    :param ignore_file: Deprecated, use ignores.
    :returns: ``(dirty, details)``: the package files of the modified packages (subpackages first), and
        for each of them the PackageStatusItems found.
    """
    wrapp_file = location(wrapp_file)
    options = {"wrapp_file": wrapp_file}
    options.update(ignore_options(ignores, parent_folder(wrapp_file), ignore_file))
    result = await run_command("status", options, context=context, scheduler=scheduler)
    if isinstance(result, dict) and result.get("install_state"):
        logger.warning("%s", result["install_state"])
    return status_from_core(result)
