"""The converters of command results against what the wrapp command line prints with --json
(the same C++ to_json the compiled module returns)."""

from __future__ import annotations

import json
import shutil

import pytest

from datastructures_support import load_json, make_tree, url, wrapp_cli, wrapp_json, write
from wrapp.datastructures.ls import (
    LsOutputFormat,
    LsResultItem,
    LsResultItemType,
    format_ls_items,
    ls_result_from_core,
)
from wrapp.datastructures.package import PackageInfo
from wrapp.datastructures.repository import (
    InstalledPackage,
    UniquePackageLocation,
    installed_packages_from_core,
    list_repo_from_core,
    package_locations_from_core,
)
from wrapp.datastructures.workspace_analysis import (
    CheckResult,
    CheckStatus,
    PackageStatusItem,
    PackageStatusItemType,
    check_results_from_core,
    status_from_core,
)


@pytest.fixture
def tree(tmp_path):
    """A fresh repository with lib 1 and app 1, app installed at inst: tests may modify it."""
    return make_tree(tmp_path)


# --- status -------------------------------------------------------------------------------------


def test_status_item_type_has_the_nine_reference_values():
    assert {t.name: t.value for t in PackageStatusItemType} == {
        "EXTRA_ITEM": "extra_item",
        "EXTRA_PACKAGE": "extra_package",
        "ITEM_DIFFERS": "item_differs",
        "ITEM_MISSING": "item_missing",
        "PACKAGE_MISSING": "package_missing",
        "PACKAGE_MODIFIED": "package_modified",
        "PACKAGE_NO_CATALOG": "package_no_catalog",
        "PACKAGE_VERSION_MISMATCH": "package_version_mismatch",
        "SUBPACKAGE_MODIFIED": "subpackage_modified",
    }
    assert PackageStatusItemType("item_missing") is PackageStatusItemType.ITEM_MISSING
    assert PackageStatusItemType.ITEM_MISSING == "item_missing"
    assert list(PackageStatusItem.model_fields)[:4] == [
        "package_name",
        "absolute_wrapp_file_path",
        "status_message",
        "status_item_type",
    ]


def test_clean_status(tree):
    dirty, details = status_from_core(wrapp_json("status", str(tree["marker"])))
    assert dirty == [] and details == {}


def test_dirty_status(tree):
    inst = tree["inst"]
    (inst / "a.txt").chmod(0o644)
    (inst / "a.txt").write_text("changed\n")
    (inst / "sub" / "b.txt").unlink()
    write(inst / "extra.txt", "e")
    lib_file = inst / "libs" / "lib" / "l.txt"
    lib_file.chmod(0o644)
    lib_file.write_text("changed too\n")
    shutil.copy(tree["lib_file"], inst / "sub" / ".stray.wrapp")

    obj = wrapp_json("status", str(tree["marker"]), ok_codes=(1,))
    dirty, details = status_from_core(obj)
    top, lib = url(tree["marker"]), url(inst / "libs" / "lib" / ".lib.wrapp")
    assert dirty == [lib, top]  # a subpackage before the package that records it
    assert set(details) == {lib, top}
    kinds = {(i.status_item_type, i.relative_path) for i in details[top]}
    assert kinds == {
        (PackageStatusItemType.PACKAGE_MODIFIED, None),
        (PackageStatusItemType.ITEM_DIFFERS, "a.txt"),
        (PackageStatusItemType.ITEM_MISSING, "sub/b.txt"),
        (PackageStatusItemType.EXTRA_ITEM, "extra.txt"),
        (PackageStatusItemType.EXTRA_PACKAGE, "sub/.stray.wrapp"),
        (PackageStatusItemType.SUBPACKAGE_MODIFIED, "libs/lib/.lib.wrapp"),
    }
    assert details[top][0].status_item_type == PackageStatusItemType.PACKAGE_MODIFIED  # package-level first
    assert all(i.package_name == "app" and i.absolute_wrapp_file_path == top for i in details[top])
    assert [i.status_item_type for i in details[lib]] == [
        PackageStatusItemType.PACKAGE_MODIFIED,
        PackageStatusItemType.ITEM_DIFFERS,
    ]
    assert "l.txt" in details[lib][1].status_message


def test_missing_subpackage_status(tree):
    lib_marker = tree["inst"] / "libs" / "lib" / ".lib.wrapp"
    lib_marker.unlink()
    dirty, details = status_from_core(wrapp_json("status", str(tree["marker"]), ok_codes=(1,)))
    types = [i.status_item_type for items in details.values() for i in items]
    assert PackageStatusItemType.PACKAGE_MISSING in types
    assert url(tree["marker"]) in dirty


# --- check --------------------------------------------------------------------------------------


