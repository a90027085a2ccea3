"""The Attributions tab's three computations as registered studies: maps, sanity, faithfulness.

Each study takes a frozen :class:`AttributionCall` (the decoded picture, the model, the class,
the methods and their options) and yields frozen records: :class:`Progress` while it works,
its result last. A backend runs them by name (``backend.run("attribute", call, cancel=event)``),
so the page never holds a model. Every request is held to one budget, counted before any work:

* **passes**: the images all its methods send through the network together (with the class's
  own forward pass when it is "auto"), at most :data:`BUDGET_GMACS` of multiply-accumulates on
  this device, refused with one plain message before anything runs;
* **memory**: the images of one forward batch, at most :data:`BATCH_GMACS`; captum's batching
  (``MethodParams.batch``) is lowered to fit, which changes the speed, not the maps;
* **size**: the input side is checked after the weights' own preprocessing is applied, so a
  checkpoint's ``crop_size`` is data, never a way past :data:`~resnet_core.preprocess.MAX_INPUT_SIZE`
  or the service's cost limit.
"""

from __future__ import annotations

import dataclasses
import functools
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from ..backends.base import CallError, CheckpointRef, _check_picture
from ..errors import Term
from ..images import load_image
from ..memory import release_free_memory
from ..preprocess import MAX_INPUT_SIZE, Preprocess, prepare
from ..shapes import describe
from ..studies import Cancelled, StudyContext, study
from ..toy import example_images, load_toy
from ..weights import LoadedWeights
from ..zoo import ModelKey
from .faithfulness import CaptumScores, FaithCurve, captum_scores, deletion_insertion, random_map
from .inputs import AttributionError, AttributionInput, attribution_input
from .methods import Attribution, attribute, check_target
from .registry import (
    DEFAULT_BUDGET,
    METHODS,
    AttributionBudgetError,
    AttributionCancelled,
    MethodParams,
    applicability,
    forward_passes,
    layer_of,
    method_info,
)
from .sanity import (
    MAX_SANITY_METHODS,
    SanityJudgement,
    SanityResult,
    cascade_groups,
    judge_sanity,
    sanity_check,
)

TOY = "toy"
DEFAULT_METHODS: tuple[str, ...] = ("gradcam", "saliency", "integrated_gradients", "occlusion")
#: methods one request may ask for, per study
MAX_METHODS = {"attribute": 8, "sanity_check": MAX_SANITY_METHODS, "faithfulness": 6}
#: compute one request may spend, all its methods together, in billions of multiply-accumulates
#: (forward passes x cost of one): about 15 s of a ResNet-50 on a 2-core CPU
BUDGET_GMACS = {"cpu": 400.0, "cuda": 20_000.0}
#: one forward batch at most, in GMACs: the activations a backward keeps grow with it (a
#: ResNet-152 Integrated Gradients batch of 32 took 6.4 GB; 48 GMACs is 4 of its images)
BATCH_GMACS = {"cpu": 48.0, "cuda": 960.0}
#: pictures one sanity check may judge over (the request's picture, then the toy examples)
MAX_SANITY_PICTURES = 4
#: the fewest and the most passes a request is granted, whatever the model costs
MIN_PASSES, MAX_PASSES = 16, DEFAULT_BUDGET
#: deletion and insertion steps and captum's metric samples of the faithfulness study
CURVE_STEPS, METRIC_SAMPLES = 32, 8

T = TypeVar("T")


# ------------------------------------------------------------------------------------ records


