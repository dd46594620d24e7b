"""wrapp.export_package: a package version as a tar archive."""

from typing import Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def export_package(catalog: Optional[str], repo: Optional[str], package_name: str, version: str, output: str,
                         overwrite: bool = False, dedup=False, *, context: CommandParameters = CommandParameters(),
                         scheduler=None) -> None:
    """Export a package version (or the subset a catalog names) as a tar file, every byte verified while streamed.

    :param catalog: Name of the catalog file that describes the items to export (None: the whole version).
    :param repo: URL of the repository containing the package to be exported.
    :param package_name: Name of the package.
    :param version: Version to export.
    :param output: Name of tar file to create.
    :param overwrite: Allow overwriting the tar.
    :param dedup: Deduplicate content on export, i.e. don't store files by their name in the tar but by their hash.
    """
    await run_command("export", {"package_name": package_name, "version": version, "output": location(output),
                                 "repo": location(repo), "catalog": location(catalog), "dedup": bool(dedup),
                                 "overwrite": overwrite}, context=context, scheduler=scheduler)
