"""The generic command-line options of wrapp, as ``click`` options, for scripts that build
their own commands.

Each ``...Flag`` / ``...Option`` object is a ``click.option`` decorator with the
spelling, default and environment variable of the ``wrapp`` command line (``docs/cli.md``,
"Generic options"); :func:`generic_options` applies them all. The values reach the
command function as keyword arguments named like the options (``verbose``, ``jobs``,
``file_transfer_jobs``, ...); :func:`command_parameters_from` turns them into a
:class:`wrapp.CommandParameters` and :func:`auth_infos_from` gives the credentials of
``--auth``::

    import click, wrapp
    from wrapp.options import generic_options, command_parameters_from, auth_infos_from

    @click.command()
    @click.argument("folder")
    @generic_options
    def my_catalog(folder, **options):
        async def run():
            async with wrapp.ContextManager(auth_infos_from(options)) as ctx:
                await wrapp.catalog(folder, output="out.json", scheduler=ctx,
                                    context=command_parameters_from(**options))
        asyncio.run(run())
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, List, Optional, Sequence, TypeVar

import click

__all__ = [
    "AUTH_ENVVAR",
    "AuthOption",
    "AuthParamType",
    "ColorOption",
    "DebugFlag",
    "DryRunFlag",
    "FileTransferJobsOption",
    "FsyncFlag",
    "GENERIC_OPTIONS",
    "OverwriteFlag",
    "RepoRequiredOption",
    "HashCacheFileOption",
    "InteractiveAuthFlag",
    "JobsOption",
    "JsonLoggingFlag",
    "LogFileOption",
    "NoHashCacheFlag",
    "ProgressIntervalOption",
    "ProgressReportOption",
    "StatsFlag",
    "TimeFlag",
    "VerboseFlag",
    "auth_infos_from",
    "command_parameters_from",
    "generic_options",
    "parse_auth",
]

F = TypeVar("F", bound=Callable[..., Any])

#: The environment variable holding ``--auth`` values (separated by whitespace).
AUTH_ENVVAR = "WRAPP_AUTH"

_JOBS_RANGE = click.IntRange(1, 100000)

#: ``-v``, ``--verbose``: info lines on stderr. Off by default.
VerboseFlag = click.option("-v", "--verbose", is_flag=True, default=False, help="Verbose output of the operation")
#: ``--time``: print the time the operation took. Off by default.
TimeFlag = click.option("--time", "time", is_flag=True, default=False, help="Print the time the operation took")
#: ``--stats``: print statistics about the operation. Off by default.
StatsFlag = click.option("--stats", is_flag=True, default=False, help="Print statistics about the operation")
#: ``-j``, ``--jobs N``: parallel storage operations, 1-100000, default 200, env ``WRAPP_JOBS``.
JobsOption = click.option(
    "-j",
    "--jobs",
    type=_JOBS_RANGE,
    default=200,
    show_default=True,
    envvar="WRAPP_JOBS",
    show_envvar=True,
    help="Number of parallel storage operations",
)
#: ``--file-transfer-jobs``, ``--ftj N``: parallel file transfers, 1-100000, default 50.
FileTransferJobsOption = click.option(
    "--file-transfer-jobs",
    "--ftj",
    "file_transfer_jobs",
    type=_JOBS_RANGE,
    default=50,
    show_default=True,
    help="Number of parallel file transfers",
)
#: ``-l``, ``--log-file FILE``: append log lines to FILE; env ``WRAPP_LOG_FILE``; none by default.
LogFileOption = click.option(
    "-l",
    "--log-file",
    "log_file",
    type=str,
    default=None,
    envvar="WRAPP_LOG_FILE",
    show_envvar=True,
    help="Append log lines to this file",
)
#: ``-d``, ``--debug``: debug logging. Off by default.
DebugFlag = click.option("-d", "--debug", is_flag=True, default=False, help="Debug logging")
#: ``--json-logging``: log JSON lines instead of text. Off by default.
JsonLoggingFlag = click.option(
    "--json-logging", "json_logging", is_flag=True, default=False, help="Log JSON lines instead of text"
)
#: ``--dry-run``: plan and print what would be done, write nothing. Off by default.
DryRunFlag = click.option(
    "--dry-run", "dry_run", is_flag=True, default=False, help="Plan and print what would be done, write nothing"
)
#: ``--progress-report off|normal|verbose``: progress display, default ``normal``.
ProgressReportOption = click.option(
    "--progress-report",
    "progress_report",
    type=click.Choice(["off", "normal", "verbose"]),
    default="normal",
    show_default=True,
    help="Progress display: off, normal or verbose",
)
#: ``--progress-interval SECONDS``: seconds between progress lines in a log, default 5.
ProgressIntervalOption = click.option(
    "--progress-interval",
    "progress_interval",
    type=click.FloatRange(0, 86400),
    default=5,
    show_default=True,
    help="Seconds between progress lines when stderr is not a terminal (a log); on a terminal the live line "
         "appears after this or 0.75 s, whichever is shorter",
)
#: ``--color auto|always|never``: colour on terminals, default ``auto``.
ColorOption = click.option(
    "--color",
    "color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour errors, warnings and status kinds: auto (on a terminal, unless NO_COLOR is set), always or never",
)
#: ``--fsync``: flush written files to disk before publishing; env ``WRAPP_FSYNC``.
FsyncFlag = click.option(
    "--fsync",
    is_flag=True,
    default=False,
    envvar="WRAPP_FSYNC",
    show_envvar=True,
    help="Flush written files to disk before the package file that publishes them (survives power loss; slower)",
)
#: ``--hash-cache-file``, ``--hcf FILE``: local hash cache; env ``WRAPP_HASH_CACHE_FILE``.
HashCacheFileOption = click.option(
    "--hash-cache-file",
    "--hcf",
    "hash_cache_file",
    type=str,
    default=None,
    envvar="WRAPP_HASH_CACHE_FILE",
    show_envvar=True,
    help="Hash cache file: unchanged files (size, mtime, ctime, inode) are not hashed again",
)
#: ``--no-hash-cache``: use no hash cache (the command line's default cache included).
NoHashCacheFlag = click.option(
    "--no-hash-cache", "no_hash_cache", is_flag=True, default=False, help="Use no hash cache: hash every file read"
)


def parse_auth(value: str) -> Any:
    """One ``--auth`` value as a :class:`wrapp.StorageAuthInfo`.

    Forms: ``URL,USER,PASSWORD_OR_TOKEN`` (``s3://`` URLs: ``URL,ACCESS_KEY_ID,SECRET_KEY``
    for boto3; ``gs://`` URLs: ``URL,ACCESS_ID,SECRET``, a Cloud Storage HMAC key, also
    given as boto3 credentials; other URLs: Nucleus credentials, ``$omni-api-token`` as USER for an API
    token) and ``URL,TOKEN`` (a Storage API bearer token). The password may contain
    commas. Errors never repeat the value (it holds a secret).

    :raises ValueError: When the value has none of these forms.
    """
    from wrapp.datastructures.authentication import StorageAuthInfo

    parts = value.split(",", 2)
    if len(parts) < 2 or "://" not in parts[0] or not all(parts[1:]):
        raise ValueError("expected URL,USER,PASSWORD_OR_TOKEN or URL,TOKEN")
    url = parts[0].strip()
    if len(parts) == 2:
        return StorageAuthInfo.storage_api_bearer(url, parts[1])
    if url.lower().startswith(("s3://", "gs://")):
        return StorageAuthInfo.boto3(url, parts[1], parts[2])
    return StorageAuthInfo.nucleus(url, parts[1], parts[2])


class AuthParamType(click.ParamType):
    """The click type of ``--auth``: converts each value with :func:`parse_auth`."""

    name = "URL,USER,PASSWORD_OR_TOKEN"

    def convert(self, value: Any, param: Optional[click.Parameter], ctx: Optional[click.Context]) -> Any:
        """One ``--auth`` value as a StorageAuthInfo (click calls this); a bad value fails without echoing it."""
        if not isinstance(value, str):
            return value  # already a StorageAuthInfo (a default, or a second conversion)
        try:
            return parse_auth(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)  # the message names the form, never the value


#: ``--auth URL,USER,PASSWORD_OR_TOKEN`` (repeatable; env ``WRAPP_AUTH``, values separated
#: by whitespace): non-interactive credentials, as StorageAuthInfo objects.
AuthOption = click.option(
    "--auth",
    "auth",
    type=AuthParamType(),
    multiple=True,
    envvar=AUTH_ENVVAR,
    show_envvar=True,
    help="Credentials for a server: URL,USER,PASSWORD_OR_TOKEN (repeatable)",
)
#: ``--interactive-auth``: allow an interactive (browser) login where no credentials match.
InteractiveAuthFlag = click.option(
    "--interactive-auth",
    "interactive_auth",
    is_flag=True,
    default=False,
    help="Allow an interactive login for servers without --auth credentials",
)

#: Options of several commands (not generic): the repository and --overwrite.
RepoRequiredOption = click.option(
    "--repo", "repo", required=True, help="Repository (folder or URL holding .packages)")
OverwriteFlag = click.option("--overwrite", is_flag=True, default=False, help="Replace what exists at the destination")


def _document(decorator: Callable[[F], F]) -> None:
    """Give an option decorator a docstring from its option's help, so ``help()`` tells what it adds."""
    option = decorator(lambda: None).__click_params__[0]  # type: ignore[attr-defined]
    flags = "/".join(option.opts)
    default = "" if option.required else f" (default: {option.default!r})"
    decorator.__doc__ = f"click decorator adding the option {flags}: {option.help}{default}."


