"""wrapp mirror --recursive, --repo-mapping, --redirect-dependencies, --template-version and --tags."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from helpers import (
    corrupt_same_size, hash_bytes, make_writable, read_json, read_tree, repo_wrapp, url, version_dir,
)


def hand_publish(repo: Path, name: str, version: str, files: dict, deps=(), tags=None) -> Path:
    """A version written by hand, as another tool (or the reference) would: files, then the package file.
    deps: (package, version, repository or "", relative_destination)."""
    vdir = version_dir(repo, name, version)
    vdir.mkdir(parents=True)
    items = []
    for rel, content in sorted(files.items()):
        data = content.encode() if isinstance(content, str) else content
        (vdir / rel).parent.mkdir(parents=True, exist_ok=True)
        (vdir / rel).write_bytes(data)
        item = {"relative_path": rel, "source_path": url(vdir / rel), "hash": hash_bytes(data), "size": len(data)}
        if tags and rel in tags:
            item["tags"] = tags[rel]
        items.append(item)
    info = {
        "name": name, "version": version, "source": None, "repository": url(repo),
        "dependencies": [{"package": p, "version": v, "repository": r, "relative_destination": d}
                         for p, v, r, d in deps],
        "catalog": {"root": url(vdir), "items": items},
    }
    (vdir / f".{name}.wrapp").write_text(json.dumps(info))
    return vdir


def three_packages(tmp_path):
    """app 1 in repo a needs lib 1 (same repository, recorded as "") and base 1 from repo b."""
    a, b = tmp_path / "a", tmp_path / "b"
    hand_publish(b, "base", "1", {"b.txt": "base"})
    hand_publish(a, "lib", "1", {"l.txt": "lib"}, deps=[("base", "1", url(b), "vendor")])
    hand_publish(a, "app", "1", {"app.txt": "app"}, deps=[("lib", "1", "", "libs/lib")])
    return a, b


def dependency_repos(repo: Path, name: str, version: str) -> dict:
    return {d["package"]: d["repository"] for d in read_json(repo_wrapp(repo, name, version))["dependencies"]}


def test_recursive_mirror_brings_the_closure_and_installs_without_the_sources(wrapp, tmp_path):
    a, b = three_packages(tmp_path)
    d = tmp_path / "d"
    r = wrapp("mirror", "app", "1", a, d, "--recursive", "--redirect-dependencies")
    assert r.returncode == 0, str(r)
    # Dependencies first, each before the packages that need it.
    assert [line.split()[1] for line in r.stdout.splitlines()] == ["base", "lib", "app"], r.stdout
    for name in ("app", "lib", "base"):
        assert repo_wrapp(d, name, "1").is_file(), name
        # The repository pointer names the source each came from.
        assert read_json(repo_wrapp(d, name, "1"))["repository"] == url(b if name == "base" else a)
    assert dependency_repos(d, "app", "1") == {"lib": url(d)}
    assert dependency_repos(d, "lib", "1") == {"base": url(d)}
    # The sources are not needed any more.
    shutil.rmtree(a)
    shutil.rmtree(b)
    dest = tmp_path / "dest"
    r = wrapp("install", "app", "1", dest, "--repo", d)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    assert tree["app.txt"] == b"app" and tree["libs/lib/l.txt"] == b"lib" and tree["libs/lib/vendor/b.txt"] == b"base"


def test_recursive_mirror_without_redirect_keeps_the_recorded_repositories(wrapp, tmp_path):
    a, b = three_packages(tmp_path)
    d = tmp_path / "d"
    r = wrapp("mirror", "app", "1", a, d, "--recursive")
    assert r.returncode == 0, str(r)
    assert dependency_repos(d, "app", "1") == {"lib": ""}
    assert dependency_repos(d, "lib", "1") == {"base": url(b)}
    # Run again: every version is already there.
    r = wrapp("mirror", "app", "1", a, d, "--recursive")
    assert r.returncode == 0, str(r)
    assert r.stdout.count("is already in") == 3, r.stdout


def test_repo_mapping_sends_a_repositorys_packages_elsewhere(wrapp, tmp_path):
    a, b = three_packages(tmp_path)
    d, e = tmp_path / "d", tmp_path / "e"
    r = wrapp("mirror", "app", "1", a, d, "--recursive", "--repo-mapping", f"{url(b)}={e}",
              "--redirect-dependencies")
    assert r.returncode == 0, str(r)
    assert repo_wrapp(e, "base", "1").is_file()
    assert not version_dir(d, "base", "1").exists()
    assert dependency_repos(d, "lib", "1") == {"base": url(e)}
    assert dependency_repos(d, "app", "1") == {"lib": url(d)}


def test_redirect_dependencies_without_recursive_names_the_destination(wrapp, tmp_path):
    a, b = three_packages(tmp_path)
    d = tmp_path / "d"
    r = wrapp("mirror", "lib", "1", a, d, "--redirect-dependencies")
    assert r.returncode == 0, str(r)
    assert dependency_repos(d, "lib", "1") == {"base": url(d)}
    assert not version_dir(d, "base", "1").exists()  # not mirrored: the user mirrors it next


def test_recursive_mirror_refuses_a_dependency_cycle(wrapp, tmp_path):
    a = tmp_path / "a"
    hand_publish(a, "x", "1", {"x.txt": "x"}, deps=[("y", "1", "", "y")])
    hand_publish(a, "y", "1", {"y.txt": "y"}, deps=[("x", "1", "", "x")])
    d = tmp_path / "d"
    r = wrapp("mirror", "x", "1", a, d, "--recursive", timeout=60)
    assert r.returncode == 1, str(r)
    assert "dependency cycle" in r.stderr, r.stderr
    assert not repo_wrapp(d, "x", "1").exists()


def test_recursive_mirror_names_a_missing_dependency(wrapp, tmp_path):
    a = tmp_path / "a"
    hand_publish(a, "x", "1", {"x.txt": "x"}, deps=[("gone", "2", "", "g")])
    r = wrapp("mirror", "x", "1", a, tmp_path / "d", "--recursive")
    assert r.returncode == 1, str(r)
    assert "'gone'" in r.stderr and "not found" in r.stderr, r.stderr
    assert not repo_wrapp(tmp_path / "d", "x", "1").exists()


def template_setup(tmp_path):
    a, d = tmp_path / "a", tmp_path / "d"
    shared = {"big.bin": b"B" * 300000, "same.txt": "same"}
    hand_publish(a, "p", "1", {**shared, "old.txt": "one"})
    hand_publish(a, "p", "2", {**shared, "new.txt": "two", "copy-of-same.txt": "same"})
    return a, d


def test_template_version_reuses_files_already_in_the_destination(wrapp, tmp_path):
    a, d = template_setup(tmp_path)
    r = wrapp("mirror", "p", "1", a, d)
    assert r.returncode == 0, str(r)
    r = wrapp("mirror", "p", "2", a, d, "--template-version", "1", "--dry-run")
    assert r.returncode == 0, str(r)
    reused = sorted(line.split()[1] for line in r.stdout.splitlines() if line.startswith("reuse"))
    assert reused == ["big.bin", "copy-of-same.txt", "same.txt"], r.stdout
    assert not repo_wrapp(d, "p", "2").exists()
    r = wrapp("mirror", "p", "2", a, d, "--template-version", "1")
    assert r.returncode == 0, str(r)
    assert "1 copied" in r.stdout and "3 reused" in r.stdout, r.stdout
    assert read_tree(version_dir(d, "p", "2")) | {".p.wrapp": b""} == read_tree(version_dir(a, "p", "2")) | {
        ".p.wrapp": b""}
    r = wrapp("check", repo_wrapp(d, "p", "2"))
    assert r.returncode == 0, str(r)


def test_a_damaged_template_file_is_not_spread(wrapp, tmp_path):
    a, d = template_setup(tmp_path)
    assert wrapp("mirror", "p", "1", a, d).returncode == 0
    make_writable(version_dir(d, "p", "1"))
    corrupt_same_size(version_dir(d, "p", "1") / "big.bin")
    r = wrapp("mirror", "p", "2", a, d, "--template-version", "1")
    assert r.returncode == 0, str(r)
    assert "copying from the source instead" in r.stderr, r.stderr
    assert (version_dir(d, "p", "2") / "big.bin").read_bytes() == b"B" * 300000
    r = wrapp("check", repo_wrapp(d, "p", "2"))
    assert r.returncode == 0, str(r)


def test_template_version_must_exist(wrapp, tmp_path):
    a, d = template_setup(tmp_path)
    assert wrapp("mirror", "p", "1", a, d).returncode == 0
    r = wrapp("mirror", "p", "2", a, d, "--template-version", "9")
    assert r.returncode == 1, str(r)
    assert "version '9' not found" in r.stderr, r.stderr
    assert not repo_wrapp(d, "p", "2").exists()


def test_tags_are_kept_and_the_option_says_no_storage_has_them(wrapp, tmp_path):
    a, d = tmp_path / "a", tmp_path / "d"
    tags = [{"name": "approved", "value": "yes"}]
    hand_publish(a, "p", "1", {"t.txt": "t", "u.txt": "u"}, tags={"t.txt": tags})
    r = wrapp("mirror", "p", "1", a, d, "--tags")
    assert r.returncode == 0, str(r)
    assert "no storage of this build has tags" in r.stderr, r.stderr
    items = {i["relative_path"]: i for i in read_json(repo_wrapp(d, "p", "1"))["catalog"]["items"]}
    assert items["t.txt"]["tags"] == tags
    assert "tags" not in items["u.txt"]


def test_repo_mapping_needs_src_equals_dst(wrapp, tmp_path):
    a, b = three_packages(tmp_path)
    for bad in ("nodelimiter", "=x", "x="):
        r = wrapp("mirror", "app", "1", a, tmp_path / "d", "--recursive", "--repo-mapping", bad)
        assert r.returncode == 1, str(r)
        assert "SRC=DST" in r.stderr, r.stderr


def test_mirror_json_lists_the_dependencies(wrapp, tmp_path):
    a, b = three_packages(tmp_path)
    r = wrapp("mirror", "app", "1", a, tmp_path / "d", "--recursive", "--json")
    assert r.returncode == 0, str(r)
    j = json.loads(r.stdout)
    assert j["package"] == "app" and j["no_op"] is False
    assert [dep["package"] for dep in j["dependencies"]] == ["lib"]
    assert [dep["package"] for dep in j["dependencies"][0]["dependencies"]] == ["base"]
    assert j["dependencies"][0]["dependencies"][0]["source_repo"] == url(b)
