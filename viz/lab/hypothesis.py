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
from ._common import SHADES, check_lang

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.hypothesis import ResidualResponses

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Fig. 7 of He et al., measured: each block's response F(x) after {steps} training steps (ours, on synthetic shapes)",
        "std": "std of the response F(x)",
        "relative": "‖F(x)‖ / ‖x‖",
        "x": "block (input side → output side)",
        "legend": "{name} (held-out {acc:.0%})",
        "hover": "%{customdata}<br>%{y:.3g}",
        "depth": "Depth {depth}: the ResNet's responses have a mean std of {res:.3g} against {plain:.3g} for its plain twin, {cmp} (smaller at {frac:.0%} of the block positions); the ResNet's median ‖F(x)‖/‖x‖ is {rel:.2f}.",
        "smaller": "smaller",
        "not_smaller": "not smaller",
        "deeper": "ResNet-{deep}'s mean response std ({a:.3g}) is {cmp} ResNet-{shallow}'s ({b:.3g}).",
        "below": "below",
        "not_below": "not below",
        "holds": "**The paper's reading holds here:** residual functions come out generally small, smaller than the plain net's layers{deeper}. That fits the hypothesis (a block near the identity needs only a small F), it does not prove it.",
        "holds_deeper": ", and smaller in the deeper net",
        "partly": "**The paper's pattern does not fully hold at this length of training:** see which comparison fails above; the paper trained for 64k iterations, this for {steps} steps.",
        "pretrained": "{name} ({source}, no plain twin to compare): response std {lo:.3g}–{hi:.3g} per block, median ‖F(x)‖/‖x‖ {rel:.2f}.",
        "no_pretrained": "No pretrained ResNet-50 weights on this server, so only the trained twins are measured.",
        "untrained": " The plain-{depth} net reached only {acc:.0%} held-out accuracy, so its responses are those of a net that barely trained.",
    },
    "zh": {
        "title": "He 等人图 7 的实测：训练 {steps} 步后每个块的响应 F(x)（我们在合成图形上测得）",
        "std": "响应 F(x) 的标准差",
        "relative": "‖F(x)‖ / ‖x‖",
        "x": "块（输入端 → 输出端）",
        "legend": "{name}（留出集 {acc:.0%}）",
        "hover": "%{customdata}<br>%{y:.3g}",
        "depth": "深度 {depth}：ResNet 的响应标准差均值为 {res:.3g}，普通孪生网络为 {plain:.3g}，{cmp}（在 {frac:.0%} 的块位置上更小）；ResNet 的 ‖F(x)‖/‖x‖ 中位数为 {rel:.2f}。",
        "smaller": "更小",
        "not_smaller": "并不更小",
        "deeper": "ResNet-{deep} 的响应标准差均值（{a:.3g}）{cmp} ResNet-{shallow} 的（{b:.3g}）。",
        "below": "低于",
        "not_below": "不低于",
        "holds": "**论文的解读在这里成立**：残差函数总体较小，比普通网络的层更小{deeper}。这与假设相符（接近恒等的块只需要很小的 F），但并不证明它。",
        "holds_deeper": "，并且在更深的网络中更小",
        "partly": "**在这个训练长度下，论文的规律没有完全成立**：请看上面哪一项比较不成立；论文训练了 64k 次迭代，这里只有 {steps} 步。",
        "pretrained": "{name}（{source}，没有普通孪生网络可比）：每个块的响应标准差 {lo:.3g}–{hi:.3g}，‖F(x)‖/‖x‖ 中位数 {rel:.2f}。",
        "no_pretrained": "这台服务器上没有预训练的 ResNet-50 权重，所以只测量了训练好的孪生网络。",
        "untrained": " 普通-{depth} 网络的留出集准确率只有 {acc:.0%}，它的响应来自一个几乎没有训练好的网络。",
    },
}


def residual_response_figure(result: ResidualResponses, *, lang: str = "en") -> go.Figure:
    """Two panels along depth: the std of each block's response, and ||F(x)|| / ||x||, for
    every network of the result (plain in red shades, ResNet in blue shades)."""
    t = TEXT[check_lang(lang)]
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
    t = TEXT[check_lang(lang)]
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


__all__ = ["TEXT", "residual_response_figure", "residual_response_verdict"]
