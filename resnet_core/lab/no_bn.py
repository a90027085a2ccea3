"""Training without BN: why the default ResNet fails and what zero-init, SkipInit and Fixup fix.

Without normalization a residual block adds its branch to the stream, x + F(x); with the usual
(He) initialization F(x) is about as large as x, so the stream's variance roughly doubles per
block and the forward pass blows up with depth. Three cures start every block near the identity:

* zero-init: the branch's last layer starts at zero (Goyal et al., https://arxiv.org/abs/1706.02677;
  here the last conv, there being no BN to zero).
* SkipInit (De & Smith, https://arxiv.org/abs/2002.10444): a learnable scalar multiplies each
  branch, initialised at 0.
* Fixup (Zhang, Dauphin & Ma, https://arxiv.org/abs/1901.09321), its three rules: (1) initialise
  the classification layer and the last layer of each residual branch to 0; (2) initialise the
  other layers as usual (He) and scale the weight layers inside each branch by L^(-1/(2m-2)),
  L residual branches of m layers; (3) add a scalar multiplier (init 1) to every branch and a
  scalar bias (init 0) before each convolution, linear layer and activation.

The study ``no_bn_race`` measures the stream's growth at initialization and trains the four on
the race's data and batches.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ..blocks import ResidualAdd
from ..errors import Term
from ..hooks import capture_outputs
from ..model import ResNet
from ..specs import CIFAR_WIDTHS, ResNetSpec, cifar_spec
from ..studies import StudyContext, study
from ._common import check_float, check_int, check_seed, read_saved, seeded
from .flow import zero_init_branches
from .race import RACE_PRESETS
from .twins import MAX_TWIN_STEPS, Progress, check_depths, train_networks, twin_data

Method = Literal["default", "zero-init", "SkipInit", "Fixup"]
METHODS: tuple[Method, ...] = ("default", "zero-init", "SkipInit", "Fixup")


class ScaledAdd(ResidualAdd):
    """``shortcut + scale * branch (+ bias)`` with learnable scalars: SkipInit's alpha (init 0) or
    Fixup's multiplier (init 1) and the bias after it (init 0)."""

    def __init__(self, scale: float, *, bias: bool = False) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((1,), float(scale)))
        self.bias = nn.Parameter(torch.zeros(1)) if bias else None

    def forward(self, shortcut: Tensor, branch: Tensor) -> Tensor:
        branch = branch * self.scale
        return shortcut + (branch if self.bias is None else branch + self.bias)


class Biased(nn.Module):
    """``module(x + bias)`` with a learnable scalar bias initialised at 0 (Fixup's rule 3)."""

    def __init__(self, module: nn.Module) -> None:
        super().__init__()
        self.module = module
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: Tensor) -> Tensor:
        return self.module(x + self.bias)


