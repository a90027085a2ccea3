"""The residual hypothesis's evidence (He et al. 2015, Fig. 7): response std per block, plain vs
ResNet, and ||F(x)|| / ||x||, with a verdict computed from the numbers.

Pure functions of :mod:`resnet_core.lab.hypothesis`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import SHADES

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.hypothesis import ResidualResponses


def residual_response_figure(result: ResidualResponses, *, lang: str = "en") -> go.Figure:
    """Two panels along depth: the std of each block's response, and ||F(x)|| / ||x||, for
    every network of the result (plain in red shades, ResNet in blue shades)."""
    t = section("lab.hypothesis", lang)
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.12, subplot_titles=[t["std"], t["relative"]])
    depths = sorted({n.depth for n in result.networks})
    for net in result.networks:
        color = SHADES[net.kind][depths.index(net.depth) % len(SHADES[net.kind])]
        x = list(range(1, len(net.blocks) + 1))
        for row, values in ((1, net.std), (2, net.relative)):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=values,
                    mode="lines+markers",
                    name=t["legend"].format(name=net.name, acc=net.heldout_accuracy),
                    legendgroup=net.name,
                    showlegend=row == 1,
                    line={"color": color, "dash": "solid" if net.kind == "residual" else "dot"},
                    marker={"size": 4},
                    customdata=list(net.blocks),
                    hovertemplate=t["hover"] + "<extra>" + net.name + "</extra>",
                ),
                row=row,
                col=1,
            )
    if result.pretrained is not None:
        net = result.pretrained
        for row, values in ((1, net.std), (2, net.relative)):
            fig.add_trace(go.Scatter(x=list(range(1, len(net.blocks) + 1)), y=values, mode="lines+markers", name=net.name,
                                     legendgroup=net.name, showlegend=row == 1, line={"color": "#7f7f7f", "dash": "dash"},
                                     marker={"size": 4}, customdata=list(net.blocks),
                                     hovertemplate=t["hover"] + "<extra>" + net.name + "</extra>"), row=row, col=1)
    fig.update_xaxes(title=t["x"], row=2, col=1)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=620,
        title={"text": t["title"].format(steps=result.steps), "x": 0.01, "font": {"size": 14}},
        legend={"orientation": "h", "y": -0.12},
        margin={"l": 10, "r": 20, "t": 70, "b": 10},
    )
    return fig


def residual_response_verdict(result: ResidualResponses, lang: str = "en") -> str:
    """Each comparison of the paper's Fig. 7 reading, from the numbers, then whether it holds."""
    t = section("lab.hypothesis", lang)
    f = result.findings
    lines = []
    for i, d in enumerate(f.depths):
        lines.append(
            t["depth"].format(
                depth=d,
                res=f.resnet_std[i],
                plain=f.plain_std[i],
                cmp=t["smaller" if f.smaller_than_plain[i] else "not_smaller"],
                frac=f.blocks_smaller[i],
                rel=f.median_relative[i],
            )
        )
    if f.deeper_smaller is not None:
        lines.append(
            t["deeper"].format(
                deep=f.depths[-1],
                shallow=f.depths[0],
                a=f.resnet_std[-1],
                b=f.resnet_std[0],
                cmp=t["below" if f.deeper_smaller else "not_below"],
            )
        )
    holds = all(f.smaller_than_plain) and f.deeper_smaller is not False
    if holds:
        summary = t["holds"].format(deeper=t["holds_deeper"] if f.deeper_smaller else "")
    else:
        summary = t["partly"].format(steps=result.steps)
    for net in result.networks:
        if net.kind == "plain" and net.heldout_accuracy < 0.5:
            summary += t["untrained"].format(depth=net.depth, acc=net.heldout_accuracy)
    if result.pretrained is not None:
        net = result.pretrained
        lines.append(t["pretrained"].format(name=net.name, source=result.pretrained_weights, lo=float(net.std.min()),
                                            hi=float(net.std.max()), rel=float(np.median(net.relative))))
    elif result.pretrained_weights:
        lines.append(t["no_pretrained"])
    return "\n".join(f"* {line}" for line in lines) + "\n\n" + summary


__all__ = ["residual_response_figure", "residual_response_verdict"]
