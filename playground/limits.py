"""Fair shares of a public server: jobs per client and per session, upload rate and disk quota.

Gradio's queue is first come, first served: one client that posts many jobs it never reads
fills the queue for everyone, and its upload route needs no session at all. The web guard asks
:class:`Ledger` before a job or an upload is let in: jobs are counted in Gradio's own queue
(waiting or running, per client address and per session), uploads per address over a sliding
window, and the upload folder against a disk quota that sweeps its oldest files.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from resnet_core.errors import UserError


@dataclass(frozen=True)
class Limits:
    """What one client may hold at once.

    Attributes:
        jobs_per_client: model jobs waiting or running at once per client address.
        jobs_per_session: model jobs waiting or running at once per browser session.
        upload_bytes_per_window: bytes one client address may upload per window.
        upload_window_s: that window, in seconds.
        upload_quota_bytes: the most the upload folder may hold; past it old files are swept,
            and uploads are refused while it stays full.
        sweep_age_s: files younger than this are never swept by the quota (they may be in use).
    """

    jobs_per_client: int = 8
    jobs_per_session: int = 4
    upload_bytes_per_window: int = 200 * 2**20
    upload_window_s: float = 60.0
    upload_quota_bytes: int = 2 * 2**30
    sweep_age_s: float = 120.0


#: what a refused job is told when the queue is nearly full and this address already has a job
CROWDED = ("The server is busy: while its queue is this full, each address may have one job waiting or "
           "running. Try again when your job has finished.")


#: the rest of what a refused job is told when its address or session has too many jobs
_BUSY = "jobs waiting or running; wait for them to finish (or read their results) before sending more."


def reserved_places(queue_size: int) -> int:
    """The last places of a queue of ``queue_size`` that only addresses with no job may take: a
    quarter, at least one, and never the whole queue (an address may always queue one job)."""
    return min(max(1, queue_size // 4), max(queue_size - 1, 0))


def upload_folder() -> Path:
    """Where Gradio keeps uploads and outputs (``GRADIO_TEMP_DIR``, else the system's temp folder)."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")


@dataclass
class Ledger:
    """Per-client bookkeeping; thread-safe (the guard runs in the event loop, handlers in threads)."""

    limits: Limits = field(default_factory=Limits)
    #: ("fn", index) and ("api", name) of the events that count as model jobs (filled by build_demo)
    job_events: set[Any] = field(default_factory=set)
    #: the concurrency groups of those events
    job_groups: set[str] = field(default_factory=set)
    #: the Gradio app whose queue is read
    blocks: Any = None
    folder: Path | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._uploads: dict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._usage: tuple[float, int] = (0.0, 0)
        # jobs admitted but not yet in Gradio's queue (the guard hands them on after an await):
        # counted here, or simultaneous requests would all see the same count and all get in
        self._pending: dict[int, tuple[str, str | None]] = {}
        self._next = 0

    # ------------------------------------------------------------------ jobs
    def jobs_of(self, client: str, session: str | None) -> tuple[int, int]:
        """Model jobs of a client address and of a session now waiting or running in the queue.

        Read from Gradio's own queue, so a job that ended in any way (done, failed before our
        handler ran, cancelled) no longer counts.
        """
        queue = getattr(self.blocks, "_queue", None)
        if queue is None:
            return 0, 0
        waiting = [e for q in list(queue.event_queue_per_concurrency_id.values()) for e in list(q.queue)]
        running = [e for job in list(queue.active_jobs) if job for e in list(job)]
        by_client = by_session = 0
        for event in waiting + running:
            if event.concurrency_id not in self.job_groups:
                continue
            host = getattr(getattr(event.request, "client", None), "host", None)
            by_client += host == client
            by_session += bool(session) and event.session_hash == session
        return by_client, by_session

    def waiting(self) -> int:
        """Events of every kind waiting in Gradio's queue (what its ``max_size`` counts)."""
        queue = getattr(self.blocks, "_queue", None)
        return 0 if queue is None else len(queue)

    def admit_job(self, client: str, session: str | None) -> int | UserError:
        """Reserve one more model job of this client, or say why not.

        One check under one lock for every route a job can take: the client's and the session's
        caps count the jobs in the queue and those admitted a moment ago that have not reached it
        yet. A fair share keeps the last places of the queue for addresses with no job at all,
        so clients holding many jobs cannot fill it for everyone else.

        Returns:
            A reservation to give back with :meth:`release` once the job is in the queue (or
            refused there), or the reason to refuse it (keyed, so the guard says it in the
            request's language).
        """
        limits = self.limits
        with self._lock:
            by_client, by_session = self.jobs_of(client, session)
            pending = list(self._pending.values())
            by_client += sum(c == client for c, _ in pending)
            by_session += sum(bool(session) and s == session for _, s in pending)
            if by_client >= limits.jobs_per_client or by_session >= limits.jobs_per_session:
                n = max(by_client, by_session)
                if by_session >= limits.jobs_per_session:
                    return UserError(f"This browser session already has {n} {_BUSY}", key="error.jobs_per_session", n=n)
                return UserError(f"This address already has {n} {_BUSY}", key="error.jobs_per_address", n=n)
            size = getattr(getattr(self.blocks, "_queue", None), "max_size", None)
            if size and by_client and self.waiting() + len(pending) >= size - reserved_places(size):
                return UserError(CROWDED, key="error.server_crowded")
            self._next += 1
            self._pending[self._next] = (client, session)
            return self._next

    def release(self, reservation: int) -> None:
        """The reserved job has reached Gradio's queue (or was refused there): stop counting it here."""
        with self._lock:
            self._pending.pop(reservation, None)

    # ------------------------------------------------------------------ uploads
    def admit_upload(self, client: str, size: int) -> tuple[int, UserError] | None:
        """Record an upload of ``size`` bytes, or give the HTTP status and reason to refuse it."""
        limits, now = self.limits, time.monotonic()
        with self._lock:
            recent = self._uploads[client]
            while recent and now - recent[0][0] > limits.upload_window_s:
                recent.popleft()
            if sum(n for _, n in recent) + size > limits.upload_bytes_per_window:
                mb, seconds = limits.upload_bytes_per_window // 2**20, f"{limits.upload_window_s:g}"
                return 429, UserError(
                    f"Too many uploads from this address: at most {mb} MB per {seconds} s. Try again in a minute.",
                    key="error.upload_rate", mb=mb, seconds=seconds,
                )
            recent.append((now, size))
        if self.folder_usage() + size > limits.upload_quota_bytes:
            self.sweep(limits.upload_quota_bytes - size)
            if self.folder_usage(fresh=True) + size > limits.upload_quota_bytes:
                return 507, UserError("The server's upload space is full right now. Try again in a few minutes.",
                                      key="error.upload_space_full")
        with self._lock:  # counted at once: the next upload may come before the next measurement
            when, used = self._usage
            self._usage = (when, used + size)
        return None

    def folder_usage(self, *, fresh: bool = False) -> int:
        """Bytes in the upload folder (measured at most every two seconds unless ``fresh``)."""
        now = time.monotonic()
        with self._lock:
            when, used = self._usage
        if fresh or now - when > 2.0:
            used = sum(f.stat().st_size for f in self._files())
            with self._lock:
                self._usage = (now, used)
        return used

    def _files(self) -> list[Path]:
        root = self.folder or upload_folder()
        if not root.is_dir():
            return []
        out = []
        for path in root.rglob("*"):
            try:
                if path.is_file() and not path.is_symlink():
                    out.append(path)
            except OSError:
                continue
        return out

    def sweep(self, target: int) -> int:
        """Delete the oldest files (older than ``sweep_age_s``) until the folder holds ``target``
        bytes or fewer; returns the bytes freed."""
        now = time.time()
        files = []
        for path in self._files():
            try:
                st = path.stat()
            except OSError:
                continue
            files.append((st.st_mtime, st.st_size, path))
        used = sum(size for _, size, _ in files)
        freed = 0
        for mtime, size, path in sorted(files):
            if used - freed <= target:
                break
            if now - mtime < self.limits.sweep_age_s:
                break
            try:
                path.unlink()
                freed += size
            except OSError:
                continue
        return freed


__all__ = ["CROWDED", "Ledger", "Limits", "reserved_places", "upload_folder"]
