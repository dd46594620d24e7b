"""Patches: operations that turn one file tree into another, and their execution.

The operation models follow the patch file format (docs/formats.md, "Patch
files"): each operation is a JSON object with ``operation_type`` and the
members of its type; :meth:`PatchOpBase.to_file_json` and
:func:`patch_operation_from_file_json` convert both ways.

:class:`Patch` collects operations, orders them as the reference does (every
other operation first, then the ``add_tag`` operations, then the deletes) and
executes them through the compiled core's ``apply-patch``. The core's result
(the C++ ``ApplyPatchResult`` JSON: ``{"patch_file", "target", "dry_run",
"applied", "failed": [{"operation", "message", "code"}], "operations",
"conflicts"}``) is mapped back to the operation objects that were added, for
:meth:`Patch.get_errors`.

:func:`create_patch_from_core` converts the ``create-patch`` result
(``{"patch_file", "unresolved_conflicts", "patch": <patch file JSON>}``) into
the reference's ``(operations, conflicts)``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, Dict, List, Literal, Optional, Tuple

from pydantic import BaseModel

from wrapp.datastructures.catalog import CURRENT_FORMAT_VERSION, ItemType, Tag, check_format_version

__all__ = [
    "PATCH_FORMAT_VERSION",
    "ConflictSide",
    "Patch",
    "PatchConflict",
    "PatchOpAddTag",
    "PatchOpBase",
    "PatchOpCopy",
    "PatchOpCreateFolder",
    "PatchOpDelete",
    "PatchOpDeleteTag",
    "PatchOperationType",
    "create_patch_from_core",
    "patch_operation_from_file_json",
]

#: Written into every patch file as ``wrapp_patch_version``.
PATCH_FORMAT_VERSION = CURRENT_FORMAT_VERSION


class PatchOperationType(str, Enum):
    """Enum for the different patch operations. Each key has its name as a string value."""

    add_tag = "add_tag"
    """Enum value indicating :class:`PatchOpAddTag`"""
    copy = "copy"
    """Enum value indicating :class:`PatchOpCopy`"""
    create_folder = "create_folder"
    """Enum value indicating :class:`PatchOpCreateFolder`"""
    delete = "delete"
    """Enum value indicating :class:`PatchOpDelete`"""
    delete_tag = "delete_tag"
    """Enum value indicating :class:`PatchOpDeleteTag`"""


# The reference's order of execution: every other operation, then add_tag, then delete.
_PHASE = {PatchOperationType.add_tag: 1, PatchOperationType.delete: 2}


def _tag_json(tag: Any) -> Any:
    """A tag as the patch file holds it: a Tag model as its JSON object, anything else as it is."""
    return tag.model_dump() if isinstance(tag, Tag) else tag


class PatchOpBase(BaseModel, ABC):
    """Abstract base class for patch operations. Each concrete class has a field "operation_type" of type
    :class:`PatchOperationType`.

    Operations compare with ``<`` by their order of execution: all operations other than adding tags and
    deleting files come first, then the operations adding tags, then the deletes. Sorting a list of
    operations (a stable sort) therefore keeps the order of operations within each group.
    """

    operation_type: PatchOperationType
    """The kind of the operation"""

    @abstractmethod
    def explanation_txt(self) -> str:
        """Description of the patch operation."""

    @abstractmethod
    def to_file_json(self) -> Dict[str, Any]:
        """Return the operation as a patch file holds it: ``operation_type`` and the members of its type."""

    def execution_phase(self) -> int:
        """Return when the operation runs: 0 (all others), 1 (adding tags) or 2 (deleting files)."""
        return _PHASE.get(self.operation_type, 0)

    def __lt__(self, other: "PatchOpBase") -> bool:
        """Order of execution: True when this operation runs in an earlier group than ``other``."""
        if not isinstance(other, PatchOpBase):
            return NotImplemented
        return self.execution_phase() < other.execution_phase()


class PatchOpCopy(PatchOpBase):
    """Patch operation copying a file."""

    operation_type: Literal[PatchOperationType.copy] = PatchOperationType.copy
    src: str
    """The source file."""
    dst: str
    """The target file path."""
    hash: Optional[str] = None
    """If available, the hash of the source file for optimization"""
    item_type: ItemType = ItemType.file
    """Deprecated - WRAPP only copies files which implicitly creates folders."""
    size: Optional[int] = None
    """If available, the size of the source file (verified with the hash while copying)"""

    def explanation_txt(self) -> str:
        """Description of the patch operation."""
        return f"copy {self.src} -> {self.dst}"

    def to_file_json(self) -> Dict[str, Any]:
        """Return the operation as a patch file holds it."""
        return {
            "operation_type": self.operation_type.value,
            "src": self.src,
            "dst": self.dst,
            "hash": self.hash,
            "size": self.size,
            "item_type": self.item_type.value,
        }


class _PatchOpUrl(PatchOpBase):
    """The file form shared by the operations on one URL."""

    url: str
    """The URL the operation is about."""

    def to_file_json(self) -> Dict[str, Any]:
        """Return the operation as a patch file holds it."""
        return {"operation_type": self.operation_type.value, "url": self.url}


class PatchOpDelete(_PatchOpUrl):
    """Patch operation deleting a file."""

    operation_type: Literal[PatchOperationType.delete] = PatchOperationType.delete
    url: str
    """The URL of the deleted file."""

    def explanation_txt(self) -> str:
        """Description of the patch operation."""
        return f"delete {self.url}"


class PatchOpCreateFolder(_PatchOpUrl):
    """Patch operation to create a folder. Only for backwards compatibility.

    Deprecated since version 1.2.0: writing a file creates its folders. The core accepts the operation
    and does nothing for it.
    """

    operation_type: Literal[PatchOperationType.create_folder] = PatchOperationType.create_folder
    url: str
    """The URL of the folder to create."""

    def explanation_txt(self) -> str:
        """Description of the patch operation."""
        return f"create folder {self.url}"


class _PatchOpTag(_PatchOpUrl):
    """The members and file form shared by the tag operations."""

    url: str
    """The URL of the tagged file."""
    tag: Any
    """The tag: a :class:`~wrapp.datastructures.catalog.Tag`, or any JSON value as the patch file holds it."""

    def to_file_json(self) -> Dict[str, Any]:
        """Return the operation as a patch file holds it."""
        return {"operation_type": self.operation_type.value, "url": self.url, "tag": _tag_json(self.tag)}


class PatchOpAddTag(_PatchOpTag):
    """Patch operation adding a tag to a file.

    No storage backend of this implementation holds tags: executing the operation fails.
    """

    operation_type: Literal[PatchOperationType.add_tag] = PatchOperationType.add_tag

    def explanation_txt(self) -> str:
        """Description of the patch operation."""
        return f"add tag {_tag_json(self.tag)} to {self.url}"


class PatchOpDeleteTag(_PatchOpTag):
    """Patch operation removing a tag from a file.

    No storage backend of this implementation holds tags: executing the operation fails.
    """

    operation_type: Literal[PatchOperationType.delete_tag] = PatchOperationType.delete_tag

    def explanation_txt(self) -> str:
        """Description of the patch operation."""
        return f"delete tag {_tag_json(self.tag)} from {self.url}"


_OPERATION_CLASSES = {
    PatchOperationType.copy: PatchOpCopy,
    PatchOperationType.delete: PatchOpDelete,
    PatchOperationType.create_folder: PatchOpCreateFolder,
    PatchOperationType.add_tag: PatchOpAddTag,
    PatchOperationType.delete_tag: PatchOpDeleteTag,
}


def patch_operation_from_file_json(obj: Dict[str, Any]) -> PatchOpBase:
    """Build the operation object for one operation of a patch file.

    Members of other operation types and unknown members are ignored, as the core ignores them.

    :param obj: The operation's JSON object
    :return: The PatchOpCopy, PatchOpDelete, PatchOpCreateFolder, PatchOpAddTag or PatchOpDeleteTag
    :raises ValueError: If the object has no known ``operation_type`` or lacks a required member
    """
    if not isinstance(obj, dict):
        raise ValueError("a patch operation is not a JSON object")
    try:
        kind = PatchOperationType(obj.get("operation_type"))
    except ValueError:
        raise ValueError(
            f"unknown operation_type {obj.get('operation_type')!r} "
            "(expected copy, delete, add_tag, delete_tag or create_folder)"
        ) from None
    cls = _OPERATION_CLASSES[kind]
    members = {k: v for k, v in obj.items() if k in cls.model_fields}
    if kind == PatchOperationType.copy and members.get("item_type") is None:
        members.pop("item_type", None)
    return cls.model_validate(members)


class ConflictSide(BaseModel):
    """The state of a conflicting path in one of the three trees of a patch."""

    source_path: Optional[str] = None
    """The URL of the file in that tree"""
    hash: Optional[str] = None
    """Its content hash, if known"""
    size: Optional[int] = None
    """Its size, if known"""


class PatchConflict(BaseModel):
    """A path that both trees changed since their common ancestor, as ``create_patch`` reports it."""

    relative_path: str
    """The path below the patch's target"""
    reason: Optional[str] = None
    """What each side did, e.g. ``changed in A, deleted in B``"""
    resolution: str = "unresolved"
    """``unresolved`` (no operation), ``ignored`` (no operation, on purpose) or ``forced`` (B's version taken)"""
    a: Optional[ConflictSide] = None
    """The path in A (the target); None when A does not have it"""
    b: Optional[ConflictSide] = None
    """The path in B (the new version); None when B does not have it"""
    baseline: Optional[ConflictSide] = None
    """The path in the baseline; None when the baseline does not have it"""


