"""The workflow of real scripts (spec Appendix D): create a version, write extra files into it, amend its
catalog with their hashes, then install, export and check it."""

import json
import tarfile
from pathlib import Path

import pytest

import wrapp
from conftest import cli, make_tree
from wrapp.datastructures.catalog import CatalogItem
from wrapp.datastructures.package import read_package_info, write_package_info
from wrapp.utils.nucleus_hash import calc_nucleus_hash_from_stream
from wrapp.utils.storage_interface import Result, wrapp_write_file_content


@pytest.mark.asyncio
async def test_amend_a_new_version_then_install_export_and_check(tmp_path: Path):
    source = make_tree(tmp_path / "asset", {"asset.usd": b"#usda 1.0\n", "materials/m.mdl": b"mdl 1.7;\n"})
    repo = tmp_path / "repo"
    async with wrapp.ContextManager() as scheduler:
        await wrapp.create("asset", "1.0.0", source=str(source), catalog=False, repo=str(repo), scheduler=scheduler)
        version = repo / ".packages" / "asset" / "1.0.0"
        package_url = str(version / ".asset.wrapp")

        # Two extra files written into the published version...
        extra = {"thumbs/preview.png": b"\x89PNG fake", "README.md": b"# asset\n"}
        for relative, content in extra.items():
            assert wrapp_write_file_content(None, str(version / relative), content) == Result.OK

        # ...are invisible until the catalog lists them.
        package = await read_package_info(package_url)
        for relative in extra:
            with open(version / relative, "rb") as stream:
                digest, size = calc_nucleus_hash_from_stream(stream)
            package.catalog.items.append(CatalogItem(source_path=(version / relative).as_uri(),
                                                     relative_path=relative, hash=digest, size=size))
        package.catalog.items.sort(key=lambda item: item.relative_path)
        assert (await write_package_info(package_url, package)).endswith(".asset.wrapp")

        results = await wrapp.check_package_content(package_url, scheduler=scheduler)
        assert len(results) == 4 and all(r.ok for r in results)
        cli("check", package_url)

        work = tmp_path / "work"
        await wrapp.install("asset", "1.0.0", destination=str(work), repo=str(repo), scheduler=scheduler)
        assert (work / "thumbs/preview.png").read_bytes() == extra["thumbs/preview.png"]
        assert json.loads((work / ".asset.wrapp").read_text())["name"] == "asset"
        # Installing the same version again short-circuits on the marker.
        await wrapp.install("asset", "1.0.0", destination=str(work), repo=str(repo), scheduler=scheduler)

        archive = tmp_path / "asset-1.0.0.tar"
        await wrapp.export_package(None, str(repo), "asset", "1.0.0", str(archive), scheduler=scheduler)
        with tarfile.open(archive) as tar:
            names = set(tar.getnames())
        assert {"asset.usd", "materials/m.mdl", "thumbs/preview.png", "README.md"} <= names

        # A catalog that lies about a file is caught by check, never installed.
        package.catalog.items[0].size = 999
        await write_package_info(package_url, package)
        results = await wrapp.check_package_content(package_url, scheduler=scheduler)
        assert [r.ok for r in results].count(False) == 1
        with pytest.raises(wrapp.FailedCommand):
            await wrapp.install("asset", "1.0.0", destination=str(tmp_path / "other"), repo=str(repo),
                                scheduler=scheduler)
