"""The loss landscape: a 2-D slice of the training loss around a briefly trained network.

Li et al., "Visualizing the Loss Landscape of Neural Nets" (https://arxiv.org/abs/1712.09913):
plot ``L(theta + a * d1 + b * d2)`` over a grid of ``(a, b)``, for two random directions
``d1, d2`` that are *filter-normalised* (each filter of a direction is scaled to the norm of the
same filter of the weights, section 4), so that slices of different networks are comparable.
Their Fig. 5 compares 20, 56 and 110 layers: plain-20's surface is benign, like ResNet-20's;
from 56 layers on the plain network's turns chaotic while the ResNet's stays smooth and nearly
convex. BN and bias parameters get a zero direction (section 4). They slice at a minimum (the
end of full training); a briefly trained network may still sit on a slope, where every step
downhill reads as a "dip", so the slice is re-centred on the lowest grid point until the centre
is the minimum (:data:`MAX_RECENTRE` times at most), and the surface records how far it moved.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..device import cpu_threads, pick_device
from ..errors import Term
from ._common import LabError, NetKind, check_cifar_depth, check_float, check_int, check_seed, read_saved
from .race import RACE_PRESETS, _race_model
from .synthetic import SyntheticData

MAX_LANDSCAPE_DEPTH = 56
MAX_GRID = 51
MAX_TRAIN_STEPS = 2000
#: on a CPU, 2 networks x grid^2 x depth stays under this: a 21 x 21 grid at depth 20
MAX_CPU_GRID_WORK = 2 * 21 * 21 * 20
#: re-slices at most, each centred on the previous slice's lowest point
MAX_RECENTRE = 3


@dataclass(frozen=True)
class LossSurface:
    """One network's slice.

    Attributes:
        kind: "plain" or "residual".
        name: "Plain-20", "ResNet-20".
        alphas: (A,) coordinates along the first direction.
        betas: (B,) along the second.
        loss: (B, A) training loss (cross-entropy on a fixed batch, BN in eval mode).
        train_accuracy: accuracy on that batch at the centre, in [0, 1].
        shift: (alpha, beta) from where training stopped to the centre of this slice, in the
            directions' units (0, 0 when training stopped at the slice's minimum).
        recentred: how many times the slice was moved to its lowest point.
    """

    kind: NetKind
    name: str
    alphas: np.ndarray
    betas: np.ndarray
    loss: np.ndarray

    train_accuracy: float = float("nan")
    shift: tuple[float, float] = (0.0, 0.0)
    recentred: int = 0

    @property
    def centred(self) -> bool:
        """The centre is the grid's lowest point: the slice is taken at a minimum, as Li et al.'s."""
        i, j = np.unravel_index(int(np.argmin(self.loss)), self.loss.shape)
        return bool(i == int(np.argmin(np.abs(self.betas))) and j == int(np.argmin(np.abs(self.alphas))))

    @property
    def center_loss(self) -> float:
        """The loss at ``(0, 0)`` (the nearest grid point): the trained network itself."""
        i = int(np.argmin(np.abs(self.betas)))
        j = int(np.argmin(np.abs(self.alphas)))
        return float(self.loss[i, j])

    @property
    def outward_dips(self) -> float:
        """The fraction of grid points whose loss is *below* that of their neighbour one step
        nearer the centre: 0 on a bowl, where every step away from the trained weights goes up;
        a chaotic surface dips often."""
        n_b, n_a = self.loss.shape
        ci, cj = int(np.argmin(np.abs(self.betas))), int(np.argmin(np.abs(self.alphas)))
        i, j = np.mgrid[0:n_b, 0:n_a]
        inward = self.loss[i - np.sign(i - ci), j - np.sign(j - cj)]  # (B, A) the neighbour nearer the centre
        off_centre = (i != ci) | (j != cj)
        return float(np.mean((self.loss < inward)[off_centre]))

    @property
    def local_minima(self) -> int:
        """Grid points strictly lower than all their (up to 8) neighbours: 1 on a bowl."""
        z = np.pad(self.loss, 1, constant_values=np.inf)
        inner = z[1:-1, 1:-1]
        lower = np.ones_like(inner, dtype=bool)
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                if di or dj:
                    lower &= inner < z[1 + di : z.shape[0] - 1 + di, 1 + dj : z.shape[1] - 1 + dj]
        return int(lower.sum())


@dataclass(frozen=True)
class Landscape:
    """One :func:`loss_landscape` run: plain-N and ResNet-N, trained alike, sliced alike.

    Attributes:
        depth: 6n+2 layers of both networks.
        train_steps: SGD steps each network was trained for.
        grid: points per axis.
        span: the grid covers ``[-span, span]`` on both axes.
        surfaces: plain then residual.
        seconds: wall time of the whole run.
        device: where it ran ("cpu", "cuda:0").
        data: the data set's description.
    """

    depth: int
    train_steps: int
    grid: int
    span: float
    surfaces: tuple[LossSurface, ...]
    seconds: float
    device: str
    data: str

    def surface(self, kind: NetKind) -> LossSurface:
        for s in self.surfaces:
            if s.kind == kind:
                return s
        raise KeyError(kind)


def filter_normalized_direction(model: nn.Module, generator: torch.Generator) -> list[Tensor]:
    """A Gaussian direction in weight space, each filter scaled to its weights' filter norm.

    A "filter" is a slice along the first axis (a conv's output channel, a linear layer's
    row). Parameters with one axis or none (BN scales and shifts, biases) get zeros, as in
    Li et al., section 4.
    """
    out = []
    for p in model.parameters():
        if p.dim() <= 1:
            out.append(torch.zeros_like(p))
            continue
        d = torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device)
        d_norm = d.flatten(1).norm(dim=1).clamp_min(1e-12)
        p_norm = p.detach().flatten(1).norm(dim=1)
        out.append(d * (p_norm / d_norm).view(-1, *([1] * (p.dim() - 1))))
    return out


def loss_surface_rows(
    model: nn.Module,
    loss_fn: Callable[[nn.Module], float],
    directions: tuple[Sequence[Tensor], Sequence[Tensor]],
    alphas: np.ndarray,
    betas: np.ndarray,
) -> Iterator[np.ndarray]:
    """``loss_fn(model)`` with the weights moved to ``theta + a * d1 + b * d2``, one row of ``b``
    at a time: yields (A,) arrays. The weights are restored afterwards, also on error."""
    params = list(model.parameters())
    d1, d2 = directions
    if not len(d1) == len(d2) == len(params):
        raise LabError(f"directions have {len(d1)} and {len(d2)} tensors for {len(params)} parameters")
    theta = [p.detach().clone() for p in params]
    try:
        for b in betas:
            row = np.empty(len(alphas))
            for j, a in enumerate(alphas):
                with torch.no_grad():
                    for p, t0, u, v in zip(params, theta, d1, d2):
                        p.copy_(t0 + float(a) * u + float(b) * v)
                    row[j] = loss_fn(model)
            yield row
    finally:
        with torch.no_grad():
            for p, t0 in zip(params, theta):
                p.copy_(t0)


def loss_surface(
    model: nn.Module,
    loss_fn: Callable[[nn.Module], float],
    directions: tuple[Sequence[Tensor], Sequence[Tensor]],
    alphas: np.ndarray,
    betas: np.ndarray,
) -> np.ndarray:
    """The whole grid of :func:`loss_surface_rows`: (B, A), row ``i`` at ``betas[i]``."""
    return np.stack(list(loss_surface_rows(model, loss_fn, directions, alphas, betas)))


def _train(model: nn.Module, x: Tensor, y: Tensor, *, steps: int, batch: int, lr: float, seed: int) -> None:
    # the race's recipe: SGD, momentum 0.9, weight decay 1e-4 (section 4.2 of He et al.)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, len(x), (batch,), generator=gen).to(x.device)
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()


def _move(model: nn.Module, directions: tuple[Sequence[Tensor], Sequence[Tensor]], step: np.ndarray) -> None:
    """``theta += step[0] * d1 + step[1] * d2``, in place."""
    with torch.no_grad():
        for p, u, v in zip(model.parameters(), *directions):
            p.add_(float(step[0]) * u + float(step[1]) * v)


def loss_landscape_steps(
    *,
    depth: int = 20,
    train_steps: int = 100,
    grid: int = 9,
    span: float = 1.0,
    width: int = 8,
    batch: int = 64,
    lr: float = 0.05,
    eval_images: int = 128,
    seed: int = 0,
    data: SyntheticData | None = None,
    threads: int | None = 1,
    device: str | torch.device | None = None,
) -> Iterator[tuple[float, str, Landscape | None]]:
    """:func:`loss_landscape` as a generator of ``(fraction done, stage, result or None)``; the
    last item carries the :class:`Landscape`. Arguments as :func:`loss_landscape`."""
    check_cifar_depth(depth, MAX_LANDSCAPE_DEPTH)
    check_int("train_steps", train_steps, 0, MAX_TRAIN_STEPS)
    check_int("grid", grid, 3, MAX_GRID)
    check_float("span", span, 0.01, 5.0)
    check_int("width", width, 2, 16)
    check_int("batch", batch, 2, 512)
    check_float("lr", lr, 1e-6, 1.0)
    check_int("eval_images", eval_images, 16, 2048)
    check_seed(seed)
    dev = device if isinstance(device, torch.device) else pick_device(device)
    if dev.type == "cpu" and 2 * grid * grid * depth > MAX_CPU_GRID_WORK:
        raise LabError(f"a {grid}x{grid} grid at depth {depth} is too much for a CPU; use a smaller grid",
                       key="error.landscape_cpu_grid", grid=grid, depth=depth)
    with cpu_threads(threads, dev):
        yield from _landscape(depth, train_steps, grid, span, width, batch, lr, eval_images, seed, data, dev)


def _landscape(
    depth: int,
    train_steps: int,
    grid: int,
    span: float,
    width: int,
    batch: int,
    lr: float,
    eval_images: int,
    seed: int,
    data: SyntheticData | None,
    dev: torch.device,
) -> Iterator[tuple[float, str, Landscape | None]]:
    start = time.perf_counter()
    data = data or SyntheticData(**RACE_PRESETS["cpu"]["data"])
    x, y, _, _ = (torch.from_numpy(a).to(dev) for a in data.splits())
    x = (x - 0.5) / 0.25  # (N, 3, H, W), as the race normalises
    xe, ye = x[:eval_images], y[:eval_images]

    def loss_fn(model: nn.Module) -> float:
        with torch.no_grad():
            return float(F.cross_entropy(model(xe), ye))

    coords = np.linspace(-span, span, grid)
    surfaces = []
    # training is about half the work, the grid the other half
    for k, kind in enumerate(("plain", "residual")):
        name = f"{'Plain' if kind == 'plain' else 'ResNet'}-{depth}"
        yield (k / 2, f"training {name}", None)
        model = _race_model(depth, width, kind == "residual", seed, len(data.classes)).to(dev)
        _train(model, x, y, steps=train_steps, batch=batch, lr=lr, seed=seed)
        gen = torch.Generator().manual_seed(seed + 1)  # the same directions' seed for both nets
        dirs = (filter_normalized_direction(model, gen), filter_normalized_direction(model, gen))
        shift, moves = np.zeros(2), 0
        while True:
            rows = []
            for i, row in enumerate(loss_surface_rows(model, loss_fn, dirs, coords, coords)):
                rows.append(row)
                yield ((k + 0.5 + 0.5 * (i + 1) / grid) / 2, f"slicing {name}", None)
            loss = np.stack(rows)  # (B, A)
            bi, aj = np.unravel_index(int(np.argmin(loss)), loss.shape)
            step = np.array([coords[aj], coords[bi]])
            if not np.any(step) or moves == MAX_RECENTRE or not np.isfinite(loss[bi, aj]):
                break
            _move(model, dirs, step)  # centre the next slice on this one's lowest point
            shift, moves = shift + step, moves + 1
        with torch.no_grad():
            acc = float((model(xe).argmax(1) == ye).float().mean())
        surfaces.append(
            LossSurface(
                kind=kind, name=name, alphas=coords, betas=coords, loss=loss, train_accuracy=acc,
                shift=(float(shift[0]), float(shift[1])), recentred=moves,
            )
        )
    result = Landscape(
        depth=depth,
        train_steps=train_steps,
        grid=grid,
        span=span,
        surfaces=tuple(surfaces),
        seconds=time.perf_counter() - start,
        device=str(dev),
        data=data.description,
    )
    yield (1.0, "done", result)


def loss_landscape(**kwargs: object) -> Landscape:
    """Train plain-N and ResNet-N briefly on the synthetic data, then slice each one's loss.

    Both networks train with the race's recipe on the same batches, then the training loss on
    a fixed batch of ``eval_images`` images is evaluated on a ``grid x grid`` slice along two
    filter-normalised random directions (:func:`filter_normalized_direction`). Where the lowest
    grid point is not the centre, the weights move there and the slice is taken again (up to
    :data:`MAX_RECENTRE` times); each surface records the move (``shift``, ``recentred``).

    Keyword Args:
        depth: 6n+2 layers (at most 56).
        train_steps: SGD steps before slicing.
        grid: points per axis (on a CPU, grid and depth are bounded together).
        span: the slice covers ``[-span, span]^2`` (1.0 is a step as long as each filter).
        width: filters of the first stage.
        batch: training batch size.
        lr: SGD learning rate.
        eval_images: training images the loss is measured on.
        seed: weights, batch order and directions.
        data: the data set; default the CPU race's (five classes at 12x12).
        threads: CPU intra-op threads while it runs; None leaves the setting.
        device: "cpu", "cuda", ...

    Raises:
        LabError: an argument out of range.
    """
    *_, (_, _, result) = loss_landscape_steps(**kwargs)  # type: ignore[arg-type]
    assert result is not None
    return result


LANDSCAPE_FORMAT = "resnet-playground/landscape/1"
MAX_LANDSCAPE_BYTES = 2_000_000


def save_landscape(result: Landscape, path: str | Path, *, meta: dict[str, Any]) -> Path:
    """Write ``result`` and ``meta`` (machine, date, command) as compact JSON."""
    path = Path(path)
    doc = {
        "format": LANDSCAPE_FORMAT,
        "meta": meta,
        "depth": result.depth,
        "train_steps": result.train_steps,
        "grid": result.grid,
        "span": result.span,
        "seconds": round(result.seconds, 1),
        "device": result.device,
        "data": result.data,
        "surfaces": [
            {
                "kind": s.kind,
                "name": s.name,
                "alphas": np.round(s.alphas, 5).tolist(),
                "betas": np.round(s.betas, 5).tolist(),
                "loss": [[float(f"{v:.4g}") for v in row] for row in s.loss],
                "train_accuracy": round(s.train_accuracy, 4),
                "shift": [round(v, 5) for v in s.shift],
                "recentred": s.recentred,
            }
            for s in result.surfaces
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return path


def load_landscape(path: str | Path) -> tuple[Landscape, dict[str, Any]]:
    """Read what :func:`save_landscape` wrote: the :class:`Landscape` and its ``meta``.

    Raises:
        FileNotFoundError: no file at ``path``.
        LabError: not a landscape file (wrong format key, malformed, or too large).
    """
    return read_saved(path, fmt=LANDSCAPE_FORMAT, max_bytes=MAX_LANDSCAPE_BYTES, what=Term("landscape", key="error.term_landscape"), parse=_parse_landscape)


def _parse_landscape(doc: dict[str, Any]) -> tuple[Landscape, dict[str, Any]]:
    surfaces = tuple(
        LossSurface(
            kind=s["kind"],
            name=str(s["name"]),
            alphas=np.asarray(s["alphas"], dtype=np.float64),
            betas=np.asarray(s["betas"], dtype=np.float64),
            loss=np.asarray(s["loss"], dtype=np.float64).reshape(len(s["betas"]), len(s["alphas"])),
            train_accuracy=float(s["train_accuracy"]),
            shift=tuple(float(v) for v in s.get("shift", (0.0, 0.0)))[:2],  # files before re-centring
            recentred=int(s.get("recentred", 0)),
        )
        for s in doc["surfaces"]
    )
    result = Landscape(
        depth=int(doc["depth"]),
        train_steps=int(doc["train_steps"]),
        grid=int(doc["grid"]),
        span=float(doc["span"]),
        surfaces=surfaces,
        seconds=float(doc["seconds"]),
        device=str(doc["device"]),
        data=str(doc["data"]),
    )
    return result, dict(doc["meta"])
