"""wrapp.list_repo: the packages of a repository and their versions."""

from typing import List, Tuple

from wrapp.commands._common import location, run_command, to_url
from wrapp.datastructures.repository import list_repo_from_core


async def list_repo(repository: str, *, scheduler=None) -> List[Tuple[str, List[str]]]:
    """List the packages in a repository.

    :param repository: The repository URL or folder (without ``.packages``).
    :returns: ``(package URL, versions)`` per package, sorted by name; the URL's last path segment is the
        package name (``<repository>/.packages/<name>``).
    """
    result = await run_command("list-repo", {"repo": location(repository)}, scheduler=scheduler)
    base = to_url(location(repository)).rstrip("/")
    return [(f"{base}/.packages/{name}", versions) for name, versions in list_repo_from_core(result)]
