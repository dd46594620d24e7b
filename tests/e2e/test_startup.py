"""What a wrapp process loads at start (storage/http/curl_library.h, util/archive_library.h,
util/crypto_library.h): libcurl and libarchive, with the thirty-odd libraries they bring, and OpenSSL's
libcrypto are opened only by the commands that need them, so a command on local folders starts without
them, and one that hashes nothing (a status or a re-install the hash cache vouches for) never loads libcrypto. Observed with the dynamic loader's own trace (LD_DEBUG=files),
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


def test_the_binary_does_not_link_libcurl_libarchive_nor_libcrypto():
    # ldd lists what every start loads.
    out = subprocess.run(["ldd", wrapp_bin()], capture_output=True, text=True).stdout
    assert "libcurl" not in out and "libarchive" not in out and "libcrypto" not in out, out


def test_a_command_loads_no_cpp_runtime(wrapp, tmp_path):
    # fmt is built in (util/fmt_instance.cc) and libstdc++/libgcc are linked statically, so a
    # start relocates no C++ library (CMakeLists.txt). The sanitizer builds keep the shared
    # runtime their interceptors expect: nothing to check there.
    needed = subprocess.run(["ldd", wrapp_bin()], capture_output=True, text=True).stdout
    if "libasan" in needed or "libtsan" in needed:
        pytest.skip("a sanitizer build links the shared C++ runtime")
    r = traced(wrapp, "status", tmp_path)
    libs = loaded_libraries(r)
    assert libs, "the loader trace is empty: LD_DEBUG did not reach the process"
    assert not any(n.startswith(("libstdc++", "libfmt", "libgcc_s")) for n in libs), sorted(libs)


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


def test_commands_that_hash_nothing_do_not_load_libcrypto(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a.txt": "a", "d/b.txt": "b"})
    dest = tmp_path / "dest"
    r = traced(wrapp, "install", "p", "1", dest, "--repo", repo)
    assert r.returncode == 0, r.stderr[-2000:]
    assert any(n.startswith("libcrypto") for n in loaded_libraries(r)), "a fresh install verifies what it copies"
    # The default hash cache now vouches for every installed file.
    for args in (("--help",), ("status", dest / ".p.wrapp"), ("install", "p", "1", dest, "--repo", repo),
                 ("list-repo", repo)):
        r = traced(wrapp, *args)
        assert r.returncode == 0, r.stderr[-2000:]
        assert not any(n.startswith("libcrypto") for n in loaded_libraries(r)), (args, sorted(loaded_libraries(r)))


def test_a_hard_linked_install_does_not_load_libcrypto(wrapp, tmp_path, publish):
    # Links hash nothing: loading the library anyway cost a cold install of four big files 15 ms.
    repo, _ = publish("p", "1", {"a.txt": "a", "d/b.txt": "b"})
    r = traced(wrapp, "install", "p", "1", tmp_path / "linked", "--repo", repo, "--link-mode", "hardlink",
               "--no-hash-cache")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "linked" / "d" / "b.txt").stat().st_nlink == 2
    assert not any(n.startswith("libcrypto") for n in loaded_libraries(r)), sorted(loaded_libraries(r))
    # A copy with the same options does load it: the trace would show it.
    r = traced(wrapp, "install", "p", "1", tmp_path / "copied", "--repo", repo, "--no-hash-cache")
    assert r.returncode == 0, r.stderr[-2000:]
    assert any(n.startswith("libcrypto") for n in loaded_libraries(r)), sorted(loaded_libraries(r))


def test_hashing_loads_libcrypto_and_hashes_as_before(wrapp, tmp_path):
    import hashlib
    data = bytes(range(256)) * 9000  # three chunks of 1 MiB, the last one short
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "f.bin").write_bytes(data)
    r = traced(wrapp, "catalog", tmp_path / "src", tmp_path / "c.json", "--no-hash-cache")
    assert r.returncode == 0, r.stderr[-2000:]
    assert any(n.startswith("libcrypto") for n in loaded_libraries(r)), sorted(loaded_libraries(r))
    chunks = b"".join(hashlib.sha256(data[i:i + 1048576]).digest() for i in range(0, len(data), 1048576))
    assert f"sha-256-flat;1048576;{hashlib.sha256(chunks).hexdigest()}" in (tmp_path / "c.json").read_text()
