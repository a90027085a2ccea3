"""Shattered-gradients figure and verdict: the gradient along a line, and its autocorrelation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ._common import KIND_COLORS, check_lang

if TYPE_CHECKING:
    from resnet_core.lab.shatter import Shattering

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Shattered gradients at initialization ({bn}): the input gradient along a line of {points} inputs",
        "bn": "BN",
        "no_bn": "no BN",
        "line_panel": "d(output)/dt along the line, depth {depth} (each scaled to unit s.d.)",
        "ac_panel": "autocorrelation of the gradient vs lag",
        "t": "position on the line t",
        "grad": "gradient (scaled)",
        "lag": "lag (points)",
        "ac": "autocorrelation",
        "hover_ac": "lag %{x}: %{y:.2f}",
        "verdict": "At depth {depth}, neighbouring points' gradients correlate {plain_r:.2f} in {plain} and {res_r:.2f} in {res} ({pre} {pre_r:.2f}). {judgement} Across depths {depths}, the plain net's neighbour correlation goes {plain_seq}; the ResNet's {res_seq}.",
        "shattered": "The plain net's gradient is uncorrelated between neighbouring points (white noise at lag 1: shattered), the ResNet's still varies smoothly, as Balduzzi et al. found.",
        "both_smooth": "Both still vary smoothly at this depth: shattering needs more depth.",
        "not_seen": "The ResNet's gradient is no smoother than the plain net's here, unlike what Balduzzi et al. found.",
    },
    "zh": {
        "title": "初始化时的梯度破碎（{bn}）：沿一条直线上 {points} 个输入的输入梯度",
        "bn": "有 BN",
        "no_bn": "无 BN",
        "line_panel": "沿直线的 d(输出)/dt，深度 {depth}（各自缩放到单位标准差）",
        "ac_panel": "梯度的自相关与滞后",
        "t": "直线上的位置 t",
        "grad": "梯度（缩放后）",
        "lag": "滞后（点数）",
        "ac": "自相关",
        "hover_ac": "滞后 %{x}：%{y:.2f}",
        "verdict": "深度 {depth} 时，相邻点梯度的相关系数：{plain} 为 {plain_r:.2f}，{res} 为 {res_r:.2f}（{pre} {pre_r:.2f}）。{judgement}在深度 {depths} 上，普通网络的相邻相关依次为 {plain_seq}；ResNet 为 {res_seq}。",
        "shattered": "普通网络的梯度在相邻点之间已不相关（滞后 1 处如同白噪声：破碎了），ResNet 的仍然平滑变化，与 Balduzzi 等人的发现一致。",
        "both_smooth": "在这个深度两者都还平滑变化：破碎需要更深的网络。",
        "not_seen": "这里 ResNet 的梯度并不比普通网络的更平滑，与 Balduzzi 等人的发现不同。",
    },
}
#: below this neighbour correlation a gradient is indistinguishable from white noise on a
#: 256-point line (the standard error of a sample autocorrelation is about 1/sqrt(256) = 0.06,
#: so 0.2 is over three standard errors)
WHITE = 0.2
#: above this it still varies smoothly from point to point
SMOOTH = 0.5


def shatter_verdict(result: Shattering, lang: str = "en") -> str:
    """Whether the plain net's gradient has shattered and the ResNet's has not, at the deepest
    depth measured, with the neighbour correlation at every depth."""
    t = TEXT[check_lang(lang)]
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
    t = TEXT[check_lang(lang)]
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
