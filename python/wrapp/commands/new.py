"""wrapp.new: create a package file in a folder (a new package, or a dependency file)."""

from typing import Union

from wrapp.commands._common import ignore_options, location, run_command, warn_no_tags
from wrapp.datastructures.command_context import CommandParameters


async def new(package_name: str, version: str, destination: str, create_catalog: bool, tags: bool = False,
              ignores: Union[str, "IgnoreEvaluator", None] = None, local_hash: bool = False, *,  # noqa: F821
              context: CommandParameters = CommandParameters(), scheduler=None) -> None:
    """Create ``.<package_name>.wrapp`` in ``destination``, with a catalog of its files if asked.

    :param create_catalog: Catalog the folder's files into the new package file.
    :param ignores: Ignore rules for the catalog (file path or URL, or an IgnoreEvaluator).
    :param local_hash: Hash the files locally.
    """
    warn_no_tags("new", tags)
    options = {"package_name": package_name, "version": version, "destination": location(destination),
               "create_catalog": create_catalog}
    options.update(ignore_options(ignores, location(destination)))
    await run_command("new", options, context=context, scheduler=scheduler)
