"""The lab's experiments as registered studies (:mod:`resnet_core.studies`).

The "Why residual?" tab builds one of the calls below and hands it to its backend, which runs
the study in process or on a Ray Serve replica; each study yields frozen records of numpy
arrays, the last one final, and stops at its next check when the caller cancels. The
experiments themselves live in their modules (:mod:`.flow`, :mod:`.shatter`,
:mod:`.landscape`, :mod:`.race`, :mod:`.ablation`); this module only adapts them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..backends.base import CallError, CheckpointRef, _check_picture
from ..inspection import inspect
from ..preprocess import prepare
from ..results import Prediction
from ..studies import StudyContext, study
from ..zoo import ModelKey
from ._common import FAMILIES, shown
from .ablation import ABLATION_MODES, _check_residual_block, ablate
from .flow import GradientFlow, gradient_flow
from .landscape import Landscape, loss_landscape_steps
from .race import RaceUpdate, race
from .shatter import Shattering, shattering_steps

# ------------------------------------------------------------------------------ gradient flow


@dataclass(frozen=True)
class FlowCall:
    """Gradient norm per block at initialization (:func:`~.flow.gradient_flow`), BN on and/or off.

    Attributes:
        family: "cifar" or "imagenet".
        depth: a depth of the family (checked by :func:`~.flow.gradient_flow`).
        norms: batch normalization on (True) and/or off (False), one run each, in this order.
        zero_init: zero-initialise each block's last BN.
    """

    family: str = "cifar"
    depth: int = 56
    norms: tuple[bool, ...] = (True, False)
    zero_init: bool = False

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise CallError(f"the family is one of {', '.join(FAMILIES)}, not {shown(self.family)}")
        if not 1 <= len(self.norms) <= 2 or any(not isinstance(n, bool) for n in self.norms):
            raise CallError("norms is (True,), (False,) or (True, False)")


@dataclass(frozen=True)
class FlowRun:
    """The runs done so far (one per entry of ``FlowCall.norms``); final when all are there."""

    flows: tuple[GradientFlow, ...]
    total: int


@study("gradient_flow", call_type=FlowCall)
def flow_study(ctx: StudyContext, call: FlowCall) -> Iterator[FlowRun]:
    """One :class:`FlowRun` after each normalization setting."""
    flows: list[GradientFlow] = []
    for norm in call.norms:
        ctx.check()
        flows.append(gradient_flow(family=call.family, depth=call.depth, norm=norm, zero_init_residual=call.zero_init))
        yield FlowRun(tuple(flows), len(call.norms))


# ------------------------------------------------------------------------------ shattering


@dataclass(frozen=True)
class ShatterCall:
    """Shattered gradients (:func:`~.shatter.shattering`) at the default depths."""

    norm: bool = True


@dataclass(frozen=True)
class ShatterStep:
    """The networks measured so far and the fraction of the work done (1.0 on the last)."""

    fraction: float
    result: Shattering


#: networks measured at each depth (plain, residual, pre-activation; see :func:`~.shatter.shattering`)
NETS_PER_DEPTH = 3


@study("shattering", call_type=ShatterCall)
def shatter_study(ctx: StudyContext, call: ShatterCall) -> Iterator[ShatterStep]:
    """One :class:`ShatterStep` after each depth (its plain, residual and preact networks)."""
    for fraction, partial in shattering_steps(norm=bool(call.norm)):
        ctx.check()
        measured = len(partial.curves) // NETS_PER_DEPTH
        if len(partial.curves) % NETS_PER_DEPTH == 0:  # a depth is done when its three networks are
            # the depths measured so far, so a verdict speaks of the deepest of those and no further
            yield ShatterStep(fraction, dataclasses.replace(partial, depths=partial.depths[:measured]))


# ------------------------------------------------------------------------------ landscape


@dataclass(frozen=True)
class LandscapeCall:
    """A 2-D slice of the loss surface (:func:`~.landscape.loss_landscape`), checked there."""

    depth: int = 20
    grid: int = 9


@dataclass(frozen=True)
class LandscapeStep:
    """Progress: the fraction done, the stage ("training ResNet-20", "slicing plain-20",
    "done") and, on the last record, the :class:`~.landscape.Landscape`."""

    fraction: float
    stage: str
    result: Landscape | None


@study("landscape", call_type=LandscapeCall)
def landscape_study(ctx: StudyContext, call: LandscapeCall) -> Iterator[LandscapeStep]:
    """Progress records, the last one carrying the result; runs on the service's device."""
    for fraction, stage, result in loss_landscape_steps(depth=call.depth, grid=call.grid, device=ctx.service.device):
        ctx.check()
        yield LandscapeStep(fraction, str(stage), result)


