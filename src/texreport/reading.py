"""Read an input document from a file or a stream, never more than the size limit allows.

The CLI and batch read through :func:`read_document`: at most
:data:`~texreport.limits.MAX_DOCUMENT_BYTES` + 1 bytes are read, so a 10 GB file
(or an endless pipe) is refused by :func:`texreport.models.load_json` after 4 MiB,
not after it has filled the memory. Kept free of heavy imports (the CLI's head start).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from .errors import InputError
from .limits import MAX_DOCUMENT_BYTES

__all__ = ["read_bounded", "read_document"]


def read_bounded(stream: BinaryIO, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """Up to ``limit + 1`` bytes of ``stream``: one byte too many is enough to refuse it."""
    chunks: list[bytes] = []
    left = limit + 1
    while left > 0:
        chunk = stream.read(min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_document(source: Path, *, label: str | None = None) -> bytes:
    """The bytes of the document file ``source`` (bounded), or an InputError naming what went wrong."""
    label = label or str(source)
    try:
        with open(source, "rb") as handle:
            return read_bounded(handle)
    except FileNotFoundError:
        raise InputError(f"no such file: {label}") from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a report file: {label}") from None
    except OSError as error:
        raise InputError(f"cannot read {label}: {error.strerror}") from None
