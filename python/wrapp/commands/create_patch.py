"""wrapp.create_patch: the three-way patch that takes a target from a baseline to a new version."""

import os
import tempfile
from typing import List, Optional, Union

from wrapp.commands._common import location, run_command
from wrapp.datastructures.catalog import Catalog
from wrapp.datastructures.command_context import CommandParameters
from wrapp.datastructures.patch import PatchOpBase, create_patch_from_core


async def create_patch(a_catalog: Union[Catalog, str], b_catalog: Union[Catalog, str],
                       baseline: Union[Catalog, str], patch: Optional[str], tags: bool = False,
                       overwrite: bool = False, ignore: bool = False, force: bool = False,
                       context: CommandParameters = CommandParameters(), *, scheduler=None) -> List[PatchOpBase]:
    """Compute the operations that take the target A (as it is now) to B, given the baseline both started from.

    A path changed in A and in B differently is a conflict: left out (reported), or with ``force`` taken
    from B, or with ``ignore`` counted as resolved.

    :param a_catalog: The target as it is now (its root is the patch's target); a Catalog or a catalog file.
    :param b_catalog: The new version.
    :param baseline: What A and B both started from.
    :param patch: The patch file to write; None: only compute.
    :param overwrite: Replace an existing patch file.
    :returns: The operations in the order they execute.
    """
    with tempfile.TemporaryDirectory(prefix="wrapp-create-patch-") as folder:
        def as_file(value: Union[Catalog, str], name: str) -> str:
            if isinstance(value, Catalog):
                path = os.path.join(folder, name + ".json")
                import json
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(value.to_file_json(), f)
                return path
            return location(value)

        result = await run_command("create-patch", {
            "a_catalog": as_file(a_catalog, "a"), "b_catalog": as_file(b_catalog, "b"),
            "baseline": as_file(baseline, "baseline"), "patch": location(patch), "tags": tags,
            "overwrite": overwrite, "ignore": ignore, "force": force}, context=context, scheduler=scheduler)
    operations, _conflicts = create_patch_from_core(result)
    return operations
