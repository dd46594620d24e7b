"""Clones on a file system with copy-on-write, for real.

The temporary folders of the other tests lie on ext4 or tmpfs, which refuse every clone: there
`create` copies what it would clone and `install --link-mode reflink` copies too, so only the
branches for a refused clone run. These tests mount a small XFS image made with reflinks and run
the branches where the clone succeeds: a next version that shares the blocks of the files it kept,
a damaged earlier file that is cloned, found out by the read-back and copied from the source
instead, and a cloned install whose edits never reach the repository.

They need root, `mkfs.xfs` (Debian: xfsprogs, installed by setup.sh) and loop devices; a machine
without them skips the module, saying which was missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import random_bytes, repo_wrapp, version_dir, write_tree

MiB = 1 << 20


def _mkfs_xfs():
    return shutil.which("mkfs.xfs") or next(
        (p for p in ("/usr/sbin/mkfs.xfs", "/sbin/mkfs.xfs") if os.access(p, os.X_OK)), None)


@pytest.fixture(scope="session")
def cow_root(tmp_path_factory):
    """The root of a 512 MiB XFS file system with reflinks, mounted from a sparse image for this
    session (one per pytest-xdist worker), unmounted at its end."""
    if os.geteuid() != 0:
        pytest.skip("mounting an XFS image needs root")
    mkfs = _mkfs_xfs()
    if not mkfs:
        pytest.skip("mkfs.xfs is not installed (Debian: xfsprogs)")
    base = tmp_path_factory.mktemp("cow")
    image, mount = base / "xfs.img", base / "mnt"
    mount.mkdir()
    with open(image, "wb") as f:
        f.truncate(512 * MiB)
    made = subprocess.run([mkfs, "-q", "-m", "reflink=1", "-f", str(image)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"mkfs.xfs failed: {made.stderr.strip()}")
    mounted = subprocess.run(["mount", "-o", "loop", str(image), str(mount)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount an XFS image on this machine: {mounted.stderr.strip()}")
    try:
        yield mount
    finally:
        if subprocess.run(["umount", str(mount)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        image.unlink(missing_ok=True)


@pytest.fixture
def cow(cow_root, request):
    """A folder of this test's own on the XFS file system."""
    folder = cow_root / request.node.name
    folder.mkdir()
    return folder


def free_bytes(folder: Path) -> int:
    os.sync()  # XFS reserves blocks for written data at once; sync settles the rest
    st = os.statvfs(folder)
    return st.f_bavail * st.f_frsize


def tree_of(count: int, size: int, seed: int = 0) -> dict:
    return {f"d{i % 2}/f{i}.bin": random_bytes(size, seed=seed + i) for i in range(count)}


def test_the_next_version_clones_the_files_it_shares_with_the_base(wrapp, cow):
    files = tree_of(8, 2 * MiB)
    src = write_tree(cow / "src", files)
    repo, cache = cow / "repo", cow / "hashes.json"
    assert wrapp("create", "p", "1", src, "--repo", repo, "--hcf", cache).returncode == 0
    changed = random_bytes(2 * MiB, seed=100)
    (src / "d0/f0.bin").write_bytes(changed)

    before = free_bytes(cow)
    r = wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache, "-v")
    assert r.returncode == 0, str(r)
    used = before - free_bytes(cow)
    assert "cannot clone files" not in r.stderr, r.stderr
    # Seven of the eight files (14 MiB) share their blocks with version 1: only the changed file's
    # 2 MiB, the package file and the hash cache take new blocks. Copies would take 16 MiB.
    assert used < 5 * MiB, f"version 2 took {used} bytes"

    v1, v2 = version_dir(repo, "p", "1"), version_dir(repo, "p", "2")
    for path, data in {**files, "d0/f0.bin": changed}.items():
        assert (v2 / path).read_bytes() == data, path
        assert (v2 / path).stat().st_ino != (v1 / path).stat().st_ino, path
    assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode == 0
    assert wrapp("check", repo_wrapp(repo, "p", "2")).returncode == 0


def test_a_damaged_file_of_the_base_is_cloned_found_out_and_copied_from_the_source(wrapp, cow):
    files = tree_of(4, MiB)
    src = write_tree(cow / "src", files)
    repo, cache = cow / "repo", cow / "hashes.json"
    assert wrapp("create", "p", "1", src, "--repo", repo, "--hcf", cache).returncode == 0
    damaged = version_dir(repo, "p", "1") / "d1/f1.bin"
    damaged.chmod(0o644)
    with open(damaged, "r+b") as f:
        f.write(b"X" * 100)

    r = wrapp("create", "p", "2", src, "--repo", repo, "--hcf", cache)
    assert r.returncode == 0, str(r)
    # The clone was made (no refusal here), read back, and refused for its bytes.
    assert "does not hold the bytes its version records" in r.stderr, r.stderr
    assert str(damaged) in r.stderr, r.stderr
    for path, data in files.items():
        assert (version_dir(repo, "p", "2") / path).read_bytes() == data, path
    assert wrapp("check", repo_wrapp(repo, "p", "2")).returncode == 0
    assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode != 0  # the damage stays where it was


def test_a_cloned_install_shares_the_blocks_and_its_edits_never_reach_the_repository(wrapp, cow):
    files = tree_of(6, 2 * MiB, seed=20)
    src = write_tree(cow / "src", files)
    repo, dest = cow / "repo", cow / "dest"
    assert wrapp("create", "p", "1", src, "--repo", repo).returncode == 0

    before = free_bytes(cow)
    r = wrapp("install", "p", "1", dest, "--repo", repo, "--link-mode", "reflink")
    assert r.returncode == 0, str(r)
    used = before - free_bytes(cow)
    assert used < 4 * MiB, f"the install took {used} bytes of 12 MiB cloned"

    version = version_dir(repo, "p", "1")
    for path, data in files.items():
        assert (dest / path).read_bytes() == data, path
        assert (dest / path).stat().st_ino != (version / path).stat().st_ino, path
    edited = dest / "d0/f2.bin"
    edited.chmod(0o644)
    with open(edited, "r+b") as f:  # in place: copy-on-write gives the installed file its own block
        f.write(b"edited")
    assert (version / "d0/f2.bin").read_bytes() == files["d0/f2.bin"]
    assert wrapp("check", repo_wrapp(repo, "p", "1")).returncode == 0
