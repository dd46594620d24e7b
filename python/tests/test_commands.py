"""Each command of the Python API end to end on real folders, checked against the files and the CLI."""

import asyncio
import io
import json
import os
from pathlib import Path

import pytest

import wrapp
from conftest import cli, cli_json, make_tree

pytestmark = pytest.mark.asyncio


async def test_create_install_status_check_uninstall(tree: Path, repo: Path, tmp_path: Path):
    async with wrapp.ContextManager() as ctx:
        assert await wrapp.create("assets", "1.0", str(tree), catalog=False, repo=str(repo), scheduler=ctx) is None
        assert cli_json("list-repo", str(repo)) == [{"name": "assets", "versions": ["1.0"]}]
        listed = await wrapp.list_repo(str(repo), scheduler=ctx)
        assert listed == [((repo / ".packages" / "assets").as_uri(), ["1.0"])]

        work = tmp_path / "work"
        assert await wrapp.install("assets", "1.0", destination=str(work), repo=str(repo), scheduler=ctx) == []
        assert (work / "textures" / "wood.png").read_bytes() == (tree / "textures" / "wood.png").read_bytes()
        marker = str(work / ".assets.wrapp")
        assert await wrapp.status(marker, scheduler=ctx) == ([], {})

        (work / "scene.usd").write_bytes(b"changed")
        (work / "extra.txt").write_bytes(b"new")
        dirty, details = await wrapp.status(marker, scheduler=ctx)
        assert len(dirty) == 1 and dirty[0].endswith(".assets.wrapp")
        types = {i.status_item_type for i in details[dirty[0]]}
        assert wrapp.PackageStatusItemType.ITEM_DIFFERS in types
        assert wrapp.PackageStatusItemType.EXTRA_ITEM in types

        results = await wrapp.check_package_content(str(repo / ".packages/assets/1.0/.assets.wrapp"), scheduler=ctx)
        assert sorted(r.relative_path for r in results) == ["meshes/a/b/c.obj", "scene.usd", "textures/empty.txt",
                                                            "textures/wood.png"]
        assert all(r.ok for r in results)

        with pytest.raises(wrapp.FailedCommand) as refused:
            await wrapp.uninstall("assets", str(work), scheduler=ctx)
        assert refused.value.code == "modified"
        assert any("scene.usd" in p for p in refused.value.payload)
        assert (work / "scene.usd").exists()
        await wrapp.uninstall("assets", str(work), force=True, scheduler=ctx)
        assert not (work / "scene.usd").exists() and not (work / ".assets.wrapp").exists()


async def test_errors_carry_codes_and_leave_nothing_half_written(tree: Path, repo: Path):
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo))
    with pytest.raises(wrapp.FailedCommand) as exists:
        await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo))
    assert exists.value.code == "already_exists" and exists.value.exit_code == 1
    assert "assets" in str(exists.value)
    with pytest.raises(wrapp.FailedCommand) as missing:
        await wrapp.install("assets", "9", str(tree.parent / "w"), repo=str(repo))
    assert missing.value.code == "not_found"
    assert not (tree.parent / "w" / ".assets.wrapp").exists()
    with pytest.raises(wrapp.FailedCommand):
        await wrapp.create("bad/name", "1", str(tree), catalog=False, repo=str(repo))
    assert cli_json("list-repo", str(repo)) == [{"name": "assets", "versions": ["1"]}]
    # A storage failure is the other exception type.
    blocker = tree.parent / "file-not-folder"
    blocker.write_bytes(b"x")
    with pytest.raises((wrapp.StorageOperationError, wrapp.FailedCommand)) as failed:
        await wrapp.install("assets", "1", str(blocker / "sub"), repo=str(repo))
    assert failed.value.exit_code in (1, 2)


async def test_dry_run_writes_nothing(tree: Path, repo: Path):
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo),
                       context=wrapp.CommandParameters(dry_run=True))
    assert not repo.exists() or not any(repo.rglob("*.wrapp"))


