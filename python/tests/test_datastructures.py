"""The package and catalog models against package and catalog files written by the wrapp command line."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from pydantic import ValidationError

from datastructures_support import (
    FakeFailedCommand,
    install_module,
    load_json,
    make_fake_core,
    make_tree,
    url,
    wrapp_cli,
    write,
)
from wrapp.datastructures.catalog import Catalog, CatalogItem, StorageMap, Tag, url_below
from wrapp.datastructures.package import (
    Dependency,
    DependencySet,
    PackageInfo,
    read_package_info,
    write_package_info,
    wrapp_file_in_repo,
)


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A repository with lib 1 and app 1, app installed (not modified by the tests using it)."""
    return make_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture
def core(monkeypatch):
    """The compiled core's file functions, standing in for wrapp._core."""
    fake = make_fake_core()
    install_module(monkeypatch, "_core", fake)
    return fake


def assert_round_trip(path: Path) -> PackageInfo:
    """The file parses, and to_file_json gives back the same object with the same key order."""
    document = load_json(path)
    package = PackageInfo.from_file_json(document)
    again = package.to_file_json()
    assert again == document
    assert list(again) == list(document)
    for mine, theirs in zip((again["catalog"] or {}).get("items", []), (document["catalog"] or {}).get("items", [])):
        assert list(mine) == list(theirs)
    return package


# --- package files -------------------------------------------------------------------------------


def test_repository_version_round_trip(tree):
    package = assert_round_trip(tree["app_file"])
    assert (package.name, package.version) == ("app", "1")
    assert package.repository == url(tree["repo"])
    assert package.source == url(tree["root"] / "app")
    assert package.dependencies == [
        Dependency(package="lib", version="1", repository=url(tree["repo"]), relative_destination="libs/lib")
    ]
    assert [i.relative_path for i in package.catalog.items] == ["a.txt", "dup.txt", "sub/b.txt"]
    assert package.catalog.root == url(tree["repo"] / ".packages" / "app" / "1")


def test_install_marker_round_trip(tree):
    package = assert_round_trip(tree["marker"])
    assert package.catalog.root == url(tree["inst"])
    assert all(i.source_path.startswith(url(tree["inst"]) + "/") for i in package.catalog.items)


def test_new_package_without_and_with_catalog(tmp_path):
    write(tmp_path / "plain" / "x.txt", "x")
    wrapp_cli("new", "plain", "0.1", str(tmp_path / "plain"))
    package = assert_round_trip(tmp_path / "plain" / ".plain.wrapp")
    assert package.catalog is None and package.dependencies == [] and package.source is None

    write(tmp_path / "cat" / "y.txt", "yy")
    wrapp_cli("new", "cat", "0.1", str(tmp_path / "cat"), "--catalog")
    package = assert_round_trip(tmp_path / "cat" / ".cat.wrapp")
    assert [(i.relative_path, i.size) for i in package.catalog.items] == [("y.txt", 2)]


