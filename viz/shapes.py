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
from .locales import section

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.shapes import Architecture, LayerInfo, ShapeStep, StageInfo

_HEADER_KEYS = ("h_stage", "h_operation", "h_arithmetic", "h_output", "h_params", "h_macs", "h_adds")

#: column names of :func:`shape_table` in English, for ``gr.Dataframe(headers=...)``
SHAPE_TABLE_HEADERS: tuple[str, ...] = tuple(section("shapes", "en")[k] for k in _HEADER_KEYS)

#: the CSS the page needs around :func:`shape_table_markdown` (give the Markdown component
#: ``elem_classes=["shape-table"]``): Gradio's Markdown lets a squeezed column break inside a
#: word ("laye r1", "64×112×11 2"); here cells never wrap, except the arithmetic between its
#: terms, and a wide table scrolls sideways instead
SHAPE_TABLE_CSS = """
.shape-table { overflow-x: auto; }
.shape-table table, .shape-table span { word-break: normal; overflow-wrap: normal; }
.shape-table td, .shape-table th { white-space: nowrap; overflow-wrap: normal; word-break: normal; }
.shape-table td:nth-child(3) { white-space: normal; min-width: 16em; }
"""


def shape_table_headers(*, lang: str = "en") -> tuple[str, ...]:
    """Column names of :func:`shape_table` in ``lang``."""
    return tuple(section("shapes", lang)[k] for k in _HEADER_KEYS)


def _hw(shape: tuple[int, ...]) -> str:
    return f"{shape[1]}×{shape[2]}"


def _unchanged(shape: tuple[int, ...], t: dict[str, str]) -> str:
    return t["unchanged"].format(a=_hw(shape))


def _step(arch: Architecture, name: str) -> ShapeStep | None:
    return next((s for s in arch.steps if s.name == name), None)


def _kernel(op: LayerInfo) -> str:
    return op.detail.split("/")[0].replace("x", "×")


def _stage_operation(s: StageInfo, t: dict[str, str]) -> str:
    b = s.blocks[0]
    convs = "; ".join(
        f"{_kernel(op)}, {op.out_shape[0]}" for op in b.layers if op.kind == "conv" and op.path == "branch"
    )
    return f"{len(s.blocks)} × {t[b.block_type]} [{convs}]"


def _step_label(label: str, t: dict[str, str]) -> str:
    """"conv 3x3/2" or "max-pool 3x3/2" in the table's language."""
    word, _, rest = label.partition(" ")
    return f"{t.get(word, word)} {rest.replace('x', '×')}"


def _stage_arithmetic(arch: Architecture, s: StageInfo, t: dict[str, str]) -> str:
    steps = [st for st in arch.steps if st.name.startswith(s.name + ".")]
    if not steps:
        return _unchanged(s.in_shape, t)
    return "; ".join(f"{_step_label(st.label, t)}: {st.formulas()}" for st in steps)


def _row(stage: str, operation: str, arithmetic: str, shape: tuple[int, ...], params: int, macs: int, adds: int) -> list[str]:
    return [
        stage, operation, arithmetic, format_shape(shape), human_count(params),
        human_macs(macs) if macs else "—", human_count(adds) if adds else "—",
    ]


