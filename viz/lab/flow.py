"""Gradient flow figures and verdicts: the gradient per block, and where it comes from.

Pure functions of :mod:`resnet_core.lab.flow`'s dataclasses; nothing here touches a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import BRANCH_COLOR, KIND_COLORS, SHORTCUT_COLOR, message_figure, stage_starts, times

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.lab.flow import GradientFlow, NetworkFlow

#: resnet_core.lab.flow.BROKEN_SPREAD (not imported: that imports torch), checked equal by a test
SPREAD_LIMIT = 100.0


def _gain(x: float) -> str:
    return f"{x:.3g}"


def net_label(net: NetworkFlow, lang: str = "en") -> str:
    """A network's legend: "Plain-56, BN" / "Plain-56, no BN", with ", zero-init" where it applies."""
    t = section("lab.flow", lang)
    zero = t["label_zero"] if net.zero_init and net.kind != "plain" else ""
    return f"{net.name}{t['label_bn'] if net.norm else t['label_no_bn']}{zero}"


def flow_verdict(net: NetworkFlow, lang: str = "en") -> str:
    """One sentence about one network's gradient, computed from its numbers.

    The regime follows from the spread at initialization: within 10× one learning rate serves
    every block; past 100× none serves both ends of that first step (see
    ``resnet_core.lab.flow.STEADY_SPREAD``). Beside it, the spread after a few SGD steps, which
    says whether the imbalance lasts. Nothing is extrapolated to depths not measured.
    """
    t = section("lab.flow", lang)
    text = t["verdict"].format(
        label=net_label(net, lang),
        ratio=times(net.first_last_ratio, lang),
        blocks=len(net.blocks),
        gain=_gain(net.per_block_gain),
        regime=t[net.regime],
    )
    if net.forward_exploded:
        text += t["forward"].format(loss=net.loss, chance=net.chance_loss)
    if net.after_norms is not None:
        after = net.after_ratio
        broken = net.regime in ("explodes", "vanishes")
        if not math.isfinite(after) or not math.isfinite(net.after_loss):
            key = "after_diverged"
        elif broken:
            key = "after_settled" if 1 / SPREAD_LIMIT < after < SPREAD_LIMIT else "after_still"
        else:
            key = "after"
        text += t[key].format(steps=net.after_steps, lr=f"{net.after_lr:g}", ratio=times(after, lang))
    return text


def _within_stage(net: NetworkFlow) -> float:
    """The largest change between consecutive blocks of one stage, as a fraction (0.02 = 2%)."""
    norms = np.asarray(net.grad_norms, dtype=np.float64)
    stages = [b.split(".")[0] for b in net.blocks]
    steps = [abs(norms[i] / norms[i + 1] - 1) for i in range(len(norms) - 1)
             if stages[i] == stages[i + 1] and norms[i + 1] > 0]
    return float(max(steps, default=0.0))


def flow_explainer(flow: GradientFlow, lang: str = "en") -> str:
    """What this case (no BN, BN, or zero-initialised branches) shows, with its own numbers."""
    return flow_explainers([flow], lang)[0]


def flow_explainers(flows: Sequence[GradientFlow], lang: str = "en") -> list[str]:
    """The explainers of several settings, each said once: zero-initialised branches get one
    paragraph with every setting's numbers (its story is the same with or without BN)."""
    t = section("lab.flow", lang)
    sep = "、" if lang == "zh" else ", "
    zero = [f for f in flows if f.zero_init]
    words = []
    if zero:
        label = lambda f: t["label_bn" if f.norm else "label_no_bn"].lstrip(",， ")  # noqa: E731
        words.append(t["explain_zero"].format(
            within=f"{max(_within_stage(f.network('residual')) for f in zero):.0%}",
            ratios=sep.join(f"{times(f.network('residual').first_last_ratio, lang)} ({label(f)})" for f in zero),
            plain_gains=sep.join(f"{_gain(f.network('plain').per_block_gain)} ({label(f)})" for f in zero),
        ))
    for flow in flows:
        if flow.zero_init:
            continue
        plain, res = flow.network("plain"), flow.network("residual")
        words.append(t["explain_bn" if flow.norm else "explain_nobn"].format(
            plain_gain=_gain(plain.per_block_gain), res_gain=_gain(res.per_block_gain), res_loss=res.loss,
        ))
    return words


