"""What a session keeps between requests, bounded in total across every session.

Gradio keeps each session's ``gr.State`` until the tab closes or its time-to-live passes; API
clients never close theirs, and a session can hold a checkpoint or a large inspection. Values
live here instead, in one store bounded by bytes and count, least recently used first out;
a session's ``gr.State`` holds only a :class:`Ticket`. A ticket names its owner (a hash of the
client's address and browser), so a session hash seen by someone else does not open it, replace
it or discard it.

Gradio deep-copies every component's config (a ``gr.State``'s delete callback included) on each
page load and ``GET /config``; a bound method of the store would copy every value it keeps. The
callback Gradio holds is :class:`Discard`: copying it is free and it prints no heap address.
A running job pins its entry (:meth:`SessionStore.pinned`): neither age nor another session's
load evicts it; only its owner, or a server out of room (a clear refusal), ends it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import numpy as np
import torch

from resnet_core.errors import UserError
from resnet_core.memory import release_free_memory


class Expired(UserError):
    """A session's value was dropped (expired, evicted, or asked for by someone else)."""


class NotYours(UserError):
    """A state-changing call named a session value that belongs to another client."""


NOT_YOURS = "This session belongs to another browser; reload the page to start your own."
FULL = ("The server is holding as much as it can for jobs that are running; try again in a few minutes "
        "or choose a smaller input.")


class Discard:
    """The delete callback a ``gr.State`` holds: forgets a ticket's value when Gradio ends the session.

    Gradio deep-copies component configs on every page load; this object copies as itself and
    prints as a plain word, so a page load costs the same however much the store keeps.
    """

    __slots__ = ("_store",)

    def __init__(self, store: SessionStore) -> None:
        self._store = store

    def __call__(self, ticket: Any) -> None:
        self._store.discard(ticket)

    def __copy__(self) -> Discard:
        return self

    def __deepcopy__(self, memo: dict) -> Discard:
        return self

    def __repr__(self) -> str:
        return "session-store-discard"

    __str__ = __repr__


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
        self._pins: dict[str, int] = {}  # key -> running jobs that hold it
        self._doomed: set[str] = set()  # pinned keys whose session ended: dropped when unpinned
        self._moved: dict[str, str] = {}  # a pinned key replaced by put(): old key -> new key
        self.on_session_end = Discard(self)
        # values expire on their own, not only when the next request comes: a server that goes
        # quiet must still let go of what its departed sessions kept
        self._sweeper = threading.Thread(target=self._sweep_forever, daemon=True, name="session-store-sweeper")
        self._sweeper.start()

    def _sweep_forever(self) -> None:
        interval = max(1.0, min(self.ttl_s / 4, 15.0))
        while True:
            time.sleep(interval)
            self.sweep()

    def state_options(self) -> dict[str, Any]:
        """Options for a ``gr.State`` that holds this store's tickets.

        Gradio's own time-to-live would end a session's state in the middle of a long job
        (and with it the Stop button's ticket); the store's values expire on their own, so
        Gradio keeps only the small ticket, until the session closes.
        """
        return dict(time_to_live=None, delete_callback=self.on_session_end)

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
        """Keep ``value`` for the session of ``request``; drops the value ``replaces`` named.

        Raises:
            NotYours: ``replaces`` belongs to another client (nothing is dropped).
            ValueError: the value is too large, or every byte is held by running jobs.
        """
        self.check_owner(replaces, request=request)
        size = nbytes(value)
        if size > self.max_bytes:
            raise UserError("this result is too large to keep for redrawing; choose a smaller input size",
                            key="error.result_too_large")
        ticket = Ticket(secrets.token_hex(16), owner_of(request), kind)
        with self._lock:
            self._expire(time.monotonic())
            keep = replaces.key if isinstance(replaces, Ticket) else None
            if self._room(size, free=keep) < 0:
                raise UserError(FULL, key="error.server_full")
            if keep is not None:
                self._doomed.discard(keep)
                pins = self._pins.pop(keep, 0)
                self._drop(keep, keep=value)
                if pins:  # the job that pinned the old entry goes on holding the new one
                    self._pins[ticket.key] = pins
                    self._moved[keep] = ticket.key
            self._items[ticket.key] = (value, size, time.monotonic(), ticket.owner)
            self._bytes += size
            for key in [k for k in self._items if k not in self._pins]:  # oldest first, running jobs kept
                if self._bytes <= self.max_bytes and len(self._items) <= self.max_items:
                    break
                if key != ticket.key:
                    self._drop(key)
        return ticket

    def _room(self, size: int, *, free: str | None) -> int:
        """Bytes left for ``size`` more once every unpinned value (and ``free``) could go."""
        pinned = sum(item[1] for key, item in self._items.items() if key in self._pins and key != free)
        return self.max_bytes - pinned - size

    def check_owner(self, ticket: Any, *, request: Any) -> None:
        """Refuse a state-changing call whose session value belongs to another client.

        Raises:
            NotYours: ``ticket`` names another client's value.
        """
        if isinstance(ticket, Ticket) and owner_of(request) != ticket.owner:
            raise NotYours(NOT_YOURS, key="error.not_yours")

    @contextmanager
    def pinned(self, ticket: Ticket) -> Iterator[None]:
        """Hold ``ticket``'s value while a job runs on it: no expiry, no eviction by others' loads.

        A value replaced under the pin (:meth:`put` with ``replaces``) stays pinned in its new entry.
        """
        with self._lock:
            self._pins[ticket.key] = self._pins.get(ticket.key, 0) + 1
        key = ticket.key
        try:
            yield
        finally:
            with self._lock:
                while key in self._moved:  # replaced meanwhile: the pin moved with the value
                    key = self._moved.pop(key)
                left = self._pins.get(key, 0) - 1
                if left > 0:
                    self._pins[key] = left
                else:
                    self._pins.pop(key, None)
                    if key in self._items:  # its age counts from the end of the job
                        value, size, _, owner = self._items[key]
                        self._items[key] = (value, size, time.monotonic(), owner)
                    if key in self._doomed:
                        self._doomed.discard(key)
                        self._drop(key)

    def get(self, ticket: Any, *, request: Any) -> Any:
        """The value a ticket names, for its owner only.

        Raises:
            Expired: the value is gone, or the request is not its owner's.
        """
        if not isinstance(ticket, Ticket):
            raise Expired("nothing kept for this session yet", key="error.session_empty")
        with self._lock:
            self._expire(time.monotonic())
            item = self._items.get(ticket.key)
            if item is None or item[3] != ticket.owner or owner_of(request) != ticket.owner:
                raise Expired("what this session kept has expired; run it again", key="error.session_expired")
            value, size, _, owner = item
            self._items[ticket.key] = (value, size, time.monotonic(), owner)
            self._items.move_to_end(ticket.key)
            return value

    def discard(self, ticket: Any, *, request: Any = None) -> None:
        """Forget a ticket's value: its owner's call (``request``), or Gradio ending the session
        (no request). A running job's value goes when the job ends.

        Raises:
            NotYours: ``request`` is another client's.
        """
        if request is not None:
            self.check_owner(ticket, request=request)
        if isinstance(ticket, Ticket):
            with self._lock:
                if ticket.key in self._pins:
                    self._doomed.add(ticket.key)
                    return
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
        for key, (_, _, used, _) in list(self._items.items()):
            if now - used <= self.ttl_s:
                break
            if key not in self._pins:  # a running job's value lives as long as the job
                self._drop(key)


__all__ = ["Discard", "Expired", "NotYours", "SessionStore", "Ticket", "nbytes", "owner_of"]