async def test_catalog_diff_ls_get_cat_count(tree: Path, tmp_path: Path, capsys):
    catalog = await wrapp.catalog(str(tree))
    assert isinstance(catalog, wrapp.Catalog)
    assert {i.relative_path for i in catalog.items} == {"scene.usd", "textures/wood.png", "textures/empty.txt",
                                                        "meshes/a/b/c.obj"}
    cli("catalog", str(tree), str(tmp_path / "a.json"))
    cli_items = {i["relative_path"]: i["hash"] for i in json.loads((tmp_path / "a.json").read_text())["items"]}
    assert {i.relative_path: i.hash for i in catalog.items} == cli_items
    assert catalog.size_of_catalog() == sum((tree / p).stat().st_size for p in cli_items)

    (tree / "scene.usd").write_bytes(b"#usda 1.0\n# v2\n")
    (tree / "new.txt").write_bytes(b"n")
    (tree / "textures" / "empty.txt").unlink()
    await wrapp.catalog(str(tree), output=str(tmp_path / "b.json"))
    only_a, only_b, different = await wrapp.diff(str(tmp_path / "a.json"), str(tmp_path / "b.json"), False)
    assert [i["relative_path"] for i in only_a] == ["textures/empty.txt"]
    assert [i["relative_path"] for i in only_b] == ["new.txt"]
    assert [(a["relative_path"], b["relative_path"]) for a, b in different] == [("scene.usd", "scene.usd")]

    items = await wrapp.ls("", str(tree), recursive=True)
    assert {i.relative_path for i in items if i.item_type == wrapp.LsResultItemType.file} == {
        "scene.usd", "new.txt", "textures/wood.png", "meshes/a/b/c.obj"}
    assert any(i.item_type == wrapp.LsResultItemType.folder and i.relative_path == "meshes" for i in items)
    top = await wrapp.ls(str(tree), "textures", recursive=False, pattern=["*.png"])
    assert [i.relative_path for i in top] == ["wood.png"]

    await wrapp.get(str(tree / "scene.usd"), str(tmp_path / "got.usd"))
    assert (tmp_path / "got.usd").read_bytes() == b"#usda 1.0\n# v2\n"
    with pytest.raises(wrapp.FailedCommand):
        await wrapp.get(str(tree / "scene.usd"), str(tmp_path / "got.usd"))
    await wrapp.get(str(tree / "new.txt"), str(tmp_path / "got.usd"), overwrite=True)
    assert (tmp_path / "got.usd").read_bytes() == b"n"

    sink = io.BytesIO()
    await wrapp.commands.cat.cat(str(tree / "meshes/a/b/c.obj"), output=sink)
    assert sink.getvalue() == b"v 0 0 0\n" * 100
    counted = await wrapp.commands.count.count(str(tmp_path / "b.json"))
    assert counted["files"] == 4
    assert "4 files" in capsys.readouterr().out


async def test_file_list_catalog(tree: Path):
    base = tree.as_uri()
    catalog = await wrapp.catalog(file_list=[(base, (tree / "scene.usd").as_uri()),
                                             (base, (tree / "textures/wood.png").as_uri())])
    assert sorted(i.relative_path for i in catalog.items) == ["scene.usd", "textures/wood.png"]


async def test_mirror_export_import_extract(tree: Path, repo: Path, tmp_path: Path):
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo))
    other = tmp_path / "other"
    await wrapp.mirror("assets", "1", str(repo), str(other))
    cli("check", str(other / ".packages/assets/1/.assets.wrapp"))

    tar = tmp_path / "assets-1.tar"
    await wrapp.export_package(None, str(repo), "assets", "1", str(tar))
    third = tmp_path / "third"
    await wrapp.import_package(str(tar), str(third))
    assert cli_json("list-repo", str(third)) == [{"name": "assets", "versions": ["1"]}]
    cli("check", str(third / ".packages/assets/1/.assets.wrapp"))

    catalog = await wrapp.extract_catalog("assets", "1", str(repo), False)
    assert catalog.root == (repo / ".packages/assets/1").as_uri()
    assert len(catalog.items) == 4
    with pytest.raises(wrapp.FailedCommand):
        await wrapp.export_package(None, str(repo), "assets", "1", str(tar))
    await wrapp.export_package(None, str(repo), "assets", "1", str(tar), overwrite=True, dedup=True)


