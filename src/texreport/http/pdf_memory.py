"""Recently served PDFs kept in this process's memory: a thread-safe LRU of (etag, pdf) by cache key.

A key names its content (a hash of the report, its generation time, the language,
the theme and the program's version; see :func:`texreport.http.exports.cache_key`),
so an entry can never be stale: a changed report is a different key, and the
caller looks the key up from the current report every time. Bounded by entries
and by bytes; the least recently used entry goes first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["PdfMemory"]


class PdfMemory:
    """(etag, pdf) by key, at most ``items`` entries and ``max_bytes`` bytes of PDFs."""

    def __init__(self, *, items: int, max_bytes: int) -> None:
        self._items_limit = items
        self._bytes_limit = max_bytes
        self._entries: OrderedDict[str, tuple[str, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, etag: str, pdf: bytes) -> None:
        if len(pdf) > self._bytes_limit:
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[1])
            self._entries[key] = (etag, pdf)
            self._bytes += len(pdf)
            while len(self._entries) > self._items_limit or self._bytes > self._bytes_limit:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes
