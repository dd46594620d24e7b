"""wrapp.get: download a file (or folder) to a local path."""

from typing import Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def get(url: str, filename: Optional[str], overwrite: bool = False,
              context: CommandParameters = CommandParameters(), *, scheduler=None) -> None:
    """Copy the file at ``url`` to the local ``filename``.

    :param url: The file's path or URL.
    :param filename: Where to write it; None: its name in the current working directory.
    :param overwrite: Replace an existing file.
    """
    await run_command("get", {"url": location(url), "local_path": location(filename), "overwrite": overwrite},
                      context=context, scheduler=scheduler)
