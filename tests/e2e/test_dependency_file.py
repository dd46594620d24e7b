"""The dependency-file workflow: `new`, `install --dependency-file`, `uninstall NAME FILE`, `create` of the
folder; install's ignore rules; create refusing subpackages that could not install."""

from __future__ import annotations

import json

import pytest

from helpers import list_files, marker, read_json, repo_wrapp, snapshot, url, version_dir, write_tree


@pytest.fixture
def project(wrapp, publish, tmp_path):
    """lib 1, lib 2 and tool 1 in one repository; a folder with scene.usd and a `wrapp new` file .proj.wrapp.
    Returns (repo, folder, file)."""
    repo, _ = publish("lib", "1", {"l.txt": "lib 1"})
    publish("lib", "2", {"l.txt": "lib 2", "m.txt": "m"}, repo=repo)
    publish("tool", "1", {"t.txt": "tool"}, repo=repo)
    proj = write_tree(tmp_path / "proj", {"scene.usd": "scene"})
    assert wrapp("new", "proj", "0.1", proj).returncode == 0
    return repo, proj, marker(proj, "proj")


def records(file) -> list:
    return [(d["package"], d["version"], d["repository"], d["relative_destination"])
            for d in read_json(file)["dependencies"]]


def test_install_records_into_the_file(wrapp, project):
    repo, proj, file = project
    r = wrapp("install", "lib", "1", proj / "libs" / "lib", "--repo", repo, "--dependency-file", file)
    assert r.returncode == 0, str(r)
    assert r.lines[-1] == f"recorded lib 1 in {file}", str(r)
    assert records(file) == [("lib", "1", url(repo), "libs/lib")]
    assert read_json(file)["catalog"] is None
    assert (proj / "libs" / "lib" / "l.txt").read_text() == "lib 1"

    r = wrapp("install", "lib", "1", proj / "libs" / "lib", "--repo", repo, "--dependency-file", file)
    assert r.returncode == 0, str(r)
    assert "already records lib 1" in r.stdout, str(r)
    # An update updates the record.
    assert wrapp("install", "tool", "1", proj / "tools", "--repo", repo, "--dependency-file", file).returncode == 0
    assert wrapp("install", "lib", "2", proj / "libs" / "lib", "--repo", repo, "--dependency-file", file).returncode == 0
    assert records(file) == [("lib", "2", url(repo), "libs/lib"), ("tool", "1", url(repo), "tools")]


def test_install_into_the_files_own_folder_records_an_empty_destination(wrapp, project):
    repo, proj, file = project
    r = wrapp("install", "tool", "1", proj, "--repo", repo, "--dependency-file", file)
    assert r.returncode == 0, str(r)
    assert records(file) == [("tool", "1", url(repo), "")]


def test_destination_outside_the_files_folder_is_refused(wrapp, project, tmp_path):
    repo, proj, file = project
    before = snapshot(tmp_path)
    r = wrapp("install", "lib", "1", tmp_path / "elsewhere", "--repo", repo, "--dependency-file", file)
    assert r.returncode == 1, str(r)
    assert "not inside" in r.stderr and str(proj) in r.stderr, str(r)
    assert snapshot(tmp_path) == before


def test_missing_dependency_file_is_refused(wrapp, project, tmp_path):
    repo, proj, file = project
    before = snapshot(tmp_path)
    r = wrapp("install", "lib", "1", proj / "lib", "--repo", repo, "--dependency-file", proj / ".nope.wrapp")
    assert r.returncode == 1, str(r)
    assert ".nope.wrapp" in r.stderr, str(r)
    assert snapshot(tmp_path) == before


def test_a_package_is_recorded_in_one_place(wrapp, project, tmp_path):
    repo, proj, file = project
    assert wrapp("install", "lib", "1", proj / "a", "--repo", repo, "--dependency-file", file).returncode == 0
    before = snapshot(tmp_path)
    r = wrapp("install", "lib", "1", proj / "b", "--repo", repo, "--dependency-file", file)
    assert r.returncode == 1, str(r)
    assert "already records package 'lib' at 'a'" in r.stderr, str(r)
    assert snapshot(tmp_path) == before


def test_dry_run_records_nothing(wrapp, project, tmp_path):
    repo, proj, file = project
    before = snapshot(tmp_path)
    r = wrapp("install", "lib", "1", proj / "lib", "--repo", repo, "--dependency-file", file, "--dry-run")
    assert r.returncode == 0, str(r)
    assert f"would record lib 1 in {file}" in r.stdout, str(r)
    assert snapshot(tmp_path) == before


