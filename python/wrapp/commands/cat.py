"""wrapp.commands.cat.cat: print a file's content (a command-line command of the reference)."""

import sys
from typing import BinaryIO, Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def cat(url: str, *, output: Optional[BinaryIO] = None, context: Optional[CommandParameters] = None,
              scheduler=None) -> None:
    """Write the content of the file at ``url`` to standard output (or to ``output``, a binary stream).

    :param url: The file's path or URL.
    :param output: Where the bytes go; default ``sys.stdout.buffer``.
    """
    stream = output if output is not None else sys.stdout.buffer
    await run_command("cat", {"url": location(url), "sink": stream.write}, context=context, scheduler=scheduler)
    stream.flush()
