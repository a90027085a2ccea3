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
from ._common import BRANCH_COLOR, SHORTCUT_COLOR, check_lang, times

if TYPE_CHECKING:  # importing resnet_core would import torch
    from resnet_core.lab.gradient_split import GradientSplit

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "∂E/∂x_l split at every block: through the shortcut (the “1” of Eq. 5) and through the branch. Depth {depth}, at initialization, batch of {batch}",
        "via_shortcut": "through the shortcut",
        "via_branch": "through the branch",
        "total": "‖∂E/∂x_l‖ (autograd)",
        "y": "gradient norm",
        "x": "block (input side → output side)",
        "hover": "%{customdata}: %{y:.3g}",
        "preact": "**{name}:** on its {n} identity blocks the shortcut part equals the gradient at the block's output exactly (ratio {lo:.4f}–{hi:.4f}): the clean path of Eq. 5, the top's gradient reaching every block unchanged.",
        "v1": "**{name}:** the ReLU after ⊕ passes the shortcut part only where the sum is positive, so it carries {mean:.0%} of the output gradient's norm on average ({lo:.0%}–{hi:.0%}): the path is not clean.",
        "plain": "**{name}:** no shortcut, no “1”: every bit of gradient goes through the layers, and the first block's gradient is {ratio} the last's.",
        "norms": "The “1” keeps the gradient from vanishing, not the norms equal: in the pre-activation net the first block's gradient is {pre} the last's, in v1 {v1}.",
        "sum": "Check: shortcut part + branch part equals autograd's gradient to within {err:.1e} (relative) at every block.",
    },
    "zh": {
        "title": "每个块的 ∂E/∂x_l 拆分：经过捷径（式 5 中的“1”）和经过分支。深度 {depth}，初始化时，批大小 {batch}",
        "via_shortcut": "经过捷径",
        "via_branch": "经过分支",
        "total": "‖∂E/∂x_l‖（autograd）",
        "y": "梯度范数",
        "x": "块（输入端 → 输出端）",
        "hover": "%{customdata}：%{y:.3g}",
        "preact": "**{name}**：在它的 {n} 个恒等块上，捷径部分与块输出处的梯度完全相等（比值 {lo:.4f}–{hi:.4f}）：这就是式 5 的干净通路，顶层的梯度原样到达每个块。",
        "v1": "**{name}**：⊕ 之后的 ReLU 只在和为正的位置放行捷径部分，所以它平均只带过输出梯度范数的 {mean:.0%}（{lo:.0%}–{hi:.0%}）：通路并不干净。",
        "plain": "**{name}**：没有捷径，就没有“1”：所有梯度都要穿过各层，第一个块的梯度是最后一个块的 {ratio}。",
        "norms": "“1”让梯度不会消失，但并不让各处范数相等：预激活网络中第一个块的梯度是最后一个块的 {pre}，v1 中为 {v1}。",
        "sum": "核对：捷径部分 + 分支部分与 autograd 的梯度在每个块上相差不超过 {err:.1e}（相对误差）。",
    },
}


def gradient_split_figure(result: GradientSplit, *, lang: str = "en") -> go.Figure:
    """One panel per network: stacked bars of the shortcut and branch parts' norms per block,
    and autograd's total as a line (the parts' norms need not add up to it: they are vectors)."""
    t = TEXT[check_lang(lang)]
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
    t = TEXT[check_lang(lang)]
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


__all__ = ["TEXT", "gradient_split_figure", "gradient_split_verdict"]
