"""wrapp create-patch, apply-patch and install --patch: three-way patches of file trees."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess

import pytest

from helpers import (
    Result, digests, hash_bytes, marker, read_json, snapshot, tree_contents, url, wrapp_command, wrapp_env,
    write_tree,
)

WEEK1 = {
    "same.txt": "unchanged\n",
    "up.txt": "upstream 1\n",
    "gone.txt": "dropped upstream\n",
    "mine.txt": "local 1\n",
    "both.txt": "base\n",
    "dir/deep.txt": "deep 1\n",
    "name with space.txt": "spaces 1\n",
}


def week2_files():
    w = dict(WEEK1)
    w["up.txt"] = "upstream 2, longer\n"
    del w["gone.txt"]
    w["new/added.txt"] = "added upstream\n"
    w["dir/deep.txt"] = "deep 2\n"
    w["name with space.txt"] = "spaces 2\n"
    return w


LOCAL_CHANGES = {"mine.txt": "local 2\n", "local-only.txt": "mine\n"}


def not_wrapp(rel):
    return rel.endswith(".json")


@pytest.fixture
def tutorial(wrapp, tmp_path):
    """The reference's tutorial up to the catalogs: week 1 catalogued and copied to a target that
    gets local changes, week 2 catalogued, the target catalogued. Returns a dict of paths."""
    week = write_tree(tmp_path / "assets", WEEK1)
    cat = tmp_path / "cat"
    cat.mkdir()
    assert wrapp("catalog", week, cat / "week1.json").returncode == 0
    target = tmp_path / "target"
    shutil.copytree(week, target)
    write_tree(target, LOCAL_CHANGES)
    shutil.rmtree(week)
    write_tree(week, week2_files())
    assert wrapp("catalog", week, cat / "week2.json").returncode == 0
    assert wrapp("catalog", target, cat / "target.json").returncode == 0
    return {"week": week, "target": target, "cat": cat, "patch": tmp_path / "patch.json"}


def create_patch(wrapp, t, *args):
    return wrapp("create-patch", t["cat"] / "target.json", t["cat"] / "week2.json", t["cat"] / "week1.json",
                 t["patch"], *args)


def test_tutorial_patch_takes_week2_and_keeps_local_changes(wrapp, tutorial):
    t = tutorial
    r = create_patch(wrapp, t)
    assert r.returncode == 0, str(r)
    assert "5 operation(s), 0 conflict(s)" in r.stdout, str(r)

    patch = read_json(t["patch"])
    assert patch["wrapp_patch_version"] == 1
    assert patch["target"] == url(t["target"])
    assert patch["conflicts"] == []
    ops = patch["operations"]
    copies = [o for o in ops if o["operation_type"] == "copy"]
    deletes = [o for o in ops if o["operation_type"] == "delete"]
    assert ops == copies + deletes, "copies are listed first, then deletes"
    assert [o["dst"] for o in copies] == [url(t["target"] / rel) for rel in
                                          ["dir/deep.txt", "name with space.txt", "new/added.txt", "up.txt"]]
    for o in copies:
        rel = o["dst"][len(url(t["target"])) + 1:]
        assert o["src"] == url(t["week"]) + "/" + rel
        content = week2_files()[rel.replace("%20", " ")].encode()
        assert o["hash"] == hash_bytes(content) and o["size"] == len(content)
        assert o["item_type"] == "file"
    assert deletes == [{"operation_type": "delete", "url": url(t["target"] / "gone.txt")}]

    r = wrapp("apply-patch", t["patch"])
    assert r.returncode == 0, str(r)
    assert f"applied 5 of 5 operation(s) to {t['target']}" in r.stdout, str(r)
    expected = {**week2_files(), **LOCAL_CHANGES}
    assert tree_contents(t["target"]) == digests(expected)


def test_no_change_gives_an_empty_patch(wrapp, tmp_path):
    tree = write_tree(tmp_path / "t", WEEK1)
    assert wrapp("catalog", tree, tmp_path / "c.json").returncode == 0
    c = tmp_path / "c.json"
    r = wrapp("create-patch", c, c, c, tmp_path / "p.json")
    assert r.returncode == 0, str(r)
    assert read_json(tmp_path / "p.json")["operations"] == []
    before = snapshot(tree)
    assert wrapp("apply-patch", tmp_path / "p.json").returncode == 0
    assert snapshot(tree) == before


@pytest.fixture
def conflicting(tutorial):
    """The tutorial with both.txt changed on both sides and gone.txt changed locally."""
    t = tutorial
    write_tree(t["target"], {"both.txt": "changed locally\n", "gone.txt": "still needed here\n"})
    write_tree(t["week"], {"both.txt": "changed upstream\n"})
    return t


def recatalog(wrapp, t):
    assert wrapp("catalog", t["week"], t["cat"] / "week2.json").returncode == 0
    assert wrapp("catalog", t["target"], t["cat"] / "target.json").returncode == 0


def test_conflicts_exit_1_and_are_written(wrapp, conflicting):
    t = conflicting
    recatalog(wrapp, t)
    r = create_patch(wrapp, t)
    assert r.returncode == 1, str(r)
    assert "conflict both.txt: changed in A, changed in B [unresolved]" in r.stdout, str(r)
    assert "conflict gone.txt: changed in A, deleted in B [unresolved]" in r.stdout, str(r)
    assert "2 unresolved" in r.stdout
    patch = read_json(t["patch"])  # written all the same, for inspection
    conflicts = {c["relative_path"]: c for c in patch["conflicts"]}
    assert set(conflicts) == {"both.txt", "gone.txt"}
    both = conflicts["both.txt"]
    assert both["resolution"] == "unresolved"
    assert both["a"]["hash"] == hash_bytes(b"changed locally\n")
    assert both["b"]["hash"] == hash_bytes(b"changed upstream\n")
    assert both["baseline"]["hash"] == hash_bytes(b"base\n")
    assert conflicts["gone.txt"]["b"] is None
    assert not any(o.get("dst", o.get("url", "")).endswith(("both.txt", "gone.txt")) for o in patch["operations"])

    r = wrapp("apply-patch", t["patch"])
    assert r.returncode == 0, str(r)
    assert "2 conflicting path(s) are left as they are" in r.stderr, str(r)
    assert (t["target"] / "both.txt").read_text() == "changed locally\n"
    assert (t["target"] / "gone.txt").read_text() == "still needed here\n"
    assert (t["target"] / "up.txt").read_text() == "upstream 2, longer\n"


def test_force_takes_b_on_conflicts(wrapp, conflicting):
    t = conflicting
    recatalog(wrapp, t)
    r = create_patch(wrapp, t, "--force", "--json")
    assert r.returncode == 0, str(r)
    out = json.loads(r.stdout)
    assert out["unresolved_conflicts"] == 0
    assert out["patch_file"] == url(t["patch"])
    assert {c["resolution"] for c in out["patch"]["conflicts"]} == {"forced"}
    assert out["patch"] == read_json(t["patch"])
    assert wrapp("apply-patch", t["patch"]).returncode == 0
    assert (t["target"] / "both.txt").read_text() == "changed upstream\n"
    assert not (t["target"] / "gone.txt").exists()
    assert tree_contents(t["target"]) == digests({**week2_files(), **LOCAL_CHANGES, "both.txt": "changed upstream\n"})


def test_ignore_skips_conflicts(wrapp, conflicting):
    t = conflicting
    recatalog(wrapp, t)
    r = create_patch(wrapp, t, "--ignore")
    assert r.returncode == 0, str(r)
    patch = read_json(t["patch"])
    assert {c["resolution"] for c in patch["conflicts"]} == {"ignored"}
    r = wrapp("apply-patch", t["patch"])
    assert r.returncode == 0 and "left as they are" not in r.stderr, str(r)
    assert (t["target"] / "both.txt").read_text() == "changed locally\n"


def test_ignore_with_force_is_refused(wrapp, tutorial):
    r = create_patch(wrapp, tutorial, "--ignore", "--force")
    assert r.returncode == 1, str(r)
    assert "contradict" in r.stderr
    assert not tutorial["patch"].exists()


def test_existing_patch_file_needs_overwrite(wrapp, tutorial):
    tutorial["patch"].write_text("keep me")
    r = create_patch(wrapp, tutorial)
    assert r.returncode == 1, str(r)
    assert "already exists" in r.stderr and "--overwrite" in r.stderr, str(r)
    assert tutorial["patch"].read_text() == "keep me"
    r = create_patch(wrapp, tutorial, "--overwrite")
    assert r.returncode == 0, str(r)
    assert read_json(tutorial["patch"])["wrapp_patch_version"] == 1


def test_create_patch_dry_run_writes_nothing(wrapp, tutorial):
    r = create_patch(wrapp, tutorial, "--dry-run")
    assert r.returncode == 0, str(r)
    assert "would write" in r.stdout and "copy " in r.stdout, str(r)
    assert not tutorial["patch"].exists()


def test_create_patch_missing_catalog(wrapp, tutorial):
    t = tutorial
    r = wrapp("create-patch", t["cat"] / "nope.json", t["cat"] / "week2.json", t["cat"] / "week1.json", t["patch"])
    assert r.returncode == 1, str(r)
    assert "nope.json" in r.stderr and "not found" in r.stderr, str(r)


def test_create_patch_tags_warn_and_make_no_tag_operations(wrapp, tutorial):
    r = create_patch(wrapp, tutorial, "--tags")
    assert r.returncode == 0, str(r)
    assert "warning: create-patch --tags: no storage of this build has tags" in r.stderr, str(r)
    ops = read_json(tutorial["patch"])["operations"]
    assert {o["operation_type"] for o in ops} == {"copy", "delete"}


def test_apply_patch_dry_run_lists_and_writes_nothing(wrapp, tutorial):
    assert create_patch(wrapp, tutorial).returncode == 0
    before = snapshot(tutorial["target"])
    r = wrapp("apply-patch", tutorial["patch"], "--dry-run")
    assert r.returncode == 0, str(r)
    assert f"delete {tutorial['target'] / 'gone.txt'}" in r.stdout, str(r)
    assert "would apply 5 operation(s)" in r.stdout
    assert snapshot(tutorial["target"]) == before


def test_apply_patch_json(wrapp, tutorial):
    assert create_patch(wrapp, tutorial).returncode == 0
    r = wrapp("apply-patch", tutorial["patch"], "--json")
    assert r.returncode == 0, str(r)
    out = json.loads(r.stdout)
    assert out["applied"] == 5 and out["failed"] == [] and out["dry_run"] is False
    assert out["target"] == url(tutorial["target"])
    assert [o["operation_type"] for o in out["operations"]] == ["copy"] * 4 + ["delete"]


def test_missing_patch_file(wrapp, tmp_path):
    r = wrapp("apply-patch", tmp_path / "nope.json")
    assert r.returncode == 1, str(r)
    assert str(tmp_path / "nope.json") in r.stderr and "not found" in r.stderr, str(r)


def write_patch(path, target, operations, **extra):
    path.write_text(json.dumps({"wrapp_patch_version": 1, "target": target, "operations": operations, **extra}))
    return path


def copy_op(src, dst, content: bytes):
    return {"operation_type": "copy", "src": src, "dst": dst, "hash": hash_bytes(content), "size": len(content)}


# Hostile patch files (operations outside the target, malformed ones, ...): tests/hostile/patch/ and
# test_hostile.py.


@pytest.mark.parametrize("text,message", [
    ("{not json", "not valid JSON"),
    ("null", "not a patch file"),
    ('{"a": ' * 1000 + "1" + "}" * 1000, "nested deeper than 256 levels"),
    ("[" * 1000 + "]" * 1000, "not a patch file"),
    ('{"target": "file:///t", "operations": [], "x": ' + "[" * 300 + "]" * 300 + "}", "nested deeper"),
    ('{"wrapp_patch_version": 7, "target": "file:///t", "operations": []}', "upgrade wrapp"),
    ('{"target": "file:///t"}', "no 'operations' list"),
    ('{"operations": []}', "names no 'target'"),
])
def test_malformed_patch_files(wrapp, tmp_path, text, message):
    (tmp_path / "bad.json").write_text(text)
    r = wrapp("apply-patch", tmp_path / "bad.json")
    assert r.returncode == 1, str(r)
    assert message in r.stderr and str(tmp_path / "bad.json") in r.stderr, str(r)


def test_legacy_create_folder_operations_are_accepted(wrapp, tmp_path):
    target = tmp_path / "target"
    src = write_tree(tmp_path / "src", {"f.txt": "f\n"})
    patch = write_patch(tmp_path / "p.json", url(target), [
        {"operation_type": "create_folder", "url": url(target / "d")},
        copy_op(url(src / "f.txt"), url(target / "d" / "f.txt"), b"f\n"),
    ])
    r = wrapp("apply-patch", patch)
    assert r.returncode == 0, str(r)
    assert (target / "d" / "f.txt").read_text() == "f\n"


def test_a_symbolic_link_on_the_way_is_refused(wrapp, tmp_path):
    target = write_tree(tmp_path / "target", {"a.txt": "a\n"})
    outside = write_tree(tmp_path / "outside", {"x.txt": "x\n"})
    os.symlink(outside, target / "sub")
    src = write_tree(tmp_path / "src", {"x.txt": "evil\n"})
    patch = write_patch(tmp_path / "p.json", url(target), [copy_op(url(src / "x.txt"), url(target) + "/sub/x.txt",
                                                                   b"evil\n")])
    r = wrapp("apply-patch", patch)
    assert r.returncode == 1, str(r)
    assert "symbolic link" in r.stderr, str(r)
    assert (outside / "x.txt").read_text() == "x\n"


def test_failure_of_one_operation_is_reported_and_the_rest_applied(wrapp, tutorial):
    t = tutorial
    assert create_patch(wrapp, t).returncode == 0
    # week 2 changed after the patch was made: the copy of up.txt no longer gets the promised bytes.
    (t["week"] / "up.txt").write_text("upstream 2, LONGER\n")  # the same size, other bytes
    r = wrapp("apply-patch", t["patch"])
    assert r.returncode == 1, str(r)
    assert f"failed: copy {t['week'] / 'up.txt'} -> {t['target'] / 'up.txt'}" in r.stdout, str(r)
    assert "does not match its recorded hash" in r.stdout, str(r)
    assert "applied 4 of 5 operation(s)" in r.stdout and "1 failed" in r.stdout, str(r)
    assert "error:" in r.stderr, str(r)
    assert (t["target"] / "up.txt").read_text() == "upstream 1\n", "a file with bytes the patch did not promise"
    assert (t["target"] / "new" / "added.txt").read_text() == "added upstream\n"
    assert not (t["target"] / "gone.txt").exists()


def test_a_tag_operation_fails_naming_the_store(wrapp, tmp_path):
    target = write_tree(tmp_path / "target", {"a.txt": "a\n", "b.txt": "b\n"})
    patch = write_patch(tmp_path / "p.json", url(target), [
        {"operation_type": "add_tag", "url": url(target / "a.txt"), "tag": {"name": "approved"}},
        {"operation_type": "delete", "url": url(target / "b.txt")},
    ])
    r = wrapp("apply-patch", patch)
    assert r.returncode == 1, str(r)
    assert "failed: add_tag" in r.stdout and "local file system holds no tags" in r.stdout, str(r)
    assert not (target / "b.txt").exists()


def test_a_storage_failure_exits_2(tmp_path):
    """A write the OS refuses (EFBIG: the file size limit, which binds root too) is a storage failure."""
    target = write_tree(tmp_path / "target", {"big.bin": b"old", "b.txt": "b\n"})
    big = bytes(range(256)) * 64  # 16 KiB, over the limit below
    src = write_tree(tmp_path / "src", {"big.bin": big})
    patch = write_patch(tmp_path / "p.json", url(target), [
        copy_op(url(src / "big.bin"), url(target / "big.bin"), big),
        {"operation_type": "delete", "url": url(target / "b.txt")},
    ])

    def limit_file_size():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a signal; kept across exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    p = subprocess.run(wrapp_command(["apply-patch", patch]), cwd=tmp_path, env=wrapp_env(), capture_output=True,
                       text=True, preexec_fn=limit_file_size, timeout=120)
    r = Result(p.returncode, p.stdout, p.stderr)
    assert r.returncode == 2, str(r)
    assert f"failed: copy {src / 'big.bin'}" in r.stdout, str(r)
    assert (target / "big.bin").read_bytes() == b"old"
    assert not (target / "b.txt").exists()
    assert list((target).glob(".wrapp-partial-*")) == []


# -- install --patch ------------------------------------------------------------------------------

V1 = {"a.txt": "alpha 1\n", "b.txt": "bravo\n", "old.txt": "old\n", "keep.txt": "kept\n"}
V2 = {"a.txt": "alpha 2, longer\n", "b.txt": "bravo\n", "new.txt": "new\n", "keep.txt": "kept, v2\n"}


def test_install_patch_then_apply_patch_ends_clean(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", V1)
    publish("p", "2", V2)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    (dest / "a.txt").write_text("alpha, my edit\n")   # changed by v2 too
    (dest / "old.txt").write_text("old, my edit\n")   # dropped by v2
    (dest / "new.txt").write_text("my own new\n")     # v2 brings another
    r = wrapp("install", "p", "2", dest, "--repo", repo)
    assert r.returncode == 1 and "conflicting" in r.stderr, str(r)

    patch = tmp_path / "fix.json"
    r = wrapp("install", "p", "2", dest, "--repo", repo, "--patch", patch)
    assert r.returncode == 0, str(r)
    assert "kept a.txt: modified" in r.stdout, str(r)
    assert f"wrote {patch}: 3 operation(s) taking p 2" in r.stdout, str(r)
    assert read_json(marker(dest, "p"))["version"] == "2"
    # Everything that did not conflict is version 2; the conflicting files are as the user left them.
    assert (dest / "keep.txt").read_text() == "kept, v2\n"
    assert (dest / "a.txt").read_text() == "alpha, my edit\n"
    assert (dest / "old.txt").read_text() == "old, my edit\n"
    assert (dest / "new.txt").read_text() == "my own new\n"
    p = read_json(patch)
    assert p["target"] == url(dest)
    assert {c["relative_path"]: c["reason"] for c in p["conflicts"]} == {
        "a.txt": "modified", "old.txt": "modified",
        "new.txt": "not part of the package; install would overwrite it"}
    assert [(o["operation_type"], o.get("dst", o.get("url"))) for o in p["operations"]] == [
        ("copy", url(dest / "a.txt")), ("copy", url(dest / "new.txt")), ("delete", url(dest / "old.txt"))]
    st = wrapp("status", marker(dest, "p"))
    assert st.returncode == 1, str(st)

    r = wrapp("apply-patch", patch)
    assert r.returncode == 0, str(r)
    st = wrapp("status", marker(dest, "p"))
    assert st.returncode == 0, str(st)
    assert tree_contents(dest, lambda rel: rel.endswith(".wrapp")) == digests(V2)


def test_install_patch_without_conflicts_writes_an_empty_patch(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", V1)
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", repo, "--patch", tmp_path / "fix.json")
    assert r.returncode == 0, str(r)
    p = read_json(tmp_path / "fix.json")
    assert p["operations"] == [] and p["conflicts"] == []


def test_install_patch_dry_run_writes_nothing(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", V1)
    publish("p", "2", V2)
    dest = tmp_path / "dest"
    assert wrapp("install", "p", "1", dest, "--repo", repo).returncode == 0
    (dest / "a.txt").write_text("alpha, my edit\n")
    before = snapshot(dest)
    r = wrapp("install", "p", "2", dest, "--repo", repo, "--patch", tmp_path / "fix.json", "--dry-run")
    assert r.returncode == 0, str(r)
    assert "would write" in r.stdout and "kept a.txt: modified" in r.stdout, str(r)
    assert not (tmp_path / "fix.json").exists()
    assert snapshot(dest) == before


def test_install_patch_defers_a_conflict_in_a_subpackage(wrapp, tmp_path, publish):
    repo, _ = publish("lib", "1", {"l.txt": "lib 1\n"})
    publish("lib", "2", {"l.txt": "lib 2, longer\n"})
    for version in ("1", "2"):
        src = write_tree(tmp_path / f"src-app{version}", {"a.txt": f"app {version}\n"})
        assert wrapp("install", "lib", version, src / "libs" / "lib", "--repo", repo).returncode == 0
        r = wrapp("create", "app", version, src, "--repo", repo)
        assert r.returncode == 0, str(r)
    dest = tmp_path / "dest"
    assert wrapp("install", "app", "1", dest, "--repo", repo).returncode == 0
    (dest / "libs" / "lib" / "l.txt").write_text("lib, my edit\n")

    patch = tmp_path / "fix.json"
    r = wrapp("install", "app", "2", dest, "--repo", repo, "--patch", patch)
    assert r.returncode == 0, str(r)
    assert "kept libs/lib/l.txt: modified" in r.stdout, str(r)
    assert (dest / "a.txt").read_text() == "app 2\n"
    assert (dest / "libs" / "lib" / "l.txt").read_text() == "lib, my edit\n"
    assert read_json(marker(dest / "libs" / "lib", "lib"))["version"] == "2"
    ops = read_json(patch)["operations"]
    assert [(o["operation_type"], o["dst"]) for o in ops] == [("copy", url(dest / "libs" / "lib" / "l.txt"))]
    assert ops[0]["src"] == url(repo / ".packages" / "lib" / "2" / "l.txt")
    assert wrapp("status", marker(dest, "app")).returncode == 1

    r = wrapp("apply-patch", patch)
    assert r.returncode == 0, str(r)
    st = wrapp("status", marker(dest, "app"))
    assert st.returncode == 0, str(st)
    assert (dest / "libs" / "lib" / "l.txt").read_text() == "lib 2, longer\n"
