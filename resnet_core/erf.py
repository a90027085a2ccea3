"""The effective receptive field (Luo et al. 2016, https://arxiv.org/abs/1701.04128).

Luo et al. set the gradient at one output position (the centre) to one and back-propagate it
to the input: the magnitude of the input gradient, averaged over many inputs, is the
*effective* receptive field. They show it is roughly Gaussian, occupies a small fraction of
the theoretical field (shrinking as 1/√n with n layers), and grows during training.

Here the centre unit of a stage or block is back-propagated (all its channels at once) for
random-noise inputs and for a person's picture, through the trained weights and through the
same architecture with random weights. The size is read as the radius of the smallest centred
square holding 95 % of the gradient mass, as a fraction of the theoretical field.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

from .errors import UserError
from .model import ResNet
from .preprocess import MAX_INPUT_SIZE, Preprocess, prepare
from .receptive import Field, features_at, receptive_fields
from .studies import StudyContext, study
from .zoo import ModelKey

#: the share of the gradient mass the effective radius holds (95 %, as the issue and common use)
MASS = 0.95
#: "a small fraction": the square holding 95 % of the effect covers under half the theoretical area,
#: so most of the theoretical field carries less than 5 % of it. Luo et al. find the effective field
#: a small part of the theoretical one (their Fig. 1 and section 2.4)
SMALL_AREA = 0.5
#: "Gaussian-shaped": both marginals' excess kurtosis within ±1 (a Gaussian has 0, a flat
#: profile −1.2, a Laplace 3), the shape Luo et al. derive (section 2.1) and show (Fig. 1)
GAUSSIAN_KURTOSIS = 1.0
#: "grew with training": the trained fraction more than 5 % over the random one (the radius moves in
#: whole pixels, so smaller differences are within its resolution at small fields)
GREW_MARGIN = 1.05
MAX_NOISE_IMAGES = 64
#: inputs back-propagated at once: the memory of a request is that of this many pictures
CHUNK = 4


@dataclass(frozen=True)
class Progress:
    """A study's progress: ``done`` of ``total`` steps, and what it is doing."""

    done: int
    total: int
    what: str


