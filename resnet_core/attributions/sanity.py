"""Sanity checks for saliency maps: cascading model-parameter randomisation.

Adebayo et al., "Sanity Checks for Saliency Maps" (https://arxiv.org/abs/1810.03292), section 3:
re-initialise the network's weights from the logits down, one block at a time, and compare
each method's map with its map on the trained network. A method whose map barely changes
cannot be explaining what the network learned. As in the paper, maps are compared by their
absolute values: Spearman rank correlation, and SSIM of the maps scaled to [0, 1].
The verdict (:func:`judge_sanity`) reads the cascade from the top, as the paper does: once the
classifier and the last stage are random, a map still alike to the trained one fails.

Everything runs on a deep copy; the given model is never changed.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..blocks import is_block
from .inputs import AttributionError, AttributionInput
from .methods import (
    DEFAULT_BUDGET,
    MAX_BUDGET,
    AttributionBudgetError,
    Metered,
    MethodParams,
    applicability,
    check_target,
    forward_passes,
    method_info,
    run_captum,
)
from .metrics import spearman, ssim

#: methods compared in one sanity check at most (each costs one map per step)
MAX_SANITY_METHODS = 8
#: A map "stays alike" (and fails) when the rank correlation of its |map| with the trained
#: network's, averaged over the pictures, is at least this once the classifier and the whole last
#: stage are random. Adebayo et al. read the cascade from the top: those layers hold what the
#: network learned about the class, so a map that explains the class must change once they are
#: re-drawn; everything changes once the stem is re-drawn, so the end of the cascade tells
#: nothing apart. At 0.7 the two rankings still share about half their variance (0.7² = 0.49):
#: more of the map is left than was taken away. On the shipped toy model the methods sit far
#: from it on both sides (docs/attributions.md: Guided Backprop about 0.96, the gradient
#: methods 0.38-0.47, Grad-CAM about 0.2 over 8 pictures).
ALIKE_SPEARMAN = 0.7
#: maps that multiply a Grad-CAM factor into another method's map: their change can come from
#: the Grad-CAM factor alone (Selvaraju et al.'s Guided Grad-CAM is Guided Backprop x Grad-CAM)
CAM_MASKED: dict[str, str] = {"guided_gradcam": "guided_backprop"}
#: Adebayo et al.'s own verdicts under cascading model randomisation (section 4, Fig. 2): the
#: gradient and Grad-CAM change as soon as the top layers are re-drawn; Guided Backprop and
#: Guided Grad-CAM stay alike while the higher layers are random. Methods not listed here they
#: either did not test or did not judge as clearly.
PAPER_VERDICTS: dict[str, str] = {
    "saliency": "pass",
    "gradcam": "pass",
    "guided_backprop": "fail",
    "guided_gradcam": "fail",
}


@dataclass(frozen=True)
class SanityCurve:
    """One method across the cascade.

    Attributes:
        method, label: registry key and display name.
        maps: (S, H, W) float32 signed maps, step 0 the trained network's.
        spearman: (S,) rank correlation of |map| with step 0's |map| (1 at step 0).
        ssim: (S,) SSIM of |map| / max with step 0's (1 at step 0).
    """

    method: str
    label: str
    maps: np.ndarray
    spearman: np.ndarray
    ssim: np.ndarray

    @property
    def final_spearman(self) -> float:
        """Rank correlation once every layer is random."""
        return float(self.spearman[-1])


@dataclass(frozen=True)
class SanityResult:
    """A cascading randomisation run.

    Attributes:
        steps: "trained", then the groups randomised cumulatively: "fc", "layer4.1", ..., "stem".
        target: class attributed at every step.
        curves: one per method.
        time_s: wall time.
    """

    steps: tuple[str, ...]
    target: int
    curves: tuple[SanityCurve, ...]
    time_s: float

    @property
    def judgements(self) -> tuple[SanityJudgement, ...]:
        """:func:`judge_sanity` of this one picture (so a figure module can read it by attribute)."""
        return judge_sanity((self,))


@dataclass(frozen=True)
class SanityJudgement:
    """One method's verdict, read at the top of the cascade over one or more pictures.

    Attributes:
        method, label: registry key and display name.
        top_step: the step read: the last one inside the last stage (``fc`` and that whole stage
            random), e.g. "layer4.0" for a ResNet-18.
        spearman: (P,) per picture, the rank correlation with the trained map at ``top_step``.
        mean, spread: mean and standard deviation of ``spearman`` (spread 0 for one picture).
        passes: ``mean`` is below :data:`ALIKE_SPEARMAN`: the map changed with the weights.
        masked_by: for a Grad-CAM-masked method that passes (Guided Grad-CAM), the key of the
            map it multiplies (Guided Backprop): where that map stays alike, the change comes
            from the Grad-CAM factor only. None otherwise.
        paper: Adebayo et al.'s verdict for this method, "pass" or "fail", or None where they
            gave none (:data:`PAPER_VERDICTS`).
    """

    method: str
    label: str
    top_step: str
    spearman: np.ndarray
    mean: float
    spread: float
    passes: bool
    masked_by: str | None
    paper: str | None


def top_of_cascade(steps: Sequence[str]) -> int:
    """Index of the step after which the classifier and the whole last stage are random.

    ``steps`` is "trained", "fc", then blocks from the last down ("layer4.1", "layer4.0",
    "layer3.1", ...): the answer is the last step whose block is in the same stage as the first
    block. A model without blocks is read after "fc".
    """
    if len(steps) < 3 or "." not in steps[2]:
        return min(1, len(steps) - 1)
    stage = steps[2].rsplit(".", 1)[0]
    return max(i for i, s in enumerate(steps) if s.rsplit(".", 1)[0] == stage)


def judge_sanity(results: Sequence[SanityResult], *, threshold: float = ALIKE_SPEARMAN) -> tuple[SanityJudgement, ...]:
    """Adebayo et al.'s verdict per method, over several pictures' cascades.

    Args:
        results: one :func:`sanity_check` per picture, with the same methods and steps.
        threshold: see :data:`ALIKE_SPEARMAN`.

    Raises:
        ValueError: no results, or results of different methods or steps.
    """
    if not results:
        raise ValueError("judge at least one sanity check")
    first = results[0]
    if any(r.steps != first.steps or [c.method for c in r.curves] != [c.method for c in first.curves] for r in results):
        raise ValueError("the sanity checks differ in their methods or steps")
    top = top_of_cascade(first.steps)
    rows = []
    for i, c in enumerate(first.curves):
        rho = np.array([float(r.curves[i].spearman[top]) for r in results])
        rows.append((c, rho, float(rho.mean()) < threshold))
    return tuple(
        SanityJudgement(
            method=c.method,
            label=c.label,
            top_step=first.steps[top],
            spearman=rho,
            mean=float(rho.mean()),
            spread=float(rho.std()),
            passes=ok,
            masked_by=CAM_MASKED.get(c.method) if ok else None,
            paper=PAPER_VERDICTS.get(c.method),
        )
        for c, rho, ok in rows
    )


def cascade_groups(model: nn.Module) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(step name, module names) from the logits down: the classifier, each block, the stem."""
    head = ["fc"] + [n for n in ("bn_final",) if hasattr(model, n)]
    blocks = [n for n, m in model.named_modules() if is_block(m)]
    stem = [n for n in ("conv1", "bn1") if hasattr(model, n)]
    return (("fc", tuple(head)), *((b, (b,)) for b in reversed(blocks)), ("stem", tuple(stem)))


