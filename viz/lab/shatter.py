"""Shattered-gradients figure and verdict: the gradient along a line, and its autocorrelation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import KIND_COLORS

if TYPE_CHECKING:
    from resnet_core.lab.shatter import Shattering

#: below this neighbour correlation a gradient is indistinguishable from white noise on a
#: 256-point line (the standard error of a sample autocorrelation is about 1/sqrt(256) = 0.06,
#: so 0.2 is over three standard errors)
WHITE = 0.2
#: above this it still varies smoothly from point to point
SMOOTH = 0.5


def shatter_verdict(result: Shattering, lang: str = "en") -> str:
    """Whether the plain net's gradient has shattered and the ResNet's has not, at the deepest
    depth measured, with the neighbour correlation at every depth."""
    t = section("lab.shatter", lang)
    deep = max(result.depths)
    plain, res, pre = (result.curve(k, deep) for k in ("plain", "residual", "preact"))
    if plain.lag1 < WHITE and res.lag1 > SMOOTH:
        judgement = t["shattered"]
    elif plain.lag1 >= SMOOTH and res.lag1 >= SMOOTH:
        judgement = t["both_smooth"]
    else:
        judgement = t["not_seen"] if res.lag1 <= plain.lag1 + 0.1 else t["shattered"]
    seq = lambda kind: " → ".join(f"{result.curve(kind, d).lag1:.2f}" for d in result.depths)  # noqa: E731
    return t["verdict"].format(
        depth=deep,
        plain=plain.name,
        plain_r=plain.lag1,
        res=res.name,
        res_r=res.lag1,
        pre=pre.name,
        pre_r=pre.lag1,
        judgement=judgement,
        depths=", ".join(map(str, result.depths)),
        plain_seq=seq("plain"),
        res_seq=seq("residual"),
    )


def shattering_figure(result: Shattering, *, depth: int | None = None, lang: str = "en") -> go.Figure:
    """Left: the gradient along the line for plain, ResNet and preact at one depth (each scaled
    to unit standard deviation, since their sizes differ by orders of magnitude). Right: the
    autocorrelation against lag, every network at every depth (darker = deeper)."""
    t = section("lab.shatter", lang)
    depth = max(result.depths) if depth is None else depth
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.55, 0.45],
        horizontal_spacing=0.08,
        subplot_titles=(t["line_panel"].format(depth=depth), t["ac_panel"]),
    )
    for k, kind in enumerate(("plain", "residual", "preact")):
        c = result.curve(kind, depth)
        g = c.gradient - c.gradient.mean()
        g = g / (g.std() or 1.0)
        fig.add_trace(
            go.Scatter(
                x=c.t,
                y=g + 4.0 * (1 - k),
                mode="lines",
                name=c.name,
                legendgroup=kind,
                line={"color": KIND_COLORS[kind], "width": 1.2},
                hovertemplate="t=%{x:.3f}<extra>" + c.name + "</extra>",
            ),
            row=1,
            col=1,
        )
    n = len(result.depths)
    for i, d in enumerate(result.depths):
        for kind in ("plain", "residual", "preact"):
            c = result.curve(kind, d)
            fig.add_trace(
                go.Scatter(
                    x=c.lags,
                    y=c.autocorr,
                    mode="lines",
                    name=c.name,
                    legendgroup=kind,
                    showlegend=False,
                    opacity=0.35 + 0.65 * (i + 1) / n,
                    line={
                        "color": KIND_COLORS[kind],
                        "width": 1 + 1.5 * (i + 1) / n,
                        "dash": "solid" if d == depth else "dot",
                    },
                    hovertemplate=t["hover_ac"] + "<extra>" + c.name + "</extra>",
                ),
                row=1,
                col=2,
            )
    fig.add_hline(y=0, line={"color": "#888888", "width": 1}, row=1, col=2)
    fig.update_xaxes(title=t["t"], row=1, col=1)
    fig.update_yaxes(title=t["grad"], showticklabels=False, row=1, col=1)
    fig.update_xaxes(title=t["lag"], row=1, col=2)
    fig.update_yaxes(title=t["ac"], range=[-0.4, 1.02], row=1, col=2)
    bn = t["bn"] if result.norm else t["no_bn"]
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=440,
        title={"text": t["title"].format(bn=bn, points=result.points), "x": 0.01, "font": {"size": 13}},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        margin={"l": 10, "r": 20, "t": 70, "b": 10},
    )
    return fig
