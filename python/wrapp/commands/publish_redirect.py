"""wrapp.publish_redirect: redirect packages whose files are fetched from where they are."""

from typing import List, Optional, Union

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def publish_redirect(source_repos: Union[str, List[str]], redirect_repo: str, external_url: Optional[str] = None,
                           *, context: Optional[CommandParameters] = None, scheduler=None) -> List[str]:
    """Publish, for every version in the source repositories, a redirect package in ``redirect_repo`` whose
    catalog points at the files where they are (or below ``external_url``).

    :returns: The package files written.
    """
    repos = [source_repos] if isinstance(source_repos, str) else list(source_repos)
    result = await run_command("publish-redirect", {"source_repos": [location(r) for r in repos],
                                                    "redirect_repo": location(redirect_repo),
                                                    "external_url": external_url},
                               context=context, scheduler=scheduler)
    return list(result["written"])
