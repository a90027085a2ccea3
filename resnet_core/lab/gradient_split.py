"""The shortcut's gradient equation, measured: Identity Mappings, Eq. 4-5.

He et al., "Identity Mappings in Deep Residual Networks" (https://arxiv.org/abs/1603.05027):
with identity shortcuts and nothing after the addition, x_L = x_l + sum_{i=l}^{L-1} F(x_i), so

    dE/dx_l = dE/dx_L * (1 + d/dx_l sum F(x_i))          (Eq. 5)

The "1" carries the gradient of the top straight to every block, and the sum rarely cancels it
for a whole batch, so the gradient does not vanish; nothing makes the norms equal either.

Per block, the gradient reaching the block's input is split into the part that arrives through
the shortcut and the part through the branch (:func:`resnet_core.lab.flow.block_gradients` does
the autograd work), for the paper's v1 block (ReLU after the addition, which scales the "1" by
the ReLU's mask), the pre-activation block (a clean path: the shortcut part is exactly the
gradient at the block's output) and the plain twin (no shortcut: no "1" term at all).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ..model import ResNet
from ..studies import StudyContext, study
from ._common import LabError, NetKind, check_int, check_seed
from ._common import tensor_norm as _norm
from .flow import _flow_models, block_gradients
from .twins import MAX_TWIN_DEPTH, Progress, check_depths, twin_data

MAX_SPLIT_BATCH = 64


@dataclass(frozen=True)
class SplitCall:
    """What ``gradient_split`` measures: three CIFAR networks of one depth at initialization.

    Attributes:
        depth: 6n+2 layers (up to 110).
        batch: held-out synthetic images in the batch (2-64; BN in train mode needs two).
        seed: weights (the same for all three networks) and the batch.
    """

    depth: int = 56
    batch: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        check_depths((self.depth,), most=1)
        check_int("batch", self.batch, 2, MAX_SPLIT_BATCH)
        check_seed(self.seed)


@dataclass(frozen=True)
class NetworkSplit:
    """One network's per-block gradient split (norms over the whole batch).

    Attributes:
        name: "CIFAR ResNet-56", "CIFAR PreAct ResNet-56", "CIFAR Plain-56".
        kind: "residual" (v1), "preact" or "plain".
        blocks: block names in network order.
        grad_out: (N,) ||dE/d(block output)||.
        grad_in: (N,) ||dE/d(block input)|| (what autograd gives).
        via_shortcut: (N,) norm of the part arriving through the shortcut (0 in a plain net).
        via_branch: (N,) norm of the part arriving through the branch (all of it in a plain net).
        sum_error: (N,) ||via_shortcut + via_branch - grad_in|| / ||grad_in|| (rounding only).
        identity: (N,) the block's shortcut is an identity (no subsampling or padding).
        loss: cross-entropy of the batch.
    """

    name: str
    kind: NetKind
    blocks: tuple[str, ...]
    grad_out: np.ndarray
    grad_in: np.ndarray
    via_shortcut: np.ndarray
    via_branch: np.ndarray
    sum_error: np.ndarray
    identity: np.ndarray
    loss: float

    @property
    def clean(self) -> np.ndarray:
        """(N,) ||shortcut part|| / ||dE/d(output)||: exactly 1 on a clean identity path (Eq. 5's
        "1"), below 1 where a ReLU after the addition masks it, 0 without a shortcut."""
        return np.divide(self.via_shortcut, self.grad_out, out=np.zeros_like(self.grad_out), where=self.grad_out > 0)

    @property
    def first_last(self) -> float:
        """||dE/dx|| at the first block's input over that at the last block's input."""
        return float(self.grad_in[0] / self.grad_in[-1]) if self.grad_in[-1] > 0 else float("inf")


@dataclass(frozen=True)
class GradientSplit:
    """The study's result: v1, pre-activation and plain networks of one depth on one batch.

    Attributes:
        depth, batch, seed: as called.
        networks: residual (v1), preact, plain, in that order.
        data: description of the images.
    """

    depth: int
    batch: int
    seed: int
    networks: tuple[NetworkSplit, ...]
    data: str

    def network(self, kind: NetKind) -> NetworkSplit:
        for net in self.networks:
            if net.kind == kind:
                return net
        raise KeyError(kind)

    def to_dict(self) -> dict:
        def r(a: np.ndarray) -> list:
            return [float(f"{v:.5g}") for v in np.asarray(a, dtype=float)]

        return {
            "depth": self.depth,
            "batch": self.batch,
            "seed": self.seed,
            "data": self.data,
            "state": "initialization, BN in train mode",
            "networks": [
                {
                    "name": n.name,
                    "kind": n.kind,
                    "loss": round(n.loss, 5),
                    "blocks": list(n.blocks),
                    "grad_out": r(n.grad_out),
                    "grad_in": r(n.grad_in),
                    "via_shortcut": r(n.via_shortcut),
                    "via_branch": r(n.via_branch),
                    "clean_path_ratio": r(n.clean),
                    "max_sum_error": float(f"{n.sum_error.max():.3g}"),
                    "first_last_ratio": float(f"{n.first_last:.5g}"),
                }
                for n in self.networks
            ],
        }


def network_split(model: ResNet, images: Tensor, labels: Tensor, *, name: str, kind: NetKind) -> NetworkSplit:
    """Split each block's input gradient into its shortcut and branch parts, in the model's mode.

    Raises:
        LabError: labels that do not fit the batch or the classes.
    """
    if labels.shape != images.shape[:1] or int(labels.max()) >= model.num_classes:
        raise LabError("labels must be one class index per image, below the number of classes")
    loss, grads = block_gradients(model, images, labels)
    blocks = tuple(grads)
    out, inp, sc, br, err, ident = [], [], [], [], [], []
    for n in blocks:
        g = grads[n]
        block = model.get_submodule(n)
        out.append(_norm(g.output))
        inp.append(_norm(g.input))
        ident.append(bool(block.has_shortcut and block.downsample is None))
        if g.via_shortcut is None:  # plain: everything arrives through the branch
            sc.append(0.0)
            br.append(_norm(g.input))
            err.append(0.0)
            continue
        sc.append(_norm(g.via_shortcut))
        br.append(_norm(g.via_branch))
        err.append(_norm(g.via_shortcut + g.via_branch - g.input) / max(_norm(g.input), 1e-30))
    return NetworkSplit(
        name=name,
        kind=kind,
        blocks=blocks,
        grad_out=np.array(out),
        grad_in=np.array(inp),
        via_shortcut=np.array(sc),
        via_branch=np.array(br),
        sum_error=np.array(err),
        identity=np.array(ident),
        loss=loss,
    )


@study("gradient_split", call_type=SplitCall)
def gradient_split(ctx: StudyContext, call: SplitCall) -> Iterator[Progress | GradientSplit]:
    """Eq. 5 measured: the shortcut's and the branch's share of each block's gradient."""
    data = twin_data()
    _, _, xt, yt = data.splits()
    gen = np.random.default_rng(call.seed)
    pick = gen.choice(len(xt), call.batch, replace=False)
    images = (torch.from_numpy(xt[pick]) - 0.5) / 0.25  # (B, 3, H, W), normalised as in the race
    labels = torch.from_numpy(yt[pick])
    order = {"residual": 0, "preact": 1, "plain": 2}
    nets = []
    for i, (kind, name, model) in enumerate(_flow_models("cifar", call.depth, True, call.seed, False)):
        ctx.check()
        yield Progress(i / 3, "measuring", name)
        nets.append(network_split(model, images, labels, name=name, kind=kind))
    nets.sort(key=lambda n: order[n.kind])
    yield GradientSplit(call.depth, call.batch, call.seed, tuple(nets), data.description)


__all__ = ["MAX_TWIN_DEPTH", "GradientSplit", "NetworkSplit", "SplitCall", "gradient_split", "network_split"]
