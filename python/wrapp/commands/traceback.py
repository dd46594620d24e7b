"""wrapp.traceback: where a package file came from, step by step."""

from typing import List

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def traceback(wrapp_file: str, *, context: CommandParameters = CommandParameters(),
                    scheduler=None) -> List[str]:
    """Follow a package file's repository and source pointers back to the original source.

    :returns: One line per step, the given file first, as ``wrapp traceback`` prints them (a cycle ends in
        "Circular reference detected").
    """
    node = await run_command("traceback", {"wrapp_file": location(wrapp_file)}, context=context, scheduler=scheduler)
    lines = []
    while node:
        lines.append(node["message"])
        node = node["children"][0] if node.get("children") else None
    return lines
