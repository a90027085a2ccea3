"""Gradient flow at initialization: a ResNet, its plain twin and its pre-activation form.

He et al. (https://arxiv.org/abs/1512.03385, section 4.1) say their BN plain networks have
"healthy" backward gradients and that degradation is an optimization difficulty, not vanishing
gradients. Later work looked closer: Yang et al. ("A Mean Field Theory of Batch Normalization",
https://arxiv.org/abs/1902.08129) predicted that in wide fully-connected networks with BN the
gradient explodes toward the input at initialization; our convolutional plain nets do the same
(measured here); without BN their gradient shrinks. Identity Mappings
(https://arxiv.org/abs/1603.05027, Eq. 5) shows why a clean identity path keeps the gradient:
every block receives a term straight from the top. Zero-initialising each branch's last layer
makes every residual block the identity at the start (Goyal et al., https://arxiv.org/abs/1706.02677;
torchvision's ``zero_init_residual``); it is one of the three rules of Fixup
(https://arxiv.org/abs/1901.09321, which trains without BN: zero the classifier and each branch's
last layer, rescale the branches' other layers by the depth, add scalar biases and multipliers).

:func:`gradient_flow` runs one backward pass through the three networks and records, per block,
the gradient's size per element (its root mean square, so blocks of different shapes compare)
and how much of it arrives through the shortcut and through the branch, at initialization and
again after a few SGD steps. :class:`NetworkFlow` turns them into a per-block gain and a regime.
Nothing is extrapolated to depths not measured: the per-block gain of a ResNet falls with depth,
so a geometric extrapolation would be wrong for it; measure the depth you want to know.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..hooks import capture_outputs, patch_inputs
from ..model import ResNet
from ..specs import IMAGENET_DEPTHS, MAX_BLOCKS_PER_STAGE, cifar_spec, resolve_spec
from ._common import (
    FAMILIES,
    Family,
    LabError,
    NetKind,
    check_cifar_depth,
    check_int,
    check_seed,
    seeded,
    shown,
)


def _rms(t: Tensor) -> float:
    """Root mean square per element: the size of a gradient whatever the tensor's shape."""
    return float(t.detach().double().pow(2).mean().sqrt())

#: bounds that keep one gradient-flow request to seconds on a CPU
MAX_FLOW_BATCH = 64
#: a bound on batch x input_size^2 x depth, which sets the activation memory
MAX_FLOW_WORK: dict[str, int] = {"cifar": 2**23, "imagenet": 2**24}
FLOW_INPUT_SIZES: dict[str, tuple[int, int]] = {"cifar": (8, 64), "imagenet": (32, 128)}
DEFAULT_INPUT_SIZE: dict[str, int] = {"cifar": 32, "imagenet": 64}
MAX_CIFAR_DEPTH = 6 * MAX_BLOCKS_PER_STAGE + 2  # 386

#: A first-to-last gradient ratio within this factor (either way) is "steady": SGD uses one
#: learning rate for every layer, and a spread of under one order of magnitude is what one
#: rate comfortably serves.
STEADY_SPREAD = 10.0
#: Beyond this factor (two orders of magnitude) no single learning rate suits both ends of the
#: step it is measured at: the rate that keeps the steep end stable leaves the other end barely
#: moving. It is a statement about that step: BN networks re-balance within a few steps (see
#: :attr:`NetworkFlow.after_ratio`).
BROKEN_SPREAD = 100.0
#: SGD steps (on the same batch) before the second measurement, and their learning rate: the
#: CIFAR ResNets' rate in He et al. is 0.1; 0.05 keeps the plain nets' first steps finite
AFTER_STEPS = 5
AFTER_LR = 0.05
MAX_AFTER_STEPS = 20

Regime = Literal["steady", "mild growth", "mild decay", "explodes", "vanishes", "dead"]


