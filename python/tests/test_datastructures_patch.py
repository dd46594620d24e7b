"""Patch operations and Patch: ordering, the patch file form, and execution by the core's apply-patch
(through a stand-in runner that drives the wrapp command line)."""

from __future__ import annotations

import shutil

import pytest

from datastructures_support import (
    FakeFailedCommand,
    FakeRunner,
    install_module,
    load_json,
    url,
    wrapp_cli,
    wrapp_json,
    write,
)
from wrapp.datastructures.catalog import ItemType, Tag
from wrapp.datastructures.patch import (
    Patch,
    PatchConflict,
    PatchOpAddTag,
    PatchOpBase,
    PatchOpCopy,
    PatchOpCreateFolder,
    PatchOpDelete,
    PatchOpDeleteTag,
    PatchOperationType,
    create_patch_from_core,
    patch_operation_from_file_json,
)


@pytest.fixture
def runner(monkeypatch, tmp_path):
    """wrapp._runner, standing in: runs apply-patch with the wrapp binary."""
    fake = FakeRunner(tmp_path / "runner")
    fake.workdir.mkdir()
    install_module(monkeypatch, "_runner", fake)
    return fake


def three_trees(root):
    """Catalogs of a baseline, a new version B and a target A with a local change; A is a copy of the baseline.

    Against the baseline, B changes keep.txt, adds new.txt and deletes gone.txt; A changes local.txt.
    """
    write(root / "base" / "keep.txt", "keep\n")
    write(root / "base" / "gone.txt", "gone\n")
    write(root / "base" / "local.txt", "local\n")
    shutil.copytree(root / "base", root / "b")
    shutil.copytree(root / "base", root / "a")
    (root / "b" / "keep.txt").write_text("keep, version two\n")
    write(root / "b" / "new.txt", "new\n")
    (root / "b" / "gone.txt").unlink()
    (root / "a" / "local.txt").write_text("changed here\n")
    for name in ("base", "b", "a"):
        wrapp_cli("catalog", str(root / name), str(root / f"{name}.json"))
    return root / "a.json", root / "b.json", root / "base.json"


def test_operation_types():
    assert {t.name: t.value for t in PatchOperationType} == {
        "add_tag": "add_tag",
        "copy": "copy",
        "create_folder": "create_folder",
        "delete": "delete",
        "delete_tag": "delete_tag",
    }
    with pytest.raises(TypeError):
        PatchOpBase(operation_type=PatchOperationType.copy)
    copy = PatchOpCopy(src="file:///s/x", dst="file:///t/x")
    assert copy.operation_type is PatchOperationType.copy and copy.item_type is ItemType.file and copy.hash is None
    assert [f for f in PatchOpCopy.model_fields][:5] == ["operation_type", "src", "dst", "hash", "item_type"]
    assert PatchOpDelete(url="u").operation_type == "delete"


def test_ordering_is_the_references():
    copy = PatchOpCopy(src="s", dst="file:///t/c")
    delete = PatchOpDelete(url="file:///t/d")
    add_tag = PatchOpAddTag(url="file:///t/a", tag=Tag(name="x"))
    delete_tag = PatchOpDeleteTag(url="file:///t/e", tag={"name": "y"})
    folder = PatchOpCreateFolder(url="file:///t/f")
    assert copy < add_tag < delete
    assert delete_tag < add_tag and folder < delete
    assert not delete < copy and not add_tag < copy and not copy < delete_tag and not delete < delete

    patch = Patch()
    added = [delete, add_tag, copy, PatchOpDelete(url="file:///t/b"), delete_tag, folder]
    for op in added:
        patch.add(op)
    ordered = patch.operations()
    assert ordered == sorted(added)
    assert [o.operation_type.value for o in ordered] == [
        "copy",
        "delete_tag",
        "create_folder",
        "add_tag",
        "delete",
        "delete",
    ]
    assert ordered[4] is delete  # the order added is kept within a group
    assert len(patch) == 6
    with pytest.raises(TypeError):
        patch.add({"operation_type": "delete", "url": "x"})


