"""wrapp.uninstall: remove an installed package after checking it holds no local modifications."""

from wrapp.commands._common import location, run_command
from wrapp.datastructures.command_context import CommandParameters


async def uninstall(package_name: str, install_location: str, force: bool = False, *,
                    context: CommandParameters = CommandParameters(), scheduler=None) -> None:
    """Given a package name and either an install_location or the URL of a wrapp file, uninstall that
    package after checking it has no local modifications that could be lost.

    With the URL of a dependency file (``wrapp new``), the package is uninstalled from where that file
    recorded it and the record is removed from the file.

    :param package_name: Name of the installed package.
    :param install_location: The folder it is installed in, or a dependency file that recorded it.
    :param force: Delete modified files too.
    :raises FailedCommand: With code "modified" and the paths in ``payload`` when files were modified.
    """
    await run_command("uninstall", {"package_name": package_name, "install_location": location(install_location),
                                    "force": force}, context=context, scheduler=scheduler)
