"""Faithfulness: do the pixels a map ranks highest matter to the network?

* Deletion and insertion (Petsiuk et al., "RISE", https://arxiv.org/abs/1806.07421, section 4.1):
  pixels ranked by the map are removed (set to the black reference) or inserted (into a
  blurred canvas) in equal chunks while the class probability is recorded. A faithful map
  makes the deletion curve fall fast (small area) and the insertion curve rise fast (large
  area). A random map is the yardstick.
* Captum's ``infidelity`` (Yeh et al., https://arxiv.org/abs/1901.09392) and ``sensitivity_max``
  from ``captum.metrics``, called as they are.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from captum.metrics import infidelity, sensitivity_max
from torch import Tensor, nn

from .inputs import AttributionError, AttributionInput, make_baseline
from .methods import (
    MAX_BUDGET,
    Attribution,
    AttributionBudgetError,
    Metered,
    MethodParams,
    check_target,
    forward_passes,
    method_info,
    restored,
    run_captum,
    seeded,
    uses_hooks,
)

MAX_CURVE_STEPS = 256
MAX_METRIC_SAMPLES = 64


@dataclass(frozen=True)
class FaithCurve:
    """Deletion and insertion curves of one map.

    Attributes:
        method, label: the map's method (or "random").
        fractions: (S + 1,) share of pixels removed or inserted, 0 to 1.
        deletion: (S + 1,) class probability as the top pixels are removed.
        insertion: (S + 1,) class probability as the top pixels are inserted.
        deletion_auc, insertion_auc: areas under the curves (trapezoid over [0, 1]).
    """

    method: str
    label: str
    fractions: np.ndarray
    deletion: np.ndarray
    insertion: np.ndarray
    deletion_auc: float
    insertion_auc: float


def random_map(size: tuple[int, int], *, seed: int = 0, cells: int | None = None) -> np.ndarray:
    """A uniform random (H, W) map: the yardstick every method should beat.

    Args:
        size: (H, W).
        seed: numpy seed.
        cells: None draws every pixel; k draws a k x k grid and upsamples it bilinearly, a
            random map as coarse as a Grad-CAM map at a layer of k x k. Pixel-wise random
            deletion scatters holes everywhere, which wrecks a picture faster than removing any
            one region (the out-of-distribution effect ROAR was made for,
            https://arxiv.org/abs/1806.10758), so coarse maps compare fairly only with a coarse
            random map.
    """
    rng = np.random.default_rng(seed)
    if cells is None:
        return rng.random(size).astype(np.float32)
    if not isinstance(cells, int) or not 1 <= cells <= max(size):
        raise AttributionError(f"cells must be between 1 and {max(size)}")
    grid = torch.from_numpy(rng.random((cells, cells)).astype(np.float32))[None, None]
    return F.interpolate(grid, size=size, mode="bilinear")[0, 0].numpy()


def _auc(y: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)


@torch.no_grad()
def _probabilities(net: nn.Module, images: Tensor, target: int, batch: int) -> np.ndarray:
    out = [net(images[i : i + batch]).float().softmax(dim=1)[:, target] for i in range(0, len(images), batch)]
    return torch.cat(out).cpu().numpy().astype(np.float64)


def _series(x: Tensor, ref: Tensor, order: Tensor, cuts: list[int], *, insert: bool) -> Tensor:
    """(S + 1, 3, H, W): x with the first ``cut`` ranked pixels taken from ``ref`` (or inserted)."""
    h, w = x.shape[-2:]
    frames = []
    for cut in cuts:
        keep = torch.zeros(h * w, dtype=torch.bool, device=x.device)
        keep[order[:cut]] = True
        m = keep.view(1, 1, h, w)
        frames.append(torch.where(m, x, ref) if insert else torch.where(m, ref, x))
    return torch.cat(frames)


def deletion_insertion(
    model: nn.Module,
    inp: AttributionInput,
    amap: np.ndarray,
    *,
    target: int,
    method: str = "map",
    label: str | None = None,
    steps: int = 32,
    batch: int = 32,
    budget: int = MAX_BUDGET,
    cancel: threading.Event | None = None,
) -> FaithCurve:
    """Deletion and insertion curves of ``amap`` (Petsiuk et al.): 2 x (steps + 1) forward passes.

    Pixels are ranked by the signed map, highest first, ties in raster order. Deletion puts
    black in their place, insertion starts from a blurred picture (the paper's choices).

    Raises:
        AttributionError: a map of the wrong shape, or steps out of 1..:data:`MAX_CURVE_STEPS`.
        AttributionBudgetError: more forward passes than ``budget``.
    """
    target = check_target(model, target)
    amap = np.asarray(amap, dtype=np.float32)
    if amap.shape != inp.size:
        raise AttributionError(f"the map is {amap.shape}, the input {inp.size}")
    if not isinstance(steps, int) or not 1 <= steps <= MAX_CURVE_STEPS:
        raise AttributionError(f"steps must be between 1 and {MAX_CURVE_STEPS}")
    planned = 2 * (steps + 1)
    if planned > budget:
        raise AttributionBudgetError(
            f"deletion and insertion need {planned} forward passes; the limit is {budget}",
            key="error.deletion_passes", passes=planned, limit=budget,
        )
    device = next(model.parameters()).device
    x = inp.tensor.to(device)
    flat = torch.from_numpy(np.nan_to_num(amap, nan=-np.inf).ravel()).to(device)
    order = torch.argsort(-flat, stable=True)
    n = flat.numel()
    cuts = [round(n * k / steps) for k in range(steps + 1)]
    black = make_baseline(inp, "black").to(device)
    blur = make_baseline(inp, "blur").to(device)
    net = Metered(model, planned, None, cancel)
    with restored(model, drop_new_hooks=False):
        deletion = _probabilities(net, _series(x, black, order, cuts, insert=False), target, batch)
        insertion = _probabilities(net, _series(x, blur, order, cuts, insert=True), target, batch)
    fractions = np.array(cuts, dtype=np.float64) / n
    return FaithCurve(
        method=method,
        label=label or method,
        fractions=fractions,
        deletion=deletion,
        insertion=insertion,
        deletion_auc=_auc(deletion, fractions),
        insertion_auc=_auc(insertion, fractions),
    )


@dataclass(frozen=True)
class CaptumScores:
    """Captum's metrics of one method's attribution.

    Attributes:
        infidelity: ``captum.metrics.infidelity`` with Gaussian pixel noise, attributions
            normalised by captum (``normalize=True``) so that methods compare (lower is better).
        sensitivity: ``captum.metrics.sensitivity_max`` (lower is better: a small change of the
            input changes the map little).
    """

    method: str
    infidelity: float
    sensitivity: float


def captum_scores(
    model: nn.Module,
    inp: AttributionInput,
    attribution: Attribution,
    *,
    params: MethodParams = MethodParams(),
    n_perturb: int = 8,
    noise: float = 0.1,
    radius: float = 0.02,
    budget: int = MAX_BUDGET,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> CaptumScores:
    """Captum's ``infidelity`` and ``sensitivity_max`` of ``attribution``.

    The channel-summed map is spread evenly over the three channels for ``infidelity``;
    ``sensitivity_max`` re-runs the method (through captum) on the input and ``n_perturb``
    copies perturbed uniformly within ``radius`` of the input's range (captum's default
    perturbation), so it costs ``n_perturb + 1`` times the method.

    Raises:
        AttributionError: bad sample counts. AttributionBudgetError: past ``budget``.
    """
    method = attribution.method
    target = check_target(model, attribution.target)
    if not isinstance(n_perturb, int) or not 1 <= n_perturb <= MAX_METRIC_SAMPLES:
        raise AttributionError(f"n_perturb must be between 1 and {MAX_METRIC_SAMPLES}")
    planned = n_perturb + (n_perturb + 1) * forward_passes(method, params, inp)
    if planned > budget:
        raise AttributionBudgetError(
            f"{method_info(method).label}'s metrics need {planned:,} forward passes; the limit is {budget:,}",
            key="error.metric_passes", method=method_info(method).label, passes=f"{planned:,}", limit=f"{budget:,}",
        )
    device = next(model.parameters()).device
    x = inp.tensor.to(device)
    std = float(noise * (x.max() - x.min()))

    def perturb(inputs: Tensor) -> tuple[Tensor, Tensor]:
        eps = torch.randn_like(inputs) * std
        return eps, inputs - eps

    # hook-registering methods re-run on a private copy, as in attribute()
    work = copy.deepcopy(model) if uses_hooks(method, params) else model
    attr = torch.from_numpy(attribution.map).to(device)[None, None].expand(1, 3, -1, -1) / 3.0
    net = Metered(work, planned, progress, cancel)

    def explain(inputs: Tensor | tuple[Tensor, ...], target: int) -> Tensor | tuple[Tensor, ...]:
        # sensitivity_max hands perturbed copies one at a time (max_examples_per_batch=1)
        single = inputs[0] if isinstance(inputs, tuple) else inputs
        out = run_captum(net, single, inp, method=method, target=target, params=params)
        return (out,) if isinstance(inputs, tuple) else out

    with restored(work, drop_new_hooks=work is not model), seeded(params.seed, device):
        inf = infidelity(
            net,
            perturb,
            x,
            attr,
            target=target,
            n_perturb_samples=n_perturb,
            max_examples_per_batch=params.batch,
            normalize=True,  # scale-free: maps of different methods come in different units
        )
        sens = sensitivity_max(
            explain,
            x,
            perturb_radius=radius * float(x.max() - x.min()),
            n_perturb_samples=n_perturb,
            max_examples_per_batch=1,
            target=target,
        )
    return CaptumScores(method=method, infidelity=float(inf.item()), sensitivity=float(sens.item()))


__all__ = ["CaptumScores", "FaithCurve", "captum_scores", "deletion_insertion", "random_map"]
