"""Serving models to many users: one bounded cache of every model copy, engines, budgets.

A served model can have up to three copies in memory: the model itself (made by a stateless
:class:`~resnet_core.zoo.ModelBuilder`), a
reduced-precision copy for the inspection engine (bf16 on a GPU), and the BatchNorm-folded copy
of the forward-only fast path. :class:`ModelService` keeps all of them in one least-recently-used
cache whose bound counts copies, not keys, so cycling through many depths and weights cannot
grow the server past ``max_models`` networks.

Torch only; the Gradio layer calls this and draws the results.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .batching import InspectBatcher, batching_enabled
from .device import pick_device
from .errors import UserError
from .fast import FastPredictor, bf16_supported, reduced_precision
from .model import ResNet
from .preprocess import Prepared
from .results import Inspection
from .shapes import Architecture, describe
from .specs import resolve_spec
from .zoo import ModelBuilder, ModelKey, ServedModel

log = logging.getLogger("resnet_playground")

#: the model built and warmed up when the server starts
DEFAULT_KEY = ModelKey(50, "v1.5", "DEFAULT")


class BudgetError(UserError):
    """A request asks for more than the server allows (before anything is built).

    Attributes:
        kind: "params" or "macs".
        name: the network's name.
        value: its parameters, or its multiply-accumulates per pass.
        limit: the server's limit in the same unit.
        size: the input side that was asked for.
        fits: the largest input side (a multiple of 32) within the limit, 0 if none.
    """

    def __init__(self, message: str, *, kind: str, name: str, value: float, limit: float, size: int, fits: int) -> None:
        # the page's words: one entry per kind, and for "macs" one that names an input size that fits
        key = "error.budget_params" if kind == "params" else "error.budget_macs_fits" if fits >= 32 else "error.budget_macs"
        fields = {"name": name, "value": value / 1e6 if kind == "params" else value / 1e9,
                  "limit": limit / 1e6 if kind == "params" else limit / 1e9, "size": size}
        if key == "error.budget_macs_fits":
            fields["fits"] = fits
        super().__init__(message, key=key, **fields)
        self.kind, self.name, self.value, self.limit, self.size, self.fits = kind, name, value, limit, size, fits


@functools.lru_cache(maxsize=64)
def skeleton(depth: int | tuple, variant: str) -> ResNet:
    """The architecture without usable weights (built on the meta device: instant, no memory)."""
    with torch.device("meta"):
        return ResNet(resolve_spec(depth), variant=variant)


@functools.lru_cache(maxsize=128)
def architecture_of(depth: int | tuple, variant: str, size: tuple[int, int]) -> Architecture:
    """:func:`describe` of a depth and variant at an input size, computed once."""
    return describe(skeleton(depth, variant), size)


@dataclass
class _Entry:
    """What the cache keeps for one served model: the model and what was derived from it."""

    served: ServedModel
    engine: InspectBatcher | None = None
    engine_copies: int = 0
    predictor: FastPredictor | None = None
    predictor_copies: int = 0

    @property
    def copies(self) -> int:
        return 1 + self.engine_copies + self.predictor_copies


@dataclass(frozen=True)
class ServiceConfig:
    """How the service runs.

    Attributes:
        device: "auto", "cpu" or "cuda".
        offline: never download weights, use only the hub cache.
        max_models: model copies kept in memory, counting reduced-precision and fast-path copies.
        max_gmacs: most multiply-accumulates (billions) of one forward pass a request may ask for.
        max_params: most parameters of a network the server builds.
        batch: micro-batch concurrent inspections (None: on CUDA only).
        precision: "fp32", "bf16" or "auto" (bf16 on a CUDA GPU that has it).
        timeline_after: compute the Grad-CAM timeline in a second pass after the rest
            (None: on a CPU, where the timeline is most of the work).
        warm_up: build and warm the default model in the background at start.
    """

    device: str = "auto"
    offline: bool = False
    max_models: int = 6
    max_gmacs: float = 50.0
    max_params: int = 100_000_000
    batch: bool | None = None
    precision: str = "auto"
    timeline_after: bool | None = None
    warm_up: bool = True


@dataclass
class ModelService:
    """Models, their inspection engines and fast predictors, within one memory bound.

    Thread-safe. Per-user data never lives here: a user's checkpoint is passed in with each
    request and gets uncached engines of its own.
    """

    config: ServiceConfig = field(default_factory=ServiceConfig)

    def __post_init__(self) -> None:
        cfg = self.config
        if cfg.max_models < 1:
            raise ValueError("max_models must be at least 1")
        self.device = pick_device(cfg.device)
        self.builder = ModelBuilder(device=self.device, offline=cfg.offline)
        self.builds = 0  # models built so far, for tests and monitoring
        self._building: dict[ModelKey, threading.Lock] = {}
        self.batching = batching_enabled(self.device, cfg.batch)
        self.timeline_after = self.device.type != "cuda" if cfg.timeline_after is None else bool(cfg.timeline_after)
        precision = cfg.precision
        if precision == "auto":
            precision = "bf16" if self.device.type == "cuda" and bf16_supported(self.device) else "fp32"
        self.precision = precision
        self._entries: OrderedDict[ModelKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._warm = threading.Thread(target=self._warm_up, daemon=True)
        if cfg.warm_up:
            self._warm.start()

    # ------------------------------------------------------------------ budget and models
    def check_cost(self, depth: int | tuple, variant: str, size: int) -> Architecture:
        """Refuse a network or an input size past the budget, before anything is built.

        Counted on the meta device: parameters bound what a cached model holds;
        multiply-accumulates bound the time and activation memory of one pass.

        Raises:
            BudgetError: past ``max_params`` or ``max_gmacs``.
        """
        arch = architecture_of(depth, variant, (size, size))
        cfg = self.config
        if arch.params > cfg.max_params:
            raise BudgetError(
                f"{arch.name} has {arch.params / 1e6:.1f}M parameters; this server runs networks of up to "
                f"{cfg.max_params / 1e6:.1f}M (ResNet-152 has 60.2M). The Architecture tab still shows it.",
                kind="params", name=arch.name, value=arch.params, limit=cfg.max_params, size=size, fits=0,
            )
        limit = cfg.max_gmacs * 1e9
        if arch.macs > limit:
            fits = int(size * math.sqrt(limit / arch.macs)) // 32 * 32
            smaller = f"an input size up to about {fits} or " if fits >= 32 else ""
            raise BudgetError(
                f"{arch.name} at {size}×{size} takes {arch.macs / 1e9:.0f} GMACs per pass; this server allows "
                f"{cfg.max_gmacs:g}. Choose {smaller}a smaller network.",
                kind="macs", name=arch.name, value=arch.macs, limit=limit, size=size, fits=max(fits, 0),
            )
        return arch

    def get(self, key: ModelKey, *, size: int = 224) -> ServedModel:
        """The served model for ``key`` (within the budget), built on first use.

        Many threads may ask for the same model at once: it is built exactly once (the others
        wait for it) while other keys are served, and built again only after it was dropped.

        Raises:
            BudgetError: past the budget at this input size.
            ValueError: the key asks for "checkpoint" weights (see :meth:`add_checkpoint`).
        """
        self.check_cost(key.depth, key.variant, size)
        with self._lock:
            hit = self._hit(key)
            if hit is not None:
                return hit
            build_lock = self._building.setdefault(key, threading.Lock())
        with build_lock:  # outside the cache lock: other keys are served (and built) meanwhile
            with self._lock:
                hit = self._hit(key)  # another thread built it while we waited
                if hit is not None:
                    return hit
            try:
                served = self.builder.build(key)
            finally:
                with self._lock:
                    self._building.pop(key, None)  # late waiters on this lock find the model cached
            with self._lock:
                self._entries[key] = _Entry(served)
                self.builds += 1
                self._enforce_bound()
        return served

    def _hit(self, key: ModelKey) -> ServedModel | None:
        entry = self._entries.get(key)  # the caller holds the lock
        if entry is None:
            return None
        self._entries.move_to_end(key)
        return entry.served

    def add_checkpoint(self, key: ModelKey, source: Any, *, filename: str | None = None) -> ServedModel:
        """A person's checkpoint for ``key``'s architecture, within ``max_params`` (never cached:
        the session keeps it). See :meth:`ModelBuilder.add_checkpoint`."""
        return self.builder.add_checkpoint(key, source, filename=filename, max_params=self.config.max_params)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._entries

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def keys(self) -> list[ModelKey]:
        """Cached keys, least recently used first."""
        with self._lock:
            return list(self._entries)

    def discard(self, key: ModelKey) -> None:
        """Drop ``key`` and what was derived from it (requests still holding them finish normally)."""
        with self._lock:
            self._entries.pop(key, None)

    def _enforce_bound(self) -> None:
        """Drop least recently used copies until the bound holds (caller holds the lock).

        Oldest first, the derived copies and the model itself go (the most recent model always
        stays, without its derived copies if it alone is past the bound).
        """
        while sum(e.copies for e in self._entries.values()) > self.config.max_models and len(self._entries) > 1:
            self._entries.popitem(last=False)
        if self._entries:
            newest = next(reversed(self._entries.values()))
            while newest.copies > self.config.max_models and (newest.predictor or newest.engine_copies):
                if newest.predictor is not None:
                    newest.predictor, newest.predictor_copies = None, 0
                else:
                    newest.engine, newest.engine_copies = None, 0

    @property
    def device_label(self) -> str:
        """The device in words for the page ("CPU", "CUDA (NVIDIA H100 80GB HBM3)")."""
        if self.device.type == "cuda":
            return f"CUDA ({torch.cuda.get_device_name(self.device)})"
        return self.device.type.upper()

    def live_copies(self) -> int:
        """Model copies the cache holds now (for tests and monitoring)."""
        with self._lock:
            return sum(e.copies for e in self._entries.values())

    # ------------------------------------------------------------------ engines
    def engine(self, served: ServedModel) -> InspectBatcher:
        """The inspection engine of a served model, made and warmed up once per model.

        Batched where the config says so, on a bf16 copy where the precision is bf16. Should a
        reduced-precision engine fail to build for a reason other than memory, the float32 one
        is served instead and the log says why. A user's checkpoint gets an uncached engine.
        """
        if served.key.weights == "checkpoint":
            return InspectBatcher(served.model, enabled=False)
        cached = self._cached(served, "engine")
        if cached is not None:
            return cached
        plain = None if self.precision == "fp32" else functools.partial(self._warm_engine, served, "fp32")
        engine, precision = self._build(
            functools.partial(self._warm_engine, served, self.precision), plain, f"the {self.precision} engine", served
        )
        copies = 1 if precision == "bf16" else 0
        return self._store(served, "engine", engine, copies)

    def predictor(self, served: ServedModel) -> FastPredictor:
        """The forward-only fast path (BatchNorm folded; on CUDA also bf16, channels_last and a
        CUDA graph per input shape), made and warmed up once per model."""
        if served.key.weights == "checkpoint":
            return FastPredictor(served.model, cuda_graphs=False)
        cached = self._cached(served, "predictor")
        if cached is not None:
            return cached

        def build() -> tuple[FastPredictor, str]:
            predictor = FastPredictor(served.model)
            predictor.warm_up()  # on CUDA: captures the 224x224 graph
            return predictor, "fast"

        plain = None
        if served.device.type == "cuda":
            plain = lambda: (FastPredictor(served.model, dtype=torch.float32, cuda_graphs=False), "fp32")  # noqa: E731
        predictor, _ = self._build(build, plain, "the CUDA fast path", served)
        return self._store(served, "predictor", predictor, 1)

    def _cached(self, served: ServedModel, what: str) -> Any:
        with self._lock:
            entry = self._entries.get(served.key)
            if entry is None or entry.served.model is not served.model:
                return None
            self._entries.move_to_end(served.key)
            return getattr(entry, what)

    def _store(self, served: ServedModel, what: str, made: Any, copies: int) -> Any:
        with self._lock:
            entry = self._entries.get(served.key)
            if entry is None or entry.served.model is not served.model:  # dropped meanwhile: serve it, keep nothing
                return made
            setattr(entry, what, made)
            setattr(entry, f"{what}_copies", copies)
            self._entries.move_to_end(served.key)
            self._enforce_bound()
        return made

    @staticmethod
    def _build(build: Callable[[], tuple], plain: Callable[[], tuple] | None, what: str, served: ServedModel) -> tuple:
        try:
            return build()
        except torch.cuda.OutOfMemoryError:
            raise
        except Exception:
            if plain is None:
                raise
            log.exception("%s for %s failed; serving it in float32", what, served.key)
            return plain()

    def _warm_engine(self, served: ServedModel, precision: str) -> tuple[InspectBatcher, str]:
        model = reduced_precision(served.model).model if precision == "bf16" else served.model
        engine = InspectBatcher(model, enabled=self.batching)
        # the first request should not pay for allocations, kernel choices and cuDNN plans; on a
        # CPU the warm-up skips the costlier timeline backward
        warm = np.full((224, 224, 3), 128, np.uint8)
        engine.inspect(warm, preprocess=served.weights.preprocess, timeline=self.device.type == "cuda")
        return engine, precision

    def _warm_up(self) -> None:
        try:
            self.engine(self.get(DEFAULT_KEY))
        except Exception:  # noqa: BLE001 - the page reports it when asked
            log.exception("warm-up failed")

    def wait_warm(self, timeout: float = 120.0) -> None:
        """Wait (at most ``timeout`` seconds) for the start-up warm-up to finish."""
        if self._warm.is_alive():
            self._warm.join(timeout=timeout)

    # ------------------------------------------------------------------ inspection
    def inspect(
        self,
        served: ServedModel,
        prepared: Prepared,
        *,
        layer: str = "layer4",
        target: int | None = None,
        top_k: int = 5,
        guided: bool = False,
    ) -> Iterator[tuple[Inspection, bool]]:
        """Predictions, activations, Grad-CAM and the Grad-CAM timeline for one picture.

        Yields ``(result, pending)`` pairs: on a GPU one complete result; with
        ``timeline_after`` first the result without its timeline (``pending`` True), then the
        whole result, its timeline computed by a second pass for the first pass's classes (the
        asked-for class, or else the top five). The last result is always complete.
        """
        engine = self.engine(served)
        categories = served.weights.categories
        progressive = self.timeline_after
        result = engine.inspect(
            prepared, layer=layer, target=target, top_k=top_k, categories=categories, guided=guided,
            timeline=not progressive,
        )
        if not progressive:
            yield result, False
            return
        yield result, True
        classes = target if target is not None else tuple(p.index for p in result.predictions[: min(5, top_k)])
        second = engine.inspect(
            prepared, layer="stem", target=classes, top_k=1, categories=categories, max_channels=1, timeline=True
        )
        timings = {**result.timings, "timeline": second.timings["total"]}
        timings["total"] = result.timings["total"] + second.timings["total"]
        yield dataclasses.replace(result, timeline=second.timeline, timings=timings), False


__all__ = ["DEFAULT_KEY", "BudgetError", "ModelService", "ServiceConfig", "architecture_of", "skeleton"]
