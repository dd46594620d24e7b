"""wrapp.create: freeze a folder (or a catalog) as a new immutable package version."""

from typing import Optional, Union

from wrapp.commands._common import ignore_options, location, run_command, warn_no_tags
from wrapp.datastructures.command_context import CommandParameters


async def create(package_name: str, version: str, source: str, catalog: bool, tags: bool = False,
                 ignores: Union[str, "IgnoreEvaluator", None] = None, repo: Optional[str] = None,  # noqa: F821
                 check_subpackage: bool = False, skip_dirty_check: bool = False, *,
                 context: CommandParameters = CommandParameters(), scheduler=None) -> None:
    """Create a new version of a package in a repository from a source folder or a catalog.

    The files are copied to ``<repo>/.packages/<package_name>/<version>/`` (hashed while they are
    copied), and the package file ``.<package_name>.wrapp`` is written last, so a reader never sees a
    half-written version. Nested ``.wrapp`` files become dependencies.

    :param package_name: Name of the package.
    :param version: Version to create; an existing version is never overwritten.
    :param source: Folder to package, or with ``catalog=True`` a catalog file listing the files.
    :param catalog: ``source`` is a catalog file.
    :param tags: Capture the Nucleus tags of the files (no storage of this build has tags: a warning).
    :param ignores: An ignore file (path or URL) or an IgnoreEvaluator; default ``<source>/.wrappignore``.
    :param repo: The repository URL or folder (required for local sources).
    :param check_subpackage: Read every subpackage version's package file in its repository before publishing.
    :param skip_dirty_check: Do not verify that nested installed subpackages are unmodified.
    :param context: The generic parameters (dry_run, hash_cache_file, ...).
    :param scheduler: Optionally pre-constructed SchedulerContext. When calling many functions in a row make
        sure to pre-construct the scheduler.
    :raises FailedCommand: When prerequisites are not matched (version exists, source missing, dirty subpackage).
    :raises StorageOperationError: Raised when network or file operations fail.
    """
    warn_no_tags("create", tags)
    options = {"package_name": package_name, "version": version, "source": location(source), "catalog": catalog,
               "repo": location(repo), "check_subpackage": check_subpackage, "skip_dirty_check": skip_dirty_check}
    if not catalog:
        options.update(ignore_options(ignores, location(source)))
    await run_command("create", options, context=context, scheduler=scheduler)
