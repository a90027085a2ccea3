"""What each stage sees: the theoretical receptive field of every stage and block.

The field is read from the modules themselves, never from a table: every convolution and
pooling on a block's main path and on its shortcut contributes its kernel ``k``, stride ``s``,
padding ``p`` and dilation ``d`` through the recurrence of Dumoulin & Visin / Araujo et al.
("Computing Receptive Fields of Convolutional Neural Networks", Distill 2019,
https://distill.pub/2019/computing-receptive-fields/)::

    k_eff = d·(k − 1) + 1
    r_out = r_in + (k_eff − 1)·j_in           (the field, in input pixels)
    j_out = j_in·s                            (the jump: input pixels between neighbouring positions)
    c_out = c_in + ((k_eff − 1)/2 − p)·j_in   (the centre of position 0's field)

A block's output sees the union of what its two paths see, so its field is the larger of the
main path's and the shortcut's (a 1x1 projection or an identity never wins, but the rule is
general). Where v1 and v1.5 differ: a v1 bottleneck puts the stride on its first 1x1 conv, so
its 3x3 conv already works at the doubled jump and adds ``2·(2j)`` pixels instead of ``2·j``;
every v1 bottleneck network from layer2 on sees more (ResNet-50's layer4: 483 px, v1.5: 427 px).
Basic blocks put the stride on the 3x3 in every variant, so ResNet-18/34 do not differ.

Torch only through the model's modules; the records are plain numbers.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from torch import Tensor, nn

from .blocks import PadShortcut, is_block
from .errors import UserError
from .model import ResNet
from .shapes import MAX_INPUT_SIDE, conv_out
from .studies import StudyContext, study


@dataclass(frozen=True)
class RFStep:
    """One application of the recurrence, for the arithmetic table.

    Attributes:
        name: dotted module name ("conv1", "layer2.0.conv2", "layer2.0.downsample.0").
        path: "main" or "shortcut".
        kernel, stride, padding, dilation: the module's geometry (square kernels).
        r_in, j_in: field and jump before the module.
        r_out, j_out: after it.
    """

    name: str
    path: str
    kernel: int
    stride: int
    padding: int
    dilation: int
    r_in: int
    j_in: int
    r_out: int
    j_out: int

    def formula(self) -> str:
        """``r = 11 + (3 − 1)·4 = 19, j = 4·1 = 4`` (dilation folded into the kernel where it is not 1)."""
        k = self.kernel if self.dilation == 1 else f"{self.dilation}·({self.kernel} − 1) + 1"
        return f"r = {self.r_in} + ({k} − 1)·{self.j_in} = {self.r_out},  j = {self.j_in}·{self.stride} = {self.j_out}"


@dataclass(frozen=True)
class Field:
    """The theoretical field of one layer's output.

    Attributes:
        name: "stem", "layer3" (a stage: its last block's output) or "layer3.1" (a block).
        kind: "stem", "stage" or "block".
        size: side of the field in input pixels (r).
        jump: input pixels between neighbouring output positions (j).
        centre0: input coordinate of the centre of position 0's field (c; 0 for ResNets).
        out_hw: the layer's output grid at the input size.
        main: the main path's field (blocks), else ``size``.
        shortcut: the shortcut's field (blocks with a shortcut), else None.
        steps: the recurrence applied inside this layer (the block's own modules).
    """

    name: str
    kind: str
    size: int
    jump: int
    centre0: float
    out_hw: tuple[int, int]
    main: int
    shortcut: int | None
    steps: tuple[RFStep, ...]

    def centre(self, row: int, col: int) -> tuple[float, float]:
        """Input coordinates (y, x) of the centre of output position (row, col)."""
        return self.centre0 + row * self.jump, self.centre0 + col * self.jump

    def box(self, row: int, col: int, input_hw: tuple[int, int]) -> tuple[int, int, int, int]:
        """The field of position (row, col) as ``(top, left, bottom, right)`` input pixels, inclusive,
        clipped to the image.

        Raises:
            ValueError: the position is outside the layer's output grid.
        """
        h, w = self.out_hw
        if not (0 <= row < h and 0 <= col < w):
            raise UserError(f"position ({row}, {col}) is outside {self.name}'s {h}×{w} output", key="error.position_outside",
                            row=row, col=col, layer=self.name, height=h, width=w)
        cy, cx = self.centre(row, col)
        half = (self.size - 1) / 2
        top, left = max(0, int(round(cy - half))), max(0, int(round(cx - half)))
        bottom, right = min(input_hw[0] - 1, int(round(cy + half))), min(input_hw[1] - 1, int(round(cx + half)))
        return top, left, bottom, right


@dataclass(frozen=True)
class ReceptiveFields:
    """Every stage's and block's field for one network at one input size.

    Attributes:
        model_name: "ResNet-50" (with the variant where it is not v1.5).
        variant: "v1", "v1.5" or "preact".
        block_type: "basic" or "bottleneck".
        input_size: (H, W).
        fields: the stem, then each stage's blocks followed by the stage, in network order.
    """

    model_name: str
    variant: str
    block_type: str
    input_size: tuple[int, int]
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        """The field of ``name``.

        Raises:
            ValueError: no stage or block of that name.
        """
        for f in self.fields:
            if f.name == name:
                return f
        known = ", ".join(f.name for f in self.fields if f.kind != "block")
        raise UserError(f"no stage or block named {str(name)[:64]!r}; stages are {known}", key="error.no_layer_stages",
                        layer=repr(str(name)[:64]), stages=known)

    @property
    def theoretical(self) -> dict[str, int]:
        """Stage or block name -> field side in input pixels."""
        return {f.name: f.size for f in self.fields}

    @property
    def jumps(self) -> dict[str, int]:
        """Stage or block name -> input pixels between neighbouring positions."""
        return {f.name: f.jump for f in self.fields}

    @property
    def stages(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.kind in ("stem", "stage"))

    def arithmetic(self) -> str:
        """Every step of the recurrence as text, block by block (the shortcut's steps marked)."""
        lines = []
        for f in self.fields:
            if f.kind == "stage":
                continue
            for step in f.steps:
                mark = "  [shortcut]" if step.path == "shortcut" else ""
                lines.append(f"{step.name:<26} {step.formula()}{mark}")
            if f.shortcut is not None and f.shortcut != f.main:
                lines.append(f"{f.name:<26} r = max({f.main}, {f.shortcut}) = {f.size}")
        return "\n".join(lines)


def _single(v: int | tuple[int, ...], what: str, name: str) -> int:
    if isinstance(v, int):
        return v
    if len(set(v)) != 1:
        raise ValueError(f"{name} has a non-square {what} {tuple(v)}; only square geometry is supported")
    return int(v[0])


def geometry(module: nn.Module, name: str = "") -> tuple[int, int, int, int] | None:
    """``(kernel, stride, padding, dilation)`` of a module that moves the field, else None."""
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
        pad = module.padding
        if isinstance(pad, str):  # "same" keeps the size at stride 1; "valid" pads nothing
            k = _single(module.kernel_size, "kernel", name)
            d = _single(getattr(module, "dilation", 1), "dilation", name)
            pad = d * (k - 1) // 2 if pad == "same" else 0
        return (
            _single(module.kernel_size, "kernel", name),
            _single(module.stride, "stride", name),
            _single(pad, "padding", name),
            _single(getattr(module, "dilation", 1), "dilation", name),
        )
    if isinstance(module, PadShortcut):  # option A: subsample by the stride, a 1x1 "kernel"
        return 1, module.stride, 0, 1
    return None


def _walk(modules: list[tuple[str, nn.Module]], path: str, r: int, j: int, c: float) -> tuple[list[RFStep], int, int, float]:
    steps = []
    for name, m in modules:
        k, s, p, d = geometry(m, name)  # type: ignore[misc]
        k_eff = d * (k - 1) + 1
        r_out, j_out = r + (k_eff - 1) * j, j * s
        c = c + ((k_eff - 1) / 2 - p) * j
        steps.append(RFStep(name, path, k, s, p, d, r, j, r_out, j_out))
        r, j = r_out, j_out
    return steps, r, j, c


def _moving(root: nn.Module, prefix: str) -> list[tuple[str, nn.Module]]:
    # registration order is forward order in every block here (conv1, conv2, conv3)
    return [(f"{prefix}.{n}" if n else prefix, m) for n, m in root.named_modules() if geometry(m, n) is not None]


def _grid(hw: tuple[int, int], steps: list[RFStep]) -> tuple[int, int]:
    h, w = hw
    for s in steps:
        h = conv_out(h, kernel=s.kernel, stride=s.stride, padding=s.padding, dilation=s.dilation)
        w = conv_out(w, kernel=s.kernel, stride=s.stride, padding=s.padding, dilation=s.dilation)
    return max(h, 0), max(w, 0)


def _block_field(name: str, block: nn.Module, r: int, j: int, c: float, hw: tuple[int, int]) -> tuple[Field, tuple[int, int]]:
    # the branch as the block declares it runs (ResidualBlock.branch_order), up to F(x)
    order = block.branch_order[: block.branch_order.index(block.branch_output) + 1]
    main_mods = [(f"{name}.{n}", getattr(block, n)) for n in order if geometry(getattr(block, n), n) is not None]
    main_steps, r_main, j_main, c_main = _walk(main_mods, "main", r, j, c)
    r_out, shortcut = r_main, None
    if block.has_shortcut:
        short_mods = _moving(block.downsample, f"{name}.downsample") if block.downsample is not None else []
        short_steps, r_short, j_short, _ = _walk(short_mods, "shortcut", r, j, c)
        if j_short != j_main:
            raise ValueError(f"{name}: the shortcut's stride {j_short // j} differs from the branch's {j_main // j}")
        main_steps += short_steps
        shortcut, r_out = r_short, max(r_main, r_short)
    out_hw = _grid(hw, [s for s in main_steps if s.path == "main"])
    return Field(name, "block", r_out, j_main, c_main, out_hw, r_main, shortcut, tuple(main_steps)), out_hw


def receptive_fields(model: ResNet, input_size: tuple[int, int] | int = (224, 224)) -> ReceptiveFields:
    """The theoretical field of the stem, every block and every stage of ``model``.

    Args:
        model: any :class:`~resnet_core.model.ResNet` (a skeleton on the meta device will do:
            only the modules' geometry is read).
        input_size: (H, W) or one side, 1 to :data:`~resnet_core.shapes.MAX_INPUT_SIDE`.

    Raises:
        ValueError: an input size out of range, or a module with non-square geometry.
    """
    hw = (input_size, input_size) if isinstance(input_size, int) else tuple(input_size)
    if len(hw) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_INPUT_SIDE for v in hw):
        raise ValueError(f"the input size is one or two whole numbers from 1 to {MAX_INPUT_SIDE}, not {str(input_size)[:60]}")
    stem_mods = [(n, m) for n, m in (("conv1", model.conv1), ("maxpool", model.maxpool)) if geometry(m) is not None]
    steps, r, j, c = _walk(stem_mods, "main", 1, 1, 0.0)
    grid = _grid(hw, steps)
    fields = [Field("stem", "stem", r, j, c, grid, r, None, tuple(steps))]
    for info in model.feature_info:
        for i, block in enumerate(getattr(model, info.module)):
            if not is_block(block):
                raise ValueError(f"{info.module}.{i} is not a residual block")
            f, grid = _block_field(f"{info.module}.{i}", block, r, j, c, grid)
            fields.append(f)
            r, j, c = f.size, f.jump, f.centre0
        fields.append(Field(info.module, "stage", r, j, c, grid, r, None, ()))
    return ReceptiveFields(model.name, model.variant, model.spec.block, hw, tuple(fields))


def without_last_relu(block: nn.Module) -> nn.Module:
    """A twin of ``block`` that returns its output before the final ReLU (the same parameters, no copy).

    Feature visualization optimises the pre-activation, as Lucid does (its ``*_pre_relu``
    layers): a channel that is zero on the starting picture has no gradient after the ReLU.
    The served block is left untouched (the twin has its own module table), so concurrent
    requests are unaffected. Pre-activation blocks end with the addition (``after_add`` is None)
    and come back as they are.
    """
    if block.after_add is None:
        return block
    twin = copy.copy(block)
    twin._modules = dict(block._modules)  # noqa: SLF001 - a table of our own, the shared one untouched
    twin._modules[block.after_add] = nn.Identity()  # noqa: SLF001
    return twin


def features_at(model: ResNet, name: str, x: Tensor, *, pre_relu: bool = False) -> Tensor:
    """Run ``model`` on ``x`` up to the output of ``name`` ("stem", "layer3", "layer3.1") and stop there.

    No hook is registered, so concurrent requests on a shared served model cannot see each
    other's tensors, and nothing past the layer is computed.

    Args:
        model: the network.
        name: the stage or block.
        x: the input (B, 3, H, W).
        pre_relu: for a stage or block, its output before its last ReLU (:func:`without_last_relu`).

    Raises:
        ValueError: no stage or block of that name.
    """
    x = model.stem(x)
    if name == "stem":
        return x
    for info in model.feature_info:
        stage = getattr(model, info.module)
        for i, block in enumerate(stage):
            last = name == f"{info.module}.{i}" or (name == info.module and i == len(stage) - 1)
            x = (without_last_relu(block) if pre_relu and last else block)(x)
            if last:
                return x
    raise UserError(f"no stage or block named {str(name)[:64]!r} in {model.name}", key="error.no_layer",
                    layer=repr(str(name)[:64]), model=model.name)


# ------------------------------------------------------------------------------ the study


@dataclass(frozen=True)
class FieldCall:
    """One theoretical-field request.

    Attributes:
        depth: 18, 50, ... or ("basic"|"bottleneck", counts).
        variant: "v1.5", "v1" or "preact".
        input_size: (H, W).
        layer: the layer whose box is drawn ("layer3", "layer3.1", "stem").
        position: output position (row, col) of that layer; None: the centre.
    """

    depth: int | tuple
    variant: str = "v1.5"
    input_size: tuple[int, int] = (224, 224)
    layer: str = "layer4"
    position: tuple[int, int] | None = None


@dataclass(frozen=True)
class FieldResult:
    """Every field, and the boxes of one output position's field in every stage.

    Attributes:
        fields: the whole table.
        layer: the layer whose position was chosen.
        position: that position (row, col).
        boxes: stage (and the chosen layer) -> (top, left, bottom, right) around the same input
            point, clipped, so nested boxes show how the view widens stage by stage.
        other_variant: the variant compared with ("v1" for v1.5 and preact, "v1.5" for v1), or None.
        other: that variant's field per stage and block, for the sentence on where they differ.
    """

    fields: ReceptiveFields
    layer: str
    position: tuple[int, int]
    boxes: tuple[tuple[str, tuple[int, int, int, int]], ...]
    other_variant: str | None = None
    other: dict[str, int] | None = None


def nearest_position(field: Field, y: float, x: float) -> tuple[int, int]:
    """The output position of ``field`` whose centre is nearest the input point (y, x)."""
    h, w = field.out_hw
    row = min(max(int(round((y - field.centre0) / field.jump)), 0), h - 1)
    col = min(max(int(round((x - field.centre0) / field.jump)), 0), w - 1)
    return row, col


def field_boxes(fields: ReceptiveFields, layer: str, position: tuple[int, int] | None = None) -> FieldResult:
    """The chosen position's box, and every stage's box around the same input point."""
    chosen = fields.field(layer)
    h, w = chosen.out_hw
    if h < 1 or w < 1:
        height, width = fields.input_size
        raise UserError(f"{layer} has no output at {height}×{width}; choose a larger input", key="error.no_output",
                        layer=layer, height=height, width=width)
    pos = (h // 2, w // 2) if position is None else (int(position[0]), int(position[1]))
    cy, cx = chosen.centre(*pos)
    boxes = []
    for f in fields.stages:
        if min(f.out_hw) >= 1:
            boxes.append((f.name, f.box(*nearest_position(f, cy, cx), fields.input_size)))
    if chosen.kind == "block":
        boxes.append((chosen.name, chosen.box(*pos, fields.input_size)))
    return FieldResult(fields, layer, pos, tuple(boxes))


@study("receptive_field", call_type=FieldCall)
def receptive_field_study(ctx: StudyContext, call: FieldCall) -> Iterator[FieldResult]:
    """The theoretical fields of ``call``'s network (arithmetic on a meta-device skeleton, no weights)."""
    from .serving import skeleton

    result = field_boxes(receptive_fields(skeleton(call.depth, call.variant), call.input_size), call.layer, call.position)
    other = "v1.5" if call.variant == "v1" else "v1"
    theirs = receptive_fields(skeleton(call.depth, other), call.input_size).theoretical
    yield dataclasses.replace(result, other_variant=other, other=theirs)


__all__ = [
    "Field",
    "FieldCall",
    "FieldResult",
    "RFStep",
    "ReceptiveFields",
    "features_at",
    "field_boxes",
    "geometry",
    "nearest_position",
    "receptive_fields",
    "without_last_relu",
]