async def test_new_metapackage_tree_commands(tree: Path, repo: Path, tmp_path: Path):
    lib = make_tree(tmp_path / "lib", {"lib.txt": b"lib"})
    await wrapp.create("lib", "1", str(lib), catalog=False, repo=str(repo))
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo))
    content = wrapp.DependencySet()
    content.add(wrapp.Dependency(package="lib", version="1", repository=str(repo), relative_destination="libs/lib"))
    content.add(wrapp.Dependency(package="assets", version="1", repository=str(repo), relative_destination="assets"))
    await wrapp.create_metapackage("app", "1", str(repo), content)
    work = tmp_path / "app"
    await wrapp.install("app", "1", str(work), repo=str(repo))
    assert (work / "libs/lib/lib.txt").read_bytes() == b"lib"
    installed = await wrapp.installed_package_list(str(work / ".app.wrapp"))
    assert sorted(p.name for p in installed) == ["app", "assets", "lib"]
    lines = await wrapp.traceback(str(work / "libs/lib/.lib.wrapp"))
    assert len(lines) >= 2 and "lib" in lines[1]

    flat = await wrapp.extract_catalog("app", "1", str(repo), True)
    assert {"libs/lib/lib.txt", "assets/scene.usd"} <= {i.relative_path for i in flat.items}

    await wrapp.create("old", "1", str(lib), catalog=False, repo=str(repo))
    orphans = await wrapp.find_orphaned_package_versions(
        [wrapp.UniquePackageLocation(package="app", version="1", repository=str(repo))], [str(repo)])
    assert [(o.package, o.version) for o in orphans] == [("old", "1")]
    await wrapp.delete_packages_from_repo(orphans)
    assert sorted(p["name"] for p in cli_json("list-repo", str(repo))) == ["app", "assets", "lib"]

    folder = make_tree(tmp_path / "newpkg", {"x.txt": b"x"})
    await wrapp.new("mine", "0.1", str(folder), True)
    info = await wrapp.read_package_info(str(folder / ".mine.wrapp"))
    assert info.name == "mine" and [i.relative_path for i in info.catalog.items] == ["x.txt"]

    redirect = tmp_path / "redirect"
    written = await wrapp.publish_redirect(str(repo), str(redirect))
    assert len(written) == 3 and all(w.endswith(".wrapp") for w in written)

    frozen = tmp_path / "frozen"
    await wrapp.freeze(str(tree), str(frozen), False)
    assert (frozen / "textures/wood.png").read_bytes() == (tree / "textures/wood.png").read_bytes()


async def test_create_patch_and_apply_patch(tree: Path, tmp_path: Path):
    base = await wrapp.catalog(str(tree))
    target = tmp_path / "target"
    await wrapp.freeze(str(tree), str(target), False)
    new = make_tree(tmp_path / "new", {"scene.usd": b"v2", "added.txt": b"+"})
    a = await wrapp.catalog(str(target))
    b = await wrapp.catalog(str(new))
    patch_file = tmp_path / "p.json"
    operations = await wrapp.create_patch(a, b, base, str(patch_file))
    assert patch_file.exists()
    kinds = sorted(op.operation_type.value for op in operations)
    assert kinds.count("copy") == 2 and "delete" in kinds
    await wrapp.apply_patch(str(patch_file))
    assert (target / "scene.usd").read_bytes() == b"v2" and (target / "added.txt").read_bytes() == b"+"
    assert not (target / "textures/wood.png").exists()

    # The Patch class runs operations built in Python.
    patch = wrapp.Patch()
    patch.add(wrapp.PatchOpDelete(url=(target / "added.txt").as_uri()))
    patch.add(wrapp.PatchOpCopy(src=(new / "scene.usd").as_uri(), dst=(target / "copy.usd").as_uri(),
                                hash=b.items[1].hash if b.items[1].relative_path == "scene.usd" else b.items[0].hash))
    async with wrapp.WrappScheduler() as scheduler:
        ok = await patch.execute(wrapp.CommandParameters(), scheduler)
    assert ok, patch.get_errors()
    assert not (target / "added.txt").exists() and (target / "copy.usd").read_bytes() == b"v2"


