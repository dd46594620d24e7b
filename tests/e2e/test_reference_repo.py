"""A repository written by hand in the reference's format installs, checks and mirrors.

Package files as the reference's pydantic models dump them: compact JSON, every field present, nulls,
its key order (name, version, catalog, dependencies, source, repository), no wrapp_format_version;
an older file named <name>.wrapp; a storage_map; null sizes and hashes; dependency destinations
spelled "./x" and "x/"; a redirect package whose items point into another local repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from helpers import hash_bytes, list_files, marker, read_json, read_tree, url, version_dir

LIB = {"lib.py": b"print('lib')\n", "data/table.csv": b"a,b\n1,2\n"}
APP = {"main.usd": b"#usda 1.0\n", "README": b"the app\n"}
SHARED = b"the same bytes twice\n"  # copy1.txt and copy2.txt: stored once, under blobs/ (storage_map)
TEX = {"wood.png": b"\x89PNG wood" * 100, "stone/granite.png": b"\x89PNG granite" * 300}


def dump(obj) -> str:
    """As pydantic's model_dump_json writes it: compact, keys in model order."""
    return json.dumps(obj, separators=(",", ":"))


def item(root: Path, rel: str, data: bytes, *, size=True, hash_=True, source: Path = None) -> dict:
    return {
        "source_path": url((source or root) / rel),
        "relative_path": rel,
        "hash": hash_bytes(data) if hash_ else None,
        "size": len(data) if size else None,
        "tags": None,
    }


def package(name, version, root, items, dependencies=(), storage_map=None, source=None, repository=None) -> dict:
    return {
        "name": name,
        "version": version,
        "catalog": {"root": url(root), "items": items,
                    "storage_map": {"storage_map": storage_map} if storage_map else None},
        "dependencies": list(dependencies),
        "source": source,
        "repository": repository,
    }


def write_files(folder: Path, files) -> None:
    for rel, data in files.items():
        p = folder / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


@pytest.fixture
def ref(tmp_path):
    """ref/ holds app 2.0 (storage_map, nulls, two dependencies), lib 1.0 (file lib.wrapp) and the
    redirect package tex 1, whose bytes lie in other/ (texsrc 1)."""
    ref, other = tmp_path / "ref", tmp_path / "other"

    texsrc = version_dir(other, "texsrc", "1")
    write_files(texsrc, TEX)
    (texsrc / ".texsrc.wrapp").write_text(dump(package(
        "texsrc", "1", texsrc, [item(texsrc, rel, data) for rel, data in sorted(TEX.items())])))

    lib = version_dir(ref, "lib", "1.0")
    write_files(lib, LIB)
    (lib / "lib.wrapp").write_text(dump(package("lib", "1.0", lib, [
        item(lib, "data/table.csv", LIB["data/table.csv"], size=False),
        item(lib, "lib.py", LIB["lib.py"], size=False, hash_=False),
    ], source="omniverse://dev/lib", repository="omniverse://dev")))

    app = version_dir(ref, "app", "2.0")
    write_files(app, APP)
    write_files(app, {"blobs/shared": SHARED})
    shared = hash_bytes(SHARED)
    (app / ".app.wrapp").write_text(dump(package("app", "2.0", app, [
        item(app, "README", APP["README"], hash_=False),
        item(app, "copy1.txt", SHARED),
        item(app, "copy2.txt", SHARED, size=False),
        item(app, "main.usd", APP["main.usd"], size=False, hash_=False),
    ], dependencies=[
        {"package": "lib", "version": "1.0", "repository": None, "relative_destination": "./libs/lib"},
        {"package": "tex", "version": "1", "repository": url(ref), "relative_path": "textures/"},
    ], storage_map={shared: "blobs/shared"})))

    tex = version_dir(ref, "tex", "1")
    tex.mkdir(parents=True)
    (tex / ".tex.wrapp").write_text(dump(package("tex", "1", tex, [
        item(tex, "stone/granite.png", TEX["stone/granite.png"], source=texsrc),
        item(tex, "wood.png", TEX["wood.png"], size=False, source=texsrc),
    ], repository=url(other))))
    return ref


INSTALLED = {
    **APP, "copy1.txt": SHARED, "copy2.txt": SHARED,
    **{f"libs/lib/{k}": v for k, v in LIB.items()},
    **{f"textures/{k}": v for k, v in TEX.items()},
}


