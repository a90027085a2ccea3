"""The block anatomy figure: v1, v1.5 and pre-activation blocks side by side.

Drawn from :func:`resnet_core.shapes.block_anatomy`, the blocks' own description of their layout
(layers in order, where the shortcut starts, whether a ReLU follows the sum): nothing about a
block is written down here, so the figure cannot drift from the code it explains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import HIGHLIGHT

if TYPE_CHECKING:  # the records are read by attribute; importing resnet_core would import torch
    from resnet_core.shapes import BlockAnatomy, LayerInfo

# --------------------------------------------------------------------------------------------

_BOX_COLORS = {"conv": "#dbe9f6", "bn": "#fff2cc", "relu": "#d9f2d9", "add": "#ffffff", "none": "#ffffff"}


@dataclass(frozen=True)
class _Layout:
    """What sets one column apart, read from its block's record."""

    branch: tuple[LayerInfo, ...]  # the branch's ops in order
    shortcut: tuple[LayerInfo, ...]  # the projection's ops
    origin: int  # branch ops run before the shortcut starts (0: it reads the input)
    strided: int  # index in ``branch`` of the conv that halves the map (-1: none)
    pre: int  # branch ops before the first conv (pre-activation)
    relu_after_add: bool

    def stride_at(self) -> tuple[int, int]:
        """(which conv of the branch, its kernel) carries the stride."""
        if self.strided < 0:
            return (-1, 0)
        convs = [i for i, op in enumerate(self.branch) if op.kind == "conv"]
        return (convs.index(self.strided), self.branch[self.strided].kernel)

    def shortcut_form(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The kinds of op the shortcut starts after, and the kinds it is made of."""
        return tuple(op.kind for op in self.branch[: self.origin]), tuple(op.kind for op in self.shortcut)


def _layout(column: BlockAnatomy) -> _Layout:
    block = column.block
    branch = tuple(op for op in block.layers if op.path == "branch")
    names = [op.name for op in branch]
    strided = next((i for i, op in enumerate(branch) if op.kind == "conv" and op.stride > 1), -1)
    return _Layout(
        branch=branch,
        shortcut=tuple(op for op in block.layers if op.path == "shortcut"),
        origin=names.index(block.shortcut_input) + 1 if block.shortcut_input else 0,
        strided=strided,
        pre=next((i for i, op in enumerate(branch) if op.kind == "conv"), 0),
        relu_after_add=block.relu_after_add,
    )


def _reference(column: BlockAnatomy, columns: Sequence[BlockAnatomy]) -> BlockAnatomy | None:
    """The column this one is told apart from: torchvision's v1.5 (the default here), and the
    paper's v1 for v1.5 itself; None where it is its own reference (a basic v1 = v1.5)."""
    same = [c for c in columns if c.block.block_type == column.block.block_type]
    wanted = "v1" if "v1.5" in column.variants else "v1.5"
    ref = next((c for c in same if wanted in c.variants), None)
    return None if ref is None or ref is column else ref


@dataclass(frozen=True)
class _Marks:
    """Which parts of a column differ from its reference, to be outlined in orange."""

    ops: frozenset[int]  # indices into the branch
    shortcut: bool
    after: bool


def _marks(column: BlockAnatomy, columns: Sequence[BlockAnatomy]) -> _Marks:
    ref = _reference(column, columns)
    if ref is None:
        return _Marks(frozenset(), False, False)
    mine, theirs = _layout(column), _layout(ref)
    ops: set[int] = set()
    if mine.stride_at() != theirs.stride_at() and mine.strided >= 0:
        ops.add(mine.strided)  # the stride moved
    if [op.kind for op in mine.branch[: mine.pre]] != [op.kind for op in theirs.branch[: theirs.pre]]:
        ops.update(range(mine.pre))  # activation before the first conv
    return _Marks(
        frozenset(ops), mine.shortcut_form() != theirs.shortcut_form(), mine.relu_after_add != theirs.relu_after_add
    )


def _conv_label(op: LayerInfo, t: dict[str, str], *, expansion: int = 1) -> str:
    label = t["conv"].format(k=op.kernel)
    if op.stride > 1:
        label += t["stride"].format(s=op.stride)
    if expansion > 1:
        label += t["channels"].format(n=expansion)
    return label


def _op_label(op: LayerInfo, column: BlockAnatomy, t: dict[str, str]) -> str:
    if op.kind != "conv":
        return {"bn": "BN", "relu": "ReLU"}.get(op.kind, op.kind)
    block = column.block
    expands = op.out_shape[0] == block.out_shape[0] and block.out_shape[0] > block.width
    return _conv_label(op, t, expansion=block.out_shape[0] // block.width if expands else 1)


def _shortcut_label(layout: _Layout, t: dict[str, str]) -> str:
    conv = next(op for op in layout.shortcut if op.kind == "conv")
    norm = t["plus_bn"] if any(op.kind == "bn" for op in layout.shortcut) else t["no_bn"]
    return _conv_label(conv, t) + norm


class _Canvas:
    """Collects shapes and annotations and hands them to plotly once: adding a few hundred one
    by one re-validates the whole layout each time (seconds instead of milliseconds)."""

    def __init__(self) -> None:
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []

    def add_shape(self, **kwargs) -> None:
        self.shapes.append(kwargs)

    def add_annotation(self, **kwargs) -> None:
        self.annotations.append(kwargs)


def _box(
    canvas: _Canvas, x: float, y: float, w: float, h: float, label: str, kind: str, highlight: bool
) -> None:
    if kind == "add":
        canvas.add_shape(
            type="circle",
            x0=x - h / 2,
            x1=x + h / 2,
            y0=y - h / 2,
            y1=y + h / 2,
            line={"color": "#333333", "width": 1.5},
            fillcolor="white",
        )
    else:
        dashed = kind == "none"
        canvas.add_shape(
            type="rect",
            x0=x - w / 2,
            x1=x + w / 2,
            y0=y - h / 2,
            y1=y + h / 2,
            line={
                "color": HIGHLIGHT if highlight else "#555555",
                "width": 3 if highlight else 1,
                "dash": "dot" if dashed else "solid",
            },
            fillcolor=_BOX_COLORS[kind],
        )
    canvas.add_annotation(
        x=x,
        y=y,
        text=f"<b>{label}</b>" if highlight or kind == "add" else label,
        showarrow=False,
        font={"size": 11, "color": HIGHLIGHT if highlight and kind == "none" else "#222222"},
    )


def _arrow(canvas: _Canvas, x0: float, y0: float, x1: float, y1: float) -> None:
    canvas.add_annotation(
        x=x1,
        y=y1,
        ax=x0,
        ay=y0,
        xref="x",
        yref="y",
        axref="x",
        ayref="y",
        text="",
        showarrow=True,
        arrowhead=2,
        arrowsize=1,
        arrowwidth=1.2,
        arrowcolor="#444444",
    )


def block_anatomy_figure(anatomy: Sequence[BlockAnatomy], *, lang: str = "en") -> go.Figure:
    """Block layouts drawn side by side, where each differs outlined in orange.

    Each column is the first block of a stage (the one that halves the map, where the variants
    differ), input at the top: the branch in the middle, the shortcut on the right joining at
    ⊕. v1 (https://arxiv.org/abs/1512.03385, Fig. 5) puts stride 2 on the first 1×1 conv,
    v1.5 (torchvision) on the 3×3 conv, and the pre-activation block
    (https://arxiv.org/abs/1603.05027, Fig. 4e) moves BN and ReLU before each conv and leaves
    nothing after the addition. What is outlined is computed: each column against torchvision's
    v1.5 of the same block type (v1.5 against the paper's v1), so the orange marks the moved
    stride, the activation before the first conv, a shortcut that starts elsewhere or is built
    otherwise, and a missing ReLU after ⊕.

    Args:
        anatomy: the columns, from :func:`resnet_core.shapes.block_anatomy`.
        lang: "en" or "zh" for titles, notes, op words and the legend.

    Raises:
        ValueError: an unknown language, or no columns.
    """
    t = section("lab.anatomy", lang)
    if not anatomy:
        raise ValueError("no blocks to draw")
    canvas = _Canvas()
    w, h, dy, dx = 1.7, 0.62, 1.0, 3.2
    lowest = 0.0
    for c, column in enumerate(anatomy):
        key = f"{column.block.block_type}/{column.variants[0]}"
        layout, marks = _layout(column), _marks(column, anatomy)
        x = c * dx
        xs = x + 1.35  # the shortcut's lane
        canvas.add_annotation(x=x + 0.3, y=1.35, text=f"<b>{t[f'{key}/title']}</b>", showarrow=False, font={"size": 12})
        _box(canvas, x, 0.4, w, 0.5, t["input"], "none", False)
        y = 0.4
        ys = []
        for i, op in enumerate(layout.branch):
            y_next = y - dy
            _arrow(canvas, x, y - 0.27, x, y_next + h / 2)
            _box(canvas, x, y_next, w, h, _op_label(op, column, t), op.kind, i in marks.ops)
            ys.append(y_next)
            y = y_next
        y_add = y - dy
        _arrow(canvas, x, y - h / 2, x, y_add + 0.22)
        _box(canvas, x, y_add, w, 0.44, "+", "add", False)
        _shortcut(canvas, x, xs, w, 0.4 if layout.origin == 0 else ys[layout.origin - 1], y_add,
                  _shortcut_label(layout, t), marks.shortcut)
        y_next = y_add - dy
        _arrow(canvas, x, y_add - 0.22, x, y_next + h / 2)
        if layout.relu_after_add:
            _box(canvas, x, y_next, w, h, "ReLU", "relu", marks.after)
        else:
            _box(canvas, x, y_next, w, h, t["no_relu"], "none", marks.after)
        canvas.add_annotation(
            x=x + 0.3, y=y_next - 0.6, text=t[f"{key}/note"], showarrow=False, align="center", yanchor="top",
            font={"size": 10},
        )
        lowest = min(lowest, y_next - 2.2)
    canvas.add_annotation(
        x=0.0, y=-0.02, xref="paper", yref="paper", text=t["legend"], showarrow=False, xanchor="left", yanchor="top"
    )
    fig = go.Figure()
    fig.update_layout(shapes=canvas.shapes, annotations=canvas.annotations)
    fig.update_xaxes(visible=False, range=[-1.2, (len(anatomy) - 1) * dx + 1.8])
    fig.update_yaxes(visible=False, range=[lowest, 1.7], scaleanchor=None)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=int(90 + 48 * (1.7 - lowest)),
        showlegend=False,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        title=None,
        hovermode=False,
    )
    return fig


def _shortcut(
    canvas: _Canvas, x: float, xs: float, w: float, y_from: float, y_add: float, label: str, highlight: bool
) -> None:
    """The shortcut: from the input (or the pre-activated input) down the right lane into ⊕."""
    line = {"color": "#444444", "width": 1.2}
    canvas.add_shape(type="line", x0=x + w / 2, y0=y_from, x1=xs, y1=y_from, line=line)
    y_mid = (y_from + y_add) / 2
    half = 1.4  # the projection's box, tall enough for its rotated label
    canvas.add_shape(type="line", x0=xs, y0=y_from, x1=xs, y1=y_mid + half, line=line)
    canvas.add_shape(
        type="rect", x0=xs - 0.25, x1=xs + 0.25, y0=y_mid - half, y1=y_mid + half,
        line={"color": HIGHLIGHT if highlight else "#555555", "width": 3 if highlight else 1},
        fillcolor=_BOX_COLORS["conv"],
    )
    canvas.add_annotation(x=xs, y=y_mid, text=label, textangle=-90, showarrow=False, font={"size": 10})
    canvas.add_shape(type="line", x0=xs, y0=y_mid - half, x1=xs, y1=y_add, line=line)
    _arrow(canvas, xs, y_add, x + 0.24, y_add)
