"""What a session keeps between requests, bounded in total across every session.

Gradio keeps each session's ``gr.State`` until the tab closes or its time-to-live passes; API
clients never close theirs, and a session can hold a checkpoint or a large inspection. Values
live here instead, in one store bounded by bytes and count, least recently used first out;
a session's ``gr.State`` holds only a :class:`Ticket`. A ticket names its owner (a hash of the
client's address and browser), so a session hash seen by someone else does not open it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import torch

from resnet_core.memory import release_free_memory


class Expired(ValueError):
    """A session's value was dropped (expired, evicted, or asked for by someone else)."""


@dataclass(frozen=True)
class Ticket:
    """What a session's ``gr.State`` holds: where its value is, and whose it is."""

    key: str
    owner: str
    kind: str


def owner_of(request: Any) -> str:
    """A short hash of a request's client address and browser (never stored in clear)."""
    host = getattr(getattr(request, "client", None), "host", "") or ""
    try:
        agent = request.headers.get("user-agent", "") if request is not None else ""
    except AttributeError:
        agent = ""
    return hashlib.sha256(f"{host}\n{agent}".encode()).hexdigest()[:16]


def nbytes(value: Any, _depth: int = 0) -> int:
    """Bytes a value holds in numpy arrays and tensors (dataclasses, tuples, lists, dicts, modules)."""
    if _depth > 6 or value is None:
        return 0
    held = getattr(value, "nbytes", None)  # numpy arrays, and records that say what they hold
    if isinstance(held, int) and not isinstance(value, np.ndarray):
        return held
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, torch.Tensor):
        return value.untyped_storage().nbytes() if value.device.type != "meta" else 0
    if isinstance(value, torch.nn.Module):
        return sum(t.untyped_storage().nbytes() for t in (*value.parameters(), *value.buffers()))
    if is_dataclass(value) and not isinstance(value, type):
        return sum(nbytes(getattr(value, f.name), _depth + 1) for f in fields(value))
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        return sum(nbytes(v, _depth + 1) for v in value.values())
    return 0


class SessionStore:
    """A thread-safe LRU store of per-session values, bounded by total bytes, count and age."""

    def __init__(self, *, max_bytes: int = 1 << 30, max_items: int = 2000, ttl_s: float = 1800.0) -> None:
        self.max_bytes, self.max_items, self.ttl_s = max_bytes, max_items, ttl_s
        self._items: OrderedDict[str, tuple[Any, int, float, str]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # values expire on their own, not only when the next request comes: a server that goes
        # quiet must still let go of what its departed sessions kept
        self._sweeper = threading.Thread(target=self._sweep_forever, daemon=True, name="session-store-sweeper")
        self._sweeper.start()

    def _sweep_forever(self) -> None:
        interval = max(1.0, min(self.ttl_s / 4, 15.0))
        while True:
            time.sleep(interval)
            self.sweep()

    def sweep(self) -> int:
        """Drop every expired value now; returns how many went (and gives their memory back)."""
        with self._lock:
            before = len(self._items)
            self._expire(time.monotonic())
            dropped = before - len(self._items)
        if dropped:
            release_free_memory(min_interval_s=0.0)
        return dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def bytes(self) -> int:
        with self._lock:
            return self._bytes

    def put(self, value: Any, *, request: Any, kind: str, replaces: Ticket | None = None) -> Ticket:
        """Keep ``value`` for the session of ``request``; drops the value ``replaces`` named."""
        size = nbytes(value)
        if size > self.max_bytes:
            raise ValueError("this result is too large to keep for redrawing; choose a smaller input size")
        ticket = Ticket(secrets.token_hex(16), owner_of(request), kind)
        with self._lock:
            if replaces is not None:
                self._drop(replaces.key, keep=value)
            self._expire(time.monotonic())
            self._items[ticket.key] = (value, size, time.monotonic(), ticket.owner)
            self._bytes += size
            while self._items and (self._bytes > self.max_bytes or len(self._items) > self.max_items):
                self._drop(next(iter(self._items)))
        return ticket

    def get(self, ticket: Any, *, request: Any) -> Any:
        """The value a ticket names, for its owner only.

        Raises:
            Expired: the value is gone, or the request is not its owner's.
        """
        if not isinstance(ticket, Ticket):
            raise Expired("nothing kept for this session yet")
        with self._lock:
            self._expire(time.monotonic())
            item = self._items.get(ticket.key)
            if item is None or item[3] != ticket.owner or owner_of(request) != ticket.owner:
                raise Expired("what this session kept has expired; run it again")
            value, size, _, owner = item
            self._items[ticket.key] = (value, size, time.monotonic(), owner)
            self._items.move_to_end(ticket.key)
            return value

    def discard(self, ticket: Any) -> None:
        """Forget a ticket's value (Gradio's delete callback when a session ends)."""
        if isinstance(ticket, Ticket):
            with self._lock:
                self._drop(ticket.key)
            release_free_memory(min_interval_s=0.0)  # a session ended: its memory goes back to the OS

    def _drop(self, key: str, *, keep: Any = None) -> None:
        item = self._items.pop(key, None)
        if item is not None:
            self._bytes -= item[1]
            close = getattr(item[0], "close", None)
            if callable(close) and item[0] is not keep:  # a training run: its model, data and export folder go with it
                close()

    def _expire(self, now: float) -> None:
        while self._items:
            key, (_, _, used, _) = next(iter(self._items.items()))
            if now - used <= self.ttl_s:
                break
            self._drop(key)


__all__ = ["Expired", "SessionStore", "Ticket", "nbytes", "owner_of"]
