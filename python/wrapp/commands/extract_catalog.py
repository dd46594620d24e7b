"""wrapp.extract_catalog: the catalog of a package version, flattened over its dependencies if asked."""

from wrapp.commands._common import location, run_command
from wrapp.datastructures.catalog import Catalog
from wrapp.datastructures.command_context import CommandParameters


async def extract_catalog(package: str, version: str, repo: str, recursive: bool, add_wrapp_files: bool = False,
                          recalculate_identities: bool = False, *,
                          context: CommandParameters = CommandParameters(), scheduler=None) -> Catalog:
    """Return the catalog of a package version.

    :param recursive: Flatten the catalogs of all dependencies under their install locations.
    :param add_wrapp_files: Add each package's .wrapp file as an item.
    :param recalculate_identities: Accepted for the reference's signature: catalogs of this build always
        carry content hashes, so there is nothing to recalculate.
    """
    result = await run_command("extract-catalog", {"package": package, "version": version, "repo": location(repo),
                                                   "recursive": recursive, "add_wrapp_files": add_wrapp_files},
                               context=context, scheduler=scheduler)
    return Catalog.from_file_json(result["catalog"], "extract_catalog")
