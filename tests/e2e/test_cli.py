"""Command line: help, generic options, exit codes, logging, hash cache."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from hash_cache_table import read_table
from helpers import COMMANDS, GENERIC_OPTIONS, hash_bytes, read_json, write_tree

# Command-specific options each command's --help must mention.
COMMAND_OPTIONS = {
    "version": [],
    "create": ["--repo", "--catalog", "--ignore-file", "--skip-dirty-check", "--check-subpackage"],
    "install": ["--repo", "--link-mode", "--patch", "--dependency-file", "--ignore-file"],
    "status": ["--ignore-file", "--json"],
    "uninstall": ["--force"],
    "check": ["--recursive", "--json"],
    "mirror": ["--resume"],
    "new": ["--catalog"],
    "list-repo": ["--json"],
    "catalog": ["--ignore-file"],
    "diff": ["--json"],
    "count": ["--json"],
    "ls": ["--recursive", "--pattern", "--output-format", "--with-hash"],
    "cat": [],
    "get": ["--overwrite"],
    "create-metapackage": ["--dependency", "--dependencies-file", "--skip-dependency-check"],
    "extract-catalog": ["--recursive", "--add-wrapp-files", "--overwrite", "--json"],
    "find-orphans": ["--package", "--repo", "--json"],
    "delete-packages": ["--package", "--from-file", "--json"],
    "installed-package-list": ["--direct-only", "--json"],
    "traceback": ["--json"],
    "publish-redirect": ["--source-repo", "--redirect-repo", "--external-url", "--json"],
    "create-patch": ["--tags", "--overwrite", "--ignore", "--force", "--json"],
    "apply-patch": ["--json"],
    "export": ["--repo", "--catalog", "--dedup", "--overwrite", "--json"],
    "import": ["--overwrite", "--json"],
    "freeze": ["--catalog", "--ignore-file", "--skip-missing", "--overwrite", "--json"],
}


def test_main_help_lists_every_command(wrapp_raw):
    r = wrapp_raw("--help")
    assert r.returncode == 0, str(r)
    listed = {l.split()[0] for l in r.stdout.splitlines() if l.startswith("  ") and l.split()}
    for c in COMMANDS:
        assert c in listed, f"{c} missing from wrapp --help:\n{r.stdout}"


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help(wrapp_raw, command):
    r = wrapp_raw(command, "--help")
    assert r.returncode == 0, str(r)
    for opt in COMMAND_OPTIONS[command] + GENERIC_OPTIONS:
        assert opt in r.stdout, f"{command} --help does not mention {opt}:\n{r.stdout}"


def test_version_command(wrapp_raw):
    r = wrapp_raw("version")
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith("wrapp "), str(r)


def test_version_lists_every_backend_and_whether_it_is_enabled(wrapp_raw):
    lines = wrapp_raw("version").stdout.splitlines()
    states = dict(line.split(": ") for line in lines[1:])
    assert states["Local File System"] == "ENABLED"
    assert states["Nucleus"] == "DISABLED" and states["Storage API"] == "DISABLED"
    assert {"S3", "Azure Blob Storage", "Google Cloud Storage", "HTTP(S), read-only"} <= set(states)


def test_unreachable_backends_fail_at_once_as_storage_failures(wrapp, tmp_path):
    r = wrapp("list-repo", "omniverse://localhost/Projects")
    assert r.returncode == 2, str(r)
    assert "no Nucleus backend" in r.stderr and "omniverse://localhost/Projects" in r.stderr, str(r)
    r = wrapp("list-repo", "nosuch://x/y")
    assert r.returncode == 1 and "No storage backend available" in r.stderr, str(r)


def test_version_accepts_generic_options(wrapp_raw):
    r = wrapp_raw("version", "--progress-report", "off", "-v")
    assert r.returncode == 0, str(r)
    assert r.stdout.startswith("wrapp "), str(r)


def test_no_command_is_usage_error(wrapp_raw):
    r = wrapp_raw()
    assert r.returncode == 1, str(r)


def test_unknown_command(wrapp_raw):
    r = wrapp_raw("frobnicate")
    assert r.returncode == 1, str(r)
    assert r.stderr.strip(), str(r)


@pytest.mark.parametrize("command", ["catalog", "ls", "create", "install", "status", "count", "get"])
def test_unknown_option(wrapp, tmp_path, command):
    root = write_tree(tmp_path / "x", {"a": "a"})
    args = {
        "catalog": [root, tmp_path / "c.json"],
        "ls": [root],
        "create": ["p", "1", root, "--repo", tmp_path / "repo"],
        "install": ["p", "1", tmp_path / "dest", "--repo", tmp_path / "repo"],
        "status": [root / ".p.wrapp"],
        "count": [tmp_path / "c.json"],
        "get": [root / "a", tmp_path / "out"],
    }[command]
    before = sorted(os.listdir(tmp_path))
    r = wrapp(command, *args, "--no-such-option")
    assert r.returncode == 1, str(r)
    assert "--no-such-option" in r.stderr, str(r)
    assert sorted(os.listdir(tmp_path)) == before


def test_missing_positional(wrapp):
    r = wrapp("install", "p", "--repo", "somewhere")
    assert r.returncode == 1, str(r)
    assert r.stderr.strip(), str(r)


def test_too_many_positionals(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    r = wrapp("cat", tmp_path / "x" / "a", "extra")
    assert r.returncode == 1, str(r)


def test_bad_progress_report_value(wrapp_raw, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    r = wrapp_raw("catalog", tmp_path / "x", tmp_path / "c.json", "--progress-report", "loud")
    assert r.returncode == 1, str(r)
    assert not (tmp_path / "c.json").exists()


@pytest.mark.parametrize("value", ["normal", "verbose", "off"])
def test_progress_report_values_do_not_pollute_stdout(wrapp_raw, tmp_path, value):
    write_tree(tmp_path / "x", {"a": "a"})
    r = wrapp_raw("cat", tmp_path / "x" / "a", "--progress-report", value)
    assert r.returncode == 0, str(r)
    assert r.stdout == "a"


def test_jobs_zero_is_refused(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    for args in (["-j", "0"], ["--jobs", "0"], ["--ftj", "0"], ["--file-transfer-jobs", "0"]):
        r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", *args)
        assert r.returncode == 1, f"{args}: {r}"
        assert not (tmp_path / "c.json").exists()


def test_jobs_env_var(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", env={"WRAPP_JOBS": "0"})
    assert r.returncode == 1, str(r)
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", env={"WRAPP_JOBS": "1"})
    assert r.returncode == 0, str(r)


def test_single_job_works_on_big_file(wrapp, tmp_path, big_data):
    write_tree(tmp_path / "x", {"big": big_data, "small": "s"})
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "-j", "1", "--ftj", "1")
    assert r.returncode == 0, str(r)
    items = {i["relative_path"]: i["hash"] for i in read_json(tmp_path / "c.json")["items"]}
    assert items == {"big": hash_bytes(big_data), "small": hash_bytes(b"s")}


def test_time_and_stats_options(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    plain = wrapp("catalog", tmp_path / "x", tmp_path / "c.json")
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "--time", "--stats")
    assert r.returncode == 0, str(r)
    assert r.stdout == plain.stdout, str(r)
    # A local folder has no server: no line of requests (tests/e2e/test_backend_matrix.py has those).
    lines = r.stderr.splitlines()
    assert len(lines) == 2, str(r)
    # The default hash cache holds the one file hashed (by the first run; this one found it there).
    assert re.fullmatch(r"stats: \d+ tasks, 1 B processed in .+ \(.+/s\), hash cache: 1 entries", lines[0]), str(r)
    assert re.fullmatch(r"time: \d+\.\d{3} s", lines[1]), str(r)
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "--stats", "--no-hash-cache")
    assert re.fullmatch(r"stats: \d+ tasks, 1 B processed in .+ \(.+/s\)\n", r.stderr), str(r)


def test_errors_go_to_stderr(wrapp, tmp_path):
    r = wrapp("cat", tmp_path / "missing.txt")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith("error: ") and "missing.txt" in r.stderr, str(r)


# --------------------------------------------------------------------------------------- logging


def test_log_file_writes_lines(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a": "a"})
    log = tmp_path / "wrapp.log"
    r = wrapp("install", "p", "1", tmp_path / "dest", "--repo", repo, "--log-file", log)
    assert r.returncode == 0, str(r)
    lines = log.read_text().splitlines()
    assert lines, "log file is empty"
    # Appends: a failing command adds an error line naming the cause.
    r = wrapp("cat", tmp_path / "nope.txt", "-l", log)
    assert r.returncode == 1
    lines2 = log.read_text().splitlines()
    assert lines2[:len(lines)] == lines
    assert any("nope.txt" in l for l in lines2[len(lines):]), lines2


def test_log_file_env_var(wrapp, tmp_path):
    log = tmp_path / "env.log"
    r = wrapp("cat", tmp_path / "nope.txt", env={"WRAPP_LOG_FILE": str(log)})
    assert r.returncode == 1
    assert any("nope.txt" in l for l in log.read_text().splitlines())


def test_json_logging_stderr_lines_are_json(wrapp, tmp_path):
    r = wrapp("cat", tmp_path / "nope.txt", "--json-logging")
    assert r.returncode == 1
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert lines, str(r)
    records = [json.loads(l) for l in lines]
    assert any("nope.txt" in json.dumps(rec) for rec in records), str(r)


def test_json_logging_verbose_lines_are_json(wrapp, tmp_path, publish):
    repo, _ = publish("p", "1", {"a": "a"})
    r = wrapp("install", "p", "1", tmp_path / "dest", "--repo", repo, "-v", "--json-logging")
    assert r.returncode == 0, str(r)
    records = [json.loads(l) for l in r.stderr.splitlines() if l.strip()]
    # -v logs what the command did, as one JSON object per line.
    assert any(rec["level"] == "info" and rec["message"].startswith("installed p 1 into") for rec in records), \
        str(r)
    assert all({"time", "level", "message"} <= rec.keys() for rec in records), str(r)
    r = wrapp("install", "p", "1", tmp_path / "dest2", "--repo", repo, "--debug", "--json-logging")
    records = [json.loads(l) for l in r.stderr.splitlines() if l.strip()]
    assert any(rec["level"] == "debug" for rec in records), str(r)


def test_debug_option(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    plain = wrapp("catalog", tmp_path / "x", tmp_path / "c.json")
    assert plain.returncode == 0 and "debug" not in plain.stderr, str(plain)
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "-d")
    assert r.returncode == 0, str(r)
    assert r.stdout == plain.stdout, str(r)
    # The session's settings first; then what the command logs at debug level (requests, on servers).
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "wrapp" / "hash-cache"
    assert r.stderr.startswith(f"debug: catalog: 200 jobs, 50 file transfer jobs, hash cache '{cache}', progress "), \
        str(r)
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "-d", "--no-hash-cache")
    assert re.match(r"debug: catalog: 200 jobs, 50 file transfer jobs, hash cache off, progress \w+\n", r.stderr), \
        str(r)


# ------------------------------------------------------------------------------------ hash cache


def test_hash_cache_file_created(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a", "b/c": "c"})
    cache = tmp_path / "hc"
    r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "--hash-cache-file", cache)
    assert r.returncode == 0, str(r)
    # A version 2 table (read_table refuses anything else), keyed by each file's absolute path.
    entries = read_table(cache)
    assert {k: e["hash"] for k, e in entries.items()} == {
        str(tmp_path / "x" / "a"): hash_bytes(b"a"), str(tmp_path / "x" / "b" / "c"): hash_bytes(b"c")}, entries


@pytest.mark.parametrize("how", ["--hcf", "env"])
def test_hash_cache_aliases(wrapp, tmp_path, how):
    write_tree(tmp_path / "x", {"a": "a"})
    cache = tmp_path / "hc"
    if how == "env":
        r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", env={"WRAPP_HASH_CACHE_FILE": str(cache)})
    else:
        r = wrapp("catalog", tmp_path / "x", tmp_path / "c.json", "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert {k: e["hash"] for k, e in read_table(cache).items()} == {str(tmp_path / "x" / "a"): hash_bytes(b"a")}


def test_hash_cache_sees_changed_files(wrapp, tmp_path):
    root = write_tree(tmp_path / "x", {"a": "aaaa"})
    cache = tmp_path / "hc"
    assert wrapp("catalog", root, tmp_path / "c1.json", "--hcf", cache).returncode == 0
    st = (root / "a").stat()
    (root / "a").write_text("bbbb")  # same size
    os.utime(root / "a", ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
    r = wrapp("catalog", root, tmp_path / "c2.json", "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert read_json(tmp_path / "c2.json")["items"][0]["hash"] == hash_bytes(b"bbbb")


def test_corrupt_hash_cache_is_reported_and_ignored(wrapp, tmp_path):
    root = write_tree(tmp_path / "x", {"a": "a"})
    cache = tmp_path / "hc.json"
    cache.write_text("this is { not json")
    r = wrapp("catalog", root, tmp_path / "c.json", "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert "hc.json" in r.stderr, str(r)
    assert read_json(tmp_path / "c.json")["items"][0]["hash"] == hash_bytes(b"a")


def test_hash_cache_with_wrong_hash_entries_is_not_trusted_for_other_files(wrapp, tmp_path):
    # A cache written for a different file at the same path (different size) must not be used.
    root = write_tree(tmp_path / "x", {"a": "short"})
    cache = tmp_path / "hc"
    assert wrapp("catalog", root, tmp_path / "c1.json", "--hcf", cache).returncode == 0
    (root / "a").write_text("a much longer content")
    r = wrapp("catalog", root, tmp_path / "c2.json", "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert read_json(tmp_path / "c2.json")["items"][0]["hash"] == hash_bytes(b"a much longer content")


def test_storage_failure_exit_code_2(wrapp, tmp_path):
    write_tree(tmp_path / "x", {"a": "a"})
    # /proc does not allow creating folders: a storage failure, not bad input.
    r = wrapp("catalog", tmp_path / "x", "/proc/wrapp-e2e-cannot-exist/c.json")
    assert r.returncode == 2, str(r)
    assert r.stderr.startswith("error:") and "/proc/wrapp-e2e-cannot-exist" in r.stderr, str(r)


def test_hash_cache_path_that_cannot_be_read_is_left_alone(wrapp, tmp_path):
    root = write_tree(tmp_path / "root", {"a.txt": "a"})
    cache = tmp_path / "cache"
    cache.mkdir()  # a folder where the cache file should be
    r = wrapp("catalog", root, tmp_path / "c.json", "--hcf", cache)
    assert r.returncode == 0, str(r)
    assert "cache" in r.stderr, str(r)
    assert cache.is_dir() and list(cache.iterdir()) == []


def test_fsync_option_and_environment(wrapp, tmp_path):
    root = write_tree(tmp_path / "src", {"a.txt": "a"})
    r = wrapp("create", "p", "1", root, "--repo", tmp_path / "repo", "--fsync")
    assert r.returncode == 0, str(r)
    r = wrapp("install", "p", "1", tmp_path / "dest", "--repo", tmp_path / "repo", env={"WRAPP_FSYNC": "1"})
    assert r.returncode == 0, str(r)
    assert "--fsync" in wrapp("install", "--help").stdout


def test_help_lists_commands_in_alphabetical_order(wrapp):
    out = wrapp("--help").stdout
    listed = [line.split()[0] for line in out.split("Subcommands:")[1].split("\n\n")[0].strip().splitlines()]
    assert listed == sorted(listed) and "create" in listed and "version" in listed


def test_auth_values_are_checked_and_never_echoed(wrapp, tmp_path):
    r = wrapp("list-repo", tmp_path, "--auth", "not-a-url,user,s3cr3t")
    assert r.returncode == 1, str(r)
    assert "--auth: expected URL,USER,PASSWORD_OR_TOKEN" in r.stderr and "s3cr3t" not in r.stderr, str(r)
    # Well-formed credentials for servers this command does not touch change nothing.
    (tmp_path / ".packages").mkdir()
    r = wrapp("list-repo", tmp_path, "--auth", "s3://bucket,KEY,SECRET", "--interactive-auth")
    assert r.returncode == 0, str(r)
    assert "interactive login" in r.stderr and "SECRET" not in r.stderr + r.stdout
    r = wrapp("list-repo", tmp_path, env={"WRAPP_AUTH": "s3://a,K,S  bad-value"})
    assert r.returncode == 1 and "--auth: expected" in r.stderr and "bad-value" not in r.stderr, str(r)


# ------------------------------------------------------------------------------------- suggestions


def test_a_misspelt_command_or_option_gets_a_suggestion(wrapp, tmp_path):
    r = wrapp("isntall", "p", "1", tmp_path / "d")
    assert r.returncode == 1 and r.stdout == "", str(r)
    assert r.stderr.startswith("error: unknown command 'isntall'; did you mean 'install'?\n"), str(r)
    r = wrapp("frobnicate")
    assert r.returncode == 1 and r.stderr.startswith("error: unknown command 'frobnicate'\n"), str(r)
    r = wrapp("catalog", tmp_path, tmp_path / "c.json", "--hash-cahce-file", tmp_path / "h.json")
    assert r.returncode == 1, str(r)
    assert "--hash-cahce-file; did you mean '--hash-cache-file'?" in r.stderr, str(r)
    assert not (tmp_path / "c.json").exists()


def test_a_misspelt_package_or_version_gets_the_closest_first(wrapp, tmp_path, publish):
    repo, _ = publish("textures", "1.0.1", {"a": "a"})
    for version in ("1.1.0", "2.0.0"):
        publish("textures", version, {"a": "a"}, repo=repo)
    r = wrapp("install", "texture", "1.0.1", tmp_path / "d", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert f"package 'texture' not found in repository '{repo}'; did you mean 'textures'?" in r.stderr, str(r)
    r = wrapp("install", "textures", "1.0.2", tmp_path / "d", "--repo", repo)
    assert r.returncode == 1, str(r)
    assert "version '1.0.2' not found" in r.stderr and "(available: 1.0.1, 1.1.0, 2.0.0)" in r.stderr, str(r)
    r = wrapp("install", "textures", "3.0.0", tmp_path / "d", "--repo", repo)
    assert "(available: 2.0.0, 1.0.1, 1.1.0)" in r.stderr, str(r)  # the closest first
    assert not (tmp_path / "d").exists()
