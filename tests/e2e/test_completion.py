"""`wrapp completion bash|zsh|fish`: the scripts are generated from the command line wrapp parses, so
they offer every command, option and fixed value of `--help`; package names and versions come from a
local repository on the line, paths from the file system. bash and fish are driven directly (the
completion function as readline calls it, fish's `complete -C`); bash and zsh also for real, on a
pseudo-terminal, with Tab."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import run_wrapp, write_tree
from shells import Terminal, bash_complete, bash_words, fish_complete

PACKAGES = {"assets": ["1.0", "1.1", "2.0"], "assets-extra": ["0.9"], "models": ["3"]}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A folder with a repository made by `wrapp create` (PACKAGES), a source folder and a file, and
    the three scripts. A version folder without its package file (an unpublished leftover) must not be
    offered."""
    root = tmp_path_factory.mktemp("completion")
    src = write_tree(root / "src", {"a.txt": "a\n"})
    for name, versions in PACKAGES.items():
        for version in versions:
            r = run_wrapp(["create", name, version, src, "--repo", root / "repo"], root)
            assert r.returncode == 0, str(r)
    (root / "repo" / ".packages" / "assets" / "9.9-leftover").mkdir()
    write_tree(root, {"notes.json": "{}"})
    for shell in ("bash", "zsh", "fish"):
        r = run_wrapp(["completion", shell], root)
        assert r.returncode == 0 and r.stdout and not r.stderr, str(r)
        (root / f"wrapp.{shell}").write_text(r.stdout)
    return root


def commands_of_help(site) -> list:
    out = run_wrapp(["--help"], site).stdout
    return [l.split()[0] for l in out.split("Subcommands:")[1].split("\n\n")[0].strip().splitlines()]


def options_of_help(site, command) -> tuple:
    """(long options, {option: fixed values}) that `wrapp COMMAND --help` shows in its name column."""
    out = run_wrapp([command, "--help"], site, progress=True).stdout
    longs = set()
    for names in re.findall(r"^  (-\S+)", out, re.MULTILINE):
        longs |= {n for n in names.split(",") if n.startswith("--")}
    choices = {m.group(1): m.group(2).split(",") for m in re.finditer(r"(--[\w-]+) [A-Z]+:\{([^}]*)\}", out)}
    return longs, choices


# ---- the command -------------------------------------------------------------------------------


def test_completion_prints_a_script_for_each_shell(wrapp):
    for shell, first in (("bash", "# bash completion"), ("zsh", "#compdef wrapp"), ("fish", "# fish completion")):
        r = wrapp("completion", shell)
        assert r.returncode == 0 and not r.stderr, str(r)
        assert r.stdout.startswith(first), r.stdout[:200]


def test_an_unknown_shell_is_refused_naming_the_shells(wrapp):
    r = wrapp("completion", "tcsh")
    assert r.returncode == 1 and not r.stdout, str(r)
    assert "tcsh" in r.stderr and all(s in r.stderr for s in ("bash", "zsh", "fish")), r.stderr
    r = wrapp("completion")
    assert r.returncode == 1 and "shell" in r.stderr, str(r)


def test_completion_help(wrapp):
    r = wrapp("completion", "--help")
    assert r.returncode == 0, str(r)
    assert "{bash,zsh,fish}" in r.stdout and "bash-completion/completions/wrapp" in r.stdout, r.stdout


def test_scripts_are_valid_shell(site):
    assert subprocess.run(["bash", "-n", site / "wrapp.bash"], capture_output=True).returncode == 0
    for shell, check in (("zsh", ["zsh", "-n"]), ("fish", ["fish", "--no-execute"])):
        if shutil.which(shell):
            p = subprocess.run(check + [site / f"wrapp.{shell}"], capture_output=True, text=True)
            assert p.returncode == 0 and not p.stderr, p.stderr


