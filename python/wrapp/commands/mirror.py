"""wrapp.mirror: copy a package version from one repository to another."""

from typing import Dict, List, Optional, Tuple, Union

from wrapp.commands._common import location, run_command, warn_no_tags
from wrapp.datastructures.command_context import CommandParameters


async def mirror(package_name: str, version: str, source_repo: str, destination_repo: str, tags: bool = False,
                 resume: bool = False, template_version: Optional[str] = None, *,
                 redirect_dependencies: bool = False, context: CommandParameters = CommandParameters(),
                 scheduler=None, recursive: bool = False,
                 repo_mapping: Union[Dict[str, str], List[Tuple[str, str]], None] = None) -> None:
    """Mirror a package version into another repository: files first (verified), package file last.

    :param package_name: Name of the package.
    :param version: Version to mirror.
    :param source_repo: Repository to copy from.
    :param destination_repo: Repository to copy to.
    :param tags: Copy Nucleus tags (no storage of this build has tags).
    :param resume: Keep files an interrupted mirror already copied (size and hash verified).
    :param template_version: A version already in the destination whose identical files are copied inside
        the destination instead of transferred.
    :param redirect_dependencies: Record the destination repository in the mirrored version's dependencies.
    :param recursive: Mirror the dependencies too (a wrapp addition).
    :param repo_mapping: Source repository -> destination repository, for dependencies in other repositories.
    """
    warn_no_tags("mirror", tags)
    pairs = list(repo_mapping.items()) if isinstance(repo_mapping, dict) else list(repo_mapping or [])
    await run_command("mirror", {
        "package_name": package_name, "version": version, "source_repo": location(source_repo),
        "destination_repo": location(destination_repo), "tags": tags, "resume": resume,
        "template_version": template_version, "redirect_dependencies": redirect_dependencies,
        "recursive": recursive, "repo_mapping": [[location(a), location(b)] for a, b in pairs],
    }, context=context, scheduler=scheduler)