def installed_files(dest: Path) -> dict:
    return {k: v for k, v in read_tree(dest).items() if not k.endswith(".wrapp")}


def test_list_repo_finds_every_package(wrapp, ref):
    r = wrapp("list-repo", ref)
    assert r.returncode == 0, str(r)
    assert r.stdout == "app: 2.0\nlib: 1.0\ntex: 1\n"


def test_install_then_status_is_clean(wrapp, tmp_path, ref):
    dest = tmp_path / "dest"
    r = wrapp("install", "app", "2.0", dest, "--repo", ref)
    assert r.returncode == 0, str(r)
    assert installed_files(dest) == INSTALLED
    info = read_json(marker(dest, "app"))
    assert "storage_map" not in info["catalog"], "the installed files are at their relative paths"
    for it in info["catalog"]["items"]:
        data = INSTALLED[it["relative_path"]]
        assert it["hash"] == hash_bytes(data) and it["size"] == len(data), it
    assert [(d["package"], d["relative_destination"]) for d in info["dependencies"]] == [
        ("lib", "libs/lib"), ("tex", "textures")]
    assert read_json(marker(dest / "textures", "tex"))["repository"] == url(ref)
    r = wrapp("status", marker(dest, "app"))
    assert r.returncode == 0, str(r)
    r = wrapp("install", "app", "2.0", dest, "--repo", ref)
    assert r.returncode == 0 and "already installed" in r.stdout, str(r)


