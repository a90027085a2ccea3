"""The request-level interface between the Gradio front end and whatever runs the models.

A front end decodes the upload (:func:`resnet_core.images.load_image`), puts the picture and the
person's choices into a frozen :class:`InspectCall` or :class:`PredictCall`, and hands it to a
:class:`Backend`. Every backend runs the same functions below (:func:`run_inspect`,
:func:`run_predict`) on a :class:`~resnet_core.serving.ModelService`: in the front end's own
process (:class:`~resnet_core.backends.local.LocalBackend`) or on Ray Serve replicas
(:class:`~resnet_core.backends.ray_serve.RayBackend`). Calls and results are frozen dataclasses
of numpy arrays, so they pickle across processes unchanged.

Torch only, no gradio, no ray.
"""

from __future__ import annotations

import hashlib
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch

from ..errors import UserError
from ..images import MAX_SIDE
from ..preprocess import MAX_INPUT_SIZE, prepare
from ..results import Inspection, Prediction
from ..serving import ModelService
from ..shapes import Architecture
from ..studies import StudyContext, study
from ..zoo import ModelKey, ServedModel

#: most classes a top-k may ask for (ImageNet has 1000)
MAX_TOP_K = 1000
#: longest layer name accepted (the deepest block name of ResNet-200 is 9 characters)
MAX_LAYER_CHARS = 64


class CallError(UserError):
    """A call that cannot be served as it stands; the message is meant for the person."""


class BackendUnavailable(RuntimeError):
    """The backend could not answer (a replica died, the cluster is gone); trying again may work."""


@dataclass(frozen=True)
class ModelInfo:
    """What the page says about a served model, without the model.

    Attributes:
        name: "ResNet-50".
        source: "IMAGENET1K_V2", "random" or "checkpoint:<file name>".
        pretrained: whether the weights were trained (torchvision's or a user's checkpoint).
        random: whether predictions mean nothing (random weights, not a user's checkpoint).
        notice: plain words when the server fell back to something else, else None.
        categories: a name per output class.
    """

    name: str
    source: str
    pretrained: bool
    random: bool
    notice: str | None
    categories: tuple[str, ...] = field(repr=False)

    @classmethod
    def of(cls, served: ServedModel) -> ModelInfo:
        """The description of a served model."""
        weights = served.weights
        return cls(
            name=served.model.name, source=weights.source, pretrained=weights.pretrained,
            random=not weights.pretrained and served.key.weights != "checkpoint", notice=weights.notice,
            categories=weights.categories,
        )


@dataclass(frozen=True, eq=False)
class CheckpointRef:
    """A person's own weights, as a session keeps them (in ``gr.State``: small, expiring).

    Made by a backend's ``add_checkpoint``; pass it with every call that should use it.

    Attributes:
        key: the architecture, with ``weights="checkpoint"``.
        digest: SHA-256 of the file's bytes (replicas cache the built model under it).
        filename: the name the person gave the file.
        info: the model it makes.
        handle: where the weights live: the built model in this process (local backend), or a
            Ray object reference to the file's bytes (Ray backend), freed with the session.
    """

    key: ModelKey
    digest: str
    filename: str
    info: ModelInfo
    handle: Any = field(repr=False)


def _check_picture(picture: object) -> None:
    if not isinstance(picture, np.ndarray) or picture.dtype != np.uint8 or picture.ndim != 3 or picture.shape[2] != 3:
        raise CallError("the picture must be a decoded (H, W, 3) uint8 array (see resnet_core.images.load_image)")
    h, w, _ = picture.shape
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise CallError(f"the picture is {w}×{h}; each side must be from 1 to {MAX_SIDE} pixels",
                        key="error.picture_sides", width=w, height=h, limit=MAX_SIDE)


def _check_common(call: InspectCall | PredictCall) -> None:
    if not isinstance(call.key, ModelKey):
        raise CallError("key must be a resnet_core.zoo.ModelKey")
    _check_picture(call.picture)
    if call.mode not in ("crop", "whole"):
        raise CallError(f"preprocessing is 'crop' or 'whole', not {str(call.mode)[:100]!r}")
    if call.size is not None and (
        isinstance(call.size, bool) or not isinstance(call.size, int) or not 1 <= call.size <= MAX_INPUT_SIZE
    ):
        raise CallError(f"the input size is a whole number from 1 to {MAX_INPUT_SIZE}, not {str(call.size)[:100]!r}")
    if isinstance(call.top_k, bool) or not isinstance(call.top_k, int) or not 1 <= call.top_k <= MAX_TOP_K:
        raise CallError(f"top-k is a whole number from 1 to {MAX_TOP_K}, not {str(call.top_k)[:100]!r}")
    ckpt = call.checkpoint
    if ckpt is not None:
        if not isinstance(ckpt, CheckpointRef):
            raise CallError("checkpoint must be a CheckpointRef made by the backend's add_checkpoint")
        if (ckpt.key.depth, ckpt.key.variant) != (call.key.depth, call.key.variant):
            raise CallError("your checkpoint was loaded for another architecture; load it again for this one",
                                key="error.checkpoint_other_arch")


