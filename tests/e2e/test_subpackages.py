"""Package trees: subpackages nested in subpackages, dropped and moved subpackages."""

from __future__ import annotations

import json

from helpers import marker, read_json, read_tree, repo_wrapp, write_tree


def build_three_levels(wrapp, publish, tmp_path):
    """base 1; lib 1 holds base in vendor/; app 1 holds lib in libs/lib. Returns the repository."""
    repo, _ = publish("base", "1", {"b.txt": "base"})
    lib = write_tree(tmp_path / "lib", {"l.txt": "lib"})
    assert wrapp("install", "base", "1", lib / "vendor", "--repo", repo).returncode == 0
    assert wrapp("create", "lib", "1", lib, "--repo", repo).returncode == 0
    app = write_tree(tmp_path / "app", {"a.txt": "app"})
    assert wrapp("install", "lib", "1", app / "libs" / "lib", "--repo", repo).returncode == 0
    r = wrapp("create", "app", "1", app, "--repo", repo)
    assert r.returncode == 0, str(r)
    return repo


def test_a_subpackages_own_subpackage_is_not_a_direct_dependency(wrapp, publish, tmp_path):
    repo = build_three_levels(wrapp, publish, tmp_path)
    app = read_json(repo_wrapp(repo, "app", "1"))
    assert [(d["package"], d["relative_destination"]) for d in app["dependencies"]] == [("lib", "libs/lib")]
    assert [i["relative_path"] for i in app["catalog"]["items"]] == ["a.txt"]
    dest = tmp_path / "dest"
    r = wrapp("install", "app", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert read_tree(dest) == {
        ".app.wrapp": marker(dest, "app").read_bytes(),
        "a.txt": b"app",
        "libs/lib/.lib.wrapp": marker(dest / "libs" / "lib", "lib").read_bytes(),
        "libs/lib/l.txt": b"lib",
        "libs/lib/vendor/.base.wrapp": marker(dest / "libs" / "lib" / "vendor", "base").read_bytes(),
        "libs/lib/vendor/b.txt": b"base",
    }
    r = wrapp("status", marker(dest, "app"), "--json")
    assert r.returncode == 0, str(r)
    assert [p["package"] for p in json.loads(r.stdout)["packages"]] == ["app", "lib", "base"]


def test_update_that_drops_a_subpackage_removes_it_and_its_subpackages(wrapp, publish, tmp_path):
    repo = build_three_levels(wrapp, publish, tmp_path)
    publish("app", "2", {"a.txt": "app 2"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    (dest / "mine.txt").write_text("mine")
    dry = wrapp("install", "app", "2", dest, "--repo", repo, "--dry-run")
    assert dry.returncode == 0, str(dry)
    r = wrapp("install", "app", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    # The summary counts the whole tree as --dry-run lists it: the copy, and
    # each dropped subpackage (lib, and base within it) as one delete.
    assert "1 to copy (5 B), 0 reused from an earlier version (0 B), 2 to delete, 0 unchanged" in dry.stdout, str(dry)
    assert f"installed app 2 into {dest}: 1 copied (5 B), 2 deleted, 0 unchanged\n" in r.stdout, str(r)
    tree = read_tree(dest)
    assert sorted(tree) == [".app.wrapp", "a.txt", "mine.txt"]
    assert not (dest / "libs").exists(), "folders emptied by the dropped subpackages remain"


def test_update_that_drops_a_modified_subpackage_is_refused(wrapp, publish, tmp_path):
    repo = build_three_levels(wrapp, publish, tmp_path)
    publish("app", "2", {"a.txt": "app 2"}, repo=repo)
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    (dest / "libs" / "lib" / "vendor" / "b.txt").write_text("edited")
    r = wrapp("install", "app", "2", dest, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "libs/lib/vendor/b.txt" in r.stderr, str(r)
    assert (dest / "a.txt").read_text() == "app"


def test_install_reports_a_changed_subpackage_even_when_the_parent_is_unchanged(wrapp, publish, tmp_path):
    repo = build_three_levels(wrapp, publish, tmp_path)
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    (dest / "libs" / "lib" / "l.txt").unlink()
    marker(dest / "libs" / "lib", "lib").unlink()  # as if the subpackage had been removed by hand
    r = wrapp("install", "app", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert "already installed" not in r.stdout, str(r)
    assert (dest / "libs" / "lib" / "l.txt").read_text() == "lib"


def test_subpackage_moving_to_another_parent_is_kept(wrapp, publish, tmp_path):
    # app 1: lib2 at libs/lib2, which holds lib at sub. app 2: lib directly at libs/lib2/sub.
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    lib2 = write_tree(tmp_path / "lib2", {"l2.txt": "lib2"})
    assert wrapp("install", "lib", "1", lib2 / "sub", "--repo", repo).returncode == 0
    assert wrapp("create", "lib2", "1", lib2, "--repo", repo).returncode == 0
    app1 = write_tree(tmp_path / "app1", {"a.txt": "a"})
    assert wrapp("install", "lib2", "1", app1 / "libs" / "lib2", "--repo", repo).returncode == 0
    assert wrapp("create", "app", "1", app1, "--repo", repo).returncode == 0
    app2 = write_tree(tmp_path / "app2", {"a.txt": "a"})
    assert wrapp("install", "lib", "1", app2 / "libs" / "lib2" / "sub", "--repo", repo).returncode == 0
    assert wrapp("create", "app", "2", app2, "--repo", repo).returncode == 0
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    r = wrapp("install", "app", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "libs" / "lib2" / "sub" / "l.txt").read_text() == "lib"
    assert not (dest / "libs" / "lib2" / "l2.txt").exists()
    assert wrapp("status", marker(dest, "app")).returncode == 0


def test_subpackage_of_another_version_than_its_owner_records_is_refused(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib 1"})
    publish("lib", "2", {"l.txt": "lib 2"}, repo=repo)
    lib2 = write_tree(tmp_path / "lib2", {"l2.txt": "lib2"})
    assert wrapp("install", "lib", "1", lib2 / "sub", "--repo", repo).returncode == 0
    assert wrapp("create", "lib2", "1", lib2, "--repo", repo).returncode == 0
    app = write_tree(tmp_path / "app", {"a.txt": "a"})
    assert wrapp("install", "lib2", "1", app / "libs" / "lib2", "--repo", repo).returncode == 0
    assert wrapp("install", "lib", "2", app / "libs" / "lib2" / "sub", "--repo", repo).returncode == 0
    r = wrapp("create", "app", "1", app, "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "lib2" in r.stderr and "version" in r.stderr, str(r)
    assert not (repo / ".packages" / "app").exists()


def test_subpackage_covered_by_a_sibling_marker_in_the_same_folder(wrapp, publish, tmp_path):
    # zz depends on aa installed in zz's own folder; both markers sit in libs/x.
    repo, _ = publish("aa", "1", {"a.txt": "a"})
    zz = tmp_path / "zz"
    assert wrapp("install", "aa", "1", zz, "--repo", repo).returncode == 0
    (zz / "z.txt").write_text("z")
    assert wrapp("create", "zz", "1", zz, "--repo", repo).returncode == 0
    top = write_tree(tmp_path / "top", {"t.txt": "t"})
    assert wrapp("install", "zz", "1", top / "libs" / "x", "--repo", repo).returncode == 0
    assert wrapp("create", "top", "1", top, "--repo", repo).returncode == 0
    deps = read_json(repo_wrapp(repo, "top", "1"))["dependencies"]
    assert [(d["package"], d["relative_destination"]) for d in deps] == [("zz", "libs/x")]
    dest = tmp_path / "dest"
    r = wrapp("install", "top", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert "3 copied" in r.stdout, str(r)


def test_file_moving_between_a_package_and_its_subpackage_survives_updates(wrapp, publish, tmp_path):
    repo, _ = publish("s", "1", {"x.txt": "shared"})
    publish("p", "1", {"a/x.txt": "shared", "p.txt": "p"}, repo=repo)  # x.txt is the parent's own file
    p2 = write_tree(tmp_path / "p2", {"p.txt": "p"})
    assert wrapp("install", "s", "1", p2 / "a", "--repo", repo).returncode == 0
    assert wrapp("create", "p", "2", p2, "--repo", repo).returncode == 0  # now x.txt belongs to subpackage s
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    # Into the subpackage...
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "a" / "x.txt").read_text() == "shared"
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 0, str(r)
    # ...and back out of it.
    r = wrapp("install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    assert (dest / "a" / "x.txt").read_text() == "shared"
    assert not marker(dest / "a", "s").exists()
    r = wrapp("status", marker(dest, "p"))
    assert r.returncode == 0, str(r)
