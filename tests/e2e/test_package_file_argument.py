"""status, check, installed-package-list and traceback take a folder holding one package file where a
package file is meant (`wrapp status .`); a folder with none or several is a clear error naming them."""

from __future__ import annotations

import json

from helpers import repo_wrapp


def test_a_folder_with_one_package_file_stands_for_it(wrapp, publish_and_install):
    repo, dest = publish_and_install({"a.txt": "alpha", "sub/b.txt": "bravo"})
    marker = dest / ".p.wrapp"
    for command in (["status"], ["installed-package-list"], ["traceback"]):
        by_file = wrapp(*command, marker, "--json")
        by_folder = wrapp(*command, dest, "--json")
        assert by_file.returncode == 0 and by_folder.returncode == 0, (str(by_file), str(by_folder))
        assert json.loads(by_folder.stdout) == json.loads(by_file.stdout), command
    # The current folder, as a user in the installed tree types it.
    r = wrapp("status", ".", cwd=dest)
    assert r.returncode == 0 and "clean" in r.stdout, str(r)
    # A version folder of the repository for check.
    version = repo_wrapp(repo, "p", "1").parent
    r = wrapp("check", version)
    assert r.returncode == 0 and r.stdout.startswith("checked 2 files: all ok"), str(r)


def test_a_folder_with_no_package_file_or_several_is_refused_naming_them(wrapp, tmp_path, publish):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no package here")
    for command in ("status", "check", "installed-package-list", "traceback"):
        r = wrapp(command, empty)
        assert r.returncode == 1, str(r)
        assert str(empty) in r.stderr and "no package file" in r.stderr, str(r)

    repo, _ = publish("p", "1", {"a.txt": "a"})
    publish("q", "1", {"b.txt": "b"}, repo=repo)
    both = tmp_path / "both"
    assert wrapp("install", "p", "1", both, "--repo", repo).returncode == 0
    assert wrapp("install", "q", "1", both, "--repo", repo).returncode == 0
    r = wrapp("status", both)
    assert r.returncode == 1, str(r)
    assert "holds 2 package files (.p.wrapp, .q.wrapp)" in r.stderr, str(r)
    assert str(both / ".p.wrapp") in r.stderr, str(r)  # the way to name one
    # Naming one works.
    r = wrapp("status", both / ".p.wrapp")
    assert r.stdout.startswith(f"p 1 at {both}: "), str(r)
