"""Shared helpers of the data object tests: the wrapp command line, a package tree made with it,
and stand-ins for the compiled core and the command runner, so the models are tested without them.

The stand-ins keep the core's contract (/work/notes/core_api.md): ``read_file`` returns bytes or None,
``read_package_info`` a dict in the current format or None, ``write_package_info`` writes the file
and returns its URL. The runner stand-in executes commands with the real ``wrapp`` binary and returns
what it prints with ``--json``: the same ``to_json`` the compiled module returns.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

WRAPP = os.environ.get("WRAPP_BIN") or shutil.which("wrapp") or "/usr/local/bin/wrapp"


def wrapp_cli(*args: str, cwd: Optional[Path] = None, ok_codes=(0,)) -> subprocess.CompletedProcess:
    """Run the wrapp command line; fail the test on an exit code not in ok_codes."""
    done = subprocess.run(
        [WRAPP, *args, "--progress-report", "off"], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert done.returncode in ok_codes, f"wrapp {' '.join(args)}: exit {done.returncode}\n{done.stderr}"
    return done


def wrapp_json(*args: str, cwd: Optional[Path] = None, ok_codes=(0,)) -> Any:
    """Run a wrapp command with --json and return what it printed, parsed."""
    return json.loads(wrapp_cli(*args, "--json", cwd=cwd, ok_codes=ok_codes).stdout)


def url(path: Path) -> str:
    """The file:// URL wrapp writes for a local path."""
    return "file://" + str(path)


def path_of(location: str) -> Path:
    """The local path of a file:// URL or bare path."""
    return Path(location[len("file://"):] if location.startswith("file://") else location)


def write(path: Path, text: str) -> Path:
    """Write a text file, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def load_json(path: Path) -> Any:
    """Parse a JSON file."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def make_tree(root: Path) -> Dict[str, Path]:
    """A repository with ``lib 1`` and ``app 1`` (which holds lib at libs/lib), and app installed at inst.

    app's a.txt and dup.txt have the same content.
    """
    write(root / "lib" / "l.txt", "l\n")
    write(root / "app" / "a.txt", "a\n")
    write(root / "app" / "dup.txt", "a\n")
    write(root / "app" / "sub" / "b.txt", "b\n")
    repo = root / "repo"
    repo.mkdir()
    wrapp_cli("create", "lib", "1", str(root / "lib"), "--repo", str(repo))
    wrapp_cli("install", "lib", "1", str(root / "app" / "libs" / "lib"), "--repo", str(repo))
    wrapp_cli("create", "app", "1", str(root / "app"), "--repo", str(repo))
    wrapp_cli("install", "app", "1", str(root / "inst"), "--repo", str(repo))
    return {
        "root": root,
        "repo": repo,
        "inst": root / "inst",
        "app_file": repo / ".packages" / "app" / "1" / ".app.wrapp",
        "lib_file": repo / ".packages" / "lib" / "1" / ".lib.wrapp",
        "marker": root / "inst" / ".app.wrapp",
    }


class FakeFailedCommand(Exception):
    """Stands in for _core.FailedCommand."""

    code = "generic"
    payload: List[str] = []


class FakeStorageOperationError(Exception):
    """Stands in for _core.StorageOperationError."""


def _read_file(location: str) -> Optional[bytes]:
    path = path_of(location)
    return path.read_bytes() if path.is_file() else None


def _read_package_info(location: str) -> Optional[Dict[str, Any]]:
    data = _read_file(location)
    return None if data is None else json.loads(data)


def _write_package_info(location: str, package: Dict[str, Any]) -> str:
    path = path_of(location)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(package, indent="\t") + "\n")
    os.replace(tmp, path)
    return url(path) if not location.startswith("file://") else location


def make_fake_core() -> types.ModuleType:
    """A module with the part of the compiled core's contract the data objects use."""
    core = types.ModuleType("wrapp._core")
    core.FailedCommand = FakeFailedCommand
    core.StorageOperationError = FakeStorageOperationError
    core.read_file = _read_file
    core.read_package_info = _read_package_info
    core.write_package_info = _write_package_info
    core.calls = []
    return core


class FakeRunner(types.ModuleType):
    """Stands in for wrapp._runner: runs the command with the wrapp binary and returns its --json output.

    ``apply-patch`` takes the patch file's JSON; it is written to a file for the command line.
    """

    def __init__(self, workdir: Path) -> None:
        super().__init__("wrapp._runner")
        self.workdir = workdir
        self.calls: List[Any] = []

    async def run_command(self, command: str, options: Dict[str, Any], context: Any = None, scheduler: Any = None):
        self.calls.append((command, options, context, scheduler))
        assert command == "apply-patch"
        patch_file = self.workdir / f"patch-{len(self.calls)}.json"
        patch_file.write_text(json.dumps(options["patch_content"], indent=1))
        done = wrapp_cli("apply-patch", str(patch_file), "--json", ok_codes=(0, 1, 2))
        if not done.stdout.strip():
            raise FakeFailedCommand(done.stderr.strip())
        return json.loads(done.stdout)


def install_module(monkeypatch: pytest.MonkeyPatch, name: str, module: types.ModuleType) -> None:
    """Make ``from wrapp import <name>`` give ``module`` for this test."""
    import wrapp

    monkeypatch.setitem(sys.modules, f"wrapp.{name}", module)
    monkeypatch.setattr(wrapp, name, module, raising=False)