def input_gradient(fn: Callable[[Tensor], Tensor], x: Tensor) -> np.ndarray:
    """``|∂ Σ_c y[c, centre] / ∂x|`` summed over input channels, for each input of the batch.

    Args:
        fn: the network up to the layer, (B, C_in, H, W) -> (B, C, h, w); the inputs of a batch
            must not interact (eval-mode BN), so one backward pass serves them all.
        x: the inputs (B, C_in, H, W).

    Returns:
        (B, H, W) float64: the gradient magnitude of each input's centre unit, (h // 2, w // 2).
    """
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = fn(x)  # (B, C, h, w)
        h, w = y.shape[-2:]
        y[:, :, h // 2, w // 2].sum().backward()
    return x.grad.detach().abs().sum(1).double().cpu().numpy()


def mass_radius(grad: np.ndarray, centre: tuple[int, int], *, mass: float = MASS) -> int:
    """The half-side of the smallest square centred on ``centre`` that holds ``mass`` of ``grad``'s total.

    Raises:
        ValueError: the map is empty or has no mass.
    """
    total = float(grad.sum())
    if grad.ndim != 2 or total <= 0:
        raise UserError("the gradient map is empty: nothing reaches the input from this unit", key="error.erf_empty")
    cy, cx = centre
    h, w = grad.shape
    for r in range(max(h, w) + 1):
        inside = grad[max(0, cy - r) : cy + r + 1, max(0, cx - r) : cx + r + 1].sum()
        if inside >= mass * total:
            return r
    return max(h, w)  # pragma: no cover - the whole map holds all its mass


def excess_kurtosis(grad: np.ndarray) -> tuple[float, float]:
    """Excess kurtosis of the map's row and column marginals (0 for a Gaussian, −1.2 flat)."""
    out = []
    for axis in (1, 0):
        p = grad.sum(axis)
        p = p / p.sum()
        i = np.arange(p.size, dtype=np.float64)
        mean = (p * i).sum()
        var = (p * (i - mean) ** 2).sum()
        out.append(float((p * (i - mean) ** 4).sum() / var**2 - 3.0) if var > 0 else float("nan"))
    return out[0], out[1]


@dataclass(frozen=True)
class ErfMap:
    """One effective field.

    Attributes:
        weights: "trained" or "random".
        source: "noise" (averaged over random inputs) or "picture" (the person's picture).
        images: inputs averaged.
        grad: (H, W) mean gradient magnitude over the whole input (float32).
        box: the theoretical field of the centre unit (top, left, bottom, right), clipped.
        centre: its centre pixel (y, x).
        theoretical: the theoretical side in pixels (unclipped).
        radius: half-side of the square holding :data:`MASS` of the gradient.
        fraction: ``(2·radius + 1) / theoretical``, a side over a side.
        kurtosis: excess kurtosis of the row and column marginals.
    """

    weights: str
    source: str
    images: int
    grad: np.ndarray
    box: tuple[int, int, int, int]
    centre: tuple[int, int]
    theoretical: int
    radius: int
    fraction: float
    kurtosis: tuple[float, float]

    @property
    def clipped(self) -> bool:
        """Whether the theoretical field is larger than the input (its box cut by the border)."""
        top, left, bottom, right = self.box
        return bottom - top + 1 < self.theoretical or right - left + 1 < self.theoretical

    @property
    def area(self) -> float:
        """The share of the theoretical field's area inside the 95 % square."""
        return min(1.0, self.fraction) ** 2

    @property
    def gaussian(self) -> bool:
        return all(abs(k) <= GAUSSIAN_KURTOSIS for k in self.kurtosis)


def erf_map(
    fn: Callable[[Tensor], Tensor], x: Tensor, field: Field, *, weights: str, source: str, chunk: int = CHUNK,
    check: Callable[[], None] = lambda: None,
) -> ErfMap:
    """The mean gradient map of ``x``'s centre units, measured against ``field`` (the layer's theory).

    The inputs go through in chunks of ``chunk``, so memory stays that of a few pictures however
    many are averaged; ``check`` runs between chunks (a cancelled request stops there).
    """
    total = None
    for part in x.split(chunk):
        check()
        g = input_gradient(fn, part).sum(0)  # (H, W)
        total = g if total is None else total + g
    grad = total / x.shape[0]
    h, w = field.out_hw
    pos = (h // 2, w // 2)
    cy, cx = (int(round(v)) for v in field.centre(*pos))
    radius = mass_radius(grad, (cy, cx))
    return ErfMap(
        weights, source, int(x.shape[0]), grad.astype(np.float32), field.box(*pos, tuple(x.shape[-2:])), (cy, cx),
        field.size, radius, (2 * radius + 1) / field.size, excess_kurtosis(grad),
    )


@dataclass(frozen=True)
class ErfVerdict:
    """What the measurements say, by the rules above (each None where it was not measured)."""

    small: bool
    gaussian: bool
    grew: bool | None


@dataclass(frozen=True)
class ErfResult:
    """Effective fields of one layer for trained and random weights.

    Attributes:
        model_name: the network.
        trained_source: where the trained weights came from ("toy:...", "IMAGENET1K_V2"), or None
            where this server has none for the architecture (then only random weights are measured).
        layer: the stage or block.
        input_size: (H, W).
        maps: noise-averaged maps (trained first where measured, then random), then the picture's map.
        picture: the picture as the network saw it (H, W, 3) uint8, or None.
    """

    model_name: str
    trained_source: str | None
    layer: str
    input_size: tuple[int, int]
    maps: tuple[ErfMap, ...]
    picture: np.ndarray | None

    def get(self, weights: str, source: str = "noise") -> ErfMap | None:
        return next((m for m in self.maps if m.weights == weights and m.source == source), None)

    @property
    def verdict(self) -> ErfVerdict:
        trained, random = self.get("trained"), self.get("random")
        main = trained or random
        grew = None if trained is None else trained.fraction > random.fraction * GREW_MARGIN
        return ErfVerdict(main.area < SMALL_AREA, main.gaussian, grew)


# ------------------------------------------------------------------------------ the study

_TOY_LOCK = threading.Lock()


@lru_cache(maxsize=4)
def _toy_pair(device: str) -> tuple[ResNet, ResNet, str, Preprocess]:
    """The shipped toy (trained) and its architecture with seeded random weights, read-only."""
    from .toy import TOY_PATH, TOY_PREPROCESS, build_toy, load_toy

    with _TOY_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        random = build_toy().eval()
    trained = load_toy().model
    for m in (trained, random):
        m.to(device).requires_grad_(False)
    return trained, random, f"toy:{TOY_PATH.name}", TOY_PREPROCESS


@dataclass(frozen=True, eq=False)
class ErfCall:
    """One effective-field request.

    Attributes:
        model: "toy" (the shipped ResNet trained on shapes) or "picked" (``key``).
        key: the picked model (ignored for "toy").
        checkpoint: the session's weights for ``key`` (a backend's CheckpointRef), or None.
        layer: stage or block ("layer3", "layer3.1").
        size: input side; None: 64 for the toy, the weights' crop size otherwise.
        picture: (H, W, 3) uint8, or None for noise only.
        noise: random inputs to average over (1 to :data:`MAX_NOISE_IMAGES`).
        seed: the noise's seed.
    """

    model: str = "toy"
    key: ModelKey | None = None
    checkpoint: object = None
    layer: str = "layer3"
    size: int | None = None
    picture: np.ndarray | None = None
    noise: int = 8
    seed: int = 0

    def __post_init__(self) -> None:
        if self.model not in ("toy", "picked"):
            raise ValueError(f"the model is 'toy' or 'picked', not {str(self.model)[:40]!r}")
        if self.model == "picked" and not isinstance(self.key, ModelKey):
            raise ValueError("a picked model needs its ModelKey")
        if self.size is not None and (isinstance(self.size, bool) or not isinstance(self.size, int)
                                      or not 16 <= self.size <= MAX_INPUT_SIZE):
            raise ValueError(f"the input size is a whole number from 16 to {MAX_INPUT_SIZE}, not {str(self.size)[:40]}")
        if isinstance(self.noise, bool) or not isinstance(self.noise, int) or not 1 <= self.noise <= MAX_NOISE_IMAGES:
            raise ValueError(f"average over 1 to {MAX_NOISE_IMAGES} noise images, not {str(self.noise)[:40]}")


def _models(ctx: StudyContext, call: ErfCall) -> tuple[ResNet | None, ResNet, str | None, Preprocess, int]:
    """(trained or None, random, trained source, preprocess, input side) for a call."""
    if call.model == "toy":
        trained, random, source, pre = _toy_pair(str(ctx.service.device))
        return trained, random, source, pre, call.size or 64
    size = call.size or 224
    served = ctx.resolve(call.key, call.checkpoint, size)
    random = ctx.resolve(ModelKey(call.key.depth, call.key.variant, "random"), None, size).model
    has_trained = served.weights.pretrained or call.checkpoint is not None
    source = served.weights.source if has_trained else None
    return (served.model if has_trained else None), random, source, served.weights.preprocess, size


@study("effective_receptive_field", call_type=ErfCall)
def effective_receptive_field(ctx: StudyContext, call: ErfCall) -> Iterator[Progress | ErfResult]:
    """Noise-averaged effective fields for trained and random weights, and the picture's field."""
    trained, random, source, pre, size = _models(ctx, call)
    field = receptive_fields(random, size).field(call.layer)
    if min(field.out_hw) < 1:
        raise UserError(f"{call.layer} has no output at {size}×{size}; choose a larger input", key="error.no_output",
                        layer=call.layer, height=size, width=size)
    device = next(random.parameters()).device
    gen = torch.Generator().manual_seed(int(call.seed))
    noise = torch.randn(call.noise, 3, size, size, generator=gen).to(device)  # (N, 3, S, S), in normalized units
    runs = [(m, w) for m, w in ((trained, "trained"), (random, "random")) if m is not None]
    total = len(runs) + (call.picture is not None)
    maps, view = [], None
    for done, (model, weights) in enumerate(runs):
        yield Progress(done, total, f"{weights} weights, {call.noise} noise images")
        ctx.check()
        maps.append(erf_map(lambda x, m=model: features_at(m, call.layer, x), noise, field, weights=weights, source="noise",
                            check=ctx.check))
    if call.picture is not None:
        yield Progress(len(runs), total, "the picture")
        ctx.check()
        prepared = prepare(call.picture, pre, mode="crop", size=size)
        view = prepared.view
        model, weights = runs[0]
        maps.append(erf_map(lambda x: features_at(model, call.layer, x), prepared.tensor.to(device), field,
                            weights=weights, source="picture"))
    name = (trained or random).name
    yield ErfResult(name, source, call.layer, (size, size), tuple(maps), view)


__all__ = [
    "GAUSSIAN_KURTOSIS",
    "MASS",
    "SMALL_AREA",
    "ErfCall",
    "ErfMap",
    "ErfResult",
    "ErfVerdict",
    "Progress",
    "effective_receptive_field",
    "erf_map",
    "excess_kurtosis",
    "input_gradient",
    "mass_radius",
]