def test_check_results(tree):
    version = tree["repo"] / ".packages" / "app" / "1"
    (version / "a.txt").chmod(0o644)
    (version / "a.txt").write_text("longer now\n")
    (version / "sub" / "b.txt").chmod(0o644)
    (version / "sub" / "b.txt").write_text("B\n")  # same size, other bytes
    write(version / "leftover.txt", "x")
    obj = wrapp_json("check", str(tree["app_file"]), "--recursive", ok_codes=(1,))
    results = check_results_from_core(obj)
    assert results == check_results_from_core(obj["files"])
    by_path = {(r.package_name, r.relative_path): r for r in results}
    assert len(by_path) == len(results) == 5

    size = by_path[("app", "a.txt")]
    assert size.status == CheckStatus.size_mismatch and not size.ok
    assert (size.expected_size, size.actual_size) == (2, 11)
    assert size.expected_hash.startswith("sha-256-flat;1048576;") and size.actual_hash is None

    content = by_path[("app", "sub/b.txt")]
    assert content.status == CheckStatus.hash_mismatch
    assert content.actual_hash and content.actual_hash != content.expected_hash

    fine = by_path[("lib", "l.txt")]  # checked with --recursive
    assert fine.ok and fine.status == "ok" and fine.version == "1" and fine.detail is None
    assert fine.url == url(tree["repo"] / ".packages" / "lib" / "1" / "l.txt")

    stray = by_path[("app", "leftover.txt")]
    assert stray.status == CheckStatus.stray and stray.detail and stray.expected_size is None


def test_check_missing_file(tree):
    (tree["repo"] / ".packages" / "lib" / "1" / "l.txt").unlink()
    [result] = check_results_from_core(wrapp_json("check", str(tree["lib_file"]), ok_codes=(1,)))
    assert result.status == CheckStatus.missing and result.actual_size is None and result.expected_size == 2
    assert isinstance(result, CheckResult)


# --- repositories -------------------------------------------------------------------------------


def test_list_repo(tree):
    assert list_repo_from_core(wrapp_json("list-repo", str(tree["repo"]))) == [("app", ["1"]), ("lib", ["1"])]


def test_find_orphans(tree):
    wrapp_cli("create", "lib", "2", str(tree["root"] / "lib"), "--repo", str(tree["repo"]))
    obj = wrapp_json("find-orphans", "--package", "app", "1", str(tree["repo"]), "--repo", str(tree["repo"]))
    orphans = package_locations_from_core(obj)
    assert orphans == [UniquePackageLocation(package="lib", version="2", repository=url(tree["repo"]))]
    assert [o.to_core() for o in orphans] == obj
    assert len({orphans[0], UniquePackageLocation(**obj[0])}) == 1  # hashable, equal by value
    with pytest.raises(Exception):
        orphans[0].version = "3"  # frozen


def test_installed_package_list(tree):
    shutil.copy(tree["lib_file"], tree["inst"] / "sub" / ".lib.wrapp")  # a stray package file
    obj = wrapp_json("installed-package-list", str(tree["marker"]))
    packages = installed_packages_from_core(obj)
    assert [(p.name, p.install_location, p.recorded) for p in packages] == [
        ("app", "", True),
        ("lib", "libs/lib", True),
        ("lib", "sub", False),
    ]
    app = packages[0]
    assert app.wrapp_file_url == url(tree["marker"]) and app.repository == url(tree["repo"])
    assert app.num_items == 3 and app.package is None
    app.package = PackageInfo.from_file_json(load_json(tree["marker"]))
    app.package.catalog.items.pop()
    assert app.num_items == 2  # counted from the loaded package
    assert list(InstalledPackage.model_fields) == [
        "name",
        "version",
        "wrapp_file_url",
        "install_location",
        "repository",
        "package",
    ]


def test_installed_package_list_of_a_new_package(tmp_path):
    wrapp_cli("new", "fresh", "0", str(tmp_path))
    [fresh] = installed_packages_from_core(wrapp_json("installed-package-list", str(tmp_path / ".fresh.wrapp")))
    assert fresh.repository is None and fresh.num_items is None


# --- ls -----------------------------------------------------------------------------------------


def test_ls_items(tree):
    folder = tree["repo"] / ".packages" / "app"
    printed = wrapp_cli("ls", str(folder), "-r", "--with-hash", "--output-format", "json").stdout
    items = ls_result_from_core(json.loads(printed))
    assert [(i.relative_path, i.item_type) for i in items[:3]] == [
        ("1", LsResultItemType.folder),
        ("1/.app.wrapp", LsResultItemType.file),
        ("1/a.txt", LsResultItemType.file),
    ]
    assert items[0].size is None and items[0].hash is None
    assert items[2].size == 2 and items[2].hash.startswith("sha-256-flat;")
    assert items[2].source_path == url(folder / "1" / "a.txt")
    assert json.loads(format_ls_items(items, LsOutputFormat.json)) == json.loads(printed)


@pytest.mark.parametrize(
    "output_format, with_hash",
    [(LsOutputFormat.normal, False), (LsOutputFormat.normal, True), (LsOutputFormat.tsv, False), ("tsv", True)],
)
def test_ls_text_formats_match_the_cli(tree, output_format, with_hash):
    folder = tree["repo"] / ".packages"
    hash_flag = ["--with-hash"] if with_hash else []
    fmt = LsOutputFormat(output_format).value
    items = ls_result_from_core(
        json.loads(wrapp_cli("ls", str(folder), "-r", *hash_flag, "--output-format", "json").stdout)
    )
    printed = wrapp_cli("ls", str(folder), "-r", *hash_flag, "--output-format", fmt).stdout
    assert format_ls_items(items, output_format, base_url=url(folder), with_hash=with_hash) == printed


def test_ls_enums():
    assert [m.value for m in LsOutputFormat] == ["normal", "tsv", "json"]
    assert [m.value for m in LsResultItemType] == ["file", "folder"]
    item = LsResultItem(relative_path="x", source_path="file:///x", item_type="folder")
    assert item.item_type is LsResultItemType.folder and item.size is None
