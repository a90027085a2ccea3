"""Trained twins for the paper's argument: the race's plain-N and ResNet-N, trained and kept.

The race (:mod:`.race`) streams curves and lets its networks go; the residual-response,
gradient-split and lesion studies need the trained networks themselves. :func:`train_twins`
trains them exactly as the race does (same builder, same SGD recipe, same batches, the CPU
preset's data) and returns them with the held-out split, reporting :class:`Progress` as it goes.

Also where a response F(x) is read: :func:`branch_response_module` asks the block, which declares
its branch output (:class:`resnet_core.blocks.ResidualBlock`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..device import cpu_threads
from ..model import ResNet
from ._common import LabError, NetKind, check_cifar_depth, check_float, check_int, check_seed, shown
from .race import RACE_PRESETS, _accuracy, _race_model
from .synthetic import SyntheticData

#: the deepest network the argument's studies train live (CIFAR ResNet-110: 54 blocks)
MAX_TWIN_DEPTH = 110
MAX_TWIN_STEPS = 5000


@dataclass(frozen=True)
class Progress:
    """A study's progress report (the last record of a study is its result, not this).

    Attributes:
        fraction: done so far, in [0, 1].
        stage: what it is doing, e.g. "training ResNet-56" (the page translates the verb).
        name: the network concerned ("ResNet-56"), or "".
    """

    fraction: float
    stage: str
    name: str = ""


@dataclass
class Twin:
    """One trained network of :func:`train_twins` (not a boundary record: it holds a model).

    Attributes:
        name: "ResNet-56" or "Plain-56".
        kind: "residual" or "plain".
        depth: 6n+2 layers.
        model: the network, in eval mode.
        heldout_accuracy: accuracy on the held-out split after training.
    """

    name: str
    kind: NetKind
    depth: int
    model: ResNet
    heldout_accuracy: float


@dataclass
class Twins:
    """The trained networks and the data they were trained on.

    Attributes:
        nets: plain before residual for each depth, in the order of the depths.
        test_images: (N, 3, H, W) the held-out images, normalised as in training.
        test_labels: (N,) their labels.
        steps: training steps done (fewer than asked when the time budget ran out).
        elapsed: seconds spent.
        data: description of the data set.
        device: where they ran.
        losses: (networks, steps) each step's training loss (inf or NaN where a network diverged).
    """

    nets: list[Twin]
    test_images: Tensor
    test_labels: Tensor
    steps: int
    elapsed: float
    data: SyntheticData
    device: str
    losses: np.ndarray | None = None

    def get(self, name: str) -> Twin:
        for net in self.nets:
            if net.name == name:
                return net
        raise KeyError(name)


def branch_response_module(block: nn.Module) -> nn.Module:
    """The module whose output is the block's residual function F(x): after the branch's last
    BN (a v1 block) or last conv (pre-activation), before the addition and any ReLU, which is
    what Fig. 7 of He et al. plots. In a plain block it is the same layer (there is no addition)."""
    return block.branch_output_module()  # declared by the block (``ResidualBlock.branch_output``)


def check_depths(depths: object, *, most: int = 3) -> tuple[int, ...]:
    """One to ``most`` distinct CIFAR depths (6n+2, up to 110), ascending."""
    values = tuple(depths) if isinstance(depths, (tuple, list)) else (depths,) if isinstance(depths, int) else ()
    if not 1 <= len(values) <= most or len(set(values)) != len(values):
        raise LabError(f"give one to {most} distinct depths, got {shown(depths)}", key="error.lab_distinct_depths",
                       most=most, got=shown(depths))
    for d in values:
        check_cifar_depth(d, MAX_TWIN_DEPTH)
    return tuple(sorted(values))


def twin_data() -> SyntheticData:
    """The race's CPU data set (five shapes at 12x12), which a ResNet learns in a few hundred steps."""
    return SyntheticData(**RACE_PRESETS["cpu"]["data"])


