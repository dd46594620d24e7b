"""wrapp.apply_patch: execute the operations of a patch file."""

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters
from wrapp.utils.utils import FailedCommand, StorageOperationError


async def apply_patch(patch: str, *, context: CommandParameters = CommandParameters(), scheduler=None) -> None:
    """Apply a patch file written by create_patch or install.

    Every operation is checked before anything is written; then copies (verified), tags and deletes run.
    All operations run; when any failed, the failures are raised together afterwards.

    :param patch: The patch file (path or URL).
    :raises FailedCommand: A precondition failed (bad operation, bytes that do not match).
    :raises StorageOperationError: An operation failed in the storage.
    """
    result = await run_command("apply-patch", {"patch": location(patch)}, context=context, scheduler=scheduler)
    failed = result.get("failed") or []
    if failed:
        lines = [f["message"] for f in failed]
        storage = any(f.get("code") == "io" for f in failed)
        error = (StorageOperationError if storage else FailedCommand)(
            f"{len(failed)} operation(s) of patch '{patch}' failed: " + "; ".join(lines))
        error.code = failed[0].get("code", "generic")
        error.payload = lines
        raise error
