"""ResNets as ensembles of shallow paths: Veit et al. 2016, measured.

Veit, Wilber and Belongie, "Residual Networks Behave Like Ensembles of Relatively Shallow
Networks" (https://arxiv.org/abs/1605.06431). Unrolled, a network of n residual blocks has 2^n
paths from input to output, C(n, k) of them through exactly k branches (section 3): a binomial,
so most paths are about n/2 blocks long, and (their Fig. 6) most of the gradient comes from
paths far shorter still. Their lesion study (section 4, Figs. 3 and 5): deleting one block of a
trained ResNet (keeping the shortcut, dropping the branch) barely changes its test error, while
removing one layer of a plain network (VGG) breaks it; deleting k random blocks degrades the
error smoothly. Stochastic depth (Huang et al., https://arxiv.org/abs/1603.09382) trains with
blocks randomly dropped this way, and its networks are more robust still.

The robustness is a property of deep ResNets: the study also runs on the shipped 8-block toy
model, where few paths are short and deleting one block can break it.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from torch import Tensor, nn

from ..blocks import PadShortcut
from ..errors import Term
from ..model import ResNet
from ..studies import StudyContext, study
from ._common import (
    LabError,
    NetKind,
    check_cifar_depth,
    check_float,
    check_int,
    check_seed,
    read_saved,
    shown,
)
from .ablation import ablate
from .race import _accuracy
from .twins import MAX_TWIN_STEPS, Progress, train_twins

LesionNetwork = Literal["toy", "race"]
LESION_NETWORKS: tuple[LesionNetwork, ...] = ("toy", "race")
MAX_PATH_BLOCKS = 1000
#: held-out images the toy is scored on per lesion: thirty forwards of these take seconds
#: on a busy CPU, and 100 images resolve a point of accuracy
TOY_LESION_IMAGES = 100
#: the ``format`` key of saved lesion runs (written by scripts/lesion.py)
LESION_FORMAT = "resnet-playground/lesion/1"
#: Veit's test of robustness, in accuracy points: deleting a single (non-downsampling) block
#: keeps accuracy within this of the intact network. Their ResNet-110 on CIFAR-10 moves by
#: about a point; 5 points leaves room for our small data set and still separates a network
#: that survives from one that breaks (a plain net falls to near chance).
ROBUST_DROP = 0.05
#: ... for at least this fraction of those blocks ("most blocks", not every one: Veit's Fig. 3
#: has outliers too, the downsampling blocks).
ROBUST_SHARE = 0.8
#: Veit's Fig. 5: the error grows smoothly with the number of deleted blocks. "Smooth" here: no
#: single extra deletion (from the intact net to k = 1, or from k to k + 1) costs more than this
#: fraction of the accuracy the network has above chance.
SMOOTH_STEP = 1 / 3


def path_counts(n: int) -> np.ndarray:
    """(n+1,) how many of the 2^n paths through n residual blocks pass exactly k branches:
    C(n, k), k = 0..n (Veit et al., Eq. 2's unrolling), as exact integers (object array past 2^62).

    Raises:
        LabError: n is not an integer in [1, 1000].
    """
    check_int("n", n, 1, MAX_PATH_BLOCKS)
    counts = [math.comb(n, k) for k in range(n + 1)]
    return np.array(counts, dtype=np.int64 if n <= 62 else object)


def path_length_distribution(n: int) -> np.ndarray:
    """(n+1,) the fraction of paths of each length k: C(n, k) / 2^n (a binomial with p = 1/2)."""
    return np.array([math.comb(n, k) / 2**n for k in range(n + 1)], dtype=np.float64)


def _remove_block(block: nn.Module) -> nn.Module:
    """What is left of a plain block when it is deleted: its input, subsampled and zero-padded
    where the block changed the shape (the parameter-free option-A shortcut of the paper)."""
    if block.stride == 1 and block.in_channels == block.out_channels:
        return nn.Identity()
    return PadShortcut(block.out_channels, block.stride)


@contextmanager
def lesioned(model: ResNet, blocks: Sequence[str]) -> Iterator[None]:
    """Within the ``with``, forwards run by this thread see ``blocks`` deleted.

    A residual block keeps its shortcut and loses its branch (:func:`.ablation.ablate` in mode
    "branch": its output is the shortcut alone, through a v1 block's final ReLU), as Veit et al.
    delete blocks. A plain block has no shortcut, so it is replaced by its input (subsampled
    and zero-padded where the shape changes), as they remove a layer of VGG.

    Raises:
        LabError: a name that is not a block of the model.
    """
    known = set(model.block_names())
    owner = threading.get_ident()
    with ExitStack() as stack:
        for name in dict.fromkeys(blocks):
            if name not in known:
                raise LabError(f"the model has no block called {shown(name)}", key="error.lab_no_block", block=shown(name))
            block = model.get_submodule(name)
            if block.has_shortcut:
                stack.enter_context(ablate(model, name, "branch"))
                continue
            skip = _remove_block(block)

            def hook(_m: nn.Module, args: tuple, out: Tensor, skip: nn.Module = skip) -> Tensor | None:
                return skip(args[0]) if threading.get_ident() == owner else None

            stack.callback(block.register_forward_hook(hook).remove)
        yield


@dataclass(frozen=True)
class LesionCurve:
    """One network's lesion study on held-out images.

    Attributes:
        name: "ResNet-44", "Plain-44", "toy ResNet-18".
        kind: "residual" or "plain".
        blocks: block names in network order.
        downsampling: (N,) the block changes the shape (Veit's outliers).
        intact: accuracy of the whole network.
        single: (N,) accuracy with only that block deleted.
        k: (K,) numbers of blocks deleted at random, 1..K.
        k_mean: (K,) mean accuracy over the random draws of each k.
        k_min: (K,) the worst draw.
        k_max: (K,) the best draw.
        chance: 1 / number of classes.
    """

    name: str
    kind: NetKind
    blocks: tuple[str, ...]
    downsampling: np.ndarray
    intact: float
    single: np.ndarray
    k: np.ndarray
    k_mean: np.ndarray
    k_min: np.ndarray
    k_max: np.ndarray
    chance: float

    robust_drop: float = ROBUST_DROP

    @property
    def tolerated(self) -> tuple[int, int]:
        """(how many, of how many) shape-keeping blocks can be deleted alone while accuracy stays
        within :data:`ROBUST_DROP` of intact (every block if all change the shape)."""
        keep = self.single[~self.downsampling] if (~self.downsampling).any() else self.single
        return int(np.sum(keep >= self.intact - self.robust_drop)), len(keep)

    @property
    def trained(self) -> bool:
        """The intact network is at least halfway from chance to perfect: below that it has too
        little to lose for a lesion to say anything (a plain-56 that never left chance "survives")."""
        return self.intact >= (1 + self.chance) / 2

    @property
    def robust(self) -> bool:
        """Veit's finding holds: the network is :attr:`trained`, and deleting any one of at least
        :data:`ROBUST_SHARE` of its non-downsampling blocks keeps accuracy within :data:`ROBUST_DROP`
        of intact."""
        ok, m = self.tolerated
        return self.trained and ok >= ROBUST_SHARE * m

    @property
    def largest_step(self) -> float:
        """The largest loss of mean accuracy from one more random deletion (intact to k=1 included)."""
        return float(np.max(-np.diff(np.concatenate([[self.intact], self.k_mean]))))

    @property
    def smooth(self) -> bool:
        """Veit's Fig. 5 holds: no single extra deletion costs more than :data:`SMOOTH_STEP` of
        the accuracy above chance."""
        return self.largest_step <= SMOOTH_STEP * max(self.intact - self.chance, 1e-9)

    def to_dict(self) -> dict[str, Any]:
        def r(a: np.ndarray) -> list:
            return np.round(np.asarray(a, dtype=float), 4).tolist()

        return {
            "smooth": self.smooth,
            "name": self.name,
            "kind": self.kind,
            "blocks": list(self.blocks),
            "downsampling": [bool(v) for v in self.downsampling],
            "intact": round(self.intact, 4),
            "single": r(self.single),
            "k": [int(v) for v in self.k],
            "k_mean": r(self.k_mean),
            "k_min": r(self.k_min),
            "k_max": r(self.k_max),
            "chance": round(self.chance, 4),
            "trained": self.trained,
            "robust": self.robust,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LesionCurve:
        return cls(
            name=str(d["name"]),
            kind=d["kind"],
            blocks=tuple(d["blocks"]),
            downsampling=np.array(d["downsampling"], dtype=bool),
            intact=float(d["intact"]),
            single=np.array(d["single"], dtype=float),
            k=np.array(d["k"], dtype=np.int64),
            k_mean=np.array(d["k_mean"], dtype=float),
            k_min=np.array(d["k_min"], dtype=float),
            k_max=np.array(d["k_max"], dtype=float),
            chance=float(d["chance"]),
        )


def lesion_curve(
    model: ResNet,
    images: Tensor,
    labels: Tensor,
    *,
    name: str,
    kind: NetKind,
    k_max: int = 10,
    samples: int = 8,
    seed: int = 0,
    check: Callable[[], None] | None = None,
) -> LesionCurve:
    """Held-out accuracy of ``model`` intact, with each single block deleted, and with k random
    blocks deleted (``samples`` draws for each k = 1..``k_max``), BN in eval mode.

    ``check`` is called before each scoring (a study passes ``ctx.check``, which raises to stop).

    Raises:
        LabError: k_max or samples out of range.
    """
    blocks = model.block_names()
    check = check or (lambda: None)
    check_int("k_max", k_max, 1, len(blocks))
    check_int("samples", samples, 1, 100)
    was = model.training
    model.eval()
    try:
        intact = _accuracy(model, images, labels)
        single = []
        for b in blocks:
            check()
            with lesioned(model, [b]):
                single.append(_accuracy(model, images, labels))
        rng = np.random.default_rng(seed)
        draws = np.zeros((k_max, samples))
        for k in range(1, k_max + 1):
            for s in range(samples):
                pick = [blocks[i] for i in rng.choice(len(blocks), k, replace=False)]
                check()
                with lesioned(model, pick):
                    draws[k - 1, s] = _accuracy(model, images, labels)
    finally:
        model.train(was)
    down = [b.stride != 1 or b.in_channels != b.out_channels for b in (model.get_submodule(n) for n in blocks)]
    return LesionCurve(
        name=name,
        kind=kind,
        blocks=blocks,
        downsampling=np.array(down),
        intact=intact,
        single=np.array(single),
        k=np.arange(1, k_max + 1),
        k_mean=draws.mean(1),
        k_min=draws.min(1),
        k_max=draws.max(1),
        chance=1.0 / model.num_classes,
    )


@dataclass(frozen=True)
class LesionCall:
    """What ``lesion`` studies.

    Attributes:
        network: "toy" (the shipped 8-block toy ResNet, no training) or "race" (train the race's
            ResNet-N and plain-N first, within ``max_seconds``).
        depth: the race networks' depth (6n+2; 44 has 21 blocks).
        steps: training steps for "race".
        k_max: delete up to this many random blocks (capped at the number of blocks).
        samples: random draws per k.
        seed: weights, batches and draws.
        max_seconds: training budget for "race".
    """

    network: LesionNetwork = "toy"
    depth: int = 44
    steps: int = 450
    k_max: int = 5
    samples: int = 4
    seed: int = 0
    max_seconds: float = 150.0

    def __post_init__(self) -> None:
        if self.network not in LESION_NETWORKS:
            raise LabError(f"network is one of {LESION_NETWORKS}, not {shown(self.network)}")
        check_cifar_depth(self.depth, 110)
        check_int("steps", self.steps, 1, MAX_TWIN_STEPS)
        check_int("k_max", self.k_max, 1, 54)
        check_int("samples", self.samples, 1, 100)
        check_seed(self.seed)
        check_float("max_seconds", self.max_seconds, 1.0, 3600.0)


@dataclass(frozen=True)
class LesionResult:
    """The study's result.

    Attributes:
        curves: the ResNet's lesion curve, then its plain twin's (race only).
        paths: (n+1,) C(n, k) for the ResNet's n blocks.
        source: "toy" or "race".
        steps: training steps (0 for the toy, trained offline).
        images: held-out images scored.
        data: description of the data.
        elapsed: seconds.
    """

    curves: tuple[LesionCurve, ...]
    paths: np.ndarray
    source: LesionNetwork
    steps: int
    images: int
    data: str
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        n = len(self.paths) - 1
        return {
            "source": self.source,
            "steps": self.steps,
            "images": self.images,
            "data": self.data,
            "elapsed_s": round(self.elapsed, 2),
            "blocks": n,
            "path_counts": [int(c) if n <= 62 else str(c) for c in self.paths],
            "path_length_fraction": np.round(path_length_distribution(n), 6).tolist(),
            "curves": [c.to_dict() for c in self.curves],
        }


def _toy_lesion(call: LesionCall) -> tuple[list[tuple[ResNet, str, NetKind]], Tensor, Tensor, str]:
    from ..toy import TOY_PREPROCESS, load_toy, toy_data

    toy = load_toy()  # a fresh copy: the lesion's hooks never touch a served model
    # a stream the training never saw (training used seeds (0, 0) and (0, 1))
    images, labels = toy_data(TOY_LESION_IMAGES, seed=(call.seed, 7))
    mean = torch.tensor(TOY_PREPROCESS.mean).view(1, 3, 1, 1)
    std = torch.tensor(TOY_PREPROCESS.std).view(1, 3, 1, 1)
    x = (torch.from_numpy(images) - mean) / std  # (N, 3, 32, 32)
    return [(toy.model, "toy ResNet-18 (8 blocks)", "residual")], x, torch.from_numpy(labels), toy.metadata.get("data", "")


@study("lesion", call_type=LesionCall)
def lesion(ctx: StudyContext, call: LesionCall) -> Iterator[Progress | LesionResult]:
    """Veit et al.'s lesion study on the toy model or on the race's trained twins."""
    start = time.perf_counter()
    steps = 0
    if call.network == "toy":
        yield Progress(0.0, "loading", "toy")
        nets, x, y, data = _toy_lesion(call)
    else:
        twins = yield from train_twins(
            (call.depth,), steps=call.steps, seed=call.seed, max_seconds=call.max_seconds, check=ctx.check
        )
        nets = [(t.model, t.name, t.kind) for t in reversed(twins.nets)]  # ResNet first
        x, y, data, steps = twins.test_images, twins.test_labels, twins.data.description, twins.steps
    curves = []
    for i, (model, name, kind) in enumerate(nets):
        ctx.check()
        yield Progress(i / len(nets), "lesioning", name)
        k = min(call.k_max, len(model.block_names()))
        curves.append(lesion_curve(model, x, y, name=name, kind=kind, k_max=k, samples=call.samples, seed=call.seed,
                                   check=ctx.check))
    n = len(curves[0].blocks)
    yield LesionResult(tuple(curves), path_counts(n), call.network, steps, len(x), data, time.perf_counter() - start)


@dataclass(frozen=True)
class SavedLesions:
    """Lesion studies of several seeds saved by ``scripts/lesion.py``.

    Attributes:
        runs: one :class:`LesionResult` per seed (ResNet curve first, then the plain twin).
        seeds: the seeds, in the order of ``runs``.
        meta: machine, torch, date, wall time, command (:func:`._common.machine_info`).
    """

    runs: tuple[LesionResult, ...]
    seeds: tuple[int, ...]
    meta: dict[str, Any]


def save_lesions(runs: Sequence[LesionResult], seeds: Sequence[int], path: str | Path, *, meta: dict[str, Any]) -> Path:
    """Write lesion results of several seeds as small JSON (a few KB per seed)."""
    path = Path(path)
    doc = {"format": LESION_FORMAT, "seeds": list(seeds), "meta": meta, "runs": [r.to_dict() for r in runs]}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


def load_lesions(path: str | Path) -> SavedLesions:
    """Read what :func:`save_lesions` wrote.

    Raises:
        FileNotFoundError: no file at ``path``.
        LabError: (a ValueError) not a lesion file (wrong format key, malformed, or too large).
    """

    def parse(doc: dict[str, Any]) -> SavedLesions:
        runs = tuple(
            LesionResult(
                curves=tuple(LesionCurve.from_dict(c) for c in r["curves"]),
                paths=path_counts(int(r["blocks"])),
                source=r["source"],
                steps=int(r["steps"]),
                images=int(r["images"]),
                data=str(r["data"]),
                elapsed=float(r["elapsed_s"]),
            )
            for r in doc["runs"]
        )
        return SavedLesions(runs, tuple(int(s) for s in doc["seeds"]), dict(doc["meta"]))

    return read_saved(path, fmt=LESION_FORMAT, what=Term("lesion", key="error.term_lesion"), parse=parse)


__all__ = [
    "LESION_FORMAT",
    "LESION_NETWORKS",
    "SavedLesions",
    "load_lesions",
    "save_lesions",
    "ROBUST_DROP",
    "ROBUST_SHARE",
    "SMOOTH_STEP",
    "LesionCall",
    "LesionCurve",
    "LesionResult",
    "lesion",
    "lesion_curve",
    "lesioned",
    "path_counts",
    "path_length_distribution",
]
