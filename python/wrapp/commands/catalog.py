"""wrapp.catalog: a catalog (bill of materials) of a folder or of a list of files."""

import os
import tempfile
from typing import List, Optional, Tuple, Union

from wrapp.commands._common import ignore_options, location, run_command, warn_no_tags
from wrapp.datastructures.catalog import Catalog
from wrapp.datastructures.command_context import CommandParameters


async def catalog(root_dir: Optional[str] = None, file_list: Union[str, List[Tuple[str, str]], None] = None,
                  tags: bool = False, ignores: Union[str, "IgnoreEvaluator", None] = None,  # noqa: F821
                  local_hash: bool = False, checkpoints: bool = True, skip_missing: bool = False, *,
                  context: CommandParameters = CommandParameters(), scheduler=None,
                  output: Optional[str] = None) -> Catalog:
    """Create a catalog of the files below ``root_dir`` (or of the files ``file_list`` names), returning a
    catalog manifest.

    :param root_dir: The folder to catalog.
    :param file_list: A TSV file of ``<base URL><tab><file URL>`` lines, or a list of such pairs.
    :param tags: Capture Nucleus tags (no storage of this build has tags).
    :param ignores: An ignore file (path or URL) or an IgnoreEvaluator; default ``<root_dir>/.wrappignore``.
    :param local_hash: Hash the files locally.
    :param checkpoints: Record Nucleus checkpoints (none exist on the storage of this build).
    :param skip_missing: Leave out listed files that do not exist (with a warning) instead of failing.
    :param output: Also write the catalog to this file (a wrapp addition).
    """
    warn_no_tags("catalog", tags)
    options = {"root_dir": location(root_dir) or "", "tags": tags, "local_hash": local_hash,
               "skip_missing": skip_missing, "output": location(output)}
    temporary = None
    if isinstance(file_list, (list, tuple)):
        handle, temporary = tempfile.mkstemp(prefix="wrapp-file-list-", suffix=".tsv")
        with os.fdopen(handle, "w", encoding="utf-8") as f:
            for base, url in file_list:
                f.write(f"{base}\t{url}\n")
        options["file_list"] = temporary
    else:
        options["file_list"] = location(file_list)
    if root_dir is not None:
        options.update(ignore_options(ignores, location(root_dir)))
    try:
        result = await run_command("catalog", options, context=context, scheduler=scheduler)
    finally:
        if temporary:
            os.unlink(temporary)
    return Catalog.from_file_json(result["catalog"], "catalog")
