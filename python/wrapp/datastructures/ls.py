"""Directory listings: the result of ``ls``.

Conversion from the compiled core: :func:`ls_result_from_core` takes the C++
``to_json`` of the ls result (what ``wrapp ls --output-format json`` prints), a
list of ``{"relative_path", "source_path", "item_type": "file" | "folder",
"size", "hash"}``, and returns ``List[LsResultItem]``. :func:`format_ls_items`
renders items as the command line prints them in each :class:`LsOutputFormat`.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Dict, List, Optional

from pydantic import BaseModel

__all__ = ["LsOutputFormat", "LsResultItem", "LsResultItemType", "format_ls_items", "ls_result_from_core"]


class LsResultItemType(Enum):
    """Designated the type of the item that can be produced by a list"""

    file = "file"
    """A file"""
    folder = "folder"
    """A folder"""


class LsOutputFormat(Enum):
    """The output formats of ``ls`` when it prints to the console"""

    normal = "normal"
    """One relative path per line, folders with a trailing ``/`` (with hashes: path, tab, hash)"""
    tsv = "tsv"
    """Base URL, URL, size and hash separated by tabs: the ``--file-list`` input of ``catalog``"""
    json = "json"
    """A JSON list of the items"""


class LsResultItem(BaseModel):
    """TheLsResultItem represents a single directory entry returned by the ls command, and it could be a file
    or a folder.
    """

    relative_path: str
    """The primary key in the catalog, the location of the item relative to the root of the catalog"""
    source_path: str
    """An absolute URL pointing to the content of the item at the time of catalog creation"""
    hash: Optional[str] = None
    """A content-based hash. For comparison, be aware there are multiple algorithms around."""
    size: Optional[int] = None
    """The size of the item. None if the item is a folder."""
    item_type: LsResultItemType
    """Designating the item as a file or folder"""

    def to_core(self) -> Dict[str, Any]:
        """Return the item as ``wrapp ls --output-format json`` prints it."""
        return {
            "relative_path": self.relative_path,
            "source_path": self.source_path,
            "item_type": self.item_type.value,
            "size": self.size,
            "hash": self.hash,
        }


def ls_result_from_core(obj: List[Dict[str, Any]]) -> List[LsResultItem]:
    """Convert the core's ls result.

    :param obj: A list of ``{"relative_path", "source_path", "item_type", "size", "hash"}`` objects
    :return: The items, sorted by relative path as the core lists them
    """
    return [
        LsResultItem(
            relative_path=o["relative_path"],
            source_path=o["source_path"],
            hash=o.get("hash"),
            size=o.get("size"),
            item_type=LsResultItemType(o["item_type"]),
        )
        for o in obj
    ]


def format_ls_items(
    items: List[LsResultItem],
    output_format: LsOutputFormat = LsOutputFormat.normal,
    base_url: str = "",
    with_hash: bool = False,
) -> str:
    """Render items as ``wrapp ls`` prints them.

    :param items: The items to render
    :param output_format: normal, tsv or json
    :param base_url: The URL listed (the first column of tsv)
    :param with_hash: In the normal format, print each file's hash after its path
    :return: The text, one line per item (json: one document), ending with a newline unless empty
    """
    output_format = LsOutputFormat(output_format)
    if output_format == LsOutputFormat.json:
        return json.dumps([i.to_core() for i in items], indent=2, sort_keys=True) + "\n"
    lines = []
    for i in items:
        folder = i.item_type == LsResultItemType.folder
        if output_format == LsOutputFormat.tsv:
            size = "" if folder or i.size is None else str(i.size)
            lines.append(f"{base_url}\t{i.source_path}\t{size}\t{i.hash or ''}")
        elif with_hash and not folder:
            lines.append(f"{i.relative_path}\t{i.hash or ''}")
        else:
            lines.append(i.relative_path + ("/" if folder else ""))
    return "".join(line + "\n" for line in lines)