@dataclass(frozen=True, eq=False)
class AttributionCall:
    """One request of the Attributions tab.

    Attributes:
        picture: (H, W, 3) uint8, the decoded upload.
        model: :data:`TOY` (the shipped toy ResNet) or the served model's key.
        methods: registry keys, in the order they are shown.
        target: the class attributed; None: the model's top-1.
        params: the methods' options.
        size: network input side; None: the weights' crop size (checked like any other size).
        checkpoint: the session's own weights (``model`` names the same architecture).
        pictures: how many pictures the sanity check judges over (1 to :data:`MAX_SANITY_PICTURES`):
            ``picture`` first, then the shipped toy examples in name order (:func:`sanity_pictures`);
            the other studies use ``picture`` only.
    """

    picture: np.ndarray
    model: ModelKey | str = TOY
    methods: tuple[str, ...] = DEFAULT_METHODS
    target: int | None = None
    params: MethodParams = MethodParams()
    size: int | None = None
    checkpoint: CheckpointRef | None = None
    pictures: int = 1

    def __post_init__(self) -> None:
        _check_picture(self.picture)
        if isinstance(self.pictures, bool) or not isinstance(self.pictures, int) or not (
            1 <= self.pictures <= MAX_SANITY_PICTURES
        ):
            raise CallError(f"the number of pictures is a whole number from 1 to {MAX_SANITY_PICTURES}, "
                            f"not {str(self.pictures)[:60]!r}")
        if self.model != TOY and not isinstance(self.model, ModelKey):
            raise CallError(f"the model is {TOY!r} or a resnet_core.zoo.ModelKey, not {str(self.model)[:60]!r}")
        if not isinstance(self.methods, tuple) or not self.methods:
            raise CallError("pick at least one method")
        for m in self.methods:
            method_info(m)
        if len(set(self.methods)) != len(self.methods):
            raise CallError("each method once")
        if self.target is not None and (isinstance(self.target, bool) or not isinstance(self.target, int) or self.target < 0):
            raise CallError(f"the target is a class index, not {str(self.target)[:60]!r}")
        if not isinstance(self.params, MethodParams):
            raise CallError("params must be a MethodParams")
        if self.size is not None and (
            isinstance(self.size, bool) or not isinstance(self.size, int) or not 1 <= self.size <= MAX_INPUT_SIZE
        ):
            raise CallError(f"the input size is a whole number from 1 to {MAX_INPUT_SIZE}, not {str(self.size)[:60]!r}")
        if self.checkpoint is not None and (
            self.model == TOY or not isinstance(self.checkpoint, CheckpointRef)
            or (self.checkpoint.key.depth, self.checkpoint.key.variant) != (self.model.depth, self.model.variant)
        ):
            raise CallError("your checkpoint was loaded for another architecture; load it again for this one",
                            key="error.checkpoint_other_arch")


@dataclass(frozen=True)
class Progress:
    """Work done so far: a fraction in [0, 1] and what runs now (a method's label, or a stage)."""

    fraction: float
    label: str


@dataclass(frozen=True)
class Subject:
    """What a request was about and what it was granted.

    Attributes:
        view: (H, W, 3) uint8, the picture the network saw (maps are drawn on it).
        target: the class attributed. class_label: its name.
        passes: images the request sends through the network, counted before it ran.
        budget: the most it was allowed. batch: images per forward batch it was given.
    """

    view: np.ndarray
    target: int
    class_label: str
    passes: int
    budget: int
    batch: int


@dataclass(frozen=True)
class AttributionMaps:
    """The "attribute" study's record: the maps done so far (``complete`` on the last one).

    Attributes:
        not_applicable: (label, why) of every registered method that does not fit this model;
            ``why`` is a :class:`~resnet_core.errors.Term` (English, and the key a page says it by).
    """

    subject: Subject
    attributions: tuple[Attribution, ...]
    not_applicable: tuple[tuple[str, Term], ...]
    complete: bool


@dataclass(frozen=True)
class SanityStudy:
    """The "sanity_check" study's result.

    Attributes:
        subject: the request's own picture (the first), with the passes of all pictures together.
        result: the cascade on the request's own picture.
        results: the cascade on every picture, ``result`` first.
        judgements: :func:`~resnet_core.attributions.sanity.judge_sanity` over ``results``.
    """

    subject: Subject
    result: SanityResult
    results: tuple[SanityResult, ...] = ()
    judgements: tuple[SanityJudgement, ...] = ()


@dataclass(frozen=True)
class FaithfulnessStudy:
    """The "faithfulness" study's result: each method's curves, then the random yardsticks."""

    subject: Subject
    curves: tuple[FaithCurve, ...]
    scores: tuple[CaptumScores, ...]


# ------------------------------------------------------------------------- the shared opening


@functools.lru_cache(maxsize=2)
def served_toy(device: str) -> tuple[nn.Module, LoadedWeights]:
    """The shipped toy ResNet on ``device``, loaded once, read-only (shared like a served model)."""
    toy = load_toy()
    return toy.model.to(device).eval().requires_grad_(False), toy.weights