def shape_table(arch: Architecture, *, lang: str = "en") -> list[list[str]]:
    """One row per step of the main path, plus a total.

    Args:
        arch: from ``resnet_core.describe(model, input_size)``.
        lang: "en" or "zh" for the words (stage and layer names stay as PyTorch names them).

    Returns:
        Rows of strings in the order of :func:`shape_table_headers`: stem conv (with BN and
        ReLU), max-pool, each stage, the pre-activation head BN where there is one, average
        pool, fc, and the total.
    """
    t = section("shapes", lang)
    rows: list[list[str]] = []
    by_kind = {op.kind: op for op in arch.stem}
    conv = by_kind["conv"]
    stem_extra = [op for op in arch.stem if op.kind in ("bn", "relu")]
    words = " + ".join({"bn": "BN", "relu": "ReLU"}[op.kind] for op in stem_extra)
    step = _step(arch, conv.name)
    rows.append(_row(
        t["stem"], f"conv {conv.detail.replace('x', '×')}" + (f" + {words}" if words else ""),
        step.formulas() if step else _unchanged(conv.in_shape, t), conv.out_shape,
        conv.params + sum(op.params for op in stem_extra), conv.macs, 0,
    ))
    if "maxpool" in by_kind:
        pool = by_kind["maxpool"]
        step = _step(arch, pool.name)
        rows.append(_row(
            t["stem"], f"{t['max-pool']} {pool.detail.replace('x', '×')}",
            step.formulas() if step else _unchanged(pool.in_shape, t), pool.out_shape, 0, 0, 0,
        ))
    for s in arch.stages:
        rows.append(_row(
            s.name, _stage_operation(s, t), _stage_arithmetic(arch, s, t), s.out_shape, s.params, s.macs, s.adds
        ))
    norm = [op for op in arch.head if op.kind in ("bn", "relu")]
    if norm:
        shape = norm[-1].out_shape
        rows.append(_row(t["head"], t["final_norm"], _unchanged(shape, t), shape, sum(op.params for op in norm), 0, 0))
    for op in arch.head:
        if op.kind == "avgpool":
            rows.append(_row(t["head"], t["avgpool"], f"{_hw(op.in_shape)} → 1×1", op.out_shape, 0, 0, 0))
        elif op.kind == "fc":
            c_in, c_out = op.in_shape[0], op.out_shape[0]
            rows.append(_row(
                t["head"], t["fc"].format(i=c_in, o=c_out), t["fc_arith"].format(i=c_in, o=c_out),
                (c_out,), op.params, op.macs, 0,
            ))
    h, w = arch.input_size
    rows.append(_row(t["total"], arch.name, t["input"].format(h=h, w=w),
                     arch.head[-1].out_shape[:1], arch.params, arch.macs, arch.adds))
    return rows


def _cell(text: str, nowrap: bool) -> str:
    text = text.replace("|", "\\|")
    if not nowrap:
        return text
    # the arithmetic may wrap between its formulas ("; "), every other cell not at all
    return "; ".join(f'<span style="white-space:nowrap">{p}</span>' for p in text.split("; "))


def shape_table_markdown(arch: Architecture, *, lang: str = "en", nowrap: bool = False) -> str:
    """:func:`shape_table` as a Markdown table with a one-line summary above it.

    Args:
        arch: from ``resnet_core.describe``.
        lang: "en" or "zh".
        nowrap: wrap every cell in ``white-space:nowrap`` spans, for a page that cannot add
            :data:`SHAPE_TABLE_CSS` (the spans then show in the Markdown an API client gets).
    """
    t = section("shapes", lang)
    h, w = arch.input_size
    headers = shape_table_headers(lang=lang)
    lines = [
        t["summary"].format(
            name=arch.name, h=h, w=w, params=human_count(arch.params), macs=human_macs(arch.macs),
            adds=human_count(arch.adds),
        ),
        "",
        "| " + " | ".join(_cell(x, nowrap) for x in headers) + " |",
        "|" + "---|" * len(headers),
    ]
    for row in shape_table(arch, lang=lang):
        lines.append("| " + " | ".join(_cell(cell, nowrap) for cell in row) + " |")
    return "\n".join(lines)


def _stage_costs(arch: Architecture, t: dict[str, str]) -> list[tuple[str, str, int, int]]:
    rows = [("stem", t["stem"], sum(op.params for op in arch.stem), sum(op.macs for op in arch.stem))]
    rows += [(s.name, s.name, s.params, s.macs) for s in arch.stages]
    rows.append(("head", t["head"], sum(op.params for op in arch.head), sum(op.macs for op in arch.head)))
    return rows