def gradient_flow_figure(flows: GradientFlow | Sequence[GradientFlow], *, lang: str = "en") -> go.Figure:
    """Gradient norm per block on a log scale: one line per network and per setting.

    Colour tells residual / plain / preact, a solid line BN on and a dashed line BN off; the
    legend carries each network's first-over-last ratio and per-block gain. Zero gradients
    cannot be drawn on a log axis and are left as gaps.
    """
    t = section("lab.flow", lang)
    if not isinstance(flows, Sequence):
        flows = [flows]
    if not flows:
        return message_figure(t["empty"])
    fig = go.Figure()
    blocks: Sequence[str] = ()
    for flow in flows:
        for net in flow.networks:
            norms = np.asarray(net.grad_norms, dtype=np.float64)
            fig.add_trace(
                go.Scatter(
                    x=np.arange(1, len(norms) + 1),
                    y=np.where(norms > 0, norms, np.nan),
                    mode="lines+markers" if len(norms) <= 40 else "lines",
                    name=t["legend"].format(
                        label=net_label(net, lang), ratio=times(net.first_last_ratio, lang), gain=_gain(net.per_block_gain)
                    ),
                    line={
                        "color": KIND_COLORS.get(net.kind, "#7f7f7f"),
                        "dash": "solid" if net.norm else "dash",
                        "width": 3 if net.zero_init else 2,
                    },
                    marker={"size": 5},
                    customdata=list(net.blocks),
                    hovertemplate=t["hover"] + "<extra>" + net_label(net, lang) + "</extra>",
                )
            )
            if len(net.blocks) > len(blocks):
                blocks = net.blocks
    for i, stage in stage_starts(blocks):
        fig.add_vline(x=i - 0.5, line={"color": "#bbbbbb", "dash": "dot", "width": 1})
        fig.add_annotation(
            x=i - 0.5, y=1.0, yref="paper", text=stage, showarrow=False, xanchor="left", font={"size": 10}
        )
    first = flows[0]
    fig.update_yaxes(type="log", title=t["y"], exponentformat="power")
    fig.update_xaxes(title=t["x"])
    title = t["title"].format(family=first.family, depth=first.depth, batch=first.batch, size=first.input_size)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        title={"text": title, "x": 0.01, "font": {"size": 13}},
        height=480,
        legend={"orientation": "h", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 20, "t": 50, "b": 10},
    )
    return fig


def shortcut_share_figure(flow: GradientFlow | NetworkFlow, *, lang: str = "en") -> go.Figure:
    """Per residual block: the share of the input gradient that arrives through the shortcut
    and through the branch, as stacked bars (``norm / (shortcut norm + branch norm)``).

    Given a whole :class:`GradientFlow`, one panel per network with shortcuts (residual and
    preact); the plain twin has nothing to split.
    """
    t = section("lab.flow", lang)
    nets = [flow] if hasattr(flow, "kind") else list(flow.networks)  # type: ignore[union-attr]
    nets = [n for n in nets if n.shortcut_norms is not None and n.branch_norms is not None]
    if not nets:
        return message_figure(t["no_split"])
    fig = make_subplots(rows=len(nets), cols=1, vertical_spacing=0.12, subplot_titles=[net_label(n, lang) for n in nets])
    for row, net in enumerate(nets, start=1):
        share = np.asarray(net.shortcut_share, dtype=np.float64)
        norms = np.stack([net.shortcut_norms, net.branch_norms], axis=-1)
        for key, values, color in (("via_shortcut", share, SHORTCUT_COLOR), ("via_branch", 1.0 - share, BRANCH_COLOR)):
            fig.add_trace(
                go.Bar(
                    x=list(net.blocks),
                    y=values,
                    name=t[key],
                    marker_color=color,
                    legendgroup=key,
                    showlegend=row == 1,
                    customdata=norms,
                    hovertemplate=t["share_hover"].replace("{part}", t[key]) + "<extra></extra>",
                ),
                row=row,
                col=1,
            )
        fig.add_hline(y=0.5, line={"color": "#555555", "dash": "dot", "width": 1}, row=row, col=1)
        fig.update_yaxes(range=[0, 1], tickformat=".0%", title=t["share_y"], row=row, col=1)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        barmode="stack",
        bargap=0.1,
        height=260 + 220 * len(nets),
        title={"text": t["share_title"], "x": 0.01, "font": {"size": 14}},
        legend={"orientation": "h", "y": 1.08, "x": 1, "xanchor": "right"},
        margin={"l": 10, "r": 20, "t": 80, "b": 10},
    )
    return fig