def _common_folder(urls: List[str]) -> str:
    """The deepest folder holding every URL of ``urls``."""
    common: Optional[List[str]] = None
    for url in urls:
        parent = url.rsplit("/", 1)[0].split("/") if "/" in url else [""]
        if common is None:
            common = parent
            continue
        n = 0
        while n < min(len(common), len(parent)) and common[n] == parent[n]:
            n += 1
        common = common[:n]
    target = "/".join(common or [])
    if target == "":
        return "/"
    if target == "file://":
        return "file:///"
    if target.endswith(":") or target.endswith(":/") or target.endswith("://"):
        raise ValueError("the patch operations share no folder; give the Patch a target")
    return target


class Patch:
    """Class to execute a set of patch operations returned by "install" efficiently and in the correct order.
    To execute all patch operations in a list, create an object of this class, use :meth:`Patch.add` to add
    all operations, and run :meth:`Patch.execute`.

    The correct order of operations is determined by the '<' operator for PatchOpBase.

    :param target: The root URL of the tree the patch changes; every operation's URL must lie beneath it.
        Default: the deepest folder holding every file the operations change.
    """

    def __init__(self, *, target: Optional[str] = None) -> None:
        self._target = target
        self._operations: List[PatchOpBase] = []
        self._errors: List[Tuple[PatchOpBase, str]] = []
        #: The conflicts of a patch read from a patch file (written back by :meth:`to_file_json`).
        self.conflicts: List[PatchConflict] = []

    def add(self, operation: PatchOpBase) -> None:
        """Add a patch operation to this patch. All operations are executed in the order they are added to the
        Patch object, with the exception of adding tag and deleting files: all other operations are executed
        first, followed by all operations adding tags, and then all operations deleting files.

        :param operation: The operation to add
        """
        if not isinstance(operation, PatchOpBase):
            raise TypeError(f"not a patch operation: {operation!r}")
        self._operations.append(operation)

    def operations(self) -> List[PatchOpBase]:
        """Return the operations in the order they are executed."""
        return sorted(self._operations)

    def __len__(self) -> int:
        """Return the number of operations."""
        return len(self._operations)

    @property
    def target(self) -> str:
        """The root URL of the tree the patch changes (given, or the deepest folder holding every file the
        operations change).

        :raises ValueError: If no target was given and the patch is empty or its files share no folder
        """
        if self._target:
            return self._target
        if not self._operations:
            raise ValueError("an empty patch has no target")
        return _common_folder([getattr(op, "dst", None) or getattr(op, "url") for op in self._operations])

    def to_file_json(self) -> Dict[str, Any]:
        """Return the patch as a patch file holds it (docs/formats.md, "Patch files").

        :return: ``wrapp_patch_version``, ``target``, ``operations`` in execution order, ``conflicts``
        """
        return {
            "wrapp_patch_version": PATCH_FORMAT_VERSION,
            "target": self.target,
            "operations": [op.to_file_json() for op in self.operations()],
            "conflicts": [c.model_dump() for c in self.conflicts],
        }

    @classmethod
    def from_file_json(cls, document: Dict[str, Any]) -> "Patch":
        """Build a patch from the parsed JSON object of a patch file.

        :param document: The patch file's JSON object
        :return: The patch, with its target, operations and conflicts
        :raises ValueError: If the object is not a patch file, or was written by a newer wrapp
        """
        if not isinstance(document, dict):
            raise ValueError("a patch file is not a JSON object")
        check_format_version(document, "wrapp_patch_version", "patch file", "patch format")
        if not isinstance(document.get("operations"), list):
            raise ValueError("the patch file has no 'operations' list")
        patch = cls(target=document.get("target") or None)
        for op in document["operations"]:
            patch.add(patch_operation_from_file_json(op))
        patch.conflicts = [PatchConflict.model_validate(c) for c in document.get("conflicts") or []]
        return patch

    def get_errors(self) -> List[Tuple[PatchOpBase, str]]:
        """Return all errors encountered during :meth:`Patch.execute` as a list of tuples, first the failed
        patch operation as :class:`PatchOpBase`, secondly the error message.
        """
        return list(self._errors)

    def get_error_msg(self, operation: PatchOpBase) -> Optional[str]:
        """Check if the given operation has failed and return the error message for the operation if it
        failed, or None if it succeeded.

        :param operation: An operation of this patch
        """
        for failed, message in self._errors:
            if failed is operation:
                return message
        for failed, message in self._errors:
            if failed == operation:
                return message
        return None

    def _record_failures(self, result: Dict[str, Any]) -> None:
        """Map the core's failed operations back to the operation objects of this patch."""
        self._errors = []
        claimed: set = set()
        ordered = self.operations()
        for failure in result.get("failed") or []:
            wanted = failure.get("operation") or {}
            message = str(failure.get("message", ""))
            match = next(
                (i for i, op in enumerate(ordered) if i not in claimed and op.to_file_json() == wanted), None
            )
            if match is None:  # the same file and kind, spelled differently
                where = wanted.get("dst") or wanted.get("url")
                match = next(
                    (
                        i
                        for i, op in enumerate(ordered)
                        if i not in claimed
                        and op.operation_type.value == wanted.get("operation_type")
                        and (getattr(op, "dst", None) or getattr(op, "url", None)) == where
                    ),
                    None,
                )
            if match is None:
                try:
                    operation = patch_operation_from_file_json(wanted)
                except ValueError:
                    continue
            else:
                claimed.add(match)
                operation = ordered[match]
            self._errors.append((operation, message))

    async def execute(self, context: Any, scheduler: Any) -> bool:
        """Execute all operations in the patch. Return true if all operations succeed or if the Patch is empty.

        Errors in all patch operations are gathered. If any error occurred, False is returned and the errors
        can be retrieved through :meth:`Patch.get_errors`.

        :param context: The CommandParameters of the run (``dry_run`` only checks the operations)
        :param scheduler: The SchedulerContext to run on
        :return: True when no operation failed
        :raises FailedCommand: If the patch as a whole is refused before anything is executed (an operation
            outside the target, a path changed twice, ...)
        """
        self._errors = []
        if not self._operations:
            return True
        from wrapp import _runner

        result = await _runner.run_command(
            "apply-patch", {"patch_content": self.to_file_json()}, context=context, scheduler=scheduler
        )
        self._record_failures(result or {})
        return not self._errors


def create_patch_from_core(obj: Dict[str, Any]) -> Tuple[List[PatchOpBase], List[PatchConflict]]:
    """Convert the core's ``create-patch`` result to the reference's return value of ``create_patch``.

    :param obj: ``{"patch_file", "unresolved_conflicts", "patch": <patch file JSON>}``, or the patch file JSON
    :return: The operations in execution order, and the conflicts by path
    """
    document = obj.get("patch", obj) if isinstance(obj, dict) else obj
    operations = [patch_operation_from_file_json(op) for op in document.get("operations") or []]
    conflicts = [PatchConflict.model_validate(c) for c in document.get("conflicts") or []]
    return sorted(operations), conflicts