@pytest.mark.race
def test_concurrent_installs_recording_into_one_file_keep_every_record(wrapp, spawn, project):
    repo, proj, file = project
    names = [f"p{i}" for i in range(12)]
    for n in names:
        src = write_tree(proj.parent / f"src-{n}", {f"{n}.txt": n})
        assert wrapp("create", n, "1", src, "--repo", repo).returncode == 0
        # Installed first: the recording runs are quick no-ops that all reach the file at about the same time.
        assert wrapp("install", n, "1", proj / "libs" / n, "--repo", repo).returncode == 0
    for attempt in range(3):
        running = [spawn("install", n, "1", proj / "libs" / n, "--repo", repo, "--dependency-file", file)
                   for n in names]
        for proc in running:
            r = proc.finish()
            assert r.returncode == 0, str(r)
        assert sorted(records(file)) == [(n, "1", url(repo), f"libs/{n}") for n in sorted(names)], f"attempt {attempt}"
        file.write_text(json.dumps({**read_json(file), "dependencies": []}))


def test_uninstall_through_the_file_removes_exactly_its_record(wrapp, project):
    repo, proj, file = project
    lib = proj / "libs" / "lib"
    assert wrapp("install", "lib", "1", lib, "--repo", repo, "--dependency-file", file).returncode == 0
    assert wrapp("install", "tool", "1", proj / "tools", "--repo", repo, "--dependency-file", file).returncode == 0
    (lib / "mine.txt").write_text("mine")
    r = wrapp("uninstall", "lib", file)
    assert r.returncode == 0, str(r)
    assert f"removed the record of lib from {file}" in r.stdout, str(r)
    assert list_files(lib) == ["mine.txt"]
    assert records(file) == [("tool", "1", url(repo), "tools")]
    assert (proj / "tools" / "t.txt").read_text() == "tool"
    assert (proj / "scene.usd").read_text() == "scene"
    r = wrapp("uninstall", "lib", file)
    assert r.returncode == 1 and "records no dependency" in r.stderr, str(r)


def test_refused_uninstall_keeps_the_record(wrapp, project):
    repo, proj, file = project
    lib = proj / "libs" / "lib"
    assert wrapp("install", "lib", "1", lib, "--repo", repo, "--dependency-file", file).returncode == 0
    (lib / "l.txt").write_text("edited")
    r = wrapp("uninstall", "lib", file)
    assert r.returncode == 1 and "l.txt" in r.stderr, str(r)
    assert records(file) == [("lib", "1", url(repo), "libs/lib")]
    r = wrapp("uninstall", "lib", file, "--force")
    assert r.returncode == 0, str(r)
    assert records(file) == []


def test_uninstall_of_a_package_removed_by_hand_removes_its_record(wrapp, project):
    repo, proj, file = project
    lib = proj / "libs" / "lib"
    assert wrapp("install", "lib", "1", lib, "--repo", repo, "--dependency-file", file).returncode == 0
    marker(lib, "lib").unlink()
    r = wrapp("uninstall", "lib", file)
    assert r.returncode == 0, str(r)
    assert r.lines == [f"removed the record of lib from {file}"], str(r)
    assert records(file) == []


def test_create_of_the_folder_records_the_installs(wrapp, project, tmp_path):
    repo, proj, file = project
    assert wrapp("install", "lib", "2", proj / "libs" / "lib", "--repo", repo, "--dependency-file", file).returncode == 0
    assert wrapp("install", "tool", "1", proj / "tools", "--repo", repo, "--dependency-file", file).returncode == 0
    r = wrapp("status", file)
    assert r.returncode == 1 and "package_no_catalog" in r.stdout, str(r)
    r = wrapp("create", "proj", "1", proj, "--repo", repo, "--check-subpackage")
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(repo, "proj", "1"))
    assert sorted((d["package"], d["version"], d["repository"], d["relative_destination"])
                  for d in info["dependencies"]) == sorted(records(file))
    assert [i["relative_path"] for i in info["catalog"]["items"]] == ["scene.usd"]
    copy = tmp_path / "copy"
    assert wrapp("install", "proj", "1", copy, "--repo", repo).returncode == 0
    assert list_files(copy) == [".proj.wrapp", "libs/lib/.lib.wrapp", "libs/lib/l.txt", "libs/lib/m.txt",
                                "scene.usd", "tools/.tool.wrapp", "tools/t.txt"]
    assert wrapp("status", marker(copy, "proj")).returncode == 0


