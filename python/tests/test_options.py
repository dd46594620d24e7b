"""wrapp.options: the generic click options, compared with the wrapp CLI's own."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import types
from dataclasses import dataclass
from typing import Any, Dict, Optional

import click
import pytest
from click.testing import CliRunner

from wrapp import options as wo
from wrapp.datastructures.authentication import (
    Boto3AuthInfo,
    NucleusAuthInfo,
    StorageAPIBearerAuthInfo,
    StorageAuthInfo,
)

SECRET = "pa,ss-w0rd-SECRET"
WRAPP = os.environ.get("WRAPP_BIN") or shutil.which("wrapp")


def make_command() -> tuple[click.Command, Dict[str, Any]]:
    seen: Dict[str, Any] = {}

    @click.command()
    @wo.generic_options
    def command(**kwargs: Any) -> None:
        seen.update(kwargs)

    return command, seen


def invoke(*args: str, env: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    command, seen = make_command()
    result = CliRunner().invoke(command, list(args), env=env or {}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return seen


def clean_env() -> Dict[str, Optional[str]]:
    names = ("WRAPP_JOBS", "WRAPP_LOG_FILE", "WRAPP_HASH_CACHE_FILE", "WRAPP_FSYNC", "WRAPP_AUTH")
    return {name: None for name in names}


def test_defaults() -> None:
    seen = invoke(env=clean_env())  # type: ignore[arg-type]
    assert seen == {
        "verbose": False,
        "time": False,
        "stats": False,
        "jobs": 200,
        "file_transfer_jobs": 50,
        "log_file": None,
        "debug": False,
        "json_logging": False,
        "dry_run": False,
        "progress_report": "normal",
        "progress_interval": 5.0,
        "color": "auto",
        "fsync": False,
        "hash_cache_file": None,
        "no_hash_cache": False,
        "auth": (),
        "interactive_auth": False,
    }


def test_spellings() -> None:
    long_form = invoke(
        "--verbose", "--time", "--stats", "--jobs", "7", "--file-transfer-jobs", "3", "--log-file", "w.log",
        "--debug", "--json-logging", "--dry-run", "--progress-report", "off", "--fsync",
        "--hash-cache-file", "h.json", "--interactive-auth", env=clean_env(),  # type: ignore[arg-type]
    )
    short_form = invoke(
        "-v", "--time", "--stats", "-j", "7", "--ftj", "3", "-l", "w.log", "-d", "--json-logging", "--dry-run",
        "--progress-report", "off", "--fsync", "--hcf", "h.json", "--interactive-auth",
        env=clean_env(),  # type: ignore[arg-type]
    )
    assert long_form == short_form
    assert long_form["jobs"] == 7 and long_form["file_transfer_jobs"] == 3 and long_form["log_file"] == "w.log"
    assert long_form["progress_report"] == "off" and long_form["hash_cache_file"] == "h.json"
    assert all(long_form[k] for k in ("verbose", "time", "stats", "debug", "json_logging", "dry_run", "fsync"))


def test_environment_and_ranges() -> None:
    seen = invoke(env={"WRAPP_JOBS": "12", "WRAPP_LOG_FILE": "env.log", "WRAPP_HASH_CACHE_FILE": "c.json"})
    assert (seen["jobs"], seen["log_file"], seen["hash_cache_file"]) == (12, "env.log", "c.json")
    assert invoke("-j", "3", env={"WRAPP_JOBS": "12"})["jobs"] == 3  # the command line wins
    command, _ = make_command()
    for bad in (["-j", "0"], ["-j", "100001"], ["--ftj", "0"], ["--progress-report", "loud"]):
        result = CliRunner().invoke(command, bad)
        assert result.exit_code == 2, bad


def test_auth_values() -> None:
    seen = invoke(
        "--auth", f"omniverse://server,user,{SECRET}",
        "--auth", "s3://bucket,AKIA,secret",
        "--auth", "https://discovery.example.com,TOKEN",
        env=clean_env(),  # type: ignore[arg-type]
    )
    nucleus, boto3, bearer = seen["auth"]
    assert isinstance(nucleus, StorageAuthInfo) and isinstance(nucleus.auth_data, NucleusAuthInfo)
    assert nucleus.auth_data.password_or_token.get_secret_value() == SECRET  # commas kept in the password
    assert isinstance(boto3.auth_data, Boto3AuthInfo) and boto3.auth_data.aws_access_key_id == "AKIA"
    hmac = wo.parse_auth("gs://bucket,GOOGID,secret")  # a Cloud Storage HMAC key, given as boto3's
    assert isinstance(hmac.auth_data, Boto3AuthInfo) and hmac.auth_data.aws_access_key_id == "GOOGID"
    assert isinstance(bearer.auth_data, StorageAPIBearerAuthInfo)
    assert wo.auth_infos_from(seen) == [nucleus, boto3, bearer]
    assert wo.auth_infos_from({"auth": ()}) == [] and wo.auth_infos_from(["omniverse://s,u,p"])[0].server_url
    from_env = invoke(env={"WRAPP_AUTH": "omniverse://a,u,p omniverse://b,u,p"})
    assert [a.server_url for a in from_env["auth"]] == ["omniverse://a", "omniverse://b"]


def test_bad_auth_value_never_echoed() -> None:
    command, _ = make_command()
    result = CliRunner().invoke(command, ["--auth", f"{SECRET}"], env={"WRAPP_AUTH": None})  # type: ignore[dict-item]
    assert result.exit_code == 2
    assert "URL,USER,PASSWORD_OR_TOKEN" in result.output
    assert "SECRET" not in result.output
    with pytest.raises(ValueError) as error:
        wo.parse_auth("omniverse://s,," + SECRET)
    assert SECRET not in str(error.value)


def test_help_lists_every_option() -> None:
    command, _ = make_command()
    text = CliRunner().invoke(command, ["--help"]).output
    for spelling in ("-v, --verbose", "--time", "--stats", "-j, --jobs", "--file-transfer-jobs, --ftj", "-l, --log-file",
                     "-d, --debug", "--json-logging", "--dry-run", "--progress-report", "--fsync",
                     "--hash-cache-file, --hcf", "--auth", "--interactive-auth", "WRAPP_JOBS"):
        assert spelling in text, spelling


@pytest.mark.skipif(WRAPP is None, reason="the wrapp CLI is not installed")
def test_same_options_and_defaults_as_the_cli() -> None:
    text = subprocess.run([WRAPP, "create", "--help"], capture_output=True, text=True, check=True).stdout
    generic = text.split("Generic options:", 1)[1].split("Exit codes:", 1)[0]
    cli: Dict[str, tuple[str, ...]] = {}
    for line in generic.splitlines():
        match = re.match(r"\s+(-[\w-]+(?:,--?[\w-]+)*)\s*(.*)", line)
        if match:
            names = tuple(match.group(1).split(","))
            cli[names[-1] if names[-1].startswith("--") else names[0]] = names + (match.group(2),)
    assert len(cli) == 17, cli
    command, _ = make_command()
    ours = {max(p.opts, key=len): p for p in command.params if isinstance(p, click.Option)}
    for long_name, entry in cli.items():
        *names, rest = entry
        assert long_name in ours or any(n in ours for n in names), f"missing {long_name}"
        option = next(ours[n] for n in [long_name, *names] if n in ours)
        assert set(names) <= set(option.opts), (names, option.opts)
        default = re.search(r"=(\w+)", rest)
        if default:
            assert str(option.default) == default.group(1), long_name
        env = re.search(r"\(Env:(\w+)\)", rest)
        if long_name == "--auth":
            # The CLI splits WRAPP_AUTH at spaces itself, so its help names the variable in the text.
            assert option.envvar == "WRAPP_AUTH" and "WRAPP_AUTH" in rest, rest
        else:
            assert option.envvar == (env.group(1) if env else None), long_name
    # Nothing beyond this build's CLI.
    spellings = {n for entry in cli.values() for n in entry[:-1]}
    extra = {name for name, p in ours.items() if not set(p.opts) & spellings}
    assert extra == set()


@dataclass
class _StubParameters:
    debug: bool = False
    verbose: bool = False
    dry_run: bool = False
    log_file: Optional[str] = None
    hash_cache_file: Optional[str] = None


def test_command_parameters_from_picks_the_five_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = types.ModuleType("wrapp.datastructures.command_context")
    stub.CommandParameters = _StubParameters  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "wrapp.datastructures.command_context", stub)
    seen = invoke("-v", "--dry-run", "-l", "x.log", "--hcf", "h.json", "-j", "5", env=clean_env())  # type: ignore[arg-type]
    params = wo.command_parameters_from(**seen)
    assert params == _StubParameters(debug=False, verbose=True, dry_run=True, log_file="x.log", hash_cache_file="h.json")
    assert wo.command_parameters_from() == _StubParameters()


def test_command_parameters_from_real_class() -> None:
    module = pytest.importorskip("wrapp.datastructures.command_context")
    params = wo.command_parameters_from(debug=True, jobs=3, log_file="l.log")
    assert isinstance(params, module.CommandParameters)
    assert (params.debug, params.verbose, params.dry_run, params.log_file, params.hash_cache_file) == (
        True, False, False, "l.log", None,
    )