def randomize_(model: nn.Module, names: Sequence[str], *, seed: int) -> None:
    """Re-draw the parameters of the named modules from their layers' own initialisation.

    Every submodule with ``reset_parameters`` (convolutions, linear, batch norm) is reset
    under a forked, seeded generator; batch norm's running statistics return to 0 and 1 with it.
    """
    device = next(model.parameters()).device
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(seed)
        for name in names:
            for m in model.get_submodule(name).modules():
                if hasattr(m, "reset_parameters"):
                    m.reset_parameters()
                if isinstance(m, nn.BatchNorm2d):
                    m.reset_running_stats()


def _compare(maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.abs(maps[0])
    rho = np.array([spearman(ref, np.abs(m)) for m in maps], dtype=np.float64)
    scale = lambda a: a / a.max() if a.max() > 0 else a  # noqa: E731
    sim = np.array([ssim(scale(ref), scale(np.abs(m)), data_range=1.0) for m in maps], dtype=np.float64)
    return rho, sim


def sanity_check(
    model: nn.Module,
    inp: AttributionInput,
    *,
    methods: Sequence[str],
    target: int,
    params: MethodParams = MethodParams(),
    seed: int = 0,
    budget: int = DEFAULT_BUDGET,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> SanityResult:
    """Cascading randomisation of ``model``'s parameters, every method's map at every step.

    Args:
        model: the trained model (left untouched: the cascade runs on a deep copy).
        inp: the picture.
        methods: registry keys (at most :data:`MAX_SANITY_METHODS`).
        target: class attributed.
        params: the methods' options.
        seed: seed of the re-initialisation.
        budget: most images through the network for the whole cascade.
        progress: fraction done, after every chunk of forward passes.
        cancel: stops before the next chunk when set.

    Raises:
        AttributionError: unknown or inapplicable method, too many methods.
        AttributionBudgetError: the cascade needs more forward passes than ``budget``.
    """
    methods = list(dict.fromkeys(methods))
    if not 1 <= len(methods) <= MAX_SANITY_METHODS:
        raise AttributionError(f"choose 1 to {MAX_SANITY_METHODS} methods for a sanity check")
    for m in methods:
        why = applicability(model, m)
        if why is not None:
            raise AttributionError(f"{method_info(m).label} does not apply to this model: {why}",
                                   key="error.method_not_applicable", method=method_info(m).label, why=why)
    if not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise AttributionError(f"budget must be between 1 and {MAX_BUDGET} forward passes")
    target = check_target(model, target)
    groups = cascade_groups(model)
    per_step = sum(forward_passes(m, params, inp) for m in methods)
    planned = per_step * (len(groups) + 1)
    if planned > budget:
        raise AttributionBudgetError(
            f"the sanity check would send {planned:,} images through the network ({len(groups) + 1} steps); "
            f"the limit per request is {budget:,}: choose fewer or cheaper methods",
            key="error.sanity_passes", passes=f"{planned:,}", steps=len(groups) + 1, limit=f"{budget:,}",
        )
    t0 = time.perf_counter()
    work = copy.deepcopy(model).eval()
    net = Metered(work, planned, progress, cancel)
    maps: dict[str, list[np.ndarray]] = {m: [] for m in methods}
    for step, (_, names) in enumerate((("trained", ()),) + groups):
        randomize_(work, names, seed=seed + step)
        for m in methods:
            raw = run_captum(net, inp.tensor, inp, method=m, target=target, params=params)
            maps[m].append(raw.float().sum(dim=1)[0].cpu().numpy().astype(np.float32))
    curves = []
    for m in methods:
        stack = np.stack(maps[m])  # (S, H, W)
        rho, sim = _compare(stack)
        curves.append(SanityCurve(method=m, label=method_info(m).label, maps=stack, spearman=rho, ssim=sim))
    return SanityResult(
        steps=("trained", *(g for g, _ in groups)),
        target=int(target),
        curves=tuple(curves),
        time_s=time.perf_counter() - t0,
    )


__all__ = [
    "ALIKE_SPEARMAN",
    "MAX_SANITY_METHODS",
    "PAPER_VERDICTS",
    "SanityCurve",
    "SanityJudgement",
    "SanityResult",
    "cascade_groups",
    "judge_sanity",
    "top_of_cascade",
    "randomize_",
    "sanity_check",
]
