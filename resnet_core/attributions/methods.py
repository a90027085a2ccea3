"""Captum's attribution methods on a ResNet, one entry point, bounded and cancellable.

Every map comes from captum's own class (``LayerGradCam``, ``IntegratedGradients``,
``Occlusion``, ...); this module only prepares inputs, baselines and feature masks, meters
the forward passes, and turns captum's tensor into an (H, W) map. See the registry
:data:`METHODS` for what each method needs, and :func:`applicability` for whether it fits a
given model (captum's LRP has no rule for some layers).

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
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch
from captum.attr import (
    LRP,
    Deconvolution,
    DeepLift,
    DeepLiftShap,
    FeatureAblation,
    GradientShap,
    GuidedBackprop,
    GuidedGradCam,
    InputXGradient,
    IntegratedGradients,
    LayerAttribution,
    LayerGradCam,
    NoiseTunnel,
    Occlusion,
    Saliency,
    ShapleyValueSampling,
)
from torch import Tensor, nn

from .inputs import (
    BASELINES,
    MASK_KINDS,
    AttributionError,
    AttributionInput,
    baseline_distribution,
    feature_mask,
    grid_mask,
    make_baseline,
)
from .lrp import lrp_problem, lrp_rules

#: the largest forward-pass budget a caller may grant one request
MAX_BUDGET = 100_000
#: the default budget: a few seconds of a small model, well under a minute of a ResNet-50 on a GPU
DEFAULT_BUDGET = 4096

NT_BASES: tuple[str, ...] = ("saliency", "input_x_gradient", "integrated_gradients", "guided_backprop")


class AttributionBudgetError(AttributionError):
    """The request needs more forward passes than its budget allows."""


class AttributionCancelled(RuntimeError):
    """The caller cancelled the request between two chunks of forward passes."""


@dataclass(frozen=True)
class MethodInfo:
    """One method of the registry.

    Attributes:
        name: the key ("gradcam", "integrated_gradients", ...).
        label: display name.
        captum: captum's class (and options) that computes it.
        family: "cam", "gradient", "reference" (baseline based), "perturbation" or "propagation".
        params: the :class:`MethodParams` fields it reads.
        hooks: whether captum registers hooks on the model (run on a private copy by default).
        signed: whether the map can be negative (Saliency and Grad-CAM here are not).
        paper: where the method comes from.
    """

    name: str
    label: str
    captum: str
    family: str
    params: tuple[str, ...]
    hooks: bool
    signed: bool
    paper: str


def _info(
    name: str,
    label: str,
    captum: str,
    family: str,
    params: tuple[str, ...],
    hooks: bool,
    signed: bool,
    paper: str,
) -> MethodInfo:
    return MethodInfo(name, label, captum, family, params, hooks, signed, paper)


_NT = ("nt_base", "nt_samples", "stdev", "steps", "baseline", "batch", "seed")
#: every method this module offers, in display order
METHODS: dict[str, MethodInfo] = {
    m.name: m
    for m in (
        _info(
            "gradcam",
            "Grad-CAM",
            "LayerGradCam(relu_attributions=True)",
            "cam",
            ("layer",),
            True,
            False,
            "https://arxiv.org/abs/1610.02391",
        ),
        _info(
            "guided_gradcam",
            "Guided Grad-CAM",
            "GuidedGradCam",
            "cam",
            ("layer",),
            True,
            True,
            "https://arxiv.org/abs/1610.02391",
        ),
        _info(
            "guided_backprop",
            "Guided Backprop",
            "GuidedBackprop",
            "gradient",
            (),
            True,
            True,
            "https://arxiv.org/abs/1412.6806",
        ),
        _info(
            "deconvolution",
            "Deconvolution",
            "Deconvolution",
            "gradient",
            (),
            True,
            True,
            "https://arxiv.org/abs/1311.2901",
        ),
        _info(
            "saliency",
            "Saliency",
            "Saliency(abs=True)",
            "gradient",
            (),
            False,
            False,
            "https://arxiv.org/abs/1312.6034",
        ),
        _info(
            "input_x_gradient",
            "Input x Gradient",
            "InputXGradient",
            "gradient",
            (),
            False,
            True,
            "https://arxiv.org/abs/1605.01713",
        ),
        _info(
            "integrated_gradients",
            "Integrated Gradients",
            "IntegratedGradients",
            "reference",
            ("steps", "baseline", "batch"),
            False,
            True,
            "https://arxiv.org/abs/1703.01365",
        ),
        _info(
            "smoothgrad",
            "SmoothGrad",
            "NoiseTunnel(nt_type='smoothgrad')",
            "gradient",
            _NT,
            False,
            True,
            "https://arxiv.org/abs/1706.03825",
        ),
        _info(
            "smoothgrad_sq",
            "SmoothGrad²",
            "NoiseTunnel(nt_type='smoothgrad_sq')",
            "gradient",
            _NT,
            False,
            False,
            "https://arxiv.org/abs/1806.10758",
        ),
        _info(
            "vargrad",
            "VarGrad",
            "NoiseTunnel(nt_type='vargrad')",
            "gradient",
            _NT,
            False,
            False,
            "https://arxiv.org/abs/1810.03307",
        ),
        _info(
            "gradient_shap",
            "GradientShap",
            "GradientShap",
            "reference",
            ("shap_samples", "shap_baselines", "stdev", "seed"),
            False,
            True,
            "https://arxiv.org/abs/1705.07874",
        ),
        _info(
            "deeplift",
            "DeepLift",
            "DeepLift",
            "reference",
            ("baseline",),
            True,
            True,
            "https://arxiv.org/abs/1704.02685",
        ),
        _info(
            "deeplift_shap",
            "DeepLiftShap",
            "DeepLiftShap",
            "reference",
            ("shap_baselines", "seed"),
            True,
            True,
            "https://arxiv.org/abs/1705.07874",
        ),
        _info(
            "occlusion",
            "Occlusion",
            "Occlusion",
            "perturbation",
            ("window", "stride", "baseline", "batch"),
            False,
            True,
            "https://arxiv.org/abs/1311.2901",
        ),
        _info(
            "feature_ablation",
            "Feature Ablation",
            "FeatureAblation",
            "perturbation",
            ("mask", "cell", "n_segments", "baseline", "batch"),
            False,
            True,
            "https://captum.ai/api/feature_ablation.html",
        ),
        _info(
            "shapley",
            "Shapley Value Sampling",
            "ShapleyValueSampling",
            "perturbation",
            ("mask", "cell", "n_segments", "shapley_samples", "baseline", "batch", "seed"),
            False,
            True,
            "https://doi.org/10.1016/j.cor.2008.04.004",
        ),
        _info(
            "lrp",
            "LRP (epsilon)",
            "LRP",
            "propagation",
            (),
            True,
            True,
            "https://doi.org/10.1371/journal.pone.0130140",
        ),
    )
}

#: (low, high) of every bounded numeric parameter
BOUNDS: dict[str, tuple[float, float]] = {
    "steps": (2, 256),
    "nt_samples": (1, 64),
    "stdev": (0.0, 1.0),
    "shap_samples": (1, 128),
    "shap_baselines": (2, 16),
    "window": (1, 128),
    "stride": (1, 128),
    "cell": (2, 128),
    "n_segments": (4, 512),
    "shapley_samples": (1, 64),
    "batch": (1, 256),
    "seed": (0, 2**31 - 1),
}


@dataclass(frozen=True)
class MethodParams:
    """Every method's options, bounded (see :data:`BOUNDS`); each method reads its own.

    Attributes:
        layer: Grad-CAM layer ("stem", "layer3", "layer4.1", ...).
        steps: Integrated Gradients' path steps.
        baseline: reference picture: "black", "blur", "noise" or "mean".
        nt_base: the gradient method NoiseTunnel wraps.
        nt_samples: NoiseTunnel samples.
        stdev: noise as a fraction of the input's range (SmoothGrad's 10-20% works well).
        shap_samples: GradientShap samples.
        shap_baselines: references drawn for GradientShap and DeepLiftShap.
        window, stride: Occlusion's square window and its stride, in pixels.
        mask: "grid" or "superpixels" for FeatureAblation and ShapleyValueSampling.
        cell: grid cell side, in pixels. n_segments: superpixels wanted.
        shapley_samples: permutations of ShapleyValueSampling.
        batch: perturbations per forward (``perturbations_per_eval`` / ``internal_batch_size``).
        seed: seed of every random draw (noise, baselines, permutations).
    """

    layer: str = "layer4"
    steps: int = 32
    baseline: str = "black"
    nt_base: str = "saliency"
    nt_samples: int = 8
    stdev: float = 0.15
    shap_samples: int = 16
    shap_baselines: int = 4
    window: int = 8
    stride: int = 4
    mask: str = "grid"
    cell: int = 8
    n_segments: int = 50
    shapley_samples: int = 4
    batch: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        for name, (lo, hi) in BOUNDS.items():
            v = getattr(self, name)
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and lo <= v <= hi
            if ok and isinstance(lo, int) and isinstance(hi, int):
                ok = float(v).is_integer()
            if not ok:
                raise AttributionError(f"{name} must be between {lo} and {hi}, got {str(v)[:40]!r}")
        for name, allowed in (("baseline", BASELINES), ("nt_base", NT_BASES), ("mask", MASK_KINDS)):
            if getattr(self, name) not in allowed:
                raise AttributionError(
                    f"{name} must be one of {', '.join(allowed)}, got {str(getattr(self, name))[:40]!r}"
                )
        if not isinstance(self.layer, str) or not 0 < len(self.layer) <= 100:
            raise AttributionError("layer must be a layer name such as 'layer4'")

    def used_by(self, method: str) -> dict[str, Any]:
        """The options ``method`` reads, as a dict (for the record and the page)."""
        d = asdict(self)
        return {k: d[k] for k in method_info(method).params}


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
        note: a remark for the page, {"en": ..., "zh": ...} ("" when none).
    """

    method: str
    label: str
    target: int
    map: np.ndarray
    time_s: float
    forward_passes: int
    params: dict[str, Any]
    note: dict[str, str] = field(default_factory=lambda: {"en": "", "zh": ""})


