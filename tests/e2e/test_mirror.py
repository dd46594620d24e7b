"""wrapp mirror: copying a package version between repositories."""

from __future__ import annotations

import json

import pytest

from helpers import (
    corrupt_same_size, expected_items, list_files, marker, random_bytes, read_json, read_tree,
    repo_wrapp, snapshot, url, version_dir,
)

FILES = {
    "a.txt": "alpha",
    "sub/b.txt": "bravo",
    "sub/deep/c.bin": random_bytes(2 * (1 << 20) + 17, seed=21),
    "d.bin": random_bytes(70000, seed=22),
}


@pytest.fixture
def source(publish):
    repo, src = publish("p", "1.0", FILES)
    return repo, src


def test_mirror_copies_files_and_wrapp(wrapp, tmp_path, source):
    src_repo, src = source
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "p", "1.0", src_repo, dst_repo)
    assert r.returncode == 0, str(r)

    dvdir = version_dir(dst_repo, "p", "1.0")
    svdir = version_dir(src_repo, "p", "1.0")
    assert list_files(dvdir) == list_files(svdir)
    dtree, stree = read_tree(dvdir), read_tree(svdir)
    for rel in FILES:
        assert dtree[rel] == stree[rel], rel

    sinfo = read_json(repo_wrapp(src_repo, "p", "1.0"))
    dinfo = read_json(repo_wrapp(dst_repo, "p", "1.0"))
    assert dinfo["wrapp_format_version"] == 1
    assert dinfo["name"] == "p" and dinfo["version"] == "1.0"
    assert dinfo["repository"] == url(src_repo)
    assert dinfo["source"] == sinfo["source"]
    assert dinfo["dependencies"] == sinfo["dependencies"]
    assert dinfo["catalog"]["root"] == url(dvdir)
    assert dinfo["catalog"]["items"] == expected_items(FILES, dvdir)


def test_mirror_accepts_file_urls(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "p", "1.0", url(src_repo), url(dst_repo))
    assert r.returncode == 0, str(r)
    assert read_json(repo_wrapp(dst_repo, "p", "1.0"))["catalog"]["root"] == url(
        version_dir(dst_repo, "p", "1.0"))


def test_install_from_mirror(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    assert wrapp("mirror", "p", "1.0", src_repo, dst_repo).returncode == 0
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1.0", dest, "--repo", dst_repo)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    for rel, content in FILES.items():
        assert tree[rel] == (content.encode() if isinstance(content, str) else content), rel
    info = read_json(marker(dest, "p"))
    assert info["repository"] == url(dst_repo)
    assert info["catalog"]["root"] == url(dest)
    r = wrapp("list-repo", dst_repo)
    assert r.returncode == 0 and r.stdout == "p: 1.0\n", str(r)


def test_mirror_again_is_noop(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    assert wrapp("mirror", "p", "1.0", src_repo, dst_repo).returncode == 0
    before = snapshot(dst_repo)
    r = wrapp("mirror", "p", "1.0", src_repo, dst_repo)
    assert r.returncode == 0, str(r)
    assert snapshot(dst_repo) == before


def test_mirror_resume_after_interruption(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    assert wrapp("mirror", "p", "1.0", src_repo, dst_repo).returncode == 0
    dvdir = version_dir(dst_repo, "p", "1.0")
    # Simulate an interruption: no .wrapp yet, one file not copied, one half-written.
    repo_wrapp(dst_repo, "p", "1.0").unlink()
    (dvdir / "sub" / "b.txt").unlink()
    corrupt_same_size(dvdir / "sub" / "deep" / "c.bin", offset=(1 << 20) + 5)
    untouched_ino = (dvdir / "d.bin").stat().st_ino

    r = wrapp("mirror", "p", "1.0", src_repo, dst_repo, "--resume")
    assert r.returncode == 0, str(r)
    tree = read_tree(dvdir)
    for rel, content in FILES.items():
        assert tree[rel] == (content.encode() if isinstance(content, str) else content), rel
    assert (dvdir / "d.bin").stat().st_ino == untouched_ino, "--resume should keep verified files"
    dinfo = read_json(repo_wrapp(dst_repo, "p", "1.0"))
    assert dinfo["catalog"]["root"] == url(dvdir)
    assert dinfo["repository"] == url(src_repo)

    r = wrapp("check", repo_wrapp(dst_repo, "p", "1.0"))
    assert r.returncode == 0, str(r)
    assert "all ok" in r.stdout


def test_mirror_missing_version(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "p", "2.0", src_repo, dst_repo)
    assert r.returncode == 1, str(r)
    assert "2.0" in r.stderr, str(r)
    assert not version_dir(dst_repo, "p", "2.0").exists()


def test_mirror_missing_package(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "nope", "1.0", src_repo, dst_repo)
    assert r.returncode == 1, str(r)
    assert "nope" in r.stderr, str(r)
    assert not (dst_repo / ".packages" / "nope").exists()


def test_mirror_big_file(wrapp, tmp_path, publish, big_data):
    src_repo, _ = publish("big", "1", {"huge.bin": big_data})
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "big", "1", src_repo, dst_repo)
    assert r.returncode == 0, str(r)
    assert (version_dir(dst_repo, "big", "1") / "huge.bin").read_bytes() == big_data


def test_mirror_dry_run_writes_nothing(wrapp, tmp_path, source):
    src_repo, _ = source
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "p", "1.0", src_repo, dst_repo, "--dry-run")
    assert r.returncode == 0, str(r)
    assert not version_dir(dst_repo, "p", "1.0").exists()


def test_mirror_refuses_escaping_paths(wrapp, tmp_path):
    src_repo = tmp_path / "repo"
    vdir = version_dir(src_repo, "evil", "1")
    vdir.mkdir(parents=True)
    (vdir / "payload").write_text("evil")
    info = {
        "wrapp_format_version": 1, "name": "evil", "version": "1", "source": None,
        "repository": url(src_repo), "dependencies": [],
        "catalog": {"root": url(vdir), "items": [{
            "relative_path": "../../../escaped", "source_path": url(vdir) + "/payload",
            "hash": "sha-256-flat;1048576;" + "0" * 64, "size": 4}]},
    }
    (vdir / ".evil.wrapp").write_text(json.dumps(info))
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "evil", "1", src_repo, dst_repo)
    assert r.returncode == 1, str(r)
    assert not (dst_repo / "escaped").exists()
    assert not (tmp_path / "escaped").exists()
    assert not (dst_repo / ".packages" / "escaped").exists()


def test_mirror_refuses_corrupt_source_file(wrapp, tmp_path, source):
    src_repo, _ = source
    corrupt_same_size(version_dir(src_repo, "p", "1.0") / "sub" / "deep" / "c.bin", offset=(1 << 20) + 1)
    dst_repo = tmp_path / "mirror"
    r = wrapp("mirror", "p", "1.0", src_repo, dst_repo)
    assert r.returncode == 1, str(r)
    assert "c.bin" in r.stderr, str(r)
    assert not repo_wrapp(dst_repo, "p", "1.0").exists()
    assert not (version_dir(dst_repo, "p", "1.0") / "sub" / "deep" / "c.bin").exists()
