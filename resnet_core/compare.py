"""Compare depths: one picture through ResNet-18/34/50/101/152, with what each depth costs.

A registered study (:mod:`resnet_core.studies`), so the page runs it through its backend, in
process or on Ray Serve replicas. Each depth is built (or taken from the cache) first, then
inspected once (top-5 and Grad-CAM at ``layer4``, which also warms the model up), and only then
is its bare forward pass timed: a first build or a first pass (allocations, kernel choices)
would otherwise be read as the cost of depth. The build time is reported on its own.

He et al., "Deep Residual Learning for Image Recognition" (https://arxiv.org/abs/1512.03385),
Table 1 gives the layouts and their FLOPs; Table 3 shows top-1 error falling from 34 to 152
layers on ImageNet's validation set, which one picture can neither show nor refute.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from .backends.base import CallError, _check_picture
from .inspection import inspect
from .preprocess import prepare
from .results import Prediction
from .serving import architecture_of
from .specs import STANDARD_DEPTHS
from .studies import StudyContext, study
from .zoo import ModelKey

#: bare forward passes timed per depth; the median is reported (the first pass after a build is not among them)
TIMED_PASSES = 3
#: the weights Compare depths runs (a person's checkpoint has one architecture, not five)
COMPARE_WEIGHTS = ("DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2", "random")


@dataclass(frozen=True, eq=False)
class CompareCall:
    """One "compare depths" request.

    Attributes:
        picture: (H, W, 3) uint8, the decoded upload.
        weights: "DEFAULT", "IMAGENET1K_V1", "IMAGENET1K_V2" or "random".
        depths: standard depths, in the order they are run.
        passes: bare forward passes timed per depth (1 to 10).
    """

    picture: np.ndarray
    weights: str = "DEFAULT"
    depths: tuple[int, ...] = STANDARD_DEPTHS
    passes: int = TIMED_PASSES

    def __post_init__(self) -> None:
        _check_picture(self.picture)
        if self.weights not in COMPARE_WEIGHTS:
            raise CallError(
                "Compare depths runs the standard depths with ImageNet or random weights "
                f"({', '.join(COMPARE_WEIGHTS)}), not {str(self.weights)[:100]!r}; pick those weights above."
            )
        if not self.depths or any(d not in STANDARD_DEPTHS for d in self.depths):
            raise CallError(f"the depths are some of {', '.join(map(str, STANDARD_DEPTHS))}")
        if isinstance(self.passes, bool) or not isinstance(self.passes, int) or not 1 <= self.passes <= 10:
            raise CallError("passes is a whole number from 1 to 10")


@dataclass(frozen=True)
class DepthRow:
    """One depth of the comparison.

    Attributes:
        depth: 18, 34, 50, 101 or 152.
        name: "ResNet-50".
        image: (H, W, 3) uint8, the picture the network saw; ``heatmap`` lines up with it.
        heatmap: (H, W) float32 in [0, 1], Grad-CAM at layer4 for the top class.
        predictions: top-5, most probable first.
        forward_ms: median time of one bare forward pass (batch 1, no gradients), measured
            after the model was built and had run once.
        build_s: seconds to build the model and load its weights; 0.0 when it was cached.
        params: parameters.
        macs: multiply-accumulates of one pass at the input size.
        source: the weights ("IMAGENET1K_V2", "random").
        pretrained: whether the weights were trained.
    """

    depth: int
    name: str
    image: np.ndarray
    heatmap: np.ndarray
    predictions: tuple[Prediction, ...]
    forward_ms: float
    build_s: float
    params: int
    macs: int
    source: str
    pretrained: bool


@dataclass(frozen=True)
class CompareSummary:
    """What the table shows, as numbers a verdict can word.

    Attributes:
        shallow, deep: the first and the last depth measured.
        time_ratio: the deep net's forward time over the shallow one's.
        macs_ratio: the same for multiply-accumulates (what the time would follow if the
            processor were equally busy throughout).
        params_ratio: the same for parameters.
        top_label: the class most depths put first.
        agree: how many depths put it first.
        pretrained: every depth had trained weights (else the classes mean nothing).
        built: depths that were built for this request (their build time is not in the forward time).
        build_s: those builds' total seconds.
    """

    shallow: int
    deep: int
    time_ratio: float
    macs_ratio: float
    params_ratio: float
    top_label: str
    agree: int
    pretrained: bool
    built: int
    build_s: float


@dataclass(frozen=True)
class DepthComparison:
    """The rows measured so far; ``done`` on the last record of a study.

    Attributes:
        rows: one per depth, in the order they were run.
        total: depths the call asked for.
    """

    rows: tuple[DepthRow, ...]
    total: int

    @property
    def done(self) -> bool:
        return len(self.rows) == self.total

    def summary(self) -> CompareSummary | None:
        """The comparison in a few numbers (None before two depths are measured)."""
        if len(self.rows) < 2:
            return None
        rows = sorted(self.rows, key=lambda r: r.depth)
        first, last = rows[0], rows[-1]
        tops = [r.predictions[0].label for r in rows]
        top = max(dict.fromkeys(tops), key=tops.count)  # the most frequent, the shallowest's on a tie
        built = [r for r in rows if r.build_s > 0]
        return CompareSummary(
            shallow=first.depth, deep=last.depth, time_ratio=last.forward_ms / max(first.forward_ms, 1e-9),
            macs_ratio=last.macs / first.macs, params_ratio=last.params / first.params, top_label=top,
            agree=tops.count(top), pretrained=all(r.pretrained for r in rows), built=len(built),
            build_s=sum(r.build_s for r in built),
        )


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_forward(model: torch.nn.Module, tensor: torch.Tensor, *, passes: int) -> float:
    """Median milliseconds of ``passes`` bare forward passes (no gradients) of an already warm model."""
    param = next(model.parameters())
    x = tensor.to(device=param.device, dtype=param.dtype)  # (1, 3, H, W)
    times = []
    with torch.inference_mode():
        for _ in range(passes):
            _sync(param.device)
            start = time.perf_counter()
            model(x)
            _sync(param.device)
            times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


@study("compare_depths", call_type=CompareCall)
def compare_depths(ctx: StudyContext, call: CompareCall) -> Iterator[DepthComparison]:
    """Top-5, Grad-CAM at layer4, forward time, build time and size for each depth of ``call``.

    Yields the rows so far after each depth; the last record holds them all.
    """
    rows: list[DepthRow] = []
    for depth in call.depths:
        ctx.check()
        key = ModelKey(depth, "v1.5", call.weights)
        cached = key in ctx.service
        start = time.perf_counter()
        served = ctx.resolve(key, None, 224)
        build_s = 0.0 if cached else time.perf_counter() - start
        prepared = prepare(call.picture, served.weights.preprocess)
        # the inspection is the model's first pass here too: it is never timed
        res = inspect(served.model, prepared, categories=served.weights.categories, top_k=5)
        ctx.check()
        forward_ms = time_forward(served.model, prepared.tensor, passes=call.passes)
        arch = architecture_of(depth, "v1.5", res.input_size)
        rows.append(DepthRow(
            depth=depth, name=served.model.name, image=res.image, heatmap=res.cam.heatmap,
            predictions=res.predictions, forward_ms=forward_ms, build_s=build_s, params=arch.params,
            macs=arch.macs, source=served.weights.source, pretrained=served.weights.pretrained,
        ))
        yield DepthComparison(tuple(rows), len(call.depths))


__all__ = [
    "COMPARE_WEIGHTS",
    "TIMED_PASSES",
    "CompareCall",
    "CompareSummary",
    "DepthComparison",
    "DepthRow",
    "compare_depths",
    "time_forward",
]
