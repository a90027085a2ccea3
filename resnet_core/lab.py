"""The "why residual?" lab: gradient flow, the training race, and shortcut ablations.

The questions come from He et al., "Deep Residual Learning for Image Recognition"
(https://arxiv.org/abs/1512.03385): deep *plain* networks are hard to optimize (section 4.1 and
Fig. 4 left: the 34-layer plain net has a higher training error than the 18-layer one), while the
same networks with shortcuts are not. "Identity Mappings in Deep Residual Networks"
(https://arxiv.org/abs/1603.05027) adds why a clean identity path helps: with pre-activation
blocks ``x_L = x_l + sum_i F(x_i)``, so every block receives a term of the gradient straight
from the top (their Eq. 5).

Three tools:

* :func:`gradient_flow`: one backward pass at initialization through a residual network, its
  plain twin and its pre-activation form; gradient norm per block and, for residual blocks,
  how much of the gradient arrives through the shortcut and how much through the branch.
* :func:`race`: plain-N against ResNet-N trained side by side on a synthetic data set
  (:func:`make_shapes`), as a generator of :class:`RaceUpdate` for a live page.
* :func:`ablate` / :func:`ablation_study`: zero one block's branch or cut its shortcut on a
  served model, for the calling thread only.

Every hook goes through :mod:`resnet_core.hooks`, so a served model shared between users is
never affected by another user's lab request.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .blocks import is_block
from .device import pick_device
from .hooks import capture_outputs, patch_inputs
from .model import ResNet, build_cifar_resnet, build_resnet
from .results import Prediction, predictions
from .specs import CIFAR_WIDTHS, IMAGENET_DEPTHS, MAX_BLOCKS_PER_STAGE, ResNetSpec, cifar_spec

Family = Literal["cifar", "imagenet"]
NetKind = Literal["residual", "plain", "preact"]
AblationMode = Literal["branch", "shortcut", "none"]

FAMILIES: tuple[Family, ...] = ("cifar", "imagenet")
ABLATION_MODES: tuple[AblationMode, ...] = ("branch", "shortcut", "none")

#: bounds that keep one gradient-flow request to a few seconds on a CPU (ResNet-200 at 64x64,
#: batch 16, three networks: about 3 s on 2 cores)
MAX_FLOW_BATCH = 64
#: and a bound on batch x input_size^2 x depth, which sets the activation memory (CIFAR-386 at
#: batch 16 and 32x32 is 6.3M; ImageNet ResNet-200 at batch 16 and 64x64 is 13.1M)
MAX_FLOW_WORK: dict[str, int] = {"cifar": 2**23, "imagenet": 2**24}
FLOW_INPUT_SIZES: dict[str, tuple[int, int]] = {"cifar": (8, 64), "imagenet": (32, 128)}
DEFAULT_INPUT_SIZE: dict[str, int] = {"cifar": 32, "imagenet": 64}
MAX_CIFAR_DEPTH = 6 * MAX_BLOCKS_PER_STAGE + 2  # 386


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch's global RNG for model construction and restore the caller's state afterwards.

    Model constructors draw their initial weights from the global generator; forking it keeps
    the lab reproducible without changing what the rest of the process draws next.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


# --------------------------------------------------------------------------------------------
# 1. Gradient flow at initialization
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkFlow:
    """Gradients of one network after one backward pass at initialization.

    All norms are Frobenius norms over the whole batch tensor of the mean cross-entropy loss's
    gradient, in float64.

    Attributes:
        kind: "residual" (the paper's v1 blocks), "plain" (the same layers, shortcuts removed)
            or "preact" (Identity Mappings, pre-activation blocks).
        name: display name, e.g. "ResNet-56", "Plain-56", "PreAct ResNet-56".
        norm: whether the network has batch normalization.
        blocks: block names, input side first.
        grad_norms: (N,) ``||dL/d(block output)||`` per block.
        input_norms: (N,) ``||dL/d(block input)||`` per block.
        shortcut_norms: (N,) for residual and preact networks, the norm of the part of
            ``dL/d(block input)`` that arrives through the shortcut; None for a plain net.
        branch_norms: (N,) the part that arrives through the residual branch; None for plain.
            ``shortcut part + branch part = dL/d(block input)`` exactly (vectors, not norms).
        loss: the cross-entropy at initialization (a huge value means the forward exploded).
    """

    kind: NetKind
    name: str
    norm: bool
    blocks: tuple[str, ...]
    grad_norms: np.ndarray
    input_norms: np.ndarray
    shortcut_norms: np.ndarray | None
    branch_norms: np.ndarray | None
    loss: float

    @property
    def first_last_ratio(self) -> float:
        """``grad_norms[0] / grad_norms[-1]``: above 1 the gradient grows toward the input
        (explodes), below 1 it shrinks (vanishes)."""
        last = float(self.grad_norms[-1])
        return float(self.grad_norms[0]) / last if last > 0 else math.inf

    @property
    def shortcut_share(self) -> np.ndarray | None:
        """(N,) ``shortcut / (shortcut + branch)`` of the two norms, in [0, 1]; None for plain."""
        if self.shortcut_norms is None or self.branch_norms is None:
            return None
        total = self.shortcut_norms + self.branch_norms
        return np.divide(self.shortcut_norms, total, out=np.full_like(total, np.nan), where=total > 0)

    @property
    def label(self) -> str:
        """The name with the normalization, for legends: "Plain-56, BN" / "Plain-56, no BN"."""
        return f"{self.name}, {'BN' if self.norm else 'no BN'}"

    @property
    def summary(self) -> str:
        """One honest sentence about what the gradient does across the depth."""
        r = self.first_last_ratio
        if r > 10:
            trend = f"{r:.3g}x the last block's: it grows toward the input (explodes)"
        elif r < 0.1:
            trend = f"{r:.3g}x the last block's: it shrinks toward the input (vanishes)"
        else:
            trend = f"{r:.3g}x the last block's: within an order of magnitude"
        return f"{self.label}: the first block's gradient is {trend}; loss at init {self.loss:.3g}."


@dataclass(frozen=True)
class GradientFlow:
    """One :func:`gradient_flow` run: the same batch through three networks.

    Attributes:
        family: "cifar" or "imagenet".
        depth: layers (CIFAR: 6n+2; ImageNet: 18, 50, ...).
        norm: batch normalization on or off in all three networks.
        batch: images in the random batch.
        input_size: side of the square input.
        seed: seed of the weights, the batch and the labels.
        networks: residual, plain and preact, in that order.
    """

    family: Family
    depth: int
    norm: bool
    batch: int
    input_size: int
    seed: int
    networks: tuple[NetworkFlow, ...]

    def network(self, kind: NetKind) -> NetworkFlow:
        for net in self.networks:
            if net.kind == kind:
                return net
        raise KeyError(kind)


def _check_int(name: str, value: object, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer between {lo} and {hi}, got {value!r}")
    return value


def _flow_models(family: Family, depth: int, norm: bool, seed: int) -> Iterator[tuple[NetKind, str, ResNet]]:
    """The three networks, built one at a time so only one is in memory at once."""
    prefix = "" if family == "imagenet" else "CIFAR "
    for kind, variant, shortcuts, name in (
        ("residual", "v1", True, f"{prefix}ResNet-{depth}"),
        ("plain", "v1", False, f"{prefix}Plain-{depth}"),
        ("preact", "preact", True, f"{prefix}PreAct ResNet-{depth}"),
    ):
        # Same seed for all three: for CIFAR (option-A shortcuts, no parameters) the residual
        # net and its plain twin start from identical weights, so only the shortcuts differ.
        with _seeded(seed):
            if family == "cifar":
                model = build_cifar_resnet(depth, variant=variant, norm=norm, shortcuts=shortcuts)
            else:
                model = build_resnet(depth, variant=variant, norm=norm, shortcuts=shortcuts)
        yield kind, name, model.train()  # train mode: BN uses batch statistics


def _norm(t: Tensor) -> float:
    return float(t.detach().double().norm())


@dataclass(frozen=True)
class BlockGradients:
    """The gradient tensors behind :class:`NetworkFlow` for one block (batch included).

    Attributes:
        output: dL/d(block output).
        input: dL/d(block input).
        via_shortcut: the part of ``input`` that arrives through the shortcut; None if plain.
        via_branch: the part that arrives through the residual branch; None if plain.
    """

    output: Tensor
    input: Tensor
    via_shortcut: Tensor | None
    via_branch: Tensor | None


def block_gradients(model: ResNet, images: Tensor, labels: Tensor) -> tuple[float, dict[str, BlockGradients]]:
    """One forward and backward of cross-entropy, and each block's gradients, split by path.

    The model is used in the mode it is in; :func:`gradient_flow` runs fresh models in train
    mode. The split: with ``g = dL/d(shortcut + branch)`` at the block's :class:`ResidualAdd`,
    ``via_shortcut = g`` pushed back to the block input through the shortcut alone and
    ``via_branch`` the same through the branch alone; they add up to ``dL/d(block input)``
    because the input feeds nothing but the block.

    Returns:
        The loss and ``{block name: BlockGradients}`` in network order.
    """
    names = model.block_names()
    residual = [n for n in names if model.get_submodule(n).has_shortcut]
    inputs: dict[str, Tensor] = {}
    summands: dict[str, tuple[Tensor, Tensor]] = {}

    def keep_input(name: str):
        def fn(args: tuple) -> tuple:
            inputs[name] = args[0]
            return args

        return fn

    def keep_summands(name: str):
        def fn(args: tuple) -> tuple:
            summands[name] = (args[0], args[1])  # (shortcut, branch)
            return args

        return fn

    with torch.enable_grad(), ExitStack() as stack:
        outputs = stack.enter_context(capture_outputs(model, names))
        sums = stack.enter_context(capture_outputs(model, [f"{n}.add" for n in residual]))
        for n in names:
            stack.enter_context(patch_inputs(model, n, keep_input(n)))
        for n in residual:
            stack.enter_context(patch_inputs(model, f"{n}.add", keep_summands(n)))
        logits = model(images)  # (B, num_classes)
        loss = F.cross_entropy(logits, labels)

        wrt = [outputs[n] for n in names] + [inputs[n] for n in names]
        wrt += [sums[f"{n}.add"] for n in residual]
        grads = torch.autograd.grad(loss, wrt, retain_graph=bool(residual))
        k = len(names)
        grad_sum = dict(zip(residual, grads[2 * k :]))

        parts: dict[str, tuple[Tensor, Tensor]] = {}
        for n in residual:
            x = inputs[n]
            shortcut, branch = summands[n]
            g = grad_sum[n]  # dL/d(shortcut + branch)
            (via_shortcut,) = torch.autograd.grad(shortcut, x, g, retain_graph=True)
            (via_branch,) = torch.autograd.grad(branch, x, g, retain_graph=True)
            parts[n] = (via_shortcut, via_branch)

    result = {
        n: BlockGradients(grads[i], grads[k + i], *parts.get(n, (None, None))) for i, n in enumerate(names)
    }
    return float(loss.detach()), result


def network_flow(model: ResNet, images: Tensor, labels: Tensor) -> tuple[float, dict[str, Any]]:
    """The norms of :func:`block_gradients`, as the arrays of :class:`NetworkFlow`."""
    loss, grads = block_gradients(model, images, labels)
    blocks = list(grads.values())
    residual = all(b.via_shortcut is not None for b in blocks)
    arrays: dict[str, Any] = {
        "grad_norms": np.array([_norm(b.output) for b in blocks]),
        "input_norms": np.array([_norm(b.input) for b in blocks]),
        "shortcut_norms": np.array([_norm(b.via_shortcut) for b in blocks]) if residual else None,
        "branch_norms": np.array([_norm(b.via_branch) for b in blocks]) if residual else None,
    }
    return loss, arrays


def gradient_flow(
    *,
    family: Family = "cifar",
    depth: int = 56,
    norm: bool = True,
    batch: int = 16,
    input_size: int | None = None,
    seed: int = 0,
) -> GradientFlow:
    """One backward pass at initialization through a ResNet, its plain twin and its preact form.

    The three networks are built fresh (never a served model) and run in train mode, so batch
    normalization uses the batch's statistics as it does in the first training step. The batch
    is seeded Gaussian noise with random labels and the loss is cross-entropy; at
    initialization the gradient's size does not depend on what the images show.

    What to expect (measured on CPU, torch 2.14, batch 16, seeds 0-4; ratio = first block's
    gradient norm over the last block's): with BN, CIFAR plain-56 5.9e3-1.4e4 (it explodes
    toward the input), ResNet-56 17-22, PreAct ResNet-56 41-50; plain-110 3e7, ResNet-110 45.
    Without BN the plain net's gradient shrinks toward the input instead (0.05-0.74 at 56
    layers, 0.06 at 110), while the residual nets without BN blow up in the forward pass
    (ResNet-56: loss 1.6e3-2.6e4 at initialization, ratio 2.9e3-2.2e4). ImageNet family at
    64x64, seed 0: ResNet-50 99 vs plain-50 2.9e3 with BN, 26 vs 0.047 without.

    Args:
        family: "cifar" (section 4.2 of the paper: 3x3 stem, three stages of 16/32/64 filters,
            option-A shortcuts, 10 classes) or "imagenet" (Table 1, 1000 classes).
        depth: CIFAR: 6n+2 (20, 32, 44, 56, 110, up to 386); ImageNet: a depth of the table
            (10, 18, 34, 50, 101, 152, 200).
        norm: batch normalization on (True) or replaced by identities (False).
        batch: images in the batch (2-64; BN in train mode needs at least 2). Batch, input
            size and depth are bounded together (:data:`MAX_FLOW_WORK`) to bound memory.
        input_size: side of the square input; default 32 for CIFAR, 64 for ImageNet (small, to
            keep ResNet-200 to seconds on a CPU).
        seed: seeds weights, images and labels.

    Returns:
        A :class:`GradientFlow` with the residual, plain and preact networks in that order.

    Raises:
        ValueError: an unknown family, a depth the family does not have, or a batch or input
            size out of range.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, not {family!r}")
    if family == "cifar":
        _check_int("depth", depth, 8, MAX_CIFAR_DEPTH)
        cifar_spec(depth)  # raises the readable 6n+2 message
    elif not isinstance(depth, int) or isinstance(depth, bool) or depth not in IMAGENET_DEPTHS:
        known = ", ".join(map(str, IMAGENET_DEPTHS))
        raise ValueError(f"ImageNet ResNets have depth {known}; got {depth!r}")
    _check_int("batch", batch, 2, MAX_FLOW_BATCH)
    lo, hi = FLOW_INPUT_SIZES[family]
    size = DEFAULT_INPUT_SIZE[family] if input_size is None else input_size
    _check_int("input_size", size, lo, hi)
    work = batch * size * size * depth
    if work > MAX_FLOW_WORK[family]:
        raise ValueError(
            f"batch x input_size^2 x depth = {batch} x {size}^2 x {depth} = {work:,} is over the "
            f"limit of {MAX_FLOW_WORK[family]:,} for {family}; use a smaller batch or input size"
        )
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")

    gen = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, 3, size, size, generator=gen)  # (B, 3, H, W)
    networks = []
    for kind, name, model in _flow_models(family, depth, norm, seed):
        labels = torch.randint(0, model.num_classes, (batch,), generator=torch.Generator().manual_seed(seed))
        loss, arrays = network_flow(model, images, labels)
        networks.append(
            NetworkFlow(kind=kind, name=name, norm=norm, blocks=model.block_names(), loss=loss, **arrays)
        )
    return GradientFlow(
        family=family,
        depth=depth,
        norm=norm,
        batch=batch,
        input_size=size,
        seed=seed,
        networks=tuple(networks),
    )