def method_info(method: str) -> MethodInfo:
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise AttributionError(
            f"unknown method {str(method)[:40]!r}; use one of {', '.join(METHODS)}"
        ) from None


def applicability(model: nn.Module, method: str) -> dict[str, str] | None:
    """None when ``method`` applies to ``model``, else why not as {"en": ..., "zh": ...}."""
    method_info(method)
    if method == "lrp":
        return lrp_problem(model)
    return None


def method_table(model: nn.Module) -> tuple[tuple[MethodInfo, dict[str, str] | None], ...]:
    """Every registered method with None where it applies to ``model``, else why not (en, zh)."""
    return tuple((info, applicability(model, name)) for name, info in METHODS.items())


def uses_hooks(method: str, params: MethodParams) -> bool:
    """Whether captum registers hooks on the model for this request (NoiseTunnel over guided
    backprop does, though NoiseTunnel itself does not)."""
    nt_guided = method in ("smoothgrad", "smoothgrad_sq", "vargrad") and params.nt_base == "guided_backprop"
    return method_info(method).hooks or nt_guided


def _windows(size: int, window: int, stride: int) -> int:
    return (size - window) // stride + 1 if size >= window else 0


def forward_passes(
    method: str, params: MethodParams, x: AttributionInput, *, n_features: int | None = None
) -> int:
    """Images the request sends through the network, computed before running.

    A forward with a backward counts once, as for captum's own batching. ``n_features`` is the
    feature mask's size for FeatureAblation and ShapleyValueSampling (computed when None).
    """
    p = params
    h, w = x.size
    if method in ("feature_ablation", "shapley") and n_features is None:
        n_features = int(feature_mask(x, p.mask, cell=p.cell, n_segments=p.n_segments).max()) + 1
    base = {"integrated_gradients": p.steps}
    costs = {
        "integrated_gradients": p.steps,
        "smoothgrad": p.nt_samples * base.get(p.nt_base, 1),
        "gradient_shap": p.shap_samples,
        "deeplift": 2,
        "deeplift_shap": 2 * p.shap_baselines,
        "occlusion": 1 + _windows(h, p.window, p.stride) * _windows(w, p.window, p.stride),
        "feature_ablation": 1 + (n_features or 0),
        "shapley": 1 + p.shapley_samples * (n_features or 0),
    }
    costs["smoothgrad_sq"] = costs["vargrad"] = costs["smoothgrad"]
    costs["guided_gradcam"] = costs["lrp"] = 2  # captum runs two forwards for these
    return int(costs.get(method, 1))


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


