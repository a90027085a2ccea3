"""Degradation figure and verdict, laid out as Fig. 6 of He et al.: error of plain-20/56 and
ResNet-20/56 against training steps, mean and spread over seeds. The verdict says what the runs
show (``Degradation.finding``), which for short runs is not the paper's finding."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ._common import SHADES, check_lang, machine_words, message_figure

if TYPE_CHECKING:
    from resnet_core.lab.degradation import Degradation, ErrorCurve

#: resnet_core.lab.degradation.FINAL_SHARE (not imported: that imports torch), checked by a test
FINAL_SHARE = 0.2

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "plain_panel": "plain networks",
        "res_panel": "ResNets",
        "step": "step",
        "error": "error",
        "train": "{name} training",
        "test": "{name} held-out",
        "hover": "step %{x}: error %{y:.1%}",
        "title": "Degradation on our synthetic data ({seeds} seeds; line: mean training error, band: min–max, dots: held-out)<br>{where}, {date}: ours, not the paper's numbers",
        "missing": "no saved degradation runs at {path}; run: python scripts/degradation.py",
        "pair": "{deep} ends with training error {deep_err} against {shallow}'s {shallow_err} (mean over the last {share:.0%} of {steps} steps): the deeper one is {cmp} in {n} of {seeds} seeds.",
        "worse": "worse",
        "better": "better",
        "one_seed": " One seed only: no spread to judge by.",
        "summary_yes": " The paper's degradation holds here (Fig. 1 and 6): the deeper plain net trains, to a higher training error, while the deeper ResNet ends lower.",
        "never_started": " This is not the paper's Fig. 1: {deep} stays at chance ({chance:.0%} error) in every seed: it never starts training in {steps} steps, while in the paper plain-56 trains, only to a higher error than plain-20.",
        "mixed": " The paper's plain-net pattern (the deeper one trains, to a higher error, in every seed) does not hold here: {started} of {seeds} seeds left chance and {worse} ended worse.",
        "res_worse": " The deeper ResNet ends worse too in {n} of {seeds} seeds, the opposite of the paper's Fig. 6 (ResNet-56 below ResNet-20): at this length the runs show depth slowing every network down.",
        "res_better": " The deeper ResNet ends lower in most seeds, as in the paper's Fig. 6.",
    },
    "zh": {
        "plain_panel": "普通网络",
        "res_panel": "ResNet",
        "step": "步数",
        "error": "错误率",
        "train": "{name} 训练",
        "test": "{name} 留出集",
        "hover": "第 %{x} 步：错误率 %{y:.1%}",
        "title": "我们合成数据上的退化现象（{seeds} 个种子；线：平均训练错误率，带：最小–最大，点：留出集）<br>{where}，{date}：我们测的，不是论文的数字",
        "missing": "{path} 没有保存的退化实验；运行：python scripts/degradation.py",
        "pair": "{deep} 最终训练错误率 {deep_err}，{shallow} 为 {shallow_err}（{steps} 步中最后 {share:.0%} 的平均）：更深的网络在 {seeds} 个种子中有 {n} 个更{cmp}。",
        "worse": "差",
        "better": "好",
        "one_seed": "只有一个种子：无法判断离散程度。",
        "summary_yes": "论文所说的退化在这里成立（图 1 与图 6）：更深的普通网络能训练，但训练错误率更高，而更深的 ResNet 更低。",
        "never_started": "这不是论文的图 1：{deep} 在每个种子中都停在随机水平（错误率 {chance:.0%}），{steps} 步内根本没有开始训练；而论文中的 plain-56 能训练，只是错误率高于 plain-20。",
        "mixed": "论文中普通网络的规律（更深的能训练、但在每个种子中错误率都更高）在这里不成立：{seeds} 个种子中有 {started} 个离开了随机水平，{worse} 个最终更差。",
        "res_worse": "更深的 ResNet 在 {seeds} 个种子中也有 {n} 个更差，与论文图 6（ResNet-56 低于 ResNet-20）相反：在这个训练长度下，深度让每种网络都学得更慢。",
        "res_better": "更深的 ResNet 在多数种子中错误率更低，与论文图 6 一致。",
    },
}


def _err(c: ErrorCurve) -> str:
    e = c.final_train_error
    return f"{e.mean():.1%} ± {e.std(ddof=1) if len(e) > 1 else 0.0:.1%}"


def degradation_verdict(result: Degradation, lang: str = "en") -> str:
    """For plain and for ResNet: the deeper net's final training error against the shallower
    one's (mean ± s.d. over seeds), then what that shows against the paper, by the library's
    rule (``Degradation.finding``): its Fig. 1 and 6, or a deep plain net that never started."""
    t = TEXT[check_lang(lang)]
    parts = []
    n_seeds = len(result.seeds)
    found = result.finding()
    steps = int(result.curves[0].steps[-1])
    for kind in ("plain", "residual"):
        shallow, deep = result.pair(kind)
        worse = result.deeper_worse(kind)
        cmp, n = (t["worse"], worse) if kind == "plain" else (t["better"], n_seeds - worse)
        parts.append(t["pair"].format(deep=deep.name, deep_err=_err(deep), shallow=shallow.name,
                                      shallow_err=_err(shallow), cmp=cmp, n=n, seeds=n_seeds,
                                      share=FINAL_SHARE, steps=steps))
    sep = "" if lang == "zh" else " "  # Chinese sentences end in "。" and take no space
    text = sep.join(parts)
    if n_seeds == 1:
        text += t["one_seed"]
    if found.as_in_paper:
        return text + t["summary_yes"]
    deep_plain = result.pair("plain")[1]
    if found.plain == "never_started":
        text += t["never_started"].format(deep=deep_plain.name, chance=result.chance_error, steps=steps)
    elif found.plain == "mixed":
        text += t["mixed"].format(started=found.plain_deep_started, worse=found.plain_deeper_worse, seeds=n_seeds)
    if found.residual_deeper_better:
        text += t["res_better"]
    else:
        text += t["res_worse"].format(n=found.residual_deeper_worse, seeds=n_seeds)
    return text


def degradation_figure(source: Degradation | str | Path, *, lang: str = "en") -> go.Figure:
    """Two panels as the paper's Fig. 6: plain networks left, ResNets right."""
    t = TEXT[check_lang(lang)]
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            return message_figure(t["missing"].format(path=path.name), height=420)
        from resnet_core.lab.degradation import load_degradation  # the format lives next to the writer

        source = load_degradation(path)
    result = source
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        horizontal_spacing=0.05,
        subplot_titles=(t["plain_panel"], t["res_panel"]),
    )
    for col, kind in ((1, "plain"), (2, "residual")):
        curves = sorted((c for c in result.curves if c.kind == kind), key=lambda c: c.depth)
        for shade, c in enumerate(curves):
            color = SHADES[kind][shade % len(SHADES[kind])]
            mean = c.train_error.mean(0)
            lo, hi = c.train_error.min(0), c.train_error.max(0)
            x = np.asarray(c.steps)
            fig.add_trace(
                go.Scatter(
                    x=np.concatenate([x, x[::-1]]),
                    y=np.concatenate([hi, lo[::-1]]),
                    fill="toself",
                    fillcolor=color,
                    opacity=0.15,
                    line={"width": 0},
                    hoverinfo="skip",
                    showlegend=False,
                    legendgroup=c.name,
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=mean,
                    mode="lines",
                    name=t["train"].format(name=c.name),
                    legendgroup=c.name,
                    line={"color": color, "width": 1.5},
                    hovertemplate=t["hover"] + "<extra>" + c.name + "</extra>",
                ),
                row=1,
                col=col,
            )
            fig.add_trace(
                go.Scatter(
                    x=np.asarray(c.eval_steps),
                    y=c.test_error.mean(0),
                    mode="markers+lines",
                    name=t["test"].format(name=c.name),
                    legendgroup=c.name,
                    error_y={"type": "data", "array": c.test_error.std(0), "visible": True, "thickness": 1},
                    line={"color": color, "width": 1, "dash": "dot"},
                    marker={"size": 7, "color": color},
                    hovertemplate=t["hover"] + "<extra>" + c.name + "</extra>",
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title=t["step"], row=1, col=col)
    fig.update_yaxes(title=t["error"], tickformat=".0%", range=[0, 1], row=1, col=1)
    m = result.meta
    title = t["title"].format(
        seeds=len(result.seeds),
        where=machine_words(str(m.get("device_name", m.get("device", "?"))), lang),
        date=str(m.get("date", ""))[:10],
    )
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=460,
        title={"text": title, "x": 0.01, "font": {"size": 12}},
        legend={"orientation": "h", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 20, "t": 80, "b": 10},
    )
    return fig
