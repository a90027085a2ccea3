"""Every stage's shape and cost: a table with the size arithmetic, and a cost chart.

The rows follow the main path of Table 1 of He et al. (https://arxiv.org/abs/1512.03385):
stem conv, max-pool, the four stages, average pool, fc. Each spatial size is shown with the
convolution formula that produced it, ``⌊(in + 2p − k)/s⌋ + 1``, taken from the
:class:`~resnet_core.shapes.ShapeStep` records, so odd and non-square inputs read correctly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._format import FONT, TEMPLATE, format_shape, human_count, human_macs, stage_color

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.shapes import Architecture, LayerInfo, ShapeStep, StageInfo

#: column names of :func:`shape_table`, for ``gr.Dataframe(headers=...)``
SHAPE_TABLE_HEADERS: tuple[str, ...] = (
    "stage", "operation", "arithmetic", "output C×H×W", "parameters", "MACs", "residual adds",
)


def _hw(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}×{shape[2]}"


def _unchanged(shape: tuple[int, ...]) -> str:
    return f"{_hw(shape)} → {_hw(shape)} (stride 1, no change)"


def _step(arch: Architecture, name: str) -> ShapeStep | None:
    return next((s for s in arch.steps if s.name == name), None)


def _kernel(op: LayerInfo) -> str:
    return op.detail.split("/")[0].replace("x", "×")


def _stage_operation(s: StageInfo) -> str:
    b = s.blocks[0]
    convs = "; ".join(
        f"{_kernel(op)}, {op.out_shape[0]}" for op in b.layers if op.kind == "conv" and op.path == "branch"
    )
    return f"{len(s.blocks)} × {b.block_type} [{convs}]"


def _stage_arithmetic(arch: Architecture, s: StageInfo) -> str:
    steps = [st for st in arch.steps if st.name.startswith(s.name + ".")]
    if not steps:
        return _unchanged(s.in_shape)
    return "; ".join(f"{st.label.replace('x', '×')}: {st.formulas()}" for st in steps)


def _row(stage: str, operation: str, arithmetic: str, shape: tuple[int, ...], params: int, macs: int, adds: int) -> list[str]:
    return [
        stage, operation, arithmetic, format_shape(shape), human_count(params),
        human_macs(macs) if macs else "—", human_count(adds) if adds else "—",
    ]


def shape_table(arch: Architecture) -> list[list[str]]:
    """One row per step of the main path, plus a total.

    Args:
        arch: from ``resnet_core.describe(model, input_size)``.

    Returns:
        Rows of strings in the order of :data:`SHAPE_TABLE_HEADERS`: stem conv (with BN and
        ReLU), max-pool, each stage, the pre-activation head BN where there is one, average
        pool, fc, and "total".
    """
    rows: list[list[str]] = []
    by_kind = {op.kind: op for op in arch.stem}
    conv = by_kind["conv"]
    stem_extra = [op for op in arch.stem if op.kind in ("bn", "relu")]
    words = " + ".join({"bn": "BN", "relu": "ReLU"}[op.kind] for op in stem_extra)
    step = _step(arch, conv.name)
    rows.append(_row(
        "stem", f"conv {conv.detail.replace('x', '×')}" + (f" + {words}" if words else ""),
        step.formulas() if step else _unchanged(conv.in_shape), conv.out_shape,
        conv.params + sum(op.params for op in stem_extra), conv.macs, 0,
    ))
    if "maxpool" in by_kind:
        pool = by_kind["maxpool"]
        step = _step(arch, pool.name)
        rows.append(_row(
            "stem", f"max-pool {pool.detail.replace('x', '×')}",
            step.formulas() if step else _unchanged(pool.in_shape), pool.out_shape, 0, 0, 0,
        ))
    for s in arch.stages:
        rows.append(_row(s.name, _stage_operation(s), _stage_arithmetic(arch, s), s.out_shape, s.params, s.macs, s.adds))
    norm = [op for op in arch.head if op.kind in ("bn", "relu")]
    if norm:
        shape = norm[-1].out_shape
        rows.append(_row("head", "final BN + ReLU (pre-activation)", _unchanged(shape), shape,
                         sum(op.params for op in norm), 0, 0))
    for op in arch.head:
        if op.kind == "avgpool":
            rows.append(_row("head", "global average pool", f"{_hw(op.in_shape)} → 1×1", op.out_shape, 0, 0, 0))
        elif op.kind == "fc":
            c_in, c_out = op.in_shape[0], op.out_shape[0]
            rows.append(_row(
                "head", f"fully connected {c_in} → {c_out}", f"{c_in}·{c_out} weights + {c_out} biases",
                (c_out,), op.params, op.macs, 0,
            ))
    rows.append(_row("total", arch.name, f"input 3×{arch.input_size[0]}×{arch.input_size[1]}",
                     arch.head[-1].out_shape[:1], arch.params, arch.macs, arch.adds))
    return rows


def shape_table_markdown(arch: Architecture) -> str:
    """:func:`shape_table` as a Markdown table with a one-line summary above it."""
    h, w = arch.input_size
    lines = [
        f"**{arch.name}** at {h}×{w}: {human_count(arch.params)} parameters, {human_macs(arch.macs)}, "
        f"{human_count(arch.adds)} residual adds",
        "",
        "| " + " | ".join(SHAPE_TABLE_HEADERS) + " |",
        "|" + "---|" * len(SHAPE_TABLE_HEADERS),
    ]
    for row in shape_table(arch):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines)


def _stage_costs(arch: Architecture) -> list[tuple[str, int, int]]:
    rows = [("stem", sum(op.params for op in arch.stem), sum(op.macs for op in arch.stem))]
    rows += [(s.name, s.params, s.macs) for s in arch.stages]
    rows.append(("head", sum(op.params for op in arch.head), sum(op.macs for op in arch.head)))
    return rows


def cost_figure(arch: Architecture) -> go.Figure:
    """Parameters and MACs per stage (stem, layer1..4, head) as two bar charts side by side.

    The picture of the paper's design rule: each stage halves the map and doubles the width,
    so MACs stay roughly level while the parameters pile up in the last stages and the fc.
    """
    costs = _stage_costs(arch)
    names = [c[0] for c in costs]
    colors = [stage_color(n) for n in names]
    fig = make_subplots(rows=1, cols=2, subplot_titles=("parameters", "multiply-accumulates"),
                        horizontal_spacing=0.12)
    params = [c[1] for c in costs]
    macs = [c[2] for c in costs]
    fig.add_trace(go.Bar(
        x=names, y=params, marker_color=colors, name="parameters",
        text=[human_count(p) for p in params], textposition="outside",
        hovertemplate="%{x}: %{text} parameters<extra></extra>",
    ), row=1, col=1)
    fig.add_trace(go.Bar(
        x=names, y=macs, marker_color=colors, name="MACs",
        text=[human_macs(m) for m in macs], textposition="outside",
        hovertemplate="%{x}: %{text}<extra></extra>",
    ), row=1, col=2)
    h, w = arch.input_size
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(range=[0, max(params) * 1.2], row=1, col=1)
    fig.update_yaxes(range=[0, max(macs) * 1.2 or 1], row=1, col=2)
    fig.update_yaxes(exponentformat="SI")  # 1.5G, not plotly's default 1.5B
    fig.update_layout(
        template=TEMPLATE, font=FONT, showlegend=False, height=360,
        title={"text": f"{arch.name} at {h}×{w}: {human_count(arch.params)} parameters, {human_macs(arch.macs)}",
               "x": 0.01, "font": {"size": 14}},
        margin={"l": 50, "r": 20, "t": 70, "b": 40},
    )
    return fig