def test_explanations():
    assert PatchOpCopy(src="file:///s/x", dst="file:///t/x").explanation_txt() == "copy file:///s/x -> file:///t/x"
    assert PatchOpDelete(url="file:///t/x").explanation_txt() == "delete file:///t/x"
    assert "file:///t/f" in PatchOpCreateFolder(url="file:///t/f").explanation_txt()
    assert "reviewed" in PatchOpAddTag(url="u", tag=Tag(name="reviewed")).explanation_txt()
    assert PatchOpDeleteTag(url="u", tag="t").explanation_txt().startswith("delete tag")


def test_operation_file_json_both_ways():
    documents = [
        {"operation_type": "copy", "src": "s", "dst": "d", "hash": None, "size": 3, "item_type": "file"},
        {"operation_type": "delete", "url": "u"},
        {"operation_type": "create_folder", "url": "f"},
        {"operation_type": "add_tag", "url": "u", "tag": {"name": "n", "value": "v"}},
        {"operation_type": "delete_tag", "url": "u", "tag": ["any", "json"]},
    ]
    ops = [patch_operation_from_file_json(d) for d in documents]
    assert [type(o) for o in ops] == [PatchOpCopy, PatchOpDelete, PatchOpCreateFolder, PatchOpAddTag, PatchOpDeleteTag]
    assert [o.to_file_json() for o in ops] == documents
    copy = patch_operation_from_file_json({"operation_type": "copy", "src": "s", "dst": "d", "item_type": None, "x": 1})
    assert copy.item_type is ItemType.file and copy.size is None
    assert PatchOpAddTag(url="u", tag=Tag(name="n")).to_file_json()["tag"] == {"name": "n", "value": None}
    with pytest.raises(ValueError, match="unknown operation_type 'move'"):
        patch_operation_from_file_json({"operation_type": "move", "url": "u"})
    with pytest.raises(ValueError):
        patch_operation_from_file_json({"operation_type": "delete"})


def test_target():
    patch = Patch()
    with pytest.raises(ValueError):
        patch.target
    patch.add(PatchOpCopy(src="file:///elsewhere/x", dst="file:///t/a/b/x"))
    assert patch.target == "file:///t/a/b"
    patch.add(PatchOpDelete(url="file:///t/a/c/y"))
    patch.add(PatchOpDelete(url="file:///t/a/z"))
    assert patch.target == "file:///t/a"
    patch.add(PatchOpDelete(url="file:///top"))
    assert patch.target == "file:///"
    assert Patch(target="file:///given").target == "file:///given"
    spread = Patch()
    spread.add(PatchOpDelete(url="s3://one/x"))
    spread.add(PatchOpDelete(url="s3://two/x"))
    with pytest.raises(ValueError, match="share no folder"):
        spread.target


def test_create_patch_result_and_patch_file(tmp_path):
    a, b, base = three_trees(tmp_path)
    patch_file = tmp_path / "p.json"
    obj = wrapp_json("create-patch", str(a), str(b), str(base), str(patch_file))
    operations, conflicts = create_patch_from_core(obj)
    assert conflicts == []
    assert [(o.operation_type.value, getattr(o, "dst", None) or o.url) for o in operations] == [
        ("copy", url(tmp_path / "a" / "keep.txt")),
        ("copy", url(tmp_path / "a" / "new.txt")),
        ("delete", url(tmp_path / "a" / "gone.txt")),
    ]
    assert operations[0].size == len("keep, version two\n") and operations[0].hash.startswith("sha-256-flat;")

    document = load_json(patch_file)
    patch = Patch.from_file_json(document)
    assert patch.to_file_json() == document
    assert patch.target == url(tmp_path / "a")


