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

from torch import nn

from .blocks import BasicBlock, PadShortcut, is_block
from .images import MAX_INPUT_SIZE
from .model import ResNet

Shape = tuple[int, int, int]  # (C, H, W)

#: the largest input side :func:`describe` accepts. Describing is arithmetic on a few numbers
#: per layer, never a tensor of the input's size, so the Architecture tab may show what an input
#: four times the side the engine runs (:data:`resnet_core.images.MAX_INPUT_SIZE`) would cost;
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
            raise ValueError(f"input sides must be between {MIN_INPUT_SIDE} and {MAX_INPUT_SIDE} pixels, got {h}x{w}")
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
            raise ValueError(f"the input is too small: {name} would produce a {oh}x{ow} map")
        out = (m.out_channels, oh, ow)
        if (sh, sw) != (1, 1) and path != "shortcut":
            self._step(name, f"conv {kh}x{kw}/{sh}", (h, w), (oh, ow), (kh, kw), (sh, sw), (ph, pw))
        macs = m.out_channels * oh * ow * (c // m.groups) * kh * kw
        return LayerInfo(
            name, "conv", shape, out, _params(m), macs, block=block, path=path,
            detail=f"{kh}x{kw}/{sh}, {m.out_channels}",
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
            raise ValueError(f"the input is too small: {name} would produce a {oh}x{ow} map")
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


def _branch_order(block: nn.Module) -> list[str]:
    basic = isinstance(block, BasicBlock)
    if block.variant == "preact":
        seq = ["bn1", "relu1", "conv1", "bn2", "relu2", "conv2"]
        if not basic:
            seq += ["bn3", "relu3", "conv3"]
        return seq
    seq = ["conv1", "bn1", "relu1", "conv2", "bn2"]
    if not basic:
        seq += ["relu2", "conv3", "bn3"]
    return seq


def _describe_op(walker: _Walker, name: str, m: nn.Module, shape: Shape, *, block: str, path: str) -> LayerInfo:
    if isinstance(m, nn.Conv2d):
        return walker.conv(name, m, shape, block=block, path=path)
    return walker.simple(name, _kind(m), m, shape, block=block, path=path)


def _describe_block(walker: _Walker, name: str, stage: str, index: int, block: nn.Module, shape: Shape) -> tuple[BlockInfo, Shape]:
    ops: list[LayerInfo] = []
    cur = shape
    pre_shape = shape
    for attr in _branch_order(block):
        m = getattr(block, attr)
        op = _describe_op(walker, f"{name}.{attr}", m, cur, block=name, path="branch")
        ops.append(op)
        cur = op.out_shape
        if block.variant == "preact" and attr == "relu1":
            pre_shape = cur
    branch_out = cur
    if block.has_shortcut:
        ds = block.downsample
        if ds is None:
            kind = "identity"
        elif isinstance(ds, PadShortcut):
            kind = "pad"
            c, h, w = shape
            sc = (ds.out_ch, -(-h // ds.stride), -(-w // ds.stride))
            ops.append(LayerInfo(f"{name}.downsample", "pad", shape, sc, 0, block=name, path="shortcut", detail="option A"))
        else:
            kind = "projection"
            sc = pre_shape if block.variant == "preact" else shape
            for i, m in enumerate(ds):
                op = _describe_op(walker, f"{name}.downsample.{i}", m, sc, block=name, path="shortcut")
                ops.append(op)
                sc = op.out_shape
        c, h, w = branch_out
        ops.append(LayerInfo(f"{name}.add", "add", branch_out, branch_out, 0, adds=c * h * w, block=name, path="main"))
    else:
        kind = "none"
    if block.variant != "preact":
        last_relu = "relu2" if isinstance(block, BasicBlock) else "relu3"
        ops.append(walker.simple(f"{name}.{last_relu}", "relu", getattr(block, last_relu), branch_out, block=name, path="main"))
    ops = [op for op in ops if op.kind != "identity"]
    params = sum(p.numel() for p in block.parameters())
    info = BlockInfo(
        name=name, stage=stage, index=index,
        block_type="basic" if isinstance(block, BasicBlock) else "bottleneck",
        variant=block.variant, in_shape=shape, out_shape=branch_out,
        width=block.conv2.out_channels if not isinstance(block, BasicBlock) else block.conv1.out_channels,
        stride=block.stride, shortcut=kind, params=params,
        macs=sum(op.macs for op in ops), adds=sum(op.adds for op in ops), layers=tuple(ops),
    )
    return info, branch_out


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
    stem = [walker.conv("conv1", model.conv1, shape, block=None, path="main")]
    shape = stem[-1].out_shape
    for attr in ("bn1", "relu"):
        m = getattr(model, attr)
        stem.append(walker.simple(attr, _kind(m), m, shape, block=None, path="main"))
    if isinstance(model.maxpool, nn.MaxPool2d):
        stem.append(walker.pool("maxpool", model.maxpool, shape))
        shape = stem[-1].out_shape
    stem = [op for op in stem if op.kind != "identity"]

    stages = []
    for info in model.feature_info:
        seq = getattr(model, info.module)
        in_shape = shape
        blocks = []
        for j, block in enumerate(seq):
            assert is_block(block)
            b, shape = _describe_block(walker, f"{info.module}.{j}", info.module, j, block, shape)
            blocks.append(b)
        stages.append(StageInfo(
            name=info.module, blocks=tuple(blocks), in_shape=in_shape, out_shape=shape,
            reduction=info.reduction, params=sum(b.params for b in blocks),
            macs=sum(b.macs for b in blocks), adds=sum(b.adds for b in blocks),
        ))

    head = []
    if model.variant == "preact":
        for attr in ("bn_final", "relu_final"):
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
