"""The registry of captum's methods that fit a ResNet: one row per method.

Each row (:class:`MethodInfo`) holds everything known about a method: its label and family, the
options it reads, the captum class that computes it (its *runner*), and what it costs (its
*cost*: images through the network, computed before anything runs). :func:`applicability` says
whether a method fits a model (captum's LRP has no rule for some layers).

A runner batches its images by ``MethodParams.batch`` (captum's ``internal_batch_size`` /
``perturbations_per_eval``; GradientShap and DeepLiftShap in chunks of samples), so that one
request's peak memory is set by ``batch``, whatever its steps or samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

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

from ..errors import Term
from .inputs import (
    BASELINES,
    MASK_KINDS,
    AttributionError,
    AttributionInput,
    baseline_distribution,
    feature_mask,
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


# ------------------------------------------------------------------------------- the runners


@dataclass
class MethodRun:
    """What a runner is given: the metered network, the model inside it, the input and options.

    Attributes:
        net: the network captum calls (a metered wrapper whose ``inner`` is ``model``).
        model: the classifier itself (for layers such as Grad-CAM's).
        x: (1, 3, H, W) input with ``requires_grad``.
        target: class index.
        p: the options.
        inp: the picture, for baselines and feature masks.
    """

    net: nn.Module
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
        return feature_mask(self.inp, self.p.mask, cell=self.p.cell, n_segments=self.p.n_segments).to(self.x.device)

    def noise_std(self) -> float:
        x = self.x.detach()
        return float(self.p.stdev * (x.max() - x.min()))


def layer_of(model: nn.Module, name: str) -> nn.Module:
    """The module a layer name picks ("stem" is the stem's last module)."""
    try:
        return model.get_submodule("maxpool" if name == "stem" else name)
    except AttributeError:
        raise AttributionError(f"the model has no layer called {name[:60]!r}", key="error.attr_no_layer",
                               name=repr(name[:60])) from None


def _gradcam(c: MethodRun) -> Tensor:
    a = LayerGradCam(c.net, layer_of(c.model, c.p.layer)).attribute(c.x, target=c.target, relu_attributions=True)
    if a.dim() != 4:
        raise AttributionError(f"layer {c.p.layer[:60]!r} does not produce a feature map")
    return LayerAttribution.interpolate(a, tuple(c.x.shape[-2:]), interpolate_mode="bilinear")


def _noise_tunnel(nt_type: str) -> Callable[[MethodRun], Tensor]:
    def run(c: MethodRun) -> Tensor:
        base = {
            "saliency": Saliency,
            "input_x_gradient": InputXGradient,
            "integrated_gradients": IntegratedGradients,
            "guided_backprop": GuidedBackprop,
        }[c.p.nt_base](c.net)
        kw: dict[str, Any] = {}
        if c.p.nt_base == "integrated_gradients":
            kw = {"baselines": c.baseline(), "n_steps": c.p.steps, "internal_batch_size": c.p.batch}
        elif c.p.nt_base == "saliency":
            kw = {"abs": False}  # SmoothGrad averages signed gradients (Smilkov et al., eq. 3)
        return NoiseTunnel(base).attribute(
            c.x, nt_type=nt_type, nt_samples=c.p.nt_samples, stdevs=c.noise_std(), target=c.target,
            nt_samples_batch_size=1 if "n_steps" in kw else min(c.p.nt_samples, c.p.batch), **kw,
        )

    return run


def _spans(n: int, chunk: int, *, least: int = 1) -> list[tuple[int, int]]:
    """(start, count) chunks of ``n`` samples, ``chunk`` at a time, none smaller than ``least``."""
    chunk = max(chunk, least)
    spans = [(s, min(chunk, n - s)) for s in range(0, n, chunk)]
    if len(spans) > 1 and spans[-1][1] < least:  # fold a too-small tail into the chunk before it
        (s, k), (_, tail) = spans[-2], spans.pop()
        spans[-1] = (s, k + tail)
    return spans


def _chunked_mean(spans: list[tuple[int, int]], attribute: Callable[[int, int], Tensor]) -> Tensor:
    """The mean over every sample of captum's estimator, run one span of samples at a time.

    ``attribute(start, k)`` is captum's mean over samples ``start..start+k``; the weighted mean
    of the spans is the mean over all of them. One span is captum's own call, unchanged.
    """
    if len(spans) == 1:
        return attribute(*spans[0])
    total = sum(attribute(s, k) * k for s, k in spans)
    return total / sum(k for _, k in spans)


def _gradient_shap(c: MethodRun) -> Tensor:
    dist, std = c.distribution(), c.noise_std()
    return _chunked_mean(_spans(c.p.shap_samples, c.p.batch), lambda _, k: GradientShap(c.net).attribute(
        c.x, baselines=dist, n_samples=k, stdevs=std, target=c.target))


def _deeplift_shap(c: MethodRun) -> Tensor:
    # DeepLift sends input and reference together (two images per baseline), and captum's
    # DeepLiftShap wants at least two baselines per call
    dist = c.distribution()
    return _chunked_mean(_spans(len(dist), c.p.batch // 2, least=2), lambda s, k: DeepLiftShap(c.net).attribute(
        c.x, baselines=dist[s : s + k], target=c.target))


def _lrp(c: MethodRun) -> Tensor:
    lrp_rules(c.model)  # captum reads a rule from every module: on the request's own copy
    return LRP(c.net).attribute(c.x, target=c.target)


# --------------------------------------------------------------------------------- the costs

Cost = Callable[[MethodParams, tuple[int, int], int], int]


def _windows(size: int, window: int, stride: int) -> int:
    return (size - window) // stride + 1 if size >= window else 0


def _occlusion_cost(p: MethodParams, size: tuple[int, int], _: int) -> int:
    return 1 + _windows(size[0], p.window, p.stride) * _windows(size[1], p.window, p.stride)


def _nt_cost(p: MethodParams, _: tuple[int, int], __: int) -> int:
    return p.nt_samples * (p.steps if p.nt_base == "integrated_gradients" else 1)


def _fixed(n: int) -> Cost:
    return lambda *_: n


# ---------------------------------------------------------------------------------- the rows


@dataclass(frozen=True)
class MethodInfo:
    """One method of the registry: everything the app knows about it, in one row.

    Attributes:
        name: the key ("gradcam", "integrated_gradients", ...).
        label: display name.
        captum: captum's class (and options) that computes it.
        family: "cam", "gradient", "reference" (baseline based), "perturbation" or "propagation".
        params: the :class:`MethodParams` fields it reads.
        hooks: whether captum registers hooks on the model (run on a private copy by default).
        signed: whether the map can be negative (Saliency and Grad-CAM here are not).
        paper: where the method comes from.
        runner: calls captum's class on a :class:`MethodRun`; (N, C, H, W) attributions.
        cost: images through the network, from (params, (H, W), features of the mask).
        fits: None when the method applies to a model, else why not (a :class:`~resnet_core.errors.Term`:
            English, and the catalogue key a page says it by).
        writes: the runner writes onto the model's modules (LRP's rules): always a private copy.
        note: a remark on the map for the page, from the options (a ``Term``; empty when none).
    """

    name: str
    label: str
    captum: str
    family: str
    params: tuple[str, ...]
    hooks: bool
    signed: bool
    paper: str
    runner: Callable[[MethodRun], Tensor] = field(repr=False, compare=False)
    cost: Cost = field(repr=False, compare=False)
    fits: Callable[[nn.Module], Term | None] = field(default=lambda _: None, repr=False, compare=False)
    writes: bool = False
    note: Callable[[MethodParams], Term] = field(default=lambda _: Term(""), repr=False, compare=False)


_NT = ("nt_base", "nt_samples", "stdev", "steps", "baseline", "batch", "seed")
_MASKED = ("mask", "cell", "n_segments")
#: every method this module offers, in display order
# fmt: off
METHODS: dict[str, MethodInfo] = {m.name: m for m in (
    # name, label, captum class, family, options, hooks, signed, paper; runner; cost (images)
    MethodInfo("gradcam", "Grad-CAM", "LayerGradCam(relu_attributions=True)", "cam", ("layer",), True, False,
               "https://arxiv.org/abs/1610.02391", _gradcam, _fixed(1),
               note=lambda p: Term(f"rectified (ReLU) at {p.layer}, bilinearly upsampled", "attributions.note_gradcam",
                                   layer=p.layer)),
    MethodInfo("guided_gradcam", "Guided Grad-CAM", "GuidedGradCam", "cam", ("layer",), True, True,
               "https://arxiv.org/abs/1610.02391",
               lambda c: GuidedGradCam(c.net, layer_of(c.model, c.p.layer)).attribute(c.x, target=c.target),
               _fixed(2)),  # captum runs two forwards
    MethodInfo("guided_backprop", "Guided Backprop", "GuidedBackprop", "gradient", (), True, True,
               "https://arxiv.org/abs/1412.6806",
               lambda c: GuidedBackprop(c.net).attribute(c.x, target=c.target), _fixed(1)),
    MethodInfo("deconvolution", "Deconvolution", "Deconvolution", "gradient", (), True, True,
               "https://arxiv.org/abs/1311.2901",
               lambda c: Deconvolution(c.net).attribute(c.x, target=c.target), _fixed(1)),
    MethodInfo("saliency", "Saliency", "Saliency(abs=True)", "gradient", (), False, False,
               "https://arxiv.org/abs/1312.6034",
               lambda c: Saliency(c.net).attribute(c.x, target=c.target, abs=True), _fixed(1)),
    MethodInfo("input_x_gradient", "Input x Gradient", "InputXGradient", "gradient", (), False, True,
               "https://arxiv.org/abs/1605.01713",
               lambda c: InputXGradient(c.net).attribute(c.x, target=c.target), _fixed(1)),
    MethodInfo("integrated_gradients", "Integrated Gradients", "IntegratedGradients", "reference",
               ("steps", "baseline", "batch"), False, True, "https://arxiv.org/abs/1703.01365",
               lambda c: IntegratedGradients(c.net).attribute(
                   c.x, baselines=c.baseline(), target=c.target, n_steps=c.p.steps, internal_batch_size=c.p.batch),
               lambda p, *_: p.steps),
    MethodInfo("smoothgrad", "SmoothGrad", "NoiseTunnel(nt_type='smoothgrad')", "gradient", _NT, False, True,
               "https://arxiv.org/abs/1706.03825", _noise_tunnel("smoothgrad"), _nt_cost),
    MethodInfo("smoothgrad_sq", "SmoothGrad²", "NoiseTunnel(nt_type='smoothgrad_sq')", "gradient", _NT, False, False,
               "https://arxiv.org/abs/1806.10758", _noise_tunnel("smoothgrad_sq"), _nt_cost),
    MethodInfo("vargrad", "VarGrad", "NoiseTunnel(nt_type='vargrad')", "gradient", _NT, False, False,
               "https://arxiv.org/abs/1810.03307", _noise_tunnel("vargrad"), _nt_cost),
    MethodInfo("gradient_shap", "GradientShap", "GradientShap", "reference",
               ("shap_samples", "shap_baselines", "stdev", "batch", "seed"), False, True,
               "https://arxiv.org/abs/1705.07874", _gradient_shap, lambda p, *_: p.shap_samples),
    MethodInfo("deeplift", "DeepLift", "DeepLift", "reference", ("baseline",), True, True,
               "https://arxiv.org/abs/1704.02685",
               lambda c: DeepLift(c.net).attribute(c.x, baselines=c.baseline(), target=c.target), _fixed(2)),
    MethodInfo("deeplift_shap", "DeepLiftShap", "DeepLiftShap", "reference", ("shap_baselines", "batch", "seed"),
               True, True, "https://arxiv.org/abs/1705.07874", _deeplift_shap, lambda p, *_: 2 * p.shap_baselines),
    MethodInfo("occlusion", "Occlusion", "Occlusion", "perturbation", ("window", "stride", "baseline", "batch"),
               False, True, "https://arxiv.org/abs/1311.2901",
               lambda c: Occlusion(c.net).attribute(
                   c.x, sliding_window_shapes=(3, c.p.window, c.p.window), strides=(3, c.p.stride, c.p.stride),
                   baselines=c.baseline(), target=c.target, perturbations_per_eval=c.p.batch),
               _occlusion_cost),
    MethodInfo("feature_ablation", "Feature Ablation", "FeatureAblation", "perturbation",
               (*_MASKED, "baseline", "batch"), False, True, "https://captum.ai/api/feature_ablation.html",
               lambda c: FeatureAblation(c.net).attribute(
                   c.x, baselines=c.baseline(), target=c.target, feature_mask=c.mask(), perturbations_per_eval=c.p.batch),
               lambda p, size, features: 1 + features),
    MethodInfo("shapley", "Shapley Value Sampling", "ShapleyValueSampling", "perturbation",
               (*_MASKED, "shapley_samples", "baseline", "batch", "seed"), False, True,
               "https://doi.org/10.1016/j.cor.2008.04.004",
               lambda c: ShapleyValueSampling(c.net).attribute(
                   c.x, baselines=c.baseline(), target=c.target, feature_mask=c.mask(), n_samples=c.p.shapley_samples,
                   perturbations_per_eval=c.p.batch),
               lambda p, size, features: 1 + p.shapley_samples * features),
    MethodInfo("lrp", "LRP (epsilon)", "LRP", "propagation", (), True, True,
               "https://doi.org/10.1371/journal.pone.0130140",
               _lrp, _fixed(2), fits=lrp_problem, writes=True),  # captum runs two forwards
)}
# fmt: on


def method_info(method: str) -> MethodInfo:
    try:
        return METHODS[method]
    except (KeyError, TypeError):
        raise AttributionError(
            f"unknown method {str(method)[:40]!r}; use one of {', '.join(METHODS)}"
        ) from None


def applicability(model: nn.Module, method: str) -> Term | None:
    """None when ``method`` applies to ``model``, else why not: English, with the catalogue key
    (and fields) a page says it by in its reader's language."""
    return method_info(method).fits(model)


def method_table(model: nn.Module) -> tuple[tuple[MethodInfo, Term | None], ...]:
    """Every registered method with None where it applies to ``model``, else why not (a ``Term``)."""
    return tuple((info, applicability(model, name)) for name, info in METHODS.items())


def uses_hooks(method: str, params: MethodParams) -> bool:
    """Whether captum registers hooks on the model for this request (NoiseTunnel over guided
    backprop does, though NoiseTunnel itself does not)."""
    nt_guided = method in ("smoothgrad", "smoothgrad_sq", "vargrad") and params.nt_base == "guided_backprop"
    return method_info(method).hooks or nt_guided


def forward_passes(
    method: str, params: MethodParams, x: AttributionInput, *, n_features: int | None = None
) -> int:
    """Images the request sends through the network, computed before running.

    A forward with a backward counts once, as for captum's own batching. ``n_features`` is the
    feature mask's size for FeatureAblation and ShapleyValueSampling (computed when None).
    """
    info = method_info(method)
    if "mask" in info.params and n_features is None:
        n_features = int(feature_mask(x, params.mask, cell=params.cell, n_segments=params.n_segments).max()) + 1
    return int(info.cost(params, x.size, n_features or 0))
