"""What a wrapp process loads at start (storage/http/curl_library.h, util/archive_library.h): libcurl and
libarchive, with the thirty-odd libraries they bring, are opened only by the commands that need them, so a
command on local folders starts without them. Observed with the dynamic loader's own trace (LD_DEBUG=files),
which names every library as it is loaded."""
import os
import subprocess

import pytest

from helpers import write_tree, wrapp_bin


def loaded_libraries(r) -> set:
    """The libraries the loader reported opening (LD_DEBUG=files lines 'file=libx.so.N [0];  ...')."""
    names = set()
    for line in r.stderr.splitlines():
        if "file=" in line and ("needed by" in line or "dynamically loaded by" in line):
            names.add(line.split("file=", 1)[1].split()[0])
    return names


def traced(wrapp, *args):
    return wrapp(*args, env={"LD_DEBUG": "files"})


def test_the_binary_does_not_link_libcurl_nor_libarchive():
    # ldd lists what every start loads.
    out = subprocess.run(["ldd", wrapp_bin()], capture_output=True, text=True).stdout
    assert "libcurl" not in out and "libarchive" not in out, out


def test_local_commands_load_neither(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    for args in (("--help",), ("install", "p", "1", tmp_path / "dest", "--repo", repo),
                 ("status", tmp_path / "dest" / ".p.wrapp")):
        r = traced(wrapp, *args)
        assert r.returncode == 0, r.stderr[-2000:]
        libs = loaded_libraries(r)
        assert libs, "the loader trace is empty: LD_DEBUG did not reach the process"
        assert not any(n.startswith(("libcurl", "libarchive")) for n in libs), (args, sorted(libs))


def test_export_loads_libarchive(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a"})
    r = traced(wrapp, "export", "p", "1", tmp_path / "p.tar", "--repo", repo)
    assert r.returncode == 0, r.stderr[-2000:]
    assert any(n.startswith("libarchive") for n in loaded_libraries(r)), sorted(loaded_libraries(r))
    assert (tmp_path / "p.tar").stat().st_size > 0


def test_a_command_on_a_server_loads_libcurl(wrapp, tmp_path):
    # Nothing listens on port 1: the command fails reaching it, after opening libcurl to try.
    r = traced(wrapp, "cat", "https://127.0.0.1:1/bucket/x.txt")
    assert r.returncode != 0
    assert any(n.startswith("libcurl") for n in loaded_libraries(r)), r.stderr[-3000:]
    assert "127.0.0.1:1" in r.stderr
