#!/usr/bin/env python3
"""Requests and bytes per operation on the object-store backends, against the emulators of tests/servers.

    python3 bench/cloud.py [--files 300] [--big-mib 16] [--out results.json]

For S3 (moto), Google Cloud Storage (gcp-storage-emulator; "gcs-hmac": its XML API with an HMAC key,
moto standing for it) and Azure Blob (Azurite), wrapp is pointed
at a FaultProxy (which records every request) in front of a ByteCounter (which counts the bytes each
way) in front of the server. Each operation runs once on a fresh repository; the table gives requests
per file and bytes up and down against the bytes of the package. Emulators on loopback say nothing
about a real service's latency, so no time is compared with a peer here: what is measured is what the
issue asks for (docs/performance.md, "Cloud backends"): bytes downloaded by status and check of a
version wrapp uploaded, requests per file for create and mirror, and whether a mirror within one
service sends the bytes up again (server-side copy: it must not).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from servers import Azurite, ByteCounter, FaultProxy, GcsEmulator, MotoS3  # noqa: E402

NAME, VERSION = "assets", "1"


def make_workload(root: Path, files: int, big_mib: int, seed: int = 7) -> int:
    """`files` small files (1-16 KiB) in 10 folders and two big ones; returns the total bytes."""
    rng = random.Random(seed)
    total = 0
    for i in range(files):
        data = rng.randbytes(rng.randint(1024, 16 * 1024))
        path = root / f"dir{i % 10}" / f"f{i:05}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += len(data)
    for i in range(2):
        data = rng.randbytes(big_mib << 20)
        (root / f"big{i}.bin").write_bytes(data)
        total += len(data)
    return total


class Backend:
    """One emulator behind the recording proxy and the byte counter."""

    def __init__(self, name: str, server, tmp: Path):
        self.name, self.server, self.tmp = name, server, tmp
        self.repos = 0

    def __enter__(self):
        self.server.start()
        self.counter = ByteCounter(self.server.endpoint).__enter__()
        self.proxy = FaultProxy(self.counter.endpoint).start()
        if self.name in ("s3", "gcs-hmac"):
            self.server.create_bucket("bench")
        elif self.name == "gcs":
            self.server.create_bucket("bench")
        else:
            self.server.create_container("bench")
        return self

    def __exit__(self, *exc):
        self.proxy.stop()
        self.counter.__exit__(*exc)
        self.server.stop()

    def env(self) -> dict:
        env = dict(os.environ)
        if self.name == "s3":
            env.update(self.server.env())
            env["AWS_ENDPOINT_URL"] = self.proxy.endpoint
            env["AWS_SHARED_CREDENTIALS_FILE"] = env["AWS_CONFIG_FILE"] = str(self.tmp / "none")
        elif self.name == "gcs":
            env.update(self.server.env())
            env["STORAGE_EMULATOR_HOST"] = self.proxy.endpoint
        elif self.name == "gcs-hmac":
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL", "STORAGE_EMULATOR_HOST",
                         "GOOGLE_APPLICATION_CREDENTIALS"):
                env.pop(name, None)
            env["WRAPP_GCS_XML_ENDPOINT"] = self.proxy.endpoint
            env["WRAPP_GCS_HMAC_ACCESS_ID"] = self.server.access_key
            env["WRAPP_GCS_HMAC_SECRET"] = self.server.secret_key
        else:
            env["AZURE_STORAGE_CONNECTION_STRING"] = (
                f"AccountName={self.server.account};AccountKey={self.server.key};"
                f"BlobEndpoint={self.proxy.endpoint}/{self.server.account}")
        return env

    def fresh_repo(self) -> str:
        self.repos += 1
        if self.name == "s3":
            return f"s3://bench/r{self.repos}"
        if self.name in ("gcs", "gcs-hmac"):
            return f"gs://bench/r{self.repos}"
        return f"{self.proxy.endpoint}/{self.server.account}/bench/r{self.repos}"


def measure(wrapp: str, backend: Backend, args: list, cwd: Path) -> dict:
    backend.proxy.reset()
    backend.counter.reset()
    start = time.monotonic()
    done = subprocess.run([wrapp, *map(str, args), "--progress-report", "off"], cwd=cwd, env=backend.env(),
                          capture_output=True, text=True, timeout=1800)
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"wrapp {' '.join(map(str, args))} failed ({done.returncode}): {done.stderr[-2000:]}")
    return {"requests": len(backend.proxy.requests), "up": backend.counter.sent, "down": backend.counter.received,
            "seconds": round(seconds, 2)}


def run_backend(wrapp: str, name: str, server, src: Path, work: Path) -> dict:
    results = {}
    with Backend(name, server, work) as b:
        repo = b.fresh_repo()
        results["create"] = measure(wrapp, b, ["create", NAME, VERSION, src, "--repo", repo], work)
        dest = work / f"{name}-install"
        results["install"] = measure(wrapp, b, ["install", NAME, VERSION, dest, "--repo", repo], work)
        results["status (of the install)"] = measure(wrapp, b, ["status", dest / f".{NAME}.wrapp"], work)
        package_file = f"{repo}/.packages/{NAME}/{VERSION}/.{NAME}.wrapp"
        results["check (of the version)"] = measure(wrapp, b, ["check", package_file], work)
        results["check --trust-metadata"] = measure(wrapp, b, ["check", package_file, "--trust-metadata"], work)
        results["mirror within the service"] = measure(wrapp, b, ["mirror", NAME, VERSION, repo, b.fresh_repo()],
                                                       work)
        results["mirror to a local folder"] = measure(wrapp, b, ["mirror", NAME, VERSION, repo,
                                                                 work / f"{name}-local"], work)
    return results


def table(all_results: dict, files: int, total: int) -> str:
    lines = [f"{files} files, {total / (1 << 20):.1f} MiB in all", "",
             "| backend | operation | requests | requests per file | bytes up / package | bytes down / package |",
             "| --- | --- | ---: | ---: | ---: | ---: |"]
    for backend, results in all_results.items():
        for op, r in results.items():
            lines.append(f"| {backend} | {op} | {r['requests']} | {r['requests'] / files:.2f} | "
                         f"{r['up'] / total:.3f} | {r['down'] / total:.3f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300, help="small files (default 300)")
    parser.add_argument("--big-mib", type=int, default=16, help="size of each of the two big files (MiB)")
    parser.add_argument("--wrapp", default=str(REPO_ROOT / "build" / "wrapp"))
    parser.add_argument("--backends", default="s3,gcs,gcs-hmac,azure")
    parser.add_argument("--out", help="write the results as JSON here")
    args = parser.parse_args()
    servers = {"s3": MotoS3, "gcs": GcsEmulator, "gcs-hmac": MotoS3, "azure": Azurite}
    work = Path(tempfile.mkdtemp(prefix="wrapp-cloud-bench-"))
    try:
        src = work / "src"
        total = make_workload(src, args.files, args.big_mib)
        files = args.files + 2
        results = {}
        for name in args.backends.split(","):
            results[name] = run_backend(args.wrapp, name, servers[name](), src, work)
        print(table(results, files, total))
        if args.out:
            Path(args.out).write_text(json.dumps({"files": files, "bytes": total, "results": results}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