def test_bash_words_split_like_bash():
    """The test's model of bash's COMP_WORDS (checked against bash in test_bash_for_real_with_tab)."""
    assert bash_words("wrapp ins") == (["wrapp", "ins"], 1, "wrapp ins", 9)
    assert bash_words("wrapp install ")[:2] == (["wrapp", "install", ""], 2)
    assert bash_words("wrapp install --progress-report=v")[:2] == (
        ["wrapp", "install", "--progress-report", "=", "v"], 4)
    assert bash_words("wrapp install --progress-report=")[:2] == (["wrapp", "install", "--progress-report", "="], 3)
    assert bash_words("wrapp install pk| --repo r")[:2] == (["wrapp", "install", "pk", "--repo", "r"], 2)
    assert bash_words("wrapp install | --repo r") == (["wrapp", "install", "--repo", "r"], 2,
                                                     "wrapp install  --repo r", 14)


# ---- bash --------------------------------------------------------------------------------------


def test_bash_commands_and_options(site):
    script = site / "wrapp.bash"
    assert sorted(bash_complete(script, "wrapp ins", site)) == ["install", "installed-package-list"]
    assert bash_complete(script, "wrapp install --dr", site) == ["--dry-run"]
    assert bash_complete(script, "wrapp -", site) == ["-h", "--help", "--version"]
    assert bash_complete(script, "wrapp completion ", site) == ["bash", "zsh", "fish"]
    # -j takes a number: nothing to offer, and the word after its value is the first argument again.
    assert bash_complete(script, "wrapp install -j ", site) == []
    assert sorted(bash_complete(script, f"wrapp install -j 4 --repo {site}/repo as", site)) == [
        "assets", "assets-extra"]


def test_bash_fixed_values(site):
    script = site / "wrapp.bash"
    for line in ("wrapp install --progress-report ", "wrapp install --progress-report=",
                 "wrapp install --link-mode copy --progress-report "):
        assert bash_complete(script, line, site) == ["off", "normal", "verbose"], line
    assert bash_complete(script, "wrapp install --progress-report=v", site) == ["verbose"]
    assert bash_complete(script, "wrapp ls x --output-format ", site) == ["normal", "tsv", "json"]


def test_bash_offers_every_command_and_every_option_of_help(site):
    """The script comes from the same app tree as --help: nothing --help shows is missing."""
    script = site / "wrapp.bash"
    commands = commands_of_help(site)
    assert "completion" in commands
    assert sorted(bash_complete(script, "wrapp ", site)) == sorted(commands)
    for command in commands:
        longs, choices = options_of_help(site, command)
        offered = set(bash_complete(script, f"wrapp {command} -", site))
        assert longs - {"--version"} <= offered, f"{command}: {sorted(longs - offered)} not offered"
        for option, values in choices.items():
            assert bash_complete(script, f"wrapp {command} {option} ", site) == values, (command, option)


def test_bash_package_names_and_versions_from_a_local_repository(site):
    script = site / "wrapp.bash"
    repo = site / "repo"
    assert sorted(bash_complete(script, f"wrapp install pk| --repo {repo}", site)) == []
    assert sorted(bash_complete(script, f"wrapp install as| --repo {repo}", site)) == ["assets", "assets-extra"]
    assert sorted(bash_complete(script, f"wrapp install | --repo {repo}", site)) == sorted(PACKAGES)
    assert sorted(bash_complete(script, f"wrapp install --repo={repo} m", site)) == ["models"]
    # The version position: only published versions (the leftover folder has no package file).
    assert sorted(bash_complete(script, f"wrapp install assets | --repo {repo}", site)) == PACKAGES["assets"]
    assert sorted(bash_complete(script, f"wrapp install assets 1.| --repo {repo} ./dest", site)) == ["1.0", "1.1"]
    assert sorted(bash_complete(script, f"wrapp install --repo={repo} assets-extra ", site)) == ["0.9"]
    # A repository given as a positional argument (mirror's SOURCE_REPO), before or after the cursor.
    assert sorted(bash_complete(script, f"wrapp mirror | 1 {repo} /backup", site)) == sorted(PACKAGES)
    assert bash_complete(script, f"wrapp mirror models | {repo} /backup", site) == ["3"]
    # --template-version: a version of the package on the line.
    assert sorted(bash_complete(script, f"wrapp mirror assets 2.0 {repo} /b --template-version 1", site)) == [
        "1.0", "1.1"]
    # NAME VERSION REPO of one --package: the repository of the same use.
    assert sorted(bash_complete(script, f"wrapp find-orphans --package assets | {repo} --repo /x", site)) == \
        PACKAGES["assets"]
    assert sorted(bash_complete(script, f"wrapp delete-packages --package | x {repo}", site)) == sorted(PACKAGES)
    # --dependency NAME VERSION REPO RELATIVE_PATH: REPO '' means the metapackage's own repository.
    assert sorted(bash_complete(script, f"wrapp create-metapackage m 1 {repo} --dependency as", site)) == [
        "assets", "assets-extra"]
    assert bash_complete(script, f"wrapp create-metapackage m 1 {repo} --dependency models ", site) == ["3"]
    assert sorted(bash_complete(script, f"wrapp export | 1.0 out.tar --repo {repo}", site)) == sorted(PACKAGES)
    # A relative repository, resolved from the working directory.
    assert bash_complete(script, "wrapp install models | --repo repo", site) == ["3"]


