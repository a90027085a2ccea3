"""Shattered gradients: how the input gradient changes along a line of inputs, at initialization.

Balduzzi et al., "The Shattered Gradients Problem: If resnets are the answer, then what is the
question?" (https://arxiv.org/abs/1702.08591): as a plain network gets deeper, the gradient of
its output with respect to its input, taken at nearby inputs, decorrelates until it resembles
white noise, while a ResNet's gradient stays correlated (its autocorrelation falls off slowly
with depth). Their Fig. 1 plots the gradient of a network with one input along a line of
inputs; here the input is an image, so the line is ``x(t) = start + t * direction`` and the
signal is the directional derivative ``d/dt  u . f(x(t))`` of a fixed random readout ``u`` of
the logits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ..model import ResNet
from ..specs import cifar_spec
from ._common import LabError, NetKind, check_cifar_depth, check_int, check_seed, seeded, shown

#: depths offered by default: the paper's CIFAR depths (section 4.2 of He et al.)
SHATTER_DEPTHS: tuple[int, ...] = (8, 20, 56, 110)
MAX_SHATTER_DEPTH = 110
MAX_SHATTER_POINTS = 512
#: the work bound: points x depths summed; 256 points at 8+20+56+110 is about 50k
MAX_SHATTER_WORK = 256 * 200


@dataclass(frozen=True)
class ShatterCurve:
    """The gradient of one network along the line, and its autocorrelation.

    Attributes:
        kind: "plain", "residual" or "preact".
        name: "Plain-56", "ResNet-56", "PreAct ResNet-56".
        depth: 6n+2 layers.
        t: (T,) positions along the line, in [-1, 1].
        gradient: (T,) ``d/dt u . f(x(t))``, float64.
        lags: (K,) lags in points, from 0.
        autocorr: (K,) autocorrelation of ``gradient`` at each lag (1 at lag 0).
    """

    kind: NetKind
    name: str
    depth: int
    t: np.ndarray
    gradient: np.ndarray
    lags: np.ndarray
    autocorr: np.ndarray

    @property
    def lag1(self) -> float:
        """Autocorrelation between neighbouring points: near 0 is white noise at lag 1 (shattered)."""
        return float(self.autocorr[1]) if len(self.autocorr) > 1 else 1.0

    @property
    def correlation_length(self) -> int:
        """The first lag at which the autocorrelation drops below 1/e (points); the largest lag
        computed, plus one, if it never does."""
        below = np.nonzero(self.autocorr < np.exp(-1.0))[0]
        return int(self.lags[below[0]]) if len(below) else int(self.lags[-1]) + 1


@dataclass(frozen=True)
class Shattering:
    """One :func:`shattering` run: plain, ResNet and preact at several depths, one line.

    Attributes:
        depths: the depths measured.
        points: points along the line.
        input_size: side of the square input images.
        norm: batch normalization in every network.
        seed: seed of the weights, the line and the readout.
        curves: for each depth, plain, residual and preact, in that order.
    """

    depths: tuple[int, ...]
    points: int
    input_size: int
    norm: bool
    seed: int
    curves: tuple[ShatterCurve, ...]

    def curve(self, kind: NetKind, depth: int) -> ShatterCurve:
        for c in self.curves:
            if c.kind == kind and c.depth == depth:
                return c
        raise KeyError((kind, depth))


def autocorrelation(signal: np.ndarray, max_lag: int) -> np.ndarray:
    """``r(k) = sum_t (g_t - m)(g_{t+k} - m) / sum_t (g_t - m)^2`` for ``k = 0..max_lag``.

    The usual biased estimator (one normaliser for every lag), so ``r`` is a valid
    autocorrelation sequence. A constant signal has no variation to correlate: all ones.
    """
    g = np.asarray(signal, dtype=np.float64) - np.mean(signal)
    denom = float(g @ g)
    lags = min(max_lag, len(g) - 1)
    if denom <= 0:
        return np.ones(lags + 1)
    return np.array([float(g[: len(g) - k] @ g[k:]) / denom for k in range(lags + 1)])


def calibrate_batchnorm(model: nn.Module, images: Tensor) -> nn.Module:
    """Set every BN layer's running statistics to those of ``images``, then eval mode.

    In eval mode each point on the line is computed on its own (in train mode BN would mix the
    points of one batch), normalised as the first training batch would be.
    """
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: after one batch, exactly its statistics
    model.train()
    with torch.no_grad():
        model(images)
    for m, momentum in zip(bns, saved):
        m.momentum = momentum
    return model.eval()


def line_gradient(
    model: nn.Module, start: Tensor, direction: Tensor, t: Tensor, readout: Tensor
) -> np.ndarray:
    """``d/dt readout . model(start + t * direction)`` at each ``t``, in one backward pass.

    Args:
        model: used in the mode it is in (eval mode keeps the points independent).
        start: (3, H, W) a point on the line.
        direction: (3, H, W) the line's direction.
        t: (T,) positions.
        readout: (num_classes,) the fixed linear readout of the logits.

    Returns:
        (T,) float64.
    """
    with torch.enable_grad():
        x = (
            (start[None] + t[:, None, None, None] * direction[None]).detach().requires_grad_(True)
        )  # (T, 3, H, W)
        out = model(x) @ readout  # (T,)
        (grad,) = torch.autograd.grad(out.sum(), x)  # points are independent: row i is d out_i / d x_i
    return (grad * direction[None]).sum(dim=(1, 2, 3)).detach().double().numpy()


def _models(depth: int, norm: bool, seed: int) -> Iterator[tuple[NetKind, str, ResNet]]:
    for kind, variant, shortcuts, name in (
        ("plain", "v1", False, f"Plain-{depth}"),
        ("residual", "v1", True, f"ResNet-{depth}"),
        ("preact", "preact", True, f"PreAct ResNet-{depth}"),
    ):
        with seeded(seed):
            yield (
                kind,
                name,
                ResNet(
                    cifar_spec(depth),
                    variant=variant,
                    norm=norm,
                    shortcuts=shortcuts,
                    num_classes=10,
                    shortcut_kind="A",
                ),
            )


def shattering_steps(
    *,
    depths: Sequence[int] = SHATTER_DEPTHS,
    points: int = 256,
    input_size: int = 8,
    norm: bool = True,
    max_lag: int = 32,
    seed: int = 0,
) -> Iterator[tuple[float, Shattering]]:
    """:func:`shattering` as a generator: ``(fraction done, result so far)`` after each depth.

    Every result lists, in ``depths``, only the depths measured so far (all three networks),
    so every ``(kind, depth)`` it lists can be looked up; the last one is :func:`shattering`'s.
    """
    depths = _check_shatter_args(depths, points, input_size, max_lag)
    check_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    start = torch.randn(3, input_size, input_size, generator=gen)
    direction = torch.randn(3, input_size, input_size, generator=gen)
    readout = torch.randn(10, generator=gen)
    readout /= readout.norm()
    calibration = torch.randn(64, 3, input_size, input_size, generator=gen)  # (64, 3, H, W)
    t = torch.linspace(-1.0, 1.0, points)
    curves: list[ShatterCurve] = []
    for done, depth in enumerate(depths, start=1):
        for kind, name, model in _models(depth, norm, seed):
            if norm:
                calibrate_batchnorm(model, calibration)
            else:
                model.eval()
            g = line_gradient(model, start, direction, t, readout)
            ac = autocorrelation(g, max_lag)
            curves.append(
                ShatterCurve(
                    kind=kind,
                    name=name,
                    depth=depth,
                    t=t.double().numpy(),
                    gradient=g,
                    lags=np.arange(len(ac)),
                    autocorr=ac,
                )
            )
        # a partial result lists only the depths whose three networks are all measured, so a
        # reader may ask for any (kind, depth) it lists (the verdict reads the deepest)
        yield done / len(depths), Shattering(
            depths=depths[:done],
            points=points,
            input_size=input_size,
            norm=norm,
            seed=seed,
            curves=tuple(curves),
        )


def shattering(
    *,
    depths: Sequence[int] = SHATTER_DEPTHS,
    points: int = 256,
    input_size: int = 8,
    norm: bool = True,
    max_lag: int = 32,
    seed: int = 0,
) -> Shattering:
    """The input gradient along a line of inputs, for plain, ResNet and preact CIFAR networks.

    All networks are fresh, at initialization, with BN calibrated on a batch of Gaussian
    images (see :func:`calibrate_batchnorm`). The line runs between two Gaussian images,
    ``start - direction`` and ``start + direction``, through ``points`` evenly spaced inputs.

    Args:
        depths: 6n+2 depths, each at most 110.
        points: inputs along the line (16-512); points x sum of depths is bounded too.
        input_size: side of the square input (8-32).
        norm: batch normalization on or off.
        max_lag: the largest lag of the autocorrelation.
        seed: seeds the weights, the line and the readout.

    Raises:
        LabError: a depth that is not 6n+2 or over the cap, or sizes out of range.
    """
    *_, (_, result) = shattering_steps(
        depths=depths, points=points, input_size=input_size, norm=norm, max_lag=max_lag, seed=seed
    )
    return result


def _check_shatter_args(
    depths: object, points: object, input_size: object, max_lag: object
) -> tuple[int, ...]:
    ds = tuple(depths) if isinstance(depths, (tuple, list)) else ()
    if not 1 <= len(ds) <= 6:
        raise LabError(f"give one to six depths, got {shown(depths)}", key="error.lab_depths_six",
                       got=shown(depths))
    for d in ds:
        check_cifar_depth(d, MAX_SHATTER_DEPTH)
    check_int("points", points, 16, MAX_SHATTER_POINTS)
    check_int("input_size", input_size, 8, 32)
    check_int("max_lag", max_lag, 1, points - 1)
    work = points * sum(ds) * (input_size / 16) ** 2
    if work > MAX_SHATTER_WORK:
        raise LabError(
            f"points x sum of depths x (input_size/16)^2 = {work:,.0f} is over {MAX_SHATTER_WORK:,}",
            key="error.shatter_work", work=work, limit=MAX_SHATTER_WORK,
        )
    return ds
