"""Micro-batching: concurrent inspections of one model share one forward and one backward.

At batch size 1 a GPU waits on kernel launches, so sixteen users asking at once cost about
what one costs, if their requests run as one batch. :class:`InspectBatcher` does that without
a thread of its own and without a fixed wait for a lone user:

* a request that finds the model idle runs at once, alone (no added latency);
* requests that arrive while a batch is running queue up, and the next batch takes all of
  them (up to ``max_batch``, same input size), after an optional short ``window_s`` in which
  stragglers may still join;
* the batch runs in the thread of one of its callers (the "leader"); the others wait on a
  condition and receive exactly their own result.

Results equal the single-user results (see :func:`resnet_core.inspection.run_requests`:
samples are independent in eval mode, and each backward row holds each sample's own target),
which ``tests/core/test_batching.py`` checks with 16 threads. A request is checked (and its picture
prepared) in its own thread before it is queued, so a bad request fails alone; should a whole
batch fail (say, out of memory), its requests are retried one by one.

Batching pays on a GPU; on a CPU the arithmetic dominates and it gains little, so the app
enables it on CUDA only (``--batch``/``--no-batch`` or ``RESNET_BATCH=1``/``0`` overrides).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .inspection import InspectRequest, make_request, run_requests
from .results import Inspection

#: the most requests one batch takes (16 concurrent users fit in one)
MAX_BATCH = 16
#: how long a batch that already has company waits for stragglers
WINDOW_S = 0.002


def batching_enabled(device: torch.device, requested: bool | None = None) -> bool:
    """Whether to batch: ``requested``, else on CUDA only."""
    return device.type == "cuda" if requested is None else bool(requested)


@dataclass(eq=False)
class _Job:
    request: InspectRequest
    result: Inspection | None = None
    error: BaseException | None = None
    done: bool = False
    queued: float = field(default_factory=time.perf_counter)


class InspectBatcher:
    """Inspections of one model, batched when they arrive together.

    Args:
        model: the model to run (in eval mode; shared, never modified).
        enabled: False runs every request directly in its caller's thread.
        max_batch: the most requests one batch takes.
        window_s: extra wait for stragglers, only when a batch already has more than one request.

    Thread-safe; any number of threads may call :meth:`inspect` at once.
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        enabled: bool = True,
        max_batch: int = MAX_BATCH,
        window_s: float = WINDOW_S,
    ) -> None:
        if not isinstance(max_batch, int) or max_batch < 1:
            raise ValueError(f"max_batch must be a positive integer, not {max_batch!r}")
        self.model = model
        self.enabled = bool(enabled)
        self.max_batch = max_batch
        self.window_s = max(0.0, float(window_s))
        lock = threading.Lock()
        self._cv = threading.Condition(lock)  # a job is done, or the leader stepped down
        self._arrival = threading.Condition(lock)  # a job was queued (wakes the leader's window)
        self._queue: deque[_Job] = deque()
        self._busy = False
        # counters for tests, benchmarks and monitoring
        self.batches = 0
        self.requests = 0
        self.largest = 0

    def inspect(self, image: Any, **kwargs: Any) -> Inspection:
        """:func:`resnet_core.inspection.inspect` on this batcher's model, batched with others.

        Takes the same keyword arguments (``layer``, ``target``, ``top_k``, ``categories``,
        ``preprocess``, ``mode``, ``size``, ``max_channels``, ``guided``, ``timeline``,
        ``timeline_layers``) and raises the same errors.
        """
        request = make_request(self.model, image, **kwargs)
        if not self.enabled:
            return self._run([request])[0]
        job = _Job(request)
        with self._cv:
            self._queue.append(job)
            self._arrival.notify()
            while not job.done and self._busy:
                self._cv.wait()
            if job.done:
                return self._deliver(job)
            self._busy = True  # this thread leads until its own request is served
        try:
            while not job.done:
                self._serve_one_batch()
        finally:
            with self._cv:
                self._busy = False
                self._cv.notify_all()  # a waiter whose request is still queued leads next
        return self._deliver(job)

    @staticmethod
    def _deliver(job: _Job) -> Inspection:
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def _take(self) -> list[_Job]:
        """The next batch: the oldest request and every queued one that fits with it."""
        with self._cv:
            if 1 < len(self._queue) < self.max_batch and self.window_s > 0:
                # company already: wait a moment for the stragglers of this burst
                self._arrival.wait_for(lambda: len(self._queue) >= self.max_batch, timeout=self.window_s)
            if not self._queue:
                return []
            first = self._queue.popleft()
            if first.request.guided:
                return [first]
            batch, rest = [first], deque()
            while self._queue:
                job = self._queue.popleft()
                fits = not job.request.guided and job.request.input_shape == first.request.input_shape
                if fits and len(batch) < self.max_batch:
                    batch.append(job)
                else:
                    rest.append(job)
            self._queue = rest
            return batch

    def _serve_one_batch(self) -> None:
        batch = self._take()
        results: list[Inspection | BaseException] = []
        try:
            results = list(self._run([j.request for j in batch]))
        except Exception as exc:  # noqa: BLE001 - every caller gets its own outcome below
            if len(batch) == 1:
                results = [exc]
            else:  # one bad apple (or too big a batch): retry each alone
                for j in batch:
                    try:
                        results.append(self._run([j.request])[0])
                    except Exception as one:  # noqa: BLE001
                        results.append(one)
        except BaseException as exc:  # interrupted: nobody may wait for these forever
            results = [exc] * len(batch)
            raise
        finally:
            self._finish(batch, results)

    def _finish(self, batch: list[_Job], results: list[Inspection | BaseException]) -> None:
        if len(results) != len(batch):
            results = [RuntimeError("the batch was interrupted")] * len(batch)
        with self._cv:
            for j, r in zip(batch, results):
                if isinstance(r, BaseException):
                    j.error = r
                else:
                    j.result = r
                j.done = True
            self._cv.notify_all()

    def _run(self, requests: list[InspectRequest]) -> list[Inspection]:
        results = run_requests(self.model, requests)
        with self._cv:
            self.batches += 1
            self.requests += len(requests)
            self.largest = max(self.largest, len(requests))
        return results


__all__ = ["MAX_BATCH", "WINDOW_S", "InspectBatcher", "batching_enabled"]
