"""wrapp.import_package: publish a package version from a tar archive."""

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def import_package(package_file: str, repository: str, overwrite: bool = False, *,
                         context: CommandParameters = CommandParameters(), scheduler=None) -> None:
    """Import a tar archive written by export_package into a repository; the whole archive is verified
    before anything is published.

    :param package_file: The archive (.tar or .tar.gz).
    :param repository: The repository to publish the version in.
    :param overwrite: Replace a version with other content (only after the archive verified).
    """
    await run_command("import", {"package_file": location(package_file), "repository": location(repository),
                                 "overwrite": overwrite}, context=context, scheduler=scheduler)
