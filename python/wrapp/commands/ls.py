"""wrapp.ls: list the files and folders at a URL."""

from typing import List, Optional

from wrapp.commands._common import location, run_command, to_url
from wrapp.datastructures.ls import LsOutputFormat, LsResultItem, format_ls_items, ls_result_from_core


async def ls(base_url: str, url: str, recursive: bool, pattern: Optional[List[str]] = None,
             output_format: LsOutputFormat = LsOutputFormat.normal, print_to_console: bool = False, *,
             with_hash: bool = False, scheduler=None) -> List[LsResultItem]:
    """List the items at ``url``.

    :param base_url: The URL ``url`` is relative to ("" when ``url`` is absolute).
    :param url: What to list: a folder (or file) path or URL.
    :param recursive: Include everything below the folder.
    :param pattern: Glob patterns; only names matching one are listed.
    :param output_format: The format of what print_to_console prints.
    :param print_to_console: Print the items as ``wrapp ls`` does.
    :param with_hash: Hash the files (a wrapp addition; otherwise hash is None).
    :returns: One LsResultItem per file or folder.
    """
    target = location(url)
    if base_url and "://" not in target and not target.startswith("/"):
        target = location(base_url).rstrip("/") + "/" + target
    result = await run_command("ls", {"url": target, "recursive": recursive, "patterns": list(pattern or []),
                                      "with_hash": with_hash}, scheduler=scheduler)
    items = ls_result_from_core(result)
    if print_to_console:
        text = format_ls_items(items, output_format, to_url(target), with_hash)
        print(text, end="" if text.endswith("\n") else "\n")
    return items
