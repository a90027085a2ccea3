"""Shape arithmetic and cost accounting for any ResNet and any input size.

Every spatial size comes from the convolution formula ``out = floor((in + 2p - k) / s) + 1``
applied module by module, so the numbers hold for odd and non-square inputs too. Parameters are
counted from the modules themselves; multiply-accumulates (MACs) are counted for convolutions
and the fc layer, the convention of torchvision's ``_ops`` and of the paper's "FLOPs" (Table 1).
The residual additions are elementwise adds, not MACs, and are reported on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import torch
from torch import nn

from .blocks import PadShortcut, ResidualBlock, is_block, make_block
from .errors import UserError
from .model import ResNet
from .preprocess import MAX_INPUT_SIZE

Shape = tuple[int, int, int]  # (C, H, W)

#: the largest input side :func:`describe` accepts. Describing is arithmetic on a few numbers
#: per layer, never a tensor of the input's size, so the Architecture tab may show what an input
#: four times the side the engine runs (:data:`resnet_core.preprocess.MAX_INPUT_SIZE`) would cost;
#: larger requests are refused before anything is allocated
MAX_INPUT_SIDE = 4 * MAX_INPUT_SIZE
MIN_INPUT_SIDE = 1


def conv_out(size: int, *, kernel: int, stride: int, padding: int, dilation: int = 1) -> int:
    """``floor((size + 2*padding - dilation*(kernel-1) - 1) / stride) + 1`` (PyTorch's rule)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pair(v: int | tuple[int, ...]) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


@dataclass(frozen=True)
class ShapeStep:
    """One application of the size formula, for the shape table.

    Attributes:
        name: dotted module name ("conv1", "maxpool", "layer2.0.conv2").
        label: what the step is in words ("stem conv 7x7/2").
        in_hw / out_hw: spatial size before and after.
        kernel, stride, padding: per axis (height, width).
    """

    name: str
    label: str
    in_hw: tuple[int, int]
    out_hw: tuple[int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]

    def formula(self, axis: int = 0) -> str:
        """The arithmetic for one axis, e.g. ``⌊(224 + 2·3 − 7)/2⌋ + 1 = 112``."""
        i, k, s, p, o = (
            self.in_hw[axis],
            self.kernel[axis],
            self.stride[axis],
            self.padding[axis],
            self.out_hw[axis],
        )
        return f"⌊({i} + 2·{p} − {k})/{s}⌋ + 1 = {o}"

    def formulas(self) -> str:
        """Both axes, written once when they agree."""
        if self.in_hw[0] == self.in_hw[1]:
            return self.formula(0)
        return f"H: {self.formula(0)};  W: {self.formula(1)}"


@dataclass(frozen=True)
class LayerInfo:
    """One operation in the network (conv, bn, relu, maxpool, add, avgpool, fc, pad).

    Attributes:
        name: dotted module name ("layer1.0.conv2", "layer1.0.add").
        kind: operation type.
        in_shape / out_shape: (C, H, W), the batch dimension left out.
        params: trainable parameters of this module.
        macs: multiply-accumulates (convs and fc only).
        adds: elementwise additions (residual adds only).
        block: the block the op belongs to, or None for stem and head.
        path: "main", "branch" or "shortcut".
        detail: "7x7/2, 64", a short description for hover text.
        kernel, stride: a conv's kernel side and stride (0 and 1 for other ops).
    """

    name: str
    kind: str
    in_shape: Shape
    out_shape: Shape
    params: int
    macs: int = 0
    adds: int = 0
    block: str | None = None
    path: str = "main"
    detail: str = ""
    kernel: int = 0
    stride: int = 1


@dataclass(frozen=True)
class BlockInfo:
    """One residual block.

    Attributes:
        name: "layer2.0".
        stage: "layer2".
        index: position in its stage.
        block_type: "basic" or "bottleneck".
        variant: "v1", "v1.5" or "preact".
        in_shape / out_shape: (C, H, W).
        width: filters of the 3x3 conv.
        stride: 1 or 2.
        shortcut: "identity", "projection", "pad" (option A) or "none" (plain twin).
        params, macs, adds: totals over the block's layers.
        layers: the block's operations in execution order.
        block_class: the class that builds it ("Bottleneck", "PreActBasicBlock", ...).
        branch_output: the op whose output is the branch's result F(x) ("layer2.0.bn3").
        shortcut_input: the op whose output a projection or padding shortcut reads
            ("layer2.0.relu1" in a pre-activation block); "" for the block's input.
        relu_after_add: whether a ReLU follows the addition.

    The last four are the block class's own declaration (:class:`resnet_core.blocks.ResidualBlock`).
    """

    name: str
    stage: str
    index: int
    block_type: str
    variant: str
    in_shape: Shape
    out_shape: Shape
    width: int
    stride: int
    shortcut: str
    params: int
    macs: int
    adds: int
    layers: tuple[LayerInfo, ...]
    block_class: str = ""
    branch_output: str = ""
    shortcut_input: str = ""
    relu_after_add: bool = True


@dataclass(frozen=True)
class BlockAnatomy:
    """One column of the block anatomy figure: a block layout and the variants that share it.

    Attributes:
        block: the first block of a stage (stride 2, projection shortcut), described.
        variants: the variants built this way, e.g. ("v1", "v1.5") for a basic block.
    """

    block: BlockInfo
    variants: tuple[str, ...]


@dataclass(frozen=True)
class StageInfo:
    """One stage (``layer1`` .. ``layer4``)."""

    name: str
    blocks: tuple[BlockInfo, ...]
    in_shape: Shape
    out_shape: Shape
    reduction: int
    params: int
    macs: int
    adds: int


@dataclass(frozen=True)
class Architecture:
    """What a model is and what it costs for one input size.

    Attributes:
        name: "ResNet-50".
        block_type, variant, layers: from the spec.
        input_size: (H, W).
        stem / head: the operations before the first and after the last stage.
        stages: the stages with their blocks.
        params: trainable parameters (equal to ``sum(p.numel())``).
        macs: multiply-accumulates of convs and fc.
        adds: elementwise additions of the residual connections.
        steps: every application of the size formula on the main path, in order.
    """

    name: str
    block_type: str
    variant: str
    layers: tuple[int, ...]
    input_size: tuple[int, int]
    stem: tuple[LayerInfo, ...]
    stages: tuple[StageInfo, ...]
    head: tuple[LayerInfo, ...]
    params: int
    macs: int
    adds: int
    steps: tuple[ShapeStep, ...]
    num_classes: int = field(default=1000)

    @cached_property
    def blocks(self) -> tuple[BlockInfo, ...]:
        return tuple(b for s in self.stages for b in s.blocks)

    @cached_property
    def all_layers(self) -> tuple[LayerInfo, ...]:
        return self.stem + tuple(op for b in self.blocks for op in b.layers) + self.head

    def block(self, name: str) -> BlockInfo:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(name)

    def output_shape(self, name: str) -> Shape:
        """Output shape of "stem", a stage, a block or any operation, by dotted name."""
        if name == "stem":
            return self.stem[-1].out_shape
        for s in self.stages:
            if s.name == name:
                return s.out_shape
        for b in self.blocks:
            if b.name == name:
                return b.out_shape
        for op in self.all_layers:
            if op.name == name:
                return op.out_shape
        raise KeyError(name)


def check_input_size(input_size: int | tuple[int, int]) -> tuple[int, int]:
    """Validate an (H, W) input size; raises ValueError with a readable message."""
    h, w = _pair(input_size)
    for side in (h, w):
        if not MIN_INPUT_SIDE <= side <= MAX_INPUT_SIDE:
            raise UserError(f"input sides must be between {MIN_INPUT_SIDE} and {MAX_INPUT_SIDE} pixels, got {h}x{w}",
                            key="error.input_sides", low=MIN_INPUT_SIDE, high=MAX_INPUT_SIDE, got=f"{h}×{w}")
    return h, w


class _Walker:
    """Follows a model's main path, recording each op's shape, parameters and MACs."""

    def __init__(self) -> None:
        self.steps: list[ShapeStep] = []

    def conv(self, name: str, m: nn.Conv2d, shape: Shape, *, block: str | None, path: str) -> LayerInfo:
        c, h, w = shape
        (kh, kw), (sh, sw), (ph, pw) = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
        dh, dw = _pair(m.dilation)
        oh = conv_out(h, kernel=kh, stride=sh, padding=ph, dilation=dh)
        ow = conv_out(w, kernel=kw, stride=sw, padding=pw, dilation=dw)
        if oh < 1 or ow < 1:
            raise UserError(f"the input is too small: {name} would produce a {oh}x{ow} map", key="error.input_too_small",
                            layer=name, height=oh, width=ow)
        out = (m.out_channels, oh, ow)
        if (sh, sw) != (1, 1) and path != "shortcut":
            self._step(name, f"conv {kh}x{kw}/{sh}", (h, w), (oh, ow), (kh, kw), (sh, sw), (ph, pw))
        macs = m.out_channels * oh * ow * (c // m.groups) * kh * kw
        return LayerInfo(
            name, "conv", shape, out, _params(m), macs, block=block, path=path,
            detail=f"{kh}x{kw}/{sh}, {m.out_channels}", kernel=kh, stride=sh,
        )

    def _step(self, *args) -> None:
        self.steps.append(ShapeStep(*args))

    def simple(self, name: str, kind: str, m: nn.Module, shape: Shape, *, block: str | None, path: str) -> LayerInfo:
        return LayerInfo(name, kind, shape, shape, _params(m), block=block, path=path)

    def pool(self, name: str, m: nn.MaxPool2d, shape: Shape) -> LayerInfo:
        c, h, w = shape
        (k, _), (s, _), (p, _) = _pair(m.kernel_size), _pair(m.stride), _pair(m.padding)
        oh, ow = conv_out(h, kernel=k, stride=s, padding=p), conv_out(w, kernel=k, stride=s, padding=p)
        if oh < 1 or ow < 1:
            raise UserError(f"the input is too small: {name} would produce a {oh}x{ow} map", key="error.input_too_small",
                            layer=name, height=oh, width=ow)
        self._step(name, f"max-pool {k}x{k}/{s}", (h, w), (oh, ow), (k, k), (s, s), (p, p))
        return LayerInfo(name, "maxpool", shape, (c, oh, ow), 0, detail=f"{k}x{k}/{s}")


def _params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def _kind(m: nn.Module) -> str:
    if isinstance(m, nn.Conv2d):
        return "conv"
    if isinstance(m, nn.BatchNorm2d):
        return "bn"
    if isinstance(m, nn.ReLU):
        return "relu"
    if isinstance(m, nn.Identity):
        return "identity"
    return type(m).__name__.lower()


def _describe_op(walker: _Walker, name: str, m: nn.Module, shape: Shape, *, block: str, path: str) -> LayerInfo:
    if isinstance(m, nn.Conv2d):
        return walker.conv(name, m, shape, block=block, path=path)
    return walker.simple(name, _kind(m), m, shape, block=block, path=path)


def _describe_block(
    walker: _Walker, name: str, stage: str, index: int, block: ResidualBlock, shape: Shape, *, variant: str
) -> tuple[BlockInfo, Shape]:
    """One block's ops, read from the block's own declaration (branch order, output, shortcut)."""
    ops: list[LayerInfo] = []
    outputs: dict[str | None, Shape] = {None: shape}  # what each branch layer hands on
    cur = shape
    for attr in block.branch_order:
        op = _describe_op(walker, f"{name}.{attr}", getattr(block, attr), cur, block=name, path="branch")
        ops.append(op)
        cur = outputs[attr] = op.out_shape
    branch_out = outputs[block.branch_output]
    if block.has_shortcut:
        ds = block.downsample
        sc = outputs[block.shortcut_from]
        if ds is None:
            kind = "identity"
        elif isinstance(ds, PadShortcut):
            kind = "pad"
            out = (ds.out_ch, -(-sc[1] // ds.stride), -(-sc[2] // ds.stride))
            ops.append(LayerInfo(f"{name}.downsample", "pad", sc, out, 0, block=name, path="shortcut", detail="option A"))
        else:
            kind = "projection"
            for i, m in enumerate(ds):
                op = _describe_op(walker, f"{name}.downsample.{i}", m, sc, block=name, path="shortcut")
                ops.append(op)
                sc = op.out_shape
        c, h, w = branch_out
        ops.append(LayerInfo(f"{name}.add", "add", branch_out, branch_out, 0, adds=c * h * w, block=name, path="main"))
    else:
        kind = "none"
    if block.after_add is not None:
        relu = getattr(block, block.after_add)
        ops.append(walker.simple(f"{name}.{block.after_add}", "relu", relu, branch_out, block=name, path="main"))
    ops = [op for op in ops if op.kind != "identity"]
    info = BlockInfo(
        name=name, stage=stage, index=index, block_type=block.block_type, variant=variant,
        in_shape=shape, out_shape=branch_out, width=block.width, stride=block.stride, shortcut=kind,
        params=sum(p.numel() for p in block.parameters()),
        macs=sum(op.macs for op in ops), adds=sum(op.adds for op in ops), layers=tuple(ops),
        block_class=type(block).__name__, branch_output=f"{name}.{block.branch_output}",
        shortcut_input=f"{name}.{block.shortcut_from}" if block.shortcut_from else "",
        relu_after_add=block.relu_after_add,
    )
    return info, branch_out


#: the anatomy's columns: the paper's block first, then torchvision's, then pre-activation
ANATOMY_VARIANTS = ("v1", "v1.5", "preact")
#: a stage's first block as in ResNet-18 (basic) and ResNet-50 (bottleneck): input channels, width
_ANATOMY_BLOCK = {"basic": (64, 128), "bottleneck": (256, 128)}


def block_anatomy(*, block: str = "both") -> tuple[BlockAnatomy, ...]:
    """The layouts of the first block of a stage, one per distinct variant, for the anatomy figure.

    Each is a real block, built on the meta device (no weights are made) and described from its
    own declaration. Variants that build the very same ops share a column: a basic block has no
    1x1 conv to move the stride from, so its v1 and v1.5 are one.

    Args:
        block: "bottleneck", "basic" or "both" (bottleneck columns first).

    Raises:
        ValueError: another block name.
    """
    kinds = {"bottleneck": ("bottleneck",), "basic": ("basic",), "both": ("bottleneck", "basic")}
    if block not in kinds:
        raise ValueError(f"block must be one of {tuple(kinds)}, not {str(block)[:20]!r}")
    columns: list[BlockAnatomy] = []
    for block_type in kinds[block]:
        in_ch, width = _ANATOMY_BLOCK[block_type]
        mine: list[BlockAnatomy] = []
        for variant in ANATOMY_VARIANTS:
            with torch.device("meta"):
                module = make_block(block_type, variant, in_ch, width, stride=2)  # type: ignore[arg-type]
            info, _ = _describe_block(_Walker(), "block", "stage", 0, module, (in_ch, 56, 56), variant=variant)
            same = next((i for i, col in enumerate(mine) if col.block.layers == info.layers), None)
            if same is None:
                mine.append(BlockAnatomy(info, (variant,)))
            else:
                mine[same] = BlockAnatomy(mine[same].block, mine[same].variants + (variant,))
        columns.extend(mine)
    return tuple(columns)


def describe(model: ResNet, input_size: int | tuple[int, int] = 224) -> Architecture:
    """Describe every stem op, stage, block and head op of ``model`` for one input size.

    Args:
        model: a :class:`ResNet`.
        input_size: side of a square input, or (H, W).

    Raises:
        ValueError: the input size is outside [1, MAX_INPUT_SIDE] or too small for the network.
    """
    h, w = check_input_size(input_size)
    walker = _Walker()
    shape: Shape = (3, h, w)
    stem = []
    for attr in model.stem_order:
        m = getattr(model, attr)
        if isinstance(m, nn.Conv2d):
            stem.append(walker.conv(attr, m, shape, block=None, path="main"))
        elif isinstance(m, nn.MaxPool2d):
            stem.append(walker.pool(attr, m, shape))
        else:
            stem.append(walker.simple(attr, _kind(m), m, shape, block=None, path="main"))
        shape = stem[-1].out_shape
    stem = [op for op in stem if op.kind != "identity"]

    stages = []
    for info in model.feature_info:
        seq = getattr(model, info.module)
        in_shape = shape
        blocks = []
        for j, block in enumerate(seq):
            assert is_block(block)
            b, shape = _describe_block(walker, f"{info.module}.{j}", info.module, j, block, shape, variant=model.variant)
            blocks.append(b)
        stages.append(StageInfo(
            name=info.module, blocks=tuple(blocks), in_shape=in_shape, out_shape=shape,
            reduction=info.reduction, params=sum(b.params for b in blocks),
            macs=sum(b.macs for b in blocks), adds=sum(b.adds for b in blocks),
        ))

    head = []
    for attr in model.head_order:
        m = getattr(model, attr)
        if not isinstance(m, nn.Identity):
            head.append(walker.simple(attr, _kind(m), m, shape, block=None, path="main"))
    c = shape[0]
    head.append(LayerInfo("avgpool", "avgpool", shape, (c, 1, 1), 0, detail="global average"))
    fc = model.fc
    head.append(LayerInfo("fc", "fc", (c, 1, 1), (fc.out_features, 1, 1), _params(fc), macs=fc.in_features * fc.out_features, detail=f"{fc.in_features} → {fc.out_features}"))

    all_ops = stem + [op for s in stages for b in s.blocks for op in b.layers] + head
    return Architecture(
        name=model.name, block_type=model.spec.block, variant=model.variant,
        layers=model.spec.layers, input_size=(h, w), stem=tuple(stem), stages=tuple(stages),
        head=tuple(head), params=sum(p.numel() for p in model.parameters()),
        macs=sum(op.macs for op in all_ops), adds=sum(op.adds for op in all_ops),
        steps=tuple(walker.steps), num_classes=fc.out_features,
    )
