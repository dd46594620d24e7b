"""Symbolic links never lead a write or a delete out of the folder wrapp was given.

Each test plants a link to a folder or file outside (tmp_path/outside...) where wrapp writes or
deletes, and asserts that the outside stays exactly as it was: wrapp either refuses (exit 1,
"symbolic link") or does its work without going through the link.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import threading

import pytest

from helpers import (
    SERIAL_ARGS, SERIAL_ENV, digests, make_writable, marker, output, repo_wrapp, seeded_big, seeded_files, tree_state,
    version_contents, version_dir, wait_until, write_tree,
)

PACKAGE = {"file.txt": "the package's bytes\n", "sub/file.txt": "the package's bytes in sub\n", "z.txt": "z\n"}


def replace_by_link(path, target):
    """Moves a file or folder away (to target, when target does not exist yet) and puts a link to target there."""
    if not os.path.lexists(target):
        shutil.move(str(path), str(target))
    elif path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    os.symlink(target, path)


# ---------------------------------------------------------------------------------------------
# install and uninstall: a subpackage's folder or a folder in it is a link


@pytest.fixture
def app_with_lib(wrapp, tmp_path, publish):
    """app 1 depends on lib 1 installed at lib/ (lib has data/x.txt); app 2 drops lib. app 1 is installed
    into tmp_path/work. Returns (repo, work)."""
    repo, _ = publish("lib", "1", {"data/x.txt": "lib data\n", "lib.txt": "lib\n"})
    app_src = tmp_path / "app-src"
    assert wrapp("install", "lib", "1", app_src / "lib", "--repo", repo).returncode == 0
    write_tree(app_src, {"app.txt": "app 1\n"})
    assert wrapp("create", "app", "1", app_src, "--repo", repo).returncode == 0
    publish("app", "2", {"app.txt": "app 2\n"}, repo=repo)
    work = tmp_path / "work"
    assert wrapp("install", "app", "1", work, "--repo", repo).returncode == 0
    assert (work / "lib" / "data" / "x.txt").is_file()
    return repo, work


def test_an_update_dropping_a_subpackage_never_deletes_through_a_link(wrapp, tmp_path, app_with_lib):
    repo, work = app_with_lib
    outside = tmp_path / "outside"
    replace_by_link(work / "lib" / "data", outside)  # outside/x.txt: the very bytes lib installed
    before = tree_state(outside)
    assert "x.txt" in before

    r = wrapp("install", "app", "2", work, "--repo", repo)
    assert (r.returncode == 1 and "symbolic link" in r.stderr) or r.returncode == 0, str(r)
    assert tree_state(outside) == before, "the update deleted or changed files outside, through the link"


def test_uninstall_of_a_subpackage_behind_a_link_refuses(wrapp, tmp_path, app_with_lib):
    _, work = app_with_lib
    outside = tmp_path / "outside-lib"
    replace_by_link(work / "lib", outside)  # the user moved lib's folder away and linked it back
    before = tree_state(outside)
    assert marker(outside, "lib").name in before

    r = wrapp("uninstall", "lib", marker(work, "app"))
    assert r.returncode == 1 and "symbolic link" in r.stderr, str(r)
    assert tree_state(outside) == before, "uninstall deleted files outside, through the link"


# ---------------------------------------------------------------------------------------------
# create and mirror: a link planted in a version folder that is not published yet


@pytest.mark.parametrize("command", ["create", "mirror"])
@pytest.mark.parametrize("link", ["file.txt -> outside/file.txt", "sub -> outside"])
def test_a_link_planted_in_an_unpublished_version_is_never_written_through(wrapp, tmp_path, publish, command,
                                                                           link):
    outside = write_tree(tmp_path / "outside", {"file.txt": "precious, not the package's\n"})
    if command == "create":
        repo, args = tmp_path / "repo", ("create", "p", "1", write_tree(tmp_path / "src", PACKAGE))
        args += ("--repo", repo)
    else:
        source_repo, _ = publish("p", "1", PACKAGE)
        repo, args = tmp_path / "mirror", ("mirror", "p", "1", source_repo, tmp_path / "mirror")
    vdir = version_dir(repo, "p", "1")
    vdir.mkdir(parents=True)
    if link.startswith("file.txt"):
        os.symlink(outside / "file.txt", vdir / "file.txt")
    else:
        os.symlink(outside, vdir / "sub")
    before = tree_state(outside)

    r = wrapp(*args)
    assert r.returncode in (0, 1), str(r)
    assert tree_state(outside) == before, f"{command} wrote through the planted link"
    if r.returncode == 0:
        check = wrapp("check", repo_wrapp(repo, "p", "1"))
        assert check.returncode == 0, str(check)
        assert version_contents(repo, "p", "1") == digests(PACKAGE)


def test_check_reports_a_symbolic_link_in_a_version(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", PACKAGE)
    outside = write_tree(tmp_path / "outside", {"file.txt": PACKAGE["file.txt"]})  # the same bytes
    replace_by_link(version_dir(repo, "p", "1") / "file.txt", outside / "file.txt")

    r = wrapp("check", repo_wrapp(repo, "p", "1"))
    assert r.returncode == 1 and "file.txt" in output(r), f"a link in a version must be reported\n{r}"


# ---------------------------------------------------------------------------------------------
# install --link-mode hardlink from a version holding a link


def test_hardlink_install_never_installs_a_link_to_outside(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", PACKAGE)
    outside = write_tree(tmp_path / "outside", {"file.txt": PACKAGE["file.txt"]})  # the same bytes
    replace_by_link(version_dir(repo, "p", "1") / "file.txt", outside / "file.txt")
    before = tree_state(outside)
    dest = tmp_path / "dest"

    r = wrapp("install", "p", "1", dest, "--repo", repo, "--link-mode", "hardlink")
    assert r.returncode in (0, 1), str(r)
    installed = dest / "file.txt"
    if os.path.lexists(installed):
        assert not installed.is_symlink(), "install put a symbolic link into the install folder"
        make_writable(installed)
        with open(installed, "r+b") as f:
            f.write(b"EDITED")
    assert tree_state(outside) == before, "editing the installed file changed the file outside"


# ---------------------------------------------------------------------------------------------
# A folder of the destination swapped for a link while install writes into it


_RENAME_EXCHANGE = 2


def _exchange(a, b):
    """Swaps two names atomically (renameat2 RENAME_EXCHANGE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    at_fdcwd = -100
    if libc.renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), str(a))


