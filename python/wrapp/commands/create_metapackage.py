"""wrapp.create_metapackage: a package made only of dependencies."""

from typing import Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.package import DependencySet


async def create_metapackage(package_name: str, version: str, repo: str, content: DependencySet, *,
                             context: Optional[CommandParameters] = None, scheduler=None) -> None:
    """Creates a metapackage containing only dependencies to other packages, with no files of its own.

    Every dependency, and the whole tree they make, is checked before the version is published.

    :param content: The dependencies (package, version, repository, relative_destination).
    """
    dependencies = [d.to_file_json() if hasattr(d, "to_file_json") else dict(d) for d in content]
    await run_command("create-metapackage", {"package_name": package_name, "version": version,
                                             "repo": location(repo), "dependencies": dependencies},
                      context=context, scheduler=scheduler)
