"""The content hash of wrapp catalogs, ``sha-256-flat;1048576;<hex>``, computed by the C++ core."""

from typing import BinaryIO, Tuple

from wrapp import _core

#: Bytes read from the stream at a time: a multiple of the hash's 1 MiB chunk.
READ_SIZE = 4 * 1024 * 1024


def calc_nucleus_hash_from_stream(stream: BinaryIO) -> Tuple[str, int]:
    """Hash everything a binary stream yields from its current position to its end.

    :param stream: a file object opened in binary mode (``open(path, "rb")``, ``io.BytesIO``).
    :returns: ``(hash, size)``: the catalog hash string (``"sha-256-flat;1048576;<hex>"``) and the
        number of bytes read, as a catalog item records them.
    """
    hasher = _core.Hasher()
    while True:
        block = stream.read(READ_SIZE)
        if not block:
            break
        if isinstance(block, str):
            raise TypeError("calc_nucleus_hash_from_stream needs a binary stream (open the file with 'rb')")
        hasher.update(bytes(block))
    return hasher.finish()


def calc_nucleus_hash_from_bytes(data: bytes) -> Tuple[str, int]:
    """The ``(hash, size)`` of a bytes object."""
    hasher = _core.Hasher()
    hasher.update(bytes(data))
    return hasher.finish()


__all__ = ["calc_nucleus_hash_from_stream", "calc_nucleus_hash_from_bytes"]