class Swapper(threading.Thread):
    """Swaps `folder` with a link to `outside` back and forth until stopped: the link stays for
    `link_time` seconds, the folder for `folder_time`. The folder is back in place at the end."""

    def __init__(self, folder, outside, link_time=0.1, folder_time=0.002):
        super().__init__(daemon=True)
        self.folder, self.link = folder, folder.with_name(folder.name + "-swap")
        self.times = (link_time, folder_time)
        os.symlink(outside, self.link)
        self.stopping = threading.Event()
        self.swaps = 0

    def run(self):
        while not self.stopping.is_set():
            _exchange(self.folder, self.link)
            self.swaps += 1
            self.stopping.wait(self.times[self.swaps % 2 == 0])

    def stop(self):
        self.stopping.set()
        self.join()
        if self.folder.is_symlink():
            _exchange(self.folder, self.link)


def test_a_folder_swapped_for_a_link_during_install_never_leads_writes_outside(spawn, tmp_path, publish):
    # Copied in path order, one at a time: the swaps begin while a-big.bin is copied, after the plan
    # looked at sub/ and before the first file is written into it.
    files = {"a-big.bin": seeded_big(72, 64 << 20), **seeded_files(71, 200, 64 << 10, prefix="sub/", folders=0)}
    repo, _ = publish("p", "1", files)
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    proc = spawn("install", "p", "1", dest, "--repo", repo, *SERIAL_ARGS, env=SERIAL_ENV)
    assert wait_until((dest / "sub").is_dir, proc=proc), "the install ended before it made sub/"
    swapper = Swapper(dest / "sub", outside)
    swapper.start()
    try:
        r = proc.finish()
    finally:
        swapper.stop()
    assert swapper.swaps > 0
    assert r.returncode >= 0, f"install crashed\n{r}"
    assert sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*")) == [], (
        f"install wrote outside its destination, through the swapped link\n{r}")
