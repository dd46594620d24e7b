"""wrapp publish-redirect: redirect packages (a package file only) for every version of source repositories."""

from __future__ import annotations

import json
import shutil

from helpers import list_files, marker, read_json, read_tree, repo_wrapp, snapshot, url, version_dir

V1 = {"a.txt": "alpha", "sub/b.txt": "bravo"}
V2 = {"a.txt": "alpha 2", "sub/b.txt": "bravo", "c.txt": "charlie"}
LIB = {"lib.txt": "lib"}


def _installed(dest):
    return {k: v.decode() for k, v in read_tree(dest).items() if not k.endswith(".wrapp")}


def _source(publish, tmp_path, name="repo"):
    repo = tmp_path / name
    publish("p", "1", V1, repo=repo, src=tmp_path / f"{name}-src-p1")
    publish("p", "2", V2, repo=repo, src=tmp_path / f"{name}-src-p2")
    publish("lib", "1", LIB, repo=repo, src=tmp_path / f"{name}-src-lib")
    return repo


def test_publish_redirect_writes_package_files_that_install(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    red = tmp_path / "redirect"
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red)
    assert r.returncode == 0, str(r)
    written = [repo_wrapp(red, "lib", "1"), repo_wrapp(red, "p", "1"), repo_wrapp(red, "p", "2")]
    assert r.stdout == "".join(f"wrote {w}\n" for w in written) + "3 redirect package(s) written, 0 already there\n"
    assert sorted(list_files(red)) == sorted(str(w.relative_to(red)) for w in written)

    info, source = read_json(repo_wrapp(red, "p", "2")), read_json(repo_wrapp(repo, "p", "2"))
    assert info["repository"] == url(repo)
    assert info["source"] == source["source"] and info["dependencies"] == source["dependencies"]
    assert info["catalog"]["root"] == url(version_dir(red, "p", "2"))
    assert info["catalog"]["items"] == [
        {**it, "source_path": url(version_dir(repo, "p", "2") / it["relative_path"])}
        for it in source["catalog"]["items"]]

    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", red)
    assert r.returncode == 0, str(r)
    r = wrapp("install", "p", "2", dest, "--repo", red)
    assert r.returncode == 0, str(r)
    assert _installed(dest) == V2
    assert read_json(marker(dest, "p"))["repository"] == url(red)
    r = wrapp("check", repo_wrapp(red, "p", "2"))
    assert r.returncode == 0 and "all ok" in r.stdout, str(r)

    # Again: nothing to write, and the published files are not touched.
    before = snapshot(red)
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red, "--json")
    assert r.returncode == 0, str(r)
    assert json.loads(r.stdout) == {"written": [], "unchanged": [url(w) for w in written]}
    assert snapshot(red) == before


def test_dry_run_writes_nothing(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    red = tmp_path / "redirect"
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red, "--dry-run")
    assert r.returncode == 0, str(r)
    assert r.stdout.splitlines()[0] == f"would write {repo_wrapp(red, 'lib', '1')}"
    assert r.stdout.endswith("3 redirect package(s) to write, 0 already there\n")
    assert not red.exists()


def test_external_url_replaces_the_source_repository(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    cdn = tmp_path / "cdn"
    shutil.copytree(repo, cdn)  # what the CDN serves
    red = tmp_path / "redirect"
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red, "--external-url", url(cdn))
    assert r.returncode == 0, str(r)
    items = read_json(repo_wrapp(red, "p", "1"))["catalog"]["items"]
    assert [it["source_path"] for it in items] == [url(version_dir(cdn, "p", "1") / rel) for rel in sorted(V1)]
    shutil.rmtree(repo)
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", red)
    assert r.returncode == 0, str(r)
    assert _installed(dest) == V1


def test_external_url_of_a_scheme_without_backend(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    red = tmp_path / "redirect"
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red,
              "--external-url", "ftp://cdn.example.com/assets/")
    assert r.returncode == 0, str(r)
    items = read_json(repo_wrapp(red, "p", "1"))["catalog"]["items"]
    assert [it["source_path"] for it in items] == [
        f"ftp://cdn.example.com/assets/.packages/p/1/{rel}" for rel in sorted(V1)]
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", red)
    assert r.returncode == 1, str(r)
    assert "No storage backend available to handle URL 'ftp://cdn.example.com/assets/.packages/p/1/a.txt'" \
        in r.stderr, str(r)
    assert not dest.exists()


def test_identical_duplicates_are_written_once(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    copy = tmp_path / "copy"
    assert wrapp("mirror", "p", "1", repo, copy).returncode == 0
    red = tmp_path / "redirect"
    r = wrapp("publish-redirect", "--source-repo", repo, "--source-repo", copy, "--redirect-repo", red, "--json")
    assert r.returncode == 0, str(r)
    assert len(json.loads(r.stdout)["written"]) == 3
    assert read_json(repo_wrapp(red, "p", "1"))["repository"] == url(repo), "from the first repository given"


def test_a_name_clash_is_refused_before_anything_is_written(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    other = tmp_path / "other"
    publish("p", "2", {"a.txt": "another alpha"}, repo=other, src=tmp_path / "other-src")
    red = tmp_path / "redirect"
    r = wrapp("publish-redirect", "--source-repo", repo, "--source-repo", other, "--redirect-repo", red)
    assert r.returncode == 1, str(r)
    assert f"package 'p' version '2' differs between '{repo}' and '{other}'" in r.stderr, str(r)
    assert "nothing was written" in r.stderr
    assert not red.exists()


def test_a_version_already_published_with_other_content_is_refused(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    red = tmp_path / "redirect"
    publish("p", "1", {"a.txt": "not the same"}, repo=red, src=tmp_path / "red-src")
    before = snapshot(red)
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red)
    assert r.returncode == 1, str(r)
    assert "already exist" in r.stderr and str(repo_wrapp(red, "p", "1")) in r.stderr, str(r)
    assert snapshot(red) == before, "not even the other versions are written"


def test_bad_invocations(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    r = wrapp("publish-redirect", "--redirect-repo", tmp_path / "red")
    assert r.returncode == 1 and "--source-repo" in r.stderr, str(r)
    r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", repo)
    assert r.returncode == 1 and "also a source repository" in r.stderr, str(r)
    r = wrapp("publish-redirect", "--source-repo", tmp_path / "nowhere", "--redirect-repo", tmp_path / "red")
    assert r.returncode == 1 and "not found" in r.stderr, str(r)
    assert not (tmp_path / "red").exists()


def test_get_reads_a_redirect_packages_files_where_they_are(wrapp, tmp_path, publish):
    repo = _source(publish, tmp_path)
    red = tmp_path / "redirect"
    assert wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", red).returncode == 0
    r = wrapp("get", version_dir(red, "p", "2"), tmp_path / "got")
    assert r.returncode == 0, str(r)
    assert r.stdout == "downloaded 4 file(s)\n", str(r)  # the package file comes along
    assert _installed(tmp_path / "got") == V2
    r = wrapp("get", version_dir(red, "p", "2") / "sub", tmp_path / "sub")
    assert r.returncode == 0, str(r)
    assert _installed(tmp_path / "sub") == {"b.txt": "bravo"}
    # The bytes are verified against the catalog.
    (version_dir(repo, "p", "2") / "c.txt").chmod(0o644)
    (version_dir(repo, "p", "2") / "c.txt").write_text("CHARLIE")
    r = wrapp("get", version_dir(red, "p", "2") / "c.txt", tmp_path / "c.txt")
    assert r.returncode == 1 and "does not match its recorded hash" in r.stderr, str(r)
    assert not (tmp_path / "c.txt").exists()
