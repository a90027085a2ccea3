"""Identity Mappings Eq. 4-5 measured: each block's input gradient split into the part through
the shortcut and the part through the branch, stacked along depth, for v1, pre-activation and plain.

Pure functions of :mod:`resnet_core.lab.gradient_split`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import BRANCH_COLOR, SHORTCUT_COLOR, times

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.gradient_split import GradientSplit


def gradient_split_figure(result: GradientSplit, *, lang: str = "en") -> go.Figure:
    """One panel per network: stacked bars of the shortcut and branch parts' norms per block,
    and autograd's total as a line (the parts' norms need not add up to it: they are vectors)."""
    t = section("lab.gradient_split", lang)
    nets = result.networks
    fig = make_subplots(rows=len(nets), cols=1, vertical_spacing=0.08, subplot_titles=[n.name for n in nets])
    for row, net in enumerate(nets, start=1):
        x = list(range(1, len(net.blocks) + 1))
        for key, values, color in (("via_shortcut", net.via_shortcut, SHORTCUT_COLOR), ("via_branch", net.via_branch, BRANCH_COLOR)):
            fig.add_trace(
                go.Bar(x=x, y=values, name=t[key], marker_color=color, legendgroup=key, showlegend=row == 1,
                       customdata=list(net.blocks), hovertemplate=t["hover"] + f"<extra>{t[key]}</extra>"),
                row=row, col=1,
            )
        fig.add_trace(
            go.Scatter(x=x, y=net.grad_in, mode="lines", name=t["total"], legendgroup="total", showlegend=row == 1,
                       line={"color": "#333333", "width": 1.5}, customdata=list(net.blocks),
                       hovertemplate=t["hover"] + f"<extra>{t['total']}</extra>"),
            row=row, col=1,
        )
        fig.update_yaxes(title=t["y"], type="log", row=row, col=1)
    fig.update_xaxes(title=t["x"], row=len(nets), col=1)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        barmode="stack",
        bargap=0.1,
        height=240 * len(nets) + 140,
        title={"text": t["title"].format(depth=result.depth, batch=result.batch), "x": 0.01, "font": {"size": 13}},
        legend={"orientation": "h", "y": -0.08},
        margin={"l": 10, "r": 20, "t": 70, "b": 10},
    )
    return fig


def gradient_split_verdict(result: GradientSplit, lang: str = "en") -> str:
    """What each network's split shows, from its numbers: clean path, masked path, no path."""
    t = section("lab.gradient_split", lang)
    lines = []
    pre, v1, plain = (result.network(k) for k in ("preact", "residual", "plain"))
    clean = pre.clean[pre.identity]
    if len(clean):
        lines.append(t["preact"].format(name=pre.name, n=len(clean), lo=clean.min(), hi=clean.max()))
    masked = v1.clean[v1.identity]
    if len(masked):
        lines.append(t["v1"].format(name=v1.name, mean=masked.mean(), lo=masked.min(), hi=masked.max()))
    lines.append(t["plain"].format(name=plain.name, ratio=times(plain.first_last, lang)))
    lines.append(t["norms"].format(pre=times(pre.first_last, lang), v1=times(v1.first_last, lang)))
    err = max(float(np.max(n.sum_error)) for n in result.networks)
    lines.append(t["sum"].format(err=max(err, 1e-16)))
    return "\n".join(f"* {line}" for line in lines)


__all__ = ["gradient_split_figure", "gradient_split_verdict"]