def test_metapackage_has_empty_catalog(tree, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    wrapp_cli("create-metapackage", "meta", "1", str(repo), "--dependency", "lib", "1", str(tree["repo"]), "./deps/lib")
    package = assert_round_trip(Path(wrapp_file_in_repo(str(repo), "meta", "1")))
    assert package.catalog is not None and package.catalog.items == []
    assert package.dependencies[0].relative_destination == "deps/lib"


def test_unknown_keys_survive_a_rewrite_by_wrapp(tree, tmp_path):
    """Unknown top-level keys and item members (tags, checkpoint) are kept, as wrapp keeps them."""
    src_repo = tmp_path / "src"
    wrapp_cli("create", "lib", "1", str(tree["root"] / "lib"), "--repo", str(src_repo))
    lib_file = src_repo / ".packages" / "lib" / "1" / ".lib.wrapp"
    document = load_json(lib_file)
    document["zz_newer"] = {"nested": [1, 2, {"k": None}]}
    document["aa_flag"] = True
    document["catalog"]["items"][0]["tags"] = [{"name": "reviewed", "value": "yes"}]
    document["catalog"]["items"][0]["checkpoint"] = 7
    lib_file.chmod(0o644)
    lib_file.write_text(json.dumps(document))

    package = PackageInfo.from_file_json(load_json(lib_file))
    assert package.model_extra == {"zz_newer": {"nested": [1, 2, {"k": None}]}, "aa_flag": True}
    item = package.catalog.items[0]
    assert item.model_extra == {"tags": [{"name": "reviewed", "value": "yes"}], "checkpoint": 7}

    wrapp_cli("mirror", "lib", "1", str(src_repo), str(tmp_path / "dst"))  # wrapp rewrites the file
    mirrored = assert_round_trip(tmp_path / "dst" / ".packages" / "lib" / "1" / ".lib.wrapp")
    assert list(mirrored.to_file_json())[-2:] == ["aa_flag", "zz_newer"]
    assert mirrored.catalog.items[0].tags == [{"name": "reviewed", "value": "yes"}]


def test_older_and_legacy_spellings_read():
    package = PackageInfo.from_file_json(
        {
            "name": "p",
            "version": "1",
            "dependencies": [
                {"package": "a", "version": "1", "relative_path": "./x/"},
                {"package": "b", "version": "2", "repository": None, "relative_destination": "."},
            ],
            "catalog": {"root": "file:///r", "items": [{"relative_path": "b c.txt"}, {"relative_path": "a"}]},
        }
    )
    assert [(d.package, d.repository, d.relative_destination) for d in package.dependencies] == [
        ("a", "", "x"),
        ("b", "", ""),
    ]
    assert [i.relative_path for i in package.catalog.items] == ["a", "b c.txt"]
    assert package.catalog.items[1].source_path == "file:///r/b%20c.txt"
    out = package.to_file_json()
    assert out["wrapp_format_version"] == 1 and out["source"] is None
    assert out["dependencies"][0] == {"package": "a", "version": "1", "repository": "", "relative_destination": "x"}
    assert out["catalog"]["items"][0] == {
        "relative_path": "a",
        "source_path": "file:///r/a",
        "hash": None,
        "size": None,
    }


def test_extra_keys_written_sorted_after_the_known_ones():
    package = PackageInfo(name="p", version="1", zeta=1, alpha={"x": [1]})
    package.catalog = Catalog(root="file:///r", items=[CatalogItem(relative_path="b", source_path="file:///r/b")])
    package.catalog.items.append(CatalogItem(relative_path="a", source_path="file:///r/a", tags=None, z=1, c=2))
    out = package.to_file_json()
    assert list(out) == [
        "wrapp_format_version", "name", "version", "source", "repository", "dependencies", "catalog", "alpha", "zeta"
    ]
    assert [list(i) for i in out["catalog"]["items"]] == [
        ["relative_path", "source_path", "hash", "size", "z", "c"],  # sorted by path; null members dropped
        ["relative_path", "source_path", "hash", "size"],
    ]


def test_newer_format_and_bad_documents_refused():
    with pytest.raises(ValueError, match="newer than 1"):
        PackageInfo.from_file_json({"wrapp_format_version": 2, "name": "p", "version": "1"})
    with pytest.raises(ValueError, match="not an integer"):
        PackageInfo.from_file_json({"wrapp_format_version": "1", "name": "p", "version": "1"})
    with pytest.raises(ValidationError):
        PackageInfo.from_file_json({"name": "p", "version": "1", "catalog": {"root": "r", "items": [{"size": 1}]}})


def test_defaults_match_the_reference():
    package = PackageInfo()
    assert (package.name, package.version, package.source, package.repository) == ("", "", None, None)
    assert package.dependencies is None and package.catalog is None
    assert list(PackageInfo.model_fields) == ["name", "version", "source", "repository", "dependencies", "catalog"]
    assert list(Dependency.model_fields) == ["package", "version", "repository", "relative_destination"]
    assert list(CatalogItem.model_fields) == ["relative_path", "source_path", "hash", "size"]
    assert list(Catalog.model_fields) == ["root", "items", "storage_map"]


def test_wrapp_file_in_repo():
    assert wrapp_file_in_repo("file:///r/", "pkg", "1.0") == "file:///r/.packages/pkg/1.0/.pkg.wrapp"
    assert wrapp_file_in_repo("/r", "p", "2") == "/r/.packages/p/2/.p.wrapp"


def test_dependency_set():
    deps = DependencySet()
    a1 = Dependency(package="a", version="1", repository="/r", relative_destination="x")
    deps.add(a1)
    deps.add(Dependency(package="b", version="1", repository="/r", relative_destination="y"))
    deps.add(Dependency(package="a", version="2", repository="/r", relative_destination="x"))  # replaces a 1
    deps.add(Dependency(package="a", version="1", repository="/r", relative_destination="z"))  # another place
    assert len(deps) == 3
    assert [(d.package, d.version, d.relative_destination) for d in deps] == [
        ("a", "2", "x"),
        ("b", "1", "y"),
        ("a", "1", "z"),
    ]
    assert a1 not in deps
    assert deps.to_file_json()[0] == {"package": "a", "version": "2", "repository": "/r", "relative_destination": "x"}
    assert DependencySet.model_validate(deps.model_dump()) == deps


# --- reading and writing through the core --------------------------------------------------------


@pytest.mark.asyncio
async def test_read_package_info(tree, core):
    package = await read_package_info(str(tree["app_file"]))
    assert package == PackageInfo.from_file_json(load_json(tree["app_file"]))
    assert await read_package_info(str(tree["root"] / "nothing.wrapp")) is None
    with pytest.raises(FakeFailedCommand, match="not found"):
        await PackageInfo.load(str(tree["root"] / "nothing.wrapp"))


@pytest.mark.asyncio
async def test_amend_catalog_then_wrapp_checks_and_installs(tmp_path, core):
    """The reference sample's flow: write a file into a version, add it to the catalog, write the file back."""
    write(tmp_path / "src" / "a.txt", "a\n")
    repo = tmp_path / "repo"
    wrapp_cli("create", "p", "1", str(tmp_path / "src"), "--repo", str(repo))
    version = repo / ".packages" / "p" / "1"
    write(version / "extra" / "new.txt", "new\n")
    listing = json.loads(wrapp_cli("ls", str(version / "extra"), "--with-hash", "--output-format", "json").stdout)
    wrapp_file = wrapp_file_in_repo(str(repo), "p", "1")
    package = await read_package_info(wrapp_file)
    package.catalog.items.append(
        CatalogItem(
            source_path=url(version / "extra" / "new.txt"),
            relative_path="extra/new.txt",
            hash=listing[0]["hash"],
            size=listing[0]["size"],
        )
    )
    package.catalog.sort_items()
    Path(wrapp_file).chmod(0o644)
    written = await write_package_info(wrapp_file, package)
    assert written.endswith(".p.wrapp")
    wrapp_cli("check", wrapp_file)
    wrapp_cli("install", "p", "1", str(tmp_path / "inst"), "--repo", str(repo))
    assert (tmp_path / "inst" / "extra" / "new.txt").read_text() == "new\n"
    assert (await read_package_info(wrapp_file)).catalog.items[-1].relative_path == "extra/new.txt"


@pytest.mark.asyncio
async def test_write_package_info_dry_run_writes_nothing(tmp_path, core):
    class Context:
        dry_run = True

    target = tmp_path / ".p.wrapp"
    assert await write_package_info(str(target), PackageInfo(name="p", version="1"), Context()) == str(target)
    assert not target.exists()
    await PackageInfo(name="p", version="1").save(str(target))
    assert load_json(target)["name"] == "p"


# --- catalogs -----------------------------------------------------------------------------------


def test_catalog_file_round_trip(tree, tmp_path):
    out = tmp_path / "app.json"
    wrapp_cli("catalog", str(tree["root"] / "app"), str(out))
    document = load_json(out)
    catalog = Catalog.from_file_json(document)
    assert catalog.to_file_json() == document
    assert list(catalog.to_file_json()) == ["wrapp_catalog_version", "root", "items"]
    assert catalog.root == url(tree["root"] / "app")


def test_catalog_sizes(tree):
    catalog = PackageInfo.from_file_json(load_json(tree["app_file"])).catalog
    assert catalog.size_of_catalog() == 6
    assert catalog.size_of_catalog_deduped() == 4  # a.txt and dup.txt hold the same bytes
    catalog.items.append(CatalogItem(relative_path="x", source_path="file:///x", size=5))
    catalog.items.append(CatalogItem(relative_path="y", source_path="file:///y", size=5))
    catalog.items.append(CatalogItem(relative_path="z", source_path="file:///z"))
    assert catalog.size_of_catalog() == 16
    assert catalog.size_of_catalog_deduped() == 14  # items without hash each count


def test_storage_map_of_a_dedup_export(tree, tmp_path):
    tar_path = tmp_path / "app.tar"
    wrapp_cli("export", "app", "1", str(tar_path), "--repo", str(tree["repo"]), "--dedup")
    with tarfile.open(tar_path) as tar:
        document = json.load(io.TextIOWrapper(tar.extractfile(".app.wrapp"), encoding="utf-8"))
        members = set(tar.getnames())
    package = PackageInfo.from_file_json(document)
    catalog = package.catalog
    assert package.to_file_json()["catalog"]["storage_map"] == document["catalog"]["storage_map"]
    a, dup = catalog.items[0], catalog.items[1]
    assert catalog.get_storage_path_for_item(a) == catalog.get_storage_path_for_item(dup)
    assert catalog.get_storage_path_for_item(a).startswith(".wrapp-blobs/")
    assert {catalog.get_storage_path_for_item(i) for i in catalog.items} <= members
    assert catalog.get_source_url_for_item(a) == url_below(catalog.root, catalog.get_storage_path_for_item(a))


def test_source_url_and_storage_path():
    item = CatalogItem(relative_path="d/x.txt", source_path="file:///src/d/x.txt", hash="h1", size=1)
    plain = Catalog(root="file:///root", items=[item])
    assert plain.get_source_url_for_item(item) == "file:///src/d/x.txt"
    assert plain.get_storage_path_for_item(item) == "d/x.txt"
    mapped = Catalog(root="file:///root", items=[item], storage_map={"h1": "https://cdn/x"})
    assert isinstance(mapped.storage_map, StorageMap)
    assert mapped.get_source_url_for_item(item) == "https://cdn/x"
    assert mapped.get_storage_path_for_item(item) == "https://cdn/x"
    other = CatalogItem(relative_path="y", source_path="", hash="h2")
    assert mapped.get_source_url_for_item(other) == "file:///root/y"
    assert mapped.get_storage_path_for_item(other) == "y"


@pytest.mark.asyncio
async def test_catalog_load(tree, tmp_path, core):
    out = tmp_path / "lib.json"
    wrapp_cli("catalog", str(tree["root"] / "lib"), str(out))
    catalog = await Catalog.load(str(out))
    assert [i.relative_path for i in catalog.items] == ["l.txt"]
    from_package = await Catalog.load(str(tree["lib_file"]))  # a .wrapp file is a catalog too
    assert from_package.root == url(tree["repo"] / ".packages" / "lib" / "1")
    with pytest.raises(FakeFailedCommand, match="nope.json"):
        await Catalog.load(str(tmp_path / "nope.json"))
    newer = write(tmp_path / "newer.json", json.dumps({"wrapp_catalog_version": 2, "root": "", "items": []}))
    with pytest.raises(FakeFailedCommand, match="newer than 1"):
        await Catalog.load(str(newer))
    no_catalog = write(tmp_path / ".n.wrapp", json.dumps({"name": "n", "version": "1", "catalog": None}))
    with pytest.raises(FakeFailedCommand, match="no 'items' list"):
        await Catalog.load(str(no_catalog))


def test_tag_keeps_extra_members():
    tag = Tag(name="state", value="final", name_space="review")
    assert tag.model_dump() == {"name": "state", "value": "final", "name_space": "review"}
    assert Tag(name="bare").value is None
