"""IgnoreEvaluator, IgnoreFilePredicate and create_from_file, checked against the CLI.

The reference decision for a tree is what ``wrapp catalog FOLDER out.json`` keeps: it honours
``SOURCE/.wrappignore`` (or ``--ignore-file``) and the built-in ``*.auto.png`` rule.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional, Set

import pytest

from wrapp import _core
from wrapp.utils.ignore import IgnoreEvaluator, IgnoreFilePredicate, IgnorePredicate
from wrapp.utils.urls import normalize_url

WRAPP = os.environ.get("WRAPP_BIN") or shutil.which("wrapp")
needs_cli = pytest.mark.skipif(WRAPP is None, reason="the wrapp CLI is not installed")

RULES = """\
# build outputs
*.tmp
!keep.tmp
build/
docs/private/
!docs/private/secret.txt
deep/**/*.log
logs/*
!logs/keep.log
cache
/root_only.txt
\\#hash.txt
*.auto.png.bak
!*.auto.png
"""

FILES = [
    "a.txt",
    "b.tmp",
    "keep.tmp",
    "nested/keep.tmp",
    "nested/other.tmp",
    "thumb.auto.png",
    "x/y/thumb.auto.png",
    "x/y/real.png",
    "build/out.o",
    "build/sub/deep.txt",
    "src/build/inner.o",
    "docs/readme.md",
    "docs/private/secret.txt",
    "docs/private/plan.txt",
    "deep/a/b/c/file.log",
    "deep/file.log",
    "other/deep/x/file.log",
    "logs/keep.log",
    "logs/drop.log",
    "logs/sub/keep.log",
    "cache",
    "nested/cache/x.bin",
    "root_only.txt",
    "nested/root_only.txt",
    "#hash.txt",
    "name with space.txt",
    "sub/.wrappignore",
    "pic.auto.png.bak",
]


def make_tree(root: Path, rules: Optional[str] = RULES) -> Path:
    for relative in FILES:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("*\n" if relative.endswith(".wrappignore") else relative)
    if rules is not None:
        (root / ".wrappignore").write_text(rules)
    return root


def all_files(root: Path) -> List[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def cli_kept(root: Path, *extra: str, cwd: Optional[Path] = None) -> Set[str]:
    """The relative paths `wrapp catalog` keeps."""
    out = root.parent / "cli-out.json"
    subprocess.run(
        [WRAPP, "catalog", *extra, str(root), str(out), "--progress-report", "off"],
        check=True,
        cwd=cwd,
        capture_output=True,
    )
    return {item["relative_path"] for item in json.loads(out.read_text())["items"]}


def evaluator_kept(evaluator: IgnoreEvaluator, root: Path) -> Set[str]:
    """The files the evaluator keeps, asking about every parent folder first, as a walk does."""
    kept = set()
    for relative in all_files(root):
        parts = relative.split("/")
        folders = ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]
        if any(evaluator.is_ignored(f) for f in folders) or evaluator.is_ignored(relative):
            continue
        kept.add(relative)
    return kept


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "src")


def test_expected_decisions(tree: Path) -> None:
    """The rules mean what gitignore says (guards the fixture itself)."""
    evaluator = asyncio.run(IgnoreEvaluator.create_from_file(None, str(tree)))
    assert evaluator is not None
    kept = evaluator_kept(evaluator, tree)
    assert "a.txt" in kept and "keep.tmp" in kept and "nested/keep.tmp" in kept
    assert "b.tmp" not in kept and "nested/other.tmp" not in kept
    assert "thumb.auto.png" not in kept and "x/y/thumb.auto.png" not in kept, "!*.auto.png cannot re-include"
    assert "x/y/real.png" in kept
    assert not {"build/out.o", "build/sub/deep.txt", "src/build/inner.o"} & kept
    assert "docs/readme.md" in kept
    assert "docs/private/secret.txt" not in kept, "a file in an ignored folder cannot be re-included"
    assert "deep/a/b/c/file.log" not in kept and "deep/file.log" not in kept
    assert "other/deep/x/file.log" in kept
    assert "logs/keep.log" in kept and "logs/drop.log" not in kept and "logs/sub/keep.log" not in kept
    assert "cache" not in kept and "nested/cache/x.bin" not in kept
    assert "root_only.txt" not in kept and "nested/root_only.txt" in kept
    assert "#hash.txt" not in kept and "name with space.txt" in kept
    assert "sub/.wrappignore" in kept, "only the root .wrappignore counts"
    assert "pic.auto.png.bak" not in kept


@needs_cli
@pytest.mark.asyncio
async def test_default_file_matches_cli(tree: Path) -> None:
    evaluator = await IgnoreEvaluator.create_from_file(None, str(tree))
    assert evaluator is not None
    expected = cli_kept(tree)
    assert expected != set(all_files(tree)), "the CLI ignores something"
    assert evaluator_kept(evaluator, tree) == expected
    # The same evaluator rooted elsewhere, asked with absolute paths and file:// URLs.
    other_root = IgnoreEvaluator("/somewhere/else", evaluator.predicates)
    kept_abs = {r for r in all_files(tree) if not other_root.is_ignored(str(tree / r))}
    assert {r for r in kept_abs if "/" not in r} == {r for r in expected if "/" not in r}
    kept_urls = {r for r in all_files(tree) if not other_root.is_ignored((tree / r).as_uri())}
    assert {r for r in kept_urls if "/" not in r} == {r for r in expected if "/" not in r}


@needs_cli
def test_core_predicate_in_the_core_matches_cli(tree: Path) -> None:
    """The C++ core walking with the evaluator's _core_predicate keeps what the CLI keeps."""
    evaluator = asyncio.run(IgnoreEvaluator.create_from_file(None, str(tree)))
    assert evaluator is not None
    calls: List[str] = []

    def spy(path: str) -> bool:
        calls.append(path)
        return False

    evaluator.add_evaluator(spy)
    runtime = _core.Runtime(jobs=4, file_transfer_jobs=2)
    try:
        result = _core.run(
            runtime,
            "catalog",
            {"root_dir": str(tree), "ignore_predicate": evaluator._core_predicate(tree.as_uri())},
            runtime.new_token(),
        )
    finally:
        runtime.close()
    kept = {item["relative_path"] for item in result["catalog"]["items"]}
    assert kept == cli_kept(tree)
    # The predicates saw absolute paths, folders with a trailing '/'.
    assert str(tree / "docs") + "/" in calls
    assert str(tree / "docs" / "readme.md") in calls
    assert all(c.startswith(str(tree) + "/") for c in calls)


@needs_cli
@pytest.mark.asyncio
async def test_explicit_file_is_relative_to_cwd(tmp_path: Path, tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = "*.txt\n!a.txt\n"
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "myignore.txt").write_text(rules)
    monkeypatch.chdir(workdir)
    evaluator = await IgnoreEvaluator.create_from_file("myignore.txt", str(tree))
    assert evaluator is not None
    expected = cli_kept(tree, "--ignore-file", "myignore.txt", cwd=workdir)
    assert evaluator_kept(evaluator, tree) == expected
    assert "a.txt" in expected and "docs/readme.md" in expected and "docs/private/plan.txt" not in expected
    # Patterns are anchored at base_url, not where the file lies.
    assert evaluator.is_ignored(str(tree / "name with space.txt"))
    assert not evaluator.is_ignored(str(workdir / "x.txt"))
    # A file of that name in base_url does not count: only the working directory does.
    (workdir / "myignore.txt").unlink()
    (tree / "myignore.txt").write_text(rules)
    with pytest.raises(_core.FailedCommand) as error:
        await IgnoreEvaluator.create_from_file("myignore.txt", str(tree))
    assert error.value.code == "not_found"
    assert str(workdir / "myignore.txt") in str(error.value)


@pytest.mark.asyncio
async def test_ignore_file_as_url_and_base_as_url(tmp_path: Path, tree: Path) -> None:
    rules_file = tmp_path / "rules"
    rules_file.write_text("docs/\n")
    evaluator = await IgnoreEvaluator.create_from_file(rules_file.as_uri(), tree.as_uri() + "/")
    assert evaluator is not None
    assert evaluator.root_path == str(tree)
    assert evaluator.is_ignored("docs/readme.md")
    assert evaluator.is_ignored("docs/")
    assert not evaluator.is_ignored("docs")  # a file named docs: "docs/" matches folders only
    assert not evaluator.is_ignored("a.txt")


@pytest.mark.asyncio
async def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir()
    assert await IgnoreEvaluator.create_from_file(None, str(base)) is None
    with pytest.raises(_core.FailedCommand) as error:
        await IgnoreEvaluator.create_from_file(str(tmp_path / "absent"), str(base))
    assert error.value.code == "not_found"
    (base / ".wrappignore").mkdir()  # present but not a file
    with pytest.raises(_core.FailedCommand):
        await IgnoreEvaluator.create_from_file(None, str(base))
    with pytest.raises(_core.FailedCommand):
        await IgnoreEvaluator.create_from_file("s3://bucket/.wrappignore", str(base))


def test_custom_predicates_see_absolute_paths(tmp_path: Path) -> None:
    seen: List[str] = []

    def tmp_files(path: str) -> bool:
        seen.append(path)
        return path.endswith(".tmp")

    evaluator = IgnoreEvaluator(root_path="/my/project", predicate=tmp_files)
    assert evaluator.is_ignored("file.tmp")
    assert not evaluator.is_ignored("file.txt")
    assert not evaluator.is_ignored("sub/dir/")
    assert evaluator.is_ignored("/elsewhere/x.tmp")
    assert evaluator.is_ignored("file:///my/project/y.tmp")
    assert seen == [
        "/my/project/file.tmp",
        "/my/project/file.txt",
        "/my/project/sub/dir/",
        "/elsewhere/x.tmp",
        "/my/project/y.tmp",
    ]
    # Relative paths are normalised: '.' and '..' resolved, duplicate slashes dropped.
    seen.clear()
    evaluator.is_ignored("a/./b//../c.txt")
    assert seen == ["/my/project/a/c.txt"]


def test_add_evaluator_and_any_predicate() -> None:
    evaluator = IgnoreEvaluator("s3://Bucket/Root", [lambda p: p.endswith(".a")])
    assert evaluator.root_path == "s3://bucket/Root"
    assert not evaluator.is_ignored("x.b")
    evaluator.add_evaluator([lambda p: p.endswith(".b"), lambda p: "/skip/" in p])
    evaluator.add_evaluator(lambda p: p == "s3://bucket/Root/exact")
    assert evaluator.is_ignored("x.a") and evaluator.is_ignored("x.b")
    assert evaluator.is_ignored("skip/deep/file")
    assert evaluator.is_ignored("exact") and not evaluator.is_ignored("exact2")
    assert len(evaluator.predicates) == 4
    with pytest.raises(TypeError):
        evaluator.add_evaluator("*.tmp")  # type: ignore[arg-type]


def test_auto_png_always_ignored() -> None:
    evaluator = IgnoreEvaluator("/r", lambda p: False)
    assert evaluator.is_ignored("thumb.auto.png")
    assert evaluator.is_ignored("/deep/er/x.auto.png")
    assert not evaluator.is_ignored("folder.auto.png/")  # folders are not thumbnails
    assert not evaluator.is_ignored("x.auto.png.txt")
    assert not evaluator.is_ignored("x.png")


def test_root_none_resolves_against_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    seen: List[str] = []
    evaluator = IgnoreEvaluator(None, lambda p: seen.append(p) or False)
    evaluator.is_ignored("rel/file")
    assert seen == [os.path.join(os.getcwd(), "rel/file")]


def test_core_predicate_builds_absolute_paths() -> None:
    seen: List[str] = []
    evaluator = IgnoreEvaluator("/unused", lambda p: seen.append(p) or p.endswith("/b/"))
    predicate = evaluator._core_predicate("file:///data/Root/")
    assert predicate("a/b", True) is True
    assert predicate("a/b", False) is False
    assert predicate("a/b/c.txt", False) is False
    assert predicate("", True) is False  # the root itself
    assert predicate("x.auto.png", False) is True
    assert seen == ["/data/Root/a/b/", "/data/Root/a/b", "/data/Root/a/b/c.txt"]
    remote = evaluator._core_predicate("S3://Bucket")
    seen.clear()
    remote("k/v", False)
    assert seen == ["s3://bucket/k/v"]


def test_ignore_file_predicate_directly() -> None:
    predicate: IgnorePredicate = IgnoreFilePredicate("*.tmp\nout/\n!keep.tmp\n", "/base/dir/")
    assert predicate("/base/dir/x.tmp")
    assert predicate("file:///base/dir/sub/x.tmp")
    assert not predicate("/base/dir/keep.tmp")
    assert predicate("/base/dir/out/")
    assert predicate("/base/dir/out/file")  # inside an ignored folder
    assert not predicate("/base/dir/out")  # a file named out
    assert not predicate("/base/dirx/x.tmp")  # outside the base (a sibling with a longer name)
    assert not predicate("/other/x.tmp")
    assert not predicate("/base/dir/")  # the base itself
    assert isinstance(predicate, IgnoreFilePredicate)
    assert predicate.is_ignored(normalize_url("/base/dir/a/../b.tmp"))


@pytest.mark.parametrize(
    "given, expected",
    [
        ("/a/b", "/a/b"),
        ("/a/b/", "/a/b/"),
        ("/a//b/./c/../d//", "/a/b/d/"),
        ("/a/.hidden/..x/.", "/a/.hidden/..x/"),
        ("file:///a/b", "/a/b"),
        ("file://localhost/a/b/", "/a/b/"),
        ("file:///a/with%20space", "/a/with space"),
        ("FILE:///a", "/a"),
        ("/", "/"),
        ("file:///", "/"),
        ("S3://Bucket/Key/Path/", "s3://bucket/Key/Path/"),
        ("s3://bucket", "s3://bucket/"),
        ("omniverse://Host:3009/a%20b/./c?x=1#frag", "omniverse://host:3009/a%20b/c"),
    ],
)
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected
    assert normalize_url(expected) == expected  # idempotent


def test_normalize_url_relative_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert normalize_url("x/y") == os.path.join(os.getcwd(), "x/y")
    assert normalize_url("x/") == os.path.join(os.getcwd(), "x") + "/"
    for bad in ("", "/..", "file://otherhost/a", "s3:///key", "a\0b"):
        with pytest.raises(ValueError):
            normalize_url(bad)


def test_empty_path_is_the_root() -> None:
    seen: List[str] = []
    IgnoreEvaluator("/r", lambda p: seen.append(p) or False).is_ignored("")
    assert seen == ["/r/"]
