"""The registry of captum's methods that fit a ResNet: options, bounds, costs, what applies.

Nothing here runs a model: :func:`forward_passes` is what a request will cost, computed before
it runs, and :func:`applicability` says whether a method fits a model (captum's LRP has no rule
for some layers).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from .inputs import BASELINES, MASK_KINDS, AttributionError, AttributionInput, feature_mask
from .lrp import lrp_problem

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
# fmt: off
METHODS: dict[str, MethodInfo] = {m.name: m for m in (
    # name, label, captum class, family, options, hooks, signed; then the paper
    _info("gradcam", "Grad-CAM", "LayerGradCam(relu_attributions=True)", "cam", ("layer",), True, False,
          "https://arxiv.org/abs/1610.02391"),
    _info("guided_gradcam", "Guided Grad-CAM", "GuidedGradCam", "cam", ("layer",), True, True,
          "https://arxiv.org/abs/1610.02391"),
    _info("guided_backprop", "Guided Backprop", "GuidedBackprop", "gradient", (), True, True,
          "https://arxiv.org/abs/1412.6806"),
    _info("deconvolution", "Deconvolution", "Deconvolution", "gradient", (), True, True,
          "https://arxiv.org/abs/1311.2901"),
    _info("saliency", "Saliency", "Saliency(abs=True)", "gradient", (), False, False,
          "https://arxiv.org/abs/1312.6034"),
    _info("input_x_gradient", "Input x Gradient", "InputXGradient", "gradient", (), False, True,
          "https://arxiv.org/abs/1605.01713"),
    _info("integrated_gradients", "Integrated Gradients", "IntegratedGradients", "reference", ("steps", "baseline", "batch"), False, True,
          "https://arxiv.org/abs/1703.01365"),
    _info("smoothgrad", "SmoothGrad", "NoiseTunnel(nt_type='smoothgrad')", "gradient", _NT, False, True,
          "https://arxiv.org/abs/1706.03825"),
    _info("smoothgrad_sq", "SmoothGrad²", "NoiseTunnel(nt_type='smoothgrad_sq')", "gradient", _NT, False, False,
          "https://arxiv.org/abs/1806.10758"),
    _info("vargrad", "VarGrad", "NoiseTunnel(nt_type='vargrad')", "gradient", _NT, False, False,
          "https://arxiv.org/abs/1810.03307"),
    _info("gradient_shap", "GradientShap", "GradientShap", "reference", ("shap_samples", "shap_baselines", "stdev", "seed"), False, True,
          "https://arxiv.org/abs/1705.07874"),
    _info("deeplift", "DeepLift", "DeepLift", "reference", ("baseline",), True, True,
          "https://arxiv.org/abs/1704.02685"),
    _info("deeplift_shap", "DeepLiftShap", "DeepLiftShap", "reference", ("shap_baselines", "seed"), True, True,
          "https://arxiv.org/abs/1705.07874"),
    _info("occlusion", "Occlusion", "Occlusion", "perturbation", ("window", "stride", "baseline", "batch"), False, True,
          "https://arxiv.org/abs/1311.2901"),
    _info("feature_ablation", "Feature Ablation", "FeatureAblation", "perturbation", ("mask", "cell", "n_segments", "baseline", "batch"), False, True,
          "https://captum.ai/api/feature_ablation.html"),
    _info("shapley", "Shapley Value Sampling", "ShapleyValueSampling", "perturbation", ("mask", "cell", "n_segments", "shapley_samples", "baseline", "batch", "seed"), False, True,
          "https://doi.org/10.1016/j.cor.2008.04.004"),
    _info("lrp", "LRP (epsilon)", "LRP", "propagation", (), True, True,
          "https://doi.org/10.1371/journal.pone.0130140"),
)}
# fmt: on

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
