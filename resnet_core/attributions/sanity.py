"""Sanity checks for saliency maps: cascading model-parameter randomisation.

Adebayo et al., "Sanity Checks for Saliency Maps" (https://arxiv.org/abs/1810.03292), section 3:
re-initialise the network's weights from the logits down, one block at a time, and compare
each method's map with its map on the trained network. A method whose map barely changes
cannot be explaining what the network learned. As in the paper, maps are compared by their
absolute values: Spearman rank correlation, and SSIM of the maps scaled to [0, 1].

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
            raise AttributionError(f"{method_info(m).label} does not apply to this model: {why['en']}")
    if not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise AttributionError(f"budget must be between 1 and {MAX_BUDGET} forward passes")
    target = check_target(model, target)
    groups = cascade_groups(model)
    per_step = sum(forward_passes(m, params, inp) for m in methods)
    planned = per_step * (len(groups) + 1)
    if planned > budget:
        raise AttributionBudgetError(
            f"the sanity check would send {planned:,} images through the network ({len(groups) + 1} steps); "
            f"the limit per request is {budget:,}: choose fewer or cheaper methods"
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
    "MAX_SANITY_METHODS",
    "SanityCurve",
    "SanityResult",
    "cascade_groups",
    "randomize_",
    "sanity_check",
]