def _layer(model: nn.Module, name: str) -> nn.Module:
    try:
        return model.get_submodule("maxpool" if name == "stem" else name)
    except AttributeError:
        raise AttributionError(f"the model has no layer called {name[:60]!r}") from None


@dataclass
class _Ctx:
    net: Metered
    model: nn.Module
    x: Tensor
    target: int
    p: MethodParams
    inp: AttributionInput

    def baseline(self) -> Tensor:
        return make_baseline(self.inp, self.p.baseline, seed=self.p.seed).to(self.x.device)

    def distribution(self) -> Tensor:
        return baseline_distribution(self.inp, self.p.shap_baselines, seed=self.p.seed).to(self.x.device)

    def mask(self) -> Tensor:
        return feature_mask(self.inp, self.p.mask, cell=self.p.cell, n_segments=self.p.n_segments).to(
            self.x.device
        )

    def noise_std(self) -> float:
        x = self.x.detach()
        return float(self.p.stdev * (x.max() - x.min()))


def _gradcam(c: _Ctx) -> Tensor:
    a = LayerGradCam(c.net, _layer(c.model, c.p.layer)).attribute(
        c.x, target=c.target, relu_attributions=True
    )
    if a.dim() != 4:
        raise AttributionError(f"layer {c.p.layer[:60]!r} does not produce a feature map")
    return LayerAttribution.interpolate(a, tuple(c.x.shape[-2:]), interpolate_mode="bilinear")


