"""wrapp.freeze: copy a folder (or the files of a catalog) to a new folder, verified."""

from typing import Union

from wrapp.commands._common import ignore_options, location, run_command, warn_no_tags
from wrapp.datastructures.command_context import CommandParameters


async def freeze(source: str, destination: str, catalog: bool, tags: bool = False,
                 ignores: Union[str, "IgnoreEvaluator", None] = None, *,  # noqa: F821
                 skip_missing: bool = False, overwrite: bool = False,
                 context: CommandParameters = CommandParameters(), scheduler=None) -> None:
    """Freeze a folder, or the files a catalog lists, into ``destination`` (every byte verified).

    :param source: A folder, or with ``catalog=True`` a catalog file.
    :param destination: A folder that is absent or empty (any with ``overwrite``).
    :param catalog: ``source`` is a catalog file.
    :param tags: Copy Nucleus tags (no storage of this build has tags).
    :param ignores: Ignore rules for a source folder (file path or URL, or an IgnoreEvaluator).
    """
    warn_no_tags("freeze", tags)
    options = {"source": location(source), "destination": location(destination), "catalog": catalog,
               "skip_missing": skip_missing, "overwrite": overwrite}
    if not catalog:
        options.update(ignore_options(ignores, location(source)))
    await run_command("freeze", options, context=context, scheduler=scheduler)
