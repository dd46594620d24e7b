"""The exceptions every wrapp function raises.

Both come from the C++ core and carry data, so scripts never parse messages:

- ``code``: a stable name of the cause (``"not_found"``, ``"already_exists"``, ``"conflict"``,
  ``"modified"``, ``"locked"``, ``"link_on_path"``, ``"bad_input"``, ``"damaged"``, ``"io"``, ...);
- ``payload``: the paths the message lists (conflicting or modified files), one string each;
- ``exit_code``: what the command line exits with for it (1 or 2).
"""

from wrapp._core import FailedCommand, StorageOperationError

__all__ = ["FailedCommand", "StorageOperationError"]
