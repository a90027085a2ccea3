"""Degradation figure and verdict, after Fig. 6 of He et al.: error of plain-20/56 and
ResNet-20/56 against training steps, mean and spread over seeds."""

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
        "pair": "{deep} ends with training error {deep_err} against {shallow}'s {shallow_err}: the deeper one is {cmp} in {n} of {seeds} seeds.",
        "worse": "worse",
        "better": "better",
        "summary_yes": " The paper's degradation holds here: the deeper plain net trains worse while the deeper ResNet does not.",
        "summary_no": " The paper's pattern (deeper plain worse, deeper ResNet not) does not fully hold at this size: see the spread.",
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
        "pair": "{deep} 最终训练错误率 {deep_err}，{shallow} 为 {shallow_err}：更深的网络在 {seeds} 个种子中有 {n} 个更{cmp}。",
        "worse": "差",
        "better": "好",
        "summary_yes": "论文所说的退化在这里成立：更深的普通网络训练得更差，而更深的 ResNet 没有。",
        "summary_no": "论文的规律（更深的普通网络更差、更深的 ResNet 不差）在这个规模下没有完全成立：请看离散程度。",
    },
}


def _err(c: ErrorCurve) -> str:
    e = c.final_train_error
    return f"{e.mean():.1%} ± {e.std(ddof=1) if len(e) > 1 else 0.0:.1%}"


def degradation_verdict(result: Degradation, lang: str = "en") -> str:
    """For plain and for ResNet: the deeper net's final training error against the shallower
    one's (mean ± s.d. over seeds), and in how many seeds the deeper one is worse."""
    t = TEXT[check_lang(lang)]
    parts = []
    n_seeds = len(result.seeds)
    counts = {}
    for kind in ("plain", "residual"):
        shallow, deep = result.pair(kind)
        worse = result.deeper_worse(kind)
        counts[kind] = worse
        cmp, n = (t["worse"], worse) if kind == "plain" else (t["better"], n_seeds - worse)
        parts.append(
            t["pair"].format(
                deep=deep.name,
                deep_err=_err(deep),
                shallow=shallow.name,
                shallow_err=_err(shallow),
                cmp=cmp,
                n=n,
                seeds=n_seeds,
            )
        )
    holds = counts["plain"] == n_seeds and counts["residual"] * 2 < n_seeds
    sep = "" if lang == "zh" else " "  # Chinese sentences end in "。" and take no space
    return sep.join(parts) + (t["summary_yes"] if holds else t["summary_no"])


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