def no_bn_model(depth: int, method: Method, *, seed: int, width: int, num_classes: int) -> ResNet:
    """The race's CIFAR ResNet (v1, option-A shortcuts) without BN, initialised by ``method``."""
    n = cifar_spec(depth).layers[0]
    widths = tuple(width * w // CIFAR_WIDTHS[0] for w in CIFAR_WIDTHS)
    spec = ResNetSpec(block="basic", layers=(n, n, n), widths=widths, stem="cifar")
    with seeded(seed):  # the same starting weights for every method, before each changes them
        model = ResNet(spec, variant="v1", num_classes=num_classes, norm=False, shortcut_kind="A")
    blocks = [model.get_submodule(b) for b in model.residual_blocks()]
    with torch.no_grad():
        if method == "zero-init":
            zero_init_branches(model)
        elif method == "SkipInit":
            for block in blocks:
                block.add = ScaledAdd(0.0)
        elif method == "Fixup":
            scale = len(blocks) ** (-1 / (2 * 2 - 2))  # rule 2: L^(-1/(2m-2)), m = 2 convs per branch
            for block in blocks:
                block.conv1.weight.mul_(scale)
                block.conv2.weight.zero_()  # rule 1: the branch's last layer
                block.conv1, block.relu1, block.conv2 = Biased(block.conv1), Biased(block.relu1), Biased(block.conv2)
                block.add = ScaledAdd(1.0, bias=True)  # rule 3: multiplier and bias
            model.fc.weight.zero_()  # rule 1: the classification layer
            model.fc.bias.zero_()
            model.fc = Biased(model.fc)  # rule 3: a bias before the linear layer
    return model


@torch.no_grad()
def stream_std(model: ResNet, images: Tensor) -> np.ndarray:
    """(N,) the standard deviation of the residual stream after each block (the block outputs)."""
    with capture_outputs(model, list(model.block_names())) as out:
        model(images)
    return np.array([float(out[b].double().std()) for b in model.block_names()])


@dataclass(frozen=True)
class NoBNCall:
    """What ``no_bn_race`` trains.

    Attributes:
        depth: 6n+2 layers (measured on the race's images: the default net's stream grows
            about 25-fold over ResNet-32's 15 blocks, about 3000-fold over ResNet-56's 27).
        steps: training steps per network.
        seed: weights and batches.
        max_seconds: training budget.
    """

    depth: int = 32
    steps: int = 200
    seed: int = 0
    max_seconds: float = 150.0

    def __post_init__(self) -> None:
        check_depths((self.depth,), most=1)
        check_int("steps", self.steps, 1, MAX_TWIN_STEPS)
        check_seed(self.seed)
        check_float("max_seconds", self.max_seconds, 1.0, 3600.0)


@dataclass(frozen=True)
class NoBNRun:
    """One method's run.

    Attributes:
        method: "default", "zero-init", "SkipInit", "Fixup".
        stream_std: (N,) std of the stream after each block at initialization.
        loss: (steps,) training loss per step (inf or NaN once diverged).
        heldout_accuracy: after training.
        chance_loss: log(classes), the loss of a uniform guess.
    """

    method: Method
    stream_std: np.ndarray
    loss: np.ndarray
    heldout_accuracy: float
    chance_loss: float

    @property
    def growth(self) -> float:
        """Last block's stream std over the first's (the default's doubling of variance shows here)."""
        return float(self.stream_std[-1] / self.stream_std[0]) if self.stream_std[0] > 0 else float("inf")

    @property
    def diverged(self) -> bool:
        """A non-finite loss, or a last-20-steps loss above the chance loss: it did not train."""
        tail = self.loss[-20:]
        return bool(not np.isfinite(self.loss).all() or np.mean(tail) > self.chance_loss)


@dataclass(frozen=True)
class NoBNRace:
    depth: int
    steps: int
    seed: int
    runs: tuple[NoBNRun, ...]
    data: str
    device: str
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        def r(a: np.ndarray) -> list:
            return [None if not np.isfinite(v) else float(f"{v:.5g}") for v in np.asarray(a, dtype=float)]

        return {
            "depth": self.depth,
            "steps": self.steps,
            "seed": self.seed,
            "data": self.data,
            "device": self.device,
            "elapsed_s": round(self.elapsed, 2),
            "runs": [
                {
                    "method": run.method,
                    "stream_std_at_init": r(run.stream_std),
                    "stream_growth": float(f"{run.growth:.5g}"),
                    "loss": r(run.loss),
                    "heldout_accuracy": round(run.heldout_accuracy, 4),
                    "diverged": run.diverged,
                    "chance_loss": round(run.chance_loss, 5),
                }
                for run in self.runs
            ],
        }


#: the ``format`` key of saved no-BN runs (written by scripts/no_bn.py)
NO_BN_FORMAT = "resnet-playground/no-bn/1"


def save_no_bn(runs: list[NoBNRace], path: str | Path, *, meta: dict[str, Any]) -> Path:
    """Write several seeds' no-BN races as JSON (losses rounded; non-finite ones as null)."""
    path = Path(path)
    doc = {"format": NO_BN_FORMAT, "meta": meta, "runs": [r.to_dict() for r in runs]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc) + "\n")
    return path


def load_no_bn(path: str | Path) -> tuple[list[NoBNRace], dict[str, Any]]:
    """Read what :func:`save_no_bn` wrote: the races and the meta.

    Raises:
        FileNotFoundError: no file at ``path``.
        LabError: (a ValueError) not a no-BN file (wrong format key, malformed, or too large).
    """

    def parse(doc: dict[str, Any]) -> tuple[list[NoBNRace], dict[str, Any]]:
        def arr(values: list) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        races = [
            NoBNRace(
                depth=int(r["depth"]), steps=int(r["steps"]), seed=int(r["seed"]), data=str(r["data"]),
                device=str(r["device"]), elapsed=float(r["elapsed_s"]),
                runs=tuple(
                    NoBNRun(u["method"], arr(u["stream_std_at_init"]), arr(u["loss"]), float(u["heldout_accuracy"]),
                            float(u.get("chance_loss", np.log(5))))
                    for u in r["runs"]
                ),
            )
            for r in doc["runs"]
        ]
        return races, dict(doc["meta"])

    return read_saved(path, fmt=NO_BN_FORMAT, what=Term("no-BN", key="error.term_no_bn"), parse=parse)


@study("no_bn_race", call_type=NoBNCall)
def no_bn_race(ctx: StudyContext, call: NoBNCall) -> Iterator[Progress | NoBNRace]:
    """Measure the stream at init, then train the four no-BN ResNets side by side."""
    start = time.perf_counter()
    data = twin_data()
    width = RACE_PRESETS["cpu"]["width"]
    models = [no_bn_model(call.depth, m, seed=call.seed, width=width, num_classes=len(data.classes)) for m in METHODS]
    _, _, xt, _ = data.splits()
    probe = (torch.from_numpy(xt[:64]) - 0.5) / 0.25  # (64, 3, H, W)
    with torch.no_grad():
        stds = [stream_std(m.eval(), probe) for m in models]
    nets = [(m, "residual", call.depth, model) for m, model in zip(METHODS, models)]
    trained = yield from train_networks(nets, steps=call.steps, seed=call.seed, max_seconds=call.max_seconds, check=ctx.check)
    runs = tuple(
        NoBNRun(m, s, trained.losses[i], trained.nets[i].heldout_accuracy, float(np.log(len(data.classes))))
        for i, (m, s) in enumerate(zip(METHODS, stds))
    )
    yield NoBNRace(call.depth, trained.steps, call.seed, runs, data.description, trained.device, time.perf_counter() - start)


__all__ = ["NO_BN_FORMAT", "load_no_bn", "save_no_bn", "METHODS", "NoBNCall", "NoBNRace", "NoBNRun", "ScaledAdd", "no_bn_model", "no_bn_race", "stream_std"]
