"""wrapp.commands.count.count: size statistics of a catalog (a command-line command of the reference)."""

from typing import Any, Dict

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def count(catalog_file: str, context: CommandParameters = CommandParameters(), *,
                scheduler=None) -> Dict[str, Any]:
    """Count the files and bytes of a catalog file and print them as ``wrapp count`` does.

    The reference's Python API suggests ``len((await wrapp.Catalog.load(f)).items)`` instead; this
    function is kept for scripts written for 2.1.

    :returns: ``{"files", "bytes", "unique_contents", "unique_bytes", "duplicate_files", "folders"}`` (the
        reference returns None; the numbers are a wrapp addition).
    """
    result = await run_command("count", {"catalog_file": location(catalog_file)}, context=context,
                               scheduler=scheduler)
    print(f"{result['files']} files, {result['bytes']} bytes")
    return result
