"""Redirect packages whose files live on an HTTPS server: install, check, get, cat and mirror read them
(the read-only HTTP(S) backend), against a real TLS server on loopback with a self-signed certificate,
and through a proxy that breaks transfers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers import read_json, read_tree, repo_wrapp, write_tree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from servers import FaultProxy, HttpsServer  # noqa: E402

FILES = {"a.txt": "alpha", "dir/b.bin": bytes(range(256)) * 20000, "dir/sub/c.txt": "gamma"}


@pytest.fixture
def published(wrapp, tmp_path):
    """A repository served over HTTPS, and a local redirect repository pointing at it."""
    src = write_tree(tmp_path / "src", FILES)
    repo = tmp_path / "served"
    assert wrapp("create", "p", "1", src, "--repo", repo).returncode == 0
    with HttpsServer(repo) as server:
        redirect = tmp_path / "redirect"
        r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", redirect,
                  "--external-url", server.endpoint + "/")
        assert r.returncode == 0, str(r)
        yield server, redirect


def trusting(server):
    return {"WRAPP_CA_FILE": str(server.ca_file)}


def test_install_check_get_cat_and_mirror_read_from_https(wrapp, tmp_path, published):
    server, redirect = published
    items = read_json(repo_wrapp(redirect, "p", "1"))["catalog"]["items"]
    assert all(it["source_path"].startswith(server.endpoint + "/.packages/p/1/") for it in items)

    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", redirect, env=trusting(server))
    assert r.returncode == 0, str(r)
    tree = read_tree(dest)
    for rel, content in FILES.items():
        assert tree[rel] == (content.encode() if isinstance(content, str) else content), rel
    # The big file came in ranges.
    assert any(req.range for req in server.requests if req.path.endswith("b.bin")), server.requests

    r = wrapp("check", redirect / ".packages/p/1/.p.wrapp", env=trusting(server))
    assert r.returncode == 0, str(r)

    r = wrapp("get", server.endpoint + "/.packages/p/1/dir/sub/c.txt", tmp_path / "c.txt", env=trusting(server))
    assert r.returncode == 0 and (tmp_path / "c.txt").read_text() == "gamma", str(r)
    r = wrapp("cat", server.endpoint + "/.packages/p/1/a.txt", env=trusting(server))
    assert r.returncode == 0 and r.stdout == "alpha", str(r)

    local = tmp_path / "mirrored"
    r = wrapp("mirror", "p", "1", redirect, local, env=trusting(server))
    assert r.returncode == 0, str(r)
    assert read_tree(local / ".packages/p/1")["dir/b.bin"] == FILES["dir/b.bin"]
    assert wrapp("check", local / ".packages/p/1/.p.wrapp").returncode == 0


def test_an_untrusted_certificate_fails_and_writes_nothing(wrapp, tmp_path, published):
    server, redirect = published
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", redirect)
    assert r.returncode == 2, str(r)
    assert server.endpoint in r.stderr and "certificate" in r.stderr.lower(), str(r)
    assert not dest.exists()


def test_writes_lists_and_missing_files_are_clear_errors(wrapp, tmp_path, published):
    server, redirect = published
    # A web server's folders are not objects: nothing to list there.
    r = wrapp("ls", server.endpoint + "/.packages/p/1", env=trusting(server))
    assert r.returncode == 1 and ("has no listing" in r.stderr or "not found" in r.stderr), str(r)
    r = wrapp("create", "q", "1", tmp_path / "src", "--repo", server.endpoint + "/repo", env=trusting(server))
    assert r.returncode == 1 and "read-only" in r.stderr, str(r)
    (server.folder / ".packages/p/1/a.txt").unlink()
    dest = tmp_path / "dest"
    r = wrapp("install", "p", "1", dest, "--repo", redirect, env=trusting(server))
    assert r.returncode != 0 and "a.txt" in r.stderr, str(r)
    assert not (dest / ".p.wrapp").exists()
    r = wrapp("check", redirect / ".packages/p/1/.p.wrapp", env=trusting(server))
    assert r.returncode == 1 and "a.txt" in r.stdout, str(r)


def test_broken_transfers_are_retried_and_never_accepted_short(wrapp, tmp_path, published):
    server, redirect = published
    with FaultProxy(server.endpoint, upstream_ca=server.ca_file, tls=(server.cert_file, server.key_file)) as proxy:
        proxied = tmp_path / "proxied"
        r = wrapp("publish-redirect", "--source-repo", server.folder, "--redirect-repo", proxied,
                  "--external-url", proxy.endpoint + "/")
        assert r.returncode == 0, str(r)
        # Once: a truncated answer and a 503, then the transfers succeed.
        proxy.truncate(100, method="GET", path=r".*b\.bin")
        proxy.respond(503, method="GET", path=r".*c\.txt")
        dest = tmp_path / "dest"
        r = wrapp("install", "p", "1", dest, "--repo", proxied, env=trusting(server))
        assert r.returncode == 0, str(r)
        assert read_tree(dest)["dir/b.bin"] == FILES["dir/b.bin"]
        # Always truncated: the install fails, with no file left short.
        proxy.clear()
        proxy.truncate(100, method="GET", path=r".*b\.bin", count=None)
        dest2 = tmp_path / "dest2"
        r = wrapp("install", "p", "1", dest2, "--repo", proxied, env=trusting(server))
        assert r.returncode == 2, str(r)
        assert not (dest2 / "dir/b.bin").exists() and not (dest2 / ".p.wrapp").exists()


def test_a_big_file_comes_in_8_mib_ranges_several_at_once(wrapp, tmp_path):
    """A file past one 8 MiB range is read by several ranged GETs in flight at once (docs/storage.md,
    "Reading big objects"), each byte once; --stats counts every request the server got."""
    size = 20 * (1 << 20) + 5
    data = bytes(range(251)) * (size // 251) + bytes(size % 251)
    src = write_tree(tmp_path / "src", {"big.bin": data})
    repo = tmp_path / "served"
    assert wrapp("create", "p", "1", src, "--repo", repo).returncode == 0
    with HttpsServer(repo) as server, \
            FaultProxy(server.endpoint, upstream_ca=server.ca_file, tls=(server.cert_file, server.key_file)) as proxy:
        redirect = tmp_path / "redirect"
        r = wrapp("publish-redirect", "--source-repo", repo, "--redirect-repo", redirect,
                  "--external-url", proxy.endpoint + "/")
        assert r.returncode == 0, str(r)
        proxy.stall(0.5, method="GET", path=r"big\.bin$", count=None)  # each range waits: streams must overlap
        dest = tmp_path / "dest"
        r = wrapp("install", "p", "1", dest, "--repo", redirect, "--stats", env=trusting(server))
        assert r.returncode == 0, str(r)
        assert (dest / "big.bin").read_bytes() == data
        assert proxy.peak_in_flight >= 2, proxy.requests
        ranges = sorted((int(a), int(b)) for q in server.requests if q.path.endswith("big.bin") and q.range
                        for a, b in [q.range.removeprefix("bytes=").split("-")])
        # Three ranges of at most 8 MiB that cover the file once.
        assert len(ranges) == 3 and all(b - a + 1 <= 8 << 20 for a, b in ranges), ranges
        assert ranges[0][0] == 0 and ranges[-1][1] == size - 1, ranges
        assert all(ranges[k][1] + 1 == ranges[k + 1][0] for k in range(len(ranges) - 1)), ranges
        assert f"stats: HTTP(S): {len(proxy.requests)} requests," in r.stderr, (r.stderr, proxy.requests)