@dataclass(frozen=True, eq=False)
class Opened:
    """A request's model and input, with its budget (what every study starts from)."""

    model: nn.Module
    inp: AttributionInput
    categories: tuple[str, ...]
    params: MethodParams
    budget: int
    macs: int  # of one forward pass at this input
    preprocess: Preprocess | None = None  # the weights' own, to prepare further pictures alike
    side: int = 0


def open_call(ctx: StudyContext, call: AttributionCall) -> Opened:
    """Resolve the model, prepare the picture and size the budget; nothing runs the model.

    Raises:
        AttributionError: an input side past the cap (a checkpoint's own crop size included).
        BudgetError: the model at that side costs more per pass than the service allows.
    """
    device = ctx.service.device
    if call.model == TOY:
        model, weights = served_toy(str(device))
    else:
        served = ctx.resolve(call.model, call.checkpoint, call.size or 224)
        model, weights = served.model, served.weights
    side = call.size or weights.preprocess.crop_size  # the weights' own size: data, checked as any other
    if not isinstance(side, int) or not 1 <= side <= MAX_INPUT_SIZE:
        raise AttributionError(
            f"these weights ask for {str(side)[:20]}-pixel inputs; this server takes 1 to {MAX_INPUT_SIZE} pixels",
            key="error.weights_side", side=str(side)[:20], most=MAX_INPUT_SIZE,
        )
    if call.model != TOY and side != (call.size or 224):
        ctx.service.check_cost(call.model.depth, call.model.variant, side)
    inp = attribution_input(prepare(call.picture, weights.preprocess, size=side), weights.preprocess)
    macs = max(1, describe(model, inp.size).macs)
    kind = device.type if device.type in BUDGET_GMACS else "cpu"
    budget = int(min(MAX_PASSES, max(MIN_PASSES, BUDGET_GMACS[kind] * 1e9 / macs)))
    batch = int(min(call.params.batch, max(1, BATCH_GMACS[kind] * 1e9 // macs)))
    params = dataclasses.replace(call.params, batch=batch)
    return Opened(model, inp, weights.categories, params, budget, macs, weights.preprocess, side)


def check_budget(opened: Opened, call: AttributionCall, passes: int, what: Term, *, pictures: int = 1) -> None:
    """Refuse, before any work, a request whose passes (all its methods and pictures together) are
    past its budget; ``passes`` already counts every picture, the top-1 passes are added here."""
    passes += pictures * (call.target is None)  # the forward pass that finds each picture's top-1 class
    if passes > opened.budget:
        raise AttributionBudgetError(
            f"{what} would send {passes:,} images through the network; the limit per request is "
            f"{opened.budget:,}: choose fewer or cheaper methods, lower their samples or steps, or raise the "
            "stride or cell size",
            key="error.attribution_budget", what=what, passes=f"{passes:,}", limit=f"{opened.budget:,}",
        )


def check_methods(opened: Opened, call: AttributionCall, study_name: str) -> None:
    """Refuse too many methods, a method that does not fit the model, or a layer it lacks."""
    limit = MAX_METHODS[study_name]
    if len(call.methods) > limit:
        raise AttributionError(f"choose 1 to {limit} methods at once", key="error.methods_at_once", limit=limit)
    for m in call.methods:
        why = applicability(opened.model, m)
        if why is not None:
            raise AttributionError(f"{method_info(m).label} does not apply to this model: {why}",
                                   key="error.method_not_applicable", method=method_info(m).label, why=why)
        if method_info(m).family == "cam":
            layer_of(opened.model, opened.params.layer)


def sanity_pictures(call: AttributionCall) -> tuple[np.ndarray, ...]:
    """The pictures a sanity check judges over: the request's, then ``call.pictures - 1`` of the
    shipped toy examples in name order (one equal to the request's own picture is skipped), so the
    same request always gets the same pictures."""
    out = [call.picture]
    for path in example_images():
        if len(out) >= call.pictures:
            break
        extra = np.asarray(load_image(path))
        if extra.shape != call.picture.shape or not np.array_equal(extra, call.picture):
            out.append(extra)
    return tuple(out)


def subject(opened: Opened, call: AttributionCall, passes: int, *, inp: AttributionInput | None = None,
            top1_passes: int | None = None) -> Subject:
    """Find the class of ``inp`` (default the request's picture; one forward pass when "auto")
    and describe the request; ``top1_passes`` (default one when "auto") is added to ``passes``."""
    inp = opened.inp if inp is None else inp
    if call.target is None:
        with torch.inference_mode():
            logits = opened.model(inp.tensor.to(next(opened.model.parameters()).device))  # (1, K)
        target = int(logits.argmax(1))
    else:
        target = check_target(opened.model, call.target)
    names = opened.categories
    label = names[target] if target < len(names) else f"class {target}"
    extra = (call.target is None) if top1_passes is None else top1_passes
    return Subject(inp.view, target, label, passes + extra, opened.budget, opened.params.batch)


@contextmanager
def released(ctx: StudyContext) -> Iterator[None]:
    """Give what a study allocated back to the system when it ends, however it ends; a stop
    inside a chunk (captum's :class:`AttributionCancelled`) is the study's :class:`Cancelled`."""
    try:
        yield
    except AttributionCancelled:
        raise Cancelled("stopped") from None
    finally:
        if ctx.service.device.type == "cuda":
            torch.cuda.empty_cache()
        release_free_memory(min_interval_s=0.0)


def streamed(ctx: StudyContext, work: Callable[[Callable[[float], None]], T], label: str) -> Generator[Progress, None, T]:
    """Run ``work(progress)`` in a thread and yield its progress as records; returns its result.

    Library calls such as :func:`sanity_check` report progress through a callback; a generator
    can only yield from its own frame, so the call runs beside it.
    """
    fractions: queue.Queue[float | None] = queue.Queue()
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["out"] = work(fractions.put)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["err"] = exc
        finally:
            fractions.put(None)

    worker = threading.Thread(target=run, daemon=True, name="attribution-study")
    worker.start()
    try:
        last = -1.0
        while (f := fractions.get()) is not None:
            if f - last >= 0.01:  # a record per percent is plenty for a progress bar
                last = f
                yield Progress(float(min(max(f, 0.0), 1.0)), label)
    finally:
        if worker.is_alive():  # the caller stopped reading: stop the work at its next chunk
            ctx.cancel.set()
        worker.join()
    if "err" in box:
        raise box["err"]
    return box["out"]


def _not_applicable(model: nn.Module) -> tuple[tuple[str, Term], ...]:
    rows = ((info.label, applicability(model, name)) for name, info in METHODS.items())
    return tuple((label, why) for label, why in rows if why)


# ------------------------------------------------------------------------------------ studies


@study("attribute", call_type=AttributionCall)
def attribute_study(ctx: StudyContext, call: AttributionCall) -> Iterator[Progress | AttributionMaps]:
    """Captum's methods side by side: a :class:`Progress` before each method, the maps after it."""
    with released(ctx):
        opened = open_call(ctx, call)
        check_methods(opened, call, "attribute")
        passes = [forward_passes(m, opened.params, opened.inp) for m in call.methods]
        check_budget(opened, call, sum(passes), Term("these methods", key="error.term_these_methods"))
        ctx.check()
        about = subject(opened, call, sum(passes))
        skipped = _not_applicable(opened.model)
        done: list[Attribution] = []
        for i, method in enumerate(call.methods):
            ctx.check()
            yield Progress(sum(passes[:i]) / max(1, sum(passes)), method_info(method).label)
            done.append(attribute(opened.model, opened.inp, method=method, target=about.target, params=opened.params,
                                  budget=passes[i], cancel=ctx.cancel))
            yield AttributionMaps(about, tuple(done), skipped, complete=i == len(call.methods) - 1)


@study("sanity_check", call_type=AttributionCall)
def sanity_study(ctx: StudyContext, call: AttributionCall) -> Iterator[Progress | SanityStudy]:
    """Cascading randomisation (Adebayo et al. 2018) of every chosen method on each of the call's
    pictures, with its progress, judged over them all (:func:`judge_sanity`)."""
    with released(ctx):
        opened = open_call(ctx, call)
        check_methods(opened, call, "sanity_check")
        steps = len(cascade_groups(opened.model)) + 1
        per_picture = steps * sum(forward_passes(m, opened.params, opened.inp) for m in call.methods)
        n = call.pictures
        # every picture is counted before the first one runs: the budget is the request's, not a picture's
        what = Term(f"the sanity check ({steps} steps, {n} pictures)", key="error.term_sanity_check",
                    steps=steps, pictures=n)
        check_budget(opened, call, n * per_picture, what, pictures=n)
        inputs = [opened.inp] + [
            attribution_input(prepare(p, opened.preprocess, size=opened.side), opened.preprocess)
            for p in sanity_pictures(call)[1:]
        ]
        if len(inputs) < n:
            raise AttributionError(f"only {len(inputs)} pictures are at hand for the sanity check",
                                   key="error.sanity_pictures", n=len(inputs))
        ctx.check()
        tops = n * (call.target is None)
        about = subject(opened, call, n * per_picture, top1_passes=tops)
        results: list[SanityResult] = []
        for i, inp in enumerate(inputs):
            ctx.check()
            target = about.target if i == 0 else subject(opened, call, 0, inp=inp).target

            def work(progress: Callable[[float], None], inp: AttributionInput = inp, target: int = target,
                     i: int = i) -> SanityResult:
                return sanity_check(opened.model, inp, methods=call.methods, target=target, params=opened.params,
                                    budget=per_picture, progress=lambda f: progress((i + f) / n), cancel=ctx.cancel)

            results.append((yield from streamed(ctx, work, "sanity")))
        yield SanityStudy(about, results[0], tuple(results), judge_sanity(results))


def faithfulness_passes(method_passes: int) -> int:
    """Images of one method's faithfulness: its map, deletion and insertion, captum's two metrics."""
    curves = 2 * (CURVE_STEPS + 1)
    return method_passes + curves + METRIC_SAMPLES + (METRIC_SAMPLES + 1) * method_passes


@study("faithfulness", call_type=AttributionCall)
def faithfulness_study(ctx: StudyContext, call: AttributionCall) -> Iterator[Progress | FaithfulnessStudy]:
    """Deletion and insertion (Petsiuk et al. 2018) and captum's infidelity and max-sensitivity of
    every chosen method, then two random maps (per pixel and per 4x4 cell) as the yardstick."""
    with released(ctx):
        opened = open_call(ctx, call)
        check_methods(opened, call, "faithfulness")
        per_method = [faithfulness_passes(forward_passes(m, opened.params, opened.inp)) for m in call.methods]
        randoms = 2 * 2 * (CURVE_STEPS + 1)
        total = sum(per_method) + randoms
        check_budget(opened, call, total, Term("the faithfulness study", key="error.term_faithfulness"))
        ctx.check()
        about = subject(opened, call, total)
        model, inp, params, target = opened.model, opened.inp, opened.params, about.target
        curves: list[FaithCurve] = []
        scores: list[CaptumScores] = []
        for i, method in enumerate(call.methods):
            ctx.check()
            yield Progress(sum(per_method[:i]) / total, method_info(method).label)
            attr = attribute(model, inp, method=method, target=target, params=params, budget=per_method[i],
                             cancel=ctx.cancel)
            ctx.check()
            curves.append(deletion_insertion(model, inp, attr.map, target=target, method=method, label=attr.label,
                                             steps=CURVE_STEPS, batch=params.batch, cancel=ctx.cancel))
            ctx.check()
            scores.append(captum_scores(model, inp, attr, params=params, n_perturb=METRIC_SAMPLES, cancel=ctx.cancel))
        yield Progress(sum(per_method) / total, "random")
        for cells, label in ((None, "random (pixels)"), (4, "random (4×4 cells)")):
            ctx.check()
            curves.append(deletion_insertion(model, inp, random_map(inp.size, seed=0, cells=cells), target=target,
                                             method="random", label=label, steps=CURVE_STEPS, batch=params.batch,
                                             cancel=ctx.cancel))
        yield FaithfulnessStudy(about, tuple(curves), tuple(scores))


__all__ = [
    "BATCH_GMACS",
    "BUDGET_GMACS",
    "DEFAULT_METHODS",
    "MAX_METHODS",
    "MAX_SANITY_PICTURES",
    "TOY",
    "AttributionCall",
    "AttributionMaps",
    "FaithfulnessStudy",
    "Opened",
    "Progress",
    "SanityStudy",
    "Subject",
    "attribute_study",
    "faithfulness_study",
    "open_call",
    "sanity_pictures",
    "sanity_study",
    "served_toy",
]
