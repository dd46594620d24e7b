"""wrapp.install: install (or update) a package version into a folder."""

from typing import List, Optional, Union

from wrapp.commands._common import ignore_options, location, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.patch import PatchOpBase, create_patch_from_core


async def install(package_name: str, version: str, destination: str, repo: Optional[str] = None,
                  patch: Optional[str] = None, ignores: Union[str, "IgnoreEvaluator", None] = None,  # noqa: F821
                  dependency_file: Optional[str] = None, link_mode: str = "copy", *,
                  context: CommandParameters = CommandParameters(), scheduler=None) -> List[PatchOpBase]:
    """Install a package version from a repository into ``destination``, or update the version installed there.

    An installed copy is checked first: local modifications are never overwritten (FailedCommand with
    code "conflict" or "modified" and the paths in ``payload``), unless ``patch`` names a patch file: then
    conflicting files are left as they are, the rest is installed, and the operations that would take
    the new version there are written to that file and returned. Every copied byte is verified against
    the catalog. Dependencies are installed at their relative destinations.

    :param package_name: Name of the package.
    :param version: Version to install.
    :param destination: Folder to install into (created if missing).
    :param repo: The repository URL or folder.
    :param patch: A patch file to write the operations for conflicting files to, instead of failing.
    :param ignores: Ignore rules for the destination (path or URL of a file, or an IgnoreEvaluator).
    :param dependency_file: A package file (``wrapp new``) to record this install in as a dependency.
    :param link_mode: "copy" (default), "hardlink" or "reflink" for files on the same local file system.
    :param context: The generic parameters.
    :param scheduler: Optionally pre-constructed SchedulerContext.
    :returns: The operations written to ``patch`` (empty without conflicts or without ``patch``).
    """
    options = {"package_name": package_name, "version": version, "destination": location(destination),
               "repo": location(repo), "patch_file": location(patch), "dependency_file": location(dependency_file),
               "link_mode": link_mode}
    options.update(ignore_options(ignores, location(destination)))
    result = await run_command("install", options, context=context, scheduler=scheduler)
    if not result.get("patch"):
        return []
    operations, _conflicts = create_patch_from_core(result["patch"])
    return operations
