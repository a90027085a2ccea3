"""Captum's attribution methods on a ResNet, one entry point, bounded and cancellable.

Every map comes from captum's own class (``LayerGradCam``, ``IntegratedGradients``,
``Occlusion``, ...); this module only prepares inputs, baselines and feature masks, meters
the forward passes, and turns captum's tensor into an (H, W) map. See the registry
:data:`METHODS` for what each method needs, and :func:`applicability` for whether it fits a
given model (captum's LRP has no rule for some layers), both in :mod:`.registry`.

Safety on a shared, served model:

* methods that register hooks (guided backprop, DeepLift, Grad-CAM, LRP, ...) run on a
  private deep copy by default (``isolate=True``): captum's hooks fire for every thread's
  forward, so on a shared model they would leak into other users' requests;
* whatever runs on the given model leaves it as it was: training flag, ``requires_grad``
  flags and hooks are restored in ``finally``, also on errors and cancellation;
* the forward passes are counted before running (:func:`forward_passes`) and a request past
  the budget is refused with a plain message.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ..errors import Term
from .inputs import AttributionError, AttributionInput
from .registry import (
    DEFAULT_BUDGET,
    MAX_BUDGET,
    METHODS,
    AttributionBudgetError,
    AttributionCancelled,
    MethodInfo,
    MethodParams,
    MethodRun,
    applicability,
    forward_passes,
    layer_of,
    method_info,
    method_table,
    uses_hooks,
)


@dataclass(frozen=True)
class Attribution:
    """One method's map for one picture and class.

    Attributes:
        method: registry key. label: display name.
        target: the class attributed.
        map: (H, W) float32 at the input size, signed (summed over colour channels).
        time_s: wall time of the captum call (with the private copy, if any).
        forward_passes: images that went through the network.
        params: the options the method used.
        note: a remark for the page, a :class:`~resnet_core.errors.Term` (empty when none).
    """

    method: str
    label: str
    target: int
    map: np.ndarray
    time_s: float
    forward_passes: int
    params: dict[str, Any]
    note: Term = field(default_factory=lambda: Term(""))


# ---------------------------------------------------------------------------------- running


class Metered(nn.Module):
    """The model, counting images, reporting progress and honouring a cancel between chunks."""

    def __init__(
        self,
        model: nn.Module,
        planned: int,
        progress: Callable[[float], None] | None,
        cancel: threading.Event | None,
    ) -> None:
        super().__init__()
        self.inner = model
        self.planned = max(1, planned)
        self.progress = progress
        self.cancel = cancel
        self.count = 0

    def forward(self, x: Tensor) -> Tensor:  # (N, 3, H, W) -> (N, K)
        if self.cancel is not None and self.cancel.is_set():
            raise AttributionCancelled("cancelled")
        out = self.inner(x)
        self.count += int(x.shape[0])
        if self.progress is not None:
            self.progress(min(1.0, self.count / self.planned))
        return out


def _hook_dicts(m: nn.Module) -> tuple[dict, ...]:
    return (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks, getattr(m, "_backward_pre_hooks", {}))


@contextmanager
def restored(model: nn.Module, *, drop_new_hooks: bool = True) -> Iterator[None]:
    """Put ``model`` in eval mode and give back its mode and ``requires_grad`` flags after.

    With ``drop_new_hooks``, any hook added while the block ran is removed too, whatever
    happened (an exception inside a method can leave captum's own clean-up half done). Only
    for a model this request owns: on a shared model it would also drop other requests' hooks.
    """
    mode = model.training
    flags = [(p, p.requires_grad) for p in model.parameters()]
    before = {id(m): [set(d) for d in _hook_dicts(m)] for m in model.modules()} if drop_new_hooks else {}
    try:
        if mode:
            model.eval()
        yield
    finally:
        model.train(mode)
        for p, flag in flags:
            if p.requires_grad != flag:
                p.requires_grad_(flag)
        if drop_new_hooks:
            for m in model.modules():
                old = before.get(id(m), [set()] * 4)
                for d, keep in zip(_hook_dicts(m), old):
                    for k in [k for k in d if k not in keep]:
                        del d[k]


@contextmanager
def seeded(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch's and numpy's global generators (captum draws from both: GradientShap's
    path points come from ``np.random``) and give both back their state afterwards.

    The generators are process-wide: two requests drawing at the same moment in two threads
    still get valid maps, only not reproducible ones.
    """
    state = np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            np.random.seed(seed)
            yield
    finally:
        np.random.set_state(state)


def run_captum(
    net: nn.Module, x: Tensor, inp: AttributionInput, *, method: str, target: int, params: MethodParams
) -> Tensor:
    """Captum's attribution of ``x`` (N, 3, H, W) through ``net``: (N, C, H, W), C = 3 or 1.

    No checks and no copy: :func:`attribute` is the public door. ``net`` is a
    :class:`Metered` model (or any module wrapping the classifier as ``inner``); it is put in
    eval mode and given back as it was, hooks and flags included. Random draws are seeded by
    ``params.seed`` without touching the caller's generator.
    """
    work = getattr(net, "inner", net)
    device = next(work.parameters()).device
    hooks = uses_hooks(method, params)  # only hook-registering requests run on a model they may own
    with restored(work, drop_new_hooks=hooks), seeded(params.seed, device):
        x = x.detach().to(device).clone().requires_grad_(True)  # captum would warn and do it
        run = MethodRun(net=net, model=work, x=x, target=target, p=params, inp=inp)
        with torch.enable_grad():
            return method_info(method).runner(run).detach()


def check_target(model: nn.Module, target: int) -> int:
    k = getattr(getattr(model, "fc", None), "out_features", None)
    if (
        isinstance(target, bool)
        or not isinstance(target, (int, np.integer))
        or (k is not None and not 0 <= target < k)
    ):
        raise AttributionError(
            f"target must be a class index from 0 to {(k or 1) - 1}, got {str(target)[:40]!r}"
        )
    return int(target)


def attribute(
    model: nn.Module,
    inp: AttributionInput,
    *,
    method: str,
    target: int,
    params: MethodParams = MethodParams(),
    budget: int = DEFAULT_BUDGET,
    progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    isolate: bool = True,
) -> Attribution:
    """Run one of captum's methods on ``model`` for ``inp`` and class ``target``.

    Args:
        model: a ResNet (any ``nn.Module`` classifier); used on its own device, never changed.
        inp: from :func:`~resnet_core.attributions.inputs.attribution_input`.
        method: a key of :data:`METHODS`.
        target: class index.
        params: the method's options.
        budget: most images allowed through the network (1..:data:`MAX_BUDGET`).
        progress: called with the fraction done after every chunk of forward passes.
        cancel: when set, the request stops before its next chunk with :class:`AttributionCancelled`.
        isolate: run hook-registering methods on a private deep copy (keep True for served models).

    Raises:
        AttributionError: unknown method or layer, bad target, or a method that does not apply.
        AttributionBudgetError: more forward passes than ``budget``.
        AttributionCancelled: ``cancel`` was set.
    """
    info = method_info(method)
    target = check_target(model, target)
    if not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise AttributionError(f"budget must be between 1 and {MAX_BUDGET} forward passes")
    why = applicability(model, method)
    if why is not None:
        raise AttributionError(f"{info.label} does not apply to this model: {why}", key="error.method_not_applicable",
                               method=info.label, why=why)
    if info.family == "cam":
        layer_of(model, params.layer)
    planned = forward_passes(method, params, inp)
    if planned > budget:
        raise AttributionBudgetError(
            f"{info.label} would send {planned:,} images through the network; the limit per request is "
            f"{budget:,}: lower its samples or steps, or raise the stride or cell size",
            key="error.method_budget", method=info.label, passes=f"{planned:,}", limit=f"{budget:,}",
        )
    t0 = time.perf_counter()
    private = (uses_hooks(method, params) and isolate) or info.writes
    # a runner that writes onto the modules (LRP's rules) never touches the caller's model
    work = copy.deepcopy(model) if private else model
    net = Metered(work, planned, progress, cancel)
    raw = run_captum(net, inp.tensor, inp, method=method, target=target, params=params)  # (1, C, H, W)
    hw_map = raw.detach().float().sum(dim=1)[0].cpu().numpy().astype(np.float32)  # (H, W)
    return Attribution(
        method=method,
        label=info.label,
        target=target,
        map=hw_map,
        time_s=time.perf_counter() - t0,
        forward_passes=net.count,
        params=params.used_by(method),
        note=info.note(params),
    )


__all__ = [
    "DEFAULT_BUDGET",
    "MAX_BUDGET",
    "METHODS",
    "Attribution",
    "AttributionBudgetError",
    "AttributionCancelled",
    "MethodInfo",
    "MethodParams",
    "applicability",
    "attribute",
    "forward_passes",
    "method_info",
    "method_table",
    "restored",
    "run_captum",
    "seeded",
    "uses_hooks",
]