def test_bash_lists_no_url_and_no_unknown_package(site):
    script = site / "wrapp.bash"
    started = time.monotonic()
    for repo in ("s3://bucket/repo", "https://example.invalid/repo", "gs://b/r"):
        assert bash_complete(script, f"wrapp install | --repo {repo}", site) == [], repo
        assert bash_complete(script, f"wrapp install assets | --repo {repo}", site) == [], repo
    assert time.monotonic() - started < 10  # no network: each is a local look at the line
    assert bash_complete(script, f"wrapp install nothing-here | --repo {site}/repo", site) == []
    assert bash_complete(script, f"wrapp install ../x | --repo {site}/repo", site) == []
    assert bash_complete(script, "wrapp install | --repo /no/such/repo", site) == []


def test_bash_paths(site):
    script = site / "wrapp.bash"
    assert bash_complete(script, "wrapp install assets 1.0 sr", site) == ["src"]
    assert bash_complete(script, "wrapp count no", site) == ["notes.json"]
    assert bash_complete(script, "wrapp install --patch no", site) == ["notes.json"]
    # A repository is a folder: --repo offers folders only.
    assert bash_complete(script, "wrapp install --repo n", site) == []
    assert bash_complete(script, "wrapp install --repo sr", site) == ["src"]
    assert bash_complete(script, f"wrapp list-repo {site}/re", site) == [f"{site}/repo"]
    # A URL is never completed from the file system.
    assert bash_complete(script, "wrapp ls s3://sr", site) == []