#: Every generic option, in the order of ``wrapp COMMAND --help``.
GENERIC_OPTIONS: Sequence[Callable[[F], F]] = (
    VerboseFlag,
    TimeFlag,
    StatsFlag,
    JobsOption,
    FileTransferJobsOption,
    LogFileOption,
    DebugFlag,
    JsonLoggingFlag,
    DryRunFlag,
    ProgressReportOption,
    ProgressIntervalOption,
    ColorOption,
    FsyncFlag,
    HashCacheFileOption,
    NoHashCacheFlag,
    AuthOption,
    InteractiveAuthFlag,
)


for _decorator in (*GENERIC_OPTIONS, RepoRequiredOption, OverwriteFlag):
    _document(_decorator)


def generic_options(function: F) -> F:
    """Decorator adding every generic option (:data:`GENERIC_OPTIONS`) to a click command.

    The options appear in ``--help`` in the order of ``wrapp COMMAND --help``.
    """
    for option in reversed(GENERIC_OPTIONS):
        function = option(function)
    return function


def command_parameters_from(**kwargs: Any) -> Any:
    """A :class:`wrapp.CommandParameters` from the values of the generic options.

    Takes ``debug``, ``verbose``, ``dry_run``, ``log_file`` and ``hash_cache_file`` from
    ``kwargs`` (missing ones keep their defaults; ``no_hash_cache`` clears the cache file)
    and ignores every other key, so a command can pass all its keyword arguments.
    """
    from wrapp.datastructures.command_context import CommandParameters

    fields = ("debug", "verbose", "dry_run", "log_file", "hash_cache_file")
    values = {name: kwargs[name] for name in fields if name in kwargs}
    if kwargs.get("no_hash_cache"):
        values["hash_cache_file"] = None
    return CommandParameters(**values)


def auth_infos_from(options: Any) -> List[Any]:
    """The StorageAuthInfo objects of ``--auth``.

    :param options: The command's keyword arguments (a mapping with an ``auth`` key), or
        the ``auth`` values themselves.
    """
    values: Iterable[Any] = (options.get("auth") or ()) if isinstance(options, dict) else (options or ())
    return [parse_auth(v) if isinstance(v, str) else v for v in values]