def train_twins(
    depths: Sequence[int],
    *,
    steps: int,
    seed: int = 0,
    kinds: Sequence[NetKind] = ("plain", "residual"),
    max_seconds: float | None = None,
    device: torch.device | None = None,
    check: Callable[[], None] | None = None,
) -> Iterator[Progress]:
    """Train the race's networks (CPU preset width, batch and rate) and return them.

    A generator: it yields :class:`Progress` every few steps and *returns* the :class:`Twins`
    (use ``twins = yield from train_twins(...)`` inside a study). All networks step on the
    same batches, so the only difference between plain-N and ResNet-N is the shortcuts.

    Args:
        depths: CIFAR depths (6n+2).
        steps: SGD steps per network.
        seed: weights and batch order (the data has its own seed).
        kinds: which of "plain" and "residual" to train.
        max_seconds: stop after the step that passes this budget (None: no limit).
        device: where to train (default: the CPU).
        check: called every step; raises to stop (a study passes ``ctx.check``).

    Raises:
        LabError: bad depths, steps, seed or budget.
    """
    depths = check_depths(list(depths), most=4)
    check_int("steps", steps, 1, MAX_TWIN_STEPS)
    check_seed(seed)
    if not kinds or not set(kinds) <= {"plain", "residual"}:
        raise LabError(f"kinds are 'plain' and 'residual', got {shown(kinds)}")
    preset = RACE_PRESETS["cpu"]
    classes = len(twin_data().classes)
    nets = [
        (f"{'Plain' if kind == 'plain' else 'ResNet'}-{d}", kind, d,
         _race_model(d, preset["width"], kind == "residual", seed, classes))
        for d in depths
        for kind in ("plain", "residual")
        if kind in kinds
    ]
    return (yield from train_networks(nets, steps=steps, seed=seed, max_seconds=max_seconds, device=device, check=check))


def train_networks(
    nets: Sequence[tuple[str, NetKind, int, ResNet]],
    *,
    steps: int,
    seed: int = 0,
    lr: float | None = None,
    max_seconds: float | None = None,
    device: torch.device | None = None,
    check: Callable[[], None] | None = None,
) -> Iterator[Progress]:
    """Train ``(name, kind, depth, model)`` networks side by side with the race's CPU recipe
    (SGD, momentum 0.9, weight decay 1e-4, the preset's batch; ``lr`` default the preset's) on the
    same batches; a generator returning :class:`Twins` (with each step's training loss)."""
    check_int("steps", steps, 1, MAX_TWIN_STEPS)
    check_seed(seed)
    if max_seconds is not None:
        check_float("max_seconds", max_seconds, 0.1, 86_400.0)
    dev = device or torch.device("cpu")
    preset = RACE_PRESETS["cpu"]
    rate = preset["lr"] if lr is None else check_float("lr", lr, 1e-6, 10.0)
    with cpu_threads(preset["threads"], dev):
        return (yield from _train(list(nets), steps, seed, rate, max_seconds, dev, check, preset))


def _train(
    nets: list[tuple[str, NetKind, int, ResNet]],
    steps: int,
    seed: int,
    lr: float,
    max_seconds: float | None,
    dev: torch.device,
    check: Callable[[], None] | None,
    preset: dict,
) -> Iterator[Progress]:
    start = time.perf_counter()
    data = twin_data()
    x, y, xt, yt = (torch.from_numpy(a).to(dev) for a in data.splits())
    x, xt = (x - 0.5) / 0.25, (xt - 0.5) / 0.25  # as the race normalises
    models = [m.to(dev).train() for _, _, _, m in nets]
    optimizers = [torch.optim.SGD(m.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4) for m in models]
    losses = np.full((len(models), steps), np.nan)
    gen = torch.Generator().manual_seed(seed)
    done = 0
    label = " / ".join(n for n, _, _, _ in nets)
    for step in range(1, steps + 1):
        if check is not None:
            check()
        idx = torch.randint(0, len(x), (preset["batch"],), generator=gen).to(dev)
        xb, yb = x[idx], y[idx]  # (B, 3, H, W), (B,)
        for i, (model, opt) in enumerate(zip(models, optimizers)):
            loss = F.cross_entropy(model(xb), yb)
            losses[i, step - 1] = float(loss.detach())
            if not torch.isfinite(loss):
                continue  # diverged: a step on inf or NaN would only spread it to the weights
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        done = step
        if step % 10 == 0:
            yield Progress(step / steps, "training", label)
        if max_seconds is not None and time.perf_counter() - start > max_seconds:
            break
    trained = [
        Twin(name, kind, d, model.eval(), _accuracy(model, xt, yt))
        for (name, kind, d, _), model in zip(nets, models)
    ]
    return Twins(trained, xt, yt, done, time.perf_counter() - start, data, str(dev), losses[:, :done])


__all__ = [
    "MAX_TWIN_DEPTH",
    "Progress",
    "Twin",
    "Twins",
    "branch_response_module",
    "check_depths",
    "train_networks",
    "train_twins",
    "twin_data",
]