def test_conflicts(tmp_path):
    a, b, base = three_trees(tmp_path)
    (tmp_path / "b" / "local.txt").write_text("changed upstream too\n")
    wrapp_cli("catalog", str(tmp_path / "b"), str(b))
    obj = wrapp_json("create-patch", str(a), str(b), str(base), str(tmp_path / "p.json"), ok_codes=(1,))
    _, conflicts = create_patch_from_core(obj)
    [conflict] = conflicts
    assert isinstance(conflict, PatchConflict)
    assert conflict.relative_path == "local.txt" and conflict.resolution == "unresolved"
    assert conflict.a.source_path == url(tmp_path / "a" / "local.txt") and conflict.b.size == 21
    assert "changed in A" in conflict.reason
    patch = Patch.from_file_json(load_json(tmp_path / "p.json"))
    assert patch.to_file_json() == load_json(tmp_path / "p.json")


@pytest.mark.asyncio
async def test_execute_applies_the_patch(tmp_path, runner):
    a, b, base = three_trees(tmp_path)
    obj = wrapp_json("create-patch", str(a), str(b), str(base), str(tmp_path / "p.json"))
    operations, _ = create_patch_from_core(obj)
    patch = Patch()
    for op in reversed(operations):
        patch.add(op)
    context, scheduler = object(), object()
    assert await patch.execute(context, scheduler) is True
    assert patch.get_errors() == [] and all(patch.get_error_msg(op) is None for op in operations)
    [(command, options, got_context, got_scheduler)] = runner.calls
    assert command == "apply-patch" and got_context is context and got_scheduler is scheduler
    assert options == {"patch_content": patch.to_file_json()}
    assert [o["operation_type"] for o in options["patch_content"]["operations"]] == ["copy", "copy", "delete"]
    assert (tmp_path / "a" / "keep.txt").read_text() == "keep, version two\n"
    assert (tmp_path / "a" / "new.txt").read_text() == "new\n"
    assert not (tmp_path / "a" / "gone.txt").exists()
    assert (tmp_path / "a" / "local.txt").read_text() == "changed here\n"


@pytest.mark.asyncio
async def test_execute_maps_failures_to_the_operations(tmp_path, runner):
    write(tmp_path / "src" / "x.txt", "xx")
    target = tmp_path / "t"
    write(target / "old.txt", "old")
    write(target / "keep.txt", "keep")
    bad_copy = PatchOpCopy(src=url(tmp_path / "src" / "x.txt"), dst=url(target / "x.txt"), size=5)
    tag = PatchOpAddTag(url=url(target / "keep.txt"), tag=Tag(name="reviewed"))
    good_delete = PatchOpDelete(url=url(target / "old.txt"))
    good_copy = PatchOpCopy(src=url(tmp_path / "src" / "x.txt"), dst=url(target / "y.txt"), size=2)
    patch = Patch(target=url(target))
    for op in (good_delete, tag, bad_copy, good_copy):
        patch.add(op)

    assert await patch.execute(None, None) is False
    errors = patch.get_errors()
    assert [op for op, _ in errors] == [bad_copy, tag]
    assert errors[0][0] is bad_copy and errors[1][0] is tag  # the objects that were added
    assert "expected 5" in patch.get_error_msg(bad_copy)
    assert "tag" in patch.get_error_msg(tag)
    assert patch.get_error_msg(good_delete) is None and patch.get_error_msg(good_copy) is None
    assert not (target / "old.txt").exists() and (target / "y.txt").read_text() == "xx"
    assert not (target / "x.txt").exists()


@pytest.mark.asyncio
async def test_execute_refused_patch_raises(tmp_path, runner):
    patch = Patch(target=url(tmp_path / "t"))
    patch.add(PatchOpDelete(url=url(tmp_path / "outside.txt")))
    with pytest.raises(FakeFailedCommand, match="not beneath the patch's target"):
        await patch.execute(None, None)


@pytest.mark.asyncio
async def test_empty_patch_succeeds_without_running(runner):
    assert await Patch().execute(None, None) is True
    assert runner.calls == []
