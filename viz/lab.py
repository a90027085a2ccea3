"""Figures of the "why residual?" lab: gradient flow, shortcut share, the race, block anatomy.

Pure functions of :mod:`resnet_core.lab`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._format import FONT, TEMPLATE

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.lab import GradientFlow, NetworkFlow, RaceCurve, RaceUpdate, SavedRace

#: one colour per kind of network, in every lab figure
KIND_COLORS: dict[str, str] = {"residual": "#1f77b4", "plain": "#d62728", "preact": "#2ca02c"}
#: lighter and darker shades for a second and third depth in one race
_SHADES: dict[str, tuple[str, ...]] = {
    "residual": ("#1f77b4", "#0b3d66", "#6baed6", "#08306b"),
    "plain": ("#d62728", "#7f0f10", "#fc8d59", "#67000d"),
    "preact": ("#2ca02c", "#0b5d1e", "#74c476", "#00441b"),
}
SHORTCUT_COLOR = "#1f77b4"
BRANCH_COLOR = "#ff7f0e"
HIGHLIGHT = "#ff7f0e"


def _message_figure(text: str, *, height: int = 300) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        template=TEMPLATE, font=FONT, height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10}
    )
    return fig


def _stage_starts(blocks: Sequence[str]) -> list[tuple[int, str]]:
    """(index, stage) of the first block of each stage after the first."""
    starts, previous = [], None
    for i, name in enumerate(blocks):
        stage = name.split(".")[0]
        if previous is not None and stage != previous:
            starts.append((i + 1, stage))
        previous = stage
    return starts


# --------------------------------------------------------------------------------------------
# Gradient flow
# --------------------------------------------------------------------------------------------


def gradient_flow_figure(flows: GradientFlow | Sequence[GradientFlow]) -> go.Figure:
    """Gradient norm per block on a log scale: one line per network and per BN setting.

    Colour tells residual / plain / preact, a solid line BN on and a dashed line BN off; the
    legend carries each network's first-over-last ratio. Zero gradients cannot be drawn on a
    log axis and are left as gaps.
    """
    if not isinstance(flows, Sequence):
        flows = [flows]
    if not flows:
        return _message_figure("no gradient flow computed yet")
    fig = go.Figure()
    blocks: Sequence[str] = ()
    for flow in flows:
        for net in flow.networks:
            norms = np.asarray(net.grad_norms, dtype=np.float64)
            y = np.where(norms > 0, norms, np.nan)
            x = np.arange(1, len(norms) + 1)
            ratio = net.first_last_ratio
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    mode="lines+markers" if len(norms) <= 40 else "lines",
                    name=f"{net.label} (first/last {ratio:.3g}×)",
                    line={
                        "color": KIND_COLORS.get(net.kind, "#7f7f7f"),
                        "dash": "solid" if net.norm else "dash",
                    },
                    marker={"size": 5},
                    customdata=list(net.blocks),
                    hovertemplate="%{customdata}<br>‖∂L/∂output‖ = %{y:.3g}<extra>" + net.label + "</extra>",
                )
            )
            if len(net.blocks) > len(blocks):
                blocks = net.blocks
    for i, stage in _stage_starts(blocks):
        fig.add_vline(x=i - 0.5, line={"color": "#bbbbbb", "dash": "dot", "width": 1})
        fig.add_annotation(
            x=i - 0.5, y=1.0, yref="paper", text=stage, showarrow=False, xanchor="left", font={"size": 10}
        )
    first = flows[0]
    fig.update_yaxes(type="log", title="gradient norm ‖∂L/∂(block output)‖", exponentformat="power")
    fig.update_xaxes(title="block (input side → output side)")
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={
            "text": (
                f"Gradient per block at initialization: {first.family} depth {first.depth}, "
                f"one backward pass, batch {first.batch} at {first.input_size}×{first.input_size}"
            ),
            "x": 0.01,
            "font": {"size": 14},
        },
        height=460,
        legend={"orientation": "h", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 20, "t": 50, "b": 10},
    )
    return fig


def shortcut_share_figure(flow: GradientFlow | NetworkFlow) -> go.Figure:
    """Per residual block: the share of the input gradient that arrives through the shortcut
    and through the branch, as stacked bars (``norm / (shortcut norm + branch norm)``).

    Given a whole :class:`GradientFlow`, one panel per network with shortcuts (residual and
    preact); the plain twin has nothing to split.
    """
    nets = [flow] if hasattr(flow, "kind") else list(flow.networks)  # type: ignore[union-attr]
    nets = [n for n in nets if n.shortcut_norms is not None and n.branch_norms is not None]
    if not nets:
        return _message_figure("a plain network has no shortcut: nothing to split")
    fig = make_subplots(
        rows=len(nets),
        cols=1,
        shared_xaxes=False,
        vertical_spacing=0.12,
        subplot_titles=[n.label for n in nets],
    )
    for row, net in enumerate(nets, start=1):
        share = np.asarray(net.shortcut_share, dtype=np.float64)
        x = list(net.blocks)
        norms = np.stack([net.shortcut_norms, net.branch_norms], axis=-1)
        for part, values, color in (
            ("through the shortcut", share, SHORTCUT_COLOR),
            ("through the branch", 1.0 - share, BRANCH_COLOR),
        ):
            fig.add_trace(
                go.Bar(
                    x=x,
                    y=values,
                    name=part,
                    marker_color=color,
                    legendgroup=part,
                    showlegend=row == 1,
                    customdata=norms,
                    hovertemplate=(
                        "%{x}: %{y:.0%} " + part + "<br>‖shortcut part‖ = %{customdata[0]:.3g}"
                        "<br>‖branch part‖ = %{customdata[1]:.3g}<extra></extra>"
                    ),
                ),
                row=row,
                col=1,
            )
        fig.add_hline(y=0.5, line={"color": "#555555", "dash": "dot", "width": 1}, row=row, col=1)
        fig.update_yaxes(range=[0, 1], tickformat=".0%", title="share of ∂L/∂x", row=row, col=1)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        barmode="stack",
        bargap=0.1,
        height=260 + 220 * len(nets),
        title={"text": "Where each block's input gradient comes from", "x": 0.01, "font": {"size": 14}},
        legend={"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"},
        margin={"l": 10, "r": 20, "t": 80, "b": 10},
    )
    return fig


# --------------------------------------------------------------------------------------------
# The race
# --------------------------------------------------------------------------------------------


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` points (shorter at the start), so curves never lead."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0 or window <= 1:
        return values
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(0, idx - window)
    return (cumulative[idx] - cumulative[lo]) / (idx - lo)


def _curves_figure(curves: Sequence[RaceCurve], *, title: str, smooth: int) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=2,
        subplot_titles=("training loss", "accuracy (line: training batches; dots: held-out)"),
        horizontal_spacing=0.08,
    )
    seen: dict[str, int] = {}
    for curve in curves:
        shade = seen.get(curve.kind, 0)
        seen[curve.kind] = shade + 1
        palette = _SHADES.get(curve.kind, ("#7f7f7f",))
        color = palette[shade % len(palette)]
        steps = np.asarray(curve.steps)
        common = {"legendgroup": curve.name, "line": {"color": color}}
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_smooth(curve.loss, smooth),
                mode="lines",
                name=curve.name,
                hovertemplate="step %{x}: loss %{y:.3f}<extra>" + curve.name + "</extra>",
                **common,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=steps,
                y=_smooth(curve.accuracy, smooth),
                mode="lines",
                name=curve.name,
                showlegend=False,
                hovertemplate="step %{x}: training accuracy %{y:.1%}<extra>" + curve.name + "</extra>",
                **common,
            ),
            row=1,
            col=2,
        )
        fig.add_trace(
            go.Scatter(
                x=np.asarray(curve.eval_steps),
                y=np.asarray(curve.eval_accuracy),
                mode="lines+markers",
                name=f"{curve.name} held-out",
                showlegend=False,
                legendgroup=curve.name,
                line={"color": color, "dash": "dot", "width": 1},
                marker={"size": 7, "symbol": "circle-open" if curve.kind == "plain" else "circle"},
                hovertemplate="step %{x}: held-out accuracy %{y:.1%}<extra>" + curve.name + "</extra>",
            ),
            row=1,
            col=2,
        )
    fig.update_xaxes(title="step", rangemode="tozero")
    fig.update_yaxes(title="cross-entropy", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title="accuracy", range=[0, 1.02], tickformat=".0%", row=1, col=2)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={"text": title, "x": 0.01, "font": {"size": 13}},
        height=420,
        legend={"orientation": "h", "y": -0.18, "x": 0},
        margin={"l": 10, "r": 20, "t": 80, "b": 10},
        uirevision="race",  # keep the user's zoom while live updates redraw the figure
    )
    return fig


def race_figure(history: RaceUpdate | Sequence[RaceUpdate], *, smooth: int = 10) -> go.Figure:
    """Loss and accuracy of a race so far; call it again with each new update.

    Args:
        history: the latest :class:`RaceUpdate`, or the updates received so far (each update
            carries every curve from step 1, so only the last one is drawn).
        smooth: training curves are trailing means over this many steps (batches are noisy);
            held-out accuracy is drawn as measured.
    """
    if isinstance(history, Sequence):
        if not history:
            return _message_figure("press start: plain and residual networks will race here", height=420)
        update = history[-1]
    else:
        update = history
    state = "done" if update.done else "running"
    if update.stopped:
        state = f"stopped ({update.stopped})"
    title = (
        f"{' vs '.join(c.name for c in update.curves)}: step {update.step}/{update.steps}, "
        f"{update.elapsed:.0f} s on {update.device}, {state}"
    )
    return _curves_figure(update.curves, title=title, smooth=smooth)


def saved_curves_figure(source: str | Path | SavedRace, *, smooth: int = 10) -> go.Figure:
    """The curves saved by ``scripts/race.py``, titled with how and where they were produced.

    Args:
        source: a path to the JSON file, or a loaded :class:`resnet_core.lab.SavedRace`.
        smooth: as in :func:`race_figure` (saved curves may already be bin-averaged).

    A missing file gives a figure that says how to make one; a malformed file raises
    ``ValueError``.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            return _message_figure(f"no saved curves at {path}; run: python scripts/race.py", height=420)
        from resnet_core.lab import load_race  # only here: the format lives next to the writer

        saved = load_race(path)
    else:
        saved = source
    bins = max(1, max((len(c.steps) for c in saved.curves), default=1))
    steps = max((int(c.steps[-1]) for c in saved.curves if len(c.steps)), default=0)
    binned = bins < steps  # points are already bin means: smooth less
    window = max(1, smooth * bins // max(steps, 1)) if binned else smooth
    return _curves_figure(saved.curves, title=f"Saved race: {saved.caption}", smooth=window)


# --------------------------------------------------------------------------------------------
# Block anatomy
# --------------------------------------------------------------------------------------------

# (label, kind, highlighted) from input to output; kind: conv, bn, relu, add.
_Layer = tuple[str, str, bool]
_BOX_COLORS = {"conv": "#dbe9f6", "bn": "#fff2cc", "relu": "#d9f2d9", "add": "#ffffff", "none": "#ffffff"}

_ANATOMY: dict[tuple[str, str], dict] = {
    ("bottleneck", "v1"): {
        "title": "Bottleneck v1 (paper)",
        "branch": [
            ("conv 1×1, stride 2", "conv", True),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 1×1 (×4 channels)", "conv", False),
            ("BN", "bn", False),
        ],
        "shortcut": ("conv 1×1, stride 2 + BN", 0),
        "after": [("ReLU", "relu", False)],
        "note": "stride 2 on the first 1×1 conv:<br>it skips 3 of every 4 positions<br>before any 3×3 sees them",
    },
    ("bottleneck", "v1.5"): {
        "title": "Bottleneck v1.5 (torchvision)",
        "branch": [
            ("conv 1×1", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3, stride 2", "conv", True),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 1×1 (×4 channels)", "conv", False),
            ("BN", "bn", False),
        ],
        "shortcut": ("conv 1×1, stride 2 + BN", 0),
        "after": [("ReLU", "relu", False)],
        "note": "stride 2 moved to the 3×3 conv:<br>same parameters, more compute,<br>about +0.5% top-1",
    },
    ("bottleneck", "preact"): {
        "title": "Bottleneck pre-activation",
        "branch": [
            ("BN", "bn", True),
            ("ReLU", "relu", True),
            ("conv 1×1", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3, stride 2", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 1×1 (×4 channels)", "conv", False),
        ],
        "shortcut": ("conv 1×1, stride 2 (no BN)", 2),
        "after": [("no ReLU after ⊕", "none", True)],
        "note": "BN-ReLU before each conv, nothing after ⊕:<br>x passes from block to block untouched<br>(Identity Mappings, Fig. 4e)",
    },
    ("basic", "v1"): {
        "title": "Basic v1 = v1.5",
        "branch": [
            ("conv 3×3, stride 2", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3", "conv", False),
            ("BN", "bn", False),
        ],
        "shortcut": ("conv 1×1, stride 2 + BN", 0),
        "after": [("ReLU", "relu", False)],
        "note": "v1 and v1.5 differ only in bottlenecks:<br>a basic block has no 1×1 to move<br>the stride from",
    },
    ("basic", "preact"): {
        "title": "Basic pre-activation",
        "branch": [
            ("BN", "bn", True),
            ("ReLU", "relu", True),
            ("conv 3×3, stride 2", "conv", False),
            ("BN", "bn", False),
            ("ReLU", "relu", False),
            ("conv 3×3", "conv", False),
        ],
        "shortcut": ("conv 1×1, stride 2 (no BN)", 2),
        "after": [("no ReLU after ⊕", "none", True)],
        "note": "BN-ReLU before each conv,<br>nothing after ⊕",
    },
}

_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "bottleneck": (("bottleneck", "v1"), ("bottleneck", "v1.5"), ("bottleneck", "preact")),
    "basic": (("basic", "v1"), ("basic", "preact")),
}
_COLUMNS["both"] = _COLUMNS["bottleneck"] + _COLUMNS["basic"]


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


def block_anatomy_figure(*, block: Literal["bottleneck", "basic", "both"] = "both") -> go.Figure:
    """v1, v1.5 and pre-activation blocks drawn side by side, differences outlined in orange.

    Each column is the first block of a stage (the one that halves the map, where the variants
    differ), input at the top: the branch in the middle, the shortcut on the right joining at
    ⊕. v1 (https://arxiv.org/abs/1512.03385, Fig. 5) puts stride 2 on the first 1×1 conv,
    v1.5 (torchvision) on the 3×3 conv, and the pre-activation block
    (https://arxiv.org/abs/1603.05027, Fig. 4e) moves BN and ReLU before each conv and leaves
    nothing after the addition.

    Args:
        block: "bottleneck" (ResNet-50 and deeper), "basic" (ResNet-18/34, CIFAR) or "both".
    """
    if block not in _COLUMNS:
        raise ValueError(f"block must be one of {tuple(_COLUMNS)}, not {block!r}")
    columns = _COLUMNS[block]
    canvas = _Canvas()
    w, h, dy, dx = 1.7, 0.62, 1.0, 3.2
    lowest = 0.0
    for c, key in enumerate(columns):
        spec = _ANATOMY[key]
        x = c * dx
        xs = x + 1.35  # the shortcut's lane
        canvas.add_annotation(
            x=x + 0.3, y=1.35, text=f"<b>{spec['title']}</b>", showarrow=False, font={"size": 12}
        )
        _box(canvas, x, 0.4, w, 0.5, "x (input)", "none", False)
        layers: list[_Layer] = spec["branch"]
        y = 0.4
        ys = []
        for label, kind, highlight in layers:
            y_next = y - dy
            _arrow(canvas, x, y - 0.27, x, y_next + h / 2)
            _box(canvas, x, y_next, w, h, label, kind, highlight)
            ys.append(y_next)
            y = y_next
        y_add = y - dy
        _arrow(canvas, x, y - h / 2, x, y_add + 0.22)
        _box(canvas, x, y_add, w, 0.44, "+", "add", False)
        # the shortcut: from the input (or the pre-activated input) down the right lane into ⊕
        label, origin = spec["shortcut"]
        y_from = 0.4 if origin == 0 else ys[origin - 1]
        canvas.add_shape(
            type="line", x0=x + w / 2, y0=y_from, x1=xs, y1=y_from, line={"color": "#444444", "width": 1.2}
        )
        y_mid = (y_from + y_add) / 2
        half = 1.4  # the projection's box, tall enough for its rotated label
        canvas.add_shape(
            type="line", x0=xs, y0=y_from, x1=xs, y1=y_mid + half, line={"color": "#444444", "width": 1.2}
        )
        canvas.add_shape(
            type="rect",
            x0=xs - 0.25,
            x1=xs + 0.25,
            y0=y_mid - half,
            y1=y_mid + half,
            line={"color": HIGHLIGHT if origin else "#555555", "width": 3 if origin else 1},
            fillcolor=_BOX_COLORS["conv"],
        )
        canvas.add_annotation(x=xs, y=y_mid, text=label, textangle=-90, showarrow=False, font={"size": 10})
        canvas.add_shape(
            type="line", x0=xs, y0=y_mid - half, x1=xs, y1=y_add, line={"color": "#444444", "width": 1.2}
        )
        _arrow(canvas, xs, y_add, x + 0.24, y_add)
        y = y_add
        for label, kind, highlight in spec["after"]:
            y_next = y - dy
            _arrow(canvas, x, y - 0.22, x, y_next + h / 2)
            _box(canvas, x, y_next, w, h, label, kind, highlight)
            y = y_next
        canvas.add_annotation(
            x=x + 0.3,
            y=y - 0.6,
            text=spec["note"],
            showarrow=False,
            align="center",
            yanchor="top",
            font={"size": 10},
        )
        lowest = min(lowest, y - 2.2)
    legend = (
        "<span style='color:#ff7f0e'><b>orange</b></span>: where this variant differs · "
        "blue: conv · yellow: BN · green: ReLU · shortcut on the right (projection: first block of a stage)"
    )
    canvas.add_annotation(
        x=0.0,
        y=-0.02,
        xref="paper",
        yref="paper",
        text=legend,
        showarrow=False,
        xanchor="left",
        yanchor="top",
    )
    fig = go.Figure()
    fig.update_layout(shapes=canvas.shapes, annotations=canvas.annotations)
    fig.update_xaxes(visible=False, range=[-1.2, (len(columns) - 1) * dx + 1.8])
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


__all__ = [
    "KIND_COLORS",
    "block_anatomy_figure",
    "gradient_flow_figure",
    "race_figure",
    "saved_curves_figure",
    "shortcut_share_figure",
]