async def test_install_patch_returns_operations(tree: Path, repo: Path, tmp_path: Path):
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo))
    (tree / "scene.usd").write_bytes(b"second version")
    await wrapp.create("assets", "2", str(tree), catalog=False, repo=str(repo))
    work = tmp_path / "work"
    await wrapp.install("assets", "1", str(work), repo=str(repo))
    (work / "scene.usd").write_bytes(b"mine")
    with pytest.raises(wrapp.FailedCommand) as conflict:
        await wrapp.install("assets", "2", str(work), repo=str(repo))
    assert conflict.value.payload
    operations = await wrapp.install("assets", "2", str(work), repo=str(repo), patch=str(tmp_path / "left.json"))
    assert [op.operation_type for op in operations] == [wrapp.PatchOperationType.copy]
    assert (work / "scene.usd").read_bytes() == b"mine"


async def test_package_info_round_trip_and_hash(tree: Path, repo: Path, tmp_path: Path):
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo))
    url = str(repo / ".packages/assets/1/.assets.wrapp")
    info = await wrapp.read_package_info(url)
    copy = tmp_path / "copy.wrapp"
    written = await wrapp.write_package_info(str(copy), info)
    assert written.endswith("copy.wrapp")
    assert json.loads(copy.read_text()) == json.loads(Path(url).read_text())
    with open(tree / "textures/wood.png", "rb") as f:
        digest, size = wrapp.calc_nucleus_hash_from_stream(f)
    assert size == 3 * 1024 * 1024
    assert digest == next(i.hash for i in info.catalog.items if i.relative_path == "textures/wood.png")
    assert wrapp.calc_nucleus_hash_from_stream(io.BytesIO(b""))[1] == 0
    with pytest.raises(wrapp.FailedCommand):
        await wrapp.write_package_info(str(copy), wrapp.PackageInfo(name="bad/name", version="1"))


async def test_hash_cache_and_log_file(tree: Path, repo: Path, tmp_path: Path):
    context = wrapp.CommandParameters(hash_cache_file=str(tmp_path / "hc.json"), log_file=str(tmp_path / "log.txt"),
                                      verbose=True)
    await wrapp.catalog(str(tree), context=context)
    assert (tmp_path / "hc.json").stat().st_size > 0
    await wrapp.create("assets", "1", str(tree), catalog=False, repo=str(repo), context=context)
    assert (tmp_path / "log.txt").read_text().strip()


async def test_ignore_evaluator_reaches_the_core(tree: Path, repo: Path):
    evaluator = wrapp.IgnoreEvaluator(str(tree), lambda path: path.endswith(".obj") or path.endswith("textures/"))
    catalog = await wrapp.catalog(str(tree), ignores=evaluator)
    assert [i.relative_path for i in catalog.items] == ["scene.usd"]
    (tree / ".wrappignore").write_text("*.usd\n")
    catalog = await wrapp.catalog(str(tree))
    assert "scene.usd" not in {i.relative_path for i in catalog.items}
    ignore_file = tree.parent / "my.ignore"
    ignore_file.write_text("meshes/\n")
    catalog = await wrapp.catalog(str(tree), ignores=str(ignore_file))
    assert {i.relative_path for i in catalog.items} == {".wrappignore", "scene.usd", "textures/wood.png",
                                                        "textures/empty.txt"}

    def broken(path):
        raise ValueError("no")
    with pytest.raises(wrapp.FailedCommand, match="ignore"):
        await wrapp.catalog(str(tree), ignores=wrapp.IgnoreEvaluator(str(tree), broken))