@dataclass(frozen=True, eq=False)
class PredictCall:
    """One "top-k only" request.

    Attributes:
        key: the model.
        picture: (H, W, 3) uint8, the decoded upload (each side at most ``MAX_SIDE``).
        mode: "crop" (torchvision's resize and centre crop) or "whole".
        size: network input side; None: the weights' crop size.
        top_k: classes returned, 1 to :data:`MAX_TOP_K` (capped at the model's classes).
        checkpoint: serve the person's own weights (``key`` names the same architecture).
    """

    key: ModelKey
    picture: np.ndarray
    mode: str = "crop"
    size: int | None = None
    top_k: int = 5
    checkpoint: CheckpointRef | None = None

    def __post_init__(self) -> None:
        _check_common(self)


@dataclass(frozen=True, eq=False)
class InspectCall:
    """One inspection request: predictions, activations, Grad-CAM and its timeline.

    Attributes:
        key, picture, mode, size, top_k, checkpoint: as in :class:`PredictCall`.
        layer: the Grad-CAM layer ("layer4", "layer3.1", "stem").
        target: the class (or classes) Grad-CAM explains; None: the top prediction.
        guided: also compute Guided Grad-CAM.
    """

    key: ModelKey
    picture: np.ndarray
    mode: str = "crop"
    size: int | None = None
    top_k: int = 5
    layer: str = "layer4"
    target: int | tuple[int, ...] | None = None
    guided: bool = False
    checkpoint: CheckpointRef | None = None

    def __post_init__(self) -> None:
        _check_common(self)
        if not isinstance(self.layer, str) or not 1 <= len(self.layer) <= MAX_LAYER_CHARS:
            raise CallError(f"the layer is a module name such as 'layer4', not {str(self.layer)[:100]!r}")
        targets = self.target if isinstance(self.target, tuple) else (self.target,)
        if self.target is not None and not (
            1 <= len(targets) <= 10 and all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in targets)
        ):
            raise CallError(f"the target is a class index or up to 10 of them, not {str(self.target)[:100]!r}")


@dataclass(frozen=True)
class Predicted:
    """The answer to a :class:`PredictCall`.

    Attributes:
        predictions: top-k, most probable first.
        info: the model that answered.
        input_size: (H, W) of the tensor fed to the network.
        seconds: time of the forward pass that served it (shared by its batch).
        batch_size: requests that shared that forward pass.
    """

    predictions: tuple[Prediction, ...]
    info: ModelInfo
    input_size: tuple[int, int]
    seconds: float
    batch_size: int = 1


@runtime_checkable
class Backend(Protocol):
    """What the front end asks of whatever runs the models."""

    def check_cost(self, depth: int | tuple, variant: str, size: int) -> Architecture:
        """Refuse a network or input size past the server's budget, before anything is built."""
        ...

    def info(self, key: ModelKey, *, size: int = 224) -> ModelInfo:
        """The served model's name, weights and categories (built on first use)."""
        ...

    def add_checkpoint(self, key: ModelKey, data: bytes, *, filename: str) -> CheckpointRef:
        """Check a person's checkpoint for ``key``'s architecture; the reference serves it."""
        ...

    def inspect(self, call: InspectCall, *, cancel: threading.Event | None = None) -> Iterator[tuple[Inspection, bool]]:
        """``(result, pending)`` pairs as :meth:`ModelService.inspect` yields them; the last is complete.

        The study ``"inspect"`` run through :meth:`run`, so it has the same retries and the same
        ``cancel`` (checked before the second pass, which computes the timeline).
        """
        ...

    def predict(self, call: PredictCall) -> Predicted:
        """Top-k from one forward pass (possibly shared with other requests)."""
        ...

    def run(
        self, name: str, call: Any, *, cancel: threading.Event | None = None, finish: threading.Event | None = None
    ) -> Iterator[Any]:
        """The records of the study ``name`` (:mod:`resnet_core.studies`) on ``call``; the last is final.

        Setting ``cancel`` stops the study at its next check (it raises ``studies.Cancelled``) and
        discards the run. Setting ``finish`` asks a study that can wrap up early for its result
        now, made from the work done so far (``StudyContext.finish``); other studies ignore it.
        Closing the iterator (the page went away) cancels.
        """
        ...


# ------------------------------------------------------------------------------ the work itself

_SEED_LOCK = threading.Lock()


def key_seed(key: ModelKey) -> int:
    """A seed that depends only on the key, so every process draws the same random weights."""
    return zlib.crc32(repr(key).encode())


def served_model(service: ModelService, key: ModelKey, *, size: int = 224) -> ServedModel:
    """``service.get(key, size=size)``, with random weights seeded by the key.

    Replicas are separate processes: unseeded, each would draw its own "random" network, and one
    person's two requests could be answered by two different models. Builds are serialized
    while the global generator is seeded (inference draws no random numbers meanwhile).
    """
    if key in service:
        return service.get(key, size=size)
    service.check_cost(key.depth, key.variant, size)  # refuse before taking the lock
    with _SEED_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(key_seed(key))
        return service.get(key, size=size)