def _noise_tunnel(c: _Ctx, nt_type: str) -> Tensor:
    base = {
        "saliency": lambda: Saliency(c.net),
        "input_x_gradient": lambda: InputXGradient(c.net),
        "integrated_gradients": lambda: IntegratedGradients(c.net),
        "guided_backprop": lambda: GuidedBackprop(c.net),
    }[c.p.nt_base]()
    kw: dict[str, Any] = {}
    if c.p.nt_base == "integrated_gradients":
        kw = {"baselines": c.baseline(), "n_steps": c.p.steps, "internal_batch_size": c.p.batch}
    elif c.p.nt_base == "saliency":
        kw = {"abs": False}  # SmoothGrad averages signed gradients (Smilkov et al., eq. 3)
    return NoiseTunnel(base).attribute(
        c.x,
        nt_type=nt_type,
        nt_samples=c.p.nt_samples,
        stdevs=c.noise_std(),
        target=c.target,
        nt_samples_batch_size=1 if "n_steps" in kw else min(c.p.nt_samples, c.p.batch),
        **kw,
    )


_RUNNERS: dict[str, Callable[[_Ctx], Tensor]] = {
    "gradcam": _gradcam,
    "guided_gradcam": lambda c: GuidedGradCam(c.net, _layer(c.model, c.p.layer)).attribute(
        c.x, target=c.target
    ),
    "guided_backprop": lambda c: GuidedBackprop(c.net).attribute(c.x, target=c.target),
    "deconvolution": lambda c: Deconvolution(c.net).attribute(c.x, target=c.target),
    "saliency": lambda c: Saliency(c.net).attribute(c.x, target=c.target, abs=True),
    "input_x_gradient": lambda c: InputXGradient(c.net).attribute(c.x, target=c.target),
    "integrated_gradients": lambda c: IntegratedGradients(c.net).attribute(
        c.x, baselines=c.baseline(), target=c.target, n_steps=c.p.steps, internal_batch_size=c.p.batch
    ),
    "smoothgrad": lambda c: _noise_tunnel(c, "smoothgrad"),
    "smoothgrad_sq": lambda c: _noise_tunnel(c, "smoothgrad_sq"),
    "vargrad": lambda c: _noise_tunnel(c, "vargrad"),
    "gradient_shap": lambda c: GradientShap(c.net).attribute(
        c.x, baselines=c.distribution(), n_samples=c.p.shap_samples, stdevs=c.noise_std(), target=c.target
    ),
    "deeplift": lambda c: DeepLift(c.net).attribute(c.x, baselines=c.baseline(), target=c.target),
    "deeplift_shap": lambda c: DeepLiftShap(c.net).attribute(
        c.x, baselines=c.distribution(), target=c.target
    ),
    "occlusion": lambda c: Occlusion(c.net).attribute(
        c.x,
        sliding_window_shapes=(3, c.p.window, c.p.window),
        strides=(3, c.p.stride, c.p.stride),
        baselines=c.baseline(),
        target=c.target,
        perturbations_per_eval=c.p.batch,
    ),
    "feature_ablation": lambda c: FeatureAblation(c.net).attribute(
        c.x, baselines=c.baseline(), target=c.target, feature_mask=c.mask(), perturbations_per_eval=c.p.batch
    ),
    "shapley": lambda c: ShapleyValueSampling(c.net).attribute(
        c.x,
        baselines=c.baseline(),
        target=c.target,
        feature_mask=c.mask(),
        n_samples=c.p.shapley_samples,
        perturbations_per_eval=c.p.batch,
    ),
    "lrp": lambda c: LRP(c.net).attribute(c.x, target=c.target),
}


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
        if method == "lrp":
            lrp_rules(work)
        x = x.detach().to(device).clone().requires_grad_(True)  # captum would warn and do it
        ctx = _Ctx(net=net, model=work, x=x, target=target, p=params, inp=inp)
        with torch.enable_grad():
            return _RUNNERS[method](ctx).detach()


