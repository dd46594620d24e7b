"""Shared fixtures of the Python API's tests: real folders, the CLI to cross-check what Python did."""

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Dict

import pytest

WRAPP = os.environ.get("WRAPP_BIN") or shutil.which("wrapp") or "/usr/local/bin/wrapp"


@pytest.fixture(autouse=True)
def _own_cache_folder(tmp_path_factory, monkeypatch):
    """The command line's default hash cache ($XDG_CACHE_HOME/wrapp/...) of each test is its own, never the
    user's."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))


def cli(*args: str, ok_codes=(0,)) -> subprocess.CompletedProcess:
    """Runs the wrapp command line (to check what the Python API did)."""
    done = subprocess.run([WRAPP, *args], capture_output=True, text=True)
    assert done.returncode in ok_codes, f"wrapp {' '.join(args)} exited {done.returncode}: {done.stderr}"
    return done


def cli_json(*args: str):
    return json.loads(cli(*args, "--json").stdout)


def make_tree(root: Path, files: Dict[str, bytes]) -> Path:
    """Writes ``files`` (relative path -> bytes) below ``root``."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small asset folder: nested files, one empty, one of 3 MiB (several hash chunks)."""
    return make_tree(tmp_path / "src", {
        "scene.usd": b"#usda 1.0\n",
        "textures/wood.png": os.urandom(3 * 1024 * 1024),
        "textures/empty.txt": b"",
        "meshes/a/b/c.obj": b"v 0 0 0\n" * 100,
    })


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return tmp_path / "repo"
