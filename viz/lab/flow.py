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
from ._common import (
    BRANCH_COLOR,
    KIND_COLORS,
    SHORTCUT_COLOR,
    check_lang,
    message_figure,
    stage_starts,
    times,
)

if TYPE_CHECKING:  # viz reads the dataclasses; importing resnet_core would import torch
    from resnet_core.lab.flow import GradientFlow, NetworkFlow

#: resnet_core.lab.flow.BROKEN_SPREAD (not imported: that imports torch), checked equal by a test
SPREAD_LIMIT = 100.0

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "label_bn": ", BN",
        "label_no_bn": ", no BN",
        "label_zero": ", zero-init",
        "empty": "no gradient flow computed yet",
        "legend": "{label} (first/last {ratio}, {gain} per block)",
        "hover": "%{customdata}<br>rms(∂L/∂output) = %{y:.3g}",
        "title": "Gradient per block at initialization: {family} depth {depth}, one backward pass, batch {batch} at {size}×{size}",
        "y": "gradient per element, rms(∂L/∂(block output))",
        "x": "block (input side → output side)",
        "no_split": "a plain network has no shortcut: nothing to split",
        "via_shortcut": "through the shortcut",
        "via_branch": "through the branch",
        "share_hover": "%{x}: %{y:.0%} {part}<br>rms(shortcut part) = %{customdata[0]:.3g}<br>rms(branch part) = %{customdata[1]:.3g}",
        "share_y": "share of ∂L/∂x",
        "share_title": "Where each block's input gradient comes from",
        "verdict": "{label}: at initialization the first block's gradient per element is {ratio} the last block's, over {blocks} blocks ({gain} per block, measured at this depth only). {regime}",
        "steady": "Within one order of magnitude: one learning rate suits every block.",
        "mild growth": "It grows toward the input, but by less than 100×: one learning rate still serves both ends.",
        "mild decay": "It shrinks toward the input, but by less than 100×: one learning rate still serves both ends.",
        "explodes": "It explodes toward the input: beyond 100×, no single learning rate suits both ends of the first step.",
        "vanishes": "It vanishes toward the input: beyond 100×, at the first step the first blocks barely learn at a rate the last ones tolerate.",
        "after": " After {steps} SGD steps (lr {lr}): {ratio}.",
        "after_settled": " After {steps} SGD steps (lr {lr}): {ratio}, within 100× already: the imbalance belongs to the first steps, not to training.",
        "after_still": " After {steps} SGD steps (lr {lr}): still {ratio}.",
        "after_diverged": " After {steps} SGD steps (lr {lr}) the loss is no longer finite: training at this rate diverges.",
        "dead": "No gradient reaches the last block at all.",
        "forward": " The forward pass has blown up already: the loss at init is {loss:.3g}, chance is {chance:.2g}.",
        "explain_nobn": "Without BN: each plain layer scales the signal by a factor a little under one, so the plain net's gradient shrinks toward the input ({plain_gain} per block); in a ResNet every block adds its branch to the stream, x + F(x), so the stream and its gradient grow with depth ({res_gain} per block, loss at init {res_loss:.3g}).",
        "explain_bn": "With BN: the plain net's gradient explodes toward the input at initialization ({plain_gain} per block), as Yang et al. (2019) predicted for wide fully-connected networks with BN; the ResNet's grows only mildly ({res_gain} per block) because each block's gradient has a clean path through the identity. The paper called BN gradients \"healthy\", meaning they do not vanish; what they do at initialization is grow toward the input.",
        "explain_zero": "Zero-initialised residual branches (torchvision's zero_init_residual, after Goyal et al. 2017; one of Fixup's three rules, Zhang et al. 2019): every block starts as the identity, so the ResNet passes the gradient from block to block unchanged, with or without BN: within each stage consecutive blocks differ by at most {within}, so nothing compounds with depth; first/last per element {ratios}, set by the stage transitions, not by the number of blocks. The plain twin keeps its usual init ({plain_gains} per block).",
    },
    "zh": {
        "label_bn": "，有 BN",
        "label_no_bn": "，无 BN",
        "label_zero": "，残差零初始化",
        "empty": "还没有计算梯度流",
        "legend": "{label}（首/末 {ratio}，每块 {gain}）",
        "hover": "%{customdata}<br>均方根(∂L/∂输出) = %{y:.3g}",
        "title": "初始化时每个块的梯度：{family} 深度 {depth}，一次反向传播，批量 {batch}，输入 {size}×{size}",
        "y": "每个元素的梯度：∂L/∂(块输出) 的均方根",
        "x": "块（输入端 → 输出端）",
        "no_split": "普通网络没有捷径，无从拆分",
        "via_shortcut": "经由捷径",
        "via_branch": "经由残差分支",
        "share_hover": "%{x}：%{y:.0%} {part}<br>均方根(捷径部分) = %{customdata[0]:.3g}<br>均方根(分支部分) = %{customdata[1]:.3g}",
        "share_y": "∂L/∂x 的占比",
        "share_title": "每个块输入端的梯度从哪里来",
        "verdict": "{label}：初始化时，第一个块每个元素的梯度是最后一个块的 {ratio}，跨越 {blocks} 个块（每块 {gain}，只在这个深度上测得）。{regime}",
        "steady": "相差不到一个数量级：一个学习率适合所有块。",
        "mild growth": "梯度向输入端增长，但不到 100 倍：一个学习率仍能兼顾两端。",
        "mild decay": "梯度向输入端减小，但不到 100 倍：一个学习率仍能兼顾两端。",
        "explodes": "梯度向输入端爆炸：超过 100 倍，在第一步没有一个学习率能同时适合两端。",
        "vanishes": "梯度向输入端消失：超过 100 倍，在第一步，以末端能承受的学习率，前面的块几乎学不动。",
        "after": "经过 {steps} 步 SGD（学习率 {lr}）后：{ratio}。",
        "after_settled": "经过 {steps} 步 SGD（学习率 {lr}）后：{ratio}，已在 100 倍以内：这种失衡属于最初几步，而不是整个训练。",
        "after_still": "经过 {steps} 步 SGD（学习率 {lr}）后：仍为 {ratio}。",
        "after_diverged": "经过 {steps} 步 SGD（学习率 {lr}）后损失已不再有限：以这个学习率训练会发散。",
        "dead": "根本没有梯度到达最后一个块。",
        "forward": "前向传播已经爆炸：初始化时损失为 {loss:.3g}，随机猜测为 {chance:.2g}。",
        "explain_nobn": "没有 BN 时：普通网络每层把信号缩小一点，所以梯度向输入端减小（每块 {plain_gain}）；ResNet 的每个块把分支加到主干上，x + F(x)，主干和它的梯度随深度增长（每块 {res_gain}，初始化损失 {res_loss:.3g}）。",
        "explain_bn": "有 BN 时：普通网络的梯度在初始化时向输入端爆炸（每块 {plain_gain}），正如 Yang 等人（2019）对带 BN 的宽全连接网络所预测的；ResNet 只温和增长（每块 {res_gain}），因为每个块的梯度都有一条经过恒等映射的干净通路。论文说有 BN 时梯度\"健康\"，指的是不消失；而在初始化时，它们是向输入端增长。",
        "explain_zero": "残差分支零初始化（torchvision 的 zero_init_residual，源自 Goyal 等人 2017；也是 Fixup 三条规则之一，Zhang 等人 2019）：每个块一开始就是恒等映射，所以无论有没有 BN，ResNet 在块与块之间原样传递梯度：同一阶段内相邻块最多相差 {within}，因此不随深度累积；每个元素的首/末比为 {ratios}，由阶段之间的过渡决定，而不是由块数决定。普通网络保持通常的初始化（每块 {plain_gains}）。",
    },
}


def _gain(x: float) -> str:
    return f"{x:.3g}"


def net_label(net: NetworkFlow, lang: str = "en") -> str:
    """A network's legend: "Plain-56, BN" / "Plain-56, no BN", with ", zero-init" where it applies."""
    t = TEXT[check_lang(lang)]
    zero = t["label_zero"] if net.zero_init and net.kind != "plain" else ""
    return f"{net.name}{t['label_bn'] if net.norm else t['label_no_bn']}{zero}"


def flow_verdict(net: NetworkFlow, lang: str = "en") -> str:
    """One sentence about one network's gradient, computed from its numbers.

    The regime follows from the spread at initialization: within 10× one learning rate serves
    every block; past 100× none serves both ends of that first step (see
    ``resnet_core.lab.flow.STEADY_SPREAD``). Beside it, the spread after a few SGD steps, which
    says whether the imbalance lasts. Nothing is extrapolated to depths not measured.
    """
    t = TEXT[check_lang(lang)]
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
    t = TEXT[check_lang(lang)]
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
    t = TEXT[check_lang(lang)]
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
    t = TEXT[check_lang(lang)]
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