# --------------------------------------------------------------------------------------------
# 2. The training race on a synthetic data set
# --------------------------------------------------------------------------------------------

#: the ten classes of :func:`make_shapes`; colours are random, so only shape and texture tell
SHAPE_CLASSES: tuple[str, ...] = (
    "disk",
    "ring",
    "square",
    "frame",
    "plus",
    "cross",
    "horizontal stripes",
    "vertical stripes",
    "triangle",
    "checkerboard",
)


#: images x pixels one split may have: 2**25 is 130k images at 16x16 (400 MB of float32)
MAX_SHAPE_PIXELS = 2**25


@dataclass(frozen=True)
class ShapesData:
    """The synthetic "shapes" data set of the race: generated, seeded, nothing downloaded.

    Each image shows one of ten shapes or textures (:data:`SHAPE_CLASSES`) at a random
    position and size, in a random colour on a random background, plus Gaussian pixel noise.
    Colour carries no information, so a network has to learn shape; a small convnet reaches
    about 90% in a few hundred steps, which is what makes a race visible in a minute.

    Attributes:
        image_size: side of the square images (16 keeps a 32-layer race near a minute on CPU).
        train_size: training images.
        test_size: held-out images (a separate random stream of the same seed).
        noise: standard deviation of the pixel noise, images being in [0, 1].
        seed: seed of both splits.
    """

    image_size: int = 16
    train_size: int = 5000
    test_size: int = 500
    noise: float = 0.15
    seed: int = 0

    def __post_init__(self) -> None:
        _check_int("image_size", self.image_size, 8, 64)
        most = MAX_SHAPE_PIXELS // self.image_size**2
        _check_int("train_size", self.train_size, 10, most)
        _check_int("test_size", self.test_size, 10, most)
        if not 0.0 <= self.noise <= 1.0:
            raise ValueError(f"noise must be in [0, 1], got {self.noise!r}")
        if not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")

    @property
    def description(self) -> str:
        return (
            f"synthetic shapes: {len(SHAPE_CLASSES)} classes ({', '.join(SHAPE_CLASSES)}), "
            f"{self.image_size}x{self.image_size} RGB, random colours and positions, "
            f"pixel noise sigma={self.noise}; {self.train_size} train / {self.test_size} held-out "
            f"images, seed {self.seed}"
        )

    def splits(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(train_images, train_labels, test_images, test_labels)`` as from :func:`make_shapes`."""
        common = {"image_size": self.image_size, "noise": self.noise}
        x, y = make_shapes(self.train_size, seed=(self.seed, 0), **common)
        xt, yt = make_shapes(self.test_size, seed=(self.seed, 1), **common)
        return x, y, xt, yt


def make_shapes(
    n: int, *, image_size: int = 16, noise: float = 0.15, seed: int | Sequence[int] = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``n`` images of the shapes data set (see :class:`ShapesData`).

    Args:
        n: number of images.
        image_size: side of the square images.
        noise: standard deviation of the Gaussian pixel noise.
        seed: seed (or seed sequence) of numpy's generator; no global state is touched.

    Returns:
        ``images`` (n, 3, H, W) float32 in [0, 1] and ``labels`` (n,) int64 in [0, 10).
    """
    _check_int("image_size", image_size, 8, 64)
    _check_int("n", n, 1, MAX_SHAPE_PIXELS // image_size**2)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPE_CLASSES), n)
    # in chunks, so that the float64 temporaries stay small whatever n is
    images = np.concatenate(
        [_draw_shapes(rng, labels[i : i + 1024], image_size, noise) for i in range(0, n, 1024)]
    )
    return images, labels.astype(np.int64)


def _draw_shapes(rng: np.random.Generator, labels: np.ndarray, size: int, noise: float) -> np.ndarray:
    n = len(labels)
    yy, xx = (np.mgrid[0:size, 0:size].astype(np.float32) + 0.5)[:, None]  # (1, H, W) each
    cy = rng.uniform(0.35, 0.65, (n, 1, 1)) * size
    cx = rng.uniform(0.35, 0.65, (n, 1, 1)) * size
    r = rng.uniform(0.22, 0.34, (n, 1, 1)) * size  # half-size of the shape
    period = rng.uniform(3.0, 5.0, (n, 1, 1))  # stripes, in pixels
    phase = rng.uniform(0.0, 2 * np.pi, (n, 1, 1))
    dy, dx = yy - cy, xx - cx  # (n, H, W)
    ady, adx = np.abs(dy), np.abs(dx)
    dist = np.hypot(dy, dx)
    box = np.maximum(ady, adx)  # Chebyshev distance: squares
    line = np.maximum(1.0, 0.3 * r) * 0.6  # half line width
    cell = np.maximum(2.0, r / 2)

    masks = (
        dist <= r,
        np.abs(dist - r) <= line,
        box <= 0.9 * r,
        np.abs(box - 0.9 * r) <= line,
        ((ady <= line) | (adx <= line)) & (box <= r),
        (np.abs(ady - adx) <= 1.2 * line) & (box <= r),
        (np.sin(2 * np.pi * yy / period + phase) > 0) & (box <= 1.2 * r),
        (np.sin(2 * np.pi * xx / period + phase) > 0) & (box <= 1.2 * r),
        (ady <= r) & (adx <= (dy + r) * 0.5),
        ((np.floor(dy / cell) + np.floor(dx / cell)) % 2 == 0) & (box <= r),
    )
    shape = np.zeros((n, size, size), dtype=bool)
    for k, mask in enumerate(masks):
        chosen = labels == k
        shape[chosen] = mask[chosen]

    fg = rng.uniform(0.0, 1.0, (n, 3, 1, 1))
    bg = rng.uniform(0.0, 1.0, (n, 3, 1, 1))
    # at least 0.3 apart in brightness, so every shape is visible through the noise
    gap = fg.mean(1, keepdims=True) - bg.mean(1, keepdims=True)
    fg = np.clip(fg + np.where(gap >= 0, 1.0, -1.0) * np.maximum(0.0, 0.3 - np.abs(gap)), 0.0, 1.0)
    images = np.where(shape[:, None], fg, bg) + rng.normal(0.0, noise, (n, 3, size, size))
    return np.clip(images, 0.0, 1.0).astype(np.float32)  # (n, 3, H, W)


@dataclass(frozen=True)
class RaceCurve:
    """One network's curves so far.

    Attributes:
        name: "Plain-32", "ResNet-32".
        kind: "plain" or "residual".
        depth: layers (6n+2).
        steps: (k,) step numbers (1-based) of ``loss`` and ``accuracy``.
        loss: (k,) training loss of each step's batch (before its update).
        accuracy: (k,) accuracy on that batch, in [0, 1].
        eval_steps: (m,) steps at which the held-out set was scored (0 = at initialization).
        eval_accuracy: (m,) held-out accuracy there, BN in eval mode.
    """

    name: str
    kind: NetKind
    depth: int
    steps: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    eval_steps: np.ndarray
    eval_accuracy: np.ndarray

    def binned(self, max_points: int) -> RaceCurve:
        """The same curve with training points averaged in bins (for saving long runs)."""
        k = len(self.steps)
        if k <= max_points:
            return self
        edges = np.linspace(0, k, max_points + 1).astype(int)

        def mean(a: np.ndarray) -> np.ndarray:
            return np.add.reduceat(a.astype(np.float64), edges[:-1]) / np.diff(edges)

        last = self.steps[edges[1:] - 1]
        return RaceCurve(
            name=self.name,
            kind=self.kind,
            depth=self.depth,
            steps=last,
            loss=mean(self.loss),
            accuracy=mean(self.accuracy),
            eval_steps=self.eval_steps,
            eval_accuracy=self.eval_accuracy,
        )

    def to_dict(self, *, digits: int = 4) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "depth": self.depth,
            "steps": self.steps.astype(int).tolist(),
            "loss": np.round(self.loss.astype(float), digits).tolist(),
            "accuracy": np.round(self.accuracy.astype(float), digits).tolist(),
            "eval_steps": self.eval_steps.astype(int).tolist(),
            "eval_accuracy": np.round(self.eval_accuracy.astype(float), digits).tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RaceCurve:
        return cls(
            name=str(d["name"]),
            kind=d["kind"],
            depth=int(d["depth"]),
            steps=np.asarray(d["steps"], dtype=np.int64),
            loss=np.asarray(d["loss"], dtype=np.float64),
            accuracy=np.asarray(d["accuracy"], dtype=np.float64),
            eval_steps=np.asarray(d["eval_steps"], dtype=np.int64),
            eval_accuracy=np.asarray(d["eval_accuracy"], dtype=np.float64),
        )


@dataclass(frozen=True)
class RaceUpdate:
    """The state of a race after some step; each update carries every curve so far, so a page
    only ever needs to draw the latest one.

    Attributes:
        step: steps done by every network.
        steps: steps planned.
        elapsed: seconds since the race started (data generation and model building included).
        curves: one :class:`RaceCurve` per network, plain before residual for each depth.
        done: the last update of the race.
        stopped: why the race ended before ``steps``: "time budget", or None.
        device: where it ran ("cpu", "cuda:0").
        config: the race's settings (depths, width, batch, lr, ...), JSON-ready.
        data: description of the data set.
    """

    step: int
    steps: int
    elapsed: float
    curves: tuple[RaceCurve, ...]
    done: bool
    stopped: str | None
    device: str
    config: dict[str, Any] = field(default_factory=dict)
    data: str = ""

    @property
    def progress(self) -> float:
        """Fraction of the planned steps done, in [0, 1]."""
        return self.step / self.steps if self.steps else 1.0

    def curve(self, name: str) -> RaceCurve:
        for c in self.curves:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self, *, max_points: int | None = None) -> dict[str, Any]:
        """JSON-ready: settings and curves (binned to at most ``max_points`` training points)."""
        curves = [c.binned(max_points) if max_points else c for c in self.curves]
        return {
            "step": self.step,
            "steps": self.steps,
            "elapsed_s": round(self.elapsed, 2),
            "stopped": self.stopped,
            "device": self.device,
            "config": self.config,
            "data": self.data,
            "curves": [c.to_dict() for c in curves],
        }


#: race defaults, measured on the 2-core CPU of the development machine (torch 2.14, one
#: intra-op thread, the machine shared with other jobs at a load of 3-5): plain-32 against
#: ResNet-32 at half the paper's width (8/16/32), 16x16 shapes, batch 64, lr 0.05 (the paper's
#: 0.1 at batch 128, scaled linearly). 300 steps took 45 s (seed 0) and 108 s (seed 1, busier);
#: mean training accuracy over steps 201-250 / held-out accuracy at step 250:
#:   seed 0: ResNet-32 0.93 / 0.91, plain-32 0.18 / 0.18
#:   seed 1: ResNet-32 0.86 / 0.86, plain-32 0.13 / 0.12
#: so 250 steps show the gap clearly (it is plain from step ~100 on). At depth 20 the gap is
#: smaller and closes later (prototype: ResNet-20 0.95 vs plain-20 0.53 at step 300); at 56
#: plain stays at chance but each step costs about twice as much. With two intra-op threads on
#: a busy CPU the same race stalled (50 steps in 144-221 s against 10 s with one thread).
RACE_DEFAULTS: dict[str, Any] = {
    "depth": 32,
    "steps": 250,
    "batch": 64,
    "width": 8,
    "lr": 0.05,
    "eval_every": 50,
    "every": 10,
    "max_seconds": 90.0,
}


def _race_model(depth: int, width: int, shortcuts: bool, seed: int) -> ResNet:
    n = cifar_spec(depth).layers[0]
    widths = tuple(width * w // CIFAR_WIDTHS[0] for w in CIFAR_WIDTHS)  # (w, 2w, 4w)
    spec = ResNetSpec(block="basic", layers=(n, n, n), widths=widths, stem="cifar")
    # Same seed for both: option-A shortcuts have no parameters, so plain-N and ResNet-N start
    # from identical weights and the race isolates the shortcuts.
    with _seeded(seed):
        return ResNet(
            spec,
            variant="v1",
            num_classes=len(SHAPE_CLASSES),
            shortcuts=shortcuts,
            shortcut_kind="A",
        )


@torch.no_grad()
def _accuracy(model: nn.Module, images: Tensor, labels: Tensor, *, chunk: int = 500) -> float:
    was_training = model.training
    model.eval()
    try:
        correct = 0
        for i in range(0, len(images), chunk):
            correct += int((model(images[i : i + chunk]).argmax(1) == labels[i : i + chunk]).sum())
        return correct / len(images)
    finally:
        model.train(was_training)


def race(
    *,
    depth: int | Sequence[int] = RACE_DEFAULTS["depth"],
    steps: int = RACE_DEFAULTS["steps"],
    batch: int = RACE_DEFAULTS["batch"],
    seed: int = 0,
    data: ShapesData | None = None,
    width: int = RACE_DEFAULTS["width"],
    lr: float = RACE_DEFAULTS["lr"],
    eval_every: int = RACE_DEFAULTS["eval_every"],
    every: int = RACE_DEFAULTS["every"],
    max_seconds: float | None = RACE_DEFAULTS["max_seconds"],
    device: str | torch.device | None = None,
) -> Iterator[RaceUpdate]:
    """Train plain-N and ResNet-N side by side and report as they go.

    The networks are the CIFAR nets of section 4.2 of the paper (3x3 stem, three stages,
    option-A shortcuts, BN on), at ``width`` filters in the first stage (the paper has 16),
    trained with SGD, momentum 0.9 and weight decay 1e-4 as in the paper, on the same batches
    in the same order. Every network steps once per step, so their curves advance together.

    Args:
        depth: 6n+2 layers, or several depths (e.g. ``(20, 56)``: plain-20, ResNet-20,
            plain-56, ResNet-56, which shows the degradation of plain nets with depth too).
        steps: training steps per network.
        batch: images per step.
        seed: seed of the weights and of the batch order (the data has its own seed).
        data: the data set; default ``ShapesData()`` (16x16, 5000 train, 500 held-out).
        width: filters of the first stage (stages have width, 2 width, 4 width).
        lr: SGD learning rate, constant.
        eval_every: score the held-out set every this many steps (and at step 0 and the end).
        every: yield an update every this many steps (and after each evaluation).
        max_seconds: stop cleanly after the step that passes this many seconds (the last
            update then has ``stopped="time budget"``); None for no limit.
        device: "cpu", "cuda", ...; default as :func:`resnet_core.device.pick_device`.

    Yields:
        :class:`RaceUpdate`: one at step 0 (models built, held-out accuracy at init), then
        every ``every`` steps, and a final one with ``done=True``.

    Raises:
        ValueError: a bad depth, size or rate (raised by the call, before any work).
    """
    depths = (depth,) if isinstance(depth, int) else tuple(depth)
    if not depths or len(depths) > 4:
        raise ValueError(f"give one to four depths, got {depth!r}")
    for d in depths:
        _check_int("depth", d, 8, 110)
        cifar_spec(d)
    _check_int("steps", steps, 1, 100_000)
    _check_int("batch", batch, 2, 1024)
    _check_int("width", width, 2, 64)
    _check_int("eval_every", eval_every, 1, 100_000)
    _check_int("every", every, 1, 100_000)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not (isinstance(lr, (int, float)) and 0 < lr <= 10):
        raise ValueError(f"lr must be in (0, 10], got {lr!r}")
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds must be positive or None, got {max_seconds!r}")
    data = data or ShapesData()
    dev = device if isinstance(device, torch.device) else pick_device(device)
    return _run_race(
        depths=depths,
        steps=steps,
        batch=batch,
        seed=seed,
        data=data,
        width=width,
        lr=float(lr),
        eval_every=eval_every,
        every=every,
        max_seconds=max_seconds,
        device=dev,
    )


def _run_race(
    *,
    depths: tuple[int, ...],
    steps: int,
    batch: int,
    seed: int,
    data: ShapesData,
    width: int,
    lr: float,
    eval_every: int,
    every: int,
    max_seconds: float | None,
    device: torch.device,
) -> Iterator[RaceUpdate]:
    dev = device
    start = time.perf_counter()
    x, y, xt, yt = (torch.from_numpy(a).to(dev) for a in data.splits())
    x, xt = (x - 0.5) / 0.25, (xt - 0.5) / 0.25  # (N, 3, H, W), roughly zero mean, unit std

    names, kinds, models, optimizers = [], [], [], []
    for d in depths:
        for kind in ("plain", "residual"):
            model = _race_model(d, width, kind == "residual", seed).to(dev).train()
            names.append(f"{'Plain' if kind == 'plain' else 'ResNet'}-{d}")
            kinds.append(kind)
            models.append(model)
            optimizers.append(torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4))
    k = len(models)
    losses = np.zeros((k, steps), dtype=np.float32)
    accs = np.zeros((k, steps), dtype=np.float32)
    eval_steps: list[int] = []
    eval_accs: list[list[float]] = [[] for _ in range(k)]
    config = {
        "depths": list(depths),
        "steps": steps,
        "batch": batch,
        "width": width,
        "widths": [width, 2 * width, 4 * width],
        "lr": lr,
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "seed": seed,
        "eval_every": eval_every,
        "max_seconds": max_seconds,
        "norm": "batch norm",
        "shortcuts": "option A (zero padding)",
    }

    def evaluate(step: int) -> None:
        eval_steps.append(step)
        for i, m in enumerate(models):
            eval_accs[i].append(_accuracy(m, xt, yt))

    def update(step: int, *, done: bool, stopped: str | None = None) -> RaceUpdate:
        curves = tuple(
            RaceCurve(
                name=names[i],
                kind=kinds[i],
                depth=depths[i // 2],
                steps=np.arange(1, step + 1),
                loss=losses[i, :step].copy(),
                accuracy=accs[i, :step].copy(),
                eval_steps=np.array(eval_steps, dtype=np.int64),
                eval_accuracy=np.array(eval_accs[i], dtype=np.float64),
            )
            for i in range(k)
        )
        return RaceUpdate(
            step=step,
            steps=steps,
            elapsed=time.perf_counter() - start,
            curves=curves,
            done=done,
            stopped=stopped,
            device=str(dev),
            config=config,
            data=data.description,
        )

    evaluate(0)
    yield update(0, done=False)
    gen = torch.Generator().manual_seed(seed)
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(x), (batch,), generator=gen).to(dev)
        xb, yb = x[idx], y[idx]  # (B, 3, H, W), (B,)
        for i, (model, opt) in enumerate(zip(models, optimizers)):
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            losses[i, step - 1] = loss.item()
            accs[i, step - 1] = (logits.argmax(1) == yb).float().mean().item()
        out_of_time = max_seconds is not None and time.perf_counter() - start > max_seconds
        if step == steps or out_of_time:
            evaluate(step)
            yield update(step, done=True, stopped="time budget" if out_of_time and step < steps else None)
            return
        evaluated = step % eval_every == 0
        if evaluated:
            evaluate(step)
        if evaluated or step % every == 0:
            yield update(step, done=False)


#: the ``format`` key of saved race curves (written by scripts/race.py, read by the page)
RACE_FORMAT = "resnet-playground/race-curves/1"
MAX_SAVED_BYTES = 5_000_000


@dataclass(frozen=True)
class SavedRace:
    """Race curves saved to JSON, with how and where they were produced.

    Attributes:
        curves: one :class:`RaceCurve` per network (training points possibly binned).
        meta: ``device`` ("cuda", "cpu"), ``device_name`` ("NVIDIA H100 80GB HBM3"),
            ``torch``, ``date`` (ISO 8601), ``wall_s``, ``steps`` (done), ``stopped``,
            ``config`` (as :attr:`RaceUpdate.config`), ``data`` (data set description),
            ``command``, ``produced_by``.
    """

    curves: tuple[RaceCurve, ...]
    meta: dict[str, Any]

    @property
    def caption(self) -> str:
        """How and where the curves were made, for a figure title."""
        m = self.meta
        names = " vs ".join(c.name for c in self.curves)
        where = m.get("device_name") or m.get("device", "unknown device")
        date = str(m.get("date", ""))[:10]
        return (
            f"{names}: {m.get('steps', '?')} steps on {where} ({m.get('device', '?')}), "
            f"torch {m.get('torch', '?')}, {date}, {float(m.get('wall_s', 0)):.0f} s wall, "
            f"by {m.get('produced_by', 'scripts/race.py')}"
        )


def save_race(update: RaceUpdate, path: str | Path, *, meta: dict[str, Any], max_points: int = 500) -> Path:
    """Write the curves of a finished race and ``meta`` (see :class:`SavedRace`) as JSON.

    Training points are averaged into at most ``max_points`` bins per curve, which keeps a
    few-thousand-step, four-network race well under 200 KB.
    """
    path = Path(path)
    body = update.to_dict(max_points=max_points)
    curves = body.pop("curves")
    doc = {
        "format": RACE_FORMAT,
        "meta": {**body, "steps": update.step, **meta},
        "curves": curves,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


def load_race(path: str | Path) -> SavedRace:
    """Read curves written by :func:`save_race`.

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: not a race-curves file (wrong format key, malformed, or over 5 MB).
    """
    path = Path(path)
    if path.stat().st_size > MAX_SAVED_BYTES:
        raise ValueError(f"{path} is larger than {MAX_SAVED_BYTES} bytes; not a race-curves file")
    try:
        doc = json.loads(path.read_text())
        if doc.get("format") != RACE_FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, expected {RACE_FORMAT!r}")
        curves = tuple(RaceCurve.from_dict(c) for c in doc["curves"])
        meta = dict(doc["meta"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path} is not a race-curves file: {exc}") from exc
    return SavedRace(curves=curves, meta=meta)


# --------------------------------------------------------------------------------------------
# 3. Shortcut ablation on a served model
# --------------------------------------------------------------------------------------------


def _check_residual_block(model: nn.Module, block: str) -> nn.Module:
    try:
        module = model.get_submodule(block)
    except AttributeError:
        module = None
    if module is None or not is_block(module):
        names = model.block_names() if isinstance(model, ResNet) else ()
        hint = f" (blocks: {names[0]} ... {names[-1]})" if names else ""
        raise ValueError(f"the model has no block called {block!r}{hint}")
    if not module.has_shortcut:
        raise ValueError(f"{block!r} is a plain block (no shortcut), so there is nothing to ablate")
    return module


@contextmanager
def ablate(model: nn.Module, block: str, mode: AblationMode) -> Iterator[None]:
    """Within the ``with``, forwards run *by this thread* see ``block`` ablated.

    * ``"branch"``: the residual branch's output is replaced by zeros, so the block passes its
      input through (v1 blocks still apply their final ReLU): the block is "removed", which
      Veit et al. (https://arxiv.org/abs/1605.06431) found ResNets largely survive.
    * ``"shortcut"``: the shortcut's summand is replaced by zeros, leaving only the branch, as
      in a plain network: the information carried past the block is lost.
    * ``"none"``: nothing is changed (a control; outputs are bit-identical).

    Uses :func:`resnet_core.hooks.patch_inputs` on ``f"{block}.add"``, so other threads using
    the same model are unaffected and the hook is removed on exit, also on error.

    Raises:
        ValueError: ``block`` is not a block of the model, is a plain block, or ``mode`` is
            unknown.
    """
    if mode not in ABLATION_MODES:
        raise ValueError(f"mode must be one of {ABLATION_MODES}, not {mode!r}")
    _check_residual_block(model, block)
    if mode == "none":
        yield
        return

    def zero(args: tuple) -> tuple:
        shortcut, branch = args
        if mode == "branch":
            return shortcut, torch.zeros_like(branch)
        return torch.zeros_like(shortcut), branch

    with patch_inputs(model, f"{block}.add", zero):
        yield


@dataclass(frozen=True)
class Ablation:
    """Predictions for one image with and without an ablation.

    Attributes:
        block: the ablated block ("layer3.2").
        mode: "branch", "shortcut" or "none".
        before: top-k of the intact model, most probable first.
        after: top-k with the ablation.
        logits_before: (num_classes,) float32.
        logits_after: (num_classes,) float32.
    """

    block: str
    mode: AblationMode
    before: tuple[Prediction, ...]
    after: tuple[Prediction, ...]
    logits_before: np.ndarray
    logits_after: np.ndarray

    @property
    def logit_change(self) -> float:
        """L2 norm of the change of the logits (0.0 exactly for mode "none")."""
        return float(np.linalg.norm(self.logits_after.astype(np.float64) - self.logits_before))

    @property
    def top1_changed(self) -> bool:
        return self.before[0].index != self.after[0].index


def _top_k(logits: Tensor, k: int, categories: Sequence[str] | None) -> tuple[Prediction, ...]:
    values, indices = logits.double().softmax(-1).topk(k)
    return predictions(values.tolist(), indices.tolist(), categories)


def ablation_study(
    model: nn.Module,
    tensor: Tensor,
    block: str,
    mode: AblationMode,
    *,
    categories: Sequence[str] | None = None,
    top_k: int = 5,
) -> Ablation:
    """Top-k of one image before and after :func:`ablate`.

    The model is used in the mode it is in (a served model is in eval mode) and without
    gradients; for a Grad-CAM of the ablated network, run the inspection inside
    ``with ablate(model, block, mode):``.

    Args:
        model: a ResNet (shared models are fine: the ablation is scoped to this thread).
        tensor: one preprocessed image, (3, H, W) or (1, 3, H, W).
        block: a residual block, e.g. "layer3.2" (see :meth:`ResNet.residual_blocks`).
        mode: "branch", "shortcut" or "none".
        categories: class names, one per logit; default "class i".
        top_k: how many classes to list (capped at the number of classes).

    Raises:
        ValueError: bad block, mode, tensor shape, categories or top_k.
    """
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() != 4 or tensor.shape[0] != 1 or tensor.shape[1] != 3:
        raise ValueError(f"expected one image, (3, H, W) or (1, 3, H, W), got {tuple(tensor.shape)}")
    if not isinstance(top_k, int) or isinstance(top_k, bool) or top_k < 1:
        raise ValueError(f"top_k must be a positive integer, got {top_k!r}")
    if mode not in ABLATION_MODES:
        raise ValueError(f"mode must be one of {ABLATION_MODES}, not {mode!r}")
    _check_residual_block(model, block)
    param = next(model.parameters(), None)
    if param is not None:
        tensor = tensor.to(device=param.device, dtype=param.dtype)
    with torch.no_grad():
        before = model(tensor)[0].float()  # (num_classes,)
        with ablate(model, block, mode):
            after = model(tensor)[0].float()
    if categories is not None and len(categories) != before.numel():
        raise ValueError(f"{len(categories)} categories given for {before.numel()} classes")
    k = min(top_k, before.numel())
    return Ablation(
        block=block,
        mode=mode,
        before=_top_k(before.cpu(), k, categories),
        after=_top_k(after.cpu(), k, categories),
        logits_before=before.cpu().numpy(),
        logits_after=after.cpu().numpy(),
    )


__all__ = [
    "ABLATION_MODES",
    "RACE_DEFAULTS",
    "RACE_FORMAT",
    "SHAPE_CLASSES",
    "Ablation",
    "BlockGradients",
    "GradientFlow",
    "NetworkFlow",
    "RaceCurve",
    "RaceUpdate",
    "SavedRace",
    "ShapesData",
    "ablate",
    "ablation_study",
    "block_gradients",
    "gradient_flow",
    "load_race",
    "make_shapes",
    "network_flow",
    "race",
    "save_race",
]
