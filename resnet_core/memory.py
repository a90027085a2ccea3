"""Give freed memory back to the operating system.

glibc keeps the memory a large request freed (a 1024² inspection's activations, an expired
session's checkpoint) in its arenas, one per worker thread, so a server's resident size stays at
its high-water mark although nothing holds that memory. ``malloc_trim(0)`` returns the free pages
of every arena. Elsewhere (macOS, musl, Windows) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

_lock = threading.Lock()
_last = 0.0
try:
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    _malloc_trim = _libc.malloc_trim
    _malloc_trim.argtypes = [ctypes.c_size_t]
except (OSError, AttributeError):  # not glibc
    _malloc_trim = None


def release_free_memory(*, min_interval_s: float = 2.0) -> bool:
    """Return free heap pages to the OS, at most once every ``min_interval_s``; True if it ran."""
    global _last
    if _malloc_trim is None:
        return False
    with _lock:
        now = time.monotonic()
        if now - _last < min_interval_s:
            return False
        _last = now
    _malloc_trim(0)
    return True


__all__ = ["release_free_memory"]