def cost_verdict(arch: Architecture, *, lang: str = "en") -> str:
    """Where the parameters and the multiply-accumulates of ``arch`` sit, in one sentence in ``lang``.

    Computed from the same per-stage counts as :func:`cost_figure`: the part with the most
    parameters and its shares, then either the range of MACs per stage (when it stays within a
    factor of two, the design rule of He et al., https://arxiv.org/abs/1512.03385, Sec. 3.3) or
    the stage that does the most work and how many blocks it stacks.
    """
    t = section("shapes", lang)
    costs = _stage_costs(arch, t)
    top = max(costs, key=lambda c: c[2])
    share_p, share_pm = top[2] / max(arch.params, 1), top[3] / max(arch.macs, 1)
    text = t["verdict_less" if share_pm < share_p else "verdict_more"].format(
        top_p=top[1], share_p=share_p, params=human_count(arch.params), share_pm=share_pm
    )
    macs = {s.name: s.macs for s in arch.stages}
    lo, hi = min(macs.values()), max(macs.values())
    if hi <= 2 * lo:
        return text + t["verdict_level"].format(lo=human_macs(lo), hi=human_macs(hi))
    busy = max(arch.stages, key=lambda s: s.macs)
    return text + t["verdict_uneven"].format(
        busy=busy.name, hi=human_macs(hi), blocks=len(busy.blocks), total=len(arch.blocks)
    )


def _short_macs(n: int) -> str:
    """A bar label short enough for a narrow bar: "0.67G", "2.0M" (the unit is in the title)."""
    return human_macs(n).replace(" GMACs", "G").replace(" MMACs", "M").replace(" MACs", "")


def cost_figure(arch: Architecture, *, lang: str = "en") -> go.Figure:
    """Parameters and MACs per stage (stem, layer1..4, head) as two bar charts side by side.

    The picture of the paper's design rule: each stage halves the map and doubles the width,
    so MACs stay roughly level while the parameters pile up in the last stages and the fc.

    Args:
        arch: from ``resnet_core.describe``.
        lang: "en" or "zh" for the titles and hover text.
    """
    t = section("shapes", lang)
    costs = _stage_costs(arch, t)
    names = [c[1] for c in costs]
    colors = [stage_color(c[0]) for c in costs]
    fig = make_subplots(rows=1, cols=2, subplot_titles=(t["params_title"], t["macs_title"]),
                        horizontal_spacing=0.12)
    params = [c[2] for c in costs]
    macs = [c[3] for c in costs]
    # plotly shrinks outside labels to the bar width by default ("4.09 GMACs" over a thin bar
    # became unreadable): keep them at a readable size, allowed past the axes' top
    label = {"textposition": "outside", "textfont": {"size": 13}, "cliponaxis": False, "constraintext": "none"}
    fig.add_trace(go.Bar(
        x=names, y=params, marker_color=colors, name=t["params_title"],
        text=[human_count(p) for p in params], hovertemplate=t["params_hover"], **label,
    ), row=1, col=1)
    fig.add_trace(go.Bar(
        x=names, y=macs, marker_color=colors, name="MACs",
        text=[_short_macs(m) for m in macs], hovertemplate="%{x}: %{text} MACs<extra></extra>", **label,
    ), row=1, col=2)
    h, w = arch.input_size
    fig.update_yaxes(rangemode="tozero")
    fig.update_yaxes(range=[0, max(params) * 1.25], row=1, col=1)
    fig.update_yaxes(range=[0, max(macs) * 1.25 or 1], row=1, col=2)
    fig.update_yaxes(exponentformat="SI")  # 1.5G, not plotly's default 1.5B
    fig.update_xaxes(tickfont={"size": 13})
    fig.update_layout(
        template=TEMPLATE, font=FONT, showlegend=False, height=380, uniformtext={"mode": False},
        title={"text": t["title"].format(name=arch.name, h=h, w=w, params=human_count(arch.params),
                                         macs=human_macs(arch.macs)),
               "x": 0.01, "font": {"size": 14}},
        margin={"l": 50, "r": 20, "t": 80, "b": 40},
    )
    return fig
