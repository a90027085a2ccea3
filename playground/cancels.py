"""Stop buttons that stop only their own caller's run.

A Stop button must end the run of the person who pressed it and nobody else's. A session hash
alone is not enough to know who that is: a client chooses its own hash, so anyone who learns a
victim's hash could stop the victim's run with it. Each run's flag is therefore kept under the
session hash *and* its owner (:func:`~playground.sessions.owner_of`: a hash of the client's
address and browser), as the session store keeps values.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from .sessions import owner_of

#: runs remembered at once (the newest; a session that left has no run worth stopping)
MAX_RUNS = 1000


def caller_of(request: Any) -> tuple[str, str]:
    """(session hash, owner) of a request: whose run a Stop may end."""
    return (getattr(request, "session_hash", None) or "anonymous", owner_of(request))


class Cancels:
    """A bounded, thread-safe table of each caller's running job's stop flag.

    The tab decides what the flag means to its run: a cancel (the attributions: nothing is kept)
    or a finish (training: the run wraps up with what it has; ``Backend.run(finish=)``).
    """

    def __init__(self, *, max_runs: int = MAX_RUNS) -> None:
        self.max_runs = max_runs
        self._events: OrderedDict[tuple[str, str], threading.Event] = OrderedDict()
        self._lock = threading.Lock()

    def start(self, request: Any) -> threading.Event:
        """A fresh flag for the caller's new run (its previous run's flag is forgotten)."""
        event = threading.Event()
        with self._lock:
            key = caller_of(request)
            self._events[key] = event
            self._events.move_to_end(key)
            while len(self._events) > self.max_runs:
                self._events.popitem(last=False)
        return event

    def stop(self, request: Any) -> bool:
        """Set the caller's own flag; True when the caller had a run to stop."""
        with self._lock:
            event = self._events.get(caller_of(request))
        if event is None:
            return False
        event.set()
        return True

    def finish(self, request: Any, event: threading.Event) -> None:
        """Forget the caller's flag once its run is over (unless a newer run replaced it)."""
        with self._lock:
            key = caller_of(request)
            if self._events.get(key) is event:
                del self._events[key]


__all__ = ["MAX_RUNS", "Cancels", "caller_of"]