#: how a backend finds the served model of a call (its own way of holding checkpoints)
Resolver = Callable[[InspectCall | PredictCall], ServedModel]


def checkpoint_digest(data: bytes) -> str:
    """The name a checkpoint's bytes are cached under."""
    return hashlib.sha256(data).hexdigest()


def _within_budget(service: ModelService, call: InspectCall | PredictCall, served: ServedModel) -> None:
    """Check the cost at the side the input will really have.

    Without a size the weights' own ``crop_size`` decides it, and a checkpoint's metadata sets
    that: data, never a way past the budget (the resolver checked only the default side).
    """
    if call.size is None:
        service.check_cost(call.key.depth, call.key.variant, served.weights.preprocess.crop_size)


def run_inspect(service: ModelService, call: InspectCall, resolve: Resolver) -> Iterator[tuple[Inspection, bool]]:
    """Serve an :class:`InspectCall` on ``service`` (what every backend runs)."""
    served = resolve(call)
    _within_budget(service, call, served)
    prepared = prepare(call.picture, served.weights.preprocess, mode=call.mode, size=call.size)
    top_k = min(call.top_k, served.model.num_classes)
    yield from service.inspect(served, prepared, layer=call.layer, target=call.target, top_k=top_k, guided=call.guided)


@study("inspect", call_type=InspectCall)
def inspect_study(ctx: StudyContext, call: InspectCall) -> Iterator[tuple[Inspection, bool]]:
    """An inspection as a study, so a backend runs it through ``run`` like every other
    computation: :func:`run_inspect`'s pairs, stopping before the second pass when cancelled."""
    pairs = run_inspect(ctx.service, call, lambda c: ctx.resolve(c.key, c.checkpoint, c.size or 224))
    for result, pending in pairs:
        yield result, pending
        if not pending:
            return
        ctx.check()


@dataclass(frozen=True, eq=False)
class ReadyPredict:
    """A :class:`PredictCall` with its model found and its picture prepared: ready to batch."""

    call: PredictCall
    served: ServedModel
    tensor: torch.Tensor  # (1, 3, H, W)


def ready_predict(service: ModelService, call: PredictCall, resolve: Resolver) -> ReadyPredict:
    """Find the call's model and prepare its picture (the per-request part, run concurrently)."""
    served = resolve(call)
    _within_budget(service, call, served)
    return ReadyPredict(call, served, prepare(call.picture, served.weights.preprocess, mode=call.mode, size=call.size).tensor)


def predict_ready(service: ModelService, items: Sequence[ReadyPredict]) -> list[Predicted | Exception]:
    """One forward pass per model and input shape for prepared calls; a failing group gets its exception."""
    out: list[Predicted | Exception | None] = [None] * len(items)
    groups: dict[tuple, list[int]] = {}
    for i, item in enumerate(items):
        ckpt = item.call.checkpoint.digest if item.call.checkpoint is not None else None
        groups.setdefault((item.call.key, ckpt, tuple(item.tensor.shape)), []).append(i)
    for members in groups.values():
        first = items[members[0]].served
        try:
            predictor = service.predictor(first)
            k = min(max(items[i].call.top_k for i in members), first.model.num_classes)
            start = time.perf_counter()
            batch = torch.cat([items[i].tensor for i in members])  # (B, 3, H, W)
            tops = predictor.predict(batch, top_k=k, categories=first.weights.categories)
            seconds = time.perf_counter() - start
        except Exception as exc:  # noqa: BLE001 - each caller re-raises it for its own request
            for i in members:
                out[i] = exc
            continue
        info = ModelInfo.of(first)
        _, _, h, w = batch.shape
        for i, top in zip(members, tops):
            out[i] = Predicted(top[: items[i].call.top_k], info, (h, w), seconds, len(members))
    return out  # type: ignore[return-value]


def run_predict(service: ModelService, calls: Sequence[PredictCall], resolve: Resolver) -> list[Predicted | Exception]:
    """Serve several :class:`PredictCall` s, one forward pass per model and input shape.

    A failing call (bad input, over budget) gets its exception in its place; the others are served.
    """
    out: list[Predicted | Exception | None] = [None] * len(calls)
    ready: list[tuple[int, ReadyPredict]] = []
    for i, call in enumerate(calls):
        try:
            ready.append((i, ready_predict(service, call, resolve)))
        except Exception as exc:  # noqa: BLE001 - the caller re-raises it for its own request
            out[i] = exc
    for (i, _), result in zip(ready, predict_ready(service, [item for _, item in ready])):
        out[i] = result
    return out  # type: ignore[return-value]


__all__ = [
    "MAX_LAYER_CHARS",
    "MAX_TOP_K",
    "Backend",
    "BackendUnavailable",
    "CallError",
    "CheckpointRef",
    "InspectCall",
    "ModelInfo",
    "PredictCall",
    "Predicted",
    "ReadyPredict",
    "Resolver",
    "checkpoint_digest",
    "inspect_study",
    "key_seed",
    "predict_ready",
    "ready_predict",
    "run_inspect",
    "run_predict",
    "served_model",
]
