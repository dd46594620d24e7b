"""wrapp.commands.cat.cat: print a file's content (a command-line command of the reference)."""

import sys
from typing import BinaryIO, List, Optional

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def cat(url: str, auth: Optional[List[str]] = None, interactive_auth: bool = False,
              log_file: Optional[str] = None, debug: bool = False, json_logging: bool = False, stats: bool = False,
              time: bool = False, *, output: Optional[BinaryIO] = None, context: Optional[CommandParameters] = None,
              scheduler=None) -> None:
    """Write the content of the file at ``url`` to standard output (or to ``output``, a binary stream).

    The parameters after ``url`` are the command line's generic options, as the reference's Typer function
    has them: ``log_file`` and ``debug`` apply (unless ``context`` is given); ``auth`` (credentials as
    ``--auth`` takes them) is added to the process's credentials; ``interactive_auth``, ``json_logging``,
    ``stats`` and ``time`` concern the command line's own output and are accepted without effect.

    :param url: The file's path or URL.
    :param output: Where the bytes go; default ``sys.stdout.buffer`` (a wrapp addition).
    """
    if auth:
        from wrapp.api import add_auth
        from wrapp.options import parse_auth
        for value in auth:
            add_auth(parse_auth(value))
    if context is None:
        context = CommandParameters(debug=debug, log_file=log_file)
    stream = output if output is not None else sys.stdout.buffer
    await run_command("cat", {"url": location(url), "sink": stream.write}, context=context, scheduler=scheduler)
    stream.flush()
