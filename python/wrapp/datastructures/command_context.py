"""CommandParameters: the generic parameters of every wrapp command (the CLI's generic options)."""

from typing import Optional

from pydantic import BaseModel, ConfigDict


class CommandParameters(BaseModel):
    """Class storing all common parameters for wrapp commands.

    Construct this class with ``CommandParameters(<keyword params>)``. For a more detailed explanation for
    the individual parameters, please refer to the section Generic Parameters of ``docs/cli.md``.
    """

    model_config = ConfigDict(frozen=False, extra="forbid")

    #: Debug mode: debug records go to the ``omni.wrapp`` logger and the log file.
    debug: bool = False
    #: Verbose: info records (what each command does) go to the ``omni.wrapp`` logger.
    verbose: bool = False
    #: Dry run: plan and report, write nothing.
    dry_run: bool = False
    #: The path to the log file (appended to).
    log_file: Optional[str] = None
    #: The path to the hash cache.
    hash_cache_file: Optional[str] = None

    def __init__(self, debug: bool = False, verbose: bool = False, dry_run: bool = False,
                 log_file: Optional[str] = None, hash_cache_file: Optional[str] = None) -> None:
        super().__init__(debug=debug, verbose=verbose, dry_run=dry_run, log_file=log_file,
                         hash_cache_file=hash_cache_file)


__all__ = ["CommandParameters"]