def test_check_reports_what_it_could_not_verify(wrapp, ref):
    r = wrapp("check", version_dir(ref, "app", "2.0") / ".app.wrapp", "--recursive")
    assert r.returncode == 0, str(r)
    unverified = sorted(l.split()[1] for l in r.stdout.splitlines() if l.startswith("unverified:"))
    assert unverified == sorted(str(version_dir(ref, p, v) / rel) for p, v, rel in [
        ("app", "2.0", "README"), ("app", "2.0", "main.usd"), ("lib", "1.0", "lib.py")]), str(r)
    assert "(no size or hash recorded)" in r.stdout and "(no hash recorded)" in r.stdout
    assert "no problem found, 3 unverified (no hash recorded)" in r.stdout, str(r)
    assert "all ok" not in r.stdout and "stray" not in r.stdout, str(r)

    r = wrapp("check", version_dir(ref, "tex", "1") / ".tex.wrapp", "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert j["ok"] is True and j["unverified"] == 0
    texsrc = version_dir(ref.parent / "other", "texsrc", "1")
    assert {f["relative_path"]: f["url"] for f in j["files"]} == {rel: url(texsrc / rel) for rel in TEX}

    # A recorded size or hash still counts.
    (version_dir(ref, "lib", "1.0") / "data" / "table.csv").write_bytes(b"a,b\n1,3\n")
    r = wrapp("check", version_dir(ref, "lib", "1.0") / "lib.wrapp")
    assert r.returncode == 1, str(r)
    assert "hash_mismatch:" in r.stdout and "1 bad, 1 unverified" in r.stdout, str(r)


def test_mirror_materialises_and_records_what_it_verified(wrapp, tmp_path, ref):
    mirror = tmp_path / "mirror"
    for name, version in [("app", "2.0"), ("lib", "1.0"), ("tex", "1")]:
        r = wrapp("mirror", name, version, ref, mirror)
        assert r.returncode == 0, str(r)
        r = wrapp("check", version_dir(mirror, name, version) / f".{name}.wrapp")
        assert r.returncode == 0 and "all ok" in r.stdout, str(r)
        r = wrapp("mirror", name, version, ref, mirror)
        assert r.returncode == 0 and "already in" in r.stdout, str(r)
    # The redirect package's bytes are copied: the destination version holds them.
    tex = version_dir(mirror, "tex", "1")
    assert sorted(list_files(tex)) == sorted([".tex.wrapp", *TEX])
    info = read_json(tex / ".tex.wrapp")
    assert info["catalog"]["root"] == url(tex)
    assert all(it["source_path"] == url(tex / it["relative_path"]) for it in info["catalog"]["items"])
    assert "storage_map" not in read_json(version_dir(mirror, "app", "2.0") / ".app.wrapp")["catalog"]
    assert sorted(list_files(version_dir(mirror, "app", "2.0"))) == sorted(
        [".app.wrapp", "README", "main.usd", "copy1.txt", "copy2.txt"])

    # The mirror installs on its own: the redirect's source repository goes away to prove the bytes
    # come from the mirror.
    shutil.rmtree(ref.parent / "other")
    dest = tmp_path / "dest"
    r = wrapp("install", "tex", "1", dest, "--repo", mirror)
    assert r.returncode == 0, str(r)
    assert installed_files(dest) == TEX


def _redirect(ref: Path, items) -> None:
    tex = version_dir(ref, "tex", "1")
    (tex / ".tex.wrapp").write_text(dump(package("tex", "1", tex, items)))


def test_missing_source_fails_naming_it_and_installs_nothing(wrapp, tmp_path, ref):
    texsrc = version_dir(ref.parent / "other", "texsrc", "1")
    (texsrc / "wood.png").unlink()
    dest = tmp_path / "dest"
    r = wrapp("install", "app", "2.0", dest, "--repo", ref)
    assert r.returncode == 1, str(r)
    assert "file 'wood.png' of package 'tex' 1 is not at '" + str(texsrc / "wood.png") + "'" in r.stderr, str(r)
    assert "nothing was changed" in r.stderr
    assert not dest.exists(), "nothing half-installed"


def test_bytes_that_do_not_match_their_hash_are_refused(wrapp, tmp_path, ref):
    texsrc = version_dir(ref.parent / "other", "texsrc", "1")
    data = bytearray(TEX["wood.png"])
    data[3] ^= 1
    (texsrc / "wood.png").write_bytes(bytes(data))
    dest = tmp_path / "dest"
    r = wrapp("install", "tex", "1", dest, "--repo", ref)
    assert r.returncode == 1, str(r)
    assert "does not match its recorded hash" in r.stderr, str(r)
    assert not marker(dest, "tex").exists()
    r = wrapp("check", version_dir(ref, "tex", "1") / ".tex.wrapp")
    assert r.returncode == 1 and "hash_mismatch:" in r.stdout, str(r)


def test_a_url_without_backend_fails_clearly(wrapp, tmp_path, ref):
    _redirect(ref, [{"source_path": "ftp://cdn.example.com/tex/wood.png", "relative_path": "wood.png",
                     "hash": hash_bytes(TEX["wood.png"]), "size": None, "tags": None}])
    dest = tmp_path / "dest"
    r = wrapp("install", "tex", "1", dest, "--repo", ref)
    assert r.returncode == 1, str(r)
    assert "file 'wood.png' of package 'tex' 1: No storage backend available to handle URL " \
           "'ftp://cdn.example.com/tex/wood.png'" in r.stderr, str(r)
    assert not dest.exists()
    r = wrapp("check", version_dir(ref, "tex", "1") / ".tex.wrapp")
    assert r.returncode == 1 and "unreadable:" in r.stdout and "No storage backend" in r.stdout, str(r)


def test_a_relative_source_path_that_leaves_the_root_is_refused(wrapp, tmp_path, ref):
    _redirect(ref, [{"source_path": "../../../../other/.packages/texsrc/1/wood.png", "relative_path": "wood.png",
                     "hash": None, "size": None, "tags": None}])
    r = wrapp("install", "tex", "1", tmp_path / "dest", "--repo", ref)
    assert r.returncode == 1, str(r)
    assert "refusing unsafe source_path" in r.stderr, str(r)
    assert not (tmp_path / "dest").exists()


def test_a_rewrite_that_keeps_the_bytes_in_place_keeps_the_storage_map(wrapp, tmp_path, ref):
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "2.0", dest, "--repo", ref).returncode == 0
    # A package file whose storage_map says where an item's bytes are (here: the other copy).
    app = marker(dest, "app")
    info = read_json(app)
    info["catalog"]["storage_map"] = {"storage_map": {hash_bytes(SHARED): "copy1.txt"}}
    app.chmod(0o644)
    app.write_text(json.dumps(info))
    r = wrapp("uninstall", "tex", app)
    assert r.returncode == 0, str(r)
    rewritten = read_json(app)
    assert [d["package"] for d in rewritten["dependencies"]] == ["lib"]
    assert rewritten["catalog"]["storage_map"] == {"storage_map": {hash_bytes(SHARED): "copy1.txt"}}
    assert list_files(dest / "textures") == []