# --------------------------------------------------------------------------------------------
# install --ignore-file


def test_install_overwrites_an_ignored_file_that_is_not_the_packages(wrapp, project, tmp_path):
    repo, _, _ = project
    dest = write_tree(tmp_path / "dest", {"l.txt": "my own"})
    r = wrapp("install", "lib", "1", dest, "--repo", repo)
    assert r.returncode == 1 and "l.txt" in r.stderr, str(r)
    (tmp_path / "rules").write_text("*.txt\n")
    r = wrapp("install", "lib", "1", dest, "--repo", repo, "--ignore-file", "rules")
    assert r.returncode == 0, str(r)
    assert (dest / "l.txt").read_text() == "lib 1"


def test_install_uses_the_destinations_wrappignore_and_still_refuses_modified_files(wrapp, project, tmp_path):
    repo, _, _ = project
    dest = tmp_path / "dest"
    assert wrapp("install", "lib", "1", dest, "--repo", repo).returncode == 0
    write_tree(dest, {".wrappignore": "*.txt\n", "m.txt": "my own m", "l.txt": "edited"})
    r = wrapp("install", "lib", "2", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "l.txt" in r.stderr and "m.txt" not in r.stderr, str(r)
    (dest / "l.txt").write_text("lib 1")
    r = wrapp("install", "lib", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "m.txt").read_text() == "m"
    assert (dest / ".wrappignore").read_text() == "*.txt\n"


def test_install_with_a_missing_ignore_file_changes_nothing(wrapp, project, tmp_path):
    repo, _, _ = project
    before = snapshot(tmp_path)
    r = wrapp("install", "lib", "1", tmp_path / "dest", "--repo", repo, "--ignore-file", tmp_path / "no-rules")
    assert r.returncode == 1 and "no-rules" in r.stderr, str(r)
    assert snapshot(tmp_path) == before


# --------------------------------------------------------------------------------------------
# create refuses subpackages that could not install


def test_create_refuses_a_nested_new_file_without_repository(wrapp, project):
    repo, proj, file = project
    write_tree(proj / "sub", {"s.txt": "s"})
    assert wrapp("new", "sub", "0.1", proj / "sub", "--catalog").returncode == 0
    r = wrapp("create", "proj", "1", proj, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "sub/.sub.wrapp" in r.stderr and "records no repository" in r.stderr, str(r)
    assert not version_dir(repo, "proj", "1").exists()
    # Once the target repository has that version, it installs from there.
    assert wrapp("create", "sub", "0.1", proj / "sub", "--repo", repo).returncode == 0
    r = wrapp("create", "proj", "1", proj, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert [(d["package"], d["repository"]) for d in read_json(repo_wrapp(repo, "proj", "1"))["dependencies"]] == [
        ("sub", "")]


def test_create_refuses_a_nested_new_file_without_catalog(wrapp, project):
    repo, proj, file = project
    assert wrapp("new", "sub", "0.1", proj / "sub").returncode == 0
    r = wrapp("create", "proj", "1", proj, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert ".sub.wrapp" in r.stderr and "no catalog" in r.stderr, str(r)
    assert not version_dir(repo, "proj", "1").exists()


def test_check_subpackage_refuses_versions_missing_from_their_repository(wrapp, project, tmp_path):
    repo, proj, file = project
    other = tmp_path / "other"
    src = write_tree(tmp_path / "src-x", {"x.txt": "x"})
    assert wrapp("create", "x", "1", src, "--repo", other).returncode == 0
    assert wrapp("install", "x", "1", proj / "x", "--repo", other, "--dependency-file", file).returncode == 0
    repo_wrapp(other, "x", "1").chmod(0o644)
    repo_wrapp(other, "x", "1").unlink()
    r = wrapp("create", "proj", "1", proj, "--repo", repo, "--check-subpackage", "--dry-run")
    assert r.returncode == 1, str(r)
    assert "x/.x.wrapp: package 'x' 1 not found in repository" in r.stderr, str(r)
    assert not version_dir(repo, "proj", "1").exists()
    r = wrapp("create", "proj", "1", proj, "--repo", repo)
    assert r.returncode == 0, str(r)
