"""The residual hypothesis and the paper's evidence for it: Fig. 7 of He et al., measured.

He et al., "Deep Residual Learning for Image Recognition" (https://arxiv.org/abs/1512.03385),
section 3.1: write the wanted mapping as H(x) = F(x) + x. If an identity were optimal, pushing
F to zero would be easier than fitting an identity with a stack of nonlinear layers. The paper
calls this a hypothesis and offers indirect evidence (section 4.2, Fig. 7): the standard
deviation of the layers' responses (after BN, before the addition and ReLU) is smaller in
ResNets than in their plain counterparts, and smaller in deeper ResNets, "generally closer to
zero". :func:`block_responses` measures that per block on a trained network;
the study ``residual_response`` trains the race's plain and residual twins and measures both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from ..hooks import capture_outputs, patch_inputs
from ..model import ResNet
from ..studies import StudyContext, study
from ._common import LabError, NetKind, check_float, check_int, check_seed
from .twins import MAX_TWIN_STEPS, Progress, branch_response_module, check_depths, train_twins

EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"


@dataclass(frozen=True)
class ResponseCall:
    """What ``residual_response`` trains and measures.

    Attributes:
        depths: CIFAR depths (6n+2); one to three. Two or more test "smaller in deeper nets".
        steps: training steps per network (all networks step on the same batches).
        seed: weights and batch order.
        max_seconds: stop training after this many seconds (the result says how many steps ran).
        pretrained: also measure the served ResNet-50 on the example photos where its ImageNet
            weights are present (the paper's Fig. 7 is CIFAR; this is the same measure on ImageNet).
    """

    depths: tuple[int, ...] = (20, 56)
    steps: int = 200
    seed: int = 0
    max_seconds: float = 150.0
    pretrained: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "depths", check_depths(self.depths))
        check_int("steps", self.steps, 1, MAX_TWIN_STEPS)
        check_seed(self.seed)
        check_float("max_seconds", self.max_seconds, 1.0, 3600.0)


@dataclass(frozen=True)
class BlockResponses:
    """One network's responses, per block, on the held-out images (BN in eval mode).

    Attributes:
        name: "ResNet-56", "Plain-56".
        kind: "residual" or "plain".
        depth: layers (6n+2).
        blocks: block names in network order.
        std: (N,) standard deviation of the response F(x) of each block, over every image,
            channel and position (the paper's Fig. 7 measure).
        relative: (N,) ||F(x)|| / ||x|| per block (x the block's input), averaged over images.
        heldout_accuracy: the network's held-out accuracy, to show it was trained.
    """

    name: str
    kind: NetKind
    depth: int
    blocks: tuple[str, ...]
    std: np.ndarray
    relative: np.ndarray
    heldout_accuracy: float


@dataclass(frozen=True)
class ResponseFindings:
    """What the numbers say about the paper's reading of Fig. 7 (the page words it).

    Attributes:
        depths: the depths measured, ascending.
        resnet_std: (D,) mean over blocks of the ResNet's response std, per depth.
        plain_std: (D,) the same for the plain twin.
        smaller_than_plain: per depth, the ResNet's mean response std is below the plain net's
            (the paper: "ResNets have generally smaller responses than their plain counterparts").
        blocks_smaller: (D,) fraction of block positions where the ResNet's std is below the plain's.
        deeper_smaller: the deepest ResNet's mean std is below the shallowest's (the paper:
            "the deeper ResNet has smaller magnitudes of responses"); None with one depth.
        median_relative: (D,) the ResNet's median ||F(x)|| / ||x||.
    """

    depths: tuple[int, ...]
    resnet_std: np.ndarray
    plain_std: np.ndarray
    smaller_than_plain: tuple[bool, ...]
    blocks_smaller: np.ndarray
    deeper_smaller: bool | None
    median_relative: np.ndarray


@dataclass(frozen=True)
class ResidualResponses:
    """The study's result: each trained network's responses, and how they were made.

    Attributes:
        networks: plain before residual for each depth, ascending depth.
        steps: training steps each network took.
        seed: seed of weights and batches.
        images: held-out images the responses were measured on.
        data: description of the data set.
        device: where it ran.
        elapsed: seconds, training included.
        pretrained: the served ResNet-50's responses on the example photos (ImageNet weights),
            or None where those weights are not present.
        pretrained_weights: where they came from, or why they were not measured.
    """

    networks: tuple[BlockResponses, ...]
    steps: int
    seed: int
    images: int
    data: str
    device: str
    elapsed: float
    pretrained: BlockResponses | None = None
    pretrained_weights: str = ""

    def network(self, kind: NetKind, depth: int) -> BlockResponses:
        for net in self.networks:
            if net.kind == kind and net.depth == depth:
                return net
        raise KeyError((kind, depth))

    @property
    def findings(self) -> ResponseFindings:
        depths = tuple(sorted({n.depth for n in self.networks}))
        res = [self.network("residual", d) for d in depths]
        plain = [self.network("plain", d) for d in depths]
        rs = np.array([r.std.mean() for r in res])
        ps = np.array([p.std.mean() for p in plain])
        return ResponseFindings(
            depths=depths,
            resnet_std=rs,
            plain_std=ps,
            smaller_than_plain=tuple(bool(a < b) for a, b in zip(rs, ps)),
            blocks_smaller=np.array([float(np.mean(r.std < p.std)) for r, p in zip(res, plain)]),
            deeper_smaller=bool(rs[-1] < rs[0]) if len(depths) > 1 else None,
            median_relative=np.array([float(np.median(r.relative)) for r in res]),
        )

    def to_dict(self) -> dict:
        """JSON-ready numbers (what the page's endpoint returns beside the figure)."""
        f = self.findings
        return {
            "steps": self.steps,
            "seed": self.seed,
            "images": self.images,
            "data": self.data,
            "device": self.device,
            "elapsed_s": round(self.elapsed, 2),
            "networks": [
                {
                    "name": n.name,
                    "kind": n.kind,
                    "depth": n.depth,
                    "heldout_accuracy": round(n.heldout_accuracy, 4),
                    "blocks": list(n.blocks),
                    "std": np.round(n.std, 5).tolist(),
                    "relative": np.round(n.relative, 5).tolist(),
                }
                for n in self.networks
            ],
            "pretrained": None
            if self.pretrained is None
            else {
                "name": self.pretrained.name,
                "blocks": list(self.pretrained.blocks),
                "std": np.round(self.pretrained.std, 5).tolist(),
                "relative": np.round(self.pretrained.relative, 5).tolist(),
            },
            "pretrained_weights": self.pretrained_weights,
            "findings": {
                "depths": list(f.depths),
                "resnet_mean_std": np.round(f.resnet_std, 5).tolist(),
                "plain_mean_std": np.round(f.plain_std, 5).tolist(),
                "smaller_than_plain": list(f.smaller_than_plain),
                "fraction_of_blocks_smaller": np.round(f.blocks_smaller, 4).tolist(),
                "deeper_resnet_smaller": f.deeper_smaller,
                "resnet_median_relative": np.round(f.median_relative, 5).tolist(),
            },
        }


@torch.no_grad()
def block_responses(
    model: ResNet, images: Tensor, *, name: str, kind: NetKind, depth: int, heldout_accuracy: float = float("nan")
) -> BlockResponses:
    """The std of each block's response F(x) and ||F(x)|| / ||x||, in the model's current mode.

    Args:
        model: a ResNet or plain twin (pass it in eval mode to measure as the paper did).
        images: (B, 3, H, W) inputs, preprocessed as in training.
        name, kind, depth, heldout_accuracy: copied into the record.

    Raises:
        LabError: an empty batch.
    """
    if images.dim() != 4 or images.shape[0] < 1:
        raise LabError(f"expected a batch of images (B, 3, H, W), got {tuple(images.shape)}")
    blocks = model.block_names()
    response_names = {}
    for b in blocks:
        module = branch_response_module(model.get_submodule(b))
        response_names[b] = next(n for n, m in model.named_modules() if m is module)
    inputs: dict[str, Tensor] = {}

    def keep(block: str):
        def fn(args: tuple) -> tuple:
            inputs[block] = args[0]
            return args

        return fn

    with ExitStack() as stack:
        out = stack.enter_context(capture_outputs(model, list(response_names.values())))
        for b in blocks:
            stack.enter_context(patch_inputs(model, b, keep(b)))
        model(images)
    std, rel = [], []
    for b in blocks:
        f = out[response_names[b]].double()  # (B, C, H, W)
        x = inputs[b].double()
        std.append(float(f.std()))
        rel.append(float((f.flatten(1).norm(dim=1) / x.flatten(1).norm(dim=1).clamp_min(1e-12)).mean()))
    return BlockResponses(name, kind, depth, blocks, np.array(std), np.array(rel), float(heldout_accuracy))


def pretrained_responses(ctx: StudyContext) -> tuple[BlockResponses | None, str]:
    """The served ResNet-50's responses on the shipped example photos, where ImageNet weights are
    present; else None and a note. Hooks are scoped to this thread (:mod:`resnet_core.hooks`)."""
    from ..images import load_image
    from ..preprocess import prepare
    from ..zoo import ModelKey

    served = ctx.resolve(ModelKey(50), None, 224)
    if not served.weights.pretrained:
        return None, "no pretrained ResNet-50 weights on this server"
    photos = sorted(EXAMPLES.glob("*.jpg"))
    batch = torch.cat([prepare(load_image(p), served.weights.preprocess).tensor for p in photos])
    batch = batch.to(served.device)  # (P, 3, 224, 224)
    net = block_responses(served.model, batch, name="ResNet-50 (ImageNet)", kind="residual", depth=50)
    return net, f"{served.weights.source}, {len(photos)} example photos"


@study("residual_response", call_type=ResponseCall)
def residual_response(ctx: StudyContext, call: ResponseCall) -> Iterator[Progress | ResidualResponses]:
    """Train plain-N and ResNet-N for each depth, then measure their responses (Fig. 7)."""
    start = time.perf_counter()
    twins = yield from train_twins(
        call.depths, steps=call.steps, seed=call.seed, max_seconds=call.max_seconds, check=ctx.check
    )
    yield Progress(1.0, "measuring")
    pretrained, note = pretrained_responses(ctx) if call.pretrained and ctx.resolve is not None else (None, "")
    nets = tuple(
        block_responses(
            t.model, twins.test_images, name=t.name, kind=t.kind, depth=t.depth, heldout_accuracy=t.heldout_accuracy
        )
        for t in twins.nets
    )
    yield ResidualResponses(
        networks=nets,
        steps=twins.steps,
        seed=call.seed,
        images=len(twins.test_images),
        data=twins.data.description,
        device=twins.device,
        elapsed=time.perf_counter() - start,
        pretrained=pretrained,
        pretrained_weights=note,
    )


__all__ = ["BlockResponses", "ResidualResponses", "ResponseCall", "ResponseFindings", "block_responses"]
