"""wrapp create-metapackage: a package with no files of its own, only dependencies."""

from __future__ import annotations

import json

from helpers import list_files, marker, read_json, read_tree, repo_wrapp, url, version_dir


def test_metapackage_records_dependencies_and_installs_them(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib", "sub/m.txt": "more"})
    other, _ = publish("tool", "2", {"t.txt": "tool"}, repo=tmp_path / "other")
    r = wrapp("create-metapackage", "meta", "1", repo,
              "--dependency", "lib", "1", "", "./libs/lib/",
              "--dependency", "tool", "2", other, ".")
    assert r.returncode == 0, str(r)
    assert r.stdout == f"created metapackage meta 1 in {repo}: 2 dependencies, a tree of 3 packages and 3 files\n"
    info = read_json(repo_wrapp(repo, "meta", "1"))
    assert info["name"] == "meta" and info["version"] == "1"
    assert info["repository"] == url(repo) and info["source"] is None
    assert info["catalog"] == {"root": url(version_dir(repo, "meta", "1")), "items": []}
    assert info["dependencies"] == [
        {"package": "lib", "version": "1", "repository": "", "relative_destination": "libs/lib"},
        {"package": "tool", "version": "2", "repository": url(other), "relative_destination": ""},
    ]
    assert list_files(version_dir(repo, "meta", "1")) == [".meta.wrapp"]
    assert wrapp("list-repo", repo).stdout == "lib: 1\nmeta: 1\n"

    dest = tmp_path / "dest"
    r = wrapp("install", "meta", "1", dest, "--repo", repo)
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    assert {k: v for k, v in tree.items() if not k.endswith(".wrapp")} == {
        "libs/lib/l.txt": b"lib", "libs/lib/sub/m.txt": b"more", "t.txt": b"tool"}
    assert sorted(k for k in tree if k.endswith(".wrapp")) == [".meta.wrapp", ".tool.wrapp", "libs/lib/.lib.wrapp"]
    assert read_json(marker(dest / "libs" / "lib", "lib"))["repository"] == url(repo)
    assert read_json(marker(dest, "tool"))["repository"] == url(other)
    st = wrapp("status", marker(dest, "meta"))
    assert st.returncode == 0, str(st)


def test_dependencies_file_and_options_combine(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    publish("lib", "2", {"l.txt": "lib 2"}, repo=repo)
    deps = tmp_path / "deps.json"
    deps.write_text(json.dumps([{"package": "lib", "version": "1", "repository": str(repo),
                                 "relative_destination": "a"}]))
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependencies-file", deps,
              "--dependency", "lib", "2", "", "b")
    assert r.returncode == 0, str(r)
    info = read_json(repo_wrapp(repo, "meta", "1"))
    assert [(d["version"], d["repository"], d["relative_destination"]) for d in info["dependencies"]] == [
        ("1", url(repo), "a"), ("2", "", "b")]
    # A .wrapp file's dependencies serve as well.
    r = wrapp("create-metapackage", "meta", "2", repo, "--dependencies-file", repo_wrapp(repo, "meta", "1"))
    assert r.returncode == 0, str(r)
    assert read_json(repo_wrapp(repo, "meta", "2"))["dependencies"] == info["dependencies"]


def test_missing_dependencies_are_named_and_nothing_is_published(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependency", "lib", "9", "", "a",
              "--dependency", "gone", "1", tmp_path / "nowhere", "b")
    assert r.returncode == 1, str(r)
    assert "2 dependencies not found: 'lib' 9 in" in r.stderr and "'gone' 1 in" in r.stderr, r.stderr
    assert "--skip-dependency-check" in r.stderr
    assert not version_dir(repo, "meta", "1").exists()
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependency", "gone", "1", "", "b",
              "--skip-dependency-check")
    assert r.returncode == 0, str(r)
    assert r.stdout.endswith(": 1 dependencies, not checked\n"), r.stdout
    assert read_json(repo_wrapp(repo, "meta", "1"))["dependencies"][0]["package"] == "gone"


def test_bad_dependencies_are_refused(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    publish("other", "1", {"l.txt": "other"}, repo=repo)
    cases = {
        "unsafe location": (["--dependency", "lib", "1", "", "../up"], "unsafe location '../up'"),
        "absolute location": (["--dependency", "lib", "1", "", "/abs"], "unsafe location '/abs'"),
        "unsafe name": (["--dependency", "../lib", "1", "", "a"], "unsafe name or version"),
        "twice at one place": (["--dependency", "lib", "1", "", "a", "--dependency", "lib", "1", "", "./a/"],
                               "package 'lib' is given twice at location 'a'"),
        "files clash": (["--dependency", "lib", "1", "", "x", "--dependency", "other", "1", "", "x"],
                        "'x/l.txt' is installed by two packages"),
        "none": ([], "no dependencies given"),
        "too few values": (["--dependency", "lib", "1", ""], ""),
    }
    for what, (args, message) in cases.items():
        r = wrapp("create-metapackage", "meta", "1", repo, *args)
        assert r.returncode == 1, f"{what}: {r}"
        assert message in r.stderr, f"{what}: {r.stderr}"
    assert not version_dir(repo, "meta", "1").exists()
    deps = tmp_path / "deps.json"
    deps.write_text(json.dumps([{"package": "lib", "version": "1", "relative_destination": "../x"}]))
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependencies-file", deps)
    assert r.returncode == 1 and "refusing unsafe dependency location '../x'" in r.stderr, str(r)
    deps.write_text('[{"package": "lib", "version": "1", "x": ' + "[" * 300 + "]" * 300 + "}]")
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependencies-file", deps)
    assert r.returncode == 1 and "nested deeper than 256 levels" in r.stderr, str(r)
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependencies-file", tmp_path / "absent.json")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)
    assert not version_dir(repo, "meta", "1").exists()


def test_existing_version_is_refused_and_dry_run_writes_nothing(wrapp, publish, tmp_path):
    repo, _ = publish("lib", "1", {"l.txt": "lib"})
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependency", "lib", "1", "", "a", "--dry-run")
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith("would create metapackage meta 1"), r.stdout
    assert not version_dir(repo, "meta", "1").exists()
    assert wrapp("create-metapackage", "meta", "1", repo, "--dependency", "lib", "1", "", "a").returncode == 0
    before = repo_wrapp(repo, "meta", "1").read_bytes()
    r = wrapp("create-metapackage", "meta", "1", repo, "--dependency", "lib", "1", "", "b")
    assert r.returncode == 1 and "already exists" in r.stderr, str(r)
    assert repo_wrapp(repo, "meta", "1").read_bytes() == before