def _check_target(model: nn.Module, target: int) -> int:
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
    target = _check_target(model, target)
    if not isinstance(budget, int) or not 1 <= budget <= MAX_BUDGET:
        raise AttributionError(f"budget must be between 1 and {MAX_BUDGET} forward passes")
    why = applicability(model, method)
    if why is not None:
        raise AttributionError(f"{info.label} does not apply to this model: {why['en']}")
    if info.family == "cam":
        _layer(model, params.layer)
    planned = forward_passes(method, params, inp)
    if planned > budget:
        raise AttributionBudgetError(
            f"{info.label} would send {planned:,} images through the network; the limit per request is "
            f"{budget:,}: lower its samples or steps, or raise the stride or cell size"
        )
    t0 = time.perf_counter()
    private = (uses_hooks(method, params) and isolate) or method == "lrp"
    # captum's LRP also writes rules onto the modules: never on the caller's model
    work = copy.deepcopy(model) if private else model
    net = Metered(work, planned, progress, cancel)
    raw = run_captum(net, inp.tensor, inp, method=method, target=target, params=params)  # (1, C, H, W)
    hw_map = raw.detach().float().sum(dim=1)[0].cpu().numpy().astype(np.float32)  # (H, W)
    note = {"en": "", "zh": ""}
    if method == "gradcam":
        note = {
            "en": f"rectified (ReLU) at {params.layer}, bilinearly upsampled",
            "zh": f"在 {params.layer} 处取正部 (ReLU)，双线性上采样",
        }
    return Attribution(
        method=method,
        label=info.label,
        target=target,
        map=hw_map,
        time_s=time.perf_counter() - t0,
        forward_passes=net.count,
        params=params.used_by(method),
        note=note,
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
    "grid_mask",
    "method_info",
    "method_table",
    "restored",
    "run_captum",
    "seeded",
    "uses_hooks",
]