# ------------------------------------------------------------------------------ race


@dataclass(frozen=True)
class RaceCall:
    """A training race of plain-N against ResNet-N (:func:`~.race.race`), checked there.

    Attributes:
        depth: 6n+2 layers.
        max_seconds: the time budget.
    """

    depth: int = 20
    max_seconds: float = 120.0


@study("race", call_type=RaceCall)
def race_study(ctx: StudyContext, call: RaceCall) -> Iterator[RaceUpdate]:
    """The race's updates, on the service's device; the last has ``done=True``."""
    for update in race(depth=call.depth, max_seconds=call.max_seconds, device=ctx.service.device):
        ctx.check()
        yield update


# ------------------------------------------------------------------------------ ablation


@dataclass(frozen=True, eq=False)
class AblationCall:
    """Zero one block's residual branch or cut its shortcut on a served model, with Grad-CAM.

    Attributes:
        key: the model.
        picture: (H, W, 3) uint8, the decoded upload.
        block: a residual block ("layer3.1"; checked against the model).
        mode: "branch" or "shortcut" ("none" is the control).
        layer: the Grad-CAM layer.
        checkpoint: serve the person's own weights (``key`` names the same architecture).
    """

    key: ModelKey
    picture: np.ndarray
    block: str
    mode: str = "branch"
    layer: str = "layer4"
    checkpoint: CheckpointRef | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, ModelKey):
            raise CallError("key must be a resnet_core.zoo.ModelKey")
        _check_picture(self.picture)
        if self.mode not in ABLATION_MODES:
            raise CallError(f"the ablation is one of {', '.join(ABLATION_MODES)}, not {shown(self.mode)}")
        if not isinstance(self.block, str) or not self.block:
            raise CallError("choose a block to ablate, such as 'layer3.1'")
        if self.checkpoint is not None and not isinstance(self.checkpoint, CheckpointRef):
            raise CallError("checkpoint must be a CheckpointRef made by the backend's add_checkpoint")


@dataclass(frozen=True)
class AblationView:
    """Top-5 and Grad-CAM of one picture before and after an ablation.

    Attributes:
        block, mode, layer: what was ablated, how, and where Grad-CAM looked.
        image: (H, W, 3) uint8, the picture the network saw.
        before, after: top-5, most probable first.
        cam_before, cam_after: (H, W) float32 in [0, 1], both for the intact model's top class.
        target: that class.
        pretrained: whether the weights were trained (else the classes mean nothing).
    """

    block: str
    mode: str
    layer: str
    image: np.ndarray
    before: tuple[Prediction, ...]
    after: tuple[Prediction, ...]
    cam_before: np.ndarray
    cam_after: np.ndarray
    target: int
    pretrained: bool


@study("ablation", call_type=AblationCall)
def ablation_study_view(ctx: StudyContext, call: AblationCall) -> Iterator[AblationView]:
    """One record: the intact model, then the same picture with ``call.block`` ablated."""
    served = ctx.resolve(call.key, call.checkpoint, 224)
    # the weights' crop_size sets the input side, and a checkpoint's metadata sets that: checked
    # against the budget too (the resolver checked the default side)
    ctx.service.check_cost(call.key.depth, call.key.variant, served.weights.preprocess.crop_size)
    _check_residual_block(served.model, call.block)  # before any work
    prepared = prepare(call.picture, served.weights.preprocess)
    cats = served.weights.categories
    before = inspect(served.model, prepared, layer=call.layer, categories=cats)
    ctx.check()
    with ablate(served.model, call.block, call.mode):  # type: ignore[arg-type] - checked above
        after = inspect(served.model, prepared, layer=call.layer, target=before.cam.target, categories=cats)
    yield AblationView(
        block=call.block, mode=call.mode, layer=call.layer, image=before.image, before=before.predictions,
        after=after.predictions, cam_before=before.cam.heatmap, cam_after=after.cam.heatmap, target=before.cam.target,
        pretrained=served.weights.pretrained,
    )


__all__ = [
    "AblationCall",
    "AblationView",
    "FlowCall",
    "FlowRun",
    "LandscapeCall",
    "LandscapeStep",
    "RaceCall",
    "ShatterCall",
    "ShatterStep",
]