@dataclass(frozen=True)
class NetworkFlow:
    """Gradients of one network after one backward pass at initialization.

    All sizes are root mean squares per element (Frobenius norm / sqrt(number of elements)) of
    the whole batch tensor of the mean cross-entropy loss's gradient, in float64: a stage's
    tensors have different sizes (16x32x32 against 64x8x8 in a CIFAR net), and whole-tensor norms
    would count a bigger tensor as a bigger gradient.

    Attributes:
        kind: "residual" (the paper's v1 blocks), "plain" (the same layers, shortcuts removed)
            or "preact" (Identity Mappings, pre-activation blocks).
        name: display name, e.g. "ResNet-56", "Plain-56", "PreAct ResNet-56".
        norm: whether the network has batch normalization.
        blocks: block names, input side first.
        grad_norms: (N,) ``rms(dL/d(block output))`` per block, at initialization.
        input_norms: (N,) ``rms(dL/d(block input))`` per block.
        shortcut_norms: (N,) for residual and preact networks, the norm of the part of
            ``dL/d(block input)`` that arrives through the shortcut; None for a plain net.
        branch_norms: (N,) the part that arrives through the residual branch; None for plain.
            ``shortcut part + branch part = dL/d(block input)`` exactly (vectors, not norms).
        loss: the cross-entropy at initialization (a huge value means the forward exploded).
        depth: weighted layers of the network.
        num_classes: classes of its classifier (chance loss is ``ln(num_classes)``).
        zero_init: whether each residual branch's last layer started at zero.
        after_norms: (N,) ``grad_norms`` again after ``after_steps`` SGD steps; None if none ran.
        after_steps: SGD steps taken before ``after_norms``.
        after_lr: their learning rate.
        after_loss: the loss at that second measurement.
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
    depth: int = 0
    num_classes: int = 10
    zero_init: bool = False
    after_norms: np.ndarray | None = None
    after_steps: int = 0
    after_lr: float = 0.0
    after_loss: float = math.nan

    @property
    def after_ratio(self) -> float:
        """:attr:`first_last_ratio` after the SGD steps (nan if none ran or they diverged)."""
        if self.after_norms is None or not np.all(np.isfinite(self.after_norms)):
            return math.nan
        last = float(self.after_norms[-1])
        return float(self.after_norms[0]) / last if last > 0 else math.inf

    @property
    def first_last_ratio(self) -> float:
        """``grad_norms[0] / grad_norms[-1]``: above 1 the gradient grows toward the input
        (explodes), below 1 it shrinks (vanishes)."""
        last = float(self.grad_norms[-1])
        return float(self.grad_norms[0]) / last if last > 0 else math.inf

    @property
    def per_block_gain(self) -> float:
        """The geometric mean of ``grad_norms[i] / grad_norms[i + 1]`` over consecutive blocks,
        i.e. ``first_last_ratio ** (1 / (N - 1))``: what each block multiplies the gradient by
        on its way toward the input."""
        n = len(self.grad_norms)
        ratio = self.first_last_ratio
        if n < 2 or not math.isfinite(ratio):
            return 1.0 if n < 2 else math.inf
        return ratio ** (1.0 / (n - 1)) if ratio > 0 else 0.0

    @property
    def chance_loss(self) -> float:
        return math.log(self.num_classes)

    @property
    def forward_exploded(self) -> bool:
        """The loss at init is over ten times chance: the forward signal itself has blown up."""
        return not math.isfinite(self.loss) or self.loss > 10 * self.chance_loss

    @property
    def regime(self) -> Regime:
        """What the spread means for training with one learning rate (see :data:`STEADY_SPREAD`
        and :data:`BROKEN_SPREAD`)."""
        r = self.first_last_ratio
        if not r > 0 or not math.isfinite(r) or float(self.grad_norms[-1]) == 0.0:
            return "dead"
        if r >= BROKEN_SPREAD:
            return "explodes"
        if r <= 1 / BROKEN_SPREAD:
            return "vanishes"
        if r >= STEADY_SPREAD:
            return "mild growth"
        if r <= 1 / STEADY_SPREAD:
            return "mild decay"
        return "steady"

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
        zero = ", zero-init" if self.zero_init and self.kind != "plain" else ""
        return f"{self.name}, {'BN' if self.norm else 'no BN'}{zero}"

    @property
    def summary(self) -> str:
        """The numbers in one line (the page's verdicts, in two languages, are in viz.lab)."""
        return (
            f"{self.label}: first/last gradient {self.first_last_ratio:.3g}x over {len(self.blocks)} "
            f"blocks, {self.per_block_gain:.3g} per block ({self.regime}); loss at init {self.loss:.3g}."
        )


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
        zero_init: whether the residual and preact nets started with zeroed branches.
    """

    family: Family
    depth: int
    norm: bool
    batch: int
    input_size: int
    seed: int
    networks: tuple[NetworkFlow, ...]
    zero_init: bool = False

    def network(self, kind: NetKind) -> NetworkFlow:
        for net in self.networks:
            if net.kind == kind:
                return net
        raise KeyError(kind)


def zero_init_branches(model: ResNet) -> ResNet:
    """Start every residual block as the identity: zero its branch's last layer, in place.

    With BN the last BN's scale is zeroed, exactly as torchvision's ``zero_init_residual``
    (Goyal et al.); without BN, or in a pre-activation block whose branch ends in a conv, that
    conv's weight is zeroed instead, as one of Fixup's three rules does. Blocks without a
    shortcut are left alone (zeroing a plain block would cut the signal). Each block knows its own last layer
    (:meth:`resnet_core.blocks.ResidualBlock.zero_init_last`).
    """
    for name in model.residual_blocks():
        model.get_submodule(name).zero_init_last()
    return model


def _flow_models(
    family: Family, depth: int, norm: bool, seed: int, zero_init: bool
) -> Iterator[tuple[NetKind, str, ResNet]]:
    """The three networks, built one at a time so only one is in memory at once."""
    prefix = "" if family == "imagenet" else "CIFAR "
    spec = cifar_spec(depth) if family == "cifar" else resolve_spec(depth)
    kw: dict[str, Any] = (
        {"num_classes": 10, "shortcut_kind": "A"} if family == "cifar" else {"num_classes": 1000}
    )
    v1 = "v1"
    for kind, variant, shortcuts, name in (
        ("residual", v1, True, f"{prefix}ResNet-{depth}"),
        ("plain", v1, False, f"{prefix}Plain-{depth}"),
        ("preact", "preact", True, f"{prefix}PreAct ResNet-{depth}"),
    ):
        # Same seed for all three: for CIFAR (option-A shortcuts, no parameters) the residual
        # net and its plain twin start from identical weights, so only the shortcuts differ.
        with seeded(seed):
            model = ResNet(spec, variant=variant, norm=norm, shortcuts=shortcuts, **kw)
        if zero_init and shortcuts:
            zero_init_branches(model)
        yield kind, name, model.train()  # train mode: BN uses batch statistics


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
    """The sizes (RMS per element) of :func:`block_gradients`, as the arrays of :class:`NetworkFlow`."""
    loss, grads = block_gradients(model, images, labels)
    blocks = list(grads.values())
    residual = all(b.via_shortcut is not None for b in blocks)
    arrays: dict[str, Any] = {
        "grad_norms": np.array([_rms(b.output) for b in blocks]),
        "input_norms": np.array([_rms(b.input) for b in blocks]),
        "shortcut_norms": np.array([_rms(b.via_shortcut) for b in blocks]) if residual else None,
        "branch_norms": np.array([_rms(b.via_branch) for b in blocks]) if residual else None,
    }
    return loss, arrays


def _after_sgd(
    model: ResNet, images: Tensor, labels: Tensor, *, steps: int, lr: float
) -> tuple[float, np.ndarray | None]:
    """``steps`` plain SGD steps on the batch, then the block sizes again (the model changes).

    The spread at initialization is a statement about the first step; this says whether it
    lasts. Returns nan and None when no steps are asked for.
    """
    if steps == 0:
        return math.nan, None
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(images), labels).backward()
            opt.step()
    opt.zero_grad(set_to_none=True)
    loss, arrays = network_flow(model, images, labels)
    return loss, arrays["grad_norms"]


def _check_flow_args(family: object, depth: object, batch: object, input_size: object) -> int:
    if family not in FAMILIES:
        raise LabError(f"family must be one of {FAMILIES}, not {shown(family)}")
    if family == "cifar":
        check_cifar_depth(depth, MAX_CIFAR_DEPTH)
    elif not isinstance(depth, int) or isinstance(depth, bool) or depth not in IMAGENET_DEPTHS:
        known = ", ".join(map(str, IMAGENET_DEPTHS))
        raise LabError(f"ImageNet ResNets have depth {known}; got {shown(depth)}")
    check_int("batch", batch, 2, MAX_FLOW_BATCH)
    lo, hi = FLOW_INPUT_SIZES[family]
    size = DEFAULT_INPUT_SIZE[family] if input_size is None else input_size
    check_int("input_size", size, lo, hi)
    work = batch * size * size * depth
    if work > MAX_FLOW_WORK[family]:
        raise LabError(
            f"batch x input_size^2 x depth = {batch} x {size}^2 x {depth} = {work:,} is over the "
            f"limit of {MAX_FLOW_WORK[family]:,} for {family}; use a smaller batch or input size",
            key="error.flow_work", batch=batch, size=size, depth=depth, work=work, limit=MAX_FLOW_WORK[family],
            family=family,
        )
    return size


def _check_after_args(seed: object, after_steps: object, after_lr: object) -> None:
    check_seed(seed)
    check_int("after_steps", after_steps, 0, MAX_AFTER_STEPS)
    if not isinstance(after_lr, (int, float)) or isinstance(after_lr, bool) or not 0 < after_lr <= 1:
        raise LabError(f"after_lr must be a number in (0, 1], not {shown(after_lr)}")


def _measure_network(
    kind: NetKind, name: str, model: ResNet, images: Tensor, *, seed: int, depth: int, norm: bool,
    zero_init: bool, after_steps: int, after_lr: float,
) -> NetworkFlow:
    """One network's sizes at initialization and after SGD; labels reseeded so all three see the same."""
    labels = torch.randint(0, model.num_classes, (len(images),), generator=torch.Generator().manual_seed(seed))
    loss, arrays = network_flow(model, images, labels)
    after_loss, after = _after_sgd(model, images, labels, steps=after_steps, lr=after_lr)
    return NetworkFlow(
        kind=kind,
        name=name,
        norm=norm,
        blocks=model.block_names(),
        loss=loss,
        depth=depth,
        num_classes=model.num_classes,
        zero_init=zero_init and kind != "plain",
        after_norms=after,
        after_steps=after_steps,
        after_lr=after_lr,
        after_loss=after_loss,
        **arrays,
    )


def gradient_flow(
    *,
    family: Family = "cifar",
    depth: int = 56,
    norm: bool = True,
    zero_init_residual: bool = False,
    batch: int = 16,
    input_size: int | None = None,
    seed: int = 0,
    after_steps: int = AFTER_STEPS,
    after_lr: float = AFTER_LR,
) -> GradientFlow:
    """One backward pass at initialization through a ResNet, its plain twin and its preact form.

    The three networks are built fresh (never a served model) and run in train mode, so batch
    normalization uses the batch's statistics as it does in the first training step. The batch
    is seeded Gaussian noise with random labels and the loss is cross-entropy; at
    initialization the gradient's size does not depend on what the images show. docs/lab.md
    lists what this measures at several depths.

    Args:
        family: "cifar" (section 4.2 of the paper: 3x3 stem, three stages of 16/32/64 filters,
            option-A shortcuts, 10 classes) or "imagenet" (Table 1, 1000 classes).
        depth: CIFAR: 6n+2 (20, 32, 44, 56, 110, up to 386); ImageNet: a depth of the table
            (10, 18, 34, 50, 101, 152, 200).
        norm: batch normalization on (True) or replaced by identities (False).
        zero_init_residual: start each residual block as the identity (see
            :func:`zero_init_branches`); the plain twin keeps its usual initialization.
        batch: images in the batch (2-64; BN in train mode needs at least 2). Batch, input
            size and depth are bounded together (:data:`MAX_FLOW_WORK`) to bound memory.
        input_size: side of the square input; default 32 for CIFAR, 64 for ImageNet.
        seed: seeds weights, images and labels.
        after_steps: SGD steps (plain SGD, on the same batch) before measuring again (0-20; 0
            skips the second measurement).
        after_lr: their learning rate (0 to 1].

    Returns:
        A :class:`GradientFlow` with the residual, plain and preact networks in that order.

    Raises:
        LabError: an unknown family, a depth the family does not have, or a batch or input
            size out of range.
    """
    size = _check_flow_args(family, depth, batch, input_size)
    _check_after_args(seed, after_steps, after_lr)
    gen = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, 3, size, size, generator=gen)  # (B, 3, H, W)
    networks = tuple(
        _measure_network(kind, name, model, images, seed=seed, depth=depth, norm=bool(norm),
                         zero_init=bool(zero_init_residual), after_steps=after_steps, after_lr=float(after_lr))
        for kind, name, model in _flow_models(family, depth, bool(norm), seed, bool(zero_init_residual))
    )
    return GradientFlow(
        family=family,
        depth=depth,
        norm=bool(norm),
        batch=batch,
        input_size=size,
        seed=seed,
        networks=networks,
        zero_init=bool(zero_init_residual),
    )
