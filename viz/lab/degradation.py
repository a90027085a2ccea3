"""Degradation figure and verdict, laid out as Fig. 6 of He et al.: error of plain-20/56 and
ResNet-20/56 against training steps, mean and spread over seeds. The verdict says what the runs
show (``Degradation.finding``), which for short runs is not the paper's finding."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .._format import FONT, TEMPLATE
from ..locales import section
from ._common import SHADES, machine_words, message_figure

if TYPE_CHECKING:
    from resnet_core.lab.degradation import Degradation, ErrorCurve

#: resnet_core.lab.degradation.FINAL_SHARE (not imported: that imports torch), checked by a test
FINAL_SHARE = 0.2


def _err(c: ErrorCurve) -> str:
    e = c.final_train_error
    return f"{e.mean():.1%} ± {e.std(ddof=1) if len(e) > 1 else 0.0:.1%}"


def degradation_verdict(result: Degradation, lang: str = "en") -> str:
    """For plain and for ResNet: the deeper net's final training error against the shallower
    one's (mean ± s.d. over seeds), then what that shows against the paper, by the library's
    rule (``Degradation.finding``): its Fig. 1 and 6, or a deep plain net that never started."""
    t = section("lab.degradation", lang)
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


def _band_trace(c: ErrorCurve, color: str) -> go.Scatter:
    """The spread over seeds of the training error, min to max, as a filled band."""
    x = np.asarray(c.steps)
    lo, hi = c.train_error.min(0), c.train_error.max(0)
    return go.Scatter(
        x=np.concatenate([x, x[::-1]]),
        y=np.concatenate([hi, lo[::-1]]),
        fill="toself",
        fillcolor=color,
        opacity=0.15,
        line={"width": 0},
        hoverinfo="skip",
        showlegend=False,
        legendgroup=c.name,
    )


def _train_trace(c: ErrorCurve, color: str, t: Mapping[str, str]) -> go.Scatter:
    return go.Scatter(
        x=np.asarray(c.steps),
        y=c.train_error.mean(0),
        mode="lines",
        name=t["train"].format(name=c.name),
        legendgroup=c.name,
        line={"color": color, "width": 1.5},
        hovertemplate=t["hover"] + "<extra>" + c.name + "</extra>",
    )


def _test_trace(c: ErrorCurve, color: str, t: Mapping[str, str]) -> go.Scatter:
    return go.Scatter(
        x=np.asarray(c.eval_steps),
        y=c.test_error.mean(0),
        mode="markers+lines",
        name=t["test"].format(name=c.name),
        legendgroup=c.name,
        error_y={"type": "data", "array": c.test_error.std(0), "visible": True, "thickness": 1},
        line={"color": color, "width": 1, "dash": "dot"},
        marker={"size": 7, "color": color},
        hovertemplate=t["hover"] + "<extra>" + c.name + "</extra>",
    )


def _figure_title(result: Degradation, t: Mapping[str, str], lang: str) -> str:
    m = result.meta
    return t["title"].format(
        seeds=len(result.seeds),
        where=machine_words(str(m.get("device_name", m.get("device", "?"))), lang),
        date=str(m.get("date", ""))[:10],
    )


def degradation_figure(source: Degradation | str | Path, *, lang: str = "en") -> go.Figure:
    """Two panels as the paper's Fig. 6: plain networks left, ResNets right."""
    t = section("lab.degradation", lang)
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
            for trace in (_band_trace(c, color), _train_trace(c, color, t), _test_trace(c, color, t)):
                fig.add_trace(trace, row=1, col=col)
        fig.update_xaxes(title=t["step"], row=1, col=col)
    fig.update_yaxes(title=t["error"], tickformat=".0%", range=[0, 1], row=1, col=1)
    fig.update_layout(
        template=TEMPLATE,
        font=FONT,
        height=460,
        title={"text": _figure_title(result, t, lang), "x": 0.01, "font": {"size": 12}},
        legend={"orientation": "h", "y": -0.2, "x": 0},
        margin={"l": 10, "r": 20, "t": 80, "b": 10},
    )
    return fig
