"""wrapp.diff: compare two catalogs."""

from typing import Any, Dict, List, Tuple

from wrapp.commands._common import location, run_command


async def diff(catalog_a: str, catalog_b: str, ignore_tags: bool, *, context=None, scheduler=None
               ) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]], List[Tuple[Dict[str, Any], Dict[str, Any]]]]:
    """Compare two catalog files (or package files).

    :param catalog_a: The first catalog.
    :param catalog_b: The second catalog.
    :param ignore_tags: Compare content only, not tags.
    :returns: ``(only_in_a, only_in_b, different)``: items (as catalog item dicts) only in A, only in B, and
        the pairs ``(item in A, item in B)`` whose content differs.
    """
    result = await run_command("diff", {"catalog_a": location(catalog_a), "catalog_b": location(catalog_b),
                                        "ignore_tags": ignore_tags}, context=context, scheduler=scheduler)
    return (result["only_in_a"], result["only_in_b"], [(d["a"], d["b"]) for d in result["different"]])