@pytest.mark.skipif(not shutil.which("bash"), reason="bash")
def test_bash_for_real_with_tab(site):
    """Readline's own splitting (--option=value) and insertion, in an interactive bash."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(site), "TERM": "dumb", "INPUTRC": "/dev/null"}
    term = Terminal(["bash", "--norc", "--noprofile", "-i"],
                    f"source {site}/wrapp.bash; bind 'set show-all-if-ambiguous on'; "
                    "bind 'set completion-query-items 0'", site, env)
    try:
        assert "wrapp install --dry-run" in term.tab("wrapp install --dr")
        shown = term.tab("wrapp install --progress-report=")
        assert all(v in shown for v in ("off", "normal", "verbose")), shown
        assert "--progress-report=verbose" in term.tab("wrapp install --progress-report=v")
        assert "wrapp install --repo repo models" in term.tab("wrapp install --repo repo mo")
        shown = term.tab("wrapp install assets  --repo repo", left=len(" --repo repo"))
        assert all(v in shown for v in PACKAGES["assets"]) and "9.9-leftover" not in shown, shown
    finally:
        term.close()


# ---- zsh ---------------------------------------------------------------------------------------

needs_zsh = pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed (setup.sh installs it)")


@needs_zsh
def test_zsh_for_real_with_tab(site):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(site), "TERM": "dumb"}
    setup = f"autoload -U compinit; compinit -u; source {site}/wrapp.zsh; LISTMAX=10000; unsetopt listambiguous"
    term = Terminal(["zsh", "-f", "-i"], setup, site, env)
    try:
        shown = term.tab("wrapp ins")
        assert "install" in shown and "installed-package-list" in shown, shown
        assert "wrapp install --dry-run" in term.tab("wrapp install --dr")
        shown = term.tab("wrapp install --progress-report ")
        assert all(v in shown for v in ("off", "normal", "verbose")), shown
        shown = term.tab("wrapp install --progress-report=")
        assert all(v in shown for v in ("off", "normal", "verbose")), shown
        assert "wrapp install --repo repo models" in term.tab("wrapp install --repo repo mo")
        shown = term.tab("wrapp install --repo repo assets ")
        assert all(v in shown for v in PACKAGES["assets"]) and "9.9-leftover" not in shown, shown
        # The cursor before --repo: the repository after it counts.
        shown = term.tab("wrapp install as --repo repo", left=len(" --repo repo"))
        assert "assets-extra" in shown, shown
        assert "wrapp mirror models 3" in term.tab(f"wrapp mirror models  {site}/repo /b", left=len(f" {site}/repo /b"))
        assert "wrapp completion fish" in term.tab("wrapp completion f")
        assert "wrapp install assets 1.0 src/" in term.tab("wrapp install assets 1.0 sr")
        assert "_wrapp" not in term.tab("wrapp install --repo s3://bucket/repo ")  # no error, nothing listed
    finally:
        term.close()


@needs_zsh
def test_zsh_offers_every_option_of_help(site):
    script = (site / "wrapp.zsh").read_text()
    for command in commands_of_help(site):
        longs, choices = options_of_help(site, command)
        body = script.split(f"_wrapp_cmd_{command.replace('-', '_')}() {{", 1)[1].split("\n}\n", 1)[0]
        group_arrays = re.findall(r"\$\{(_wrapp_group_\d+)\[@\]\}", body)
        for array in group_arrays:
            body += script.split(f"local -a {array}=(", 1)[1].split("\n  )\n", 1)[0]
        for option in longs - {"--version"}:
            assert re.search(rf"['*)]{re.escape(option)}[=\[]", body), f"{command}: {option}"
        for option, values in choices.items():
            assert f"({' '.join(values)})" in body, (command, option)


# ---- fish --------------------------------------------------------------------------------------

needs_fish = pytest.mark.skipif(not shutil.which("fish"), reason="fish is not installed (setup.sh installs it)")


@needs_fish
def test_fish(site):
    script = site / "wrapp.fish"
    repo = site / "repo"
    lines = {
        "wrapp ins": ["install", "installed-package-list"],
        "wrapp install --dr": ["--dry-run"],
        "wrapp install --progress-report ": ["normal", "off", "verbose"],
        "wrapp completion ": ["bash", "fish", "zsh"],
        f"wrapp install --repo {repo} as": ["assets", "assets-extra"],
        f"wrapp install --repo={repo} assets ": PACKAGES["assets"],
        f"wrapp install --repo {repo} assets-extra 0": ["0.9"],
        f"wrapp mirror models 3 {repo} /b --template-version ": ["3"],
        f"wrapp find-orphans --repo {repo} --package models ": ["3"],
        "wrapp install --repo s3://bucket/repo assets ": [],
        "wrapp install assets 1.0 sr": ["src/"],
        "wrapp install --repo sr": ["src/"],
    }
    got = fish_complete(script, list(lines), site)
    for (line, expected), candidates in zip(lines.items(), got):
        assert sorted(candidates) == sorted(expected), line


@needs_fish
def test_fish_offers_every_command_and_option_of_help(site):
    commands = commands_of_help(site)
    lines = ["wrapp "] + [f"wrapp {c} --" for c in commands]
    got = fish_complete(site / "wrapp.fish", lines, site)
    assert sorted(got[0]) == sorted(commands)
    for command, candidates in zip(commands, got[1:]):
        longs, _ = options_of_help(site, command)
        assert longs - {"--version"} <= set(candidates), f"{command}: {sorted(longs - set(candidates))}"


INSTALLED_BASH = Path("/usr/local/share/bash-completion/completions/wrapp")
BASH_COMPLETION = Path("/usr/share/bash-completion/bash_completion")


@pytest.mark.skipif(not (INSTALLED_BASH.exists() and BASH_COMPLETION.exists()),
                    reason="./setup.sh has not installed the bash script and the bash-completion package")
def test_the_script_setup_installs_is_loaded_by_bash_completion():
    # What a new interactive shell does on the first Tab after `wrapp`: bash-completion finds the script
    # setup.sh installed, by the command's name.
    r = subprocess.run(["bash", "-c", f"source {BASH_COMPLETION}; __load_completion wrapp; complete -p wrapp"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == "complete -F _wrapp wrapp", (r.stdout, r.stderr)
